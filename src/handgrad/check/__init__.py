"""Proving a hand gradient right: the checker, the shape rule, and the grid behind ``handgrad verify``.

- ``gradcheck``: a hand gradient against ``jax.grad``, ``jax.vjp``, ``jax.jvp`` and finite differences;
- ``shapes``: d2l's exercise 1, a gradient has the shape of what it differentiates;
- ``verify``: every hand gradient of the library, checked case by case.
"""
