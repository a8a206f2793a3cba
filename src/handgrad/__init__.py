"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.

The top level holds what a reader of the two texts needs; the rest lives in its subpackage:
``handgrad.models``, ``handgrad.backprop``, ``handgrad.check``, ``handgrad.optim``,
``handgrad.exercises``, ``handgrad.data`` and ``handgrad.training``.

>>> import handgrad as hg
>>> hg.mlp1_init is hg.models.mlp1_init
True
"""

# The subpackages, one role each: hg.models, hg.backprop, hg.check, hg.optim, hg.exercises, …
from handgrad import backprop as backprop
from handgrad import check as check
from handgrad import data as data
from handgrad import exercises as exercises
from handgrad import models as models
from handgrad import optim as optim
from handgrad import training as training

# Models G(x, w), costs C(y, ȳ), and the objectives built on them: L(x, y, w), L(S, w), J = L + s
from handgrad.models import (
    linear,
    linear_objective,
    mlp,
    mlp_init,
    mlp_objective,
    mlp1,
    mlp1_init,
    mlp1_objective,
    mynet,
    mynet_init,
    squared_error,
    softmax_cross_entropy,
    per_sample_loss,
    average_loss,
    l2_penalty,
)

# Hand-derived gradients: d2l's formulas, the linear model's, the lecture's module stacks
from handgrad.backprop import (
    linear_hand_grad,
    mlp1_forward,
    mlp1_backward,
    mlp1_hand_grads,
    mlp1_hand_value_and_grad,
    mlp_hand_grads,
    mlp_hand_value_and_grad,
    mynet_hand_grads,
    stack_forward,
    stack_backward,
)

# Checking a hand gradient against grad, vjp, jvp and finite differences
from handgrad.check import check_gradients, GradientCheckError

# Gradient descent: gradient sources, update rules, samplers, the compiled loop
from handgrad.optim import (
    autodiff,
    finite_difference,
    random_directions,
    gd,
    preconditioned_gd,
    full_batch,
    per_sample,
    minibatch,
    run,
    run_gd,
    run_sgd,
)

# Training from a config, on offline data
from handgrad.data import load_dataset
from handgrad.training import load_config, train

__version__ = "0.1.0"

__all__ = (
    "linear",
    "linear_objective",
    "mlp",
    "mlp_init",
    "mlp_objective",
    "mlp1",
    "mlp1_init",
    "mlp1_objective",
    "mynet",
    "mynet_init",
    "squared_error",
    "softmax_cross_entropy",
    "per_sample_loss",
    "average_loss",
    "l2_penalty",
    "linear_hand_grad",
    "mlp1_forward",
    "mlp1_backward",
    "mlp1_hand_grads",
    "mlp1_hand_value_and_grad",
    "mlp_hand_grads",
    "mlp_hand_value_and_grad",
    "mynet_hand_grads",
    "stack_forward",
    "stack_backward",
    "check_gradients",
    "GradientCheckError",
    "autodiff",
    "finite_difference",
    "random_directions",
    "gd",
    "preconditioned_gd",
    "full_batch",
    "per_sample",
    "minibatch",
    "run",
    "run_gd",
    "run_sgd",
    "load_dataset",
    "load_config",
    "train",
)
