"""Training configs: TOML files validated against a frozen schema that fails fast.

A config has the sections ``[data]``, ``[model]``, ``[optim]``, ``[train]``,
``[checkpoint]`` and a top-level ``seed``. Unknown keys (with a did-you-mean), wrong types
and unknown names are ``ConfigError`` that say what is allowed. ``--set optim.lr=0.05``
overrides a field, with the same checks; values are read as TOML (``0.05``, ``true``,
``[64, 64]``), and a bare word is a string (``data.name=mnist``).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import typing
from dataclasses import dataclass, field
from typing import Any

from handgrad.data.dataset import DATASETS
from handgrad.models.activations import ACTIVATIONS
from handgrad.models.costs import COSTS

MODELS = ("mlp1", "mlp", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam", "newton")
GRADS = ("hand", "autodiff", "finite_difference", "random_directions")
DTYPES = ("float32", "float64")


class ConfigError(ValueError):
    """A config file or override that does not fit the schema."""


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    name: str = "digits"
    path: str = ""  # the folder of the IDX files, for mnist and fashion_mnist
    test_fraction: float = 0.2
    standardise: bool = True
    options: dict = field(default_factory=dict)  # passed to the generator, e.g. {n = 400}


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    name: str = "mlp1"
    hidden: list = field(default_factory=lambda: [256])  # hidden widths (mlp1: exactly one)
    activation: str = "relu"
    bias: bool = False
    loss: str = "softmax_cross_entropy"
    lam: float = 0.0


@dataclass(frozen=True, kw_only=True)
class OptimConfig:
    name: str = "sgd"
    lr: float = 0.1
    steps: int = 1000
    batch_size: int = 128  # 0: the full batch; 1: one sample, as the lecture's SGD
    momentum: float = 0.9


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    grad: str = "hand"
    dtype: str = "float32"
    chunk: int = 100  # steps per compiled lax.scan; progress and metrics once per chunk
    verify_every: int = 0  # check hand gradients against autodiff every N steps (0: never)
    num_directions: int = 8  # for grad = "random_directions"
    fd_eps: float = 1e-3  # the step of the gradient-free estimators


@dataclass(frozen=True, kw_only=True)
class CheckpointConfig:
    every: int = 500  # steps between checkpoints (a final one is always written)


@dataclass(frozen=True, kw_only=True)
class Config:
    """A whole run's settings: the seed and the sections data, model, optim, train, checkpoint."""

    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)


CHOICES = {
    "data.name": DATASETS,
    "model.name": MODELS,
    "model.activation": tuple(ACTIVATIONS),
    "model.loss": tuple(COSTS),
    "optim.name": OPTIMIZERS,
    "train.grad": GRADS,
    "train.dtype": DTYPES,
}


def _fields(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _unknown(key: str, where: str, allowed) -> ConfigError:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f"; did you mean '{where}{close[0]}'?" if close else ""
    return ConfigError(f"unknown config key '{where}{key}'{hint} (allowed: {sorted(allowed)})")


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
        raise ConfigError(f"{path} must be {name}, got {value!r} ({type(value).__name__})")
    if path in CHOICES and value not in CHOICES[path]:
        raise ConfigError(f"{path} = {value!r} is not one of {list(CHOICES[path])}")
    return value


def _build(cls, table: dict, prefix: str = ""):
    if not isinstance(table, dict):
        raise ConfigError(f"[{prefix.rstrip('.')}] must be a table, got {table!r}")
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


def _check_ranges(cfg: Config) -> None:
    rules = [
        (cfg.optim.lr > 0, f"optim.lr must be > 0, got {cfg.optim.lr}"),
        (cfg.optim.steps >= 1, f"optim.steps must be >= 1, got {cfg.optim.steps}"),
        (cfg.optim.batch_size >= 0, f"optim.batch_size must be >= 0 (0: full batch), got {cfg.optim.batch_size}"),
        (cfg.model.lam >= 0, f"model.lam must be >= 0, got {cfg.model.lam}"),
        (all(h >= 1 for h in cfg.model.hidden), f"model.hidden must hold positive widths, got {cfg.model.hidden}"),
        (cfg.train.chunk >= 1, f"train.chunk must be >= 1, got {cfg.train.chunk}"),
        (cfg.train.verify_every >= 0, f"train.verify_every must be >= 0, got {cfg.train.verify_every}"),
        (cfg.checkpoint.every >= 1, f"checkpoint.every must be >= 1, got {cfg.checkpoint.every}"),
        (0 < cfg.data.test_fraction < 1, f"data.test_fraction must lie in (0, 1), got {cfg.data.test_fraction}"),
        (cfg.model.name != "mlp1" or len(cfg.model.hidden) == 1,
         f"model.name = 'mlp1' has one hidden layer: model.hidden must hold one width, got {cfg.model.hidden}"),
        (cfg.optim.name != "newton" or cfg.model.name == "linear",
         "optim.name = 'newton' (the inverse-Hessian preconditioner) needs model.name = 'linear'"),
    ]  # fmt: skip
    for ok, message in rules:
        if not ok:
            raise ConfigError(message)


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string


def apply_overrides(table: dict, overrides: list[str]) -> dict:
    """``key=value`` overrides applied to a raw TOML table (checked when it is built).

    ``overrides`` is a list of ``"key=value"`` strings; a single string is one override.
    """
    table = {k: dict(v) if isinstance(v, dict) else v for k, v in table.items()}
    for item in [overrides] if isinstance(overrides, str) else list(overrides):
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node, cls = table, Config
        for depth, part in enumerate(parts):
            kinds = _fields(cls)
            if part not in kinds:
                raise _unknown(part, "".join(p + "." for p in parts[:depth]), kinds)
            if depth == len(parts) - 1:
                if dataclasses.is_dataclass(kinds[part]):
                    raise ConfigError(f"--set {key}: {key} is a section; set one of its keys")
                node[part] = _parse_value(text.strip())
            else:
                if not dataclasses.is_dataclass(kinds[part]):
                    raise ConfigError(
                        f"--set {key}: {'.'.join(parts[: depth + 1])} is not a section"
                    )
                node = node.setdefault(part, {})
                cls = kinds[part]
    return table


def config_from_table(table: dict, overrides: list[str] = ()) -> Config:
    """A validated ``Config`` from a TOML table and ``key=value`` overrides."""
    cfg = _build(Config, apply_overrides(table, overrides))
    _check_ranges(cfg)
    return cfg


def load_config(path: str, overrides: list[str] = ()) -> Config:
    """Reads, overrides and validates a TOML config file.

    Raises:
      ConfigError: for a missing or malformed file, or anything the schema rejects.
    """
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    try:
        return config_from_table(table, overrides)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def dump_config(cfg: Config) -> str:
    """The config as TOML, every field spelled out; ``load_config`` reads it back equal."""
    lines = [f"seed = {cfg.seed}"]
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if dataclasses.is_dataclass(value):
            lines += ["", f"[{section.name}]"]
            lines += [
                f"{f.name} = {_toml_value(getattr(value, f.name))}"
                for f in dataclasses.fields(value)
            ]
    return "\n".join(lines) + "\n"
