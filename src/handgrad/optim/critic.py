"""Descending a cost with no gradient through a differentiable critic fitted to it.

The lecture, on reinforcement learning (the seed's Turkish, translated): the cost C is often
not differentiable, or entirely unknown, "adeta bir kara kutu gibi" (like a black box);
actor–critic methods train a second module C that is differentiable and approximates the
cost — "a way of making the cost differentiable, or at least of approximating it by a
differentiable function so that backpropagation can be used".

Here the critic is the smallest model that has a useful gradient, a quadratic
ĉ(w) = θ₀ + Σ_i θ_i w_i + Σ_{i≤j} θ_ij w_i w_j, fitted by least squares to values of the black
box at points sampled around the current w. ``critic_descent`` repeats: sample, fit, step
w ← w − η ∇ĉ(w) (``jax.grad`` of the critic, not of C). On a staircase C, whose gradient is
zero almost everywhere, the true C still goes down.

>>> import jax.numpy as jnp
>>> W = jnp.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])
>>> theta = fit_quadratic_critic(W, jnp.sum(W * W, axis=1) + 1.0)
>>> round(float(quadratic_critic(jnp.array([3.0, -1.0]), theta)), 6)
11.0
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_ndim, check_positive_int


def quadratic_features(w: ArrayLike) -> jax.Array:
    """[1, w_1 … w_n, w_i w_j for i ≤ j]: the 1 + n + n(n+1)/2 monomials of degree ≤ 2."""
    w = jnp.asarray(w)
    check_ndim("w", w, 1, "(n,)")
    i, j = jnp.triu_indices(w.shape[0])
    return jnp.concatenate([jnp.ones((1,), w.dtype), w, w[i] * w[j]])


def quadratic_critic(w: ArrayLike, theta: ArrayLike) -> jax.Array:
    """ĉ(w) = θ · features(w): the critic's estimate of the cost at w (differentiable)."""
    return quadratic_features(w) @ jnp.asarray(theta)


def fit_quadratic_critic(W: ArrayLike, costs: ArrayLike) -> jax.Array:
    """θ minimising Σ_s (ĉ(W_s) − costs_s)²: least squares on the samples' features.

    Args:
      W: the sampled points, one per row, shape (N, n); N ≥ 1 + n + n(n+1)/2 for a unique fit.
      costs: the black box's values there, shape (N,).
    """
    W = jnp.asarray(W)
    check_ndim("W", W, 2, "(N, n)")
    F = jax.vmap(quadratic_features)(W)
    return jnp.linalg.lstsq(F, jnp.asarray(costs, F.dtype))[0]


class CriticRun(NamedTuple):
    """The iterates w_0 … w_R and the true cost C there (evaluated for the record)."""

    path: jax.Array  # (rounds + 1, n)
    costs: jax.Array  # (rounds + 1,)


def critic_descent(
    cost: Callable[[jax.Array], jax.Array],
    w0: ArrayLike,
    key: jax.Array,
    *,
    rounds: int,
    samples: int,
    radius: float,
    lr: float,
) -> CriticRun:
    """``rounds`` rounds of: sample w + radius·u (u ~ N(0, I)), fit the quadratic critic to
    C there, step w ← w − lr ∇ĉ(w). One ``lax.scan`` under ``jit``.

    Counting rule: each round costs ``samples`` evaluations of the black box C and no
    gradient of it (C need not have one); the recorded C(w_r) is for the plot only.

    Args:
      cost: the black box C(w), a scalar function of a vector w (traceable by JAX).
      w0: the start, shape (n,).
      key: PRNG key for the samples.
      rounds, samples: the number of rounds and of black-box evaluations per round.
      radius: the spread of the samples: wide enough to see across C's flat steps.
      lr: the step size η on the critic's gradient.
    """
    rounds = check_positive_int("rounds", rounds)
    samples = check_positive_int("samples", samples)
    w0 = jnp.asarray(w0)
    check_ndim("w0", w0, 1, "(n,)")
    return _critic_descent(cost, rounds, samples, w0, key, radius, lr)


@partial(jax.jit, static_argnums=(0, 1, 2))
def _critic_descent(cost, rounds, samples, w0, key, radius, lr):
    # compiled once per (cost, rounds, samples): the start, key, radius and step are traced
    def round_(w, k):
        W = w[None, :] + radius * jax.random.normal(k, (samples, w.shape[0]), w.dtype)
        theta = fit_quadratic_critic(W, jax.vmap(cost)(W))
        w = w - lr * jax.grad(quadratic_critic)(w, theta)
        return w, w

    _, path = jax.lax.scan(round_, w0, jax.random.split(key, rounds))
    path = jnp.concatenate([w0[None], path])
    return CriticRun(path, jax.vmap(cost)(path))
