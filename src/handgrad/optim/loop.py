"""The training loop, compiled end to end: one ``lax.scan`` over the steps.

Each step asks the sampler which samples to use, the gradient source for (J, g) on
them, and the rule for the update — all inside one ``jit``-compiled ``lax.scan``, with
no Python between steps. The gradient source is any ``value_and_grad_fn(params, X, Y)``
returning ``(J, grads)``: ``jax.value_and_grad`` of an objective, a hand-derived one such
as ``handgrad.mlp1_hand_value_and_grad``, or a gradient-free estimator (which also
takes a PRNG key: pass ``takes_key=True``).

>>> import jax, jax.numpy as jnp
>>> from handgrad.models.linear import linear_objective
>>> X, Y = jnp.eye(2), jnp.array([1.0, -1.0])
>>> w, losses = run_gd(jax.value_and_grad(linear_objective), jnp.zeros(2), X, Y, lr=1.0, steps=1)
>>> w.tolist()
[1.0, -1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from handgrad.optim.rules import _check_lr, gd
from handgrad.optim.samplers import Sampler, SamplerState, full_batch, minibatch, per_sample


class RunState(NamedTuple):
    """Everything a run needs to continue: a checkpoint holds exactly this."""

    params: Any
    opt_state: Any
    sampler: SamplerState
    key: jax.Array  # for stochastic gradient sources
    step: jax.Array


class Trajectory(NamedTuple):
    """Per step: the loss of the batch the step used, and optionally the parameters
    *before* the step (so ``params[0]`` is the starting point)."""

    losses: jax.Array
    params: Any = None


def init_run(
    params: Any, rule: optax.GradientTransformation, sampler: Sampler, key: jax.Array
) -> RunState:
    """The state at step 0."""
    k_sampler, k_grad = jax.random.split(key)
    return RunState(
        params, rule.init(params), sampler.init(k_sampler), k_grad, jnp.zeros((), jnp.int32)
    )


def run_steps(
    value_and_grad_fn: Callable,
    rule: optax.GradientTransformation,
    sampler: Sampler,
    state: RunState,
    X: jax.Array,
    Y: jax.Array,
    *,
    steps: int,
    record_params: bool = False,
    takes_key: bool = False,
) -> tuple[RunState, Trajectory]:
    """Runs ``steps`` steps from ``state`` as one ``lax.scan``; jit it (see ``run``).

    The sampler draws the chunk's indices up front; each step gathers its rows, asks the
    gradient source for (J, g) and applies the rule. A stochastic gradient source gets
    ``fold_in(key, step)``, so chunking a run never changes it.
    """
    (which, index_sets), sampler_state = sampler.schedule(state.sampler, X.shape[0], steps)

    def body(carry, xs):
        params, opt_state, step = carry
        which_t, idx_t = xs

        def on(idx):
            def value_and_grad():
                Xb, Yb = (X, Y) if idx is None else (X[idx], Y[idx])
                args = (
                    (params, Xb, Yb, jax.random.fold_in(state.key, step))
                    if takes_key
                    else (params, Xb, Yb)
                )
                return value_and_grad_fn(*args)

            return value_and_grad

        branches = [on(idx) for idx in idx_t]
        J, grads = branches[0]() if len(branches) == 1 else jax.lax.switch(which_t, branches)
        updates, opt_state = rule.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        return (new_params, opt_state, step + 1), (J, params if record_params else None)

    xs = (which, index_sets)  # a None index set scans as an empty pytree
    carry = (state.params, state.opt_state, state.step)
    (params, opt_state, step), (losses, path) = jax.lax.scan(body, carry, xs, length=steps)
    final = RunState(params, opt_state, sampler_state, state.key, step)
    return final, Trajectory(losses, path)


run_steps_jit = jax.jit(
    run_steps,
    static_argnames=("value_and_grad_fn", "rule", "sampler", "steps", "record_params", "takes_key"),
)


def run(
    value_and_grad_fn: Callable,
    params: Any,
    X: jax.Array,
    Y: jax.Array,
    *,
    rule: optax.GradientTransformation,
    sampler: Sampler,
    steps: int,
    key: jax.Array | None = None,
    record_params: bool = False,
    takes_key: bool = False,
) -> tuple[Any, Trajectory]:
    """Trains from ``params`` for ``steps`` steps, compiled end to end.

    ``value_and_grad_fn``, ``rule`` and ``sampler`` are static under ``jit``: pass the same
    objects again to reuse the compiled run (a new ``gd(0.1)`` compiles anew).

    Returns:
      (final parameters, ``Trajectory`` of per-step losses and, if asked, parameters).
    """
    _check_steps(steps)
    key = jax.random.key(0) if key is None else key
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    state = init_run(params, rule, sampler, key)
    final, trajectory = run_steps_jit(
        value_and_grad_fn, rule, sampler, state, X, Y,
        steps=steps, record_params=record_params, takes_key=takes_key,
    )  # fmt: skip
    return final.params, trajectory


def run_gd(value_and_grad_fn: Callable, params: Any, X: jax.Array, Y: jax.Array, *, lr, steps: int):
    """Full-batch gradient descent, w ← w − η ∂L(S, w)/∂w, for ``steps`` steps.

    One ``jit``-compiled ``lax.scan``; ``lr`` may be traced (``vmap`` over it for a sweep).

    Returns:
      (final_params, losses): one loss per step, that of the whole set before the step.
    """
    _check_steps(steps)
    _check_lr(lr)
    return _run_gd(value_and_grad_fn, params, X, Y, lr=lr, steps=steps)


@partial(jax.jit, static_argnames=("value_and_grad_fn", "steps"))
def _run_gd(value_and_grad_fn, params, X, Y, *, lr, steps):
    rule, sampler = gd(lr), full_batch()
    state = init_run(params, rule, sampler, jax.random.key(0))
    final, trajectory = run_steps(value_and_grad_fn, rule, sampler, state, X, Y, steps=steps)
    return final.params, trajectory.losses


def run_sgd(
    value_and_grad_fn: Callable,
    params: Any,
    X: jax.Array,
    Y: jax.Array,
    *,
    lr,
    steps: int,
    key: jax.Array,
    batch_size: int = 1,
):
    """SGD: with ``batch_size=1`` the lecture's rule — pick p in 0…P−1, step on
    ∂L(x[p], y[p], w)/∂w; with a larger batch, minibatches from a shuffle each epoch.

    One ``jit``-compiled ``lax.scan``; ``lr`` and ``key`` may be traced (sweeps).

    Returns:
      (final_params, losses): one loss per step, that of the batch the step used.
    """
    _check_steps(steps)
    _check_lr(lr)
    minibatch(batch_size)  # validates batch_size
    return _run_sgd(
        value_and_grad_fn, params, X, Y, lr=lr, steps=steps, key=key, batch_size=batch_size
    )


@partial(jax.jit, static_argnames=("value_and_grad_fn", "steps", "batch_size"))
def _run_sgd(value_and_grad_fn, params, X, Y, *, lr, steps, key, batch_size):
    rule, sampler = gd(lr), per_sample() if batch_size == 1 else minibatch(batch_size)
    state = init_run(params, rule, sampler, key)
    final, trajectory = run_steps(value_and_grad_fn, rule, sampler, state, X, Y, steps=steps)
    return final.params, trajectory.losses


def _check_steps(steps) -> None:
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
