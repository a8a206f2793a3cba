import jax.numpy as jnp
import numpy as np
import pytest

from handgrad import linear_objective
from handgrad.optim import loss_surface
from helpers import randn


def test_every_grid_point_is_the_objective_there():
    X, Y = randn(0, (7, 2)), randn(1, (7,))
    w1, w2 = jnp.linspace(-1.0, 2.0, 4), jnp.linspace(0.5, 1.5, 3)
    surface = loss_surface(linear_objective, w1, w2, X, Y)
    assert surface.shape == (3, 4)  # rows follow w2, as contour(w1, w2, surface) expects
    for i, b in enumerate(w2):
        for j, a in enumerate(w1):
            np.testing.assert_allclose(
                surface[i, j], linear_objective(jnp.stack([a, b]), X, Y), rtol=1e-14
            )


def test_bad_grids_and_non_scalar_objectives_are_named():
    with pytest.raises(ValueError, match=r"w1 must have shape \(n1,\)"):
        loss_surface(lambda w: w @ w, jnp.zeros((2, 2)), jnp.zeros(3))
    with pytest.raises(ValueError, match="must return a scalar, got shape"):
        loss_surface(lambda w: w, jnp.zeros(2), jnp.zeros(3))


def test_descent_rate_and_angle_say_when_a_psd_step_goes_downhill():
    from handgrad.optim import angle_to_steepest, descent_rate

    g = jnp.array([1.0, 2.0])
    for eta in (
        jnp.asarray(0.5),
        jnp.diag(jnp.array([0.5, 2.0])),
        jnp.array([[2.0, 1.0], [1.0, 2.0]]),
    ):
        assert float(descent_rate(g, eta)) > 0 and float(angle_to_steepest(g, eta)) < 90
    assert float(angle_to_steepest(g, jnp.asarray(0.5))) == pytest.approx(0.0, abs=1e-6)
    singular = jnp.diag(jnp.array([0.5, 0.0]))
    assert float(descent_rate(jnp.array([0.0, 3.0]), singular)) == 0.0  # g in the null space
    indefinite = jnp.diag(jnp.array([1.0, -1.0]))
    assert (
        float(descent_rate(g, indefinite)) == -3.0 and float(angle_to_steepest(g, indefinite)) > 90
    )
    # to first order, gᵀηg is the decrease per unit step: compare with a tiny step of a quadratic
    A = jnp.array([[3.0, 1.0], [1.0, 2.0]])
    f = lambda w: 0.5 * w @ A @ w
    w = jnp.array([0.7, -1.1])
    grad, t, eta = A @ w, 1e-6, jnp.array([[1.0, 0.3], [0.3, 0.5]])
    np.testing.assert_allclose(
        (f(w) - f(w - t * eta @ grad)) / t, descent_rate(grad, eta), rtol=1e-5
    )


def test_eta_of_the_wrong_shape_is_named():
    from handgrad.optim import descent_rate

    with pytest.raises(ValueError, match="eta must be a scalar or an n × n matrix"):
        descent_rate(jnp.ones(2), jnp.ones(2))
