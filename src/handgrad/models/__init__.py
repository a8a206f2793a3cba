"""The models and what they are scored by: G(x, w), the cost C(y, ȳ), the losses L and J.

- ``activations``: the point-wise non-linearities φ and their derivatives φ′;
- ``costs``: per-sample costs C(y, ȳ) and ∂C/∂ȳ (squared error, softmax cross-entropy);
- ``losses``: L(x, y, w) = C(y, G(x, w)), the average loss L(S, w), d2l's penalty s;
- ``linear``, ``nearest_neighbour``: the lecture's two first models;
  ``soft_nearest_neighbour``: a differentiable soft-min surrogate over the same prototypes;
- ``mlp``: the MLP of any depth (the lecture's traditional neural net); ``mlp1``: d2l's
  one-hidden-layer MLP; ``mynet``: the lecture's PyTorch ``mynet``.
"""

# φ and φ′
from handgrad.models.activations import ACTIVATIONS, Activation, get_activation

# per-sample costs C(y, ȳ) and their gradients ∂C/∂ȳ
from handgrad.models.costs import (
    COSTS,
    Cost,
    get_cost,
    squared_error,
    squared_error_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

# L(x, y, w) = C(y, G(x, w)), the average loss L(S, w), d2l's penalty s
from handgrad.models.losses import per_sample_loss, average_loss, l2_penalty

# the lecture's first models
from handgrad.models.linear import linear, linear_init, linear_objective
from handgrad.models.nearest_neighbour import (
    nearest_neighbour,
    squared_distances,
    nearest_neighbour_objective,
)
from handgrad.models.soft_nearest_neighbour import (
    soft_nearest_neighbour,
    soft_nearest_neighbour_loss,
    soft_nearest_neighbour_objective,
    soft_nearest_neighbour_value_and_grad,
    nearest_neighbour_error,
)

# the MLP of any depth, d2l's one-hidden-layer MLP as its named case, the lecture's mynet
from handgrad.models.mlp import mlp, mlp_init, mlp_objective
from handgrad.models.mlp1 import (
    mlp1,
    mlp1_init,
    mlp1_objective,
    mlp1_sample_objective,
    mlp1_layers,
    mlp1_params,
)
from handgrad.models.mynet import (
    mynet,
    mynet_init,
    IMAGE_SHAPE,
    MYNET_WIDTHS,
)

__all__ = (
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "COSTS",
    "Cost",
    "get_cost",
    "squared_error",
    "squared_error_grad",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "per_sample_loss",
    "average_loss",
    "l2_penalty",
    "linear",
    "linear_init",
    "linear_objective",
    "nearest_neighbour",
    "squared_distances",
    "nearest_neighbour_objective",
    "soft_nearest_neighbour",
    "soft_nearest_neighbour_loss",
    "soft_nearest_neighbour_objective",
    "soft_nearest_neighbour_value_and_grad",
    "nearest_neighbour_error",
    "mlp",
    "mlp_init",
    "mlp_objective",
    "mlp1",
    "mlp1_init",
    "mlp1_objective",
    "mlp1_sample_objective",
    "mlp1_layers",
    "mlp1_params",
    "mynet",
    "mynet_init",
    "IMAGE_SHAPE",
    "MYNET_WIDTHS",
)
