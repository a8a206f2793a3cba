"""Where an edge of a drawn graph runs, and where its label goes: clear of every other node.

An edge tries, in order, the straight line, curves bowed ever further to one side, then
paths up or down a clear vertical lane (a margin, or between two columns), and takes the
first that touches no node but its two ends (``route``). A formula written on an edge goes
beside its middle, on the side that covers the fewest nodes, labels and edges
(``label_offset``). Coordinates are the drawing's: a graph column is 1.

>>> import numpy as np
>>> path = route((0.0, 0.0), (2.0, 0.0), None, {"a": ((0.0, 0.0), 0.3), "b": ((2.0, 0.0), 0.3),
...     "c": ((1.0, 0.0), 0.3)}, ("a", "b"), (-1.0, 3.0, -2.0, 2.0))
>>> bool(within(path, (1.0, 0.0), 0.3, 0.05).any())  # bowed around c
False
"""

from __future__ import annotations

import itertools

import numpy as np

from handgrad.exercises.figure_parts import midpoint, rim


def within(points, centre, size, margin: float) -> np.ndarray:
    """Which ``points`` lie in a box of ``size`` (width, height) or a circle of radius ``size``
    centred at ``centre``, grown by ``margin``."""
    d = np.asarray(points, float) - np.asarray(centre, float)
    if np.ndim(size):
        return (np.abs(d[:, 0]) < size[0] / 2 + margin) & (np.abs(d[:, 1]) < size[1] / 2 + margin)
    return np.hypot(*d.T) < size + margin


BOWS = tuple(sorted(np.arange(-2.5, 2.6, 0.25), key=abs))  # sideways, in columns


def candidates(a, b, bounds):
    """Paths from ``a`` to ``b`` (dense polylines), simplest first: the straight line, quadratic
    curves bowed ever further sideways (their middle ``bow`` columns off it), then paths
    that leave ``a`` level, run up or down a lane (a margin, or between two columns) and
    come to ``b``."""
    p0, p2 = np.asarray(a, float), np.asarray(b, float)
    normal = np.array([-(p2 - p0)[1], (p2 - p0)[0]]) / (np.hypot(*(p2 - p0)) or 1.0)
    u = np.linspace(0, 1, 61)[:, None]
    for bow in BOWS:
        c = (p0 + p2) / 2 + 2 * bow * normal  # a quadratic's middle is half its control's way
        yield (1 - u) ** 2 * p0 + 2 * u * (1 - u) * c + u**2 * p2
    x0, x1, _, _ = bounds
    lanes = [x0 + 0.1, x1 - 0.1, *np.arange(np.ceil(x0), x1 - 0.5) + 0.5]
    for lane in sorted(lanes, key=lambda x: abs(x - p0[0]) + abs(x - p2[0])):
        for y in (p2[1] - 0.6, p2[1] + 0.6, p2[1]):  # not level with the edges it meets
            corners = [p0, (lane, p0[1]), (lane, y), p2]
            yield np.concatenate([np.linspace(p, q, 30) for p, q in itertools.pairwise(corners)])


def route(a, b, bend, shapes: dict, ends: tuple, bounds) -> np.ndarray:
    """The path of an edge from node ``a`` to node ``b`` (centres) that passes through no
    other node: the first of ``candidates`` that clears every node but its two ends and
    stays within ``bounds`` (x0, x1, y0, y1); from rim to rim.

    ``shapes`` maps a node to (centre, size); ``bend`` is a long forward edge's places in
    the columns it crosses (a polyline through them, already clear of nodes).
    """
    s, t = ends
    if bend:
        points = np.array([a, *bend, b], float)
        points[0] = rim(a, points[1], shapes[s][1])
        points[-1] = rim(b, points[-2], shapes[t][1])
        return points
    best, fewest = None, np.inf
    x0, x1, y0, y1 = bounds
    for path in candidates(a, b, bounds):
        inside = (x0 <= path[:, 0]) & (path[:, 0] <= x1) & (y0 <= path[:, 1]) & (path[:, 1] <= y1)
        if not inside.all():
            continue
        keep = ~within(path, a, shapes[s][1], 0.0) & ~within(path, b, shapes[t][1], 0.0)
        path = path[keep]
        hits = sum(
            within(path, centre, size, 0.05).any()
            for n, (centre, size) in shapes.items()
            if n not in ends
        )
        if hits < fewest:
            best, fewest = path, hits
        if not hits:
            break
    return best


def bounds(pos: dict) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the axes' limits around the nodes, which an edge stays inside."""
    xs, ys = zip(*pos.values())
    return min(xs) - 0.6, max(xs) + 0.6, min(ys) - 0.7, max(ys) + 0.7


def label_offset(points, extent, taken, routes, edge) -> float:
    """How far beside its edge's middle (along the normal) a label of ``extent`` (width,
    height) goes: the nearest place that overlaps the least of the ``taken`` boxes (nodes,
    labels placed) and of the other edges."""
    (x, y), (nx, ny) = midpoint(points)
    w, h = extent
    reach = abs(nx) * h / 2 + abs(ny) * w / 2  # from the label's centre to its rim, sideways
    best, least = 0.0, np.inf
    for step in (0.08, 0.25, 0.45, 0.7):
        for offset in (reach + step, -(reach + step)):
            cx, cy = x + offset * nx, y + offset * ny
            cover = sum(
                max(0.0, min(cx + w / 2, c[0] + r[0] / 2) - max(cx - w / 2, c[0] - r[0] / 2))
                * max(0.0, min(cy + h / 2, c[1] + r[1] / 2) - max(cy - h / 2, c[1] - r[1] / 2))
                for c, r in taken
            )
            crossed = sum(
                within(path, (cx, cy), (w, h), 0.0).any() for e, path in routes.items() if e != edge
            )
            score = cover + 0.05 * crossed + 0.01 * step
            if score < least:
                best, least = offset, score
    return best
