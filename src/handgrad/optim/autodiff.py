"""Autodiff as a gradient source: (J, ∂J/∂w) by ``jax.value_and_grad``, compiled once.

``jax.value_and_grad(J)`` makes a new function object on every call, which a compiled run can
only tell apart by identity: passing it to ``run_gd`` twice compiles twice. ``autodiff(J)`` is
the same gradient as a ``jax.tree_util.Partial`` of a module-level function, so equal
objectives give equal gradient sources, and the numbers inside J (a λ in a ``partial``) are
traced.

>>> import jax.numpy as jnp
>>> J, g = autodiff(lambda w, X, Y: jnp.sum((X @ w - Y) ** 2))(jnp.ones(2), jnp.eye(2), jnp.zeros(2))
>>> float(J), g.tolist()
(2.0, [2.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
from jax.tree_util import Partial


def _value_and_grad(objective: Callable[..., jax.Array], params: Any, *args: Any):
    return jax.value_and_grad(objective)(params, *args)


def autodiff(objective: Callable[..., jax.Array]) -> Callable[..., tuple[jax.Array, Any]]:
    """The gradient source ``(params, *args) -> (J, ∂J/∂params)`` of ``objective`` by autodiff.

    Args:
      objective: J(params, X, Y) → scalar, e.g. ``partial(handgrad.mlp1_objective, lam=1e-4)``.
    """
    return Partial(_value_and_grad, objective)
