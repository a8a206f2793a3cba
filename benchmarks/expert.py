"""The expert JAX contender: d2l's formulas written out in one jitted ``lax.scan``.

J = L + s is returned every step; the batch indices are precomputed with NumPy, outside the
timed call. Three forms: row-major batches as JAX's examples write them, one sample per column
as d2l prints it, and row-major without J's penalty term (what reporting J costs).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

LAM, LR, BATCH = 1e-4, 0.1, 128  # as bench_digits.py


def expert_step(W1, W2, Xb, Yb, with_s):
    """d2l's formulas for a row-major batch, written out; J = L + s unless told otherwise."""
    Z = Xb @ W1.T
    H = jnp.maximum(Z, 0)
    O = H @ W2.T
    O = O - O.max(1, keepdims=True)
    E = jnp.exp(O)
    S = E.sum(1, keepdims=True)
    L = jnp.mean(jnp.log(S[:, 0]) - jnp.take_along_axis(O, Yb[:, None], 1)[:, 0])
    J = L + LAM / 2 * (jnp.sum(W1 * W1) + jnp.sum(W2 * W2)) if with_s else L
    dO = (E / S - jax.nn.one_hot(Yb, O.shape[1], dtype=O.dtype)) / Xb.shape[0]
    dW2 = dO.T @ H + LAM * W2
    dZ = (dO @ W2) * (Z > 0)
    dW1 = dZ.T @ Xb + LAM * W1
    return W1 - LR * dW1, W2 - LR * dW2, J


def expert_step_columns(W1, W2, Xb, Yb, with_s):
    """The same formulas with one sample per column, as d2l prints them (Zᵀ = W⁽¹⁾Xᵀ, …)."""
    Zt = jax.lax.dot_general(W1, Xb, (((1,), (1,)), ((), ())))
    Ht = jnp.maximum(Zt, 0)
    Ot = W2 @ Ht
    Ot = Ot - Ot.max(0, keepdims=True)
    E = jnp.exp(Ot)
    S = E.sum(0, keepdims=True)
    L = jnp.mean(jnp.log(S[0]) - jnp.take_along_axis(Ot, Yb[None, :], 0)[0])
    J = L + LAM / 2 * (jnp.sum(W1 * W1) + jnp.sum(W2 * W2)) if with_s else L
    dOt = (E / S - jax.nn.one_hot(Yb, Ot.shape[0], dtype=Ot.dtype, axis=0)) / Xb.shape[0]
    dW2 = jax.lax.dot_general(dOt, Ht, (((1,), (1,)), ((), ()))) + LAM * W2
    dZt = (W2.T @ dOt) * (Zt > 0)
    dW1 = dZt @ Xb + LAM * W1
    return W1 - LR * dW1, W2 - LR * dW2, J


EXPERTS = {"expert": (expert_step, True), "expert, no s": (expert_step, False),
           "expert, columns": (expert_step_columns, True)}  # fmt: skip


@partial(jax.jit, static_argnames="who")
def expert_scan(W1, W2, X, Y, idx, who):
    step, with_s = EXPERTS[who]

    def body(W, i):
        *W, J = step(*W, X[i], Y[i], with_s)
        return tuple(W), J

    return jax.lax.scan(body, (W1, W2), idx)


@partial(jax.jit, static_argnums=(4, 5))
def _expert_full(W1, W2, X, Y, steps, who):
    step, with_s = EXPERTS[who]

    def body(W, _):
        *W, J = step(*W, X, Y, with_s)
        return tuple(W), J

    return jax.lax.scan(body, (W1, W2), None, length=steps)


def expert_indices(P, regime, steps, rng):
    """The (steps, B) indices an expert precomputes: one sample, or the batches of a fresh
    shuffle each epoch (P is a multiple of B in the minibatch regime)."""
    if regime == "per_sample":
        return jnp.asarray(rng.integers(0, P, (steps, 1)), jnp.int32)
    shuffles = [rng.permutation(P).reshape(P // BATCH, BATCH)
                for _ in range(steps // (P // BATCH) + 1)]  # fmt: skip
    return jnp.asarray(np.concatenate(shuffles)[:steps], jnp.int32)


def expert_runs(X, Y, params, steps):
    W1, W2 = params["W1"], params["W2"]
    runs = {}
    for regime, n in steps.items():
        if regime != "full_batch":
            idx = expert_indices(X.shape[0], regime, n, np.random.default_rng(0))
        for who in EXPERTS:
            runs[who, regime] = (partial(_expert_full, W1, W2, X, Y, n, who)
                                 if regime == "full_batch"
                                 else partial(expert_scan, W1, W2, X, Y, idx, who=who))  # fmt: skip
    return runs
