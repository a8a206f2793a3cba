"""Writing a config back as TOML: every field the run uses, strings escaped so that any
value (a newline in a path, a quote, a control character) reads back equal."""

from __future__ import annotations

import re
from typing import Any

from handgrad.training.schema import Config, config_fields

_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    """A TOML basic string: quote and backslash escaped, control characters as escapes."""
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def dump_config(cfg: Config) -> str:
    """The config as TOML, every field that applies spelled out; ``load_config`` reads it
    back equal (the others keep their defaults)."""
    lines, current = [], None
    for path, value in config_fields(cfg).items():
        section, _, key = path.rpartition(".")
        if section != current:
            lines += ["", f"[{section}]"] if section else []
            current = section
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
