"""GD against SGD at equal cost: duplicating the data multiplies GD's cost to reach a loss by
the duplication factor and leaves SGD's unchanged; the minibatch gradient's variance is σ²/B."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from handgrad.optim import (
    evaluations_to_reach,
    fastest_to_reach,
    gradient_noise,
    loss_vs_evaluations,
)
from helpers import randn

VG = jax.value_and_grad(hg.linear_objective)


def problem():
    X = randn(0, (20, 2)) * jnp.array([[1.0, 0.5]])
    Y = X @ jnp.array([1.0, -2.0]) + 0.3 * randn(1, (20,))
    return X, Y


def test_curve_counts_evaluations_by_the_samples_each_step_sees():
    X, Y = problem()
    w0 = jnp.zeros(2)
    for batch_size, cost in ((None, 20), (1, 1), (5, 5)):
        curve = loss_vs_evaluations(
            VG, hg.linear_objective, w0, X, Y, lr=0.1, budget=103, batch_size=batch_size
        )
        assert curve.evaluations.tolist() == [cost * t for t in range(103 // cost + 1)]
        assert float(curve.losses[0]) == pytest.approx(float(hg.linear_objective(w0, X, Y)))
    gd = loss_vs_evaluations(VG, hg.linear_objective, w0, X, Y, lr=0.1, budget=60)
    w = w0
    for t in range(4):  # the same as three hand-written GD steps
        assert float(gd.losses[t]) == pytest.approx(float(hg.linear_objective(w, X, Y)), rel=1e-12)
        w = w - 0.1 * VG(w, X, Y)[1]
    with pytest.raises(ValueError, match="buys no step"):
        loss_vs_evaluations(VG, hg.linear_objective, w0, X, Y, lr=0.1, budget=10)


def test_evaluations_to_reach_is_the_first_crossing():
    curve = hg.optim.LossCurve(jnp.array([0, 5, 10, 15]), jnp.array([4.0, 2.0, 1.0, 0.5]))
    assert evaluations_to_reach(curve, 1.5) == 10.0
    assert evaluations_to_reach(curve, 0.1) == float("inf")


def test_duplicating_the_data_multiplies_gds_cost_but_not_sgds():
    X, Y = problem()
    w0 = jnp.array([-2.0, 3.0])
    L_star = float(hg.linear_objective(jnp.linalg.lstsq(X, Y)[0], X, Y))
    target = 1.25 * L_star
    lrs = [0.1, 0.2, 0.4]
    cost = {}
    for m in (1, 10):
        Xm, Ym = jnp.tile(X, (m, 1)), jnp.tile(Y, m)
        for name, batch_size in (("GD", None), ("SGD", 1), ("minibatch", 5)):
            tuned = fastest_to_reach(
                VG,
                hg.linear_objective,
                w0,
                Xm,
                Ym,
                lrs=lrs,
                target=target,
                budget=10000,
                batch_size=batch_size,
                key=jax.random.key(m),  # independent draws for the duplicated set
                seeds=8,
            )
            assert np.isfinite(tuned.evaluations), (name, m)
            cost[name, m] = tuned.evaluations
    assert 8 <= cost["GD", 10] / cost["GD", 1] <= 12
    assert 1 / 1.5 <= cost["SGD", 10] / cost["SGD", 1] <= 1.5
    assert cost["SGD", 10] < cost["GD", 10] / 5


def test_minibatch_gradient_variance_falls_like_sigma2_over_B():
    X, Y = problem()
    noise = gradient_noise(
        VG, jnp.array([0.5, 0.5]), X, Y, [1, 2, 5, 10, 20], key=jax.random.key(0), draws=4000
    )
    assert noise.variance[-1] < 1e-20  # B = P: the full gradient, no noise
    np.testing.assert_allclose(noise.variance[:-1], noise.predicted[:-1], rtol=0.1)
    assert noise.predicted[0] == pytest.approx(noise.per_sample_variance)


def test_the_curves_points_are_scored_by_one_compiled_program():
    from helpers import compilations

    X, Y = problem()
    kwargs = dict(lr=0.1, budget=40, batch_size=4)
    loss_vs_evaluations(VG, hg.linear_objective, jnp.zeros(2), X, Y, **kwargs)
    with compilations() as again:
        for seed in range(2):
            loss_vs_evaluations(
                VG, hg.linear_objective, jnp.ones(2), X, Y, key=jax.random.key(seed), **kwargs
            )
    assert again.count == 0
