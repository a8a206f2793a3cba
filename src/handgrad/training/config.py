"""Training configs: TOML files validated against a frozen schema that fails fast.

A config has the sections ``[data]``, ``[model]``, ``[optim]``, ``[train]``, ``[checkpoint]``
and a top-level ``seed``. Unknown keys (with a did-you-mean), wrong types, unknown names,
numbers out of range (``RANGES``; a float must be finite) and fields set where they do not
apply (``APPLIES``: ``optim.momentum`` with ``optim.name = 'sgd'``) are ``ConfigError`` that
say what is allowed and carry the fields they concern. ``--set optim.lr=0.05`` overrides a
field, with the same checks (``overrides``: a fault is blamed on the last override that sets
a field it concerns, else on the file). ``dump_config`` (``config_dump``) writes the fields
that apply, which ``load_config`` reads back equal; the schema itself is in ``schema``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import tomllib
from typing import Any

import numpy as np

from handgrad.data.dataset import check_options
from handgrad.names import did_you_mean
from handgrad.training.config_dump import dump_config
from handgrad.training.overrides import Overrides, apply_overrides, blame
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
    describe,
    field_kinds,
    get_field,
    short,
    unknown_key,
)

__all__ = [  # the schema's names, read from here as before the split
    "APPLIES", "CHOICES", "INT32_MAX", "MAX_LAYERS", "OFF", "RANGES", "CheckpointConfig",
    "Config", "ConfigError", "DataConfig", "ModelConfig", "OptimConfig", "TrainConfig",
    "apply_overrides", "applies", "config_fields", "config_from_table", "dump_config",
    "load_config",
]  # fmt: skip

_KIND_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               dict: "a table"}  # fmt: skip


def _check_range(path: str, value: int | float) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{path} must be finite, got {value!r}", fields=(path,))
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
    raise ConfigError(f"{what} must {rule}, got {value!r}", fields=(path,))


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
        name = _KIND_NAMES[kind]
    if not ok:
        raise ConfigError(f"{path} must be {name}, got {describe(value)}", fields=(path,))
    if kind is str and "\x00" in value:
        raise ConfigError(
            f"{path} holds a NUL character (\\x00), which no name or path may hold", fields=(path,)
        )
    if path in CHOICES and value not in CHOICES[path]:
        hint = did_you_mean(value, CHOICES[path])
        raise ConfigError(
            f"{path} = {short(value)} is not one of {list(CHOICES[path])}{hint}", fields=(path,)
        )
    if kind is list:
        if len(value) > MAX_LAYERS:
            raise ConfigError(
                f"{path} holds {len(value)} widths, more than {MAX_LAYERS} layers", fields=(path,)
            )
        for v in value:
            _check_range(path, v)
    elif kind in (int, float):
        _check_range(path, value)
    return value


def _build(cls, table: dict, prefix: str = ""):
    if not isinstance(table, dict):
        section = prefix.rstrip(".")
        raise ConfigError(f"[{section}] must be a table, got {describe(table)}", fields=(section,))
    kinds = field_kinds(cls)
    values = {}
    for key, value in table.items():
        if key not in kinds:
            raise unknown_key(key, prefix, kinds)
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
                + (f" or set it to {OFF[path]}" if path in OFF else ""),
                fields=(path, decider),
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
                "precision of this run; use a smaller value or train.dtype = 'float64'",
                fields=(path, "train.dtype"),
            )


def _check_together(cfg: Config) -> None:
    rules = [
        (cfg.model.name != "mlp1" or len(cfg.model.hidden) == 1, ("model.hidden", "model.name"),
         f"model.name = 'mlp1' has one hidden layer: model.hidden must hold one width, got {cfg.model.hidden}"),
        (cfg.optim.name != "newton" or cfg.model.name == "linear", ("optim.name", "model.name"),
         "optim.name = 'newton' (the inverse-Hessian preconditioner) needs model.name = 'linear'"),
    ]  # fmt: skip
    for ok, fields, message in rules:
        if not ok:
            raise ConfigError(message, fields=fields)
    try:
        check_options(cfg.data.name, cfg.data.options)
    except ValueError as err:
        raise ConfigError(f"data.options: {err}", fields=("data.options", "data.name")) from None


def _validated(table: dict) -> Config:
    cfg = _build(Config, table)
    _check_applies(cfg, table)
    _check_together(cfg)
    _check_float32(cfg)
    return cfg


def config_from_table(table: dict, overrides: Overrides = ()) -> Config:
    """A validated ``Config`` from a TOML table and ``key=value`` overrides.

    Raises:
      ConfigError: naming the field and what is allowed; a fault is blamed on the last
        override that sets a field it concerns (its message starts with ``--set ITEM:`` and
        ``override`` is the item), else it is the table's own.
    """
    merged = apply_overrides(table, overrides)
    try:
        return _validated(merged)
    except ConfigError as err:
        raise blame(err, overrides) from None


def load_config(path: str, overrides: Overrides = (), *, label: str | None = None) -> Config:
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
        raise ConfigError(f"{name}: {err}", fields=err.fields) from None
