"""The verification grid behind ``handgrad verify``.

Each ``Case`` pairs an objective with its hand gradient at a random point; running the
grid checks every case with ``check_gradients`` and gives one ``VerifyRow`` per case.
Later models add their own cases to ``cases()``.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from handgrad.activations import ACTIVATIONS, KINKED_ACTIVATIONS
from handgrad.costs import COSTS
from handgrad.gradcheck import GradCheckReport, KinkWarning, check_gradients
from handgrad.linear import linear_hand_grad, linear_init, linear_objective
from handgrad.mlp1 import mlp1_init, mlp1_objective
from handgrad.mlp1_backprop import mlp1_forward_batch, mlp1_hand_grads

DTYPES = ("float32", "float64")

# The hand gradients are checked as training runs them: compiled.
_mlp1_hand_grads = jax.jit(mlp1_hand_grads, static_argnames=("activation", "loss"))
_linear_hand_grad = jax.jit(linear_hand_grad)


class Case(NamedTuple):
    """One objective/hand-gradient pair at one point, and how to label it."""

    model: str
    activation: str
    loss: str
    bias: bool
    dtype: str
    objective: Callable[..., jax.Array]
    hand_grad: Callable[..., Any]
    params: Any
    args: tuple
    kwargs: dict
    kink_inputs: Callable[..., Any] | None = None


class VerifyRow(NamedTuple):
    """A case's labels and its gradient-check report."""

    case: Case
    report: GradCheckReport
    kink_warnings: int


def _mlp1_preactivations(params, X, Y, *, lam, activation, loss):
    return mlp1_forward_batch(params, X, activation=activation).z


def mlp1_cases(key: jax.Array, d=5, h=7, q=3, P=8, lam=0.1) -> Iterator[Case]:
    """d2l's MLP over every activation, loss, bias setting and dtype."""
    grid = itertools.product(ACTIVATIONS, COSTS, (False, True), DTYPES)
    for i, (activation, loss, bias, dtype) in enumerate(grid):
        kp, kb, kx, ky = jax.random.split(jax.random.fold_in(key, i), 4)
        params = mlp1_init(kp, d, h, q, bias=bias, dtype=jnp.float64)
        if bias:  # a zero bias would leave that code path untested
            params["b1"] = 0.1 * jax.random.normal(kb, (h,), jnp.float64)
        X = jax.random.normal(kx, (P, d), jnp.float64)
        if loss == "softmax_cross_entropy":
            Y = jax.random.randint(ky, (P,), 0, q)
        else:
            Y = jax.random.normal(ky, (P, q), jnp.float64)
        yield Case(
            "mlp1", activation, loss, bias, dtype, mlp1_objective, _mlp1_hand_grads, params,
            (X, Y), {"lam": lam, "activation": activation, "loss": loss},
            _mlp1_preactivations if activation in KINKED_ACTIVATIONS else None,
        )  # fmt: skip


def linear_cases(key: jax.Array, d=6, q=3, P=9) -> Iterator[Case]:
    """The lecture's linear model under squared error, scalar and vector outputs."""
    for outputs, dtype in itertools.product((None, q), DTYPES):
        kw, kx, ky = jax.random.split(jax.random.fold_in(key, outputs or 0), 3)
        w = linear_init(kw, d, outputs, jnp.float64)
        X = jax.random.normal(kx, (P, d), jnp.float64)
        Y = jax.random.normal(ky, (P,) if outputs is None else (P, outputs), jnp.float64)
        model = "linear" if outputs is None else f"linear-q{q}"
        yield Case(
            model, "-", "squared_error", False, dtype, linear_objective, _linear_hand_grad, w,
            (X, Y), {},
        )  # fmt: skip


def cases(seed: int = 0) -> list[Case]:
    """Every case of the grid."""
    key = jax.random.key(seed)
    with jax.enable_x64(True):
        return [*linear_cases(jax.random.fold_in(key, 1)), *mlp1_cases(jax.random.fold_in(key, 2))]


def select(grid: list[Case], **labels: str | None) -> list[Case]:
    """The cases whose labels (model, activation, loss, dtype) equal the given ones.

    A label given as None matches every case. Raises ``ValueError`` for a value that
    matches no case, listing the values there are.
    """
    for field, wanted in labels.items():
        if wanted is None:
            continue
        there = sorted({str(getattr(case, field)) for case in grid})
        if wanted not in there:
            raise ValueError(f"no case has {field} {wanted!r}; choose from {there}")
        grid = [case for case in grid if str(getattr(case, field)) == wanted]
    return grid


def run(grid: list[Case]) -> list[VerifyRow]:
    """Checks every case; failures are reported in the rows, never raised."""
    rows = []
    for case in grid:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", KinkWarning)
            report = check_gradients(
                case.objective, case.hand_grad, case.params, case.args, case.kwargs,
                dtype=case.dtype, kink_inputs=case.kink_inputs, raise_on_failure=False,
            )  # fmt: skip
        kinks = sum(issubclass(w.category, KinkWarning) for w in caught)
        rows.append(VerifyRow(case, report, kinks))
    return rows


def format_table(rows: list[VerifyRow]) -> str:
    """One line per case: labels, worst relative error per leaf, pass/fail."""
    errs = [
        "  ".join(f"{leaf.path} {leaf.autodiff:.0e} | {leaf.fd:.0e}" for leaf in row.report.leaves)
        for row in rows
    ]
    title = "worst rel. error per leaf: autodiff | finite diff."
    width = max(map(len, [title, *errs])) + 2
    header = f"{'model':<10}{'activation':<12}{'loss':<23}{'bias':<6}{'dtype':<9}"
    lines = [header + title.ljust(width) + "result"]
    for row, err in zip(rows, errs):
        c = row.case
        verdict = "pass" if row.report.passed else "FAIL"
        if row.kink_warnings:
            verdict += " (fd crossed a kink)"
        lines.append(
            f"{c.model:<10}{c.activation:<12}{c.loss:<23}{'yes' if c.bias else 'no':<6}"
            f"{c.dtype:<9}{err:<{width}}{verdict}"
        )
    return "\n".join(lines)
