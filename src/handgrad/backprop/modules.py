"""The lecture's functional module f_k(z_k, w_k) → z_{k+1}, with its two Jacobians.

A module is a forward function and a hand-written backward that returns *both*
gradients the lecture names, given g = ∂c/∂z_{k+1}:

    ∂c/∂z_k = ∂c/∂z_{k+1} · ∂f_k/∂z_k        ∂c/∂w_k = ∂c/∂z_{k+1} · ∂f_k/∂w_k

in two forms:

- ``jacobians(z, w)`` builds the explicit matrices for one sample, the lecture's
  convention: ∂f/∂z is [d_out × d_in] with entry (i, j) = ∂z_{k+1}[i]/∂z_k[j], ∂f/∂w is
  [d_out × n_w] over the parameters flattened by ``jax.flatten_util.ravel_pytree``, and
  gradients are row vectors, so the chain rule reads [1 × d_in] = [1 × d_out] [d_out × d_in].
  For teaching and small sizes.
- ``vjp(z, w, g)`` computes the same products without ever forming a matrix: what real
  backprop does. It accepts leading batch axes and sums parameter gradients over them.

The link to d2l, which writes gradients as column vectors: d2l's ∂J/∂z is the transpose
of the lecture's row vector, so ∂J/∂h = W⁽²⁾ᵀ ∂J/∂o (d2l) is (∂c/∂o · W⁽²⁾)ᵀ (lecture),
the row vector times the linear module's Jacobian ∂f/∂z = W⁽²⁾.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad.models.activations import get_activation

NO_PARAMS: dict = {}


class Module(NamedTuple):
    """A functional module f(z, w) with hand-written Jacobians and VJP."""

    name: str
    forward: Callable[[jax.Array, Any], jax.Array]
    vjp: Callable[[jax.Array, Any, jax.Array], tuple[jax.Array, Any]]
    jacobians: Callable[[jax.Array, Any], tuple[jax.Array, jax.Array]]


def _batch_axes(g: jax.Array, sample_ndim: int) -> tuple[int, ...]:
    return tuple(range(g.ndim - sample_ndim))


def linear_module(bias: bool = True) -> Module:
    r"""The weighted sum s = W z + b, w = {"W": (n_out, n_in), "b": (n_out,)}.

    Jacobians for one sample, those of W and b side by side in ``ravel_pytree`` order (W,
    then b); entry :math:`(i, j\,n_\text{in} + k)` of the second is :math:`\delta_{ij} z_k`:

    .. math::

        \frac{\partial s}{\partial z} = W \qquad
        \frac{\partial s}{\partial W} = I \otimes z^{\top} \qquad
        \frac{\partial s}{\partial b} = I

    VJP, given the row vector :math:`g = \partial c / \partial s` of each sample :math:`p`
    of a batch:

    .. math::

        \frac{\partial c}{\partial z} = g\, W \qquad
        \frac{\partial c}{\partial W} = \sum_p g[p]^{\top} z[p] \qquad
        \frac{\partial c}{\partial b} = \sum_p g[p]
    """

    def forward(z, w):
        s = z @ w["W"].T
        return s + w["b"].reshape((1,) * (s.ndim - 1) + (-1,)) if bias else s  # b per row

    def vjp(z, w, g):
        dW = jnp.einsum("...o,...i->oi", g, z)  # Σ over the batch of the outer products g zᵀ
        dw = {"W": dW, "b": jnp.sum(g, axis=_batch_axes(g, 1))} if bias else {"W": dW}
        return g @ w["W"], dw

    def jacobians(z, w):
        n_out = w["W"].shape[0]
        eye = jnp.eye(n_out, dtype=z.dtype)
        J_W = jnp.kron(eye, z[None, :])
        return w["W"], jnp.concatenate([J_W, eye], axis=1) if bias else J_W

    return Module("linear", forward, vjp, jacobians)


def activation_module(name: str) -> Module:
    r"""The point-wise non-linearity z = h(s), no parameters (w = {}).

    Jacobians for one sample (∂z/∂w is [d × 0]), and the VJP given
    :math:`g = \partial c / \partial z`, the lecture's dC/ds = dC/dz · h′(s) for every unit
    at once:

    .. math::

        \frac{\partial z}{\partial s} = \operatorname{diag}\big(h'(s)\big) \qquad
        \frac{\partial c}{\partial s} = g \odot h'(s)
    """
    phi, dphi = get_activation(name)

    def forward(s, w):
        return phi(s)

    def vjp(s, w, g):
        return g * dphi(s), NO_PARAMS

    def jacobians(s, w):
        return jnp.diag(dphi(s)), jnp.zeros((s.shape[0], 0), s.dtype)

    return Module(name, forward, vjp, jacobians)


def flatten_module(sample_shape: Sequence[int]) -> Module:
    """``x.view(-1)`` of ``mynet``: a sample of ``sample_shape`` becomes a vector.

    Leading batch axes are kept. Jacobians: ∂f/∂z = I (input flattened), ∂f/∂w is [d × 0].
    VJP: the gradient reshaped back to the input's shape.
    """
    sample_shape = tuple(sample_shape)
    d = math.prod(sample_shape)

    def forward(z, w):
        return z.reshape(z.shape[: z.ndim - len(sample_shape)] + (d,))

    def vjp(z, w, g):
        return g.reshape(z.shape), NO_PARAMS

    def jacobians(z, w):
        return jnp.eye(d, dtype=z.dtype), jnp.zeros((d, 0), z.dtype)

    return Module("flatten", forward, vjp, jacobians)


def row_gradients(module: Module, z: ArrayLike, w: Any, g_row: ArrayLike):
    r"""The lecture's chain rule with explicit Jacobians, gradients as row vectors.

    Args:
      module: the module f.
      z, w: its input (one sample) and parameters.
      g_row: :math:`\partial c / \partial z_{k+1}` as a [1 × d_out] row vector.

    Returns:
      (∂c/∂z_k as [1 × d_in], ∂c/∂w_k as [1 × n_w]) = (g J_z, g J_w).
    """
    J_z, J_w = module.jacobians(jnp.asarray(z), w)
    g_row = jnp.asarray(g_row)
    return g_row @ J_z, g_row @ J_w


def vjp_from_row_gradients(module: Module, z: jax.Array, w: Any, g: jax.Array):
    """``row_gradients`` reshaped to the VJP's shapes: (∂c/∂z like z, ∂c/∂w like w).

    For comparing the two forms; ``ravel_pytree`` gives the parameter order.
    """
    dz_row, dw_row = row_gradients(module, z.reshape(-1), w, g[None, :])
    _, unravel = jax.flatten_util.ravel_pytree(w)
    return dz_row[0].reshape(z.shape), unravel(dw_row[0])
