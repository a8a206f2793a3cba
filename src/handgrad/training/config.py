"""Training configs: TOML files validated against a frozen schema that fails fast.

A config has the sections ``[data]``, ``[model]``, ``[optim]``, ``[train]``,
``[checkpoint]`` and a top-level ``seed``. Unknown keys (with a did-you-mean), wrong types,
unknown names, numbers out of range (``RANGES``; a float must be finite) and fields set
where they do not apply (``APPLIES``: ``optim.momentum`` with ``optim.name = 'sgd'``) are
``ConfigError`` that say what is allowed. ``--set optim.lr=0.05`` overrides a field, with
the same checks; values are read as TOML (``0.05``, ``true``, ``[64, 64]``), and a bare
word is a string (``data.name=mnist``). ``dump_config`` writes the fields that apply
(``config_fields``), and ``load_config`` reads them back equal. The schema itself is in
``schema``, the writing in ``config_dump``.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import stat
import tomllib
import typing
from typing import Any

import numpy as np

from handgrad.data.dataset import check_options
from handgrad.names import did_you_mean
from handgrad.training.config_dump import dump_config
from handgrad.training.schema import (
    APPLIES,
    CHOICES,
    INT32_MAX,
    MAX_LAYERS,
    OFF,
    RANGES,
    CheckpointConfig,
    Config,
    ConfigError,
    DataConfig,
    ModelConfig,
    OptimConfig,
    TrainConfig,
    applies,
    config_fields,
    get_field,
)

__all__ = [  # the schema's names, read from here as before the split
    "APPLIES", "CHOICES", "INT32_MAX", "MAX_LAYERS", "OFF", "RANGES", "CheckpointConfig",
    "Config", "ConfigError", "DataConfig", "ModelConfig", "OptimConfig", "TrainConfig",
    "apply_overrides", "applies", "config_fields", "config_from_table", "dump_config",
    "load_config",
]  # fmt: skip


def _fields(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _unknown(key: str, where: str, allowed) -> ConfigError:
    hint = did_you_mean(key, allowed, prefix=where)
    name = _short(f"{where}{key}")
    return ConfigError(f"unknown config key {name}{hint} (allowed: {sorted(allowed)})")


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text):,} characters)"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"a table {_short(value)}"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"a TOML date/time ({value.isoformat()})"
    return f"{_short(value)} ({type(value).__name__})"


def _check_range(path: str, value: int | float) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{path} must be finite, got {value!r}")

    if path not in RANGES:
        return
    low, high, low_in, high_in = RANGES[path]
    if (value > low or (low_in and value == low)) and (value < high or (high_in and value == high)):
        return
    if high == math.inf:
        rule = f"be {'>=' if low_in else '>'} {low}"
    elif isinstance(value, int):
        rule = f"lie in {low}..{high}"
    else:
        rule = f"lie in {'[' if low_in else '('}{low}, {high}{']' if high_in else ')'}"
    what = f"{path} widths" if path == "model.hidden" else path
    raise ConfigError(f"{what} must {rule}, got {value!r}")


def _check_type(path: str, value: Any, kind) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is list:
        ok = isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
        name = "a list of integers"
    else:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        name = {
            int: "an integer",
            float: "a number",
            str: "a string",
            bool: "true or false",
            dict: "a table",
        }[kind]
    if not ok:
        raise ConfigError(f"{path} must be {name}, got {_describe(value)}")
    if kind is str and "\x00" in value:
        raise ConfigError(f"{path} holds a NUL character (\\x00), which no name or path may hold")
    if path in CHOICES and value not in CHOICES[path]:
        raise ConfigError(f"{path} = {_short(value)} is not one of {list(CHOICES[path])}")
    if kind is list:
        if len(value) > MAX_LAYERS:
            raise ConfigError(f"{path} holds {len(value)} widths, more than {MAX_LAYERS} layers")
        for v in value:
            _check_range(path, v)
    elif kind in (int, float):
        _check_range(path, value)
    return value


def _build(cls, table: dict, prefix: str = ""):
    if not isinstance(table, dict):
        raise ConfigError(f"[{prefix.rstrip('.')}] must be a table, got {_describe(table)}")
    kinds = _fields(cls)
    values = {}
    for key, value in table.items():
        if key not in kinds:
            raise _unknown(key, prefix, kinds)
        kind = kinds[key]
        if dataclasses.is_dataclass(kind):
            values[key] = _build(kind, value, f"{prefix}{key}.")
        else:
            values[key] = _check_type(prefix + key, value, kind)
    return cls(**values)


def _check_applies(cfg: Config, table: dict) -> None:
    for path, (decider, values) in APPLIES.items():
        section, key = path.split(".")
        off = path in OFF and get_field(cfg, path) == OFF[path]
        if key in table.get(section, {}) and not applies(cfg, path) and not off:
            where = f"= {values[0]!r}" if len(values) == 1 else f"in {list(values)}"
            raise ConfigError(
                f"{path} applies only to {decider} {where} (this config has "
                f"{decider} = {get_field(cfg, decider)!r}); remove it"
                + (f" or set it to {OFF[path]}" if path in OFF else "")
            )


FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_CONFIG_BYTES = 2**20  # a config is a page of settings, not data


def _check_float32(cfg: Config) -> None:
    """A float32 run computes with its numbers in float32: refuses those that overflow it."""
    if cfg.train.dtype != "float32":
        return
    fields = config_fields(cfg)
    options = fields.pop("data.options", {})
    fields.update({f"data.options.{k}": v for k, v in options.items()})
    for path, value in fields.items():
        if isinstance(value, float) and abs(value) > FLOAT32_MAX:
            raise ConfigError(
                f"{path} = {value!r} overflows float32 (largest {FLOAT32_MAX:.4g}), the "
                "precision of this run; use a smaller value or train.dtype = 'float64'"
            )


def _check_together(cfg: Config) -> None:
    rules = [
        (cfg.model.name != "mlp1" or len(cfg.model.hidden) == 1,
         f"model.name = 'mlp1' has one hidden layer: model.hidden must hold one width, got {cfg.model.hidden}"),
        (cfg.optim.name != "newton" or cfg.model.name == "linear",
         "optim.name = 'newton' (the inverse-Hessian preconditioner) needs model.name = 'linear'"),
    ]  # fmt: skip
    for ok, message in rules:
        if not ok:
            raise ConfigError(message)
    try:
        check_options(cfg.data.name, cfg.data.options)
    except ValueError as err:
        raise ConfigError(f"data.options: {err}") from None


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string, kept as given (a path may end in a space)


def apply_overrides(table: dict, overrides: list[str]) -> dict:
    """``key=value`` overrides applied to a raw TOML table (checked when it is built).

    ``overrides`` is a list of ``"key=value"`` strings; a single string is one override.

    Raises:
      ConfigError: for an override that names no field; the message starts with
        ``--set ITEM:`` and ``override`` is the item.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"a config must be a table, got {_describe(table)}")
    table = {k: dict(v) if isinstance(v, dict) else v for k, v in table.items()}
    for item in [overrides] if isinstance(overrides, str) else list(overrides):
        try:
            _apply_one(table, item)
        except ConfigError as err:
            raise _from_override(item, err) from None
    return table


