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
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from handgrad._validate import check_key, check_positive_int
from handgrad.optim.by_value import merge, split
from handgrad.optim.checks import check_state, checked_inputs
from handgrad.optim.rules import gd
from handgrad.optim.samplers import Sampler, full_batch, minibatch, per_sample
from handgrad.optim.steps import RunState, Trajectory, init_run, scan_steps

__all__ = ["RunState", "Trajectory", "init_run", "run", "run_gd", "run_sgd", "run_steps",
           "scan_steps"]  # fmt: skip


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
