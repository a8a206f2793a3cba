"""Gradient estimates from function values alone: the lecture's zeroth-order methods.

Both estimators return a ``value_and_grad``-like function usable in the training loop,
and say how many evaluations of the objective each step costs, so the cost against the
dimension n can be plotted:

- ``finite_difference``: central differences along every coordinate,
  g_i = (J(w + εe_i) − J(w − εe_i)) / 2ε — exact up to O(ε²), 2n + 1 evaluations;
- ``random_directions``: Gaussian-smoothing / evolution-strategies estimate along k random
  directions u_j ~ N(0, I), g = 1/k Σ_j (J(w + εu_j) − J(w − εu_j)) / 2ε · u_j — noisy,
  2k + 1 evaluations whatever n is, and it needs a PRNG key each step (``takes_key=True``).

With a large step ε these see through flat regions: on the nearest-neighbour model's index
loss, whose gradient is zero almost everywhere, they still find directions that lower it. (They
are not the only way: gradient descent on a differentiable surrogate over the same prototypes,
``handgrad.models.soft_nearest_neighbour``, trains them too; notebook 2 sets the two side by
side at an equal budget of evaluations.)

``random_directions`` is not SPSA: SPSA perturbs all coordinates at once by ±1 (Rademacher)
signs and divides by the perturbation, g_i = (J(w + εΔ) − J(w − εΔ)) / (2εΔ_i); this estimator
uses Gaussian directions and multiplies by them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
from jax.tree_util import Partial

from handgrad._validate import check_positive_int, check_positive_or_traced


class Estimator(NamedTuple):
    """A gradient source built from J alone, and its cost in evaluations of J per step."""

    value_and_grad: Callable[..., tuple[jax.Array, Any]]
    evals_per_step: Callable[[int], int]  # n (number of parameters) → evaluations of J
    takes_key: bool


def _finite_difference(objective, eps, params, X, Y):
    w, unravel = jax.flatten_util.ravel_pytree(params)
    J = lambda v: objective(unravel(v), X, Y)
    E = jnp.eye(w.size, dtype=w.dtype) * jnp.asarray(eps, w.dtype)
    g = jax.vmap(lambda e: (J(w + e) - J(w - e)) / (2 * eps))(E)
    return J(w), unravel(g)


def _two_per_coordinate(n: int) -> int:
    return 2 * n + 1


def finite_difference(objective: Callable[..., jax.Array], *, eps: float = 1e-4) -> Estimator:
    """Central differences along each of the n coordinates of the flattened parameters."""
    check_positive_or_traced("eps", eps)
    return Estimator(Partial(_finite_difference, objective, eps), _two_per_coordinate, False)


def _random_directions(objective, num_directions, eps, params, X, Y, key):
    w, unravel = jax.flatten_util.ravel_pytree(params)
    J = lambda v: objective(unravel(v), X, Y)
    U = jax.random.normal(key, (num_directions, w.size), w.dtype)
    slopes = jax.vmap(lambda u: (J(w + eps * u) - J(w - eps * u)) / (2 * eps))(U)
    return J(w), unravel(slopes @ U / num_directions)


def random_directions(
    objective: Callable[..., jax.Array], *, num_directions: int = 8, eps: float = 1e-3
) -> Estimator:
    """The random-direction estimate along k directions: Gaussian smoothing, as evolution
    strategies use it."""
    check_positive_or_traced("eps", eps)
    num_directions = check_positive_int("num_directions", num_directions)
    value_and_grad = Partial(_random_directions, objective, num_directions, eps)
    return Estimator(value_and_grad, lambda n: 2 * num_directions + 1, True)
