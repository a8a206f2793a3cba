"""Compiled once per run: the training command's chunks, short ones and a resumed run's
included, share one compiled loop (``run_steps(length=…)``), and take the same steps as the
loop compiled for each length would."""

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import handgrad as hg
from handgrad.cli import main
from handgrad.optim import loop
from helpers import mlp1_problem

ROOT = os.path.dirname(os.path.dirname(__file__))
DEFAULT = os.path.join(ROOT, "configs", "digits_mlp1.toml")
HAND = hg.mlp1_hand_value_and_grad


def chunk_programs() -> int:
    return loop._compiled_steps._cache_size()


def train(*argv):
    assert main(["train", DEFAULT, *argv, "--no-progress"]) == 0


def test_a_run_with_chunks_of_five_lengths_compiles_one_chunk_program(tmp_path):
    # hidden width 37: a shape no other test trains, so this run compiles its own program;
    # checkpoints every 70 and verification every 90 cut the 100-step chunks into chunks of
    # 70, 30, 40, 20, 10 … and the run ends with a short one
    run = str(tmp_path / "run")
    shape = ["--set", "model.hidden=[37]", "--set", "train.chunk=100"]
    cuts = ["--set", "checkpoint.every=70", "--set", "train.verify_every=90"]
    before = chunk_programs()
    train(*shape, *cuts, "--set", "optim.steps=230", "--out", run)
    assert chunk_programs() == before + 1
    # a resumed run, extended: the same program again
    assert main(["train", "--resume", run, "--set", "optim.steps=300", "--no-progress"]) == 0
    assert chunk_programs() == before + 1


def test_the_resumed_run_took_exactly_the_steps_of_an_uninterrupted_one(tmp_path):
    shape = [
        "--set",
        "model.hidden=[37]",
        "--set",
        "train.chunk=100",
        "--set",
        "checkpoint.every=70",
    ]
    whole, part = str(tmp_path / "whole"), str(tmp_path / "part")
    train(*shape, "--set", "optim.steps=300", "--out", whole)
    train(*shape, "--set", "optim.steps=140", "--out", part)
    assert main(["train", "--resume", part, "--set", "optim.steps=300", "--no-progress"]) == 0
    for name in ("W1", "W2"):
        a, b = (np.load(os.path.join(d, "params.npz"))[name] for d in (whole, part))
        assert np.array_equal(a, b)


@pytest.fixture(scope="module")
def problem():
    return mlp1_problem(8, 6, 13, 4, 29, bias=True, loss="softmax_cross_entropy",
                        dtype=jnp.float64)  # fmt: skip


@pytest.mark.parametrize("sampler", [hg.full_batch(), hg.per_sample(), hg.minibatch(6)],
                         ids=lambda s: s.name)  # fmt: skip
def test_a_chunk_with_room_to_spare_takes_the_same_steps(problem, sampler):
    params, X, Y = problem
    rule = optax.sgd(0.1, momentum=0.9)  # a rule with a state of its own
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(2))
    exact, t_exact = hg.optim.run_steps(HAND, rule, sampler, state, X, Y, steps=11,
                                        record_params=True)  # fmt: skip
    roomy, t_roomy = hg.optim.run_steps(HAND, rule, sampler, state, X, Y, steps=11, length=25,
                                        record_params=True)  # fmt: skip
    chex.assert_trees_all_equal(roomy, exact)  # params, sampler count, step: bit for bit
    assert isinstance(t_roomy.losses, np.ndarray) and t_roomy.losses.shape == (11,)
    chex.assert_trees_all_equal(t_roomy, jax.device_get(t_exact))
    # and one more chunk from there agrees too
    (a, _), (b, _) = (hg.optim.run_steps(HAND, rule, sampler, s, X, Y, steps=7, length=25)
                      for s in (exact, roomy))  # fmt: skip
    chex.assert_trees_all_equal(a, b)


def test_lengths_up_to_the_room_share_one_program(problem):
    params, X, Y = problem
    rule, sampler = hg.gd(0.1), hg.minibatch(5)
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(3))
    hg.optim.run_steps(HAND, rule, sampler, state, X, Y, steps=1, length=17)
    before = chunk_programs()
    for steps in (2, 9, 16, 17):
        state, _ = hg.optim.run_steps(HAND, rule, sampler, state, X, Y, steps=steps, length=17)
    assert chunk_programs() == before


@pytest.mark.parametrize("length, message", [(10, "length must be >= steps"),
                                             (0, "length must be a positive integer"),
                                             (12.0, "length must be a positive integer")])  # fmt: skip
def test_a_bad_length_is_named(problem, length, message):
    params, X, Y = problem
    rule, sampler = hg.gd(0.1), hg.full_batch()
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(3))
    with pytest.raises(ValueError, match=message):
        hg.optim.run_steps(HAND, rule, sampler, state, X, Y, steps=11, length=length)


def noisy(params, X, Y, key):
    """A stochastic gradient source: the hand gradient plus noise drawn from the step's key."""
    J, grads = HAND(params, X, Y)
    noise = lambda g: 1e-3 * jax.random.normal(key, g.shape, g.dtype)
    return J, jax.tree_util.tree_map(lambda g: g + noise(g), grads)


def test_a_stochastic_source_draws_the_same_keys_with_room_to_spare(problem):
    params, X, Y = problem
    rule, sampler = hg.gd(0.1), hg.minibatch(6)
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(5))
    go = lambda **kw: hg.optim.run_steps(noisy, rule, sampler, state, X, Y, steps=9,
                                         takes_key=True, **kw)  # fmt: skip
    (exact, t_exact), (roomy, t_roomy) = go(), go(length=20)
    chex.assert_trees_all_equal(roomy, exact)
    chex.assert_trees_all_equal(t_roomy.losses, np.asarray(t_exact.losses))
    other = hg.optim.init_run(params, rule, sampler, jax.random.key(6))
    moved, _ = hg.optim.run_steps(noisy, rule, sampler, other, X, Y, steps=9, takes_key=True,
                                  length=20)  # fmt: skip
    assert not np.array_equal(moved.params["W1"], roomy.params["W1"])  # the key is used
