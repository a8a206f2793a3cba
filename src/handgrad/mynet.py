"""The lecture's ``mynet`` in pure JAX: a 3×10×20 image → 600 → 60 → 40 → 10.

The PyTorch original (``shared/seeds/000_…txt``)::

    z0 = x.view(-1); s1 = m0(z0); z1 = relu(s1); s2 = m1(z1); z2 = relu(s2); s3 = m2(z2)

with ``nn.Linear`` layers (biases on), initialised like PyTorch: W and b uniform in
±1/√fan_in. Parameters are a list of three layer dicts, as for ``handgrad.mlp``, so
``mlp_hand_grads`` differentiates it by hand.

>>> import jax, jax.numpy as jnp
>>> params = mynet_init(jax.random.key(0))
>>> mynet(params, jnp.zeros((3, 10, 20), jnp.float32)).shape
(10,)
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._checks import check_dim, check_ndim
from handgrad.mlp import Layer, check_mlp_params, mlp, mlp_init
from handgrad.mlp_backprop import layer_grads, mlp_modules, mlp_stack_params
from handgrad.cost_module import cost_module
from handgrad.module import NO_PARAMS, Module, flatten_module
from handgrad.stack import stack_cost_grads

IMAGE_SHAPE = (3, 10, 20)
MYNET_WIDTHS = (600, 60, 40, 10)


def mynet_init(key: jax.Array, dtype=jnp.float32) -> list[Layer]:
    """Weights and biases drawn like PyTorch's ``nn.Linear``: U(−1/√fan_in, 1/√fan_in)."""
    return mlp_init(key, MYNET_WIDTHS, bias=True, dtype=dtype, init="torch")


def mynet(params: Sequence[Layer], image: ArrayLike) -> jax.Array:
    """The 10 outputs s3 of ``mynet`` for one (3, 10, 20) image."""
    image = jnp.asarray(image)
    layers = check_mlp_params(params)
    check_ndim("image", image, len(IMAGE_SHAPE), str(IMAGE_SHAPE))
    for axis, (got, want) in enumerate(zip(image.shape, IMAGE_SHAPE)):
        check_dim(f"image.shape[{axis}]", got, want, f"mynet's input of shape {IMAGE_SHAPE}")
    W0 = layers[0]["W"]
    check_dim("params[0]['W'].shape[1]", W0.shape[1], MYNET_WIDTHS[0], "mynet's flattened image")
    return mlp(image.reshape(-1), layers, activation="relu")  # z0 = x.view(-1)


def mynet_modules(params: Sequence[Layer]) -> tuple[list[Module], list]:
    """mynet as the lecture's module stack: flatten, then linear/relu blocks."""
    return (
        [flatten_module(IMAGE_SHAPE), *mlp_modules(params, "relu")],
        [NO_PARAMS, *mlp_stack_params(params)],
    )


def mynet_hand_grads(params: Sequence[Layer], image: ArrayLike, label: ArrayLike) -> list[Layer]:
    """∂c/∂w of c = softmax cross-entropy(label, mynet(params, image)), by hand backprop
    through the module stack (flatten, linear, relu, …), as the lecture draws it."""
    image = jnp.asarray(image)
    mynet(params, image)  # validates the parameters and the image
    modules, entries = mynet_modules(params)
    _, _, dw = stack_cost_grads(
        modules, cost_module("softmax_cross_entropy"), entries, image, jnp.asarray(label)
    )
    return layer_grads(dw, entries)
