"""Zeroth-order gradient estimates: accuracy, cost, and fitting where gradients vanish."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from helpers import randn, rel_err


@pytest.fixture(scope="module")
def data():
    X = randn(0, (30, 4))
    return X, X @ jnp.array([1.0, -1.0, 2.0, 0.0])


def test_finite_differences_match_the_gradient(data):
    X, Y = data
    w = randn(2, (4,))
    J, g = hg.finite_difference(hg.linear_objective, eps=1e-5).value_and_grad(w, X, Y)
    J_ref, g_ref = jax.value_and_grad(hg.linear_objective)(w, X, Y)
    assert float(J) == float(J_ref) and rel_err(g, g_ref) <= 1e-9


def test_random_directions_are_unbiased_on_average(data):
    X, Y = data
    w = randn(3, (4,))
    estimate = hg.random_directions(hg.linear_objective, num_directions=4000, eps=1e-4)
    _, g = estimate.value_and_grad(w, X, Y, jax.random.key(0))
    g_ref = jax.grad(hg.linear_objective)(w, X, Y)
    assert rel_err(g, g_ref) < 0.1  # the noise shrinks like 1/√k


def test_cost_in_evaluations_per_step():
    assert hg.finite_difference(hg.linear_objective).evals_per_step(100) == 201
    assert hg.random_directions(hg.linear_objective, num_directions=8).evals_per_step(100) == 17
    assert hg.random_directions(hg.linear_objective, num_directions=8).evals_per_step(10_000) == 17


@pytest.mark.parametrize("method", ["finite_difference", "random_directions"])
def test_fits_the_linear_model(data, method):
    X, Y = data
    est = getattr(hg, method)(hg.linear_objective)
    _w, trajectory = hg.run(
        est.value_and_grad, jnp.zeros(4), X, Y, rule=hg.gd(0.05), sampler=hg.full_batch(),
        steps=300, key=jax.random.key(1), takes_key=est.takes_key,
    )  # fmt: skip
    assert float(trajectory.losses[-1]) < 1e-3 * float(trajectory.losses[0])


def test_fits_the_nearest_neighbour_model_where_gradients_are_zero():
    X = jnp.concatenate(
        [
            0.3 * randn(4, (20, 2)) - jnp.array([[2.0, 0.0]]),
            0.3 * randn(5, (20, 2)) + jnp.array([[2.0, 0.0]]),
        ]
    )
    Y = jnp.concatenate(
        [jnp.ones(20, jnp.int32), jnp.zeros(20, jnp.int32)]
    )  # left cluster is class 1
    W0 = jnp.array(
        [[-1.0, 0.5], [1.0, 0.5]]
    )  # prototypes on the wrong sides: every prediction wrong
    J = hg.models.nearest_neighbour_objective
    assert float(J(W0, X, Y)) == 1.0
    autodiff = jax.value_and_grad(J)
    W_gd, _ = hg.run(autodiff, W0, X, Y, rule=hg.gd(0.5), sampler=hg.full_batch(), steps=50)
    assert np.array_equal(np.asarray(W_gd), np.asarray(W0))  # zero gradient: GD never moves
    est = hg.random_directions(J, num_directions=16, eps=1.0)
    W, _trajectory = hg.run(
        est.value_and_grad, W0, X, Y, rule=hg.gd(0.5), sampler=hg.full_batch(), steps=200,
        key=jax.random.key(3), takes_key=True,
    )  # fmt: skip
    assert float(J(W, X, Y)) == 0.0


def test_bad_settings():
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        hg.finite_difference(hg.linear_objective, eps=0.0)
    with pytest.raises(ValueError, match="num_directions must be a positive integer"):
        hg.random_directions(hg.linear_objective, num_directions=0)
