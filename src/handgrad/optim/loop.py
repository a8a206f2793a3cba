"""The training loop, compiled end to end: one ``lax.scan`` over the steps (a
``lax.while_loop`` when a chunk has room for more steps than it takes: ``run_steps(length=…)``).

Each step asks the sampler which samples to use, the gradient source for (J, g) on them,
and the rule for the update — all inside one ``jit``-compiled ``lax.scan``, with no Python
between steps. The gradient source is any ``value_and_grad_fn(params, X, Y)`` returning
``(J, grads)``: a hand-derived one such as ``handgrad.mlp1_hand_value_and_grad``,
``handgrad.autodiff(objective)``, or a gradient-free estimator (which also takes a PRNG key:
pass ``takes_key=True``).

Compiled once: the gradient source, the rule and the sampler are split by
``handgrad.optim.by_value`` into what is static, compared by value, and what is traced. Equal
ones reuse the compiled run — three calls of ``run_gd(partial(mlp1_hand_value_and_grad,
lam=1e-4), …)`` compile once — and the numbers they hold are traced: a new learning rate, λ
or key compiles nothing. Single-device, data-parallel and model-parallel training are this one
loop: sharding is a property of the inputs (``handgrad.exercises.parallel``), not of the loop.

Checked before compiling (``handgrad.optim.checks``): the number of steps (a Python or NumPy
int ≥ 1), the training set (X and Y with the same number P ≥ 1 of samples along axis 0), the
rule, sampler and key, and whatever the gradient source says of its inputs — traced once on
the arguments' shapes with the targets Y concrete, so that a label outside the model's classes
is named here.

>>> import jax.numpy as jnp
>>> from handgrad.models.linear import linear_objective
>>> from handgrad.optim.autodiff import autodiff
>>> X, Y = jnp.eye(2), jnp.array([1.0, -1.0])
>>> w, losses = run_gd(autodiff(linear_objective), jnp.zeros(2), X, Y, lr=1.0, steps=1)
>>> w.tolist()
[1.0, -1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from handgrad._validate import check_key, check_positive_int, check_samples, check_steps
from handgrad.optim.by_value import merge, split
from handgrad.optim.checks import check_rule_and_sampler, check_state, checked_inputs
from handgrad.optim.rules import gd
from handgrad.optim.samplers import (
    Sampler,
    SamplerState,
    full_batch,
    minibatch,
    on_batch,
    per_sample,
)


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


_OPTIONS = ("steps", "record_params", "takes_key")


@partial(jax.jit, static_argnames=("statics", *_OPTIONS))
def _compiled_steps(statics, traced, state, X, Y, taken=None, **options):
    value_and_grad_fn, rule, sampler = map(merge, statics, traced)
    return scan_steps(value_and_grad_fn, rule, sampler, state, X, Y, taken=taken, **options)


@partial(jax.jit, static_argnames=("statics", *_OPTIONS))
def _compiled_run(statics, traced, params, X, Y, key, **options):
    value_and_grad_fn, rule, sampler = map(merge, statics, traced)
    key = jax.random.key(0) if key is None else key  # made here: an input of no device
    state = init_run(params, rule, sampler, key)
    final, trajectory = scan_steps(value_and_grad_fn, rule, sampler, state, X, Y, **options)
    return final.params, trajectory


def _split(*objects) -> tuple[tuple, tuple]:
    statics, traced = zip(*map(split, objects))
    return statics, traced


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
    length: int | None = None,
) -> tuple[RunState, Trajectory]:
    """Continues a run for ``steps`` steps, compiled once: a run split into chunks is the same run.

    The training command runs one chunk per call, with metrics and checkpoints between. With
    ``length`` (≥ ``steps``), the compiled program has room for ``length`` steps and takes
    ``steps`` of them, so chunks of every length up to ``length`` share one program: the last,
    shorter chunk of a run compiles nothing new, and neither does a resumed run. The
    trajectory then comes back as NumPy arrays of the ``steps`` steps taken (sliced on the
    host: a slice on the device would compile once per length).

    Returns:
      (the state after the steps, ``Trajectory`` of per-step losses and, if asked, parameters).

    Raises:
      ValueError: as ``run`` does, for a ``state`` that is not a ``RunState``, and for a
        ``length`` that is not an integer ≥ ``steps``.
    """
    options = dict(steps=steps, record_params=record_params, takes_key=takes_key)
    check_state(state, RunState)
    X, Y, options = checked_inputs(value_and_grad_fn, rule, sampler, state.params, X, Y, **options)
    statics, traced = _split(value_and_grad_fn, rule, sampler)
    if length is None:
        return _compiled_steps(statics, traced, state, X, Y, **options)
    length = check_positive_int("length", length)
    steps = options["steps"]
    if length < steps:
        raise ValueError(f"length must be >= steps ({steps}), got {length}")
    taken = jnp.asarray(steps, jnp.int32)
    final, trajectory = _compiled_steps(
        statics, traced, state, X, Y, taken, **options | {"steps": length}
    )
    return final, jax.tree_util.tree_map(lambda a: np.asarray(a)[:steps], trajectory)


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
    """Trains from ``params`` for ``steps`` steps, compiled end to end (one ``lax.scan``).

    Args:
      value_and_grad_fn: the gradient source, ``(params, X, Y) -> (J, grads)`` (with a PRNG
        key last when ``takes_key``).
      params: the starting point w, any pytree.
      X, Y: the training set S, one sample per row; sharded arrays train on their mesh.
      rule: ``handgrad.gd``, ``handgrad.preconditioned_gd`` or any optax transformation.
      sampler: ``handgrad.full_batch()``, ``per_sample()`` or ``minibatch(B)``.
      steps: the number of steps.
      key: seeds the sampler and a stochastic gradient source (default ``key(0)``).
      record_params: also return the parameters before every step.

    Returns:
      (final parameters, ``Trajectory`` of per-step losses and, if asked, parameters).

    Raises:
      ValueError: before anything compiles, saying what was expected and what was given: for
        a number of steps that is not a positive integer, X and Y that do not hold the same
        number P ≥ 1 of samples along axis 0, a rule, sampler or key of the wrong kind, and
        whatever the gradient source says of its inputs (X of the wrong shape or dtype,
        labels outside the model's classes, a negative λ).
    """
    if key is not None:
        check_key("key", key)
    options = dict(steps=steps, record_params=record_params, takes_key=takes_key)
    X, Y, options = checked_inputs(value_and_grad_fn, rule, sampler, params, X, Y, **options)
    statics, traced = _split(value_and_grad_fn, rule, sampler)
    return _compiled_run(statics, traced, params, X, Y, key, **options)


def run_gd(value_and_grad_fn: Callable, params: Any, X: jax.Array, Y: jax.Array, *, lr, steps: int):
    """Full-batch gradient descent, w ← w − η ∂L(S, w)/∂w, for ``steps`` steps.

    ``lr`` may be traced (``vmap`` over it for a sweep).

    Returns:
      (final_params, losses): one loss per step, that of the whole set before the step.

    Raises:
      ValueError: as ``run`` does.
    """
    final, trajectory = run(
        value_and_grad_fn, params, X, Y, rule=gd(lr), sampler=full_batch(), steps=steps
    )
    return final, trajectory.losses


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

    ``lr`` and ``key`` may be traced (sweeps).

    Returns:
      (final_params, losses): one loss per step, that of the batch the step used.

    Raises:
      ValueError: as ``run`` does, and for a batch size that is not a positive integer.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    sampler = per_sample() if batch_size == 1 else minibatch(batch_size)
    final, trajectory = run(
        value_and_grad_fn, params, X, Y, rule=gd(lr), sampler=sampler, steps=steps, key=key
    )
    return final, trajectory.losses
