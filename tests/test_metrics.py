import json

import matplotlib
import pytest

from handgrad.training import metrics_figure, plot_metrics, read_metrics

ROWS = [
    {"step": 0, "train_loss": 2.3, "test_loss": 2.3, "train_accuracy": 0.1, "test_accuracy": 0.1},
    {
        "step": 100,
        "train_loss": 0.3,
        "test_loss": 0.4,
        "train_accuracy": 0.9,
        "test_accuracy": 0.88,
    },
]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_rows_come_back_in_order_and_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path / "metrics.jsonl", ROWS)
    with open(path, "a") as f:
        f.write("\n")
    assert read_metrics(path) == ROWS


def test_a_corrupt_line_is_named(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 2: not a JSON object"):
        read_metrics(str(path))


def test_the_png_is_drawn_without_touching_the_callers_backend(tmp_path):
    backend = matplotlib.get_backend()
    png = tmp_path / "metrics.png"
    plot_metrics(write(tmp_path / "metrics.jsonl", ROWS), str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend() == backend  # a notebook keeps its inline plots


def test_regression_runs_plot_the_gradient_norm():
    rows = [
        {"step": s, "train_loss": 1.0 / (s + 1), "test_loss": 1.0, "grad_norm": 0.5}
        for s in range(3)
    ]
    fig = metrics_figure(rows, title="linear")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "gradient norm"]
    assert fig.get_suptitle() == "linear"
