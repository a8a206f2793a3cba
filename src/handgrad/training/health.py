"""What a run checks between chunks: that everything is finite, and that the hand gradient
is still the gradient (against autodiff, in float64)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.optim.loop import RunState
from handgrad.training.evaluation import param_names
from handgrad.training.setup import Setup


class TrainingError(RuntimeError):
    """The run cannot go on: divergence, or hand gradients that disagree with autodiff."""


def make_gradient_check(s: Setup, samples: int = 64):
    """params → (the run's gradients, autodiff's, the scale of their terms), in float64.

    The check is of the formula, so it runs where rounding cannot hide a wrong one: the
    parameters and the data are cast to float64 (under a scoped ``jax.enable_x64``) whatever
    the run's dtype. Late in a run the gradient is a sum of per-sample terms that nearly
    cancel (its norm falls far below theirs), so its rounding error is set by the terms, not
    by the sum: the scale returned per leaf is the mean norm of the per-sample gradients of
    J on the first ``samples`` training samples, and the check allows a small fraction of it.
    """
    k = min(samples, s.X_train.shape[0])

    def both(params, X, Y):
        per_sample = jax.vmap(jax.grad(s.objective), in_axes=(None, 0, 0))(
            params, X[:k, None], Y[:k, None]
        )
        scale = jax.tree_util.tree_map(
            lambda t: jnp.mean(jnp.sqrt(jnp.sum(t.reshape(k, -1) ** 2, axis=1))), per_sample
        )
        return s.value_and_grad(params, X, Y)[1], jax.grad(s.objective)(params, X, Y), scale

    jitted = jax.jit(both)
    wide = lambda a: (
        np.asarray(a, np.float64) if jnp.issubdtype(a.dtype, jnp.floating) else np.asarray(a)
    )
    X, Y = wide(s.X_train), wide(s.Y_train)

    def check(params):
        with jax.enable_x64(True):
            return jitted(jax.tree_util.tree_map(wide, params), X, Y)

    return check


CHECK_TOLERANCE = 1e-9  # of ‖hand − autodiff‖ against ‖autodiff‖ + 1e-3 · the terms' scale


def check_hand_gradients(check, params: Any, step: int, tol: float = CHECK_TOLERANCE) -> None:
    """Raises ``TrainingError`` unless, for every leaf, ‖g − g_ref‖ ≤ tol · (‖g_ref‖ + 1e-3 · scale).

    In float64 the verified formulas agree to ~1e-13 of that; a wrong formula misses by far
    more while the gradient is still large, that is, from the first check on.
    """
    g, g_ref, scale = check(params)
    for name, a, b, m in zip(
        param_names(params),
        jax.tree_util.tree_leaves(g),
        jax.tree_util.tree_leaves(g_ref),
        jax.tree_util.tree_leaves(scale),
    ):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        err = float(np.linalg.norm(a - b) / (np.linalg.norm(b) + 1e-3 * float(m) + 1e-300))
        if not err <= tol:
            raise TrainingError(
                f"at step {step} the hand gradient of leaf {name} disagrees with autodiff: "
                f"relative error {err:.3e} > {tol:.0e} (in float64). The run stopped; its last "
                "checkpoint is kept. To go on without the check, resume with "
                "--set train.verify_every=0"
            )


@jax.jit
def _non_finite(tree) -> list:
    """Per floating-point leaf of ``tree``: how many entries are NaN or Inf."""
    return [
        jnp.sum(~jnp.isfinite(x)) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.int32(0)
        for x in jax.tree_util.tree_leaves(tree)
    ]


def first_non_finite(state: RunState) -> str | None:
    """The name of the first leaf of the state (parameters, then optimiser state) that holds
    NaN or Inf, or None."""
    for name, tree in (("parameter", state.params), ("optimiser state", state.opt_state)):
        counts = [int(c) for c in _non_finite(tree)]
        names = param_names(tree) if name == "parameter" else [str(i) for i in range(len(counts))]
        for leaf, count in zip(names, counts):
            if count:
                return f"{name} {leaf} ({count} entries)"
    return None
