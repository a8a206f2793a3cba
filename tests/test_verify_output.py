"""What ``handgrad verify`` prints: rows streamed one case at a time, columns sized to the
labels, a progress bar only on a terminal, and label filters that match what the table shows.
The checks themselves are tests/test_grid.py's; most tests here stand a fake checker in for
``check_gradients`` so that they test the printing, not JAX."""

import io
import itertools
import math
import re
import warnings

import pytest

import handgrad as hg
from handgrad.check import verify
from handgrad.check.gradcheck import GradCheckReport, LeafReport
from handgrad.cli import build_parser, main

GRID = hg.check.cases()
ORACLES = ("grad", "vjp", "jvp", "fd")


def report(*errors, dtype="float64") -> GradCheckReport:
    """A report with one leaf per (grad, vjp, jvp, fd) tuple of errors."""
    leaves = tuple(LeafReport(f"W{i}", (2, 3), *e, 0) for i, e in enumerate(errors))
    return GradCheckReport(leaves, dtype, 1e-12, 1e-6)


@pytest.fixture
def fake_checker(monkeypatch):
    """check_gradients replaced by a passing fake that counts its calls."""
    calls = []

    def check_gradients(objective, hand_grad, params, *args, **kwargs):
        calls.append(kwargs["dtype"])
        return report((1e-16, 2e-16, 3e-16, 4e-11))

    monkeypatch.setattr(verify, "check_gradients", check_gradients)
    return calls


def test_rows_are_checked_one_at_a_time_as_they_are_asked_for(fake_checker):
    rows = hg.check.iter_check_cases(hg.check.select(GRID, model="linear"))
    assert fake_checker == []  # nothing runs before the first row is asked for
    first = next(rows)
    assert len(fake_checker) == 1 and first.case.model == "linear"
    next(rows)
    assert len(fake_checker) == 2
    assert len(hg.check.check_cases(GRID[:3])) == 3 and len(fake_checker) == 5


def test_a_row_shows_each_oracles_worst_error_over_the_leaves():
    case = hg.check.select(GRID, model="mlp-4")[0]
    row = verify.VerifyRow(
        case, report((1e-16, 5e-17, 3e-16, 2e-11), (6e-17, 2e-16, 1e-16, 7e-10)), 0
    )
    table = hg.check.VerifyTable.for_cases([case])
    cells = table.row(row).split()
    assert cells[-5:] == ["1e-16", "2e-16", "3e-16", "7e-10", "pass"]
    failing = row._replace(report=report((1e-16, 2e-16, 3e-9, 2e-11)), kink_warnings=1)
    assert table.row(failing).endswith("3e-09  2e-11  FAIL (fd kink)")


# Errors at the edges of what a check can report: exactly zero, below 1e-99, the largest a
# relative error can be (2), infinite (a non-finite gradient) and NaN.
EDGES = [0.0, 1e-120, 1.5e-16, 9.96e-13, 2.0, math.inf, math.nan]


def full_grid_lines() -> tuple[hg.check.VerifyTable, list[str]]:
    table = hg.check.VerifyTable.for_cases(GRID)
    lines = [table.header()]
    for i, case in enumerate(GRID):
        errors = [EDGES[(i + k) % len(EDGES)] for k in range(4)]
        row = verify.VerifyRow(case, report(errors, (1e-16,) * 4), kink_warnings=i % 2)
        lines.append(table.row(row))
    return table, lines


def cells(line: str) -> list[re.Match]:
    """The cells of a line: words, the verdict's "(fd kink)" kept with it."""
    return list(re.finditer(r"\S+(?: \(fd kink\))?", line))


def test_every_cell_of_the_full_grid_sits_under_its_title():
    table, (header, *rows) = full_grid_lines()
    titles = cells(header)
    assert [t.group() for t in titles] == [c.title for c in table.columns]
    assert [c.right for c in table.columns] == [False] * 5 + [True] * 4 + [False]
    # each column's span, read off the header: a label column starts where its title starts,
    # a number column (right-aligned) ends where its title ends
    spans = [
        (t.end() - c.width, t.end()) if c.right else (t.start(), t.start() + c.width)
        for t, c in zip(titles, table.columns)
    ]
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end < start  # at least one space between two columns
    for line in rows:
        found = cells(line)
        assert len(found) == len(spans), line
        for cell, (start, end), title, column in zip(found, spans, titles, table.columns):
            assert start <= cell.start() and cell.end() <= end, (line, column.title)
            if column.right:
                assert cell.end() == title.end(), (line, column.title)
            else:
                assert cell.start() == title.start(), (line, column.title)


def test_the_longest_names_stay_clear_of_the_next_column():
    table, (_, *rows) = full_grid_lines()
    widths = {c.title: c.width for c in table.columns}
    assert widths["model"] == len("module:leaky_relu")
    assert widths["loss"] == len("softmax_cross_entropy")
    [line] = [r for r in rows if r.startswith("module:leaky_relu")]
    assert line.startswith("module:leaky_relu  leaky_relu  -")
    for line in rows:
        if "softmax_cross_entropy" in line:
            assert "softmax_cross_entropy  yes" in line or "softmax_cross_entropy  no " in line


