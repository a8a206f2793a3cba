"""d2l's one-hidden-layer MLP: z = W⁽¹⁾x (+ b⁽¹⁾), h = φ(z), o = W⁽²⁾h, and J = L + s.

Shapes follow the text's column vectors: for one sample x ∈ ℝ^d, W⁽¹⁾ ∈ ℝ^{h×d},
b⁽¹⁾ ∈ ℝ^h (optional, the text's exercise 2), W⁽²⁾ ∈ ℝ^{q×h}, o ∈ ℝ^q. Parameters are
a plain dict ``{"W1": (h, d), "W2": (q, h)}``, plus ``"b1": (h,)`` when the hidden
bias is on. The bias is not penalised: s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F).

This is the MLP of ``handgrad.models.mlp`` with widths [d, h, q] and no output bias, under
d2l's names: ``mlp1_layers`` and ``mlp1_params`` translate, and its init, checks, forward
pass and objective are the MLP's. d2l's hand formulas are ``handgrad.backprop.d2l``.

>>> import jax, jax.numpy as jnp
>>> params = mlp1_init(jax.random.key(0), d=4, h=8, q=3, dtype=jnp.float32)
>>> mlp1(jnp.ones(4, jnp.float32), params).shape
(3,)
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_keys, check_lam, check_positive_int
from handgrad.models.mlp import Layer, as_mlp_inputs, layers_objective, mlp, mlp_init

Params = dict[str, jax.Array]

_D2L_NAMES = {("W", 0): ("W1", "(h, d)"), ("b", 0): ("b1", "(h,)"), ("W", 1): ("W2", "(q, h)")}


def d2l_names(k: int, leaf: str) -> tuple[str, str]:
    """d2l's name and layout of the MLP's leaf (layer k, "W" or "b"): W1 (h, d), b1 (h,), W2 (q, h)."""
    return _D2L_NAMES[leaf, k]


def mlp1_layers(params: Mapping[str, ArrayLike]) -> list[Layer]:
    """d2l's ``{"W1", "W2", "b1"}`` as the MLP's layers ``[{"W": W1, "b": b1}, {"W": W2}]``.

    Raises:
      ValueError: if ``params`` is not a dict of W1, W2 and optionally b1.
    """
    check_keys("params", params, {"W1", "W2"}, {"b1"})
    hidden = {"W": params["W1"], **({"b": params["b1"]} if "b1" in params else {})}
    return [hidden, {"W": params["W2"]}]


def mlp1_params(layers: list[Layer]) -> Params:
    """The MLP's two layers back under d2l's names (the inverse of ``mlp1_layers``)."""
    params = {"W1": layers[0]["W"], "W2": layers[1]["W"]}
    if "b" in layers[0]:
        params["b1"] = layers[0]["b"]
    return params


def mlp1_init(
    key: jax.Array, d: int, h: int, q: int, *, bias: bool = False, dtype=jnp.float32
) -> Params:
    """``mlp_init`` for widths [d, h, q]: W⁽¹⁾ ~ N(0, 1/d), W⁽²⁾ ~ N(0, 1/h); b⁽¹⁾ = 0 when ``bias``.

    Args:
      key: a PRNG key; the same key gives the same parameters.
      d, h, q: input, hidden and output widths.
      bias: whether to add the hidden bias b⁽¹⁾.
      dtype: floating dtype of every leaf.
    """
    for name, n in (("d", d), ("h", h), ("q", q)):
        check_positive_int(name, n)
    params = mlp1_params(mlp_init(key, [d, h, q], bias=False, dtype=dtype))
    if bias:
        params["b1"] = jnp.zeros((h,), dtype)
    return params


def as_mlp1_inputs(
    params: Mapping[str, ArrayLike], X: ArrayLike, Y: ArrayLike, activation: str, loss: str
) -> tuple[Params, jax.Array, jax.Array]:
    """The MLP's checks of names, keys, shapes and dtypes, in d2l's names: (params, X, Y).

    Raises:
      ValueError: naming what was expected and what was given.
    """
    layers, X, Y = as_mlp_inputs(mlp1_layers(params), X, Y, activation, loss, names=d2l_names)
    return mlp1_params(layers), X, Y


def mlp1(x: ArrayLike, params: Mapping[str, jax.Array], *, activation: str = "relu") -> jax.Array:
    """G(x, w) = W⁽²⁾ φ(W⁽¹⁾x + b⁽¹⁾) for one sample x ∈ ℝ^d (column-vector convention).

    The MLP's forward pass, kept apart from ``handgrad.backprop.d2l.mlp1_forward`` (which
    stores z, h, o for the hand backward) so that ``jax.grad`` of ``mlp1_objective`` is an
    oracle independent of the code it checks.
    """
    return mlp(x, mlp1_layers(params), activation=activation)


def mlp1_objective(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> jax.Array:
    """J = 1/P Σ_p C(y[p], G(x[p], w)) + λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F).

    The average loss is the per-sample loss mapped with ``vmap``; s is added once.

    Args:
      params: ``{"W1": (h, d), "W2": (q, h)}`` and optionally ``"b1": (h,)``.
      X: inputs, one sample per row, shape (P, d).
      Y: integer labels (P,) for softmax cross-entropy, targets (P, q) for squared error.
      lam: the penalty weight λ ≥ 0 (0: no penalty).
      activation: a name from ``handgrad.models.ACTIVATIONS``.
      loss: a name from ``handgrad.models.COSTS``.

    Returns:
      The scalar objective J.

    Raises:
      ValueError: on an unknown name, a wrong shape or dtype, or labels out of range.
    """
    check_lam(lam)
    layers, X, Y = as_mlp_inputs(mlp1_layers(params), X, Y, activation, loss, names=d2l_names)
    return layers_objective(layers, X, Y, lam=lam, activation=activation, loss=loss)


def mlp1_sample_objective(
    params: Mapping[str, ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> jax.Array:
    """d2l's J = l(o, y) + s for a single sample, exactly as the text defines it."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    return mlp1_objective(params, x[None], y[None], lam=lam, activation=activation, loss=loss)
