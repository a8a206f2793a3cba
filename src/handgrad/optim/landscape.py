"""The loss as a surface over two parameters: what the lecture's Figure 3 draws.

For a model with two parameters w = (w₁, w₂), ``loss_surface`` evaluates L(S, w) on a
grid, mapped with ``jax.vmap`` over both axes in one compiled call, ready for
``matplotlib``'s ``contour(w1, w2, surface)``.

>>> import jax.numpy as jnp
>>> f = lambda w: w[0] ** 2 + 10 * w[1] ** 2
>>> loss_surface(f, jnp.array([0.0, 1.0]), jnp.array([0.0, 1.0, 2.0])).tolist()
[[0.0, 1.0], [10.0, 11.0], [40.0, 41.0]]
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_ndim


def loss_surface(
    objective: Callable[..., jax.Array], w1: ArrayLike, w2: ArrayLike, *args
) -> jax.Array:
    """``objective(w, *args)`` at every w = (w1[j], w2[i]) of the grid.

    Args:
      objective: a scalar function of a parameter vector of length 2 (and ``args``).
      w1, w2: the grid's coordinates along each parameter, 1-D.
      *args: passed on, e.g. the data (X, Y).

    Returns:
      An array of shape (len(w2), len(w1)): row i is w₂ = w2[i], as ``contour`` expects.

    Raises:
      ValueError: if w1 or w2 is not 1-D, or the objective is not scalar.
    """
    w1, w2 = jnp.asarray(w1), jnp.asarray(w2)
    check_ndim("w1", w1, 1, "(n1,)")
    check_ndim("w2", w2, 1, "(n2,)")
    probe = jax.eval_shape(objective, jnp.stack([w1[0], w2[0]]), *args)
    if probe.shape != ():
        raise ValueError(f"objective must return a scalar, got shape {probe.shape}")

    def at(a, b):
        return objective(jnp.stack([a, b]), *args)

    return jax.jit(jax.vmap(jax.vmap(at, in_axes=(0, None)), in_axes=(None, 0)))(w1, w2)
