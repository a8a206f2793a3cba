"""How the ``handgrad`` command reports a fault: one line that names it, never a traceback.

Bad input (config, data, checkpoints) and file-system faults are one line and status 2
(``guarded``); Ctrl-C is one line and status 130; a command given without its subcommand is
an argparse error in the user's words (``subcommands``), also status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def bad_input_types() -> tuple[type, ...]:
    """The exceptions that mean bad input, reported in one line (they load JAX: call late)."""
    from handgrad.data import DataError
    from handgrad.training.checkpoint import CheckpointError
    from handgrad.training.config import ConfigError
    from handgrad.training.health import TrainingError

    return (ConfigError, DataError, CheckpointError, TrainingError, ValueError)


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]} | {
    0x0A: "\\n",
    0x09: "\\t",
    0x0D: "\\r",
}


def one_line(message: object) -> str:
    """The message with control characters escaped: a path holding a newline or a NUL stays
    on one line, and nothing is sent raw to the terminal."""
    return str(message).translate(_CONTROL)


def fail(command: str, message: object) -> int:
    """Prints ``handgrad COMMAND: error: MESSAGE`` on one line to stderr; returns status 2."""
    print(f"handgrad {command}: error: {one_line(message)}", file=sys.stderr)
    return 2


def guarded(command: str, work: Callable[[], int]) -> int:
    """Runs ``work()``; bad input and file-system faults become one line and status 2,
    Ctrl-C one line and status 130."""
    from handgrad._interrupt import Interrupted  # light; what names a fault loads JAX, so late

    try:
        return work()
    except Interrupted as stop:
        said = str(stop) or "interrupted: nothing was saved"  # an exception is always truthy
        print(f"handgrad {command}: {one_line(said)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"handgrad {command}: interrupted: nothing was saved", file=sys.stderr)
        return 130
    except OSError as err:  # the whole family: a folder for a file, no space, no permission…
        from handgrad.training.run_folder import describe

        return fail(command, describe(err))
    except bad_input_types() as err:
        return fail(command, err)


def subcommands(parser: argparse.ArgumentParser, dest: str, metavar: str, help: str):
    """The subparsers of ``parser``; when none is given, argparse's usage and an error in
    the user's words, status 2: ``handgrad config: error: give a subcommand: list, show or
    init`` (not argparse's ``the following arguments are required: config_command``)."""
    sub = parser.add_subparsers(dest=dest, metavar=metavar, help=help)
    what = "command" if parser.prog == "handgrad" else "subcommand"

    def missing(args: argparse.Namespace) -> int:
        *others, last = sub.choices
        parser.error(f"give a {what}: {', '.join(others)} or {last}")

    parser.set_defaults(run=missing)
    return sub


def command(sub, name: str, *, help: str, **kwargs) -> argparse.ArgumentParser:
    """``sub.add_parser(name)`` whose ``--help`` opens with what the command does: the line
    ``handgrad --help`` lists it with, as a sentence."""
    return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kwargs)
