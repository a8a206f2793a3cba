"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.
"""

from handgrad.activations import ACTIVATIONS
from handgrad.activations import Activation
from handgrad.activations import get_activation
from handgrad.cost_module import CostModule
from handgrad.cost_module import cost_module
from handgrad.costs import COSTS
from handgrad.costs import Cost
from handgrad.costs import get_cost
from handgrad.costs import softmax_cross_entropy
from handgrad.costs import softmax_cross_entropy_grad
from handgrad.costs import squared_error
from handgrad.costs import squared_error_grad
from handgrad.derivations import perturbation
from handgrad.derivations import through_nonlinearity
from handgrad.derivations import through_weighted_sum
from handgrad.gradcheck import GradCheckReport
from handgrad.gradcheck import GradientCheckError
from handgrad.gradcheck import KinkWarning
from handgrad.gradcheck import LeafReport
from handgrad.gradcheck import check_gradients
from handgrad.gradient_free import Estimator
from handgrad.gradient_free import finite_difference
from handgrad.gradient_free import random_directions
from handgrad.graph import Node
from handgrad.graph import graph_backward
from handgrad.graph import graph_forward
from handgrad.graph_drawing import draw_forward_backward
from handgrad.graph_drawing import draw_graph
from handgrad.jaxpr_graph import ComputationGraph
from handgrad.jaxpr_graph import backward_graph
from handgrad.jaxpr_graph import trace_graph
from handgrad.landscape import loss_surface
from handgrad.linear import linear
from handgrad.linear import linear_hand_grad
from handgrad.linear import linear_init
from handgrad.linear import linear_objective
from handgrad.loop import RunState
from handgrad.loop import Trajectory
from handgrad.loop import init_run
from handgrad.loop import run
from handgrad.loop import run_gd
from handgrad.loop import run_sgd
from handgrad.loop import run_steps
from handgrad.losses import average_loss
from handgrad.losses import l2_penalty
from handgrad.losses import per_sample_loss
from handgrad.memory import MemoryFootprint
from handgrad.memory import mlp_memory
from handgrad.memory_measured import MemoryReport
from handgrad.memory_measured import measure_mlp_memory
from handgrad.memory_measured import remat_objective
from handgrad.memory_measured import residual_bytes
from handgrad.memory_measured import scan_objective
from handgrad.memory_measured import xla_memory
from handgrad.mlp import mlp
from handgrad.mlp import mlp_init
from handgrad.mlp import mlp_objective
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
from handgrad.mlp1_backprop import mlp1_hand_value_and_grad
from handgrad.mlp1_backprop import mlp1_sample_hand_grads
from handgrad.mlp_backprop import mlp_forward_batch
from handgrad.mlp_backprop import mlp_hand_grads
from handgrad.mlp_backprop import mlp_hand_value_and_grad
from handgrad.mlp_backprop import mlp_modules
from handgrad.mlp_backprop import mlp_stack_params
from handgrad.module import Module
from handgrad.module import activation_module
from handgrad.module import flatten_module
from handgrad.module import linear_module
from handgrad.module import row_gradients
from handgrad.module import vjp_from_row_gradients
from handgrad.mynet import IMAGE_SHAPE
from handgrad.mynet import MYNET_WIDTHS
from handgrad.mynet import mynet
from handgrad.mynet import mynet_hand_grads
from handgrad.mynet import mynet_init
from handgrad.mynet import mynet_modules
from handgrad.nearest_neighbour import nearest_neighbour
from handgrad.nearest_neighbour import nearest_neighbour_objective
from handgrad.nearest_neighbour import squared_distances
from handgrad.parallel import ParallelStep
from handgrad.parallel import batch_sharding
from handgrad.parallel import data_parallel_step
from handgrad.parallel import make_mesh
from handgrad.parallel import mlp1_param_sharding
from handgrad.parallel import model_parallel_step
from handgrad.parallel import parallel_sgd_step
from handgrad.parallel import sgd_update
from handgrad.parallel import shard_batch
from handgrad.parallel import shard_mlp1_params
from handgrad.parallel import shard_shapes
from handgrad.rules import GDState
from handgrad.rules import gd
from handgrad.rules import preconditioned_gd
from handgrad.samplers import Sampler
from handgrad.samplers import SamplerState
from handgrad.samplers import full_batch
from handgrad.samplers import minibatch
from handgrad.samplers import per_sample
from handgrad.second_order import hessian
from handgrad.second_order import hvp
from handgrad.second_order import hvp_fd
from handgrad.second_order import linear_hessian
from handgrad.second_order import newton_step
from handgrad.second_order import primitive_count
from handgrad.shapes import SHAPE_RULE
from handgrad.shapes import check_gradient_shapes
from handgrad.shapes import gradient_shape
from handgrad.stack import stack_backward
from handgrad.stack import stack_backward_jacobians
from handgrad.stack import stack_cost_grads
from handgrad.stack import stack_forward
from handgrad.stack import unravel_like

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
    "ParallelStep",
    "RunState",
    "SHAPE_RULE",
    "Sampler",
    "SamplerState",
    "Trajectory",
    "activation_module",
    "average_loss",
    "backward_graph",
    "batch_sharding",
    "check_gradient_shapes",
    "check_gradients",
    "cost_module",
    "data_parallel_step",
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
    "mlp1_param_sharding",
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
    "model_parallel_step",
    "mynet",
    "mynet_hand_grads",
    "mynet_init",
    "mynet_modules",
    "nearest_neighbour",
    "nearest_neighbour_objective",
    "newton_step",
    "parallel_sgd_step",
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
    "sgd_update",
    "shard_batch",
    "shard_mlp1_params",
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
