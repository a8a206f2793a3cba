import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import TOL, rel_err


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("q", [1, 4])
def test_squared_error_value_and_gradient(q, dtype):
    ky, kb = jax.random.split(jax.random.key(q))
    y, ybar = jax.random.normal(ky, (q,), dtype), jax.random.normal(kb, (q,), dtype)
    assert jnp.allclose(hg.squared_error(y, ybar), sum((y[i] - ybar[i]) ** 2 for i in range(q)))
    autodiff = jax.grad(hg.squared_error, argnums=1)(y, ybar)
    assert rel_err(hg.models.squared_error_grad(y, ybar), autodiff) <= TOL[dtype]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("q", [1, 2, 5])
def test_cross_entropy_value_and_gradient(q, dtype):
    o = 3 * jax.random.normal(jax.random.key(q), (q,), dtype)
    for y in range(q):
        label = jnp.asarray(y)
        expected = -jnp.log(jax.nn.softmax(o)[y])
        assert jnp.allclose(hg.softmax_cross_entropy(label, o), expected, rtol=1e-5)
        autodiff = jax.grad(hg.softmax_cross_entropy, argnums=1)(label, o)
        assert rel_err(hg.models.softmax_cross_entropy_grad(label, o), autodiff) <= TOL[dtype]


def test_cross_entropy_is_stable_for_huge_logits():
    o = jnp.array([1000.0, -1000.0, 0.0])
    assert float(hg.softmax_cross_entropy(jnp.asarray(0), o)) == 0.0
    assert jnp.all(jnp.isfinite(hg.models.softmax_cross_entropy_grad(jnp.asarray(1), o)))


def test_cross_entropy_gradient_sums_to_zero():
    o = jax.random.normal(jax.random.key(3), (6,))
    assert abs(float(jnp.sum(hg.models.softmax_cross_entropy_grad(jnp.asarray(2), o)))) < 1e-14


def test_unknown_loss_names_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"unknown loss 'mse'.*softmax_cross_entropy.*squared_error"
    ):
        hg.models.get_cost("mse")
