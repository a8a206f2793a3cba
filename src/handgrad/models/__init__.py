"""The models and what they are scored by: G(x, w), the cost C(y, ȳ), the losses L and J.

- ``activations``: the point-wise non-linearities φ and their derivatives φ′;
- ``costs``: per-sample costs C(y, ȳ) and ∂C/∂ȳ (squared error, softmax cross-entropy);
- ``losses``: L(x, y, w) = C(y, G(x, w)), the average loss L(S, w), d2l's penalty s;
- ``linear``, ``nearest_neighbour``: the lecture's two first models;
- ``mlp``: the MLP of any depth (the lecture's traditional neural net); ``mlp1``: d2l's
  one-hidden-layer MLP; ``mynet``: the lecture's PyTorch ``mynet``.
"""
