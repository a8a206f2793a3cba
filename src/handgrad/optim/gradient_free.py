"""Gradient estimates from function values alone: the lecture's zeroth-order methods.

Both estimators return a ``value_and_grad``-like function usable in the training loop,
and say how many evaluations of the objective each step costs, so the cost against the
dimension n can be plotted:

- ``finite_difference``: central differences along every coordinate,
  g_i = (J(w + εe_i) − J(w − εe_i)) / 2ε — exact up to O(ε²), 2n + 1 evaluations;
- ``random_directions``: Gaussian-smoothing / evolution-strategies estimate along k random
  directions u_j ~ N(0, I), g = 1/k Σ_j (J(w + εu_j) − J(w − εu_j)) / 2ε · u_j — noisy,
  2k + 1 evaluations whatever n is, and it needs a PRNG key each step (``takes_key=True``).

With a large step ε these see through flat regions: on the nearest-neighbour model, whose
gradient is zero almost everywhere, they still find directions that lower the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp


class Estimator(NamedTuple):
    """A gradient source built from J alone, and its cost in evaluations of J per step."""

    value_and_grad: Callable[..., tuple[jax.Array, Any]]
    evals_per_step: Callable[[int], int]  # n (number of parameters) → evaluations of J
    takes_key: bool


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")


def finite_difference(objective: Callable[..., jax.Array], *, eps: float = 1e-4) -> Estimator:
    """Central differences along each of the n coordinates of the flattened parameters."""
    _check_eps(eps)

    def value_and_grad(params, X, Y):
        w, unravel = jax.flatten_util.ravel_pytree(params)
        J = lambda v: objective(unravel(v), X, Y)
        E = jnp.eye(w.size, dtype=w.dtype) * jnp.asarray(eps, w.dtype)
        g = jax.vmap(lambda e: (J(w + e) - J(w - e)) / (2 * eps))(E)
        return J(w), unravel(g)

    return Estimator(value_and_grad, lambda n: 2 * n + 1, False)


def random_directions(
    objective: Callable[..., jax.Array], *, num_directions: int = 8, eps: float = 1e-3
) -> Estimator:
    """The random-direction (SPSA / evolution-strategies) estimate along k directions."""
    _check_eps(eps)
    if not isinstance(num_directions, int) or num_directions < 1:
        raise ValueError(f"num_directions must be a positive integer, got {num_directions!r}")

    def value_and_grad(params, X, Y, key):
        w, unravel = jax.flatten_util.ravel_pytree(params)
        J = lambda v: objective(unravel(v), X, Y)
        U = jax.random.normal(key, (num_directions, w.size), w.dtype)
        slopes = jax.vmap(lambda u: (J(w + eps * u) - J(w - eps * u)) / (2 * eps))(U)
        return J(w), unravel(slopes @ U / num_directions)

    return Estimator(value_and_grad, lambda n: 2 * num_directions + 1, True)
