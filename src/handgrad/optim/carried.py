r"""The penalty s carried through the update: J = L + s every step, without a pass over W.

d2l's objective is J = L + s with s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F). Reporting J each step as
written costs a reduction over every weight, which on a CPU is about half of a one-sample
step (``benchmarks/README.md``). But the step is known: with the hand gradient
∂J/∂W = g + λW (g the gradient of L alone), plain gradient descent gives

    W′ = (1 − ηλ) W − η g,
    ‖W′‖² = (1 − ηλ)² ‖W‖² − 2η(1 − ηλ) ⟨W, g⟩ + η² ‖g‖²,

and the hand derivation says what g is made of: g⁽¹⁾ = (∂J/∂Z)ᵀ X and g⁽²⁾ = (∂J/∂O)ᵀ H, so

    ⟨W⁽¹⁾, g⁽¹⁾⟩ = Σ_p ∂J/∂z[p] · z[p]      (z = W⁽¹⁾x, before the bias)
    ⟨W⁽²⁾, g⁽²⁾⟩ = Σ_p ∂J/∂o[p] · o[p]
    ‖g⁽¹⁾‖²     = Σ_{p,p′} (∂J/∂z[p] · ∂J/∂z[p′]) (x[p] · x[p′])     (= ‖∂J/∂z‖² ‖x‖² for one sample)

all O(B²(h + d)) from quantities the step has already computed, against O(h d) for ‖W‖².
So s′ follows from s: for one sample, O(h + d). Autodiff cannot do this: it sees the
gradient as a dense array, not as the outer product the derivation shows it to be.

Rounding accumulates step by step (relatively, about the float's ε per step), so the run
computes s directly again every ``anchor`` steps; ``tests/test_carried.py`` holds the carried
J to the direct one over long float32 runs.

>>> import jax.numpy as jnp
>>> from handgrad.models.losses import l2_penalty
>>> params = {"W1": jnp.eye(2), "W2": jnp.ones((1, 2))}
>>> X, Y = jnp.ones((1, 2)), jnp.zeros((1, 1))
>>> s = l2_penalty([params["W1"], params["W2"]], 0.5)
>>> new, ds, J = mlp1_carried_step(params, s, X, Y, lr=0.1, lam=0.5, loss="squared_error")
>>> bool(jnp.allclose(s + ds, l2_penalty([new["W1"], new["W2"]], 0.5)))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import (
    check_bool,
    check_lam,
    check_positive_int,
    check_steps,
)
from handgrad.backprop.d2l import mlp1_backward_batch, mlp1_batch_loss, mlp1_forward_batch
from handgrad.models.losses import l2_penalty
from handgrad.models.mlp1 import Params, as_mlp1_inputs
from handgrad.optim.by_value import merge, split
from handgrad.optim.loop import init_run
from handgrad.optim.rules import gd
from handgrad.optim.samplers import Sampler, on_batch


def _penalty(params: Mapping[str, jax.Array], lam: ArrayLike) -> jax.Array:
    """s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F), computed directly (the bias is not penalised)."""
    return l2_penalty([params["W1"], params["W2"]], lam)


def _outer(a: jax.Array, b: jax.Array) -> jax.Array:
    """abᵀ for one sample, elementwise: XLA fuses it into the update it feeds (as a one-row
    matrix product it is a pass of its own)."""
    return a[:, None] * b[None, :]


def _norm2(A: jax.Array, B: jax.Array, G: jax.Array) -> jax.Array:
    """‖G‖²_F for G = AᵀB: from the factors, Σ_{p,p′} (A[p]·A[p′])(B[p]·B[p′]), when that is
    cheaper than a pass over G (batch² · (a + b) < a · b); otherwise from G."""
    P, a = A.shape
    b = B.shape[1]
    if P == 1:
        return jnp.sum(A * A) * jnp.sum(B * B)
    if P * P * (a + b) < a * b:
        return jnp.sum((A @ A.T) * (B @ B.T))
    return jnp.sum(G * G)


def mlp1_carried_step(
    params: Mapping[str, jax.Array],
    s: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    *,
    lr: ArrayLike,
    lam: ArrayLike,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> tuple[Params, jax.Array, jax.Array]:
    r"""One gradient step on d2l's J = L + s for a batch, with s carried.

    Given s = λ/2 (‖W⁽¹⁾‖² + ‖W⁽²⁾‖²) of ``params``, returns the step's new parameters, the
    change Δs = s′ − s of the penalty (s′ that of the new parameters) and this step's J = L + s:

    .. math::

        W' &= (1 - \eta\lambda)\, W - \eta\, g, \qquad
            g^{(1)} = \Big(\frac{\partial J}{\partial Z}\Big)^{\!\top} X, \quad
            g^{(2)} = \Big(\frac{\partial J}{\partial O}\Big)^{\!\top} H \\
        \Delta s &= -\eta\lambda(2 - \eta\lambda)\, s
            - \lambda\eta(1 - \eta\lambda)\Big(\sum_p \frac{\partial J}{\partial z_p}\cdot z_p
            + \sum_p \frac{\partial J}{\partial o_p}\cdot o_p\Big)
            + \frac{\lambda\eta^2}{2}\big(\|g^{(1)}\|^2 + \|g^{(2)}\|^2\big)

    with z before the bias, and ‖g‖² from the factors (``‖∂J/∂z‖²‖x‖²`` for one sample).

    Returns:
      (params′, Δs, J): s′ = s + Δs, added by the caller (``run_mlp1_carried`` compensates
      the sum).
    """
    cache = mlp1_forward_batch(params, X, activation=activation)
    L = mlp1_batch_loss(cache, Y, loss=loss)
    back = mlp1_backward_batch(params, cache, Y, lam=0.0, activation=activation, loss=loss)
    dtype = params["W1"].dtype
    lr, lam = jnp.asarray(lr, dtype), jnp.asarray(lam, dtype)
    decay = 1 - lr * lam  # rounded, and used as rounded in W′ and in s′ alike
    e = 1 - decay  # exact for ηλ ≤ ½ (Sterbenz); (1 − e)² = 1 − e(2 − e) keeps its precision,
    shrink = e * (2 - e)  # where squaring the rounded decay would err alike every step
    z = cache.z - params["b1"][None, :] if "b1" in params else cache.z
    inner = jnp.sum(back.dJ_dz * z) + jnp.sum(back.dJ_do * cache.o)
    sq = _norm2(back.dJ_dz, cache.x, back.dJ_dW1) + _norm2(back.dJ_do, cache.h, back.dJ_dW2)
    ds = -shrink * s - lam * lr * decay * inner + lam * lr * lr / 2 * sq
    sample = X.shape[0] == 1
    g1 = _outer(back.dJ_dz[0], cache.x[0]) if sample else back.dJ_dW1  # (∂J/∂Z)ᵀX, λ = 0
    g2 = _outer(back.dJ_do[0], cache.h[0]) if sample else back.dJ_dW2
    new = {"W1": decay * params["W1"] - lr * g1, "W2": decay * params["W2"] - lr * g2}
    if "b1" in params:
        new["b1"] = params["b1"] - lr * back.dJ_db1
    return new, ds, L + s


@partial(jax.jit, static_argnames=("sampler", "steps", "anchor", "activation", "loss"))
def _run(params, X, Y, lr, lam, state, traced, *, sampler, steps, anchor, activation, loss):
    sampler = merge(sampler, traced)
    (which, index_sets), _ = sampler.schedule(state, X.shape[0], steps)
    step = partial(mlp1_carried_step, lr=lr, lam=lam, activation=activation, loss=loss)

    def body(carry, xs):
        params, s, err = carry
        params, ds, J = on_batch(lambda Xb, Yb: step(params, s, Xb, Yb), X, Y, *xs)
        # s + Δs, compensated (Kahan): steps alike round alike, which a plain sum accumulates
        delta = ds - err
        total = s + delta
        return (params, total, (total - s) - delta), (J, s)

    def block(params, xs):  # `anchor` steps from a directly computed s
        s = _penalty(params, lam)
        (params, _, _), (J, S) = jax.lax.scan(body, (params, s, jnp.zeros_like(s)), xs)
        return params, (J, S)

    xs = (which, index_sets)
    blocks, rest = divmod(steps, anchor)
    parts = []
    if blocks:
        head = jax.tree_util.tree_map(
            lambda a: a[: blocks * anchor].reshape(blocks, anchor, *a.shape[1:]), xs
        )
        params, JS = jax.lax.scan(block, params, head)
        parts.append(jax.tree_util.tree_map(lambda a: a.reshape(-1), JS))
    if rest:
        params, JS = block(params, jax.tree_util.tree_map(lambda a: a[blocks * anchor :], xs))
        parts.append(JS)
    J, S = (jnp.concatenate(a) for a in zip(*parts))
    return params, J, S


def run_mlp1_carried(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lr: ArrayLike,
    lam: ArrayLike,
    steps: int,
    sampler: Sampler,
    key: jax.Array | None = None,
    anchor: int = 100,
    penalties: bool = False,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> tuple:
    """Gradient descent on d2l's MLP with s carried: ``run(rule=gd(lr), …)`` with
    ``mlp1_hand_value_and_grad``, the same steps (up to rounding: (1 − ηλ)W − ηg rounds
    otherwise than W − η(g + λW)) and the same J per step. For one sample, about 1.7× faster
    than a loop that computes s (``benchmarks/README.md``); for batches where
    B²(h + d) ≥ hd, ‖g‖² is a pass over g, and the saving is small.

    Args:
      params, X, Y: as ``handgrad.mlp1_objective`` takes them.
      lr, lam: η and λ (traced: a new value compiles nothing).
      steps: the number of steps.
      sampler: ``handgrad.full_batch()``, ``per_sample()`` or ``minibatch(B)``.
      key: seeds the sampler (default ``key(0)``), as ``run`` does.
      anchor: s is computed directly again every ``anchor`` steps.
      penalties: also return the carried s of every step.

    Returns:
      (final parameters, J = L + s per step, before the step), and s per step if asked.

    Raises:
      ValueError: for a bad number of steps, η, λ, sampler, key or ``anchor``, and whatever
        the model's checks say of params, X and Y.
    """
    steps, anchor = check_steps(steps), check_positive_int("anchor", anchor)
    penalties = check_bool("penalties", penalties)
    check_lam(lam)
    key = jax.random.key(0) if key is None else key
    # the batches run draws; gd and init_run check η, the sampler and the key
    state = init_run(params, gd(lr), sampler, key).sampler
    params, X, Y = as_mlp1_inputs(params, X, Y, activation, loss)
    static, traced = split(sampler)  # equal samplers compile once
    final, J, S = _run(params, X, Y, lr, lam, state, traced, sampler=static, steps=steps,
                       anchor=min(anchor, steps), activation=activation, loss=loss)  # fmt: skip
    return (final, J, S) if penalties else (final, J)
