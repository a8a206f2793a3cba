"""Config-driven training (``handgrad train``), importable from a notebook.

From a notebook::

    from handgrad.training.config import load_config
    from handgrad.training import read_metrics, train

    summary = train(load_config("configs/digits_mlp1.toml"), "runs/digits")
    rows = read_metrics("runs/digits/metrics.jsonl")
"""

from handgrad.training.checkpoint import CheckpointError
from handgrad.training.metrics import metrics_figure, plot_metrics, read_metrics
from handgrad.training.runner import TrainingError, evaluate_run, train
from handgrad.training.setup import Setup, build

__all__ = (
    "CheckpointError",
    "Setup",
    "TrainingError",
    "build",
    "evaluate_run",
    "metrics_figure",
    "plot_metrics",
    "read_metrics",
    "train",
)
