"""The MLP of any widths and depth: the lecture's "traditional neural net".

Linear blocks s_{k+1} = W_k z_k + b_k alternate with point-wise non-linearities
z_{k+1} = h(s_{k+1}); the last linear block gives the output (no non-linearity after it).
Parameters are a list of layer dicts ``{"W": (n_out, n_in), "b": (n_out,)}``, with ``"b"``
optional per layer. The objective is J = 1/P Σ_p C(y[p], G(x[p], w)) + λ/2 Σ_k ‖W_k‖²_F
(biases are not penalised), the d2l objective for any depth. d2l's one-hidden-layer MLP
(``handgrad.models.mlp1``) is this model with two layers, under d2l's names.

>>> import jax, jax.numpy as jnp
>>> params = mlp_init(jax.random.key(0), [4, 8, 8, 3], dtype=jnp.float32)
>>> [layer["W"].shape for layer in params]
[(8, 4), (8, 8), (3, 8)]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import (
    as_int,
    check_batch,
    check_dim,
    check_dtype_available,
    check_floating,
    check_keys,
    check_lam,
    check_ndim,
    check_same_dtype,
)
from handgrad.models.activations import get_activation
from handgrad.models.costs import get_cost
from handgrad.models.losses import average_loss, l2_penalty, per_sample_loss

Layer = dict[str, jax.Array]
INITS = ("normal", "torch")

# How error messages name the leaves: (layer k, "W" or "b") → (name, layout).
LeafNames = Callable[[int, str], tuple[str, str]]


def layer_names(k: int, leaf: str) -> tuple[str, str]:
    """``params[k]['W']`` of layout (n_out, n_in), ``params[k]['b']`` of layout (n_out,)."""
    return f"params[{k}][{leaf!r}]", "(n_out, n_in)" if leaf == "W" else "(n_out,)"


def _check_widths(widths) -> list[int]:
    """The widths as Python ints; ``ValueError`` unless two or more positive integers."""
    expected = f"widths must be two or more positive integers, got {widths!r}"
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Iterable):
        raise ValueError(expected)
    given = list(widths)
    if len(given) < 2:
        raise ValueError(expected)
    try:
        return [as_int(f"widths[{k}]", n) for k, n in enumerate(given)]
    except ValueError as e:
        raise ValueError(f"{expected} ({e})") from None


def mlp_init(
    key: jax.Array,
    widths: Sequence[int],
    *,
    bias: bool = True,
    dtype=jnp.float32,
    init: str = "normal",
) -> list[Layer]:
    """Initial parameters for widths [n_0, n_1, …, n_L] (input, hidden…, output).

    Layer k draws from ``jax.random.split(key, L)[k]``.

    Args:
      key: a PRNG key.
      widths: at least two positive widths (Python or NumPy integers).
      bias: whether every layer has a bias.
      dtype: floating dtype of every leaf.
      init: "normal" draws W ~ N(0, 1/n_in) and b = 0; "torch" draws W and b from
        U(−1/√n_in, 1/√n_in), as PyTorch's ``nn.Linear`` does.
    """
    check_dtype_available(dtype)
    widths = _check_widths(widths)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
    layers = []
    for k, (n_in, n_out) in zip(jax.random.split(key, len(widths) - 1), itertools.pairwise(widths)):
        if init == "torch":
            kW, kb = jax.random.split(k)
            bound = 1 / n_in**0.5
            layer = {"W": jax.random.uniform(kW, (n_out, n_in), dtype, -bound, bound)}
            if bias:
                layer["b"] = jax.random.uniform(kb, (n_out,), dtype, -bound, bound)
        else:
            scale = jnp.sqrt(jnp.asarray(n_in, dtype))
            layer = {"W": jax.random.normal(k, (n_out, n_in), dtype) / scale}
            if bias:
                layer["b"] = jnp.zeros((n_out,), dtype)
        layers.append(layer)
    return layers


def check_mlp_params(params: Sequence[Layer], *, names: LeafNames = layer_names) -> list[Layer]:
    """Converts to arrays and checks that the layers chain: returns the layer list.

    Args:
      params: the layer dicts.
      names: how messages name a leaf; ``handgrad.models.mlp1`` passes d2l's W1, b1, W2.

    Raises:
      ValueError: naming the leaf and what was expected.
    """
    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError(
            "params must be a non-empty list of layer dicts {'W': (n_out, n_in), 'b': (n_out,)}, "
            f"got {type(params).__name__}"
        )
    layers = []
    for k, layer in enumerate(params):
        check_keys(f"params[{k}]", layer, {"W"}, {"b"})
        layer = {leaf: jnp.asarray(v) for leaf, v in layer.items()}
        (W_name, W_layout), W = names(k, "W"), layer["W"]
        check_floating(W_name, W)
        check_ndim(W_name, W, 2, W_layout)
        if k:
            prev_name, prev = names(k - 1, "W")[0], layers[-1]["W"]
            check_same_dtype(W_name, W, names(0, "W")[0], layers[0]["W"])
            check_dim(
                f"{W_name}.shape[1]", W.shape[1], prev.shape[0],
                f"{prev_name} of shape {tuple(prev.shape)}",
            )  # fmt: skip
        if "b" in layer:
            (b_name, b_layout), b = names(k, "b"), layer["b"]
            check_ndim(b_name, b, 1, b_layout)
            check_dim(b_name, b.shape[0], W.shape[0], f"{W_name} of shape {tuple(W.shape)}")
            check_same_dtype(b_name, b, W_name, W)
        layers.append(layer)
    return layers


def as_mlp_inputs(
    params, X, Y, activation: str, loss: str, *, names: LeafNames = layer_names
) -> tuple[list[Layer], jax.Array, jax.Array]:
    """Validated (layers, X, Y) for the MLP. Raises ``ValueError`` on bad input."""
    get_activation(activation)
    get_cost(loss)
    layers = check_mlp_params(params, names=names)
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    W0, WL = layers[0]["W"], layers[-1]["W"]
    why = f"{names(0, 'W')[0]} of shape {tuple(W0.shape)}"
    check_batch(X, Y, W0.shape[1], WL.shape[0], loss, W0.dtype, why)
    return layers, X, Y


def mlp(x: ArrayLike, params: Sequence[Layer], *, activation: str = "relu") -> jax.Array:
    """G(x, w) for one sample: alternate s = W z + b and z = h(s); no h after the last layer.

    Written directly, not through the module code, so that ``jax.grad`` of the objective
    built on it is an oracle independent of the hand backprop it checks.
    """
    phi = get_activation(activation).phi
    z = jnp.asarray(x)
    for k, layer in enumerate(params):
        # named scopes "variable=operator" are what the text-level computational graph
        # (``handgrad.exercises.trace_graph``) draws; d2l's z, h, o for one hidden layer
        z_name, h_name = _stage_names(k, len(params))
        with jax.named_scope(f"{z_name}={'×+' if 'b' in layer else '×'}"):
            s = layer["W"] @ z
            if "b" in layer:
                s = s + layer["b"]
        if k < len(params) - 1:
            with jax.named_scope(f"{h_name}=φ"):
                z = phi(s)
        else:
            z = s
    return z


def _stage_names(k: int, n_layers: int) -> tuple[str, str]:
    """d2l's names of layer k's linear and non-linear outputs: z, h; z1, h1, z2, …; o last."""
    if k == n_layers - 1:
        return "o", ""
    suffix = "" if n_layers == 2 else str(k + 1)
    return f"z{suffix}", f"h{suffix}"


def layers_objective(
    layers: Sequence[Layer], X: jax.Array, Y: jax.Array, *, lam, activation: str, loss: str
) -> jax.Array:
    """J for inputs already validated (``as_mlp_inputs``): the per-sample loss under ``vmap``,
    averaged, plus λ/2 Σ_k ‖W_k‖²_F once."""
    G = partial(mlp, activation=activation)
    L = average_loss(per_sample_loss(G, get_cost(loss).C))(X, Y, layers)
    s = l2_penalty([layer["W"] for layer in layers], lam)
    with jax.named_scope("J=+"):
        return L + s


def mlp_objective(
    params: Sequence[Layer],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> jax.Array:
    """J = 1/P Σ_p C(y[p], G(x[p], w)) + λ/2 Σ_k ‖W_k‖²_F, the per-sample loss under ``vmap``.

    Args:
      params: the layer dicts ``{"W": (n_out, n_in), "b": (n_out,)}`` (``"b"`` optional).
      X: inputs, one sample per row, shape (P, n_0).
      Y: integer labels (P,) for softmax cross-entropy, targets (P, n_L) for squared error.
      lam: the penalty weight λ ≥ 0 (0: no penalty).
      activation: a name from ``handgrad.models.ACTIVATIONS``.
      loss: a name from ``handgrad.models.COSTS``.

    Raises:
      ValueError: on an unknown name, a wrong shape or dtype, or labels out of range.
    """
    check_lam(lam)
    layers, X, Y = as_mlp_inputs(params, X, Y, activation, loss)
    return layers_objective(layers, X, Y, lam=lam, activation=activation, loss=loss)
