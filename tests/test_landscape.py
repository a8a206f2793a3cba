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
