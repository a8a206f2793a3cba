"""The hand derivations: every gradient here is written out, no autodiff inside.

- ``d2l``: d2l's formulas for the one-hidden-layer MLP, ∂J/∂o … ∂J/∂W⁽¹⁾, per sample and batched;
- ``linear``: the linear model's gradient 2/P Xᵀ(Xw − y);
- ``derivations``: the lecture's worked cases (a non-linearity, a weighted sum, a perturbation);
- ``modules``: the lecture's functional modules with their two Jacobians; ``cost_module``: where
  backprop starts;
- ``stack``: backprop through a multi-stage graph; ``fan_out``: a value feeding several modules;
- ``mlp``, ``mynet``: the deep MLP and the lecture's ``mynet`` as module stacks.
"""
