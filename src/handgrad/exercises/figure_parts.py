"""The drawing's parts shared by graphs and block diagrams: boxes, circles, arrows, saving.

Sizes are in data units (a graph column is 1) on an axes of equal aspect; a figure is
a set number of inches a unit. Text is legible when shown ``DISPLAY_PX`` pixels wide:
a label of ``size`` points on a figure ``width`` inches wide is size/72 · DISPLAY_PX/width
pixels tall, at least ``MIN_LABEL_PX`` when ``size ≥ legible_font_size(width)``.

What a reader must make out is each glyph, not the font size: a capital or digit of
DejaVu Sans is ``CAP`` (0.73) of the font size tall, a Unicode superscript such as ⁽¹⁾
only 0.41. So a label's super- and subscripts are drawn with mathtext (``scripts``:
"W⁽¹⁾" is drawn "W$^{(1)}$", its digits 0.7 · 0.73 = ``SCRIPT_CAP`` of the font size),
and a figure with scripts takes the font size whose script digits are ``MIN_CAP_PX`` tall.

>>> round(legible_font_size(10.0), 2), round(label_px(legible_font_size(10.0), 10.0), 1)
(9.45, 10.5)
>>> round(label_px(legible_font_size(10.0, scripts=True), 10.0) * SCRIPT_CAP, 1)
7.1
>>> scripts("W⁽¹⁾"), scripts("z₀")
('W$^{\\\\mathregular{(1)}}$', 'z$_{\\\\mathregular{0}}$')
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: import handgrad stays light
    from matplotlib.figure import Figure

DISPLAY_PX, MIN_LABEL_PX, MIN_CAP_PX = 800, 10, 7  # a notebook shows a figure ~800 px wide
CAP, SCRIPT_CAP = 0.729, 0.729 * 0.7  # DejaVu Sans: cap height / font size; mathtext's script
_SUPER = dict(zip("⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ", "()0123456789T"))
_SUBSCRIPT = dict(zip("₀₁₂₃₄₅₆₇₈₉₊ₖₚ", "0123456789+kp"))
COLOURS = {"input": "#cfe2f3", "intermediate": "white", "output": "#f4cccc", "op": "#fff2cc"}


def label_px(size_pt: float, width_in: float) -> float:
    """Height in pixels of a ``size_pt`` label when the figure is shown ``DISPLAY_PX`` wide."""
    return size_pt / 72 * DISPLAY_PX / width_in


def legible_font_size(width_in: float, *, scripts: bool = False) -> float:
    """The font size (points) whose labels are ``MIN_LABEL_PX`` · 1.05 px at ``DISPLAY_PX`` wide;
    with ``scripts``, large enough that a mathtext script's digits are ``MIN_CAP_PX`` · 1.01."""
    px = max(MIN_LABEL_PX * 1.05, MIN_CAP_PX * 1.01 / SCRIPT_CAP if scripts else 0.0)
    return px * 72 * width_in / DISPLAY_PX


def scripts(text: str) -> str:
    """``text`` with each run of Unicode super- or subscripts as a mathtext script, drawn
    at 0.7 of the font size rather than the superscript glyphs' 0.56 ("W⁽¹⁾" → "W$^{(1)}$");
    the rest stays plain text, so an SVG keeps "W(1)" as text."""
    out, i = [], 0
    while i < len(text):
        for table, mark in ((_SUPER, "^"), (_SUBSCRIPT, "_")):
            j = i
            while j < len(text) and text[j] in table:
                j += 1
            if j > i:
                inner = "".join(table[c] for c in text[i:j])
                out.append(f"${mark}{{\\mathregular{{{inner}}}}}$")  # upright, as the text
                i = j
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def label(ax, xy, text: str, fontsize: float, linespacing: float) -> None:
    """``text`` centred at ``xy``, its scripts drawn by mathtext (``scripts``). A label with
    scripts also carries its Unicode text, transparent, over the drawing (as a PDF's
    ActualText does), so an SVG is searched, and copied from, as "W⁽¹⁾", not "W(1)"."""
    kw = dict(ha="center", va="center", fontsize=fontsize, linespacing=linespacing)
    drawn = scripts(text)
    ax.text(*xy, drawn, **kw)
    if drawn != text:
        ax.text(*xy, text, alpha=0.0, **kw)


