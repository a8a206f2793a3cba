"""Which samples each step sees: the whole set, one sample, or a shuffled minibatch.

A sampler is pure and jittable. ``schedule(state, P, steps)`` draws the indices for a
whole chunk of steps at once — outside the hot loop, so each step only gathers its rows —
and returns the state after them. The state is a PRNG key and a count of batches drawn;
every draw derives from ``fold_in(key, count)``, so a run split into chunks draws exactly
what it draws in one go, and a resumed run continues bit for bit.

- ``full_batch()``: every step uses all P samples: full-batch gradient descent, whose
  gradient is that of the average loss L(S, w).
- ``per_sample()``: the lecture's SGD, "pick p in 0…P−1": one index drawn uniformly.
- ``minibatch(B)``: shuffle without replacement each epoch, then take B at a time; the
  last batch of an epoch holds the P mod B samples left over (when B does not divide P).

A loop that takes fewer steps than it drew (``run_steps(length=…)``) advances ``count`` by the
steps it took: a sampler's state is a ``SamplerState`` whose ``count`` counts batches.

Minibatch orders are drawn by ``shuffle``. A run checkpointed by an earlier handgrad, which
drew them with ``jax.random.permutation``, resumes with other minibatches than it would have
drawn there.

The schedules are module-level functions (the batch size a ``jax.tree_util.Partial`` leaf), so
two equal samplers are equal to a compiled run, which compiles once for both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.tree_util import Partial

from handgrad._validate import check_positive_int


class SamplerState(NamedTuple):
    """The sampler's PRNG key and the number of batches drawn so far."""

    key: jax.Array
    count: jax.Array


class Sampler(NamedTuple):
    """``init(key) -> state``; ``schedule(state, P, steps) -> ((which, index_sets), state)``.

    Shapes under ``jit`` are static, so a schedule holds one index array per batch size
    the sampler can produce, each of shape (steps, size) — two sizes for minibatches when
    the last batch of an epoch is short — and ``which`` (steps,) says which one each step
    uses. An index array of ``None`` means "all samples, in order" (no gather needed).
    """

    name: str
    init: Callable[[jax.Array], SamplerState]
    schedule: Callable[[SamplerState, int, int], tuple[Any, SamplerState]]


def _init(key: jax.Array) -> SamplerState:
    return SamplerState(key, jnp.zeros((), jnp.int32))


def _advance(state: SamplerState, steps: int) -> SamplerState:
    return state._replace(count=state.count + steps)


def _full_batch_schedule(state: SamplerState, P: int, steps: int):
    return (jnp.zeros((steps,), jnp.int32), (None,)), _advance(state, steps)


def full_batch() -> Sampler:
    """All P samples, every step."""
    return Sampler("full_batch", _init, _full_batch_schedule)


def _per_sample_schedule(state: SamplerState, P: int, steps: int):
    counts = state.count + jnp.arange(steps, dtype=jnp.int32)
    draw = lambda c: jax.random.randint(jax.random.fold_in(state.key, c), (1,), 0, P)
    return (jnp.zeros((steps,), jnp.int32), (jax.vmap(draw)(counts),)), _advance(state, steps)


def per_sample() -> Sampler:
    """One sample p drawn uniformly from 0…P−1 each step (with replacement)."""
    return Sampler("per_sample", _init, _per_sample_schedule)


def shuffle(key: jax.Array, P: int) -> jax.Array:
    """A uniformly random permutation of 0…P−1, drawn the way ``jax.random.permutation``
    draws one (not the same one for a key), faster.

    Both sort the positions by random keys in rounds of stable sorts, enough rounds that the
    random bits reach 3·log₂P (JAX's criterion: ties, broken by position, then bias nothing
    measurable). ``jax.random.permutation`` sorts key–value pairs; here each round sorts one
    packed ``uint32`` (random high bits, the position in the low ⌈log₂P⌉ bits), which XLA:CPU
    sorts ~5× faster (``benchmarks/README.md``). Above 2²⁴ samples, ``jax.random.permutation``.
    """
    bits = max(1, (P - 1).bit_length())  # positions fit in the low `bits` bits
    if bits > 24:
        return jax.random.permutation(key, P)
    free = 32 - bits
    low = jnp.arange(P, dtype=jnp.uint32)
    order = low
    for k in jax.random.split(key, -(-3 * bits // free)):
        packed = (jax.random.bits(k, (P,), jnp.uint32) >> bits << bits) | low
        order = order[jnp.sort(packed) & ((1 << bits) - 1)]
    return order.astype(jnp.int32)


def _minibatch_schedule(batch_size: int, state: SamplerState, P: int, steps: int):
    B = min(batch_size, P)
    per_epoch, rest = -(-P // B), P % B
    counts = state.count + jnp.arange(steps, dtype=jnp.int32)
    epoch, k = counts // per_epoch, counts % per_epoch
    first = state.count // per_epoch
    # every epoch this chunk can touch, shuffled once: `steps` batches in a row span at most
    # ⌈(steps − 1)/per_epoch⌉ + 1 epochs; each step gathers its own B positions, never a
    # (steps, P) copy of the orders
    touched = -(-(steps - 1) // per_epoch) + 1
    epochs = first + jnp.arange(touched, dtype=jnp.int32)
    orders = jax.vmap(lambda e: shuffle(jax.random.fold_in(state.key, e), P))(epochs)
    row = (epoch - first)[:, None]
    start = jnp.minimum(k * B, P - B)[:, None]
    full = orders[row, start + jnp.arange(B, dtype=jnp.int32)[None, :]]
    if rest == 0:
        return (jnp.zeros((steps,), jnp.int32), (full,)), _advance(state, steps)
    last = orders[row, P - rest + jnp.arange(rest, dtype=jnp.int32)[None, :]]
    which = (k == per_epoch - 1).astype(jnp.int32)
    return (which, (full, last)), _advance(state, steps)


def minibatch(batch_size: int) -> Sampler:
    """Batches of ``batch_size`` from a fresh shuffle each epoch; a short last batch.

    Raises:
      ValueError: unless ``batch_size`` is a positive integer (a Python or NumPy int).
    """
    batch_size = check_positive_int("batch_size", batch_size)  # a Python int: static
    return Sampler(f"minibatch({batch_size})", _init, Partial(_minibatch_schedule, batch_size))


def on_batch(fn: Callable, X: jax.Array, Y: jax.Array, which: jax.Array, index_sets: tuple):
    """``fn(X[idx], Y[idx])`` for one step of a schedule: ``which`` and ``index_sets`` are the
    step's slice of what ``schedule`` returned. With two batch sizes the step picks its own
    by ``lax.switch``; an index set of ``None`` is the whole set, with no gather."""

    def on(idx):
        return lambda: fn(X, Y) if idx is None else fn(X[idx], Y[idx])

    branches = [on(idx) for idx in index_sets]
    return branches[0]() if len(branches) == 1 else jax.lax.switch(which, branches)
