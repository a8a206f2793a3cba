"""The loss as a surface over two parameters: what the lecture's Figure 3 draws.

For a model with two parameters w = (w₁, w₂), ``loss_surface`` evaluates L(S, w) on a
grid, mapped with ``jax.vmap`` over both axes in one compiled call, ready for
``matplotlib``'s ``contour(w1, w2, surface)``.

The lecture lets η be a positive semi-definite matrix: "Eğer bu bir pozitif yarı-tanımlı
matrisse, yine de aşağı doğru ilerleriz, ancak mutlaka en dik iniş yönünü takip etmeyiz" (the
seed's Turkish; in English: if it is PSD we still go downhill, though not necessarily in the
direction of steepest descent). Two numbers say how a step −ηg sits on that
surface: ``descent_rate`` gᵀηg, the first-order decrease L(w) − L(w − tηg) ≈ t gᵀηg (the
step is strictly downhill for small t iff gᵀηg > 0), and ``angle_to_steepest``, the angle
between −ηg and the steepest direction −g.

>>> import jax.numpy as jnp
>>> f = lambda w: w[0] ** 2 + 10 * w[1] ** 2
>>> loss_surface(f, jnp.array([0.0, 1.0]), jnp.array([0.0, 1.0, 2.0])).tolist()
[[0.0, 1.0], [10.0, 11.0], [40.0, 41.0]]
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_ndim


def loss_surface(
    objective: Callable[..., jax.Array], w1: ArrayLike, w2: ArrayLike, *args
) -> jax.Array:
    """``objective(w, *args)`` at every w = (w1[j], w2[i]) of the grid.

    Args:
      objective: a scalar function of a parameter vector of length 2 (and ``args``).
      w1, w2: the grid's coordinates along each parameter, 1-D.
      *args: passed on, e.g. the data (X, Y).

    Returns:
      An array of shape (len(w2), len(w1)): row i is w₂ = w2[i], as ``contour`` expects.

    Raises:
      ValueError: if w1 or w2 is not 1-D, or the objective is not scalar.
    """
    w1, w2 = jnp.asarray(w1), jnp.asarray(w2)
    check_ndim("w1", w1, 1, "(n1,)")
    check_ndim("w2", w2, 1, "(n2,)")
    probe = jax.eval_shape(objective, jnp.stack([w1[0], w2[0]]), *args)
    if probe.shape != ():
        raise ValueError(f"objective must return a scalar, got shape {probe.shape}")

    def at(a, b):
        return objective(jnp.stack([a, b]), *args)

    return jax.jit(jax.vmap(jax.vmap(at, in_axes=(0, None)), in_axes=(None, 0)))(w1, w2)


def _step(g: ArrayLike, eta: ArrayLike) -> tuple[jax.Array, jax.Array]:
    g, eta = jnp.asarray(g), jnp.asarray(eta)
    check_ndim("g", g, 1, "(n,)")
    if eta.ndim not in (0, 2):
        raise ValueError(f"eta must be a scalar or an n × n matrix, got shape {eta.shape}")
    return g, (eta * g if eta.ndim == 0 else eta @ g)


def descent_rate(g: ArrayLike, eta: ArrayLike) -> jax.Array:
    """gᵀηg: how fast the step −ηg lowers L to first order, L(w − tηg) = L(w) − t gᵀηg + O(t²).

    Positive for every g ≠ 0 when η is positive definite; zero when g lies in the null space
    of a singular positive semi-definite η (the step does not move along g: a stall);
    negative for some g when η is indefinite (the step goes uphill).

    >>> import jax.numpy as jnp
    >>> descent_rate(jnp.array([1.0, 2.0]), jnp.diag(jnp.array([0.5, 0.0]))).item()
    0.5
    """
    g, step = _step(g, eta)
    return g @ step


def angle_to_steepest(g: ArrayLike, eta: ArrayLike) -> jax.Array:
    """The angle, in degrees, between the step −ηg and the steepest-descent direction −g.

    Below 90° the step goes downhill (gᵀηg > 0), at 90° it is level to first order, above
    90° it goes uphill. NaN when ηg = 0.

    >>> import jax.numpy as jnp
    >>> round(angle_to_steepest(jnp.array([1.0, 1.0]), jnp.diag(jnp.array([1.0, 0.0]))).item(), 6)
    45.0
    """
    g, step = _step(g, eta)
    u, v = g / jnp.linalg.norm(g), step / jnp.linalg.norm(step)
    # 2 atan2(‖u − v‖, ‖u + v‖) rather than arccos(u · v): accurate near 0° and 180° too
    return jnp.degrees(2 * jnp.arctan2(jnp.linalg.norm(u - v), jnp.linalg.norm(u + v)))