def test_the_full_grid_fits_in_120_columns():
    table, lines = full_grid_lines()
    assert max(map(len, lines)) <= table.width <= 120
    assert len(lines) == len(GRID) + 1


def test_format_table_is_the_header_and_the_streamed_rows():
    case = GRID[0]
    row = verify.VerifyRow(case, report((1e-16, 2e-16, 3e-16, 4e-11)), 0)
    table = hg.check.VerifyTable.for_cases([case])
    assert hg.check.format_table([row, row]).splitlines() == [table.header(), *[table.row(row)] * 2]


def test_the_command_prints_each_row_before_the_next_case_runs(fake_checker, monkeypatch, capsys):
    printed_when_resumed = []
    real = hg.check.iter_check_cases

    def spy(grid):
        for row in real(grid):
            yield row
            printed_when_resumed.append(capsys.readouterr().out)

    monkeypatch.setattr(hg.check, "iter_check_cases", spy)
    assert main(["verify", "--model", "linear", "--no-progress"]) == 0
    tail = capsys.readouterr().out
    # by the time the generator is resumed for the next case, its row is out
    assert [chunk.splitlines()[-1].split()[0] for chunk in printed_when_resumed] == [
        "linear", "linear", "linear-q3", "linear-q3"
    ]  # fmt: skip
    assert "model" in printed_when_resumed[0] and "4 of 4 cases passed" in tail


def test_the_command_checks_a_case_for_real_and_sums_up_after_the_rows(capsys):
    assert main(["verify", "--model", "linear-q3", "--dtype", "float64", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    [row] = [i for i, line in enumerate(lines) if line.startswith("linear-q3 ")]
    [summary] = [i for i, line in enumerate(lines) if "1 of 1 cases passed" in line]
    assert lines[row - 1].startswith("model") and row < summary
    assert lines[row].endswith(" pass")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


BAR = re.compile(r"\r|█|case/s|s/case|\d+/4 \[")


@pytest.mark.parametrize("flag", [[], ["--no-progress"]])
def test_no_bar_reaches_stdout_and_none_at_all_with_no_progress(
    fake_checker, monkeypatch, capsys, flag
):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)  # where the bar goes: a terminal
    assert main(["verify", "--model", "linear", *flag]) == 0
    out = capsys.readouterr().out
    assert not BAR.search(out) and sum(line.endswith(" pass") for line in out.splitlines()) == 4
    assert bool(BAR.search(terminal.getvalue())) == (flag == [])


def test_no_bar_when_stderr_is_not_a_terminal(fake_checker, capsys):
    assert main(["verify", "--model", "linear"]) == 0
    out, err = capsys.readouterr()
    assert not BAR.search(out) and not BAR.search(err)


def test_a_model_filter_matches_the_names_it_begins_with_up_to_a_dash_or_colon():
    def models(value):
        return sorted({c.model for c in hg.check.select(GRID, model=value)})

    assert models("linear") == ["linear", "linear-q3"]  # not module:linear
    assert models("linear-q3") == ["linear-q3"]
    assert models("mlp") == ["mlp-2", "mlp-3", "mlp-4"]  # not mlp1
    assert models("mlp1") == ["mlp1"]
    assert models("module") == sorted({c.model for c in GRID if c.model.startswith("module:")})
    assert models("module:linear") == ["module:linear"]
    relu = hg.check.select(GRID, activation="relu")
    assert {c.activation for c in relu} == {"relu"}  # not leaky_relu
    for half_a_name in ("lin", "mlp-", "modul"):
        with pytest.raises(ValueError, match="no case has model"):
            hg.check.select(GRID, model=half_a_name)
    with pytest.raises(ValueError, match="'': an empty model in ''"):  # never every model
        hg.check.select(GRID, model="")


def test_the_model_option_says_how_it_matches():
    verify_parser = build_parser()._subparsers._group_actions[0].choices["verify"]
    text = " ".join(verify_parser.format_help().split())
    assert "linear: linear and linear-q3" in text and "module: every module:NAME" in text


def test_a_kink_is_marked_in_the_row_and_explained_below(monkeypatch, capsys):
    def check_gradients(*args, **kwargs):
        warnings.warn("a step crossed a kink", hg.check.KinkWarning, stacklevel=2)
        return report((1e-16, 2e-16, 3e-16, 4e-11))

    monkeypatch.setattr(verify, "check_gradients", check_gradients)
    assert main(["verify", "--model", "linear-q3", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.endswith("  pass (fd kink)") for line in lines) == 2
    assert lines[-1].startswith("(fd kink): a finite-difference step crossed a ReLU kink")


class ClosedPipe(io.StringIO):
    """stdout read by a process that has gone (``handgrad verify | head -3``)."""

    def __init__(self, fd: int):
        super().__init__()
        self.fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.fd


def test_a_reader_that_goes_away_stops_the_checks_without_a_traceback(
    fake_checker, monkeypatch, capsys, tmp_path
):
    with open(tmp_path / "stdout", "w") as file:
        monkeypatch.setattr("sys.stdout", ClosedPipe(file.fileno()))
        assert main(["verify", "--model", "linear", "--no-progress"]) == 141
    assert fake_checker == []  # nobody reads the rows: no case is checked for nothing
    assert capsys.readouterr().err == ""
