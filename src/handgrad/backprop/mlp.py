"""Hand backprop for the deep MLP, built from the lecture's modules.

The MLP is the stack [linear, h, linear, h, …, linear] followed by a cost module; its
gradient is ``stack_backward`` seeded by the cost's VJP — the multi-stage graph of the
lecture, run on a whole batch at once (every module accepts a leading batch axis and
sums its weight gradients over it; the cost module puts the 1/P in). The penalty adds
λW_k to each weight gradient once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_lam
from handgrad.backprop.cost_module import cost_module
from handgrad.backprop.modules import NO_PARAMS, Module, activation_module, linear_module
from handgrad.backprop.stack import stack_backward, stack_forward
from handgrad.models.losses import l2_penalty
from handgrad.models.mlp import Layer, as_mlp_inputs


def mlp_modules(params: Sequence[Layer], activation: str = "relu") -> list[Module]:
    """The module stack of the MLP: a linear module per layer, h between them."""
    modules = []
    for k, layer in enumerate(params):
        if k:
            modules.append(activation_module(activation))
        modules.append(linear_module(bias="b" in layer))
    return modules


def mlp_stack_params(params: Sequence[Layer]) -> list:
    """One parameter entry per module of ``mlp_modules``: the layers, {} for each h."""
    entries = []
    for k, layer in enumerate(params):
        if k:
            entries.append(NO_PARAMS)
        entries.append(layer)
    return entries


def layer_grads(dw: Sequence, entries: Sequence) -> list[Layer]:
    """The weight gradients of the linear modules, dropping the {} of each h."""
    return [g for g, entry in zip(dw, entries) if entry is not NO_PARAMS]


def mlp_forward_batch(params: Sequence[Layer], X: jax.Array, *, activation: str = "relu") -> list:
    """The states [X, S_1, Z_1, …, S_L] the hand backward keeps, one sample per row."""
    return stack_forward(mlp_modules(params, activation), mlp_stack_params(params), X)


def mlp_hand_value_and_grad(
    params: Sequence[Layer],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> tuple[jax.Array, list[Layer]]:
    r"""(J, ∂J/∂w) for ``handgrad.mlp_objective``: J from the stored forward pass, the
    gradient by hand backprop through the module stack; no autodiff. A gradient source
    for the training loops.

    .. math::

        J = \frac{1}{P} \sum_p C(y[p], \bar y[p])
            + \frac{\lambda}{2} \sum_k \lVert W_k \rVert_F^2,
        \qquad
        \frac{\partial J}{\partial W_k}
            = \Big(\frac{\partial J}{\partial S_k}\Big)^{\top} A_k + \lambda W_k

    with the backward pass of ``mlp_hand_grads``.
    """
    check_lam(lam)
    layers, X, Y = as_mlp_inputs(params, X, Y, activation, loss)
    modules, entries = mlp_modules(layers, activation), mlp_stack_params(layers)
    states = stack_forward(modules, entries, X)
    cost = cost_module(loss)
    _, dw = stack_backward(modules, entries, states, cost.vjp(states[-1], Y))
    lam = jnp.asarray(lam, layers[0]["W"].dtype)
    J = cost.forward(states[-1], Y) + l2_penalty([layer["W"] for layer in layers], lam)
    grads = layer_grads(dw, entries)
    return J, [{**g, "W": g["W"] + lam * layer["W"]} for g, layer in zip(grads, layers)]


def mlp_hand_grads(
    params: Sequence[Layer],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> list[Layer]:
    r"""∂J/∂w for ``handgrad.mlp_objective`` by hand backprop through the module stack.

    One sample per row: from :math:`A_0 = X`, layer :math:`k` computes
    :math:`S_k = A_k W_k^{\top} + b_k` and, except the last, :math:`A_{k+1} = h(S_k)`; the
    last gives :math:`\bar Y = S_{K-1}`. The cost module starts the chain (1/P enters
    there), ``stack_backward`` carries it down through each module's VJP, and the penalty
    adds :math:`\lambda W_k` once:

    .. math::

        \frac{\partial J}{\partial \bar Y} &= \frac{1}{P}\,
            \frac{\partial C}{\partial \bar Y} \\
        \frac{\partial J}{\partial S_k} &= \frac{\partial J}{\partial A_{k+1}}
            \odot h'(S_k) \quad (k < K-1) \\
        \frac{\partial J}{\partial W_k} &=
            \Big(\frac{\partial J}{\partial S_k}\Big)^{\top} A_k + \lambda W_k \\
        \frac{\partial J}{\partial b_k} &= \sum_p \frac{\partial J}{\partial S_k}[p] \\
        \frac{\partial J}{\partial A_k} &= \frac{\partial J}{\partial S_k}\, W_k

    Returns a list of layer dicts with the same keys and shapes as ``params``. No JAX
    autodiff is used. Jit with ``static_argnames=("activation", "loss")``.

    Raises:
      ValueError: on an unknown name, a wrong shape or dtype, or labels out of range.
    """
    return mlp_hand_value_and_grad(params, X, Y, lam=lam, activation=activation, loss=loss)[1]
