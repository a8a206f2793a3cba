"""``handgrad verify``: every case of the grid checked, one row per case.

``check_cases`` runs ``check_gradients`` on each ``Case`` of ``handgrad.check.grid`` and
collects the reports (failures are reported in the rows, never raised); ``format_table``
prints them.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

from handgrad.check.gradcheck import GradCheckReport, KinkWarning, check_gradients
from handgrad.check.grid import Case


class VerifyRow(NamedTuple):
    """A case's labels and its gradient-check report."""

    case: Case
    report: GradCheckReport
    kink_warnings: int


def check_cases(grid: list[Case]) -> list[VerifyRow]:
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
        " ".join(f"{leaf.path} {leaf.autodiff:.0e}|{leaf.fd:.0e}" for leaf in row.report.leaves)
        for row in rows
    ]
    title = "worst rel. error per leaf: autodiff|finite diff."
    width = max(map(len, [title, *errs])) + 2
    header = f"{'model':<15}{'activation':<12}{'loss':<23}{'bias':<6}{'dtype':<9}"
    lines = [header + title.ljust(width) + "result"]
    for row, err in zip(rows, errs):
        c = row.case
        verdict = "pass" if row.report.passed else "FAIL"
        if row.kink_warnings:
            verdict += " (fd crossed a kink)"
        lines.append(
            f"{c.model:<15}{c.activation:<12}{c.loss:<23}{'yes' if c.bias else 'no':<6}"
            f"{c.dtype:<9}{err:<{width}}{verdict}"
        )
    return "\n".join(lines)
