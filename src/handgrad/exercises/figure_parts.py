"""The drawing's parts shared by graphs and block diagrams: boxes, circles, arrows, saving.

Sizes are in data units (a graph column is 1) on an axes of equal aspect; a figure is
a set number of inches a unit. Text is legible when shown ``DISPLAY_PX`` pixels wide:
a label of ``size`` points on a figure ``width`` inches wide is size/72 · DISPLAY_PX/width
pixels tall, at least ``MIN_LABEL_PX`` when ``size ≥ legible_font_size(width)``.

>>> round(legible_font_size(10.0), 2), round(label_px(legible_font_size(10.0), 10.0), 1)
(9.45, 10.5)
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: import handgrad stays light
    from matplotlib.figure import Figure

DISPLAY_PX, MIN_LABEL_PX = 800, 10  # a notebook shows a figure about 800 px wide
COLOURS = {"input": "#cfe2f3", "intermediate": "white", "output": "#f4cccc", "op": "#fff2cc"}


def label_px(size_pt: float, width_in: float) -> float:
    """Height in pixels of a ``size_pt`` label when the figure is shown ``DISPLAY_PX`` wide."""
    return size_pt / 72 * DISPLAY_PX / width_in


def legible_font_size(width_in: float) -> float:
    """The font size (points) whose labels are ``MIN_LABEL_PX`` · 1.05 px at ``DISPLAY_PX`` wide."""
    return MIN_LABEL_PX * 1.05 * 72 * width_in / DISPLAY_PX


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


def box(ax, xy, size, text: str, fontsize: float, colour: str = "white") -> None:
    """A rounded box (a variable) of ``size`` (width, height) centred at ``xy``, with its text."""
    from matplotlib.patches import FancyBboxPatch

    (x, y), (w, h) = xy, size
    ax.add_patch(
        FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", fc=colour, lw=0.8)
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, linespacing=1.1)


def circle(ax, xy, radius: float, text: str, fontsize: float, colour: str = COLOURS["op"]) -> None:
    """A circle (an operator) of ``radius`` centred at ``xy``, with its text."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, radius, fc=colour, lw=0.8))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, linespacing=1.0)


def arrow(
    ax, points, *, label: str = "", fontsize: float = 10.0, rad: float = 0.0, lift: float = 0.0
) -> None:
    """An arrow along ``points`` (straight, or one arc bent by ``rad``); ``label`` at its
    middle (or 70 % along it if it slants), raised by ``lift``."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    style = dict(arrowstyle="-|>", mutation_scale=8, lw=0.6, color="0.35", zorder=0)
    if rad and len(points) == 2:
        patch = FancyArrowPatch(*points, connectionstyle=f"arc3,rad={rad}", **style)
    else:
        patch = FancyArrowPatch(path=Path(points), **style)
    ax.add_patch(patch)
    if label:
        (x0, y0), (x1, y1) = points[0], points[-1]
        upright = abs(x1 - x0) < 0.1  # beside an upright arrow, above a level one
        at = 0.5 if abs(y1 - y0) < 0.1 else 0.7  # a slanted one's nearer its target
        ax.text(
            x0 + at * (x1 - x0) + 0.08 * upright, y0 + at * (y1 - y0) + lift, label,
            ha="left" if upright else "center", va="center", fontsize=fontsize,
            color="#7f3f00", linespacing=1.0, zorder=3,
            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85),
        )  # fmt: skip


def save_figure(make: Callable[[], Figure], path: str | os.PathLike | None) -> Figure:
    """Checks the extension first, draws, then saves as PNG or SVG after the extension.

    SVG keeps its text as text (``svg.fonttype = "none"``, set for this save only), so a
    reader can search the labels.

    Raises:
      ValueError: naming the extension of a ``path`` that is neither .png nor .svg.
    """
    import matplotlib

    ext = os.path.splitext(os.fspath(path))[1].lower() if path is not None else ".png"
    if ext not in (".png", ".svg"):
        raise ValueError(f"unsupported extension {ext!r} in {os.fspath(path)!r}; use .png or .svg")
    fig = make()
    if path is not None:  # dpi kept under matplotlib's limit of 2**16 pixels a side
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "handgrad"}):
            fig.savefig(path, format=ext[1:], dpi=min(100.0, 30000 / fig.get_figwidth()))
    return fig
