"""The hand gradient of the lecture's linear model under squared error.

For P samples stacked as the rows of X ∈ ℝ^{P×d} (row-major batches, as in code), the
average loss L(S, w) = 1/P Σ_p ‖y[p] − G(x[p], w)‖² (``handgrad.models.linear``) has

    ∂L(S, w)/∂w = 2/P · Xᵀ (X w − y)            (scalar output, y ∈ ℝ^P)
    ∂L(S, W)/∂W = 2/P · (X Wᵀ − Y)ᵀ X           (vector output, Y ∈ ℝ^{P×q})

>>> import jax.numpy as jnp
>>> linear_hand_grad(jnp.zeros(2), jnp.eye(2), jnp.array([1.0, -1.0])).tolist()
[-1.0, 1.0]
"""

from __future__ import annotations

import jax
from jax.typing import ArrayLike

from handgrad.models.linear import as_linear_inputs


def linear_hand_grad(w: ArrayLike, X: ArrayLike, Y: ArrayLike) -> jax.Array:
    r"""∂L(S, w)/∂w by the hand formula, with no autodiff inside.

    For the P rows of X (shape (P, d)) and
    :math:`L(S, w) = \frac{1}{P} \sum_p \lVert y[p] - G(x[p], w) \rVert^2`:

    .. math::

        \frac{\partial L(S, w)}{\partial w} = \frac{2}{P}\, X^{\top} (X w - y)
        \qquad\text{or, for } W \in \mathbb{R}^{q \times d}:\quad
        \frac{\partial L(S, W)}{\partial W} = \frac{2}{P}\, (X W^{\top} - Y)^{\top} X
    """
    w, X, Y = as_linear_inputs(w, X, Y)
    P = X.shape[0]
    residual = X @ w.T - Y  # ȳ − y for every sample: (P,) or (P, q)
    if w.ndim == 1:
        return (2 / P) * (X.T @ residual)
    return (2 / P) * (residual.T @ X)
