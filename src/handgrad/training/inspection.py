"""A config's model inspected: its memory (``handgrad memory``) and its graph (``handgrad graph``).

The model of a config as the deep MLP's widths [d, hidden…, q] — the linear model is the
MLP with no hidden layer, d2l's ``mlp1`` the one with one — and its memory footprint
counted and measured (``handgrad.exercises.measure_mlp_memory``) at the config's batch size or others;
and the computational graph of its objective J on a sample, drawn from the traced jaxpr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handgrad._validate import check_positive_int
from handgrad.exercises.computational_graph import trace_graph
from handgrad.exercises.graph_drawing import draw_forward_backward, draw_graph
from handgrad.exercises.memory import MemoryReport, measure_mlp_memory, mlp_memory
from handgrad.exercises.text_graph import check_detail
from handgrad.training.config import INT32_MAX, Config
from handgrad.training.setup import available_memory, build, format_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def model_widths(cfg: Config) -> tuple[list[int], int]:
    """([d, hidden…, q], the training batch size: ``optim.batch_size``, or the training set)."""
    s = build(cfg)
    d = s.X_train.shape[1]
    q = s.data.num_classes if s.data.num_classes is not None else s.Y_train.shape[1]
    hidden = [] if cfg.model.name == "linear" else list(cfg.model.hidden)
    return [d, *hidden, q], cfg.optim.batch_size or s.X_train.shape[0]


def _check_batch_size(widths: list[int], P: int, bias: bool, itemsize: int) -> None:
    """Refuses, before compiling, a batch whose counted training step cannot fit in memory."""
    P = check_positive_int("batch size", P)
    if P > INT32_MAX:  # labels are gathered with int32 indices
        raise ValueError(f"batch size (--batch-size) must be at most 2**31 − 1, got {P}")
    counted = mlp_memory(widths, P, bias=bias)
    need = (2 * counted.params + counted.training) * itemsize
    available, where = available_memory()
    if need > available:
        raise ValueError(
            f"batch size (--batch-size) {P}: one training step keeps about {format_bytes(need)} "
            f"(counted), more than {format_bytes(available)} of {where}; choose a smaller batch size"
        )


def memory_report(cfg: Config, batch_sizes=(), *, remat_every: int = 0) -> list[MemoryReport]:
    """One report per batch size (the config's own when none is given).

    Raises:
      ValueError: for a batch size whose counted memory does not fit in the device's memory
        (checked before anything compiles).
    """
    widths, batch = model_widths(cfg)
    bias = cfg.model.bias and cfg.model.name != "linear"
    itemsize = 8 if cfg.train.dtype == "float64" else 4
    for P in batch_sizes or [batch]:
        _check_batch_size(widths, P, bias, itemsize)
    return [
        measure_mlp_memory(
            widths,
            P,
            activation=cfg.model.activation,
            loss=cfg.model.loss,
            bias=bias,
            dtype=cfg.train.dtype,
            remat_every=remat_every,
        )
        for P in (batch_sizes or [batch])
    ]


def _kib(n: int) -> str:
    return f"{n / 1024:,.0f} KiB" if n < 2**20 else f"{n / 2**20:,.1f} MiB"


def format_memory(reports: list[MemoryReport]) -> str:
    """A table: per batch size, training (counted, kept by jax.grad, allocated by XLA) and prediction."""
    r0 = reports[0]
    lines = [
        f"widths {list(r0.widths)}, parameters {_kib(r0.params)} (and as much again for the gradients)"
        + (f", remat every {r0.remat_every} hidden layer(s)" if r0.remat_every else ""),
        "",
        f"{'batch':>7}  {'train: counted':>15}{'kept by grad':>15}{'XLA temps':>13}   "
        f"{'predict: counted':>17}{'XLA temps':>13}",
    ]
    for r in reports:
        lines.append(
            f"{r.batch_size:>7}  {_kib(r.counted_training):>15}{_kib(r.residuals - r.params):>15}"
            f"{_kib(r.xla_training['temporaries']):>13}   {_kib(r.counted_prediction):>17}"
            f"{_kib(r.xla_prediction['temporaries']):>13}"
        )
    lines += [
        "",
        "counted: what the hand backward keeps (X, S_k, Z_k per layer, S_L); kept by grad: jax.vjp's",
        "residuals beyond the parameters; XLA temps: memory_analysis() of the compiled step, after",
        "fusion and buffer reuse. Prediction keeps nothing for later: only the largest input/output pair.",
    ]
    return "\n".join(lines)


def _one_sample(objective):
    """J(params, x, y) of one sample, from the objective of a batch of rows."""

    def J(params, x, y):
        return objective(params, x[None], y[None])

    return J


def objective_graph(
    cfg: Config,
    path: str | None = None,
    *,
    backward: bool = False,
    samples: int = 1,
    detail: str = "text",
) -> Figure:
    """The graph of J(params, X, Y) on the first ``samples`` training samples, as an image.

    One sample (the default) is drawn as d2l's J(params, x, y), the text's names.

    With ``backward``, the backward graph (``jax.grad``) too. ``detail`` is "text" (d2l's
    names: one operator per stage of the model, ``trace_graph``) or "jaxpr" (one per
    equation). Saved to ``path`` (PNG or SVG).
    """
    check_detail(detail)
    check_positive_int("samples", samples)
    s = build(cfg)
    if samples > s.X_train.shape[0]:
        raise ValueError(
            f"--samples {samples} is more than the {s.X_train.shape[0]} training samples there are"
        )
    J, args = s.objective, (s.params, s.X_train[:samples], s.Y_train[:samples])
    if samples == 1:  # one sample is d2l's J = l(o, y) + s: named x and y, as the text does
        J, args = _one_sample(s.objective), (s.params, s.X_train[0], s.Y_train[0])
    if backward:
        return draw_forward_backward(J, *args, path=path, detail=detail)
    title = (
        f"J of {cfg.model.name} ({cfg.model.activation}, {cfg.model.loss}) on {samples} sample(s)"
    )
    return draw_graph(trace_graph(J, *args, detail=detail), path, title=title)
