"""Drawing a ``ComputationGraph`` the way d2l draws J's: boxes, circles, left to right and up.

``layout`` gives every node a position (see there); ``draw_graph`` renders one graph and
``draw_forward_backward`` the forward graph of J above its backward graph (``jax.grad``;
side by side for the jaxpr detail), with ``matplotlib.figure.Figure`` only, so a notebook's
backend is left alone. The boxes, circles and arrows are ``figure_parts``'.

>>> import jax.numpy as jnp
>>> from handgrad.exercises.computational_graph import trace_graph
>>> g = trace_graph(lambda w, x: jnp.sum(w * x), jnp.ones(2), jnp.ones(2))
>>> pos = layout(g)
>>> pos[g.variables[0].id][0], max(x for x, _ in pos.values()) == pos[g.variables[-1].id][0]
(0.0, True)
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from handgrad.exercises.computational_graph import ComputationGraph, backward_graph, trace_graph
from handgrad.exercises.edge_routing import bounds, label_offset, route
from handgrad.exercises.figure_parts import (
    COLOURS,
    arrow,
    box,
    circle,
    legible_font_size,
    midpoint,
    save_figure,
    scripts,
    wrap,
)
from handgrad.exercises.text_graph import d2l_formulas, dims

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
    everything: J is top-right, as in d2l's figure. A backward graph's stages at text
    detail go in a band above, right to left (under ``jax.grad`` the chain rule runs back).
    """
    return _graph_layout(graph)[0]


_BOX, _RADIUS = (0.86, 0.5), 0.4  # in columns
_INCH = {"text": 0.9, "jaxpr": 0.7}  # inches per column


def _band(graph: ComputationGraph, pos: dict) -> dict:
    """Places the backward stages in a band above the forward graph, right to left.

    A transposed operator sits over the forward operator it transposes (its ``mirror``); a
    value it writes goes one column right of the backward operator that reads it (so
    ∂J/∂h lands over h), or one column left of its writer; stacked in a column. The main
    chain (traced last, from ∂J/∂o back to ∂J/∂W⁽¹⁾) takes the lowest row; an operator
    whose column the chain holds (the penalty's (λ/2‖·‖²)ᵀ) goes above all of it, with
    its values ∂s/∂W⁽ⁱ⁾ beside their readers, so its edges clear the chain.
    """
    top = max((y for _, y in pos.values()), default=0.0) + 1.4
    height, column, row = defaultdict(int), {}, {}
    boxes = {v.id for v in graph.variables if v.side == "backward"}
    ends = {v.id for v in graph.variables if v.kind == "output"}
    succ = defaultdict(list)
    for s, t in graph.edges:
        succ[s].append(t)

    def place(n, c):
        column[n], pos[n], row[n] = c, (float(c), top + 1.3 * height[c]), height[c]
        height[c] += 1

    def values(operators):
        for o in operators:
            for t in succ[o.id]:
                readers = [column[r] for r in succ[t] if r in column]
                c = column[o.id]
                if t in boxes and t not in column:  # a gradient right over its writer, if free
                    up = t in ends and height[c] == row[o.id] + 1
                    place(t, max(readers) + 1 if readers else c if up else c - 1)

    backward = [o for o in reversed(graph.operators) if o.side == "backward"]
    last = max(p[0] for p in pos.values())
    at = {o.id: pos[o.mirror][0] if o.mirror in pos else last for o in backward}
    chain = [o for i, o in enumerate(backward) if at[o.id] not in {at[p.id] for p in backward[:i]}]
    for o in chain:  # operators first: the values' columns follow from them
        place(o.id, at[o.id])
    values(chain)
    later = [o for o in backward if o not in chain]
    for o in later:
        height[at[o.id]] = max(height.values()) + 1
        place(o.id, at[o.id])
    values(later)
    return pos


def _graph_layout(graph: ComputationGraph):
    """Positions and bends: the forward graph by ``_layout``, the backward band above it."""
    back = {n.id for n in (*graph.variables, *graph.operators) if n.side == "backward"}
    if not back:
        return _layout(graph)
    forward = graph._replace(
        variables=tuple(v for v in graph.variables if v.id not in back),
        operators=tuple(o for o in graph.operators if o.id not in back),
        edges=tuple(e for e in graph.edges if not back & set(e)),
    )
    pos, bends = _layout(forward)
    pos = _band(graph, dict(pos))
    bends.update({e: [] for e in graph.edges if back & set(e)})
    return pos, bends


def _lines(graph: ComputationGraph, v) -> str:
    """A box's text: the name, then the type ("f64[3,4]"), or the text's shape ("3×4")."""
    if graph.detail == "text":
        return "\n".join(filter(None, [wrap(v.label, 9), dims(v.shape)]))
    return f"{v.label}\n{v.shape}"


def _font(graph: ComputationGraph, width_in: float) -> float:
    """Legible at 800 px wide for the text detail, its superscripts too (``legible_font_size``
    with scripts, about 14 px: a script digit 7 px tall); at most 7 pt for the jaxpr's long
    names, which would not fit their boxes."""
    if graph.detail == "text":
        return legible_font_size(width_in, scripts=True)
    return min(legible_font_size(width_in), 7.0)


