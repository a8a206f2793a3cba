"""GD against SGD at equal cost: loss against the number of per-sample gradient evaluations.

The lecture: SGD "is much faster than batch gradient descent at least in the context of
machine learning when the samples have some redundancy". The fair clock for that claim is
not the step but the work: a full-batch step evaluates P per-sample gradients, a per-sample
SGD step one, a minibatch step B. ``loss_vs_evaluations`` runs the library's loop
(``handgrad.run`` with ``gd(η)`` and a sampler) for a budget of per-sample gradient
evaluations and returns the average loss L(S, w) on the whole set after each step, against
the evaluations spent (the loss is measured for the plot, not charged to the budget).

When is a loss "reached"? A constant-η SGD curve does not settle: it falls to a noise floor
and hovers there, so the first time it touches a level ℓ can be a lucky dip it does not
hold. ``evaluations_to_reach`` therefore counts a level as reached only from the point after
which the curve stays at or below it to the end of the budget; a level below a run's noise
floor is never reached, and ``fastest_to_reach`` then prefers an η whose floor is below it.

Duplicating every sample ×m leaves L(S, w), its gradient and its minimiser unchanged, but
multiplies the cost of a GD step by m; the distribution of a per-sample (or minibatch)
gradient does not change, so SGD's cost to reach a loss stays the same. ``gradient_noise``
measures the other side of the trade: the variance of a minibatch gradient against the batch
size B, which falls like σ²/B (σ² the variance of one sample's gradient).

>>> import jax, jax.numpy as jnp
>>> from handgrad.models.linear import linear_objective
>>> X, Y = jnp.eye(2), jnp.array([1.0, -1.0])
>>> vg = jax.value_and_grad(linear_objective)
>>> curve = loss_vs_evaluations(vg, linear_objective, jnp.zeros(2), X, Y, lr=1.0, budget=4)
>>> curve.evaluations.tolist(), curve.losses.tolist()
([0, 2, 4], [1.0, 0.0, 0.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from handgrad._validate import check_positive_int
from handgrad.optim.loop import run
from handgrad.optim.rules import gd
from handgrad.optim.samplers import full_batch, minibatch, per_sample


class LossCurve(NamedTuple):
    """L(S, w) after each step, against the per-sample gradient evaluations spent so far."""

    evaluations: jax.Array  # (steps + 1,): 0, c, 2c, … with c the cost of one step
    losses: jax.Array  # (steps + 1,): the average loss on the whole set, starting point first


def loss_vs_evaluations(
    value_and_grad_fn: Callable,
    objective: Callable[..., jax.Array],
    params: Any,
    X: jax.Array,
    Y: jax.Array,
    *,
    lr,
    budget: int,
    batch_size: int | None = None,
    key: jax.Array | None = None,
    seeds: int = 1,
) -> LossCurve:
    """Runs w ← w − η g for as many steps as ``budget`` per-sample gradient evaluations buy.

    Counting rule: a step on a batch of B samples costs B evaluations; full-batch GD
    (``batch_size=None``) costs P per step, per-sample SGD (``batch_size=1``) one, minibatch
    SGD B. So the run takes ⌊budget / cost⌋ steps.

    Args:
      value_and_grad_fn: the gradient source ``(params, X, Y) -> (J, grads)``.
      objective: ``objective(params, X, Y)``, the average loss L(S, w) drawn on the curve.
      params: the starting point.
      X, Y: the training set.
      lr: the learning rate η.
      budget: the number of per-sample gradient evaluations to spend (at least one step's).
      batch_size: None for full-batch GD, 1 for the lecture's SGD, B for minibatches.
      key: seeds the sampler (default ``key(0)``).
      seeds: the number of runs (keys split from ``key``) whose losses are averaged: the
        curve is then an estimate of the expected loss E[L(S, w_t)], not one noisy path.

    Returns:
      ``LossCurve(evaluations, losses)``.

    Raises:
      ValueError: if the budget does not buy one step, or as ``handgrad.run`` does.
    """
    budget = check_positive_int("budget", budget)
    if batch_size is None:
        cost, sampler = X.shape[0], full_batch()
    else:
        cost = check_positive_int("batch_size", batch_size)
        sampler = per_sample() if cost == 1 else minibatch(cost)
    steps = budget // cost
    if steps < 1:
        raise ValueError(f"a budget of {budget} evaluations buys no step costing {cost}")
    seeds = check_positive_int("seeds", seeds)
    keys = jax.random.split(jax.random.key(0) if key is None else key, seeds)
    total = 0.0
    for k in keys:
        w_end, trajectory = run(
            value_and_grad_fn,
            params,
            X,
            Y,
            rule=gd(lr),
            sampler=sampler,
            steps=steps,
            key=k,
            record_params=True,
        )
        path = jax.tree.map(lambda a, b: jnp.concatenate([a, b[None]]), trajectory.params, w_end)
        total = total + _losses_along(objective, path, X, Y)
    return LossCurve(jnp.arange(steps + 1) * cost, total / seeds)


@partial(jax.jit, static_argnums=0)
def _losses_along(objective, path, X, Y):
    return jax.lax.map(lambda w: objective(w, X, Y), path, batch_size=256)


def evaluations_to_reach(curve: LossCurve, target: float) -> float:
    """The evaluations spent when L(S, w) falls to ``target`` or below *for good*.

    The answer is ``evaluations[t]`` for the first t with L_s ≤ target for every s ≥ t up to
    the end of the budget, not the first crossing: a noisy curve that dips below the target
    and comes back above it has not reached it. A non-finite loss counts as above.

    Returns:
      The evaluations, or ``inf`` if the last point of the curve is above ``target``.

    >>> curve = LossCurve(jnp.array([0, 5, 10, 15]), jnp.array([4.0, 1.0, 2.0, 0.5]))
    >>> evaluations_to_reach(curve, 1.5)  # the dip to 1.0 at 5 is not held
    15.0
    """
    above = ~(np.asarray(curve.losses) <= target)  # NaN is above
    if above[-1]:
        return math.inf
    crossings = np.flatnonzero(above)
    return float(curve.evaluations[crossings[-1] + 1 if crossings.size else 0])


class TunedRun(NamedTuple):
    """The learning rate of a grid that reached the target with the fewest evaluations."""

    lr: float
    evaluations: float  # to reach the target at that lr (inf if no lr of the grid did)
    curve: LossCurve


def fastest_to_reach(
    value_and_grad_fn: Callable,
    objective: Callable[..., jax.Array],
    params: Any,
    X: jax.Array,
    Y: jax.Array,
    *,
    lrs: Sequence[float],
    target: float,
    budget: int,
    batch_size: int | None = None,
    key: jax.Array | None = None,
    seeds: int = 1,
) -> TunedRun:
    """Tunes η fairly: runs ``loss_vs_evaluations`` for every η of ``lrs`` (same start, same
    keys, same budget, losses averaged over ``seeds`` runs) and keeps the one that reaches
    ``target`` for good (``evaluations_to_reach``) with the fewest evaluations.

    Ties — GD's evaluations come in multiples of P, so two η often reach the target at the
    same step — go to the lower loss at that point; if no η reaches the target, the lowest
    final loss wins (a non-finite loss loses). On data duplicated ×m a GD run takes the same
    steps (up to rounding), its curve only stretched ×m, so its tie is broken the same way.
    """
    best = None
    for lr in lrs:
        curve = loss_vs_evaluations(
            value_and_grad_fn,
            objective,
            params,
            X,
            Y,
            lr=lr,
            budget=budget,
            batch_size=batch_size,
            key=key,
            seeds=seeds,
        )
        evaluations = evaluations_to_reach(curve, target)
        at = (
            -1
            if math.isinf(evaluations)
            else int(np.searchsorted(np.asarray(curve.evaluations), evaluations))
        )
        loss = float(curve.losses[at])
        score = (evaluations, loss if math.isfinite(loss) else math.inf)
        if best is None or score < best[0]:
            best = (score, TunedRun(float(lr), score[0], curve))
    return best[1]


class GradientNoise(NamedTuple):
    """E‖g_B − g‖² of a minibatch gradient g_B against B, and the prediction from σ²."""

    batch_sizes: np.ndarray
    variance: np.ndarray  # measured over random minibatches, drawn without replacement
    per_sample_variance: float  # σ² = 1/P Σ_p ‖g_p − g‖²
    predicted: np.ndarray  # σ²/B · (P − B)/(P − 1), exact for draws without replacement


def gradient_noise(
    value_and_grad_fn: Callable,
    params: Any,
    X: jax.Array,
    Y: jax.Array,
    batch_sizes: Sequence[int],
    *,
    key: jax.Array,
    draws: int = 256,
) -> GradientNoise:
    """Measures the variance of the minibatch gradient at ``params`` for each batch size B.

    Each of ``draws`` minibatches is B distinct samples (a random permutation's first B, as
    ``handgrad.minibatch`` draws them). Its gradient is the mean of those samples' gradients,
    each from ``value_and_grad_fn`` on one row — the minibatch gradient of an average loss —
    so one compiled program serves every B. For an average loss,
    E‖g_B − g‖² = σ²/B · (P − B)/(P − 1) ≈ σ²/B when B ≪ P.

    Raises:
      ValueError: for a batch size outside 1…P or a number of draws below 1.
    """
    draws = check_positive_int("draws", draws)
    P = X.shape[0]
    Bs = np.asarray([check_positive_int("batch size", B) for B in batch_sizes])
    if Bs.size and Bs.max() > P:
        raise ValueError(f"a batch size must be at most P = {P}, got {int(Bs.max())}")
    flat = lambda Xb, Yb: jax.flatten_util.ravel_pytree(value_and_grad_fn(params, Xb, Yb)[1])[0]
    g_p = jax.vmap(lambda x, y: flat(x[None], y[None]))(X, Y)  # (P, n): one row per sample
    g = jnp.mean(g_p, axis=0)
    sigma2 = float(jnp.mean(jnp.sum((g_p - g[None, :]) ** 2, axis=1)))

    @jax.jit
    def variance(B, keys):
        def one(k):
            chosen = jax.random.permutation(k, P) < B  # B of the P samples, uniformly
            g_B = chosen.astype(g_p.dtype) @ g_p / B.astype(g_p.dtype)
            return jnp.sum((g_B - g) ** 2)

        return jnp.mean(jax.vmap(one)(keys))

    keys = jax.random.split(key, draws)
    measured = np.asarray([float(variance(jnp.asarray(B), keys)) for B in Bs])
    predicted = sigma2 / Bs * (P - Bs) / max(P - 1, 1)
    return GradientNoise(Bs, measured, sigma2, predicted)
