"""Config-driven training (``handgrad train``), importable from a notebook.

- ``config``: TOML configs validated against a frozen schema that fails fast;
- ``setup``: from a config to the pieces of a run (data, model, gradient source, rule, sampler);
- ``runner``: the run in compiled chunks, with metrics, checkpoints and checks between them
  (``health``: finiteness, and the hand gradient against autodiff in float64);
- ``evaluation``: ``params.npz`` written and read back checked, the metrics, ``handgrad eval``;
- ``checkpoint``: a run's whole state, written atomically; ``metrics``: reading and drawing them;
- ``run_folder``: one run per folder, atomic writes, faults named by path; ``resume``: what a
  resume may change, and from which checkpoint it starts;
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
    config_fields,
    Config,
    ConfigError,
)

# a run
from handgrad.training.runner import train
from handgrad.training.evaluation import evaluate_run
from handgrad.training.health import TrainingError
from handgrad.training.checkpoint import CheckpointError
from handgrad.training.run_folder import RunFolderError
from handgrad.training.resume import SAFE_ON_RESUME
from handgrad._interrupt import Interrupted
from handgrad.training.setup import build, Setup

# its metrics
from handgrad.training.metrics import read_metrics, metrics_figure, plot_metrics

__all__ = (
    "load_config",
    "dump_config",
    "config_fields",
    "Config",
    "ConfigError",
    "train",
    "evaluate_run",
    "TrainingError",
    "CheckpointError",
    "RunFolderError",
    "SAFE_ON_RESUME",
    "Interrupted",
    "build",
    "Setup",
    "read_metrics",
    "metrics_figure",
    "plot_metrics",
)
