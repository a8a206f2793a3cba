"""One chunk of a run: the state a run carries, and its steps as one compiled loop body.

``scan_steps`` is the loop itself, traced under ``jit`` by ``handgrad.optim.loop``: the
sampler draws the chunk's batches up front, then each step gathers its rows, asks the gradient
source for (J, g) and applies the rule. ``RunState`` is everything a run needs to continue;
a checkpoint holds exactly this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from handgrad._validate import check_key, check_samples, check_steps
from handgrad.optim.checks import check_rule_and_sampler
from handgrad.optim.samplers import Sampler, SamplerState, on_batch


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
    """The state at step 0.

    Raises:
      ValueError: for a rule, sampler or key of the wrong kind.
    """
    check_rule_and_sampler(rule, sampler)
    check_key("key", key)
    k_sampler, k_grad = jax.random.split(key)
    return RunState(
        params, rule.init(params), sampler.init(k_sampler), k_grad, jnp.zeros((), jnp.int32)
    )


def scan_steps(
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
    taken: jax.Array | None = None,
) -> tuple[RunState, Trajectory]:
    """The loop itself: ``steps`` steps from ``state`` as one ``lax.scan`` (trace it under ``jit``).

    The sampler draws the chunk's indices up front; each step gathers its rows, asks the
    gradient source for (J, g) and applies the rule. A stochastic gradient source gets
    ``fold_in(key, step)``, so chunking a run never changes it.

    With ``taken`` (a traced count, 1 ≤ taken ≤ steps), the program has room for ``steps``
    steps and takes the first ``taken`` (a ``lax.while_loop``): one compiled program serves
    chunks of every length up to ``steps``. The trajectory then holds ``steps`` entries, of
    which the first ``taken`` are the run's; the sampler's count advances by ``taken``.

    Raises:
      ValueError: for a bad number of steps, or X and Y that do not hold the same number
        P ≥ 1 of samples along axis 0 (shapes only: this runs under ``jit``).
    """
    steps = check_steps(steps)
    check_samples(X, Y)
    (which, index_sets), sampler_state = sampler.schedule(state.sampler, X.shape[0], steps)

    def one_step(params, opt_state, step, xs):
        def value_and_grad(Xb, Yb):
            if takes_key:
                return value_and_grad_fn(params, Xb, Yb, jax.random.fold_in(state.key, step))
            return value_and_grad_fn(params, Xb, Yb)

        J, grads = on_batch(value_and_grad, X, Y, *xs)
        updates, opt_state = rule.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, J

    xs = (which, index_sets)  # a None index set scans as an empty pytree
    if taken is None:

        def body(carry, xs):
            params, opt_state, step = carry
            new_params, opt_state, J = one_step(params, opt_state, step, xs)
            return (new_params, opt_state, step + 1), (J, params if record_params else None)

        carry = (state.params, state.opt_state, state.step)
        (params, opt_state, step), (losses, path) = jax.lax.scan(body, carry, xs, length=steps)
        return RunState(params, opt_state, sampler_state, state.key, step), Trajectory(losses, path)

    def body_taken(carry):
        i, params, opt_state, losses, path = carry
        xs_i = jax.tree_util.tree_map(lambda a: a[i], xs)
        new_params, opt_state, J = one_step(params, opt_state, state.step + i, xs_i)
        losses = losses.at[i].set(J)
        if record_params:
            path = jax.tree_util.tree_map(lambda p, w: p.at[i].set(w), path, params)
        return i + 1, new_params, opt_state, losses, path

    J = jax.eval_shape(lambda: one_step(state.params, state.opt_state, state.step, _first(xs))[2])
    room = lambda a: jnp.zeros((steps, *jnp.shape(a)), jnp.result_type(a))
    path = jax.tree_util.tree_map(room, state.params) if record_params else None
    carry = (jnp.zeros((), jnp.int32), state.params, state.opt_state, room(J), path)
    _, params, opt_state, losses, path = jax.lax.while_loop(
        lambda carry: carry[0] < taken, body_taken, carry
    )
    sampler_state = state.sampler._replace(count=state.sampler.count + taken)
    final = RunState(params, opt_state, sampler_state, state.key, state.step + taken)
    return final, Trajectory(losses, path)


def _first(xs):
    """The first step's slice of a schedule."""
    return jax.tree_util.tree_map(lambda a: a[0], xs)
