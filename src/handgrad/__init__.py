"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.
"""

from handgrad.backprop.cost_module import CostModule, cost_module
from handgrad.backprop.d2l import (
    MLP1Backward,
    MLP1Cache,
    mlp1_backward,
    mlp1_backward_batch,
    mlp1_forward,
    mlp1_forward_batch,
    mlp1_hand_grads,
    mlp1_hand_value_and_grad,
    mlp1_sample_hand_grads,
)
from handgrad.backprop.derivations import perturbation, through_nonlinearity, through_weighted_sum
from handgrad.backprop.fan_out import Node, graph_backward, graph_forward
from handgrad.backprop.linear import linear_hand_grad
from handgrad.backprop.mlp import (
    mlp_forward_batch,
    mlp_hand_grads,
    mlp_hand_value_and_grad,
    mlp_modules,
    mlp_stack_params,
)
from handgrad.backprop.modules import (
    Module,
    activation_module,
    flatten_module,
    linear_module,
    row_gradients,
    vjp_from_row_gradients,
)
from handgrad.backprop.mynet import mynet_hand_grads, mynet_modules
from handgrad.backprop.stack import (
    stack_backward,
    stack_backward_jacobians,
    stack_cost_grads,
    stack_forward,
    unravel_like,
)
from handgrad.check.gradcheck import (
    GradCheckReport,
    GradientCheckError,
    KinkWarning,
    LeafReport,
    check_gradients,
)
from handgrad.check.shapes import SHAPE_RULE, check_gradient_shapes, gradient_shape
from handgrad.exercises.computational_graph import ComputationGraph, backward_graph, trace_graph
from handgrad.exercises.graph_drawing import draw_forward_backward, draw_graph
from handgrad.exercises.memory import (
    MemoryFootprint,
    MemoryReport,
    measure_mlp_memory,
    mlp_memory,
    residual_bytes,
    xla_memory,
)
from handgrad.exercises.parallel import (
    batch_sharding,
    make_mesh,
    param_sharding,
    shard_batch,
    shard_params,
    shard_shapes,
)
from handgrad.exercises.remat import remat_objective, scan_objective
from handgrad.exercises.second_order import (
    hessian,
    hvp,
    hvp_fd,
    linear_hessian,
    newton_step,
    primitive_count,
)
from handgrad.models.activations import ACTIVATIONS, Activation, get_activation
from handgrad.models.costs import (
    COSTS,
    Cost,
    get_cost,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    squared_error,
    squared_error_grad,
)
from handgrad.models.linear import linear, linear_init, linear_objective
from handgrad.models.losses import average_loss, l2_penalty, per_sample_loss
from handgrad.models.mlp import mlp, mlp_init, mlp_objective
from handgrad.models.mlp1 import mlp1, mlp1_init, mlp1_objective, mlp1_sample_objective
from handgrad.models.mynet import IMAGE_SHAPE, MYNET_WIDTHS, mynet, mynet_init
from handgrad.models.nearest_neighbour import (
    nearest_neighbour,
    nearest_neighbour_objective,
    squared_distances,
)
from handgrad.optim.autodiff import autodiff
from handgrad.optim.gradient_free import Estimator, finite_difference, random_directions
from handgrad.optim.landscape import loss_surface
from handgrad.optim.loop import RunState, Trajectory, init_run, run, run_gd, run_sgd, run_steps
from handgrad.optim.rules import GDState, gd, preconditioned_gd
from handgrad.optim.samplers import Sampler, SamplerState, full_batch, minibatch, per_sample

__version__ = "0.1.0"

__all__ = (
    "ACTIVATIONS",
    "Activation",
    "COSTS",
    "ComputationGraph",
    "Cost",
    "CostModule",
    "Estimator",
    "GDState",
    "GradCheckReport",
    "GradientCheckError",
    "IMAGE_SHAPE",
    "KinkWarning",
    "LeafReport",
    "MLP1Backward",
    "MLP1Cache",
    "MYNET_WIDTHS",
    "MemoryFootprint",
    "MemoryReport",
    "Module",
    "Node",
    "RunState",
    "SHAPE_RULE",
    "Sampler",
    "SamplerState",
    "Trajectory",
    "activation_module",
    "autodiff",
    "average_loss",
    "backward_graph",
    "batch_sharding",
    "check_gradient_shapes",
    "check_gradients",
    "cost_module",
    "draw_forward_backward",
    "draw_graph",
    "finite_difference",
    "flatten_module",
    "full_batch",
    "gd",
    "get_activation",
    "get_cost",
    "gradient_shape",
    "graph_backward",
    "graph_forward",
    "hessian",
    "hvp",
    "hvp_fd",
    "init_run",
    "l2_penalty",
    "linear",
    "linear_hand_grad",
    "linear_hessian",
    "linear_init",
    "linear_module",
    "linear_objective",
    "loss_surface",
    "make_mesh",
    "measure_mlp_memory",
    "minibatch",
    "mlp",
    "mlp1",
    "mlp1_backward",
    "mlp1_backward_batch",
    "mlp1_forward",
    "mlp1_forward_batch",
    "mlp1_hand_grads",
    "mlp1_hand_value_and_grad",
    "mlp1_init",
    "mlp1_objective",
    "mlp1_sample_hand_grads",
    "mlp1_sample_objective",
    "mlp_forward_batch",
    "mlp_hand_grads",
    "mlp_hand_value_and_grad",
    "mlp_init",
    "mlp_memory",
    "mlp_modules",
    "mlp_objective",
    "mlp_stack_params",
    "mynet",
    "mynet_hand_grads",
    "mynet_init",
    "mynet_modules",
    "nearest_neighbour",
    "nearest_neighbour_objective",
    "newton_step",
    "param_sharding",
    "per_sample",
    "per_sample_loss",
    "perturbation",
    "preconditioned_gd",
    "primitive_count",
    "random_directions",
    "remat_objective",
    "residual_bytes",
    "row_gradients",
    "run",
    "run_gd",
    "run_sgd",
    "run_steps",
    "scan_objective",
    "shard_batch",
    "shard_params",
    "shard_shapes",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "squared_distances",
    "squared_error",
    "squared_error_grad",
    "stack_backward",
    "stack_backward_jacobians",
    "stack_cost_grads",
    "stack_forward",
    "through_nonlinearity",
    "through_weighted_sum",
    "trace_graph",
    "unravel_like",
    "vjp_from_row_gradients",
    "xla_memory",
)
