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

from handgrad import cli_commands as commands
from handgrad.cli_config import CONFIG_HELP, SET_HELP, add_config_command
from handgrad.cli_errors import command, fail, subcommands


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
    verify = command(
        sub,
        "verify",
        help="check every hand gradient against grad, vjp, jvp and finite differences",
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
    verify.set_defaults(run=commands.verify)

    train = command(sub, "train", help="train as a TOML config says (see: handgrad config list)")
    train.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG",
        help=f"{CONFIG_HELP} (default {DEFAULT}: d2l's MLP on scikit-learn's digits)",
    )
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    train.add_argument("--out", help="the run folder (default runs/CONFIG-TIME)")
    train.add_argument(
        "--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint"
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=commands.train)

    evaluate = command(
        sub,
        "eval",
        help="evaluate a finished run's parameters: loss and accuracy on its train and test splits",
    )
    evaluate.add_argument(
        "run_dir", metavar="RUN_DIR", help="a run folder written by handgrad train"
    )
    evaluate.set_defaults(run=commands.evaluate)

    memory = command(
        sub,
        "memory",
        help="memory of a training step vs prediction: counted, and measured in JAX and XLA",
    )
    memory.add_argument("config", metavar="CONFIG", help=CONFIG_HELP)
    memory.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    memory.add_argument(
        "--batch-size",
        type=int,
        action="append",
        default=[],
        help="the batch size to measure; repeat for several (default: the config's)",
    )
    memory.add_argument(
        "--remat-every",
        type=int,
        default=0,
        metavar="K",
        help="jax.checkpoint every K hidden layers (0: none)",
    )
    memory.set_defaults(run=commands.memory)

    graph = command(
        sub, "graph", help="draw the computational graph of a config's objective J (from its jaxpr)"
    )
    graph.add_argument("config", metavar="CONFIG", help=CONFIG_HELP)
    graph.add_argument("--out", required=True, help="the image file, .png or .svg")
    graph.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
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
    graph.set_defaults(run=commands.graph)

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


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The (sub)parser whose arguments ``args`` holds: ``handgrad config show``'s for
    ``handgrad config show X``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            child = action.choices.get(getattr(args, action.dest, None))
            if child is not None:
                return _chosen(child, args)
    return parser


def _shown_as(action: argparse.Action) -> str:
    """An argument as the usage line shows it: ``CONFIG``, ``--out``."""
    if not action.option_strings:
        return action.metavar or action.dest
    return max(action.option_strings, key=len)


def _refuse_nul(command: str, parser: argparse.ArgumentParser, args) -> int | None:
    """A NUL character can be in no path, name or value: refused by argument, in one line,
    naming the argument as the usage line shows it."""
    for action in _chosen(parser, args)._actions:
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            return fail(
                command,
                f"{_shown_as(action)} holds a NUL character (\\x00), which no path or value "
                "may hold",
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
        parser = build_parser()
        args = parser.parse_args(argv)
        name = args.command
        if name == "config" and args.config_command:
            name = f"config {args.config_command}"
        signal.signal(signal.SIGINT, _stop_now(name))
        code = _refuse_nul(name, parser, args)
        code = args.run(args) if code is None else code
        return code
    finally:
        if argv is None and code is not None:  # the command itself: it exits next
            signal.signal(signal.SIGINT, _exit_quietly(code))
        else:  # called in-process (a test, a notebook): the caller's handler comes back
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
