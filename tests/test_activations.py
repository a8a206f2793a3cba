import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import TOL, rel_err

POINTS = [-30.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 2.0, 30.0]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("name", sorted(hg.models.ACTIVATIONS))
def test_hand_derivative_equals_autodiff_kinks_included(name, dtype):
    phi, dphi = hg.models.get_activation(name)
    z = jnp.asarray(POINTS, dtype)
    autodiff = jax.vmap(jax.grad(phi))(z)
    assert dphi(z).dtype == dtype
    assert rel_err(dphi(z), autodiff) <= TOL[dtype]


@pytest.mark.parametrize("name", sorted(hg.models.ACTIVATIONS))
def test_activation_is_elementwise_and_keeps_shape(name):
    phi, dphi = hg.models.get_activation(name)
    z = jax.random.normal(jax.random.key(1), (3, 4))
    assert phi(z).shape == dphi(z).shape == (3, 4)
    assert jnp.allclose(phi(z)[1, 2], phi(z[1, 2]))


def test_relu_derivative_at_kink_is_zero():
    assert float(hg.models.get_activation("relu").dphi(jnp.array(0.0))) == 0.0


def test_known_values():
    assert float(hg.models.get_activation("sigmoid").dphi(jnp.array(0.0))) == 0.25
    assert float(hg.models.get_activation("tanh").dphi(jnp.array(0.0))) == 1.0
    assert float(hg.models.get_activation("relu").phi(jnp.array(-2.0))) == 0.0


def test_unknown_activation_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'.*relu.*sigmoid.*tanh"):
        hg.models.get_activation("rleu")
