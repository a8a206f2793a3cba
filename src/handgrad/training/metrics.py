"""Reading a run's ``metrics.jsonl`` and drawing its curves.

The figure is built with ``matplotlib.figure.Figure`` directly, never through pyplot, so
saving it from ``handgrad train`` leaves the caller's matplotlib backend alone (a notebook
keeps its inline plots) and no window ever opens.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: import handgrad stays light
    from matplotlib.figure import Figure


def read_metrics(metrics_path: str) -> list[dict]:
    """The rows of ``metrics.jsonl``, one dict per line, in step order.

    Raises:
      ValueError: naming the file and line of a row that is not JSON.
    """
    rows = []
    with open(metrics_path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"{metrics_path}, line {number}: not a JSON object ({e.msg})"
                ) from None
    return rows


def metrics_figure(rows: list[dict], *, title: str | None = None) -> Figure:
    """Objective (train and test) and accuracy — or ‖∂J/∂w‖ for regression — against the step."""
    from matplotlib.figure import Figure

    steps = [r["step"] for r in rows]
    fig = Figure(figsize=(10, 4), layout="tight")
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(steps, [r["train_loss"] for r in rows], label="train J")
    ax_loss.plot(steps, [r["test_loss"] for r in rows], label="test J")
    ax_loss.set(xlabel="step", ylabel="objective", yscale="log", title="loss")
    ax_loss.legend()
    if rows and "train_accuracy" in rows[0]:
        ax_acc.plot(steps, [r["train_accuracy"] for r in rows], label="train")
        ax_acc.plot(steps, [r["test_accuracy"] for r in rows], label="test")
        ax_acc.set(xlabel="step", ylabel="accuracy", title="accuracy")
        ax_acc.legend()
    else:
        ax_acc.plot(steps, [r["grad_norm"] for r in rows])
        ax_acc.set(xlabel="step", ylabel="‖∂J/∂w‖", yscale="log", title="gradient norm")
    if title:
        fig.suptitle(title)
    return fig


def plot_metrics(metrics_path: str, png_path: str) -> None:
    """Loss and accuracy against the step, from ``metrics.jsonl``, as a PNG (written atomically)."""
    from handgrad.training.run_folder import write_atomic

    figure = metrics_figure(read_metrics(metrics_path))
    write_atomic(png_path, lambda f: figure.savefig(f, format="png", dpi=100))
