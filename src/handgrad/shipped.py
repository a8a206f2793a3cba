"""The configs that ship inside the package, so that ``pip install handgrad`` trains.

The TOML files live in ``handgrad/configs/`` (in a checkout, top-level ``configs/`` links
there) and are read with ``importlib.resources``, never from the working directory. Each
file opens with a comment whose first sentence describes it (``describe``). This module
imports neither JAX nor the schema, so ``handgrad --help`` stays quick; its errors are
``ConfigError``, imported when one is raised.

``resolve_config`` is the rule every ``CONFIG`` argument of the ``handgrad`` command
follows: a file that exists is used as given; otherwise a shipped name (``digits_mlp1`` or
``digits_mlp1.toml``) means the packaged file.

>>> "digits_mlp1" in shipped_names()
True
>>> describe("digits_mlp1")
"d2l's one-hidden-layer MLP on scikit-learn's digits, minibatch SGD on hand-derived gradients."
"""

from __future__ import annotations

import os
import re
from importlib import resources
from importlib.abc import Traversable

DEFAULT = "digits_mlp1"  # what ``handgrad train`` with no CONFIG trains: d2l's MLP on digits
_SENTENCE_END = re.compile(r"\.(\s|$)")


def _folder() -> Traversable:
    return resources.files("handgrad") / "configs"


def shipped_names() -> list[str]:
    """The names of the shipped configs, sorted: ``['deep_mlp', 'digits_mlp1', …]``."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _folder().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _shipped_file(name: str) -> Traversable | None:
    """The packaged file of ``name`` (with or without ``.toml``), or None if none ships."""
    stem = name.removesuffix(".toml")
    return _folder() / f"{stem}.toml" if stem in shipped_names() else None


def shipped_text(name: str) -> str:
    """The text of the shipped config ``name`` (``digits_mlp1`` or ``digits_mlp1.toml``).

    Raises:
      ConfigError: when no config of that name ships; the message lists those that do.
    """
    found = _shipped_file(name)
    if found is None:
        raise _config_error(f"{name}: not a shipped config ({_listing()})")
    return found.read_text(encoding="utf-8")


def describe(name: str) -> str:
    """The first sentence of the comment that opens the shipped config ``name``."""
    comment = []
    for line in shipped_text(name).splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    text = " ".join(comment)
    end = _SENTENCE_END.search(text)
    return text[: end.start() + 1] if end else text


def _listing() -> str:
    return "shipped: " + ", ".join(shipped_names())


def _config_error(message: str) -> Exception:
    from handgrad.training.schema import ConfigError  # loads JAX: only when there is an error

    return ConfigError(message)


def resolve_config(arg: str) -> str:
    """The path of the config file that the command-line argument ``arg`` names.

    An existing file (not a folder) is used as given; otherwise a shipped name, with or
    without ``.toml``, resolves to the packaged file; otherwise an existing folder is
    returned as given, so that ``load_config`` says it is a folder.

    Raises:
      ConfigError: when ``arg`` is neither a file nor a shipped name; the one-line message
        names ``arg`` and lists the shipped names.
    """
    if not arg.strip():
        raise _config_error(
            f"{arg!r}: an empty CONFIG; give a file or a shipped name ({_listing()})"
        )
    if os.path.exists(arg) and not os.path.isdir(arg):
        return arg
    found = _shipped_file(arg)
    if found is not None:
        return os.fspath(found)  # a wheel installs as files: the resource is a real path
    if os.path.isdir(arg):
        return arg
    raise _config_error(f"{arg}: no such config file, nor a shipped config name ({_listing()})")


def write_shipped(name: str, path: str | None = None) -> str:
    """Writes the shipped config ``name`` out to edit; returns the path written.

    ``path`` defaults to ``./NAME.toml``; a folder receives ``NAME.toml``. An existing file
    is never overwritten: the file is created exclusively, so nothing is lost even when
    another process writes the same path meanwhile.

    Raises:
      ConfigError: when no config ``name`` ships.
      FileExistsError: when the target exists; its ``filename`` is the target.
      OSError: when the target cannot be written (no such folder, no permission, …).
    """
    text = shipped_text(name)
    stem = name.removesuffix(".toml")
    target = path or f"{stem}.toml"
    if os.path.isdir(target):
        target = os.path.join(target, f"{stem}.toml")
    with open(target, "x", encoding="utf-8") as f:
        try:
            f.write(text)
        except BaseException:  # a full disk: no half-written config is left behind
            os.remove(target)
            raise
    return target
