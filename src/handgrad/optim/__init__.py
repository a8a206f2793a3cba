"""Gradient descent, compiled: update rules, which samples a step sees, the loop, gradient-free estimates.

- ``rules``: w ← w − η g with a scalar or a positive semi-definite matrix η (optax transformations);
- ``samplers``: full batch, one sample (the lecture's SGD), shuffled minibatches;
- ``steps`` and ``loop``: a chunk of steps as one loop body, and the training loop compiled around it;
- ``carried``: d2l's MLP trained with s = λ/2‖W‖² carried through each step, not recomputed;
- ``gradient_free``: finite differences and random directions, from values of J alone;
- ``landscape``: the loss over two parameters, for contour plots; gᵀηg and the angle of −ηg;
- ``redundancy``: GD against SGD at equal numbers of per-sample gradient evaluations;
- ``critic``: descending a black-box cost through a fitted differentiable critic.
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

# d2l's MLP with the penalty s carried through the update: J every step without a pass over W
from handgrad.optim.carried import mlp1_carried_step, run_mlp1_carried

# the loss over two parameters, and where a step −ηg goes on it
from handgrad.optim.landscape import loss_surface, descent_rate, angle_to_steepest

# GD against SGD at equal cost; a critic for a cost with no gradient
from handgrad.optim.redundancy import (
    LossCurve,
    TunedRun,
    GradientNoise,
    loss_vs_evaluations,
    evaluations_to_reach,
    fastest_to_reach,
    gradient_noise,
)
from handgrad.optim.critic import (
    CriticRun,
    quadratic_features,
    quadratic_critic,
    fit_quadratic_critic,
    critic_descent,
)

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
    "mlp1_carried_step",
    "run_mlp1_carried",
    "loss_surface",
    "descent_rate",
    "angle_to_steepest",
    "LossCurve",
    "TunedRun",
    "GradientNoise",
    "loss_vs_evaluations",
    "evaluations_to_reach",
    "fastest_to_reach",
    "gradient_noise",
    "CriticRun",
    "quadratic_features",
    "quadratic_critic",
    "fit_quadratic_critic",
    "critic_descent",
)
