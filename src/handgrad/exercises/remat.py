"""d2l's exercise 3, the trade: rematerialisation keeps less for the backward pass.

Rematerialisation (``jax.checkpoint``, ``remat_objective``) keeps only the input of each group
of ``every`` layers and recomputes the rest during the backward pass: fewer residuals, one
more forward pass of compute. Whether XLA then *allocates* less depends on the compiler: on
XLA:CPU it merges the recomputation back into the forward pass of straight-line code, but
not across the iterations of a ``lax.scan`` over the layers (``scan_objective``), where the
trade — less memory, more time — is real; ``benchmarks/bench_memory.py`` measures both.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import as_int, check_lam
from handgrad.backprop.cost_module import cost_module
from handgrad.backprop.mlp import mlp_modules, mlp_stack_params
from handgrad.backprop.stack import stack_forward
from handgrad.models.losses import l2_penalty
from handgrad.models.mlp import as_mlp_inputs


def _stack_inputs(params, X, Y, activation, loss, lam):
    """Validated (layers, X, Y) and the deep MLP as a module stack (modules, entries)."""
    check_lam(lam)
    layers, X, Y = as_mlp_inputs(params, X, Y, activation, loss)
    return layers, X, Y, mlp_modules(layers, activation), mlp_stack_params(layers)


def _last_state(modules, entries, z):
    return stack_forward(modules, entries, z)[-1]


def _objective(layers, O, Y, loss, lam):
    """J = the cost averaged over the batch + λ/2 Σ‖W_k‖²_F, from the output O."""
    return cost_module(loss).forward(O, Y) + l2_penalty([layer["W"] for layer in layers], lam)


def remat_objective(
    params: Sequence[dict],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    every: int = 1,
) -> jax.Array:
    """``mlp_objective`` with ``jax.checkpoint`` around every group of ``every`` hidden layers.

    Same value and gradient; ``jax.grad`` keeps only each group's input for the backward pass.
    ``every=0`` checkpoints nothing: the same batched forward without remat, the baseline.
    """
    try:
        every = as_int("every", every, low=0)
    except ValueError:
        raise ValueError(
            f"every must be a non-negative integer (hidden layers per checkpoint), got {every!r}"
        ) from None
    layers, X, Y, modules, entries = _stack_inputs(params, X, Y, activation, loss, lam)
    hidden = len(layers) - 1
    Z, group = X, every or max(hidden, 1)
    for start in range(0, hidden, group):
        block = slice(2 * start, 2 * min(start + group, hidden))  # (linear, φ) per hidden layer
        f = partial(_last_state, modules[block])
        Z = (jax.checkpoint(f) if every else f)(entries[block], Z)
    return _objective(layers, modules[-1].forward(Z, entries[-1]), Y, loss, lam)


def scan_objective(
    params: Sequence[dict],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    remat: bool = False,
) -> jax.Array:
    """``mlp_objective`` with the hidden layers after the first as one ``lax.scan``, optionally
    each step under ``jax.checkpoint`` — the form in which XLA keeps the rematerialisation.

    Layers 2 … L−1 must all be (n × n): they are stacked and scanned over. Same value and
    gradient as ``mlp_objective``.

    Raises:
      ValueError: if the scanned layers do not all have one shape.
    """
    layers, X, Y, modules, entries = _stack_inputs(params, X, Y, activation, loss, lam)
    middle = entries[2:-1:2]  # the linear entries of layers 2 … L−1
    shapes = {jax.tree_util.tree_map(jnp.shape, w)["W"] for w in middle}
    if len(shapes) > 1 or any(a != b for a, b in shapes):
        raise ValueError(
            f"scan_objective scans equal square hidden layers, got W shapes {sorted(shapes)}"
        )
    Z = _last_state(modules[:2], entries[:2], X)  # the first (linear, φ)

    def body(Z, w):  # every scanned layer is the first one's modules with its own weights
        return _last_state(modules[:2], [w, entries[1]], Z), None

    if middle:
        stacked = jax.tree_util.tree_map(lambda *ws: jnp.stack(ws), *middle)
        Z, _ = jax.lax.scan(jax.checkpoint(body) if remat else body, Z, stacked)
    return _objective(layers, modules[-1].forward(Z, entries[-1]), Y, loss, lam)
