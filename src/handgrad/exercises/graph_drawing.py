"""Drawing a ``ComputationGraph`` the way d2l draws J's: boxes, circles, left to right and up.

``layout`` gives every node a position (see there); ``draw_graph`` renders one graph and
``draw_forward_backward`` the forward graph of J beside its backward graph (``jax.grad``),
with ``matplotlib.figure.Figure`` only, so a notebook's backend is left alone.

>>> import jax.numpy as jnp
>>> from handgrad.exercises.computational_graph import trace_graph
>>> g = trace_graph(lambda w, x: jnp.sum(w * x), jnp.ones(2), jnp.ones(2))
>>> pos = layout(g)
>>> pos[g.variables[0].id][0], max(x for x, _ in pos.values()) == pos[g.variables[-1].id][0]
(0.0, True)
"""

from __future__ import annotations

import os
import textwrap
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from handgrad.exercises.computational_graph import ComputationGraph, backward_graph, trace_graph

if TYPE_CHECKING:  # matplotlib is imported where a graph is drawn: import handgrad stays light
    from matplotlib.figure import Figure


def _layout(graph: ComputationGraph):
    """Node positions, and the bends of each edge that spans several columns."""
    nodes = [v.id for v in graph.variables] + [o.id for o in graph.operators]
    x, changed = dict.fromkeys(nodes, 0), True
    while changed:  # longest path from the inputs: one pass (and a check) in jaxpr order
        changed = False
        for s, t in graph.edges:
            if x[t] <= x[s]:
                x[t], changed = x[s] + 1, True
    last, sources = max(x.values(), default=0), {s for s, _ in graph.edges}
    outputs = [v.id for v in graph.variables if v.kind == "output" and v.id not in sources]
    x.update(dict.fromkeys(outputs, last))
    preds, bends, layers, y = defaultdict(list), {}, defaultdict(list), {}
    for s, t in graph.edges:  # a long edge takes a place in each column it crosses
        bends[s, t] = chain = [(s, t, c) for c in range(x[s] + 1, x[t])]
        x.update((b, b[2]) for b in chain)
        for a, b in zip([s, *chain], [*chain, t]):
            preds[b].append(a)
    for n in x:
        layers[x[n]].append(n)
    for column in sorted(layers):
        layer = [n for n in layers[column] if n not in outputs]
        want = {
            n: np.mean([y[p] for p in preds[n]]) if preds[n] else i for i, n in enumerate(layer)
        }
        floor = -np.inf
        for n in sorted(layer, key=want.get):  # at the predecessors' mean height, if free
            y[n] = floor = max(want[n], floor + 1)
    top = max(y.values(), default=-1.0)
    y.update({n: top + 1 + i for i, n in enumerate(outputs)})
    pos = {n: (float(x[n]), float(y[n])) for n in x}
    return {n: pos[n] for n in nodes}, {e: [pos[b] for b in chain] for e, chain in bends.items()}


def layout(graph: ComputationGraph) -> dict[str, tuple[float, float]]:
    """(x, y) of each node: x is the longest path from the inputs, so data flows left → right.

    Each column is stacked bottom-up, a node at the mean height of its predecessors unless
    that place is taken (then just above), so a chain runs straight; an edge spanning
    several columns holds a place in each, so no node sits on it. Inputs are at x = 0 in
    argument order, nothing lower; outputs no operator reads go to the last column, above
    everything: J is top-right, as in d2l's figure.
    """
    return _layout(graph)[0]


_BOX, _RADIUS, _INCH = (0.72, 0.46), 0.38, 0.7  # in columns; inches per column
_COLOURS = {"input": "#cfe2f3", "intermediate": "white", "output": "#f4cccc"}


def _rim(centre, toward, box: bool) -> tuple[float, float]:
    """Where the segment from a node's centre toward a point leaves its box or circle."""
    (cx, cy), dx, dy = centre, toward[0] - centre[0], toward[1] - centre[1]
    w, h = _BOX
    t = min(w / 2 / abs(dx or 1e-9), h / 2 / abs(dy or 1e-9)) if box else _RADIUS / np.hypot(dx, dy)
    return cx + t * dx, cy + t * dy


