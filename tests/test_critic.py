"""The critic: a quadratic fitted to samples is exact on a quadratic, and descending through it
lowers a staircase cost whose own gradient is zero."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from handgrad.optim import (
    critic_descent,
    fit_quadratic_critic,
    quadratic_critic,
    quadratic_features,
)
from helpers import randn


def test_features_are_the_monomials_of_degree_at_most_two():
    assert quadratic_features(jnp.array([2.0, 3.0])).tolist() == [1.0, 2.0, 3.0, 4.0, 6.0, 9.0]


def test_the_fit_recovers_a_quadratic_and_its_gradient():
    A = jnp.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 3.0]])
    b = jnp.array([1.0, -1.0, 0.5])
    f = lambda w: 0.5 * w @ A @ w + b @ w + 4.0
    W = randn(0, (30, 3))
    theta = fit_quadratic_critic(W, jax.vmap(f)(W))
    w = randn(1, (3,))
    assert float(quadratic_critic(w, theta)) == pytest.approx(float(f(w)), rel=1e-10)
    np.testing.assert_allclose(jax.grad(quadratic_critic)(w, theta), A @ w + b, rtol=1e-9)


def test_descending_through_the_critic_lowers_a_staircase_cost():
    centre = jnp.array([1.0, -0.5])
    staircase = lambda w: jnp.floor(4.0 * jnp.sum((w - centre) ** 2 * jnp.array([1.0, 4.0])))
    w0 = jnp.array([-2.0, 2.0])
    assert float(jnp.abs(jax.grad(staircase)(w0)).max()) == 0.0  # nothing to follow
    run = critic_descent(
        staircase, w0, jax.random.key(0), rounds=40, samples=12, radius=0.3, lr=0.05
    )
    assert run.path.shape == (41, 2) and run.costs.shape == (41,)
    assert float(run.costs[-1]) <= 0.01 * float(run.costs[0])


def test_a_new_start_key_radius_or_step_compiles_nothing():
    from helpers import compilations

    cost = lambda w: jnp.floor(jnp.sum(w * w))
    kwargs = dict(rounds=3, samples=9, radius=0.4, lr=0.1)
    critic_descent(cost, jnp.array([1.0, 2.0]), jax.random.key(0), **kwargs)
    with compilations() as again:
        critic_descent(
            cost, jnp.array([0.5, -1.0]), jax.random.key(1), rounds=3, samples=9, radius=0.7, lr=0.2
        )
    assert again.count == 0
