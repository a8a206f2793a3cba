"""Input validation shared by the public functions.

Every check runs on static information (names, shapes, dtypes), so it works the same
eagerly and under ``jax.jit``; where it looks at values (labels, λ, η), it does so only
for concrete ones and lets traced ones pass. A bad input raises ``ValueError`` that says
what was expected and what was given.

Counts (steps, widths, batch sizes) are Python or NumPy integers, never a bool: ``as_int``
checks one and returns it as a Python int, which is what a shape or a static argument needs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping

import jax
import jax.numpy as jnp
import numpy as np


def check_name(kind: str, name: str, valid: Iterable[str]) -> None:
    """Raises ``ValueError`` unless ``name`` is one of ``valid``."""
    valid = sorted(valid)
    if name not in valid:
        raise ValueError(f"unknown {kind} {name!r}; expected one of {valid}")


def check_ndim(what: str, a: jax.Array, ndim: int, layout: str) -> None:
    """Raises ``ValueError`` unless ``a`` has ``ndim`` axes (``layout`` names them)."""
    if a.ndim != ndim:
        raise ValueError(f"{what} must have shape {layout}, got shape {tuple(a.shape)}")


def check_dim(what: str, got: int, expected: int, why: str) -> None:
    """Raises ``ValueError`` unless a dimension agrees with the one ``why`` fixes."""
    if got != expected:
        raise ValueError(f"{what} has size {got} but {why} needs {expected}")


def check_keys(what: str, tree: Mapping, required: set[str], optional: set[str]) -> None:
    """Raises ``ValueError`` when a dict of parameters misses or adds keys."""
    if not isinstance(tree, Mapping):
        raise ValueError(f"{what} must be a dict, got {type(tree).__name__}")
    keys = set(tree)
    missing, extra = required - keys, keys - required - optional
    if missing or extra:
        allowed = sorted(required) + [f"{k} (optional)" for k in sorted(optional)]
        raise ValueError(
            f"{what} has keys {sorted(keys)}; expected {allowed}"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unexpected {sorted(extra)}" if extra else "")
        )


def check_floating(what: str, a: jax.Array) -> None:
    """Raises ``ValueError`` unless ``a`` holds floating-point numbers."""
    if not jnp.issubdtype(a.dtype, jnp.floating):
        raise ValueError(f"{what} must be a floating-point array, got dtype {a.dtype}")


def check_same_dtype(what: str, a: jax.Array, ref_what: str, ref: jax.Array) -> None:
    """Raises ``ValueError`` when two arrays that meet in a product differ in dtype."""
    if a.dtype != ref.dtype:
        raise ValueError(
            f"{what} has dtype {a.dtype} but {ref_what} has dtype {ref.dtype}; "
            "cast one of them so both agree"
        )


def check_labels(what: str, y: jax.Array, num_classes: int) -> None:
    """Raises ``ValueError`` for non-integer labels, or concrete labels out of range.

    Traced labels (inside ``jit``) are checked for dtype only: their values are not
    known at trace time. Labels spread over several processes are checked where they lie:
    each process checks the shards it holds.
    """
    if not jnp.issubdtype(y.dtype, jnp.integer):
        raise ValueError(
            f"{what} must hold integer class labels for softmax cross-entropy, got dtype {y.dtype}"
        )
    if y.size == 0 or isinstance(y, jax.core.Tracer):
        return
    if isinstance(y, jax.Array) and not y.is_fully_addressable:
        shards = [np.ravel(shard.data) for shard in y.addressable_shards]
        values = np.concatenate(shards) if shards else np.zeros(0, y.dtype)
        if values.size == 0:
            return
    else:
        values = np.asarray(y)
    low, high = int(values.min()), int(values.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"{what} must lie in 0..{num_classes - 1} (the model has {num_classes} outputs), "
            f"got labels in {low}..{high}"
        )


def check_lam(lam) -> None:
    """Raises ``ValueError`` for a negative or non-scalar concrete penalty weight λ."""
    try:
        values = np.asarray(lam)
    except jax.errors.TracerArrayConversionError:
        return
    if values.ndim != 0:
        raise ValueError(f"lam must be a scalar, got shape {values.shape}")
    if not np.isfinite(values) or values < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")


def check_batch(X: jax.Array, Y: jax.Array, d: int, q: int, loss: str, dtype, why: str) -> None:
    """Validates inputs X (P, d) and targets Y for a model with d inputs and q outputs.

    Y holds integer labels (P,) for softmax cross-entropy, targets (P, q) otherwise.
    ``why`` names the parameter that fixes d, e.g. "W1 of shape (h, d)".
    """
    check_ndim("X", X, 2, "(P, d)")
    if X.dtype != dtype:
        raise ValueError(
            f"X has dtype {X.dtype} but the parameters have dtype {dtype}; "
            "cast one of them so both agree"
        )
    check_dim("X.shape[1]", X.shape[1], d, why)
    if X.shape[0] < 1:
        raise ValueError("X must hold at least one sample, got shape (0, d)")
    if loss == "softmax_cross_entropy":
        check_ndim("Y", Y, 1, "(P,) of integer labels for softmax cross-entropy")
        check_labels("Y", Y, q)
    else:
        check_ndim("Y", Y, 2, "(P, q) of targets for squared error")
        check_dim("Y.shape[1]", Y.shape[1], q, f"a model with {q} outputs")
        if Y.dtype != dtype:
            raise ValueError(f"Y has dtype {Y.dtype} but the parameters have dtype {dtype}")
    check_dim("Y.shape[0]", Y.shape[0], X.shape[0], "X.shape[0] (one target per sample)")


def check_dtype_available(dtype) -> None:
    """Raises ``ValueError`` for float64 while JAX's 64-bit mode is off, instead of JAX's silent
    truncation to float32: the caller chooses the precision, and says so once."""
    if jnp.dtype(dtype) == jnp.float64 and not jax.config.jax_enable_x64:
        raise ValueError(
            "dtype float64 needs JAX's 64-bit mode: call "
            'jax.config.update("jax_enable_x64", True) first (handgrad never turns it on itself)'
        )


def as_int(name: str, n, *, low: int = 1) -> int:
    """``n`` as a Python int, if it is an integer ≥ ``low``; else ``ValueError``.

    Python and NumPy integers (and 0-d integer arrays) are integers; a bool is not, nor is a
    float such as 7.0, nor a traced value (a count fixes shapes: it must be known before
    ``jit``).
    """
    kind = "a positive integer" if low == 1 else f"an integer >= {low}"
    if isinstance(n, (bool, np.bool_)) or getattr(n, "dtype", None) == np.bool_:
        raise ValueError(f"{name} must be {kind}, got {n!r} (a bool)")
    try:
        value = operator.index(n)
    except jax.errors.TracerIntegerConversionError:
        raise ValueError(
            f"{name} must be {kind} known before jit (it fixes shapes), got a traced value"
        ) from None
    except TypeError:
        raise ValueError(f"{name} must be {kind}, got {n!r} (a {type(n).__name__})") from None
    if value < low:
        raise ValueError(f"{name} must be {kind}, got {value}")
    return value


def check_positive_int(name: str, n) -> int:
    """``n`` as a Python int; ``ValueError`` unless it is an integer ≥ 1 (a bool is not one)."""
    return as_int(name, n, low=1)


def check_steps(steps) -> int:
    """The number of steps as a Python int; ``ValueError`` unless it is a positive integer."""
    return check_positive_int("steps", steps)


def check_bool(name: str, value) -> bool:
    """``value`` as a Python bool; ``ValueError`` unless it is True or False (NumPy's too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_positive_finite(name: str, x) -> float:
    """``x`` as a Python float; ``ValueError`` unless it is a real number, finite and > 0."""
    try:
        value = np.asarray(x)
    except jax.errors.TracerArrayConversionError:
        raise ValueError(
            f"{name} must be a finite number > 0 known before jit, got a traced value"
        ) from None
    if (
        value.ndim != 0
        or value.dtype.kind not in "iuf"
        or not math.isfinite(float(value))
        or float(value) <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return float(value)


def check_key(name: str, key) -> None:
    """Raises ``ValueError`` unless ``key`` is one PRNG key: ``jax.random.key(seed)``, or a
    raw ``jax.random.PRNGKey(seed)`` (uint32, shape (2,)). Checks the dtype and shape only,
    so a traced key (a ``vmap`` over seeds) passes."""
    dtype, shape = getattr(key, "dtype", None), getattr(key, "shape", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
    if (typed and shape == ()) or (not typed and dtype == np.uint32 and shape == (2,)):
        return
    got = (
        f"shape {shape}, dtype {dtype}" if shape is not None else f"{key!r} ({type(key).__name__})"
    )
    raise ValueError(f"{name} must be one PRNG key such as jax.random.key(0), got {got}")


def check_samples(X: jax.Array, Y: jax.Array) -> None:
    """Raises ``ValueError`` unless X and Y hold the same number P ≥ 1 of samples along axis 0.

    Shapes only, so it holds eagerly and under ``jit``; what else X and Y must be (X of
    shape (P, d), Y labels or targets) is the gradient source's to say.
    """
    for what, a in (("X", X), ("Y", Y)):
        if a.ndim < 1:
            raise ValueError(
                f"{what} must hold one sample per row (samples along axis 0), "
                f"got a scalar of shape {tuple(a.shape)}"
            )
    if X.shape[0] < 1:
        raise ValueError(f"X must hold at least one sample, got shape {tuple(X.shape)}")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(
            "X and Y must hold the same number of samples along axis 0, got "
            f"{X.shape[0]} in X (shape {tuple(X.shape)}) and {Y.shape[0]} in Y "
            f"(shape {tuple(Y.shape)})"
        )


def check_positive_or_traced(what: str, x) -> None:
    """Raises ``ValueError`` unless a concrete ``x`` is a finite real scalar > 0.

    A traced ``x`` (a ``vmap`` sweep over η or ε, a compiled run) is not known yet and passes.
    """
    try:
        np.asarray(x)
    except jax.errors.TracerArrayConversionError:
        return
    check_positive_finite(what, x)


def check_lr(lr) -> None:
    """Raises ``ValueError`` unless a concrete learning rate η is a finite positive scalar."""
    check_positive_or_traced("the learning rate", lr)
