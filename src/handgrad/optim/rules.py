"""The update rules, as optax-style init/update pairs with NamedTuple states.

The lecture's step is w ← w − η g. What makes it full-batch GD, SGD or minibatch SGD is
which gradient g is (see ``handgrad.optim.samplers``); the rule itself is one of:

- ``gd(lr)``: w ← w − η g, η a positive scalar;
- ``preconditioned_gd(eta)``: w ← w − η g with η a symmetric positive semi-definite
  matrix acting on the flattened parameters (the lecture's remark), e.g. the inverse
  Hessian, whose Newton step solves least squares in one step;
- any ``optax.GradientTransformation`` (momentum, Adam, …): the rules here are
  ``optax.GradientTransformation`` themselves, so the training loop takes either.

The rules here hold η as a leaf of a ``jax.tree_util.Partial``, not in a closure, so a
compiled run traces it: a new learning rate reuses the compiled program.

>>> import jax.numpy as jnp
>>> rule = gd(0.1)
>>> updates, _ = rule.update(jnp.array([1.0, -2.0]), rule.init(jnp.zeros(2)))
>>> updates.tolist()
[-0.1, 0.2]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
from jax.tree_util import Partial
from jax.typing import ArrayLike

from handgrad._validate import check_lr


class GDState(NamedTuple):
    """Plain gradient descent keeps no state but the step count."""

    count: jax.Array


def _init(params: Any) -> GDState:
    return GDState(jnp.zeros((), jnp.int32))


def _gd_update(lr, grads: Any, state: GDState, params: Any = None):
    updates = jax.tree_util.tree_map(lambda g: -jnp.asarray(lr, g.dtype) * g, grads)
    return updates, GDState(state.count + 1)


def gd(lr: ArrayLike) -> optax.GradientTransformation:
    """w ← w − η g, the lecture's gradient step (η may be traced, e.g. for a sweep).

    Raises:
      ValueError: if a concrete η is not a finite positive scalar.
    """
    check_lr(lr)
    return optax.GradientTransformation(_init, Partial(_gd_update, lr))


def _preconditioned_init(n: int, params: Any) -> GDState:
    size = jax.flatten_util.ravel_pytree(params)[0].size
    if size != n:
        raise ValueError(f"eta is {n} × {n} but the parameters have {size} entries")
    return GDState(jnp.zeros((), jnp.int32))


def _preconditioned_update(eta, grads: Any, state: GDState, params: Any = None):
    g, unravel = jax.flatten_util.ravel_pytree(grads)
    return unravel(-(jnp.asarray(eta, g.dtype) @ g)), GDState(state.count + 1)


def _check_atol(atol) -> None:
    """Raises ``ValueError`` unless the tolerance is a finite real number ≥ 0 (a NaN would
    pass every comparison it is used in, so any matrix would do)."""
    try:
        value = np.asarray(atol)
    except jax.errors.TracerArrayConversionError:
        raise ValueError(
            "atol must be a finite number >= 0 known before jit, got a traced value"
        ) from None
    if value.ndim != 0 or value.dtype.kind not in "iuf" or not np.isfinite(value) or value < 0:
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")


def _concrete_matrix(eta) -> np.ndarray:
    """η as a NumPy array; ``ValueError`` unless a concrete, finite, real square matrix."""
    try:
        eta = np.asarray(eta)
    except jax.errors.TracerArrayConversionError:
        raise ValueError(
            "eta must be a concrete matrix (its symmetry and eigenvalues are checked), "
            "got a traced value"
        ) from None
    if eta.ndim != 2 or eta.shape[0] != eta.shape[1] or eta.size == 0:
        raise ValueError(f"eta must be a square matrix, n × n with n ≥ 1, got shape {eta.shape}")
    if eta.dtype.kind not in "iuf":
        raise ValueError(f"eta must hold real numbers, got dtype {eta.dtype}")
    bad = ~np.isfinite(eta)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"eta must be finite (a NaN or inf would make every step NaN), but it holds "
            f"{int(bad.sum())} non-finite entries, e.g. eta[{i}, {j}] = {eta[i, j]}"
        )
    return eta


def preconditioned_gd(eta: ArrayLike, *, atol: float = 1e-10) -> optax.GradientTransformation:
    """w ← w − η g with η an n × n symmetric positive semi-definite matrix.

    The parameters are flattened with ``jax.flatten_util.ravel_pytree`` (so n is their
    total size, in that order); η must be given as a concrete array.

    Raises:
      ValueError: if η is not a concrete, finite, real square matrix, not symmetric, or has
        an eigenvalue below −atol·‖η‖; or if atol is not a finite number ≥ 0.
    """
    _check_atol(atol)
    eta = _concrete_matrix(eta)
    scale = max(float(np.max(np.abs(eta))), np.finfo(np.float64).tiny)
    asymmetry = float(np.max(np.abs(eta - eta.T))) / scale
    if asymmetry > atol:
        raise ValueError(f"eta must be symmetric, but max|η − ηᵀ|/max|η| = {asymmetry:.2e}")
    lowest = float(np.linalg.eigvalsh((eta + eta.T) / 2).min())
    if lowest < -atol * scale:
        raise ValueError(
            f"eta must be positive semi-definite, but its smallest eigenvalue is {lowest:.3e}"
        )
    return optax.GradientTransformation(
        Partial(_preconditioned_init, eta.shape[0]), Partial(_preconditioned_update, eta)
    )