def wrap(text: str, width: int) -> str:
    """Lines of at most ``width`` characters, broken at spaces (a long word is kept whole)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def rim(centre, toward, size) -> tuple[float, float]:
    """Where the segment from a node's centre toward a point leaves it: ``size`` is a box's
    (width, height), or a circle's radius."""
    (cx, cy), dx, dy = centre, toward[0] - centre[0], toward[1] - centre[1]
    if np.ndim(size):
        t = min(size[0] / 2 / abs(dx or 1e-9), size[1] / 2 / abs(dy or 1e-9))
    else:
        t = size / np.hypot(dx, dy)
    return cx + t * dx, cy + t * dy


def box(
    ax, xy, size, text: str, fontsize: float, colour: str = "white", gid: str | None = None
) -> None:
    """A rounded box (a variable) of ``size`` (width, height) centred at ``xy``, with its text."""
    from matplotlib.patches import FancyBboxPatch

    (x, y), (w, h) = xy, size
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", fc=colour, lw=0.8
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    label(ax, xy, text, fontsize, 1.2)


def circle(
    ax, xy, radius: float, text: str, fontsize: float, colour: str = COLOURS["op"], gid=None
) -> None:
    """A circle (an operator) of ``radius`` centred at ``xy``, with its text."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, radius, fc=colour, lw=0.8, gid=gid))
    label(ax, xy, text, fontsize, 1.1)


def midpoint(points) -> tuple[tuple[float, float], tuple[float, float]]:
    """The point halfway along a polyline (by length) and the unit normal there, to its left."""
    p = np.asarray(points, float)
    steps = np.hypot(*np.diff(p, axis=0).T)
    i = int(np.searchsorted(np.cumsum(steps), steps.sum() / 2))
    i = min(i, len(steps) - 1)
    before = steps.sum() / 2 - np.sum(steps[:i])
    d = (p[i + 1] - p[i]) / (steps[i] or 1.0)
    at = p[i] + before * d
    return (float(at[0]), float(at[1])), (float(-d[1]), float(d[0]))


def arrow(
    ax,
    points,
    *,
    label: str = "",
    fontsize: float = 10.0,
    offset: float = 0.0,
    lift: float = 0.0,
    gid: str | None = None,
) -> None:
    """An arrow along the polyline ``points``; ``label`` anchored to it: at its middle (by
    length), ``offset`` along its left normal (negative: to its right), raised by ``lift``.
    The arrow and its label share ``gid``, so an SVG (and a test) can pair them."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    style = dict(arrowstyle="-|>", mutation_scale=8, lw=0.6, color="0.35", zorder=0)
    patch = FancyArrowPatch(path=Path(np.asarray(points, float)), **style)
    patch.set_gid(gid)
    ax.add_patch(patch)
    if label:
        (x, y), (nx, ny) = midpoint(points)
        text = ax.text(
            x + offset * nx, y + offset * ny + lift, scripts(label), ha="center", va="center",
            fontsize=fontsize, color="#7f3f00", linespacing=1.1, zorder=3,
            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85),
        )  # fmt: skip
        text.set_gid(gid)


def figure_format(path: str | os.PathLike | None) -> str:
    """``"png"`` or ``"svg"``, after the extension of ``path`` (PNG when there is no path).

    Raises:
      ValueError: naming the extension of a ``path`` that is neither .png nor .svg.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower() if path is not None else ".png"
    if ext not in (".png", ".svg"):
        raise ValueError(f"unsupported extension {ext!r} in {os.fspath(path)!r}; use .png or .svg")
    return ext[1:]


def save_figure(make: Callable[[], Figure], path: str | os.PathLike | None) -> Figure:
    """Checks the extension first, draws, then saves as PNG or SVG after the extension.

    SVG keeps its text as text (``svg.fonttype = "none"``, set for this save only), so a
    reader can search the labels. The file is written whole or not at all
    (``run_folder.write_atomic``): a failed save leaves a file already at ``path`` byte for
    byte.

    Raises:
      ValueError: naming the extension of a ``path`` that is neither .png nor .svg.
      OSError: naming ``path`` when the save fails.
    """
    import matplotlib

    from handgrad.training.run_folder import write_atomic

    fmt = figure_format(path)
    fig = make()
    if path is not None:  # dpi kept under matplotlib's limit of 2**16 pixels a side
        dpi = min(100.0, 30000 / fig.get_figwidth())
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "handgrad"}):
            write_atomic(os.fspath(path), lambda f: fig.savefig(f, format=fmt, dpi=dpi))
    return fig
