"""What a training config may hold: its sections and fields with their defaults, the names
each string field allows (``CHOICES``), the range of each number (``RANGES``), and the fields
only some runs use (``APPLIES``), from which ``config_fields`` lists those a run uses.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import typing
from dataclasses import dataclass, field
from typing import Any

from handgrad.data.dataset import DATASETS, FROM_FILES, GENERATED, dataset_options
from handgrad.models.activations import ACTIVATIONS
from handgrad.models.costs import COSTS
from handgrad.names import did_you_mean

MODELS = ("mlp1", "mlp", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam", "newton")
GRADS = ("hand", "autodiff", "finite_difference", "random_directions")
DTYPES = ("float32", "float64")
INT32_MAX = 2**31 - 1
MAX_LAYERS = 1024  # hidden layers; each is traced and compiled


class ConfigError(ValueError):
    """A config file or override that does not fit the schema.

    ``fields`` are the field paths the fault concerns (``("optim.momentum", "optim.name")``),
    by which a fault is blamed on the last ``--set`` item that sets one of them; ``override``
    is that item (``"optim.lrr=1"``), or None when the fault is the file's (or the table's).
    """

    override: str | None = None

    def __init__(self, message: str = "", *, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.fields = tuple(fields)


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """The ``[data]`` section: the data set by name, its test split and standardisation."""

    name: str = "digits"
    path: str = ""  # the folder of the IDX files, for mnist and fashion_mnist
    test_fraction: float = 0.2
    standardise: bool = True
    options: dict = field(default_factory=dict)  # passed to the generator, e.g. {n = 400}


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """The ``[model]`` section: the model, its hidden widths, activation, bias, loss and λ."""

    name: str = "mlp1"
    hidden: list = field(default_factory=lambda: [256])  # hidden widths (mlp1: exactly one)
    activation: str = "relu"
    bias: bool = False
    loss: str = "softmax_cross_entropy"
    lam: float = 0.0


@dataclass(frozen=True, kw_only=True)
class OptimConfig:
    """The ``[optim]`` section: the update rule, its learning rate, the steps and batch size."""

    name: str = "sgd"
    lr: float = 0.1
    steps: int = 1000
    batch_size: int = 128  # 0: the full batch; 1: one sample, as the lecture's SGD
    momentum: float = 0.9


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """The ``[train]`` section: the gradient source, the dtype, the chunk and the checks."""

    grad: str = "hand"
    dtype: str = "float32"
    chunk: int = 100  # steps per compiled lax.scan; progress and metrics once per chunk
    verify_every: int = 0  # check hand gradients against autodiff every N steps (0: never)
    num_directions: int = 8  # for grad = "random_directions"
    fd_eps: float = 1e-3  # the step of the gradient-free estimators


@dataclass(frozen=True, kw_only=True)
class CheckpointConfig:
    """The ``[checkpoint]`` section: how often a checkpoint is written."""

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
# the range of each number, (low, high, low included, high included); ints are counts that
# JAX holds as int32 (the runner seeds with seed + 1, so the seed stops one short)
RANGES = {
    "seed": (0, INT32_MAX - 1, True, True),
    "data.test_fraction": (0, 1, False, False),
    "model.hidden": (1, INT32_MAX, True, True),  # each width
    "model.lam": (0, math.inf, True, False),
    "optim.lr": (0, math.inf, False, False),
    "optim.steps": (1, INT32_MAX, True, True),
    "optim.batch_size": (0, INT32_MAX, True, True),
    "optim.momentum": (0, 1, True, False),
    "train.chunk": (1, INT32_MAX, True, True),
    "train.verify_every": (0, INT32_MAX, True, True),
    "train.num_directions": (1, INT32_MAX, True, True),
    "train.fd_eps": (0, math.inf, False, False),
    "checkpoint.every": (1, INT32_MAX, True, True),
}
_MLPS = ("mlp1", "mlp")
# a field that only some runs use: (the field that decides, the values it applies to)
APPLIES = {
    "data.path": ("data.name", FROM_FILES),
    "data.test_fraction": ("data.name", tuple(GENERATED)),  # IDX files bring their own split
    "data.options": ("data.name", tuple(GENERATED)),
    "model.hidden": ("model.name", _MLPS),
    "model.activation": ("model.name", _MLPS),
    "model.bias": ("model.name", _MLPS),
    "model.lam": ("model.name", _MLPS),  # the linear model's J has no weight decay
    "optim.momentum": ("optim.name", ("momentum",)),
    "train.verify_every": ("train.grad", ("hand",)),  # the check compares hand gradients
    "train.num_directions": ("train.grad", ("random_directions",)),
    "train.fd_eps": ("train.grad", ("finite_difference", "random_directions")),
}


def get_field(cfg: Config, path: str) -> Any:
    """The value of field ``path`` (``"optim.lr"``) in ``cfg``."""
    value = cfg
    for part in path.split("."):
        value = getattr(value, part)
    return value


def applies(cfg: Config, path: str) -> bool:
    """Whether field ``path`` (``"optim.momentum"``) is used by the run ``cfg`` describes."""
    if path not in APPLIES:
        return True
    decider, values = APPLIES[path]
    return get_field(cfg, decider) in values


OFF = {"train.verify_every": 0}  # a field set to "off" is allowed where it does not apply


def _used(cfg: Config, path: str) -> bool:
    """Whether the run uses field ``path``: it applies, and ``data.options`` only for a data
    set whose generator takes options (scikit-learn's digits takes none, so a digits config
    shows no ``options = {}``; the field may still be given, empty, as it always could)."""
    if path == "data.options" and not dataset_options(cfg.data.name):
        return False
    return applies(cfg, path)


def config_fields(cfg: Config) -> dict[str, Any]:
    """The fields the run ``cfg`` describes uses, flat and in ``dump_config``'s order: those
    that apply (``APPLIES``), and ``data.options`` only where the data set takes options.

    >>> config_fields(Config())["optim.lr"], "optim.momentum" in config_fields(Config())
    (0.1, False)
    """
    fields = {"seed": cfg.seed}
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                path = f"{section.name}.{f.name}"
                if _used(cfg, path):
                    fields[path] = getattr(value, f.name)
    return fields


def field_kinds(cls) -> dict[str, Any]:
    """The fields of the section ``cls`` (a dataclass) and their types, in order."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text):,} characters)"


def describe(value: Any) -> str:
    """A value as a message shows it: ``3 (int)``, ``a table {...}``, ``a TOML date/time``."""
    if isinstance(value, dict):
        return f"a table {short(value)}"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"a TOML date/time ({value.isoformat()})"
    return f"{short(value)} ({type(value).__name__})"


def unknown_key(key: str, where: str, allowed) -> ConfigError:
    """The fault of key ``where + key``, which no field has, with the closest that does."""
    hint = did_you_mean(key, allowed, prefix=where)
    path = f"{where}{key}"
    return ConfigError(
        f"unknown config key {short(path)}{hint} (allowed: {sorted(allowed)})", fields=(path,)
    )
