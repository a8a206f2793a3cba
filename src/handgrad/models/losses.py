"""From a model and a cost to the objective: L(x, y, w), L(S, w), s and J = L + s.

The lecture's two losses, written exactly as stated:

- per-sample loss  L(x, y, w) = C(y, G(x, w));
- average loss     L(S, w) = 1/P Σ_p L(x[p], y[p], w), the mean of the per-sample
  loss mapped over the set S with ``jax.vmap``.

d2l adds the L2 penalty s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F) and minimises J = L + s. Over a
batch, s is added once to the average loss, not once per sample.

>>> import jax.numpy as jnp
>>> from handgrad.models.costs import squared_error
>>> from handgrad.models.linear import linear
>>> L = per_sample_loss(linear, squared_error)
>>> L_S = average_loss(L)
>>> float(L_S(jnp.eye(2), jnp.array([1.0, 2.0]), jnp.array([1.0, 1.0])))
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

ModelFunction = Callable[[jax.Array, Any], jax.Array]  # G(x, w)
CostFunction = Callable[[jax.Array, jax.Array], jax.Array]  # C(y, ȳ)
SampleLoss = Callable[[jax.Array, jax.Array, Any], jax.Array]  # L(x, y, w)
SetLoss = Callable[[jax.Array, jax.Array, Any], jax.Array]  # L(S, w) with S = (X, Y)


def per_sample_loss(G: ModelFunction, C: CostFunction) -> SampleLoss:
    """Returns L(x, y, w) = C(y, G(x, w)) for one sample (x, y)."""

    def L(x: jax.Array, y: jax.Array, w: Any) -> jax.Array:
        return C(y, G(x, w))

    return L


def average_loss(L: SampleLoss) -> SetLoss:
    """Returns L(S, w) = 1/P Σ_p L(x[p], y[p], w) for S given as arrays (X, Y).

    The per-sample loss is mapped over the leading axis of X and Y with ``jax.vmap``;
    the parameters w are shared by every sample (``in_axes=None``).
    """

    def L_S(X: jax.Array, Y: jax.Array, w: Any) -> jax.Array:
        with jax.named_scope("L=l"):  # d2l's loss term, one operator l in its graph
            return jnp.mean(jax.vmap(L, in_axes=(0, 0, None))(X, Y, w))

    return L_S


def l2_penalty(weights: Iterable[ArrayLike], lam: ArrayLike) -> jax.Array:
    """s = λ/2 Σ_W ‖W‖²_F over the given weight matrices (biases are not passed in).

    Args:
      weights: the matrices to penalise, e.g. ``[W1, W2]``.
      lam: the penalty weight λ ≥ 0.

    Returns:
      The scalar s, in the dtype of the weights.
    """
    weights = [jnp.asarray(W) for W in weights]
    with jax.named_scope("s=λ/2‖·‖²"):  # d2l's penalty term, one operator in its graph
        total = sum(jnp.sum(W * W) for W in weights)
        return jnp.asarray(lam, dtype=total.dtype) / 2 * total
