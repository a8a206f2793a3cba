"""A gradient-checking harness for any hand-written gradient of a scalar objective.

``check_gradients(J, dJ, params, args=...)`` compares the hand gradient ``dJ`` with four
independent oracles, leaf by leaf of the parameter pytree:

- ``grad``: ``jax.grad`` (reverse mode);
- ``vjp``: ``jax.vjp`` pulled back from the cotangent 1;
- ``jvp``: forward mode, ``jax.jvp`` along random directions v, against ⟨dJ, v⟩;
- ``fd``:  central finite differences (J(w + εv) − J(w − εv)) / 2ε along the same
  directions, always in float64, the witness that shares no code with JAX's autodiff.

``TOLERANCES`` holds the default tolerances per dtype: (grad/vjp/jvp, finite differences),
1e-12 and 1e-6 in float64, 1e-5 and 1e-4 in float32. Relative errors are norm-wise: ‖a − b‖ / max(‖a‖, ‖b‖) for whole leaves; for the
directional checks |t − ⟨g, v⟩| / max(|t|, |⟨g, v⟩|, ‖g‖), where ‖g‖ is the typical
size of ⟨g, v⟩ for v ~ N(0, I). A non-finite value counts as an infinite error.

Finite differences straddle a kink when a ReLU input z sits within ε|∂z·v| of 0
(cs231n's caveat): pass ``kink_inputs`` (a function of the same arguments returning
the pre-activations of kinked units) and the harness warns with ``KinkWarning``.

>>> import jax.numpy as jnp
>>> report = check_gradients(lambda w: jnp.sum(w ** 3), lambda w: 3 * w ** 2, jnp.ones(3))
>>> report.passed
True
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from handgrad._validate import check_key, check_positive_finite, check_positive_int
from handgrad.check.shapes import check_gradient_shapes, leaf_name

TOLERANCES = {  # dtype name -> (rtol for grad/vjp/jvp, rtol for finite differences)
    "float64": (1e-12, 1e-6),
    "float32": (1e-5, 1e-4),
}


class GradientCheckError(AssertionError):
    """A hand gradient disagrees with an oracle beyond the tolerance."""


class KinkWarning(UserWarning):
    """Finite differences cross a kink of a non-smooth activation."""


class LeafReport(NamedTuple):
    """Worst relative errors of one parameter leaf against each oracle."""

    path: str
    shape: tuple[int, ...]
    grad: float
    vjp: float
    jvp: float
    fd: float
    kink_crossings: int

    @property
    def autodiff(self) -> float:
        """The largest error against JAX's autodiff (grad, vjp and jvp)."""
        return max(self.grad, self.vjp, self.jvp)


class GradCheckReport(NamedTuple):
    """The result of ``check_gradients``: one ``LeafReport`` per leaf, and the verdict."""

    leaves: tuple[LeafReport, ...]
    dtype: str
    rtol: float
    fd_rtol: float

    def failures(self) -> list[str]:
        """One line per (leaf, oracle) pair over its tolerance."""
        lines = []
        for leaf in self.leaves:
            for oracle in ("grad", "vjp", "jvp", "fd"):
                err, tol = getattr(leaf, oracle), self.fd_rtol if oracle == "fd" else self.rtol
                if not err <= tol:
                    kink = (
                        f" ({leaf.kink_crossings} finite-difference steps crossed a kink)"
                        if oracle == "fd" and leaf.kink_crossings
                        else ""
                    )
                    lines.append(
                        f"leaf {leaf.path} {leaf.shape}: relative error {err:.3e} against "
                        f"{oracle} exceeds {tol:.0e} in {self.dtype}{kink}"
                    )
        return lines

    @property
    def passed(self) -> bool:
        return not self.failures()

    def table(self) -> str:
        """A plain-text table of the errors, one row per leaf."""
        rows = [f"{'leaf':<12}{'shape':<12}{'grad':>10}{'vjp':>10}{'jvp':>10}{'fd':>10}"]
        for r in self.leaves:
            rows.append(
                f"{r.path:<12}{r.shape!s:<12}"
                + "".join(f"{e:>10.1e}" for e in (r.grad, r.vjp, r.jvp, r.fd))
            )
        return "\n".join(rows)


def _cast(tree: Any, dtype) -> Any:
    def cast(x):
        if isinstance(x, float):
            return x
        if hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating):
            return jnp.asarray(x, dtype)
        return x

    return jax.tree_util.tree_map(cast, tree)


