"""The configs that ship inside the package, so that ``pip install handgrad`` trains.

The TOML files live in ``handgrad/configs/`` (in a checkout, top-level ``configs/`` links
there) and are read with ``importlib.resources``, never from the working directory. Each
file opens with a comment whose first sentence describes it (``summary_line``). This module
imports neither JAX nor the schema, so ``handgrad --help`` stays quick; its errors are
``ConfigError``, imported when one is raised.

``resolve_config`` is the rule every ``CONFIG`` argument of the ``handgrad`` command
follows: a file that exists is used as given; otherwise a shipped name (``digits_mlp1`` or
``digits_mlp1.toml``) means the packaged file, and messages call it as typed
(``config_label``: ``digits_mlp1 (shipped config)``), never by its path inside the package.
An empty name is refused, an unknown one is offered the closest shipped name.

>>> "digits_mlp1" in shipped_names()
True
>>> summary_line("digits_mlp1")
"d2l's one-hidden-layer MLP on scikit-learn's digits, minibatch SGD on hand-derived gradients."
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from importlib import resources
from importlib.abc import Traversable

from handgrad.names import did_you_mean, empty

DEFAULT = "digits_mlp1"  # what ``handgrad train`` with no CONFIG trains: d2l's MLP on digits
_SENTENCE_END = re.compile(r"\.(\s|$)")


def _folder() -> Traversable:
    return resources.files("handgrad") / "configs"


@functools.cache
def _names() -> tuple[str, ...]:
    """The folder listed once: package data does not change while the process runs."""
    return tuple(
        sorted(
            entry.name.removesuffix(".toml")
            for entry in _folder().iterdir()
            if entry.name.endswith(".toml") and entry.is_file()
        )
    )


def shipped_names() -> list[str]:
    """The names of the shipped configs, sorted: ``['deep_mlp', 'digits_mlp1', …]``."""
    return list(_names())


def _shipped_file(name: str) -> Traversable | None:
    """The packaged file of ``name`` (with or without ``.toml``), or None if none ships."""
    stem = name.removesuffix(".toml")
    return _folder() / f"{stem}.toml" if stem in _names() else None


def shipped_text(name: str) -> str:
    """The text of the shipped config ``name`` (``digits_mlp1`` or ``digits_mlp1.toml``).

    Raises:
      ConfigError: when no config of that name ships (with the closest, if one is close),
        or the name is empty; the message lists those that do.
    """
    refused = empty(name, "config name", f"a shipped config's name ({_listing()})")
    if refused:
        raise _config_error(refused)
    found = _shipped_file(name)
    if found is None:
        raise _config_error(f"{name}: not a shipped config{_close(name)} ({_listing()})")
    return found.read_text(encoding="utf-8")


def summary_line(name: str) -> str:
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


def _close(arg: str) -> str:
    """A did-you-mean for ``arg``: ``configs/digits_mlp1.toml`` typed where no checkout is
    suggests ``digits_mlp1``, ``digits_mlp`` suggests the closest shipped name."""
    stem = os.path.basename(arg).removesuffix(".toml")
    names = shipped_names()
    return f"; did you mean '{stem}'?" if stem in names else did_you_mean(stem, names)


def _config_error(message: str) -> Exception:
    from handgrad.training.schema import ConfigError  # loads JAX: only when there is an error

    return ConfigError(message)


def resolve_config(arg: str) -> str:
    """The path of the config file that the command-line argument ``arg`` names.

    Whatever exists at ``arg`` is what the user meant, never replaced by a shipped config:
    a file is used as given, a folder is returned as given (``load_config`` says it is a
    folder), a broken symbolic link is refused. Otherwise a shipped name, with or without
    ``.toml``, resolves to the packaged file.

    Raises:
      ConfigError: when ``arg`` is a broken symbolic link, or neither a path nor a shipped
        name; the one-line message names ``arg``, suggests ``ARG.toml`` when that is a
        file here (else the closest shipped name) and lists the shipped names.
    """
    refused = empty(arg, "CONFIG", f"a file or a shipped name ({_listing()})")
    if refused:
        raise _config_error(refused)
    if os.path.lexists(arg):  # what is there is what the user meant, even a folder or a link
        if not os.path.exists(arg):
            target = os.readlink(arg)
            raise _config_error(f"{arg}: a broken symbolic link (to {target}, which is missing)")
        return arg
    found = _shipped_file(arg)
    if found is not None:
        return os.fspath(found)  # a wheel installs as files: the resource is a real path
    hint = f"; did you mean '{arg}.toml'?" if os.path.isfile(f"{arg}.toml") else _close(arg)
    raise _config_error(
        f"{arg}: no such config file, nor a shipped config name{hint} ({_listing()})"
    )


def notice(arg: str) -> str | None:
    """A note for the user when ``arg`` could be read two ways, else None: a shipped name
    while ``./NAME.toml`` exists here (the shipped config is used, as the name always
    means), or ``NAME.toml`` that is nothing here (the shipped config of that name is used).
    Anything at ``arg``, even a folder or a broken link, is what ``resolve_config`` uses:
    no note. (Examples depend on the working folder: see tests/test_cli_config.py.)
    """
    if os.path.lexists(arg) or _shipped_file(arg) is None:
        return None
    stem = arg.removesuffix(".toml")
    if arg.endswith(".toml"):
        return f"{arg}: no such file here; using the shipped config {stem}"
    if os.path.lexists(f"{stem}.toml"):
        return (
            f"{arg}: using the shipped config; ./{stem}.toml here is not used "
            f"(give {stem}.toml for that file)"
        )
    return None


def config_label(arg: str) -> str:
    """What messages call the config ``arg`` names: ``arg`` for a file, ``arg (shipped
    config)`` for a shipped name, whose file inside the package the user never wrote:
    ``digits_mlp1 (shipped config)`` where nothing named ``digits_mlp1`` is here.
    """
    if os.path.lexists(arg):
        return arg
    return f"{arg} (shipped config)" if _shipped_file(arg) is not None else arg


def write_shipped(name: str, path: str | None = None) -> str:
    """Writes the shipped config ``name`` out to edit; returns the path written.

    ``path`` defaults to ``./NAME.toml``; a folder receives ``NAME.toml``. An existing file
    is never overwritten: the file is created exclusively, so nothing is lost even when
    another process writes the same path meanwhile. The text is written, flushed and closed
    inside one guard: when any of them fails (a full disk reports at close), the partial
    file is removed, so a retry finds no empty ``NAME.toml`` in its way.

    Raises:
      ConfigError: when no config ``name`` ships, or ``name`` is empty.
      ValueError: when ``path`` is empty (``None`` means the default).
      FileExistsError: when the target exists; its ``filename`` is the target.
      OSError: when the target cannot be written (no such folder, no permission, a full
        disk); its ``filename`` is the target.
    """
    text = shipped_text(name)
    refused = empty(path, "PATH", "a file or folder to write, or leave PATH out for ./NAME.toml")
    if refused:
        raise ValueError(refused)
    stem = name.removesuffix(".toml")
    target = path or f"{stem}.toml"
    if os.path.isdir(target):
        target = os.path.join(target, f"{stem}.toml")
    f = open(target, "x", encoding="utf-8")  # closed inside the guard: close can fail too
    try:
        with f:
            f.write(text)
            f.flush()
    except BaseException as err:  # no half-written (or empty) config is left behind
        with contextlib.suppress(OSError):
            os.remove(target)
        if isinstance(err, OSError):
            from handgrad.training.run_folder import named

            raise named(err, target) from None
        raise
    return target
