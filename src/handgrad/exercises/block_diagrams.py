"""The lecture's block diagrams, drawn from the library's models and modules.

The same boxes (variables) and circles (functions) as ``draw_graph``, with the same rule
that labels are at least 10 px tall when the figure is shown 800 px wide:

- ``parametrised_model_diagram``: Figure 1, ȳ = G(x, w) and the cost C(y, ȳ), the
  per-sample loss L(x, y, w) = C(y, G(x, w));
- ``average_loss_diagram``: Figure 2, P samples through G and C with one w, averaged
  into L(S, w) = 1/P Σ_p L(x[p], y[p], w);
- ``traditional_net_diagram``: the traditional neural net, linear stages s_{k+1} = w_k z_k
  alternating with point-wise z_k = h(s_k) (the lecture's w_k is a matrix), read from the
  MLP's parameters;
- ``module_stack_diagram``: the multi-stage graph z_{k+1} = f_k(z_k, w_k), c = C(y, z_K),
  each module with its two Jacobians ∂z_{k+1}/∂z_k and ∂z_{k+1}/∂w_k on its inputs.

Each returns a ``matplotlib.figure.Figure`` (never pyplot), saved if ``path`` ends .png/.svg.

>>> fig = parametrised_model_diagram()
>>> sorted(t.get_text() for t in fig.axes[0].texts)[:4]
['C(y, ȳ)', 'G(x, w)', 'L', 'w']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from handgrad._validate import check_positive_int
from handgrad.exercises.figure_parts import (
    COLOURS,
    arrow,
    box,
    circle,
    legible_font_size,
    rim,
    save_figure,
    scripts,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SUB = str.maketrans("0123456789+", "₀₁₂₃₄₅₆₇₈₉₊")
_INCH, _RADIUS = 0.9, 0.45
Path = str | os.PathLike | None


def _name(f: Callable | None) -> str:
    """A second line naming the library function drawn, in words: "linear", "squared error"
    (one word a line, to fit its circle)."""
    name = getattr(f, "__name__", str(f)).replace("_", "\n")
    return f"\n{name}" if f is not None else ""


def _diagram(nodes: dict, edges: Sequence[tuple], title: str | None) -> Figure:
    """nodes: id → (kind, text, (x, y)), kind "in", "var", "out" (boxes) or "op" (circle);
    edges: (source, target, label)."""
    from matplotlib.figure import Figure

    xs, ys = zip(*(xy for _, _, xy in nodes.values()))
    x0, x1, y0, y1 = min(xs) - 0.9, max(xs) + 0.9, min(ys) - 0.8, max(ys) + 0.8
    fig = Figure(figsize=(_INCH * (x1 - x0), _INCH * (y1 - y0) + 0.4))
    size = max(legible_font_size(_INCH * (x1 - x0), scripts=True), 10.0)
    ax = fig.add_axes((0, 0, 1, _INCH * (y1 - y0) / fig.get_figheight()), aspect="equal")
    ax.set(xlim=(x0, x1), ylim=(y0, y1))
    shapes = {}
    for n, (kind, text, xy) in nodes.items():
        lines = text.split("\n")
        if kind == "op":
            shapes[n] = _RADIUS
            circle(ax, xy, _RADIUS, text, size)
        else:
            chars = max(len(line) for line in lines)
            w = max(0.8, chars * 0.62 * size / 72 / _INCH + 0.2)
            shapes[n] = (w, max(0.5, len(lines) * 1.25 * size / 72 / _INCH + 0.12))
            colour = {"in": COLOURS["input"], "out": COLOURS["output"]}.get(kind, "white")
            box(ax, xy, shapes[n], text, size, colour)
    for s, t, label in edges:
        a, b = nodes[s][2], nodes[t][2]
        level = abs(a[1] - b[1]) < 0.1
        arrow(
            ax, [rim(a, b, shapes[s]), rim(b, a, shapes[t])], label=label, fontsize=size,
            lift=0.62 if level else 0.0,  # above the circles and boxes of the row
        )  # fmt: skip
    ax.set_axis_off()
    if title:
        fig.suptitle(scripts(title), fontsize=size)
    return fig


def parametrised_model_diagram(
    G: Callable | None = None, C: Callable | None = None, *, path: Path = None
) -> Figure:
    """Figure 1: ȳ = G(x, w), then C(y, ȳ), the per-sample loss L = C(y, G(x, w)).

    Args:
      G, C: the library's model and cost (e.g. ``handgrad.models.linear``,
        ``handgrad.models.squared_error``): their names go under G and C.
      path: a .png or .svg file, or None.
    """
    nodes = {
        "x": ("in", "x", (0, 0)), "w": ("in", "w", (1, -1.4)),
        "G": ("op", "G(x, w)" + _name(G), (1.4, 0)), "yb": ("var", "ȳ", (2.8, 0)),
        "y": ("in", "y", (2.8, 1.4)), "C": ("op", "C(y, ȳ)" + _name(C), (4.2, 0.7)),
        "L": ("out", "L", (5.6, 0.7)),
    }  # fmt: skip
    edges = [("x", "G", ""), ("w", "G", ""), ("G", "yb", ""), ("yb", "C", ""), ("y", "C", "")]
    make = lambda: _diagram(nodes, [*edges, ("C", "L", "")], "L(x, y, w) = C(y, G(x, w))")
    return save_figure(make, path)


def average_loss_diagram(
    P: int = 3, G: Callable | None = None, C: Callable | None = None, *, path: Path = None
) -> Figure:
    """Figure 2: samples x[p], y[p] through G (one w for all) and C, averaged into L(S, w).

    L(S, w) = 1/P Σ_p L(x[p], y[p], w). ``P`` (1 to 6) is how many samples are drawn.

    Raises:
      ValueError: unless 1 ≤ P ≤ 6.
    """
    if check_positive_int("P", P) > 6:
        raise ValueError(f"P must be at most 6 to stay legible, got {P}")
    nodes = {"w": ("in", "w", (0, 1.6 * P - 0.6)), "avg": ("op", "1/P Σ", (6.2, 0.8 * (P - 1)))}
    nodes["L"] = ("out", "L(S, w)", (7.6, nodes["avg"][2][1]))
    edges = [("avg", "L", "")]
    for p in range(P):
        y = 1.6 * (P - 1 - p)
        nodes |= {
            f"x{p}": ("in", f"x[{p}]", (0, y - 0.45)), f"y{p}": ("in", f"y[{p}]", (2.4, y + 0.45)),
            f"G{p}": ("op", "G" + _name(G), (1.2, y - 0.45)), f"o{p}": ("var", f"ȳ[{p}]", (2.4, y - 0.45)),
            f"C{p}": ("op", "C" + _name(C), (3.6, y)), f"L{p}": ("var", f"L[{p}]", (4.8, y)),
        }  # fmt: skip
        edges += [(f"x{p}", f"G{p}", ""), ("w", f"G{p}", ""), (f"G{p}", f"o{p}", "")]
        edges += [(f"o{p}", f"C{p}", ""), (f"y{p}", f"C{p}", ""), (f"C{p}", f"L{p}", "")]
        edges.append((f"L{p}", "avg", ""))
    title = "L(S, w) = 1/P Σₚ L(x[p], y[p], w)"
    return save_figure(lambda: _diagram(nodes, edges, title), path)


def traditional_net_diagram(
    params: Sequence[dict[str, Any]], *, activation: str = "relu", path: Path = None
) -> Figure:
    r"""The traditional neural net of ``handgrad.models.mlp_init``'s layers: for each layer,
    a linear stage :math:`s_{k+1} = w_k z_k\, (+\, b_k)`, then the point-wise
    :math:`z_{k+1} = h(s_{k+1})`, none after the last. Boxes show each vector's width, read
    from W's shape.

    Raises:
      ValueError: unless ``params`` is a non-empty list of layer dicts with a 2-d "W".
    """
    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError("params must be a non-empty list of layer dicts {'W': (n_out, n_in)}")
    if any(not hasattr(layer.get("W"), "shape") or len(layer["W"].shape) != 2 for layer in params):
        raise ValueError("every layer needs a 2-d 'W' of shape (n_out, n_in)")
    n_in = params[0]["W"].shape[1]
    nodes, edges, x = {"z0": ("in", f"x = z₀\n{n_in}", (0, 0))}, [], 0.0
    for k, layer in enumerate(params):
        k1, n_out, plus = (
            str(k + 1).translate(_SUB),
            layer["W"].shape[0],
            " + b" if "b" in layer else "",
        )
        last = k == len(params) - 1
        nodes[f"W{k}"] = ("in", f"w{str(k).translate(_SUB)}", (x + 1, -1.3))
        nodes[f"lin{k}"] = ("op", f"w z{plus}", (x + 1, 0))
        nodes[f"s{k}"] = (
            "out" if last else "var",
            f"{'ȳ = ' if last else ''}s{k1}\n{n_out}",
            (x + 2, 0),
        )
        edges += [(f"z{k}", f"lin{k}", ""), (f"W{k}", f"lin{k}", ""), (f"lin{k}", f"s{k}", "")]
        if not last:
            nodes[f"h{k}"] = ("op", f"h\n{activation}", (x + 3, 0))
            nodes[f"z{k + 1}"] = ("var", f"z{k1}\n{n_out}", (x + 4, 0))
            edges += [(f"s{k}", f"h{k}", ""), (f"h{k}", f"z{k + 1}", "")]
        x += 4
    title = "sₖ₊₁ = wₖ zₖ, zₖ = h(sₖ)"
    return save_figure(lambda: _diagram(nodes, edges, title), path)


def module_stack_diagram(
    modules: Sequence[Any],
    params: Sequence[Any] | None = None,
    *,
    cost: str = "C",
    path: Path = None,
) -> Figure:
    r"""The multi-stage graph of ``handgrad.backprop.stack_forward``:
    :math:`z_{k+1} = f_k(z_k, w_k)` for each ``Module`` of the library, then
    :math:`c = C(y, z_K)`; on each module's two inputs its two Jacobians
    :math:`\partial z_{k+1} / \partial z_k` and :math:`\partial z_{k+1} / \partial w_k`,
    which backprop multiplies:

    .. math::

        \frac{\partial c}{\partial z_k} =
            \frac{\partial c}{\partial z_{k+1}} \frac{\partial z_{k+1}}{\partial z_k}
        \qquad
        \frac{\partial c}{\partial w_k} =
            \frac{\partial c}{\partial z_{k+1}} \frac{\partial z_{k+1}}{\partial w_k}

    Args:
      modules: the stack, e.g. ``handgrad.backprop.mlp_modules(layers, "tanh")``.
      params: its parameter entries, if given: a module whose entry holds no array (a
        non-linearity) is drawn without w_k and its Jacobian.
      cost: the cost's name; path: a .png or .svg file, or None.

    Raises:
      ValueError: if ``modules`` is empty or holds something without a ``name``, or if
        ``params`` does not give one entry per module.
    """
    import jax

    if not modules or any(not isinstance(getattr(m, "name", None), str) for m in modules):
        raise ValueError("modules must be a non-empty list of handgrad.backprop Modules")
    if params is not None and len(params) != len(modules):
        raise ValueError(f"params has {len(params)} entries for {len(modules)} modules")
    weighted = [params is None or bool(jax.tree_util.tree_leaves(p)) for p in params or modules]
    sub = lambda k: str(k).translate(_SUB)
    nodes, edges = {"z0": ("in", "z₀", (0, 0))}, []
    for k, m in enumerate(modules):
        x = 2.4 * k
        nodes[f"f{k}"] = ("op", f"f{sub(k)}\n{m.name}", (x + 1.2, 0))
        nodes[f"z{k + 1}"] = ("var", f"z{sub(k + 1)}", (x + 2.4, 0))
        edges += [(f"z{k}", f"f{k}", f"∂z{sub(k + 1)}/∂z{sub(k)}"), (f"f{k}", f"z{k + 1}", "")]
        if weighted[k]:
            nodes[f"w{k}"] = ("in", f"w{sub(k)}", (x + 1.2, -1.6))
            edges.append((f"w{k}", f"f{k}", f"∂z{sub(k + 1)}/∂w{sub(k)}"))
    K, x = len(modules), 2.4 * len(modules)
    nodes |= {
        "y": ("in", "y", (x + 1.2, 1.4)),
        "C": ("op", cost, (x + 1.2, 0)),
        "c": ("out", "c", (x + 2.4, 0)),
    }
    edges += [(f"z{K}", "C", ""), ("y", "C", ""), ("C", "c", "")]
    title = f"zₖ₊₁ = fₖ(zₖ, wₖ), c = C(y, z{sub(K)}): two Jacobians per module"
    return save_figure(lambda: _diagram(nodes, edges, title), path)
