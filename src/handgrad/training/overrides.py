"""``--set key=value`` overrides: applied to a config's raw TOML table, and a fault blamed on
the one that brings it.

An item names a field by its dotted path (``optim.lr``) and gives the value as TOML (``0.05``,
``true``, ``[64, 64]``, ``{n = 400}``); a bare word is a string (``data.name=mnist``). A fault
of the item itself (no ``=``, an empty or unknown key, a section set whole) is said of it:
``--set ITEM: …``. A fault found when the merged table is validated is blamed by one linear
rule: on the LAST item whose key is a field the fault concerns (``ConfigError.fields``) or a
section holding one (``data.options`` for ``data.options.noise``), else on the file. A section
that the file holds as a non-table (``optim = 3``) is the file's fault, whatever ``--set`` says.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from typing import Any

from handgrad.names import empty
from handgrad.training.schema import Config, ConfigError, describe, field_kinds, short, unknown_key

Overrides = str | Sequence[str]  # "key=value" items; a single string is one item


def items_of(overrides: Overrides) -> list:
    """The override items as a list: a single string is one item."""
    return [overrides] if isinstance(overrides, str) else list(overrides)


def parse_value(text: str) -> Any:
    """The value of an item, read as TOML; a bare word is a string, kept as given (a path
    may end in a space).

    >>> parse_value("[64, 64]"), parse_value("mnist")
    ([64, 64], 'mnist')
    """
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(table: dict, overrides: Overrides) -> dict:
    """``key=value`` overrides applied to a raw TOML table (checked when it is built).

    ``overrides`` is a list of ``"key=value"`` strings; a single string is one override. The
    table is not changed: a new one is returned.

    Raises:
      ConfigError: for an override that names no field; the message starts with
        ``--set ITEM:`` and ``override`` is the item. A section the table holds as a
        non-table (``optim = 3``) is the table's own fault: ``override`` is None.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"a config must be a table, got {describe(table)}")
    table = {k: dict(v) if isinstance(v, dict) else v for k, v in table.items()}
    for item in items_of(overrides):
        try:
            parts, value = _parse_item(item)
        except ConfigError as err:
            raise said_of(item, err) from None
        _place(table, parts, value)
    return table


def _parse_item(item: Any) -> tuple[list[str], Any]:
    """The field path of ``item`` and its value, checked against the schema alone."""
    if not isinstance(item, str) or "=" not in item:
        raise ConfigError(f"expects key=value, got {short(item)}")
    key, text = item.split("=", 1)
    blank = empty(key, "key", "a field's dotted name, e.g. optim.lr=0.05")
    if blank:
        raise ConfigError(blank)
    parts, cls = key.strip().split("."), Config
    for depth, part in enumerate(parts):
        kinds = field_kinds(cls)
        where = "".join(p + "." for p in parts[:depth])
        if part not in kinds:
            raise unknown_key(part, where, kinds)
        kind, path = kinds[part], where + part
        if depth == len(parts) - 1:
            if dataclasses.is_dataclass(kind):
                raise ConfigError(f"{path} is a section; set one of its keys")
            return parts, parse_value(text)
        if kind is dict:
            raise ConfigError(
                f"{path} is a table: set it whole, e.g. --set "
                f"'{path}={{{'.'.join(parts[depth + 1 :])} = {_toml_text(text)}}}'"
            )
        if not dataclasses.is_dataclass(kind):
            raise ConfigError(f"{path} is not a section")
        cls = kind
    raise AssertionError("unreachable: the loop returns at the last part")


def _toml_text(text: str) -> str:
    """``text`` as a TOML value in an example: a bare word quoted, other values as given."""
    text = text.strip()
    if isinstance(parse_value(text), str) and not text.startswith(('"', "'")):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _place(table: dict, parts: list[str], value: Any) -> None:
    node = table
    for depth, part in enumerate(parts[:-1]):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):  # only a file can hold it: --set refuses a section
            section = ".".join(parts[: depth + 1])
            raise ConfigError(
                f"[{section}] must be a table, got {describe(node)}", fields=(section,)
            )
    node[parts[-1]] = value


def said_of(item: Any, err: ConfigError) -> ConfigError:
    """``err`` said of the ``--set`` item it comes from, not of the file."""
    shown = item if isinstance(item, str) and len(item) <= 80 else short(item)
    blamed = ConfigError(f"--set {shown}: {err}", fields=err.fields)
    blamed.override = item if isinstance(item, str) else repr(item)
    return blamed


def _sets(item: str, fields: tuple[str, ...]) -> bool:
    """Whether ``item`` sets one of ``fields``, or a section or table holding one."""
    key = item.split("=", 1)[0].strip()
    return any(f == key or f.startswith(key + ".") for f in fields)


def blame(err: ConfigError, overrides: Overrides) -> ConfigError:
    """The validation fault ``err`` said of the last override that sets a field it concerns,
    or ``err`` itself (the file's fault) when none does. One pass over the overrides.

    >>> blame(ConfigError("optim.lr must be > 0", fields=("optim.lr",)),
    ...       ["optim.lr=-1", "optim.steps=5"]).override
    'optim.lr=-1'
    """
    for item in reversed(items_of(overrides)):
        if _sets(item, err.fields):
            return said_of(item, err)
    return err
