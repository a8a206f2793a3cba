"""Compiled once, on purpose: what a compiled run is given is split into a static part,
compared by value, and traced leaves.

``jax.jit`` hashes a static argument with ``__hash__``, which for a ``functools.partial`` or a
closure is its identity: ``run_gd(partial(f, lam=1e-4), …)`` called three times compiled three
times, and a λ or a learning rate held in it was baked into the program. Here a gradient
source, an update rule or a sampler is flattened as a pytree — every ``functools.partial`` in
it becomes a ``jax.tree_util.Partial``, whose function is static and whose arguments are
leaves — and each leaf is either

- *traced*: arrays and Python floats (λ, η, ε, a preconditioner): a new value reuses the
  compiled run;
- or *static*: everything else — functions, names, integers such as a batch size — compared
  by value (a function by identity, so pass module-level functions, not a new lambda per call).

>>> from functools import partial
>>> def f(w, *, lam, activation):
...     return lam * w
>>> a, traced_a = split(partial(f, lam=0.1, activation="tanh"))
>>> b, traced_b = split(partial(f, lam=0.2, activation="tanh"))
>>> a == b, traced_a, traced_b
(True, [0.1], [0.2])
>>> merge(b, traced_b)(1.0)
0.2
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import numpy as np

TRACED_TYPES = (jax.Array, np.ndarray, np.generic, float, complex)


class Static(NamedTuple):
    """The static part of an object: its tree structure and its non-traced leaves, by position."""

    treedef: Any
    leaves: tuple  # (position, type, value) for every static leaf


class _ByIdentity:
    """A static leaf that cannot be hashed, compared by identity instead."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and self.obj is other.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _hashable(leaf: Any) -> Any:
    try:
        hash(leaf)
    except TypeError:
        return _ByIdentity(leaf)
    return leaf


def as_pytree(obj: Any) -> Any:
    """``obj`` with every ``functools.partial`` in it made a ``jax.tree_util.Partial``.

    Nested partials are merged first, ``partial(partial(f, a), b)`` into ``Partial(f, a, b)``,
    so that the function held static is always a plain one.
    """

    def convert(x: Any) -> Any:
        if not isinstance(x, functools.partial):
            return x
        func, args, keywords = x.func, x.args, dict(x.keywords)
        while isinstance(func, functools.partial):
            args, keywords, func = func.args + args, {**func.keywords, **keywords}, func.func
        return jax.tree_util.Partial(func, *as_pytree(args), **as_pytree(keywords))

    return jax.tree_util.tree_map(convert, obj, is_leaf=lambda x: isinstance(x, functools.partial))


def split(obj: Any) -> tuple[Static, list]:
    """(the static part, hashable and compared by value; the traced leaves, in order)."""
    leaves, treedef = jax.tree_util.tree_flatten(as_pytree(obj))
    static = tuple(
        (i, type(leaf), _hashable(leaf))
        for i, leaf in enumerate(leaves)
        if not isinstance(leaf, TRACED_TYPES)
    )
    return Static(treedef, static), [leaf for leaf in leaves if isinstance(leaf, TRACED_TYPES)]


def merge(static: Static, traced: list) -> Any:
    """The object ``split`` took apart, with ``traced`` (e.g. tracers under ``jit``) in place."""
    fixed = {
        i: value.obj if isinstance(value, _ByIdentity) else value for i, _, value in static.leaves
    }
    rest = iter(traced)
    leaves = [fixed[i] if i in fixed else next(rest) for i in range(static.treedef.num_leaves)]
    return jax.tree_util.tree_unflatten(static.treedef, leaves)
