"""``handgrad verify``: every case of the grid checked, one row per case, streamed.

``iter_check_cases`` runs ``check_gradients`` on each ``Case`` of ``handgrad.check.grid``
lazily, yielding a ``VerifyRow`` as soon as its case is checked (failures are reported in the
rows, never raised); ``check_cases`` collects them all. ``VerifyTable`` sizes the columns from
the cases' labels before any case runs, so each row can be printed the moment it arrives;
``format_table`` prints finished rows in one go.

A row shows, per oracle (grad, vjp, jvp, finite differences), the worst relative error over
the case's parameter leaves, in a compact scientific format (``3e-16``), and the verdict.

>>> from handgrad.check import cases, select
>>> table = VerifyTable.for_cases(select(cases(), model="mynet"))
>>> print(table.header())
model  activation  loss                   bias  dtype     grad    vjp    jvp     fd  result
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from handgrad.check.gradcheck import GradCheckReport, KinkWarning, check_gradients
from handgrad.check.grid import Case

ORACLES = ("grad", "vjp", "jvp", "fd")
_GAP = "  "  # between columns: a long label never touches the next one
_NUMBER_WIDTH = 5  # what ``_sci`` writes at most: 3e-16, 0, inf, ~0
_KINK = " (fd kink)"


class VerifyRow(NamedTuple):
    """A case's labels and its gradient-check report."""

    case: Case
    report: GradCheckReport
    kink_warnings: int

    def worst(self, oracle: str) -> float:
        """The worst relative error over the case's leaves against one of ``ORACLES``."""
        return max((getattr(leaf, oracle) for leaf in self.report.leaves), default=0.0)


def _check_case(case: Case) -> VerifyRow:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KinkWarning)
        report = check_gradients(
            case.objective, case.hand_grad, case.params, case.args, case.kwargs,
            dtype=case.dtype, kink_inputs=case.kink_inputs, raise_on_failure=False,
        )  # fmt: skip
    kinks = sum(issubclass(w.category, KinkWarning) for w in caught)
    return VerifyRow(case, report, kinks)


def iter_check_cases(grid: Iterable[Case]) -> Iterator[VerifyRow]:
    """Checks the cases one at a time, yielding each row as soon as its case is checked.

    Lazy: a case is checked only when its row is asked for, so a caller can print rows as
    they come. Failures are reported in the rows, never raised.
    """
    for case in grid:
        yield _check_case(case)


def check_cases(grid: Iterable[Case]) -> list[VerifyRow]:
    """Checks every case; failures are reported in the rows, never raised."""
    return list(iter_check_cases(grid))


def _sci(x: float) -> str:
    """An error in at most ``_NUMBER_WIDTH`` characters: 3e-16, 0, inf, nan, ~0 below 1e-99."""
    if math.isnan(x) or math.isinf(x) or x == 0:
        return f"{x:g}"
    if abs(x) < 1e-99:
        return "~0"
    if abs(x) >= 1e100:  # relative errors are at most 2; kept to the width all the same
        return ">1e99"
    return f"{x:.0e}"


def _labels(case: Case) -> tuple[str, ...]:
    return case.model, case.activation, case.loss, "yes" if case.bias else "no", case.dtype


class Column(NamedTuple):
    """A column of the table: its title, its width, and whether its cells are right-aligned."""

    title: str
    width: int
    right: bool = False

    def cell(self, text: str) -> str:
        return text.rjust(self.width) if self.right else text.ljust(self.width)


class VerifyTable(NamedTuple):
    """The columns of ``handgrad verify``'s table, sized to the cases it will show.

    Every label is known before any case runs, so the widths are too: each label column is as
    wide as its longest value (or title), each error column five characters (``3e-16``; an
    exact zero reads ``0``, one below 1e-99 ``~0``); columns are two spaces apart, numbers
    right-aligned under their titles: the full grid's table fits in 120 columns.

    Attributes:
      columns: model, activation, loss, bias, dtype, one per oracle, and the result.
      caption: the line that says what the numbers are, printed above the header.
    """

    columns: tuple[Column, ...]

    caption = (
        "worst relative error over each case's parameter leaves against grad, vjp, jvp and "
        "finite differences (fd)"
    )

    @classmethod
    def for_cases(cls, grid: Sequence[Case]) -> VerifyTable:
        """The table for these cases: label columns as wide as their longest value."""
        titles = ("model", "activation", "loss", "bias", "dtype")
        labels = [_labels(case) for case in grid]
        columns = [
            Column(title, max([len(title), *(len(row[i]) for row in labels)]))
            for i, title in enumerate(titles)
        ]
        columns += [Column(o, max(len(o), _NUMBER_WIDTH), right=True) for o in ORACLES]
        columns.append(Column("result", len("FAIL" + _KINK)))
        return cls(tuple(columns))

    @property
    def width(self) -> int:
        """The widest a line of the table can be."""
        return sum(c.width for c in self.columns) + len(_GAP) * (len(self.columns) - 1)

    def _line(self, cells: Sequence[str]) -> str:
        return _GAP.join(c.cell(t) for c, t in zip(self.columns, cells)).rstrip()

    def header(self) -> str:
        """The titles, aligned as the cells below them."""
        return self._line([c.title for c in self.columns])

    def row(self, row: VerifyRow) -> str:
        """One case: its labels, its worst error per oracle, and pass or FAIL.

        A verdict ends in "(fd kink)" when a finite-difference step crossed a ReLU kink, where
        finite differences may disagree with the exact gradient.
        """
        verdict = ("pass" if row.report.passed else "FAIL") + (_KINK if row.kink_warnings else "")
        return self._line([*_labels(row.case), *(_sci(row.worst(o)) for o in ORACLES), verdict])


def format_table(rows: list[VerifyRow]) -> str:
    """One line per case after the header: labels, worst relative error per oracle, verdict."""
    table = VerifyTable.for_cases([row.case for row in rows])
    return "\n".join([table.header(), *map(table.row, rows)])
