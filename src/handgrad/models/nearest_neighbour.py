"""The lecture's nearest-neighbour model ȳ = argmin_k ‖x − W_k‖².

W ∈ ℝ^{K×d} holds one prototype per row; the output is the index k of the row closest
to x. The output is an integer, piecewise constant in W: moving a prototype a little
leaves the arg-min unchanged, except on the boundaries between Voronoi cells, where it
jumps. So:

- ∂ȳ/∂W is zero almost everywhere and undefined on the boundaries;
- any loss built on ȳ, e.g. C(y, ȳ) = (y − ȳ)², has ``jax.grad(...) == 0`` for W
  (JAX treats the integer arg-min as a constant, which is the correct derivative
  almost everywhere);
- hence gradient descent on such a loss never moves W: the gradient says "nothing
  changes nearby" even when a finite step changes the output.

The zero gradient belongs to the loss on the index, not to the prototypes. (That loss,
(y − ȳ)², only makes sense for two classes: with more, it ranks class 2 "closer" to class 1
than class 3 is.) Two ways to train W all the same: gradient-free methods on this loss
(finite differences with large steps, random search: ``handgrad.optim.gradient_free``), or
gradient descent on a differentiable surrogate over the same prototypes, the soft-min
softmax(−‖x − W_k‖²) of ``handgrad.models.soft_nearest_neighbour`` (as in LVQ and NCA),
whose trained W the hard rule then uses.

>>> import jax.numpy as jnp
>>> W = jnp.array([[0.0, 0.0], [1.0, 1.0]])
>>> int(nearest_neighbour(jnp.array([0.9, 0.8]), W))
1
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_dim, check_ndim


def squared_distances(x: ArrayLike, W: ArrayLike) -> jax.Array:
    """‖x − W_k‖² for every row k of W: a vector of K distances."""
    x, W = jnp.asarray(x), jnp.asarray(W)
    check_ndim("W", W, 2, "(K, d)")
    check_ndim("x", x, 1, "(d,)")
    check_dim("x", x.shape[0], W.shape[1], f"W of shape {tuple(W.shape)}")
    r = x[None, :] - W
    return jnp.sum(r * r, axis=1)


def nearest_neighbour(x: ArrayLike, W: ArrayLike) -> jax.Array:
    """G(x, W) = argmin_k ‖x − W_k‖² for one sample x ∈ ℝ^d (ties go to the lowest k)."""
    return jnp.argmin(squared_distances(x, W))


def nearest_neighbour_objective(W: ArrayLike, X: ArrayLike, Y: ArrayLike) -> jax.Array:
    """1/P Σ_p (y[p] − G(x[p], W))², the squared error of the predicted index.

    A well-defined, piecewise-constant objective whose ``jax.grad`` w.r.t. W is zero. With two
    prototypes and labels y ∈ {0, 1} it is the 0-1 error; with more classes the squared
    difference of indices is not a meaningful cost (use ``nearest_neighbour_error``).
    """
    W = jnp.asarray(W)
    kbar = jax.vmap(nearest_neighbour, in_axes=(0, None))(jnp.asarray(X), W)
    r = jnp.asarray(Y).astype(W.dtype) - kbar.astype(W.dtype)
    return jnp.mean(r * r)
