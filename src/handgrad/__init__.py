"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.
"""

from handgrad.models.activations import ACTIVATIONS
from handgrad.models.activations import Activation
from handgrad.models.activations import get_activation
from handgrad.backprop.cost_module import CostModule
from handgrad.backprop.cost_module import cost_module
from handgrad.models.costs import COSTS
from handgrad.models.costs import Cost
from handgrad.models.costs import get_cost
from handgrad.models.costs import softmax_cross_entropy
from handgrad.models.costs import softmax_cross_entropy_grad
from handgrad.models.costs import squared_error
from handgrad.models.costs import squared_error_grad
from handgrad.backprop.derivations import perturbation
from handgrad.backprop.derivations import through_nonlinearity
from handgrad.backprop.derivations import through_weighted_sum
from handgrad.check.gradcheck import GradCheckReport
from handgrad.check.gradcheck import GradientCheckError
from handgrad.check.gradcheck import KinkWarning
from handgrad.check.gradcheck import LeafReport
from handgrad.check.gradcheck import check_gradients
from handgrad.optim.gradient_free import Estimator
from handgrad.optim.gradient_free import finite_difference
from handgrad.optim.gradient_free import random_directions
from handgrad.backprop.fan_out import Node
from handgrad.backprop.fan_out import graph_backward
from handgrad.backprop.fan_out import graph_forward
from handgrad.exercises.graph_drawing import draw_forward_backward
from handgrad.exercises.graph_drawing import draw_graph
from handgrad.exercises.computational_graph import ComputationGraph
from handgrad.exercises.computational_graph import backward_graph
from handgrad.exercises.computational_graph import trace_graph
from handgrad.optim.landscape import loss_surface
from handgrad.models.linear import linear
from handgrad.backprop.linear import linear_hand_grad
from handgrad.models.linear import linear_init
from handgrad.models.linear import linear_objective
from handgrad.optim.loop import RunState
from handgrad.optim.loop import Trajectory
from handgrad.optim.loop import init_run
from handgrad.optim.loop import run
from handgrad.optim.loop import run_gd
from handgrad.optim.loop import run_sgd
from handgrad.optim.loop import run_steps
from handgrad.models.losses import average_loss
from handgrad.models.losses import l2_penalty
from handgrad.models.losses import per_sample_loss
from handgrad.exercises.memory import MemoryFootprint
from handgrad.exercises.memory import mlp_memory
from handgrad.exercises.memory import MemoryReport
from handgrad.exercises.memory import measure_mlp_memory
from handgrad.exercises.remat import remat_objective
from handgrad.exercises.memory import residual_bytes
from handgrad.exercises.remat import scan_objective
from handgrad.exercises.memory import xla_memory
from handgrad.models.mlp import mlp
from handgrad.models.mlp import mlp_init
from handgrad.models.mlp import mlp_objective
from handgrad.models.mlp1 import mlp1
from handgrad.models.mlp1 import mlp1_init
from handgrad.models.mlp1 import mlp1_objective
from handgrad.models.mlp1 import mlp1_sample_objective
from handgrad.backprop.d2l import MLP1Backward
from handgrad.backprop.d2l import MLP1Cache
from handgrad.backprop.d2l import mlp1_backward
from handgrad.backprop.d2l import mlp1_backward_batch
from handgrad.backprop.d2l import mlp1_forward
from handgrad.backprop.d2l import mlp1_forward_batch
from handgrad.backprop.d2l import mlp1_hand_grads
from handgrad.backprop.d2l import mlp1_hand_value_and_grad
from handgrad.backprop.d2l import mlp1_sample_hand_grads
from handgrad.backprop.mlp import mlp_forward_batch
from handgrad.backprop.mlp import mlp_hand_grads
from handgrad.backprop.mlp import mlp_hand_value_and_grad
from handgrad.backprop.mlp import mlp_modules
from handgrad.backprop.mlp import mlp_stack_params
from handgrad.backprop.modules import Module
from handgrad.backprop.modules import activation_module
from handgrad.backprop.modules import flatten_module
from handgrad.backprop.modules import linear_module
from handgrad.backprop.modules import row_gradients
from handgrad.backprop.modules import vjp_from_row_gradients
from handgrad.models.mynet import IMAGE_SHAPE
from handgrad.models.mynet import MYNET_WIDTHS
from handgrad.models.mynet import mynet
from handgrad.backprop.mynet import mynet_hand_grads
from handgrad.models.mynet import mynet_init
from handgrad.backprop.mynet import mynet_modules
from handgrad.models.nearest_neighbour import nearest_neighbour
from handgrad.models.nearest_neighbour import nearest_neighbour_objective
from handgrad.models.nearest_neighbour import squared_distances
from handgrad.exercises.parallel import ParallelStep
from handgrad.exercises.parallel import batch_sharding
from handgrad.exercises.parallel import data_parallel_step
from handgrad.exercises.parallel import make_mesh
from handgrad.exercises.parallel import mlp1_param_sharding
from handgrad.exercises.parallel import model_parallel_step
from handgrad.exercises.parallel import parallel_sgd_step
from handgrad.exercises.parallel import sgd_update
from handgrad.exercises.parallel import shard_batch
from handgrad.exercises.parallel import shard_mlp1_params
from handgrad.exercises.parallel import shard_shapes
from handgrad.optim.rules import GDState
from handgrad.optim.rules import gd
from handgrad.optim.rules import preconditioned_gd
from handgrad.optim.samplers import Sampler
from handgrad.optim.samplers import SamplerState
from handgrad.optim.samplers import full_batch
from handgrad.optim.samplers import minibatch
from handgrad.optim.samplers import per_sample
from handgrad.exercises.second_order import hessian
from handgrad.exercises.second_order import hvp
from handgrad.exercises.second_order import hvp_fd
from handgrad.exercises.second_order import linear_hessian
from handgrad.exercises.second_order import newton_step
from handgrad.exercises.second_order import primitive_count
from handgrad.check.shapes import SHAPE_RULE
from handgrad.check.shapes import check_gradient_shapes
from handgrad.check.shapes import gradient_shape
from handgrad.backprop.stack import stack_backward
from handgrad.backprop.stack import stack_backward_jacobians
from handgrad.backprop.stack import stack_cost_grads
from handgrad.backprop.stack import stack_forward
from handgrad.backprop.stack import unravel_like

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
