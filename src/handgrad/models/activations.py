"""Point-wise non-linearities φ and their hand-written derivatives φ′.

Each activation is a pair ``(φ, φ′)`` of element-wise functions. The derivatives are
written out by hand, never taken with autodiff, and agree with ``jax.grad`` of φ
everywhere, kinks included: at ``z = 0`` ReLU's φ′ is 0, the value ``jax.nn.relu``'s
own rule gives (``jnp.maximum(z, 0)`` would give 1/2 there, which is why φ is
``jax.nn.relu`` and not ``maximum``). ``ACTIVATIONS`` maps each name to its pair.

>>> import jax.numpy as jnp
>>> phi, dphi = get_activation("tanh")
>>> float(dphi(jnp.array(0.0)))
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_name

LEAKY_RELU_SLOPE = 0.01


class Activation(NamedTuple):
    """A non-linearity φ with its derivative φ′, both element-wise."""

    phi: Callable[[ArrayLike], jax.Array]
    dphi: Callable[[ArrayLike], jax.Array]


def relu(z: ArrayLike) -> jax.Array:
    """φ(z) = max(z, 0)."""
    return jax.nn.relu(z)


def relu_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = 1 for z > 0, else 0 (0 at the kink, as ``jax.grad`` of ``jax.nn.relu``)."""
    z = jnp.asarray(z)
    return (z > 0).astype(z.dtype)


def tanh(z: ArrayLike) -> jax.Array:
    """φ(z) = tanh z."""
    return jnp.tanh(z)


def tanh_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = 1 − tanh² z."""
    t = jnp.tanh(z)
    return 1 - t * t


def sigmoid(z: ArrayLike) -> jax.Array:
    """φ(z) = 1 / (1 + e^{−z})."""
    return jax.nn.sigmoid(z)


def sigmoid_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = σ(z) (1 − σ(z))."""
    s = jax.nn.sigmoid(z)
    return s * (1 - s)


def leaky_relu(z: ArrayLike) -> jax.Array:
    """φ(z) = z for z > 0, else a·z with a = ``LEAKY_RELU_SLOPE``."""
    z = jnp.asarray(z)
    return jnp.where(z > 0, z, LEAKY_RELU_SLOPE * z)


def leaky_relu_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = 1 for z > 0, else a (the branch ``jnp.where`` differentiates at 0)."""
    z = jnp.asarray(z)
    return jnp.where(z > 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype)


def softplus(z: ArrayLike) -> jax.Array:
    """φ(z) = log(1 + e^z), a smooth ReLU."""
    return jax.nn.softplus(z)


def softplus_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = σ(z)."""
    return jax.nn.sigmoid(z)


def identity(z: ArrayLike) -> jax.Array:
    """φ(z) = z: with it the MLP collapses to a linear model (the lecture's remark)."""
    return jnp.asarray(z)


def identity_prime(z: ArrayLike) -> jax.Array:
    """φ′(z) = 1."""
    return jnp.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(relu, relu_prime),
    "tanh": Activation(tanh, tanh_prime),
    "sigmoid": Activation(sigmoid, sigmoid_prime),
    "leaky_relu": Activation(leaky_relu, leaky_relu_prime),
    "softplus": Activation(softplus, softplus_prime),
    "identity": Activation(identity, identity_prime),
}

# Activations whose φ′ jumps: finite differences across the jump are meaningless.
KINKED_ACTIVATIONS = frozenset({"relu", "leaky_relu"})


def get_activation(name: str) -> Activation:
    """Returns the ``(φ, φ′)`` pair called ``name``.

    Raises:
      ValueError: if ``name`` is not one of ``ACTIVATIONS``.
    """
    check_name("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]
