"""Config-driven training (``handgrad train``), importable from a notebook.

- ``config``: TOML configs validated against a frozen schema that fails fast;
- ``setup``: from a config to the pieces of a run (data, model, gradient source, rule, sampler);
- ``runner``: the run in compiled chunks, with metrics, checkpoints and checks between them;
- ``checkpoint``: a run's whole state, written atomically; ``metrics``: reading and drawing them;
- ``inspection``: a config's model inspected (``handgrad memory``, ``handgrad graph``).

From a notebook::

    from handgrad.training import load_config, read_metrics, train

    summary = train(load_config("configs/digits_mlp1.toml"), "runs/digits")
    rows = read_metrics("runs/digits/metrics.jsonl")
"""

# configs
from handgrad.training.config import (
    load_config,
    dump_config,
    Config,
    ConfigError,
)

# a run
from handgrad.training.runner import train, evaluate_run, TrainingError
from handgrad.training.checkpoint import CheckpointError
from handgrad.training.setup import build, Setup

# its metrics
from handgrad.training.metrics import read_metrics, metrics_figure, plot_metrics

__all__ = (
    "load_config",
    "dump_config",
    "Config",
    "ConfigError",
    "train",
    "evaluate_run",
    "TrainingError",
    "CheckpointError",
    "build",
    "Setup",
    "read_metrics",
    "metrics_figure",
    "plot_metrics",
)
