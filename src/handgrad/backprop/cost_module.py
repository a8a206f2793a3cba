"""Cost modules: c = C(y, ȳ) at the top of the graph, where the backward pass starts.

A cost module averages the per-sample cost over any leading batch axes, so one sample
gives the lecture's C(y, ȳ) and a batch gives the average loss L(S, w). Its backward
starts the chain with ∂c/∂c = 1 and returns ∂c/∂ȳ = 1/P · ∂C/∂ȳ for each sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad.models.costs import get_cost


class CostModule(NamedTuple):
    """A scalar cost c(ȳ, y) with its hand gradient and its [1 × q] Jacobian."""

    name: str
    forward: Callable[[jax.Array, jax.Array], jax.Array]
    vjp: Callable[..., jax.Array]
    jacobian: Callable[[jax.Array, jax.Array], jax.Array]


def cost_module(name: str) -> CostModule:
    """The cost module for ``name`` in ``handgrad.models.COSTS``.

    ``forward(ybar, y)``: mean of C(y[p], ȳ[p]) over leading axes (ȳ has one sample axis).
    ``vjp(ybar, y, g=1)``: g · ∂C/∂ȳ / P, the gradient that seeds backprop.
    ``jacobian(ybar, y)``: ∂c/∂ȳ for one sample as a [1 × q] row vector.

    Raises:
      ValueError: if ``name`` is not a known cost.
    """
    C, dC = get_cost(name)

    def forward(ybar, y):
        per_sample = C
        for _ in range(ybar.ndim - 1):
            per_sample = jax.vmap(per_sample)
        return jnp.mean(per_sample(y, ybar))

    def vjp(ybar, y, g: ArrayLike = 1.0):
        P = math.prod(ybar.shape[:-1])
        return (jnp.asarray(g, ybar.dtype) / P) * dC(y, ybar)

    def jacobian(ybar, y):
        return dC(y, ybar)[None, :]

    return CostModule(name, forward, vjp, jacobian)
