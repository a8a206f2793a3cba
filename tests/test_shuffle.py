"""``samplers.shuffle``: a permutation, uniformly random, whatever the number of samples."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

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
