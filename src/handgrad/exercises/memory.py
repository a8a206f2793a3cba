"""How much the forward pass must keep for the hand backward (d2l's exercise 3).

Backprop reuses the forward pass's intermediates, so they must live until the backward
pass has consumed them. Per layer of the deep MLP the hand backward keeps two arrays of
P × n_k numbers: the weighted sums S_k (a linear module's output, needed for h′(S_k))
and the activations Z_k = h(S_k) (the next linear module's input, needed for ∂c/∂W =
gᵀZ_k). Add the input X and the output S_L. Prediction keeps nothing for later: at each
module only its input and output are alive at once, so the peak is the largest
(input + output) pair. Training memory grows with depth and batch size; prediction
memory only with the widest layer — which is why training runs out of memory first.

The same quantity *measured*, for the deep MLP on a batch (``measure_mlp_memory``):

- kept by ``jax.grad``: the residuals of ``jax.vjp`` — the arrays its backward closure
  holds between the forward and the backward pass (``residual_bytes``, from shapes only);
- allocated by XLA: ``jit(f).lower(…).compile().memory_analysis()`` of the compiled
  training step and of prediction — arguments, outputs and temporaries (``xla_memory``).

Differences, explained: the residuals also hold the parameters and X (which the count
treats as arguments) and, for ReLU, only what its derivative needs; XLA's temporaries are
after fusion and buffer reuse (an element-wise φ fused into its matrix product never gets
its own buffer), and also hold the backward pass's scratch (the ∂J/∂S_k, one layer at a time).
Trading memory for compute (``jax.checkpoint``) is ``handgrad.exercises.remat``.

>>> r = measure_mlp_memory([8, 16, 4], batch_size=32)
>>> r.counted_training == 32 * (8 + 2 * 16 + 4) * 4  # bytes, float32
True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from handgrad._validate import check_positive_int
from handgrad.backprop.mlp import mlp_forward_batch
from handgrad.exercises.remat import remat_objective
from handgrad.models.mlp import mlp_init, mlp_objective


class MemoryFootprint(NamedTuple):
    """Numbers of array elements (multiply by the dtype's size for bytes)."""

    params: int
    training_per_layer: tuple[int, ...]  # S_k and Z_k of each layer (S_L only for the last)
    training: int  # everything the forward pass keeps for the backward pass, X included
    prediction_peak: int  # the most alive at once when only the output is wanted


def mlp_memory(widths: Sequence[int], batch_size: int, *, bias: bool = True) -> MemoryFootprint:
    """The memory footprint of the deep MLP with ``widths`` on a batch of ``batch_size``.

    >>> mlp_memory([64, 256, 10], batch_size=128).training
    75008
    """
    widths, P = list(widths), batch_size
    params = sum(
        n_out * n_in + (n_out if bias else 0) for n_in, n_out in itertools.pairwise(widths)
    )
    hidden, last = widths[1:-1], widths[-1]
    per_layer = tuple(2 * P * n for n in hidden) + (P * last,)
    states = [widths[0]] + [n for n in hidden for _ in (0, 1)] + [last]  # X, S_1, Z_1, …, S_L
    peak = max(P * (a + b) for a, b in itertools.pairwise(states))
    return MemoryFootprint(params, per_layer, P * widths[0] + sum(per_layer), peak)


def residual_bytes(objective: Callable[..., jax.Array], params: Any, *args, **kwargs) -> int:
    """Bytes of the arrays ``jax.vjp`` keeps for the backward pass (from the trace; nothing runs).

    An array kept twice (w in w · w) is counted once: the residuals are the distinct
    variables the traced pullback holds.
    """
    closed = jax.make_jaxpr(
        lambda p, *a: jax.tree_util.tree_leaves(jax.vjp(lambda q: objective(q, *a, **kwargs), p)[1])
    )(params, *args)
    distinct = {
        id(v): v for v in closed.jaxpr.outvars if hasattr(v, "aval") and not hasattr(v, "val")
    }
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
    check_positive_int("batch_size", batch_size)
    params = jax.eval_shape(lambda: mlp_init(jax.random.key(0), widths, bias=bias, dtype=dtype))
    X = jax.ShapeDtypeStruct((batch_size, widths[0]), jnp.dtype(dtype))
    if loss == "softmax_cross_entropy":
        Y = jax.ShapeDtypeStruct((batch_size,), jnp.int32)
    else:
        Y = jax.ShapeDtypeStruct((batch_size, widths[-1]), jnp.dtype(dtype))
    kw = dict(activation=activation, loss=loss)
    objective = (
        partial(remat_objective, every=remat_every, **kw)
        if remat_every
        else partial(mlp_objective, **kw)
    )
    itemsize = jnp.dtype(dtype).itemsize
    counted = mlp_memory(widths, batch_size, bias=bias)
    predict = lambda p, X: mlp_forward_batch(p, X, activation=activation)[-1]
    return MemoryReport(
        widths, batch_size, remat_every, counted.params * itemsize, counted.training * itemsize,
        counted.prediction_peak * itemsize, residual_bytes(objective, params, X, Y),
        xla_memory(jax.value_and_grad(objective), params, X, Y), xla_memory(predict, params, X),
    )  # fmt: skip
