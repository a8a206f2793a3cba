"""Gradient descent, compiled: update rules, which samples a step sees, the loop, gradient-free estimates.

- ``rules``: w ← w − η g with a scalar or a positive semi-definite matrix η (optax transformations);
- ``samplers``: full batch, one sample (the lecture's SGD), shuffled minibatches;
- ``loop``: the training loop as one ``lax.scan`` under ``jit``;
- ``gradient_free``: finite differences and random directions, from values of J alone;
- ``landscape``: the loss over two parameters, for contour plots.
"""
