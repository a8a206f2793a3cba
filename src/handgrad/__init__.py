"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.
"""

from handgrad.activations import ACTIVATIONS
from handgrad.activations import Activation
from handgrad.activations import get_activation
from handgrad.costs import COSTS
from handgrad.costs import Cost
from handgrad.costs import get_cost
from handgrad.costs import softmax_cross_entropy
from handgrad.costs import softmax_cross_entropy_grad
from handgrad.costs import squared_error
from handgrad.costs import squared_error_grad
from handgrad.gradcheck import GradCheckReport
from handgrad.gradcheck import GradientCheckError
from handgrad.gradcheck import KinkWarning
from handgrad.gradcheck import LeafReport
from handgrad.gradcheck import check_gradients
from handgrad.linear import linear
from handgrad.linear import linear_hand_grad
from handgrad.linear import linear_init
from handgrad.linear import linear_objective
from handgrad.losses import average_loss
from handgrad.losses import l2_penalty
from handgrad.losses import per_sample_loss
from handgrad.mlp1 import mlp1
from handgrad.mlp1 import mlp1_init
from handgrad.mlp1 import mlp1_objective
from handgrad.mlp1 import mlp1_sample_objective
from handgrad.mlp1_backprop import MLP1Backward
from handgrad.mlp1_backprop import MLP1Cache
from handgrad.mlp1_backprop import mlp1_backward
from handgrad.mlp1_backprop import mlp1_backward_batch
from handgrad.mlp1_backprop import mlp1_forward
from handgrad.mlp1_backprop import mlp1_forward_batch
from handgrad.mlp1_backprop import mlp1_hand_grads
from handgrad.mlp1_backprop import mlp1_sample_hand_grads
from handgrad.nearest_neighbour import nearest_neighbour
from handgrad.nearest_neighbour import nearest_neighbour_objective
from handgrad.nearest_neighbour import squared_distances

__version__ = "0.1.0"

__all__ = (
    "ACTIVATIONS",
    "Activation",
    "COSTS",
    "Cost",
    "GradCheckReport",
    "GradientCheckError",
    "KinkWarning",
    "LeafReport",
    "MLP1Backward",
    "MLP1Cache",
    "average_loss",
    "check_gradients",
    "get_activation",
    "get_cost",
    "l2_penalty",
    "linear",
    "linear_hand_grad",
    "linear_init",
    "linear_objective",
    "mlp1",
    "mlp1_backward",
    "mlp1_backward_batch",
    "mlp1_forward",
    "mlp1_forward_batch",
    "mlp1_hand_grads",
    "mlp1_init",
    "mlp1_objective",
    "mlp1_sample_hand_grads",
    "mlp1_sample_objective",
    "nearest_neighbour",
    "nearest_neighbour_objective",
    "per_sample_loss",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "squared_distances",
    "squared_error",
    "squared_error_grad",
)
