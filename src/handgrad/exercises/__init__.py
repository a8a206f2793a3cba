"""d2l's exercises answered in code: memory, second derivatives, several devices, the drawn graph.

- ``memory`` (exercise 3): what training keeps against prediction, counted and measured;
  ``remat``: trading that memory for recomputation with ``jax.checkpoint``;
- ``second_order`` (exercise 4): Hessians and Hessian-vector products;
- ``parallel``, ``distributed`` (exercise 5): the step split over devices and over processes;
- ``computational_graph``, ``graph_drawing``: d2l's graph of J, read off the jaxpr and drawn
  (``text_graph``, ``scope_graph``: at the level of the text, one operator per named scope;
  ``edge_routing``: edges clear of the nodes they do not join);
  ``block_diagrams``: the lecture's figures of a model, its losses and a stack of modules.

Exercise 1 (the shape of a gradient) is ``handgrad.check.shapes``; exercise 2 (a bias in the
hidden layer) is the ``b1`` of ``handgrad.models.mlp1`` and ``handgrad.backprop.d2l``.
"""

# exercise 3: memory, counted and measured; remat
from handgrad.exercises.memory import (
    mlp_memory,
    MemoryFootprint,
    measure_mlp_memory,
    MemoryReport,
    residual_bytes,
    xla_memory,
)
from handgrad.exercises.remat import remat_objective, scan_objective

# exercise 4: second derivatives
from handgrad.exercises.second_order import (
    hessian,
    hvp,
    hvp_fd,
    linear_hessian,
    newton_step,
    primitive_count,
)

# exercise 5: inputs placed on a device mesh (the processes: handgrad.exercises.distributed)
from handgrad.exercises.parallel import (
    make_mesh,
    batch_sharding,
    param_sharding,
    shard_batch,
    shard_params,
    shard_shapes,
)

# the computational graph, from the jaxpr to an image
from handgrad.exercises.computational_graph import trace_graph, backward_graph, ComputationGraph
from handgrad.exercises.graph_drawing import draw_graph, draw_forward_backward, layout
from handgrad.exercises.text_graph import d2l_formulas

# the lecture's block diagrams, drawn with the same boxes and circles
from handgrad.exercises.block_diagrams import (
    parametrised_model_diagram,
    average_loss_diagram,
    traditional_net_diagram,
    module_stack_diagram,
)

__all__ = (
    "mlp_memory",
    "MemoryFootprint",
    "measure_mlp_memory",
    "MemoryReport",
    "residual_bytes",
    "xla_memory",
    "remat_objective",
    "scan_objective",
    "hessian",
    "hvp",
    "hvp_fd",
    "linear_hessian",
    "newton_step",
    "primitive_count",
    "make_mesh",
    "batch_sharding",
    "param_sharding",
    "shard_batch",
    "shard_params",
    "shard_shapes",
    "trace_graph",
    "backward_graph",
    "ComputationGraph",
    "draw_graph",
    "draw_forward_backward",
    "layout",
    "d2l_formulas",
    "parametrised_model_diagram",
    "average_loss_diagram",
    "traditional_net_diagram",
    "module_stack_diagram",
)
