"""The samplers: ``shuffle`` a uniformly random permutation whatever the number of samples,
and a minibatch schedule the same however a run is cut into chunks."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from handgrad.optim.samplers import shuffle


@pytest.mark.parametrize("P", [1, 2, 3, 127, 128, 129, 1797, 60_000])
def test_every_sample_once(P):
    order = np.asarray(shuffle(jax.random.key(P), P))
    assert order.dtype == np.int32 and np.array_equal(np.sort(order), np.arange(P))


def test_all_orders_of_four_are_equally_likely():
    # 24 orders, 48,000 draws: each expected 2,000 times, standard deviation ~44
    keys = jax.random.split(jax.random.key(0), 48_000)
    orders = np.asarray(jax.vmap(lambda k: shuffle(k, 4))(keys))
    counts = {o: 0 for o in itertools.permutations(range(4))}
    for o in map(tuple, orders):
        counts[o] += 1
    assert len(counts) == 24
    chi2 = sum((c - 2000) ** 2 / 2000 for c in counts.values())
    assert chi2 < 60  # 23 degrees of freedom: P(χ² > 60) < 1e-4; a biased shuffle is far above


def test_each_sample_lands_anywhere_alike_in_a_large_set():
    # where sample 0 lands among 1,797 positions, over 4,000 shuffles, in 10 bins of positions
    keys = jax.random.split(jax.random.key(1), 4_000)
    where = np.asarray(jax.vmap(lambda k: jnp.argmax(shuffle(k, 1797) == 0))(keys))
    counts = np.bincount(where * 10 // 1797, minlength=10)
    chi2 = float(((counts - 400) ** 2 / 400).sum())
    assert chi2 < 33  # 9 degrees of freedom: P(χ² > 33) < 2e-4


def test_independent_keys_give_different_orders():
    a, b = (np.asarray(shuffle(jax.random.key(k), 1000)) for k in (0, 1))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("P, B", [(10, 3), (12, 4), (5, 8)])
def test_a_chunk_from_any_step_draws_what_one_long_schedule_draws(P, B):
    # every chunk length and starting point within three epochs: the chunk must hold each
    # epoch it touches (a missing one would be gathered out of bounds, clamped, silently)
    sampler = hg.minibatch(B)
    state = sampler.init(jax.random.key(7))
    per_epoch = -(-P // B)
    (which, sets), _ = sampler.schedule(state, P, 3 * per_epoch + 2)
    rows = lambda which, sets, t: np.asarray(sets[int(which[t])][t])
    for start in range(per_epoch + 1):
        for steps in range(1, 2 * per_epoch + 2):
            moved = state._replace(count=state.count + start)
            (w, s), after = sampler.schedule(moved, P, steps)
            assert int(after.count) == start + steps
            for t in range(steps):
                assert np.array_equal(rows(w, s, t), rows(which, sets, start + t)), (start, t)
