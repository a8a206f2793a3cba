"""Compiled once: equal gradient sources, rules and samplers reuse the compiled run, and the
numbers they hold — learning rates, λ, ε, keys — are traced. Compilations are counted from
jax.monitoring's backend-compile events, never timed."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.tree_util import Partial

import handgrad as hg
from helpers import compilations, mlp1_problem, rel_err

HAND = hg.mlp1_hand_value_and_grad


@pytest.fixture(scope="module")
def problem():
    # shapes no other test uses, so that the first run here compiles
    return mlp1_problem(
        31, 7, 11, 3, 19, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )


def test_the_readme_idiom_compiles_once(problem):
    params, X, Y = problem
    with compilations() as first:
        hg.run_gd(partial(HAND, lam=1e-4), params, X, Y, lr=0.1, steps=7)
    with compilations() as again:
        for _ in range(2):
            hg.run_gd(partial(HAND, lam=1e-4), params, X, Y, lr=0.1, steps=7)
    assert first.count >= 1 and again.count == 0


def test_a_new_learning_rate_or_lambda_compiles_nothing_and_is_used(problem):
    params, X, Y = problem
    hg.run_gd(partial(HAND, lam=1e-4), params, X, Y, lr=0.1, steps=7)
    with compilations() as c:
        runs = {
            (lr, lam): hg.run_gd(source(HAND, lam=lam), params, X, Y, lr=lr, steps=7)
            for lr, lam, source in [(0.3, 1e-4, partial), (0.1, 0.5, Partial), (0.2, 0.05, partial)]
        }
    assert c.count == 0
    for (lr, lam), (w, losses) in runs.items():  # each run used its own η and λ
        J = partial(hg.mlp1_objective, lam=lam)
        w_ref, losses_ref = hg.run_gd(jax.value_and_grad(J), params, X, Y, lr=lr, steps=7)
        assert rel_err(losses, losses_ref) <= 1e-12
        assert all(rel_err(w[k], w_ref[k]) <= 1e-12 for k in params)


def test_sgd_with_a_new_key_compiles_nothing(problem):
    params, X, Y = problem
    go = lambda key: hg.run_sgd(
        partial(HAND, lam=1e-3), params, X, Y, lr=0.1, steps=9, key=key, batch_size=4
    )
    go(jax.random.key(0))
    with compilations() as c:
        (_, a), (_, b) = go(jax.random.key(1)), go(jax.random.key(2))
    assert c.count == 0 and not np.array_equal(a, b)


def test_rules_samplers_and_sources_built_anew_reuse_the_run(problem):
    params, X, Y = problem

    def go(lr, lam, eps):
        objective = partial(hg.mlp1_objective, lam=lam)
        for source in (
            hg.autodiff(objective),
            hg.finite_difference(objective, eps=eps).value_and_grad,
        ):
            hg.run(
                source,
                params,
                X,
                Y,
                rule=hg.gd(lr),
                sampler=hg.minibatch(5),
                steps=3,
                key=jax.random.key(0),
            )
        eta = lr * np.eye(sum(a.size for a in jax.tree_util.tree_leaves(params)))
        hg.run(
            hg.autodiff(objective),
            params,
            X,
            Y,
            rule=hg.preconditioned_gd(eta),
            sampler=hg.per_sample(),
            steps=3,
        )

    go(0.1, 1e-3, 1e-4)
    with compilations() as c:
        go(0.2, 1e-2, 2e-4)
    assert c.count == 0


def test_a_new_shape_or_a_new_function_compiles(problem):
    """The counter sees compilations: what must compile does."""
    params, X, Y = problem
    hg.run_gd(partial(HAND, lam=1e-4), params, X, Y, lr=0.1, steps=7)
    with compilations() as shape:
        hg.run_gd(partial(HAND, lam=1e-4), params, X[:-1], Y[:-1], lr=0.1, steps=7)
    with compilations() as function:
        hg.run_gd(lambda p, X, Y: HAND(p, X, Y, lam=1e-4), params, X, Y, lr=0.1, steps=7)
    with compilations() as steps:
        hg.run_gd(partial(HAND, lam=1e-4), params, X, Y, lr=0.1, steps=8)
    assert shape.count >= 1 and function.count >= 1 and steps.count >= 1


@pytest.mark.parametrize("lam", [-1.0, float("nan")])
def test_a_bad_lambda_is_refused_before_anything_compiles(problem, lam):
    params, X, Y = problem
    with compilations() as c, pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        hg.run_gd(partial(HAND, lam=lam), params, X, Y, lr=0.1, steps=7)
    assert c.count == 0


def test_a_repeated_run_is_not_checked_again_but_a_new_fault_is_named(problem):
    params, X, Y = problem
    traces = []

    def counted(params, X, Y, *, lam):
        traces.append(1)
        return HAND(params, X, Y, lam=lam)

    hg.run_gd(partial(counted, lam=1e-4), params, X, Y, lr=0.1, steps=3)
    traces.clear()
    hg.run_gd(partial(counted, lam=1e-4), params, X, Y, lr=0.2, steps=3)
    assert traces == []  # neither checked (traced) again nor compiled again
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        hg.run_gd(partial(counted, lam=-1.0), params, X, Y, lr=0.1, steps=3)
    with pytest.raises(ValueError, match="label"):  # same shape, new values: checked again
        hg.run_gd(partial(counted, lam=1e-4), params, X, Y.at[0].set(99), lr=0.1, steps=3)
    with pytest.raises(ValueError):
        hg.run_gd(partial(counted, lam=1e-4), params, X[:, :-1], Y, lr=0.1, steps=3)
