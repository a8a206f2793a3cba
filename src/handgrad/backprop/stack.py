"""Backprop through a multi-stage graph: a stack of modules of any depth.

z_{k+1} = f_k(z_k, w_k) for k = 0 … K−1, then a cost c = C(y, z_K). The forward pass keeps
every state z_0 … z_K; the backward pass walks the stack in reverse and, at each module,
uses its two Jacobians (as VJPs) to produce the gradient for the state below and for the
module's weights:

    ∂c/∂z_k = ∂c/∂z_{k+1} · ∂f_k/∂z_k        ∂c/∂w_k = ∂c/∂z_{k+1} · ∂f_k/∂w_k

``stack_backward_jacobians`` does the same with explicit matrices and row vectors, the
lecture's picture of "multiplying the Jacobian matrices of all the modules going down".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.flatten_util
import jax.numpy as jnp

from handgrad.backprop.cost_module import CostModule
from handgrad.backprop.modules import Module


def _check_lengths(modules: Sequence[Module], params: Sequence[Any]) -> None:
    if len(modules) != len(params):
        raise ValueError(
            f"the stack has {len(modules)} modules but {len(params)} parameter entries; "
            "give one entry per module ({} for a module without weights)"
        )


def stack_forward(modules: Sequence[Module], params: Sequence[Any], z0: jax.Array) -> list:
    """The states [z_0, z_1, …, z_K] of the stack, all kept for the backward pass."""
    _check_lengths(modules, params)
    states = [z0]
    for f, w in zip(modules, params):
        states.append(f.forward(states[-1], w))
    return states


def stack_backward(
    modules: Sequence[Module], params: Sequence[Any], states: Sequence[jax.Array], g: jax.Array
) -> tuple[list, list]:
    r"""Hand backprop through the stack with each module's VJP.

    From :math:`g = \partial c / \partial z_K`, for :math:`k = K-1, \dots, 0` each module's
    ``vjp`` multiplies the gradient of its output by its two Jacobians, with no matrix built:

    .. math::

        \frac{\partial c}{\partial z_k} =
            \frac{\partial c}{\partial z_{k+1}}\, \frac{\partial f_k(z_k, w_k)}{\partial z_k}
        \qquad
        \frac{\partial c}{\partial w_k} =
            \frac{\partial c}{\partial z_{k+1}}\, \frac{\partial f_k(z_k, w_k)}{\partial w_k}

    Args:
      modules, params: the stack and one parameter entry per module.
      states: [z_0, …, z_K] from ``stack_forward``.
      g: ∂c/∂z_K, e.g. from a cost module's ``vjp``.

    Returns:
      The lists :math:`[\partial c/\partial z_0, \dots, \partial c/\partial z_K]` and
      :math:`[\partial c/\partial w_0, \dots, \partial c/\partial w_{K-1}]`, as a tuple.
    """
    _check_lengths(modules, params)
    dz, dw = [g], []
    for f, w, z in zip(reversed(modules), reversed(params), reversed(states[:-1])):
        g, g_w = f.vjp(z, w, g)
        dz.append(g)
        dw.append(g_w)
    return dz[::-1], dw[::-1]


def stack_backward_jacobians(
    modules: Sequence[Module], params: Sequence[Any], states: Sequence[jax.Array], g_row: jax.Array
) -> tuple[list, list]:
    """The same for one sample, with explicit Jacobians and [1 × d] row vectors.

    Returns:
      ([∂c/∂z_k as 1 × d_k rows], [∂c/∂w_k as 1 × n_w rows in ``ravel_pytree`` order]).
    """
    _check_lengths(modules, params)
    dz, dw = [g_row], []
    for f, w, z in zip(reversed(modules), reversed(params), reversed(states[:-1])):
        J_z, J_w = f.jacobians(z, w)
        dw.append(g_row @ J_w)
        g_row = g_row @ J_z
        dz.append(g_row)
    return dz[::-1], dw[::-1]


def stack_cost_grads(
    modules: Sequence[Module], cost: CostModule, params: Sequence[Any], z0: jax.Array, y: jax.Array
) -> tuple[jax.Array, list, list]:
    """Forward through the stack and the cost, then backward: (c, ∂c/∂z_k, ∂c/∂w_k)."""
    states = stack_forward(modules, params, z0)
    c = cost.forward(states[-1], y)
    dz, dw = stack_backward(modules, params, states, cost.vjp(states[-1], y))
    return c, dz, dw


def unravel_like(w: Any, row: jax.Array) -> Any:
    """A [1 × n_w] row gradient put back into the shape of the parameters w."""
    _, unravel = jax.flatten_util.ravel_pytree(w)
    return unravel(jnp.reshape(row, (-1,)))
