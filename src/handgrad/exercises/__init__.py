"""d2l's exercises answered in code: memory, second derivatives, several devices, the drawn graph.

- ``memory`` (exercise 3): what training keeps against prediction, counted and measured;
  ``remat``: trading that memory for recomputation with ``jax.checkpoint``;
- ``second_order`` (exercise 4): Hessians and Hessian-vector products;
- ``parallel``, ``distributed`` (exercise 5): the step split over devices and over processes;
- ``computational_graph``, ``graph_drawing``: d2l's graph of J, read off the jaxpr and drawn.

Exercise 1 (the shape of a gradient) is ``handgrad.check.shapes``; exercise 2 (a bias in the
hidden layer) is the ``b1`` of ``handgrad.models.mlp1`` and ``handgrad.backprop.d2l``.
"""