def _draw_on(ax, graph: ComputationGraph, pos, bends, title: str | None) -> None:
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    (w, h), boxes = _BOX, {v.id for v in graph.variables}
    for v in graph.variables:
        x, y = pos[v.id]
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", fc=_COLOURS[v.kind], lw=0.8
            )
        )
        ax.text(x, y + 0.09, v.label, ha="center", va="center", fontsize=7)
        ax.text(x, y - 0.12, v.shape, ha="center", va="center", fontsize=5, color="0.35")
    for o in graph.operators:  # wrapped after "_" or " ", 12 characters a line
        ax.add_patch(Circle(pos[o.id], _RADIUS, fc="#fff2cc", lw=0.8))
        label = "\n".join(textwrap.wrap(o.label.replace("_", "_ "), 13)).replace("_ ", "_")
        ax.text(*pos[o.id], label, ha="center", va="center", fontsize=5, linespacing=1.0)
    for s, t in graph.edges:
        points = [pos[s], *bends[s, t], pos[t]]
        points[0] = _rim(pos[s], points[1], s in boxes)
        points[-1] = _rim(pos[t], points[-2], t in boxes)
        ax.add_patch(
            FancyArrowPatch(
                path=Path(points),
                arrowstyle="-|>",
                mutation_scale=6,
                lw=0.5,
                color="0.35",
                zorder=0,
            )
        )
    ax.set_axis_off()
    if title:
        ax.set_title(title)


def _figure(graphs: Sequence[ComputationGraph], titles: Sequence[str | None]) -> Figure:
    """The graphs side by side, a column ``_INCH`` wide in each, room for titles above."""
    from matplotlib.figure import Figure

    laid, spans = [_layout(g) for g in graphs], []
    for pos, _ in laid:
        xs, ys = zip(*pos.values()) if pos else ((0.0,), (0.0,))
        spans.append((min(xs) - 0.6, max(xs) + 0.6, min(ys) - 0.6, max(ys) + 0.6))
    width, height = sum(s[1] - s[0] for s in spans), max(s[3] - s[2] for s in spans)
    fig, left = Figure(figsize=(_INCH * width, _INCH * height + 0.5)), 0.0
    for g, (pos, bends), (x0, x1, y0, y1), title in zip(graphs, laid, spans, titles):
        rect = (left / width, 0, (x1 - x0) / width, _INCH * (y1 - y0) / (_INCH * height + 0.5))
        ax = fig.add_axes(rect, xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
        _draw_on(ax, g, pos, bends, title)
        left += x1 - x0
    return fig


def _save(make: Callable[[], Figure], path: str | os.PathLike | None) -> Figure:
    """Checks the extension first, draws, then saves as PNG or SVG after the extension."""
    ext = os.path.splitext(os.fspath(path))[1].lower() if path is not None else ".png"
    if ext not in (".png", ".svg"):
        raise ValueError(f"unsupported extension {ext!r} in {os.fspath(path)!r}; use .png or .svg")
    fig = make()
    if path is not None:  # dpi kept under matplotlib's limit of 2**16 pixels a side
        fig.savefig(path, format=ext[1:], dpi=min(150.0, 30000 / fig.get_figwidth()))
    return fig


def draw_graph(
    graph: ComputationGraph, path: str | os.PathLike | None = None, *, title: str | None = None
) -> Figure:
    """Boxes for variables (name, then type), circles for operators, arrows for edges.

    Drawn on a ``matplotlib.figure.Figure``, never through pyplot, so the caller's backend
    is left alone; saved to ``path`` if given, as PNG or SVG after its extension.

    Raises:
      ValueError: naming the extension of a ``path`` that is neither .png nor .svg.
    """
    return _save(lambda: _figure([graph], [title]), path)


def draw_forward_backward(
    f: Callable, *args, path: str | os.PathLike | None = None, **kwargs
) -> Figure:
    """``f``'s forward graph beside its backward one (``jax.grad`` in the first argument)."""
    graphs = [trace_graph(f, *args, **kwargs), backward_graph(f, *args, **kwargs)]
    return _save(lambda: _figure(graphs, ["forward", "backward (jax.grad)"]), path)
