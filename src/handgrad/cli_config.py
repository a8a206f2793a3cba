"""``handgrad config``: the shipped configs listed, one shown resolved, one written out.

``list`` prints each shipped config with the first sentence of its comment; ``show``
prints a config (a file or a shipped name) with every field its run uses; ``init NAME
[PATH]`` writes a shipped config out to edit, never over an existing file.
"""

from __future__ import annotations

import argparse
import shlex

from handgrad.cli_errors import command, guarded, subcommands

CONFIG_HELP = "a TOML config file, or a shipped config's name (see: handgrad config list)"
SET_HELP = "override a field, e.g. optim.lr=0.05 (repeat for several)"


def config_list(args: argparse.Namespace) -> int:
    """Prints ``NAME  description`` for each shipped config."""
    from handgrad.shipped import shipped_names, summary_line

    names = shipped_names()
    width = max(map(len, names))
    # one write, as config show does: a reader that stops early (| head) breaks no pipe
    print("\n".join(f"{name:<{width}}  {summary_line(name)}" for name in names))
    return 0


def config_show(args: argparse.Namespace) -> int:
    """Prints the config ``args.config`` with ``args.set`` applied, as TOML that loads back."""
    from handgrad.cli_commands import read_config
    from handgrad.training.config import dump_config

    print(dump_config(read_config(args.config, args.set, run=False)), end="")
    return 0


def config_init(args: argparse.Namespace) -> int:
    """Writes the shipped config ``args.name`` to ``args.path`` (default ``./NAME.toml``).

    Raises:
      ValueError: when the target exists (it is left as it is), naming it.
    """
    from handgrad.shipped import write_shipped

    try:
        path = write_shipped(args.name, args.path)
    except FileExistsError as err:
        raise ValueError(
            f"{err.filename} already exists: it was left as it is; give another PATH"
        ) from None
    print(f"wrote {path}: edit it, then run handgrad train {shlex.quote(path)}")
    return 0


def _run(name: str, work):
    return lambda args: guarded(f"config {name}", lambda: work(args))


def add_config_command(sub) -> None:
    """Adds ``config`` with its subcommands ``list``, ``show`` and ``init`` to ``sub``."""
    config = command(sub, "config", help="the shipped configs: list, show or write one out")
    config_sub = subcommands(config, "config_command", "SUBCOMMAND", "what to do with configs")
    listing = command(config_sub, "list", help="the shipped configs, each with what it trains")
    listing.set_defaults(run=_run("list", config_list))
    show = command(
        config_sub, "show", help="print a config with every field its run uses (defaults filled in)"
    )
    show.add_argument("config", metavar="CONFIG", help=CONFIG_HELP)
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    show.set_defaults(run=_run("show", config_show))
    init = command(config_sub, "init", help="write a shipped config out to edit")
    init.add_argument(
        "name",
        metavar="NAME",
        help="a shipped config, e.g. digits_mlp1 (see: handgrad config list)",
    )
    init.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="the file to write (default ./NAME.toml); never overwritten",
    )
    init.set_defaults(run=_run("init", config_init))
