"""d2l's one-hidden-layer MLP: z = W⁽¹⁾x (+ b⁽¹⁾), h = φ(z), o = W⁽²⁾h, and J = L + s.

Shapes follow the text's column vectors: for one sample x ∈ ℝ^d, W⁽¹⁾ ∈ ℝ^{h×d},
b⁽¹⁾ ∈ ℝ^h (optional, the text's exercise 2), W⁽²⁾ ∈ ℝ^{q×h}, o ∈ ℝ^q. Parameters are
a plain dict ``{"W1": (h, d), "W2": (q, h)}``, plus ``"b1": (h,)`` when the hidden
bias is on. The bias is not penalised: s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F).

The model is written for one sample, ``mlp1(x, params)``, the lecture's G(x, w);
batches go through ``jax.vmap`` (see ``handgrad.models.losses``).

>>> import jax, jax.numpy as jnp
>>> params = mlp1_init(jax.random.key(0), d=4, h=8, q=3, dtype=jnp.float32)
>>> mlp1(jnp.ones(4, jnp.float32), params).shape
(3,)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import (
    check_batch,
    check_dim,
    check_floating,
    check_keys,
    check_lam,
    check_ndim,
    check_same_dtype,
)
from handgrad.models.activations import get_activation
from handgrad.models.costs import get_cost
from handgrad.models.losses import average_loss, l2_penalty, per_sample_loss

Params = dict[str, jax.Array]


def mlp1_init(
    key: jax.Array, d: int, h: int, q: int, *, bias: bool = False, dtype=jnp.float32
) -> Params:
    """Draws W⁽¹⁾ ~ N(0, 1/d) and W⁽²⁾ ~ N(0, 1/h); b⁽¹⁾ = 0 when ``bias``.

    Args:
      key: a PRNG key; the same key gives the same parameters.
      d, h, q: input, hidden and output widths.
      bias: whether to add the hidden bias b⁽¹⁾.
      dtype: floating dtype of every leaf.
    """
    for name, n in (("d", d), ("h", h), ("q", q)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    k1, k2 = jax.random.split(key)
    params = {
        "W1": jax.random.normal(k1, (h, d), dtype) / jnp.sqrt(jnp.asarray(d, dtype)),
        "W2": jax.random.normal(k2, (q, h), dtype) / jnp.sqrt(jnp.asarray(h, dtype)),
    }
    if bias:
        params["b1"] = jnp.zeros((h,), dtype)
    return params


def as_mlp1_inputs(
    params: Mapping[str, ArrayLike], X: ArrayLike, Y: ArrayLike, activation: str, loss: str
) -> tuple[Params, jax.Array, jax.Array]:
    """Converts to arrays and validates names, keys, shapes and dtypes of a batch.

    Raises:
      ValueError: naming what was expected and what was given.
    """
    get_activation(activation)
    get_cost(loss)
    check_keys("params", params, {"W1", "W2"}, {"b1"})
    p = {k: jnp.asarray(v) for k, v in params.items()}
    W1, W2 = p["W1"], p["W2"]
    check_floating("W1", W1)
    check_ndim("W1", W1, 2, "(h, d)")
    check_ndim("W2", W2, 2, "(q, h)")
    check_same_dtype("W2", W2, "W1", W1)
    check_dim("W2.shape[1]", W2.shape[1], W1.shape[0], f"W1 of shape {tuple(W1.shape)}")
    if "b1" in p:
        check_ndim("b1", p["b1"], 1, "(h,)")
        check_dim("b1", p["b1"].shape[0], W1.shape[0], f"W1 of shape {tuple(W1.shape)}")
        check_same_dtype("b1", p["b1"], "W1", W1)
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    d, q = W1.shape[1], W2.shape[0]
    check_batch(X, Y, d, q, loss, W1.dtype, f"W1 of shape {tuple(W1.shape)}")
    return p, X, Y


def mlp1(x: ArrayLike, params: Mapping[str, jax.Array], *, activation: str = "relu") -> jax.Array:
    """G(x, w) = W⁽²⁾ φ(W⁽¹⁾x + b⁽¹⁾) for one sample x ∈ ℝ^d (column-vector convention).

    Kept apart from ``mlp1_forward`` (which stores z, h, o for the hand backward) so that
    ``jax.grad`` of ``mlp1_objective`` is an oracle independent of the code it checks.
    """
    phi = get_activation(activation).phi
    z = params["W1"] @ x
    if "b1" in params:
        z = z + params["b1"]
    return params["W2"] @ phi(z)


def mlp1_objective(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> jax.Array:
    """J = 1/P Σ_p C(y[p], G(x[p], w)) + λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F).

    The average loss is the per-sample loss mapped with ``vmap``; s is added once.

    Args:
      params: ``{"W1": (h, d), "W2": (q, h)}`` and optionally ``"b1": (h,)``.
      X: inputs, one sample per row, shape (P, d).
      Y: integer labels (P,) for softmax cross-entropy, targets (P, q) for squared error.
      lam: the penalty weight λ ≥ 0.
      activation: a name from ``handgrad.ACTIVATIONS``.
      loss: a name from ``handgrad.COSTS``.

    Returns:
      The scalar objective J.

    Raises:
      ValueError: on an unknown name, a wrong shape or dtype, or labels out of range.
    """
    check_lam(lam)
    p, X, Y = as_mlp1_inputs(params, X, Y, activation, loss)
    G = partial(mlp1, activation=activation)
    L = average_loss(per_sample_loss(G, get_cost(loss).C))(X, Y, p)
    return L + l2_penalty([p["W1"], p["W2"]], lam)


def mlp1_sample_objective(
    params: Mapping[str, ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    *,
    lam: ArrayLike,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> jax.Array:
    """d2l's J = l(o, y) + s for a single sample, exactly as the text defines it."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    return mlp1_objective(params, x[None], y[None], lam=lam, activation=activation, loss=loss)
