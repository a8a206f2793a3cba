"""The ``handgrad`` command: ``verify``, ``train``, ``eval``, ``memory``, ``graph`` and
``config list``, ``config show``, ``config init``; ``handgrad --version``.

The command only wires the library together; all logic lives in the modules it calls.
Every ``CONFIG`` argument is a file or the name of a shipped config (``digits_mlp1``), by
one rule (``handgrad.shipped.resolve_config``); ``handgrad train`` alone trains
the default, d2l's MLP on digits.
Bad input (config, data, checkpoints) and file-system faults are reported in one line that
names the file, with status 2, never with a traceback; Ctrl-C exits with 130 and one line
saying what was saved (during training: a checkpoint at the end of the running chunk).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from handgrad.cli_config import CONFIG_HELP, SET_HELP, add_config_command
from handgrad.cli_errors import fail as _fail
from handgrad.cli_errors import guarded as _guarded
from handgrad.cli_errors import subcommands


def _verify(args: argparse.Namespace) -> int:
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
        print(f"handgrad verify: error: {err}", file=sys.stderr)
        return 2
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


def _load_config(path: str, overrides: list[str] = ()):
    """The validated config of ``path`` (a file, or a shipped config's name); JAX's 64-bit
    mode is switched on here, at the entry point, when the config trains in float64 (the
    library never flips that flag itself)."""
    import jax

    from handgrad.shipped import resolve_config
    from handgrad.training.config import load_config

    cfg = load_config(resolve_config(path), overrides)
    if cfg.train.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    return cfg


def _train(args: argparse.Namespace) -> int:
    from handgrad._interrupt import deferred_sigint

    with deferred_sigint(hard=True, command="handgrad train"):
        return _guarded("train", lambda: _train_now(args))


def _train_now(args: argparse.Namespace) -> int:
    import os

    from handgrad._interrupt import raise_if_interrupted

    if args.resume:
        if args.config or args.out:
            raise ValueError(
                "--resume RUN_DIR continues the run in RUN_DIR with its own config.toml: give "
                "no CONFIG or --out (--set may change the fields a resume allows, e.g. "
                "optim.steps)"
            )
        run_dir = args.resume
        cfg = _load_config(_run_config(run_dir), args.set)
    else:
        config = args.config
        if config is None:
            from handgrad.shipped import DEFAULT, describe

            about = describe(DEFAULT).rstrip(".")
            print(f"no CONFIG given: training the default, {DEFAULT} ({about})")
            config = DEFAULT
        cfg = _load_config(config, args.set)
        stem = os.path.splitext(os.path.basename(config))[0]
        if args.out is not None and not args.out.strip():
            raise ValueError("--out names the run folder: give a path, not an empty string")
        run_dir = args.out or os.path.join("runs", f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    raise_if_interrupted("interrupted during setup: nothing was saved")
    from handgrad.training.runner import train

    print(f"run folder: {run_dir}", flush=True)
    summary = train(cfg, run_dir, resume=bool(args.resume), progress=not args.no_progress)
    print(
        "final: "
        + "  ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items()
        )
    )
    return 0


def _run_config(run_dir: str) -> str:
    """The ``config.toml`` of the run folder ``run_dir``; a ValueError naming it if missing."""
    config_path = os.path.join(run_dir, "config.toml")
    if not os.path.isdir(run_dir):
        raise ValueError(f"{run_dir}: not a run folder (no such folder)")
    if not os.path.isfile(config_path):
        raise ValueError(f"{run_dir}: not a run folder ({config_path} is missing)")
    return config_path


def _eval(args: argparse.Namespace) -> int:
    def work():
        from handgrad.training.evaluation import evaluate_run

        config_path = _run_config(args.run_dir)
        metrics = evaluate_run(args.run_dir, _load_config(config_path))
        print("  ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        return 0

    return _guarded("eval", work)


def _memory(args: argparse.Namespace) -> int:
    def work():
        from handgrad.training.inspection import format_memory, memory_report

        if args.remat_every < 0:
            raise ValueError(f"--remat-every must be >= 0 (0: no remat), got {args.remat_every}")
        if any(b < 1 for b in args.batch_size):
            raise ValueError(f"--batch-size must be positive, got {args.batch_size}")
        cfg = _load_config(args.config, args.set)
        print(format_memory(memory_report(cfg, args.batch_size, remat_every=args.remat_every)))
        return 0

    return _guarded("memory", work)


def _graph(args: argparse.Namespace) -> int:
    def work():
        from handgrad.training.inspection import objective_graph
        from handgrad.training.run_folder import named

        cfg = _load_config(args.config, args.set)
        try:
            objective_graph(
                cfg, args.out, backward=args.backward, samples=args.samples, detail=args.detail
            )
        except OSError as err:  # matplotlib's writes name no file
            raise named(err, args.out) from None
        print(f"wrote {args.out}")
        return 0

    return _guarded("graph", work)


def build_parser() -> argparse.ArgumentParser:
    import handgrad
    from handgrad.shipped import DEFAULT

    parser = argparse.ArgumentParser(
        prog="handgrad", description="Hand-derived backprop, proven equal to JAX's autodiff."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"handgrad {handgrad.__version__}",
        help="print the version",
    )
    sub = subcommands(parser, "command", "COMMAND", "what to do")
    verify = sub.add_parser(
        "verify", help="check every hand gradient against grad, vjp, jvp and finite differences"
    )
    verify.add_argument("--seed", type=int, default=0, help="seed of the random check points")
    verify.add_argument(
        "--model",
        help="check only the cases whose model column reads this or begins with it and then "
        "'-' or ':' (linear: linear and linear-q3; mlp: mlp-2, mlp-3, mlp-4, not mlp1; "
        "module: every module:NAME); a,b: either",
    )
    for label in ("activation", "loss", "dtype"):
        verify.add_argument(
            f"--{label}", help=f"check only the cases with this {label} (a,b: either)"
        )
    verify.add_argument("--no-progress", action="store_true", help="no progress bar")
    verify.set_defaults(run=_verify)

    train = sub.add_parser("train", help="train as a TOML config says (see: handgrad config list)")
    train.add_argument(
        "config",
        nargs="?",
        help=f"{CONFIG_HELP} (default {DEFAULT}: d2l's MLP on scikit-learn's digits)",
    )
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field, e.g. optim.lr=0.05",
    )
    train.add_argument("--out", help="the run folder (default runs/CONFIG-TIME)")
    train.add_argument(
        "--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint"
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    evaluate = sub.add_parser("eval", help="evaluate a finished run's parameters on its test split")
    evaluate.add_argument("run_dir", help="a run folder written by handgrad train")
    evaluate.set_defaults(run=_eval)

    memory = sub.add_parser(
        "memory",
        help="memory of a training step vs prediction: counted, and measured in JAX and XLA",
    )
    memory.add_argument("config", help=CONFIG_HELP)
    memory.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    memory.add_argument(
        "--batch-size",
        type=int,
        action="append",
        default=[],
        help="repeat for several (default: the config's)",
    )
    memory.add_argument(
        "--remat-every",
        type=int,
        default=0,
        metavar="K",
        help="jax.checkpoint every K hidden layers (0: none)",
    )
    memory.set_defaults(run=_memory)

    graph = sub.add_parser(
        "graph", help="draw the computational graph of a config's objective J (from its jaxpr)"
    )
    graph.add_argument("config", help=CONFIG_HELP)
    graph.add_argument("--out", required=True, help="the image file, .png or .svg")
    graph.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field, e.g. model.bias=true",
    )
    graph.add_argument(
        "--backward",
        action="store_true",
        help="draw the backward graph (jax.grad) too, right to left above the forward one",
    )
    graph.add_argument(
        "--samples",
        type=int,
        default=1,
        help="samples J is traced on (default 1: d2l's J = l(o, y) + s of one sample x, y; "
        "more: the rows X, Y of a batch)",
    )
    graph.add_argument(
        "--detail",
        choices=("text", "jaxpr"),
        default="text",
        help="text (default): d2l's graph, one operator per stage of the model (z, h, o, L, s, "
        "J); jaxpr: one operator per traced equation",
    )
    graph.set_defaults(run=_graph)

    add_config_command(sub)
    return parser


def _stop_now(command: str | None):
    """A SIGINT handler for the commands that save nothing: one line, status 130, at once
    (without unwinding through XLA, which can crash the interpreter on its way out)."""
    who = "handgrad" if command is None else f"handgrad {command}"

    def handler(signum, frame):
        sys.stdout.flush()
        sys.stderr.write(f"\n{who}: interrupted: nothing was saved\n")
        sys.stderr.flush()
        os._exit(130)

    return handler


def _refuse_nul(command: str, args: argparse.Namespace) -> int | None:
    """A NUL character can be in no path, name or value: refused by argument, in one line."""
    for key, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            positional = key in ("config", "run_dir", "name", "path")
            flag = key if positional else f"--{key.replace('_', '-')}"
            return _fail(
                command, f"{flag} holds a NUL character (\\x00), which no path or value may hold"
            )
    return None


def _exit_quietly(code: int):
    """After the work is done: Ctrl-C while the interpreter shuts down ends it with the
    command's own status, without a traceback from an exit handler."""

    def handler(signum, frame):
        sys.stdout.flush()
        os._exit(code)

    return handler


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        args = build_parser().parse_args(argv)
        return args.run(args)
    # from the first moment: Ctrl-C is one line; train then defers it to a safe point
    previous = signal.signal(signal.SIGINT, _stop_now(None))
    code = None
    try:
        args = build_parser().parse_args(argv)
        name = args.command
        if name == "config" and args.config_command:
            name = f"config {args.config_command}"
        signal.signal(signal.SIGINT, _stop_now(name))
        code = _refuse_nul(name, args)
        code = args.run(args) if code is None else code
        return code
    finally:
        if argv is None and code is not None:  # the command itself: it exits next
            signal.signal(signal.SIGINT, _exit_quietly(code))
        else:  # called in-process (a test, a notebook): the caller's handler comes back
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
