"""A differentiable surrogate for the nearest-neighbour model: the soft-min over prototypes.

The lecture's nearest-neighbour model ȳ = argmin_k ‖x − W_k‖² outputs an index, so a loss
on ȳ is piecewise constant in W and its gradient is zero almost everywhere
(``handgrad.models.nearest_neighbour``). That is a property of *that loss*, not of the
prototypes W: replace the hard arg-min by a soft-min over the same prototypes,

    p_k(x, W) = softmax_k(−‖x − W_k‖² / τ),

and score the probability given to the prototypes of the right class (prototype k stands
for class ``labels[k]``, by default class k),

    L(x, y, W) = −log Σ_{k : labels[k] = y} p_k(x, W),

as learning vector quantisation and neighbourhood components analysis do. This loss is
smooth in W, gradient descent trains it, and the trained W is used by the hard
nearest-neighbour rule unchanged. As τ → 0 the soft-min becomes the arg-min.

The gradient, by hand (a_k = −d_k/τ the logits, d_k = ‖x − W_k‖², r_k = p_k [labels[k] = y]
/ Σ_{j : labels[j] = y} p_j the probabilities renormalised over the right class):

    ∂L/∂a_k = p_k − r_k,    ∂a_k/∂W_k = 2 (x − W_k) / τ,
    ∂L/∂W_k = 2 (p_k − r_k)(x − W_k) / τ.

>>> import jax.numpy as jnp
>>> W = jnp.array([[0.0, 0.0], [1.0, 1.0]])
>>> [round(p, 3) for p in soft_nearest_neighbour(jnp.array([0.0, 0.0]), W).tolist()]
[0.881, 0.119]
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from handgrad._validate import (
    check_dim,
    check_floating,
    check_ndim,
    check_positive_or_traced,
    check_samples,
)
from handgrad.models.nearest_neighbour import nearest_neighbour, squared_distances


def _labels(labels: ArrayLike | None, K: int) -> jax.Array:
    return jnp.arange(K) if labels is None else jnp.asarray(labels)


def _checked(W, X, Y, labels, temperature):
    """W (K, d) floats, X (P, d), Y (P,) integer classes each held by some prototype,
    labels (K,) integers, τ > 0: else a ``ValueError`` that names the argument."""
    W, X, Y = jnp.asarray(W), jnp.asarray(X), jnp.asarray(Y)
    check_ndim("W", W, 2, "(K, d), one prototype per row")
    check_floating("W", W)
    check_ndim("X", X, 2, "(P, d), one sample per row")
    check_dim("X's axis 1", X.shape[1], W.shape[1], "W's prototypes of dimension d")
    check_ndim("Y", Y, 1, "(P,), one class per sample")
    check_samples(X, Y)
    c = _labels(labels, W.shape[0])
    check_ndim("labels", c, 1, "(K,), the class of each prototype")
    check_dim("labels", c.shape[0], W.shape[0], "one class per prototype of W")
    for what, a in (("Y", Y), ("labels", c)):
        if not jnp.issubdtype(a.dtype, jnp.integer):
            raise ValueError(f"{what} must hold integer classes, got dtype {a.dtype}")
    if not isinstance(Y, jax.core.Tracer) and not isinstance(c, jax.core.Tracer):
        held = set(np.asarray(c).tolist())
        missing = sorted(set(np.asarray(Y).tolist()) - held)
        if missing:
            raise ValueError(
                f"Y has classes {missing} that no prototype holds (labels are "
                f"{sorted(held)}): their loss would be infinite"
            )
    check_positive_or_traced("temperature", temperature)
    return W, X, Y, c


def soft_nearest_neighbour(x: ArrayLike, W: ArrayLike, temperature: float = 1.0) -> jax.Array:
    """G(x, W) = softmax(−‖x − W_k‖² / τ): a probability per prototype, for one sample x."""
    return jax.nn.softmax(-squared_distances(x, W) / temperature)


def soft_nearest_neighbour_loss(
    x: ArrayLike,
    y: ArrayLike,
    W: ArrayLike,
    labels: ArrayLike | None = None,
    temperature: float = 1.0,
) -> jax.Array:
    r"""The soft nearest-neighbour loss of one sample:

    .. math::

        L(x, y, W) = -\log \sum_{k \,:\, \mathrm{labels}[k] = y}
            \operatorname{softmax}_k\big(-\lVert x - W_k \rVert^2 / \tau\big)

    Args:
      x: one input, shape (d,).
      y: its class, an integer.
      W: the prototypes, one per row, shape (K, d).
      labels: the class of each prototype, shape (K,); default: prototype k is class k.
      temperature: τ > 0; smaller is closer to the hard arg-min.
    """
    a = -squared_distances(x, W) / temperature
    c = _labels(labels, a.shape[0])
    right = c == jnp.asarray(y).astype(c.dtype)
    return jax.nn.logsumexp(a) - jax.nn.logsumexp(jnp.where(right, a, -jnp.inf))


def soft_nearest_neighbour_objective(
    W: ArrayLike,
    X: ArrayLike,
    Y: ArrayLike,
    labels: ArrayLike | None = None,
    temperature: float = 1.0,
) -> jax.Array:
    """L(S, W) = 1/P Σ_p L(x[p], y[p], W): the mean of ``soft_nearest_neighbour_loss``.

    Raises:
      ValueError: naming the argument, for shapes that do not agree, non-integer classes, a
        class of Y that no prototype holds, or a temperature that is not a finite τ > 0.
    """
    W, X, Y, c = _checked(W, X, Y, labels, temperature)
    per_sample = jax.vmap(soft_nearest_neighbour_loss, in_axes=(0, 0, None, None, None))
    return jnp.mean(per_sample(X, Y, W, c, temperature))


def soft_nearest_neighbour_value_and_grad(
    W: ArrayLike,
    X: ArrayLike,
    Y: ArrayLike,
    labels: ArrayLike | None = None,
    temperature: float = 1.0,
) -> tuple[jax.Array, jax.Array]:
    """(L(S, W), ∂L(S, W)/∂W) by the hand formula ∂L/∂W_k = 2 (p_k − r_k)(x − W_k) / τ.

    Row-major batches: X is (P, d), Y is (P,), W is (K, d); the gradient is (K, d). Usable
    as the gradient source of ``handgrad.run`` (bind ``labels`` and ``temperature`` with
    ``jax.tree_util.Partial``).

    Raises:
      ValueError: as ``soft_nearest_neighbour_objective``.
    """
    W, X, Y, c = _checked(W, X, Y, labels, temperature)
    R = X[:, None, :] - W[None, :, :]  # x[p] − W_k, (P, K, d)
    a = -jnp.sum(R * R, axis=2) / temperature  # logits, (P, K)
    right = c[None, :] == Y.astype(c.dtype)[:, None]
    a_right = jnp.where(right, a, -jnp.inf)
    J = jnp.mean(jax.nn.logsumexp(a, axis=1) - jax.nn.logsumexp(a_right, axis=1))
    p, r = jax.nn.softmax(a, axis=1), jax.nn.softmax(a_right, axis=1)
    coeff = 2.0 * (p - r) / (temperature * X.shape[0])  # (P, K): the 1/P of the mean
    return J, jnp.einsum("pk,pkd->kd", coeff, R)


def nearest_neighbour_error(
    W: ArrayLike, X: ArrayLike, Y: ArrayLike, labels: ArrayLike | None = None
) -> jax.Array:
    """The 0-1 error of the hard rule: the fraction of samples whose nearest prototype's
    class ``labels[argmin_k ‖x − W_k‖²]`` is not y."""
    W = jnp.asarray(W)
    k = jax.vmap(nearest_neighbour, in_axes=(0, None))(jnp.asarray(X), W)
    c = _labels(labels, W.shape[0])
    return jnp.mean(c[k] != jnp.asarray(Y).astype(c.dtype))
