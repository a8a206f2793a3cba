"""Hand backprop for the lecture's ``mynet``: flatten, then linear and ReLU modules.

The same multi-stage graph as the deep MLP (``handgrad.backprop.mlp``) with the lecture's
``x.view(-1)`` as a first module, seeded by the softmax cross-entropy cost module.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad.backprop.cost_module import cost_module
from handgrad.backprop.mlp import layer_grads, mlp_modules, mlp_stack_params
from handgrad.backprop.modules import NO_PARAMS, Module, flatten_module
from handgrad.backprop.stack import stack_cost_grads
from handgrad.models.mlp import Layer
from handgrad.models.mynet import IMAGE_SHAPE, as_mynet_inputs


def mynet_modules(params: Sequence[Layer]) -> tuple[list[Module], list]:
    """mynet as the lecture's module stack: flatten, then linear/relu blocks."""
    return (
        [flatten_module(IMAGE_SHAPE), *mlp_modules(params, "relu")],
        [NO_PARAMS, *mlp_stack_params(params)],
    )


def mynet_hand_grads(params: Sequence[Layer], image: ArrayLike, label: ArrayLike) -> list[Layer]:
    r"""∂c/∂w of c = softmax cross-entropy(label, mynet(image, params)), by hand backprop
    through the module stack (flatten, linear, relu, …), as the lecture draws it.

    The cost module starts the chain at the output :math:`z_K` (the logits),
    :math:`\partial c / \partial z_K = \operatorname{softmax}(z_K) - \operatorname{onehot}(y)`;
    then, for :math:`k = K-1, \dots, 0`, each module's VJP (``stack_backward``) gives

    .. math::

        \frac{\partial c}{\partial z_k} =
            \frac{\partial c}{\partial z_{k+1}}\, \frac{\partial f_k}{\partial z_k}
        \qquad
        \frac{\partial c}{\partial w_k} =
            \frac{\partial c}{\partial z_{k+1}}\, \frac{\partial f_k}{\partial w_k}

    Returns a list of layer dicts ``{"W", "b"}`` with the shapes of ``params``.
    """
    image, layers = as_mynet_inputs(image, params)
    modules, entries = mynet_modules(layers)
    _, _, dw = stack_cost_grads(
        modules, cost_module("softmax_cross_entropy"), entries, image, jnp.asarray(label)
    )
    return layer_grads(dw, entries)
