"""The lecture's three worked derivations, against autodiff and a real perturbation."""

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import rel_err

S = jnp.array([-1.5, -0.2, 0.3, 1.1, 2.5])
Y = jnp.array([0.5, -1.0, 0.0, 2.0, 1.0])


def C_of_z(z):  # some cost downstream of z: the "black box" of the lecture
    return hg.squared_error(Y, z) + jnp.sum(jnp.sin(z))


@pytest.mark.parametrize("activation", sorted(hg.models.ACTIVATIONS))
def test_through_a_nonlinear_function(activation):
    h = hg.models.get_activation(activation).phi
    dC_dz = jax.grad(C_of_z)(h(S))
    dC_ds = hg.backprop.through_nonlinearity(dC_dz, S, activation)
    assert rel_err(dC_ds, jax.grad(lambda s: C_of_z(h(s)))(S)) <= 1e-12


def test_through_a_weighted_sum():
    w = jnp.array([0.5, -2.0, 3.0])  # z feeds s[0], s[1], s[2] with these weights
    C_of_s = lambda s: jnp.sum(jnp.tanh(s) * jnp.array([1.0, 2.0, -1.0])) + s[0] * s[2]
    z = jnp.asarray(0.7)
    dC_ds = jax.grad(C_of_s)(w * z)
    dC_dz = hg.backprop.through_weighted_sum(dC_ds, w)
    assert rel_err(dC_dz, jax.grad(lambda z: C_of_s(w * z))(z)) <= 1e-12
    # the sum of the three variations: dropping any one branch gives a wrong answer
    assert all(rel_err(dC_dz - dC_ds[i] * w[i], dC_dz) > 0.05 for i in range(3))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus", "relu"])
def test_perturbation_view(activation):
    h = hg.models.get_activation(activation).phi
    C = lambda s: C_of_z(h(s))
    ds = jnp.array([0.3, -1.0, 0.5, 0.2, -0.4])
    dC_dz = jax.grad(C_of_z)(h(S))
    dC = hg.backprop.perturbation(ds, S, dC_dz, activation)
    _, forward_mode = jax.jvp(C, (S,), (ds,))
    assert rel_err(dC, forward_mode) <= 1e-12
    eps = 1e-6  # a real perturbation of s, both ways
    moved = (C(S + eps * ds) - C(S - eps * ds)) / (2 * eps)
    assert rel_err(dC, moved) <= 1e-8
