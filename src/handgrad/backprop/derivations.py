"""The lecture's three worked derivations, each as a function.

1. Backprop through a non-linear function z = h(s):  dC/ds = dC/dz · h′(s).
2. Backprop through a weighted sum, where z feeds s[i] = w[i] · z for several i:
   dC/dz = Σᵢ dC/ds[i] · w[i].
3. The perturbation view: perturbing s by ds perturbs z by dz = ds · h′(s), which
   perturbs C by dC = dz · dC/dz = ds · h′(s) · dC/dz — the same formula as 1.

>>> import jax.numpy as jnp
>>> float(through_weighted_sum(jnp.array([1.0, 2.0, 3.0]), jnp.array([1.0, 1.0, 1.0])))
6.0
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad.models.activations import get_activation


def through_nonlinearity(dC_dz: ArrayLike, s: ArrayLike, activation: str) -> jax.Array:
    r"""dC/ds = dC/dz · h′(s), element-wise: backprop through z = h(s).

    .. math::

        \frac{dC}{ds} = \frac{dC}{dz}\, h'(s)
    """
    return jnp.asarray(dC_dz) * get_activation(activation).dphi(s)


def through_weighted_sum(dC_ds: ArrayLike, w: ArrayLike) -> jax.Array:
    r"""dC/dz = Σᵢ dC/ds[i] · w[i] for one z feeding s[i] = w[i] z.

    .. math::

        \frac{dC}{dz} = \sum_i \frac{dC}{ds[i]}\, w[i]
    """
    return jnp.sum(jnp.asarray(dC_ds) * jnp.asarray(w))


def perturbation(ds: ArrayLike, s: ArrayLike, dC_dz: ArrayLike, activation: str) -> jax.Array:
    """dC = ds · h′(s) · dC/dz: how much C moves, to first order, when s moves by ds."""
    dz = jnp.asarray(ds) * get_activation(activation).dphi(s)
    return jnp.sum(dz * jnp.asarray(dC_dz))
