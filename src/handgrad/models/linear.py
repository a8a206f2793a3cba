"""The lecture's linear model ȳ = Σ_i w_i x_i and its hand gradient under squared error.

Per sample, with x ∈ ℝ^d:

- scalar output: w ∈ ℝ^d and ȳ = wᵀx;
- vector output: W ∈ ℝ^{q×d} and ȳ = W x (row k of W is the weight vector of output k).

Under the squared-error cost C(y, ȳ) = ‖y − ȳ‖², the average loss over P samples stacked
as the rows of X ∈ ℝ^{P×d} (row-major batches, as in code) is ``linear_objective``; its hand
gradient is ``handgrad.backprop.linear``.

>>> import jax.numpy as jnp
>>> float(linear(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0])))
11.0
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import (
    check_dim,
    check_dtype_available,
    check_floating,
    check_ndim,
    check_same_dtype,
)
from handgrad.models.costs import squared_error
from handgrad.models.losses import average_loss, per_sample_loss


def linear(x: ArrayLike, w: ArrayLike) -> jax.Array:
    """G(x, w) = Σ_i w_i x_i for one sample; ``w`` of shape (d,) or (q, d).

    Returns:
      A scalar when ``w`` is a vector, a vector of q outputs when ``w`` is a matrix.
    """
    with jax.named_scope("o=×"):  # one operator, output o, in the text-level graph
        return jnp.asarray(w) @ jnp.asarray(x)


def linear_init(key: jax.Array, d: int, q: int | None = None, dtype=jnp.float32) -> jax.Array:
    """Draws w ~ N(0, 1/d): shape (d,) for a scalar output or (q, d) for q outputs."""
    check_dtype_available(dtype)
    shape = (d,) if q is None else (q, d)
    return jax.random.normal(key, shape, dtype) / jnp.sqrt(jnp.asarray(d, dtype))


def as_linear_inputs(
    w: ArrayLike, X: ArrayLike, Y: ArrayLike
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Arrays (w, X, Y), checked to fit: X (P, d), and Y (P,) for w (d,) or (P, q) for W (q, d).

    Raises:
      ValueError: naming what was expected and what was given.
    """
    w, X, Y = jnp.asarray(w), jnp.asarray(X), jnp.asarray(Y)
    check_floating("w", w)
    check_ndim("X", X, 2, "(P, d)")
    check_same_dtype("X", X, "w", w)
    check_dim("X.shape[1]", X.shape[1], w.shape[-1], f"w of shape {tuple(w.shape)}")
    if w.ndim == 1:
        check_ndim("Y", Y, 1, "(P,) for a scalar-output w of shape (d,)")
    elif w.ndim == 2:
        check_ndim("Y", Y, 2, "(P, q) for a vector-output W of shape (q, d)")
        check_dim("Y.shape[1]", Y.shape[1], w.shape[0], f"W of shape {tuple(w.shape)}")
    else:
        raise ValueError(f"w must have shape (d,) or (q, d), got shape {tuple(w.shape)}")
    check_dim("Y.shape[0]", Y.shape[0], X.shape[0], "X.shape[0] (one target per sample)")
    check_same_dtype("Y", Y, "w", w)
    return w, X, Y


def linear_objective(w: ArrayLike, X: ArrayLike, Y: ArrayLike) -> jax.Array:
    """L(S, w) = 1/P Σ_p ‖y[p] − G(x[p], w)‖², the lecture's average loss (via ``vmap``)."""
    w, X, Y = as_linear_inputs(w, X, Y)
    return average_loss(per_sample_loss(linear, squared_error))(X, Y, w)
