import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import TOL, rel_err


def test_linear_model_is_the_weighted_sum():
    x, w = jnp.array([1.0, -2.0, 3.0]), jnp.array([0.5, 0.25, 2.0])
    assert float(hg.linear(x, w)) == 0.5 - 0.5 + 6.0
    W = jnp.stack([w, 2 * w])
    assert hg.linear(x, W).tolist() == [6.0, 12.0]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("q", [None, 1, 3])
@pytest.mark.parametrize("P", [1, 10])
def test_hand_gradient_equals_autodiff(P, q, dtype):
    kw, kx, ky = jax.random.split(jax.random.key(P), 3)
    w = hg.models.linear_init(kw, 4, q, dtype)
    X = jax.random.normal(kx, (P, 4), dtype)
    Y = jax.random.normal(ky, (P,) if q is None else (P, q), dtype)
    hand = hg.linear_hand_grad(w, X, Y)
    assert hand.shape == w.shape and hand.dtype == dtype
    assert rel_err(hand, jax.grad(hg.linear_objective)(w, X, Y)) <= TOL[dtype]


def test_hand_gradient_passes_every_oracle():
    kw, kx, ky = jax.random.split(jax.random.key(1), 3)
    w, X, Y = (
        hg.models.linear_init(kw, 5, 2),
        jax.random.normal(kx, (8, 5)),
        jax.random.normal(ky, (8, 2)),
    )
    report = hg.check_gradients(hg.linear_objective, hg.linear_hand_grad, w, (X, Y))
    assert report.passed and report.leaves[0].fd < 1e-8


def test_gradient_vanishes_at_the_least_squares_solution():
    kx, kw = jax.random.split(jax.random.key(2))
    X, w_star = jax.random.normal(kx, (20, 3)), jax.random.normal(kw, (3,))
    assert jnp.max(jnp.abs(hg.linear_hand_grad(w_star, X, X @ w_star))) < 1e-13


@pytest.mark.parametrize(
    "w_shape, X_shape, Y_shape, message",
    [
        ((3,), (5, 4), (5,), r"X.shape\[1\] has size 4 but w of shape \(3,\) needs 3"),
        ((3,), (5, 3), (4,), r"Y.shape\[0\] has size 4"),
        ((3,), (5, 3), (5, 2), r"Y must have shape \(P,\)"),
        ((2, 3), (5, 3), (5, 4), r"Y.shape\[1\] has size 4 but W of shape \(2, 3\) needs 2"),
        ((2, 2, 3), (5, 3), (5,), r"w must have shape \(d,\) or \(q, d\)"),
    ],
)
def test_wrong_shapes_name_what_was_expected(w_shape, X_shape, Y_shape, message):
    w, X, Y = jnp.ones(w_shape), jnp.ones(X_shape), jnp.ones(Y_shape)
    for f in (hg.linear_objective, hg.linear_hand_grad):
        with pytest.raises(ValueError, match=message):
            f(w, X, Y)
