"""Costs C(y, ȳ) for one sample and their hand-derived gradients ∂C/∂ȳ.

The lecture writes the per-sample loss as L(x, y, w) = C(y, G(x, w)); the costs
here are the C of that formula, for a single sample (``ȳ`` a vector of q outputs).

- squared error: C(y, ȳ) = ‖y − ȳ‖², so ∂C/∂ȳ = 2 (ȳ − y) (no ½: the lecture's C);
- softmax cross-entropy with an integer label y ∈ {0, …, q−1}:
  C(y, o) = log Σ_k e^{o_k} − o_y, so ∂C/∂o = softmax(o) − onehot(y).

``COSTS`` maps each name to its pair (C, ∂C/∂ȳ).

>>> import jax.numpy as jnp
>>> float(squared_error(jnp.array([1.0]), jnp.array([3.0])))
4.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_name


class Cost(NamedTuple):
    """A per-sample cost ``C(y, ȳ)`` with its gradient ``∂C/∂ȳ``."""

    C: Callable[..., jax.Array]  # (y, ȳ, axis=…): a batch's outputs along axis
    dC_dybar: Callable[..., jax.Array]


def squared_error(y: ArrayLike, ybar: ArrayLike, axis: int | None = None) -> jax.Array:
    """C(y, ȳ) = ‖y − ȳ‖² (a scalar; y and ȳ of the same shape). For a batch, one C per
    sample: the outputs along ``axis``."""
    r = jnp.asarray(y) - jnp.asarray(ybar)
    return jnp.sum(r * r, axis=axis)


def squared_error_grad(y: ArrayLike, ybar: ArrayLike, axis: int | None = None) -> jax.Array:
    """∂C/∂ȳ = 2 (ȳ − y) (elementwise: ``axis`` changes nothing)."""
    return 2 * (jnp.asarray(ybar) - jnp.asarray(y))


def softmax_cross_entropy(y: ArrayLike, o: ArrayLike, axis: int = -1) -> jax.Array:
    """C(y, o) = logsumexp(o) − o_y for an integer label ``y`` and logits ``o``. For a batch,
    one C per sample, the logits along ``axis`` (0 for samples as columns, as d2l prints them)."""
    o, y = jnp.asarray(o), jnp.asarray(y)
    if axis == -1:  # one sample or rows: o_y by indexing, the jaxpr the graph figures read
        return jax.nn.logsumexp(o, axis=-1) - jnp.take_along_axis(o, y[..., None], axis=-1)[..., 0]
    o_y = jnp.take_along_axis(o, jnp.expand_dims(y, axis), axis=axis)
    return jax.nn.logsumexp(o, axis=axis) - jnp.squeeze(o_y, axis)


def softmax_cross_entropy_grad(y: ArrayLike, o: ArrayLike, axis: int = -1) -> jax.Array:
    """∂C/∂o = softmax(o) − onehot(y), the logits along ``axis``."""
    o = jnp.asarray(o)
    onehot = jax.nn.one_hot(y, o.shape[axis], dtype=o.dtype, axis=axis)
    return jax.nn.softmax(o, axis=axis) - onehot


COSTS: dict[str, Cost] = {
    "squared_error": Cost(squared_error, squared_error_grad),
    "softmax_cross_entropy": Cost(softmax_cross_entropy, softmax_cross_entropy_grad),
}


def get_cost(name: str) -> Cost:
    """Returns the ``(C, ∂C/∂ȳ)`` pair called ``name``.

    Raises:
      ValueError: if ``name`` is not one of ``COSTS``.
    """
    check_name("loss", name, COSTS)
    return COSTS[name]