def relative_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖) in float64, 0 for two zeros, ∞ if either is not finite."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _rel_directional(t, gv, g_norm) -> float:
    t, gv = float(t), float(gv)
    if not (math.isfinite(t) and math.isfinite(gv)):
        return math.inf
    scale = max(abs(t), abs(gv), g_norm)
    return 0.0 if scale == 0 else abs(t - gv) / scale


def check_gradients(
    objective: Callable[..., jax.Array],
    hand_grad: Callable[..., Any],
    params: Any,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    dtype=jnp.float64,
    rtol: float | None = None,
    fd_rtol: float | None = None,
    fd_step: float = 1e-5,
    num_directions: int = 3,
    key: jax.Array | None = None,
    kink_inputs: Callable[..., Any] | None = None,
    raise_on_failure: bool = True,
    jit: bool = True,
) -> GradCheckReport:
    """Checks ``hand_grad`` against jax.grad, jax.vjp, jax.jvp and finite differences.

    Args:
      objective: ``J(params, *args, **kwargs)`` → scalar.
      hand_grad: ``(params, *args, **kwargs)`` → pytree shaped like ``params``.
      params: the point w at which to check; floating leaves are cast to ``dtype``.
      args, kwargs: further arguments of both functions; floating arrays are cast too.
      dtype: float64 (default) or float32, the precision of the hand and autodiff
        gradients. float64 work, and the finite-difference witness, which always runs in
        float64, hold JAX's 64-bit mode for their calls only (a scoped ``jax.enable_x64``);
        float32 work runs in float32 as the caller has set JAX up.
      rtol: tolerance for grad/vjp/jvp, > 0 (default 1e-12 in float64, 1e-5 in float32).
      fd_rtol: tolerance for finite differences, > 0 (default 1e-6, or 1e-4 in float32).
      fd_step: the step ε > 0 of the central differences.
      num_directions: random directions per leaf for the jvp and fd checks, ≥ 1.
      key: PRNG key for the directions (default ``jax.random.key(0)``).
      kink_inputs: optional ``f(params, *args, **kwargs)`` → pytree of ReLU inputs; a
        ``KinkWarning`` is issued when a finite-difference step crosses 0 in one.
      raise_on_failure: raise ``GradientCheckError`` when a tolerance is exceeded.
      jit: compile the oracles with ``jax.jit`` (much faster over many directions);
        pass False for an objective that cannot be traced. ``hand_grad`` is always
        called as given.

    Returns:
      A ``GradCheckReport`` with the worst relative error per leaf and oracle.

    Raises:
      GradientCheckError: naming the leaf, the oracle and the error, when one exceeds
        its tolerance (unless ``raise_on_failure=False``).
      ValueError: if ``hand_grad`` returns a pytree of another structure or shape, or, before
        any work, for an argument outside its range: ``num_directions`` not a positive
        integer, ``fd_step``, ``rtol`` or ``fd_rtol`` not a finite number > 0, ``args`` not a
        tuple, ``kwargs`` not a dict, a function that is not callable, a bad ``key``.
    """
    dtype_name = jnp.dtype(dtype).name
    if dtype_name not in TOLERANCES:
        raise ValueError(f"dtype must be one of {sorted(TOLERANCES)}, got {dtype_name}")
    for name, fn in (("objective", objective), ("hand_grad", hand_grad)):
        if not callable(fn):
            raise ValueError(f"{name} must be a function, got {type(fn).__name__}")
    if kink_inputs is not None and not callable(kink_inputs):
        raise ValueError(
            f"kink_inputs must be a function or None, got {type(kink_inputs).__name__}"
        )
    if not isinstance(args, (tuple, list)):
        raise ValueError(
            "args must be a tuple of the further arguments, e.g. args=(X, Y), got "
            f"{type(args).__name__}"
        )
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise ValueError(f"kwargs must be a dict of keyword arguments, got {type(kwargs).__name__}")
    default_rtol, default_fd_rtol = TOLERANCES[dtype_name]
    rtol = default_rtol if rtol is None else check_positive_finite("rtol", rtol)
    fd_rtol = default_fd_rtol if fd_rtol is None else check_positive_finite("fd_rtol", fd_rtol)
    fd_step = check_positive_finite("fd_step", fd_step)
    num_directions = check_positive_int("num_directions", num_directions)
    kwargs = dict(kwargs or {})
    if key is None:
        key = jax.random.key(0)
    else:
        check_key("key", key)
    leaves = _check(
        objective, hand_grad, params, args, kwargs, dtype_name, fd_step,
        num_directions, key, kink_inputs, jax.jit if jit else (lambda f: f),
    )  # fmt: skip
    report = GradCheckReport(tuple(leaves), dtype_name, rtol, fd_rtol)
    if raise_on_failure and not report.passed:
        raise GradientCheckError(
            "hand gradient disagrees with autodiff:\n  " + "\n  ".join(report.failures())
        )
    return report


