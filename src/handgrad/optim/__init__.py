"""Gradient descent, compiled: update rules, which samples a step sees, the loop, gradient-free estimates.

- ``rules``: w ← w − η g with a scalar or a positive semi-definite matrix η (optax transformations);
- ``samplers``: full batch, one sample (the lecture's SGD), shuffled minibatches;
- ``loop``: the training loop as one ``lax.scan`` under ``jit``;
- ``gradient_free``: finite differences and random directions, from values of J alone;
- ``landscape``: the loss over two parameters, for contour plots.
"""

# gradient sources besides the hand ones: autodiff, and estimates from values of J alone
from handgrad.optim.autodiff import autodiff
from handgrad.optim.gradient_free import Estimator, finite_difference, random_directions

# update rules: w ← w − η g
from handgrad.optim.rules import gd, preconditioned_gd, GDState

# which samples a step sees
from handgrad.optim.samplers import (
    Sampler,
    SamplerState,
    full_batch,
    per_sample,
    minibatch,
)

# the compiled loop
from handgrad.optim.loop import (
    run,
    run_gd,
    run_sgd,
    run_steps,
    scan_steps,
    init_run,
    RunState,
    Trajectory,
)

# the loss over two parameters
from handgrad.optim.landscape import loss_surface

__all__ = (
    "autodiff",
    "Estimator",
    "finite_difference",
    "random_directions",
    "gd",
    "preconditioned_gd",
    "GDState",
    "Sampler",
    "SamplerState",
    "full_batch",
    "per_sample",
    "minibatch",
    "run",
    "run_gd",
    "run_sgd",
    "run_steps",
    "scan_steps",
    "init_run",
    "RunState",
    "Trajectory",
    "loss_surface",
)