def _draw_on(ax, graph, pos, bends, title, size, edge_labels) -> None:
    boxes = {v.id: v for v in graph.variables}
    unit = size * 1.3 / 72 / _INCH[graph.detail]  # a line of text, in columns
    shapes = {}
    for v in graph.variables:
        n = _lines(graph, v).count("\n") + 1
        shapes[v.id] = (pos[v.id], (_BOX[0], max(_BOX[1], n * unit + 0.1)))
        box(ax, pos[v.id], shapes[v.id][1], _lines(graph, v), size, COLOURS[v.kind], v.id)
    for o in graph.operators:  # wrapped after "_" or " ", 13 characters a line
        label = wrap(o.label.replace("_", "_ "), 13).replace("_ ", "_")
        shapes[o.id] = (pos[o.id], _RADIUS)
        circle(ax, pos[o.id], _RADIUS, label, size, gid=o.id)
    routes = {e: route(pos[e[0]], pos[e[1]], bends[e], shapes, e, bounds(pos)) for e in graph.edges}
    taken = [(c, (2 * r, 2 * r) if np.ndim(r) == 0 else r) for c, r in shapes.values()]
    for (s, t), points in routes.items():
        label = wrap(edge_labels.get(boxes[t].label, "") if t in boxes else "", 10)
        offset = 0.0
        if label:  # beside its own edge, where it covers the fewest nodes and labels
            lines = label.split("\n")
            extent = (max(map(len, lines)) * 0.55 * unit + 0.1, len(lines) * unit + 0.06)
            offset = label_offset(points, extent, taken, routes, (s, t))
            (x, y), (nx, ny) = midpoint(points)
            taken.append(((x + offset * nx, y + offset * ny), extent))
        arrow(
            ax, points, label=label, fontsize=size, offset=offset, gid=f"edge {s} {t}",
        )  # fmt: skip
    ax.set_axis_off()
    if title:
        ax.set_title(scripts(title), fontsize=size)


def _figure(graphs, titles, edge_labels=None, *, stacked: bool = False) -> Figure:
    """The graphs side by side (or one above the other), an ``_INCH`` column wide in each."""
    from matplotlib.figure import Figure

    laid = [_graph_layout(g) for g in graphs]
    spans = [bounds(pos) if pos else (-0.6, 0.6, -0.7, 0.7) for pos, _ in laid]
    inch = max(_INCH[g.detail] for g in graphs)
    widths, heights = [s[1] - s[0] for s in spans], [s[3] - s[2] + 0.6 for s in spans]
    width = max(widths) if stacked else sum(widths)
    height = sum(heights) if stacked else max(heights)
    fig = Figure(figsize=(inch * width, inch * height))
    size, at = min(_font(g, inch * width) for g in graphs), 0.0
    for g, (pos, bends), (x0, x1, y0, y1), w, h, title in zip(
        graphs, laid, spans, widths, heights, titles
    ):
        if stacked:  # top to bottom
            rect = (0, 1 - (at + h) / height, w / width, (h - 0.6) / height)
            at += h
        else:
            rect = (at / width, 0, w / width, (h - 0.6) / height)
            at += w
        ax = fig.add_axes(rect, xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
        _draw_on(ax, g, pos, bends, title, size, dict(edge_labels or {}))
    return fig


def draw_graph(
    graph: ComputationGraph,
    path: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    edge_labels: Mapping[str, str] | None = None,
) -> Figure:
    """Boxes for variables (name, then shape), circles for operators, arrows for edges.

    A text-level graph (``detail="text"``) is lettered so that its labels are at least
    10 px tall when the figure is shown 800 px wide, font = 10.5 px · 72/800 · width (in);
    its backward stages, if any, run right to left in a band above the forward graph.
    Drawn on a ``matplotlib.figure.Figure``, never through pyplot, so the caller's backend
    is left alone; saved to ``path`` if given, as PNG or SVG (text kept as text).

    Args:
      graph: from ``trace_graph`` or ``backward_graph``.
      path: a .png or .svg file, or None.
      title: drawn above the graph.
      edge_labels: a formula per variable name, written on the arrow into that variable,
        e.g. ``d2l_formulas()``'s {"∂J/∂h": "W⁽²⁾ᵀ ∂J/∂o", …}.

    Raises:
      ValueError: naming the extension of a ``path`` that is neither .png nor .svg.
    """
    return save_figure(lambda: _figure([graph], [title], edge_labels), path)


def draw_forward_backward(
    f: Callable, *args, path: str | os.PathLike | None = None, detail: str = "text", **kwargs
) -> Figure:
    """``f``'s forward graph and its backward one (``jax.grad`` in the first argument).

    With ``detail="text"`` the forward graph is above the backward one, whose arrows carry
    d2l's formulas (``d2l_formulas``); with "jaxpr" they are side by side.
    """
    graphs = [
        trace_graph(f, *args, detail=detail, **kwargs),
        backward_graph(f, *args, detail=detail, **kwargs),
    ]
    text = detail == "text"
    make = lambda: _figure(
        graphs, ["forward", "backward (jax.grad)"], d2l_formulas() if text else None, stacked=text
    )
    return save_figure(make, path)