def _working_precision(dtype: str):
    """float64 work needs JAX's 64-bit mode: held for the checker's calls only (a scoped
    ``jax.enable_x64``, never the global flag); float32 work runs as the caller set JAX."""
    return jax.enable_x64(True) if dtype == "float64" else contextlib.nullcontext()


def _check(
    objective, hand_grad, params, args, kwargs, dtype, fd_step, n_dir, key, kink_inputs, jit
):
    working, witness = (lambda: _working_precision(dtype)), (lambda: jax.enable_x64(True))
    with working():
        p, a = _cast(params, dtype), _cast(tuple(args), dtype)

        def J(p_):
            return objective(p_, *a, **kwargs)

        def autodiff(p_):
            J_p, pullback = jax.vjp(J, p_)
            return jax.grad(J)(p_), pullback(jnp.ones_like(J_p))[0]

        forward = jit(lambda p_, t: jax.jvp(J, (p_,), (t,))[1])
        g_hand = hand_grad(p, *a, **kwargs)
        check_gradient_shapes(p, g_hand, name="hand_grad")
        g_auto, g_vjp = jit(autodiff)(p)
    with witness():  # the finite-difference witness, always in float64
        p64, a64 = _cast(params, jnp.float64), _cast(tuple(args), jnp.float64)
        J64 = jit(lambda p_: objective(p_, *a64, **kwargs))
        kinks = None
        if kink_inputs is not None:
            kinks = jit(
                lambda p_, t: jax.jvp(lambda q: kink_inputs(q, *a64, **kwargs), (p_,), (t,))
            )
        flat_p, treedef = jax.tree_util.tree_flatten_with_path(p64)
        zeros = [jnp.zeros_like(leaf) for _, leaf in flat_p]

    flat_hand = jax.tree_util.tree_leaves(g_hand)
    flat_auto, flat_vjp = jax.tree_util.tree_leaves(g_auto), jax.tree_util.tree_leaves(g_vjp)
    reports = []
    for i, (path, leaf) in enumerate(flat_p):
        name = leaf_name(path)
        g = np.asarray(flat_hand[i], np.float64)
        g_norm = float(np.linalg.norm(g)) if np.all(np.isfinite(g)) else math.inf
        jvp_err = fd_err = 0.0
        crossings = 0
        for k in jax.random.split(jax.random.fold_in(key, i), n_dir):
            with witness():
                v = jax.random.normal(k, leaf.shape, jnp.float64)
                tangent = jax.tree_util.tree_unflatten(treedef, zeros[:i] + [v] + zeros[i + 1 :])
                plus = jax.tree_util.tree_map(lambda w, d: w + fd_step * d, p64, tangent)
                minus = jax.tree_util.tree_map(lambda w, d: w - fd_step * d, p64, tangent)
                fd = (J64(plus) - J64(minus)) / (2 * fd_step)
                if kinks is not None:
                    crossings += _kink_crossings(*kinks(p64, tangent), fd_step)
            with working():
                t = forward(p, _cast(tangent, dtype))
            gv = float(np.sum(g * np.asarray(v)))
            jvp_err = max(jvp_err, _rel_directional(t, gv, g_norm))
            fd_err = max(fd_err, _rel_directional(fd, gv, g_norm))
        if crossings:
            warnings.warn(
                f"leaf {name}: {crossings} ReLU inputs lie within the finite-difference step "
                f"(ε = {fd_step:g}) of the kink at 0, so the central difference straddles it "
                "and may disagree with the exact gradient there",
                KinkWarning,
                stacklevel=4,
            )
        grad_err, vjp_err = relative_error(g, flat_auto[i]), relative_error(g, flat_vjp[i])
        reports.append(
            LeafReport(name, tuple(leaf.shape), grad_err, vjp_err, jvp_err, fd_err, crossings)
        )
    return reports


def _kink_crossings(z, dz, fd_step) -> int:
    """How many kink inputs z change sign between w − εv and w + εv (to first order)."""
    count = 0
    for z_leaf, dz_leaf in zip(jax.tree_util.tree_leaves(z), jax.tree_util.tree_leaves(dz)):
        crossing = (jnp.abs(z_leaf) <= fd_step * jnp.abs(dz_leaf)) & (dz_leaf != 0)
        count += int(jnp.sum(crossing))
    return count