def _from_override(item: Any, err: ConfigError) -> ConfigError:
    """``err`` said of the ``--set`` item it comes from, not of the file."""
    shown = item if isinstance(item, str) and len(item) <= 80 else _short(item)
    blamed = ConfigError(f"--set {shown}: {err}")
    blamed.override = item if isinstance(item, str) else repr(item)
    return blamed


def _apply_one(table: dict, item: Any) -> None:
    if not isinstance(item, str) or "=" not in item:
        raise ConfigError(f"expects key=value, got {_short(item)}")
    key, text = item.split("=", 1)
    parts = key.strip().split(".")
    node, cls = table, Config
    for depth, part in enumerate(parts):
        kinds = _fields(cls)
        if part not in kinds:
            raise _unknown(part, "".join(p + "." for p in parts[:depth]), kinds)
        if depth == len(parts) - 1:
            if dataclasses.is_dataclass(kinds[part]):
                raise ConfigError(f"{key} is a section; set one of its keys")
            node[part] = _parse_value(text)
        else:
            if not dataclasses.is_dataclass(kinds[part]):
                raise ConfigError(f"{'.'.join(parts[: depth + 1])} is not a section")
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"[{part}] must be a table, got {_describe(node)}")
            cls = kinds[part]


def _validated(table: dict) -> Config:
    cfg = _build(Config, table)
    _check_applies(cfg, table)
    _check_together(cfg)
    _check_float32(cfg)
    return cfg


def _culprit(table: dict, items: list, err: ConfigError) -> Any:
    """The override after which the fault ``err`` first appears, or None when the table
    already has it without any override (the fault is the file's)."""
    for k in range(len(items) + 1):
        try:
            _validated(apply_overrides(table, items[:k]))
        except ConfigError as seen:
            if str(seen) == str(err):
                return items[k - 1] if k else None
    return items[-1]


def config_from_table(table: dict, overrides: list[str] = ()) -> Config:
    """A validated ``Config`` from a TOML table and ``key=value`` overrides.

    Raises:
      ConfigError: naming the field and what is allowed; a fault that an override brings
        starts with ``--set ITEM:`` and has ``override`` set to the item.
    """
    items = [overrides] if isinstance(overrides, str) else list(overrides)
    merged = apply_overrides(table, items)
    try:
        return _validated(merged)
    except ConfigError as err:
        culprit = _culprit(table, items, err) if items else None
        if culprit is None:
            raise
        raise _from_override(culprit, err) from None


def load_config(path: str, overrides: list[str] = (), *, label: str | None = None) -> Config:
    """Reads, overrides and validates a TOML config file.

    Args:
      path: the file.
      overrides: ``key=value`` strings, as ``--set`` gives them.
      label: what messages call the file (default ``path``): the CLI passes
        ``digits_mlp1 (shipped config)`` for a shipped config, whose path inside the
        installed package the user never wrote.

    Raises:
      ConfigError: for a missing, unreadable or malformed file (not UTF-8, not TOML), or
        anything the schema rejects; the message starts with ``label``, or with
        ``--set ITEM:`` when the fault comes from an override.
    """
    name = path if label is None else label
    try:
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ConfigError(f"{name}: not a regular file (a device, pipe or socket)")
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder, not a config file") from None
    except OSError as err:
        raise ConfigError(f"{name}: cannot be read ({err.strerror or err})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{name}: larger than {MAX_CONFIG_BYTES // 2**20} MiB, too large for a config"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{name}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})"
        ) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{name}: not valid TOML ({err})") from None
    try:
        return config_from_table(table, overrides)
    except ConfigError as err:
        if err.override is not None:
            raise  # the message names the --set item, not the file
        raise ConfigError(f"{name}: {err}") from None
