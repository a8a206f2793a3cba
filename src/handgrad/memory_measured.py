"""d2l's exercise 3 measured: what a training step keeps, three ways, and what remat trades.

``handgrad.mlp_memory`` *counts* what the hand backward keeps: per hidden layer the weighted
sums S_k and activations Z_k, P × n_k numbers each. Here the same quantity is *measured*:

- kept by ``jax.grad``: the residuals of ``jax.vjp`` — the arrays its backward closure
  holds between the forward and the backward pass (``residual_bytes``, from shapes only);
- allocated by XLA: ``jit(f).lower(…).compile().memory_analysis()`` of the compiled
  training step and of prediction — arguments, outputs and temporaries (``xla_memory``).

Differences, explained: the residuals also hold the parameters and X (which the count
treats as arguments) and, for ReLU, only what its derivative needs; XLA's temporaries are
after fusion and buffer reuse (an element-wise φ fused into its matrix product never gets
its own buffer), and also hold the backward pass's scratch (the ∂J/∂S_k, one layer at a time).

Rematerialisation (``jax.checkpoint``, ``remat_objective``) keeps only the input of each group
of ``every`` layers and recomputes the rest during the backward pass: fewer residuals, one
more forward pass of compute. Whether XLA then *allocates* less depends on the compiler: on
XLA:CPU it merges the recomputation back into the forward pass of straight-line code, but
not across the iterations of a ``lax.scan`` over the layers (``scan_objective``), where the
trade — less memory, more time — is real; ``benchmarks/bench_memory.py`` measures both.

>>> import jax.numpy as jnp
>>> r = measure_mlp_memory([8, 16, 4], batch_size=32)
>>> r.counted_training == 32 * (8 + 2 * 16 + 4) * 4  # bytes, float32
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._checks import check_lam
from handgrad.cost_module import cost_module
from handgrad.losses import l2_penalty
from handgrad.memory import mlp_memory
from handgrad.mlp import as_mlp_inputs, mlp_init, mlp_objective
from handgrad.mlp_backprop import mlp_forward_batch, mlp_modules, mlp_stack_params
from handgrad.stack import stack_forward


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
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    lam: ArrayLike = 0.0,
    every: int = 1,
) -> jax.Array:
    """``mlp_objective`` with ``jax.checkpoint`` around every group of ``every`` hidden layers.

    Same value and gradient; ``jax.grad`` keeps only each group's input for the backward pass.
    ``every=0`` checkpoints nothing: the same batched forward without remat, the baseline.
    """
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise ValueError(f"every must be a non-negative integer (hidden layers per checkpoint), got {every!r}")
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
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    lam: ArrayLike = 0.0,
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
        raise ValueError(f"scan_objective scans equal square hidden layers, got W shapes {sorted(shapes)}")
    Z = _last_state(modules[:2], entries[:2], X)  # the first (linear, φ)

    def body(Z, w):  # every scanned layer is the first one's modules with its own weights
        return _last_state(modules[:2], [w, entries[1]], Z), None

    if middle:
        stacked = jax.tree_util.tree_map(lambda *ws: jnp.stack(ws), *middle)
        Z, _ = jax.lax.scan(jax.checkpoint(body) if remat else body, Z, stacked)
    return _objective(layers, modules[-1].forward(Z, entries[-1]), Y, loss, lam)


def residual_bytes(objective: Callable[..., jax.Array], params: Any, *args, **kwargs) -> int:
    """Bytes of the arrays ``jax.vjp`` keeps for the backward pass (from the trace; nothing runs).

    An array kept twice (w in w · w) is counted once: the residuals are the distinct
    variables the traced pullback holds.
    """
    closed = jax.make_jaxpr(
        lambda p, *a: jax.tree_util.tree_leaves(jax.vjp(lambda q: objective(q, *a, **kwargs), p)[1])
    )(params, *args)
    distinct = {id(v): v for v in closed.jaxpr.outvars if hasattr(v, "aval") and not hasattr(v, "val")}
    return sum(v.aval.size * jnp.dtype(v.aval.dtype).itemsize for v in distinct.values())


def xla_memory(fn: Callable[..., Any], *args) -> dict[str, int]:
    """XLA's memory analysis of ``jit(fn)`` compiled for ``args`` (arrays or ShapeDtypeStructs).

    Returns:
      Bytes: {"arguments", "outputs", "temporaries", "code"}.

    Raises:
      RuntimeError: if this backend gives no memory analysis.
    """
    stats = jax.jit(fn).lower(*args).compile().memory_analysis()
    if stats is None:
        raise RuntimeError(f"the {jax.default_backend()} backend reports no memory analysis")
    return {
        "arguments": int(stats.argument_size_in_bytes),
        "outputs": int(stats.output_size_in_bytes),
        "temporaries": int(stats.temp_size_in_bytes),
        "code": int(stats.generated_code_size_in_bytes),
    }


class MemoryReport(NamedTuple):
    """Bytes for one training step and for prediction of the deep MLP on one batch."""

    widths: tuple[int, ...]
    batch_size: int
    remat_every: int  # 0: no rematerialisation
    params: int  # as many again for the gradients
    counted_training: int  # X, S_k, Z_k, S_L: what the hand backward keeps (mlp_memory)
    counted_prediction: int  # the largest (input, output) pair alive at once
    residuals: int  # what jax.grad keeps: jax.vjp's residuals (params and X included)
    xla_training: dict  # memory_analysis of the compiled value_and_grad step
    xla_prediction: dict  # memory_analysis of the compiled forward pass


def measure_mlp_memory(
    widths: Sequence[int],
    batch_size: int,
    *,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    bias: bool = True,
    dtype=jnp.float32,
    remat_every: int = 0,
) -> MemoryReport:
    """Counts and measures the memory of one training step of the deep MLP with ``widths``.

    Nothing is allocated: parameters and data enter as shapes (``jax.ShapeDtypeStruct``).
    """
    widths = tuple(widths)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    params = jax.eval_shape(lambda: mlp_init(jax.random.key(0), widths, bias=bias, dtype=dtype))
    X = jax.ShapeDtypeStruct((batch_size, widths[0]), jnp.dtype(dtype))
    if loss == "softmax_cross_entropy":
        Y = jax.ShapeDtypeStruct((batch_size,), jnp.int32)
    else:
        Y = jax.ShapeDtypeStruct((batch_size, widths[-1]), jnp.dtype(dtype))
    kw = dict(activation=activation, loss=loss)
    objective = partial(remat_objective, every=remat_every, **kw) if remat_every else partial(mlp_objective, **kw)
    itemsize = jnp.dtype(dtype).itemsize
    counted = mlp_memory(widths, batch_size, bias=bias)
    predict = lambda p, X: mlp_forward_batch(p, X, activation=activation)[-1]
    return MemoryReport(
        widths, batch_size, remat_every, counted.params * itemsize, counted.training * itemsize,
        counted.prediction_peak * itemsize, residual_bytes(objective, params, X, Y),
        xla_memory(jax.value_and_grad(objective), params, X, Y), xla_memory(predict, params, X),
    )  # fmt: skip
