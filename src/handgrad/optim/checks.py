"""What the training loop checks before it compiles.

``handgrad.optim.loop`` calls these on what ``run``, ``run_steps`` and ``init_run`` are given,
so that a bad argument is a ``ValueError`` naming it, raised before anything compiles: the
number of steps (a Python or NumPy int ≥ 1) and the flags (bools), the training set (X and Y
with the same number P ≥ 1 of samples along axis 0), the rule, sampler and state, and whatever
the gradient source says of its inputs — traced once on the arguments' shapes with the targets
Y concrete, so that a label outside the model's classes is named here.

>>> import jax.numpy as jnp
>>> from handgrad.optim.rules import gd
>>> check_rule_and_sampler(gd(0.1), "full")
Traceback (most recent call last):
...
ValueError: sampler must be a Sampler: handgrad.full_batch(), per_sample() or minibatch(B), got str
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from handgrad._validate import check_bool, check_samples, check_steps
from handgrad.optim.by_value import split
from handgrad.optim.gradient_free import Estimator
from handgrad.optim.samplers import Sampler

_PASSED: OrderedDict = OrderedDict()  # what check_source passed lately: key -> the labels' weakref
_REMEMBERED = 64


def check_rule_and_sampler(rule: Any, sampler: Any) -> None:
    """Raises ``ValueError`` for a rule or sampler of the wrong kind."""
    if not (callable(getattr(rule, "init", None)) and callable(getattr(rule, "update", None))):
        raise ValueError(
            "rule must be an optax.GradientTransformation such as handgrad.gd(0.1), got "
            f"{type(rule).__name__}"
        )
    if not isinstance(sampler, Sampler):
        raise ValueError(
            "sampler must be a Sampler: handgrad.full_batch(), per_sample() or minibatch(B), "
            f"got {type(sampler).__name__}"
        )


def check_state(state: Any, kind: type) -> None:
    """Raises ``ValueError`` unless ``state`` is a ``kind``: the loop's ``RunState``."""
    if not isinstance(state, kind):
        raise ValueError(
            f"state must be a {kind.__name__} (from init_run), got {type(state).__name__}"
        )


def checked_inputs(value_and_grad_fn, rule, sampler, params, X, Y, *, steps, **flags):
    """What ``run`` and ``run_steps`` check before compiling, and hand on: X and Y as arrays
    (a jax.Array, split or not, is kept as it is), the options as the Python ints and bools
    that static arguments need."""
    options = {"steps": check_steps(steps)}
    options |= {name: check_bool(name, value) for name, value in flags.items()}
    check_rule_and_sampler(rule, sampler)
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    check_samples(X, Y)
    check_source_once(value_and_grad_fn, params, X, Y, options["takes_key"])
    return X, Y, options


def _passed_key(value_and_grad_fn, params, X, Y, takes_key):
    """What ``check_source`` depends on, hashable; ``None`` when that cannot be said cheaply.

    The source by value (its static part and the values of its small traced leaves, such as
    λ), the shapes, dtypes and shardings of params, X and Y, and — for concrete integer
    labels, whose values the source checks — the labels array itself, by identity (a
    ``jax.Array`` is immutable, and a weak reference tells a live one from a recycled id)."""
    try:
        static, traced = split(value_and_grad_fn)
        values = []
        for leaf in traced:
            if np.size(leaf) > 64 or isinstance(leaf, jax.core.Tracer):
                return None
            a = np.asarray(leaf)
            values.append((a.dtype.str, a.shape, a.tobytes()))
        aval = lambda x: (jnp.shape(x), jnp.result_type(x), getattr(x, "sharding", None))
        shapes = jax.tree_util.tree_map(aval, params)
        labels = jnp.issubdtype(Y.dtype, jnp.integer) and not isinstance(Y, jax.core.Tracer)
        key = (static, tuple(values), jax.tree_util.tree_structure(params),
               tuple(jax.tree_util.tree_leaves(shapes)), aval(X), aval(Y), takes_key,
               id(Y) if labels else None)  # fmt: skip
        hash(key)
        return key, (weakref.ref(Y) if labels else None)
    except Exception:  # anything unhashable or unreadable: check it every time
        return None


def check_source_once(value_and_grad_fn, params, X, Y, takes_key: bool) -> None:
    """``check_source``, remembered: a run that repeats one that passed (the same source
    with the same λ, inputs of the same shapes, the same labels array) is not traced again,
    which saves milliseconds of host time per call."""
    passed = _passed_key(value_and_grad_fn, params, X, Y, takes_key)
    if passed is not None:
        key, labels = passed
        ref = _PASSED.get(key, False)
        if ref is not False and (ref is None or ref() is Y):
            _PASSED.move_to_end(key)
            return
    check_source(value_and_grad_fn, params, X, Y, takes_key)
    if passed is not None:
        _PASSED[key] = labels
        while len(_PASSED) > _REMEMBERED:
            _PASSED.popitem(last=False)


def check_source(value_and_grad_fn: Callable, params: Any, X: Any, Y: Any, takes_key: bool):
    """Traces the gradient source on the arguments' shapes, before compiling, while the
    numbers it holds are still concrete: a negative λ or a wrong shape is named here, and so
    is a source that does not return (J, grads) with J a scalar and grads shaped like params.

    Concrete labels (integer Y) are closed over, not passed, so the source sees their values
    and its own check names one outside the model's classes (tracing compiles nothing). Float
    targets have no range to check: as an argument, they let JAX reuse its trace of a source
    it has seen."""
    if not callable(value_and_grad_fn):
        estimator = isinstance(value_and_grad_fn, Estimator)
        raise ValueError(
            "the gradient source must be a function (params, X, Y) -> (J, grads), got "
            f"{type(value_and_grad_fn).__name__}"
            + (": pass its .value_and_grad, and takes_key=its .takes_key" if estimator else "")
        )
    source = value_and_grad_fn
    if takes_key:
        source = lambda p, X, Y: value_and_grad_fn(p, X, Y, jax.random.key(0))
    if jnp.issubdtype(Y.dtype, jnp.integer) and not isinstance(Y, jax.core.Tracer):
        out = jax.eval_shape(lambda p, X: source(p, X, Y), params, X)
    else:
        out = jax.eval_shape(source, params, X, Y)
    shapes = lambda tree: jax.tree_util.tree_map(jnp.shape, tree)
    if not (
        isinstance(out, (tuple, list))
        and len(out) == 2
        and jnp.shape(out[0]) == ()
        and jax.tree_util.tree_structure(out[1]) == jax.tree_util.tree_structure(params)
        and shapes(out[1]) == shapes(params)
    ):
        raise ValueError(
            "the gradient source must return (J, grads), J a scalar and grads shaped like the "
            f"parameters {shapes(params)}; it returned {shapes(out)}. jax.grad(J) returns the "
            "gradient alone: pass handgrad.autodiff(J) for (J, ∂J/∂w)"
        )
