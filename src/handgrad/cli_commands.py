"""What each ``handgrad`` command does: ``verify``, ``train``, ``eval``, ``memory``, ``graph``.

Each takes the parsed arguments and returns the exit status; ``handgrad.cli`` builds the
parser and wires them in. Every ``CONFIG`` argument is a file or a shipped config's name
(``handgrad.shipped.resolve_config``); faults become one line through ``cli_errors.guarded``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from handgrad.cli_errors import fail, guarded


def verify(args: argparse.Namespace) -> int:
    """Streams the table: each row is printed (and flushed) as soon as its case is checked,
    under a progress bar on stderr when stderr is a terminal and --no-progress is not given;
    tqdm.write clears the bar around each row, so the two never garble each other."""
    from tqdm import tqdm

    from handgrad.check import TOLERANCES, VerifyTable, cases, iter_check_cases, select

    start = time.perf_counter()
    labels = {f: getattr(args, f) for f in ("model", "activation", "loss", "dtype")}
    try:
        grid = select(cases(seed=args.seed), **labels)
    except ValueError as err:
        return fail("verify", err)
    table = VerifyTable.for_cases(grid)
    rows = []
    bar = tqdm(
        total=len(grid), desc="verify", unit="case", file=sys.stderr, dynamic_ncols=True,
        leave=False, disable=True if args.no_progress else None,  # None: only on a terminal
    )  # fmt: skip

    def emit(line: str = "") -> None:
        bar.write(line, file=sys.stdout)
        sys.stdout.flush()  # a pipe or a file is block-buffered: each row goes out now

    try:
        with bar:
            emit(table.caption)
            emit(table.header())
            for row in iter_check_cases(grid):
                rows.append(row)
                emit(table.row(row))
                bar.update()
        failed = [row for row in rows if not row.report.passed]
        emit()
        emit(
            f"{len(rows) - len(failed)} of {len(rows)} cases passed in "
            f"{time.perf_counter() - start:.1f} s; tolerances (grad/vjp/jvp, fd): "
            + ", ".join(f"{dt} {tol:.0e}, {fd:.0e}" for dt, (tol, fd) in TOLERANCES.items())
        )
        if any(row.kink_warnings for row in rows):
            emit("(fd kink): a finite-difference step crossed a ReLU kink, where fd may disagree")
        for row in failed:
            for line in row.report.failures():
                emit(f"FAIL {row.case.model} {row.case.activation} {row.case.loss}: {line}")
    except BrokenPipeError:  # the reader went away (| head): stop checking, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # for the exit's flush
        return 141  # as a shell reports a process ended by SIGPIPE
    return 1 if failed else 0


def read_config(path: str, overrides: list[str] = (), *, run: bool = True):
    """The validated config of ``path`` (a file, or a shipped config's name), with a note on
    stderr when the name could be read two ways (``shipped.notice``). For a ``run``, JAX's
    64-bit mode is switched on here, at the entry point, when the config trains in float64
    (the library never flips that flag itself)."""
    import jax

    from handgrad.shipped import config_label, notice, resolve_config
    from handgrad.training.config import load_config

    said = notice(path)
    if said:
        print(f"note: {said}", file=sys.stderr)
    cfg = load_config(resolve_config(path), overrides, label=config_label(path))
    if run and cfg.train.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    return cfg


def train(args: argparse.Namespace) -> int:
    from handgrad._interrupt import deferred_sigint

    with deferred_sigint(hard=True, command="handgrad train"):
        return guarded("train", lambda: train_now(args))


def train_now(args: argparse.Namespace) -> int:
    """Every argument is checked before anything is announced or loaded; the run folder is
    printed once its config is accepted (for --resume: the changes a resume allows)."""
    from handgrad._interrupt import raise_if_interrupted

    if args.resume is not None and (args.config is not None or args.out is not None):
        raise ValueError(
            "--resume RUN_DIR continues the run in RUN_DIR with its own config.toml: give "
            "no CONFIG or --out (--set may change the fields a resume allows, e.g. optim.steps)"
        )
    _refuse_empty_out(args.out, "--out names the run folder; leave it out for runs/CONFIG-TIME")
    if args.resume is not None:  # an empty RUN_DIR is refused, never taken for no --resume
        from handgrad.training.config import load_config
        from handgrad.training.resume import check_overrides
        from handgrad.training.run_folder import run_config

        run_dir = args.resume
        config_path = run_config(run_dir)
        cfg = read_config(config_path, args.set)
        check_overrides(load_config(config_path), cfg, step=0)  # the step: checked on resume
    else:
        config = args.config
        if config is None:
            from handgrad.shipped import DEFAULT, summary_line

            about = summary_line(DEFAULT).rstrip(".")
            print(f"no CONFIG given: training the default, {DEFAULT} ({about})")
            config = DEFAULT
        cfg = read_config(config, args.set)
        stem = os.path.splitext(os.path.basename(config))[0]
        run_dir = args.out or os.path.join("runs", f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    raise_if_interrupted("interrupted during setup: nothing was saved")
    from handgrad.training import runner

    print(f"run folder: {run_dir}", flush=True)
    summary = runner.train(
        cfg, run_dir, resume=args.resume is not None, progress=not args.no_progress
    )
    print(
        "final: "
        + "  ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items()
        )
    )
    return 0


def _refuse_empty_out(out: str | None, names: str) -> None:
    from handgrad.names import empty

    refused = empty(out, "--out", f"a path ({names})")
    if refused:
        raise ValueError(refused)


def evaluate(args: argparse.Namespace) -> int:
    def work():
        from handgrad.training.evaluation import evaluate_run
        from handgrad.training.run_folder import run_config

        config_path = run_config(args.run_dir)
        metrics = evaluate_run(args.run_dir, read_config(config_path))
        print("  ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        return 0

    return guarded("eval", work)


def memory(args: argparse.Namespace) -> int:
    def work():
        from handgrad.training.inspection import format_memory, memory_report

        if args.remat_every < 0:
            raise ValueError(f"--remat-every must be >= 0 (0: no remat), got {args.remat_every}")
        if any(b < 1 for b in args.batch_size):
            raise ValueError(f"--batch-size must be a positive integer, got {args.batch_size}")
        cfg = read_config(args.config, args.set)
        print(format_memory(memory_report(cfg, args.batch_size, remat_every=args.remat_every)))
        return 0

    return guarded("memory", work)


def graph(args: argparse.Namespace) -> int:
    def work():
        from handgrad.exercises.figure_parts import figure_format
        from handgrad.training.inspection import objective_graph

        _refuse_empty_out(args.out, "--out names the image file, .png or .svg")
        figure_format(args.out)  # before the config is loaded and J traced
        if args.samples < 1:
            raise ValueError(f"--samples must be a positive integer, got {args.samples}")
        cfg = read_config(args.config, args.set)
        options = dict(backward=args.backward, samples=args.samples, detail=args.detail)
        objective_graph(cfg, args.out, **options)  # saved whole or not at all
        print(f"wrote {args.out}")
        return 0

    return guarded("graph", work)
