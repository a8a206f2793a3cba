import jax
import jax.numpy as jnp
import pytest

import handgrad as hg


def test_output_is_the_index_of_the_closest_row():
    W = jnp.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert [
        int(hg.models.nearest_neighbour(jnp.array(x), W))
        for x in ([1.0, 1.0], [9.0, 2.0], [2.0, 7.0])
    ] == [0, 1, 2]


def test_ties_go_to_the_lowest_index():
    W = jnp.array([[1.0, 0.0], [-1.0, 0.0]])
    assert int(hg.models.nearest_neighbour(jnp.zeros(2), W)) == 0


def test_autodiff_gives_zero_gradient_though_the_loss_is_not_constant():
    # The arg-min is piecewise constant in W: jax.grad is exactly zero...
    W = jnp.array([[0.0, 0.0], [2.0, 0.0]])
    X = jnp.array([[0.9, 0.0], [1.5, 0.0], [-1.0, 0.3]])
    Y = jnp.array([1, 1, 0])
    J = hg.models.nearest_neighbour_objective
    grad = jax.grad(J)(W, X, Y)
    assert grad.shape == W.shape and float(jnp.max(jnp.abs(grad))) == 0.0
    # ... and tiny steps agree (finite differences are zero too) ...
    step = jnp.zeros_like(W).at[1, 0].set(1e-4)
    assert float(J(W + step, X, Y)) == float(J(W, X, Y))
    # ... yet a finite step of W_1 towards x[0] moves it across the cell boundary and
    # lowers the loss: there is descent to be had, but no gradient points at it.
    assert float(J(W - 0.5 * step / 1e-4, X, Y)) < float(J(W, X, Y))


def test_wrong_shapes_are_named():
    with pytest.raises(ValueError, match=r"x has size 3 but W of shape \(2, 2\) needs 2"):
        hg.models.nearest_neighbour(jnp.ones(3), jnp.ones((2, 2)))
