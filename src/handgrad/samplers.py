"""Which samples each step sees: the whole set, one sample, or a shuffled minibatch.

A sampler is an init/next pair over a NamedTuple state, pure and jittable: ``next``
returns the indices of the step's samples and the new state. Randomness comes from a
PRNG key carried in the state, so a run is reproducible bit for bit.

- ``full_batch()``: every step uses all P samples: full-batch gradient descent, whose
  gradient is that of the average loss L(S, w).
- ``per_sample()``: the lecture's SGD, "pick p in 0…P−1": one index drawn uniformly.
- ``minibatch(B)``: shuffle without replacement each epoch, then take B at a time; the
  last batch of an epoch holds the P mod B samples left over (when B does not divide P).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class SamplerState(NamedTuple):
    """The PRNG key, this epoch's order of the samples, and the next batch's number."""

    key: jax.Array
    order: jax.Array
    batch: jax.Array


class Sampler(NamedTuple):
    """``init(key, P) -> state``; ``next(state, P) -> ((k, index_sets), state)``.

    Shapes under ``jit`` are static, so a sampler offers one index array per batch size
    it can produce (two for minibatches when the last batch of an epoch is short) and
    says with ``k`` which one this step uses. An index array of ``None`` means "all
    samples, in order" (no gather needed).
    """

    name: str
    init: Callable[[jax.Array, int], SamplerState]
    next: Callable[[SamplerState, int], tuple[Any, SamplerState]]


def _state(key: jax.Array, P: int) -> SamplerState:
    return SamplerState(key, jnp.arange(P), jnp.zeros((), jnp.int32))


def full_batch() -> Sampler:
    """All P samples, every step."""

    def next_(state, P):
        return (0, (None,)), state

    return Sampler("full_batch", _state, next_)


def per_sample() -> Sampler:
    """One sample p drawn uniformly from 0…P−1 each step (with replacement)."""

    def next_(state, P):
        key, sub = jax.random.split(state.key)
        p = jax.random.randint(sub, (1,), 0, P)
        return (0, (p,)), state._replace(key=key)

    return Sampler("per_sample", _state, next_)


def minibatch(batch_size: int) -> Sampler:
    """Batches of ``batch_size`` from a fresh shuffle each epoch; a short last batch."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")

    def init(key, P):
        key, sub = jax.random.split(key)
        return SamplerState(key, jax.random.permutation(sub, P), jnp.zeros((), jnp.int32))

    def next_(state, P):
        B, per_epoch = min(batch_size, P), -(-P // min(batch_size, P))
        start = state.batch * B
        full = jax.lax.dynamic_slice(state.order, (jnp.minimum(start, P - B),), (B,))
        batch = state.batch + 1
        new_epoch = batch == per_epoch
        key, sub = jax.random.split(state.key)
        order = jax.lax.cond(
            new_epoch, lambda: jax.random.permutation(sub, P), lambda: state.order
        )
        new = SamplerState(jnp.where(new_epoch, key, state.key), order, jnp.where(new_epoch, 0, batch))
        if P % B == 0:
            return (0, (full,)), new
        last = jax.lax.dynamic_slice(state.order, (P - P % B,), (P % B,))
        return (jnp.where(state.batch == per_epoch - 1, 1, 0), (full, last)), new

    return Sampler(f"minibatch({batch_size})", init, next_)
