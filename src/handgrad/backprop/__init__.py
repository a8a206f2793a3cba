"""The hand derivations: every gradient here is written out, no autodiff inside.

- ``d2l``: d2l's formulas for the one-hidden-layer MLP, ∂J/∂o … ∂J/∂W⁽¹⁾, per sample and batched;
- ``linear``: the linear model's gradient 2/P Xᵀ(Xw − y);
- ``derivations``: the lecture's worked cases (a non-linearity, a weighted sum, a perturbation);
- ``modules``: the lecture's functional modules with their two Jacobians; ``cost_module``: where
  backprop starts;
- ``stack``: backprop through a multi-stage graph; ``fan_out``: a value feeding several modules;
- ``mlp``, ``mynet``: the deep MLP and the lecture's ``mynet`` as module stacks.
"""

# d2l's formulas for its one-hidden-layer MLP, per sample (column vectors) and batched
from handgrad.backprop.d2l import (
    MLP1Cache,
    MLP1Backward,
    mlp1_forward,
    mlp1_backward,
    mlp1_forward_batch,
    mlp1_backward_batch,
    mlp1_hand_grads,
    mlp1_hand_value_and_grad,
    mlp1_sample_hand_grads,
)

# the lecture's linear model
from handgrad.backprop.linear import linear_hand_grad

# the lecture's worked cases
from handgrad.backprop.derivations import through_nonlinearity, through_weighted_sum, perturbation

# functional modules with their two Jacobians, and the cost module that starts backprop
from handgrad.backprop.modules import (
    Module,
    linear_module,
    activation_module,
    flatten_module,
    row_gradients,
    vjp_from_row_gradients,
)
from handgrad.backprop.cost_module import CostModule, cost_module

# multi-stage graphs: a stack of modules, and a value feeding several
from handgrad.backprop.stack import (
    stack_forward,
    stack_backward,
    stack_backward_jacobians,
    stack_cost_grads,
    unravel_like,
)
from handgrad.backprop.fan_out import Node, graph_forward, graph_backward

# the deep MLP and mynet as module stacks
from handgrad.backprop.mlp import (
    mlp_modules,
    mlp_stack_params,
    mlp_forward_batch,
    mlp_hand_grads,
    mlp_hand_value_and_grad,
)
from handgrad.backprop.mynet import mynet_modules, mynet_hand_grads

__all__ = (
    "MLP1Cache",
    "MLP1Backward",
    "mlp1_forward",
    "mlp1_backward",
    "mlp1_forward_batch",
    "mlp1_backward_batch",
    "mlp1_hand_grads",
    "mlp1_hand_value_and_grad",
    "mlp1_sample_hand_grads",
    "linear_hand_grad",
    "through_nonlinearity",
    "through_weighted_sum",
    "perturbation",
    "Module",
    "linear_module",
    "activation_module",
    "flatten_module",
    "row_gradients",
    "vjp_from_row_gradients",
    "CostModule",
    "cost_module",
    "stack_forward",
    "stack_backward",
    "stack_backward_jacobians",
    "stack_cost_grads",
    "unravel_like",
    "Node",
    "graph_forward",
    "graph_backward",
    "mlp_modules",
    "mlp_stack_params",
    "mlp_forward_batch",
    "mlp_hand_grads",
    "mlp_hand_value_and_grad",
    "mynet_modules",
    "mynet_hand_grads",
)
