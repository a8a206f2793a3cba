"""The lecture's ``mynet`` in pure JAX: a 3×10×20 image → 600 → 60 → 40 → 10.

The PyTorch original (``shared/seeds/000_…txt``)::

    z0 = x.view(-1); s1 = m0(z0); z1 = relu(s1); s2 = m1(z1); z2 = relu(s2); s3 = m2(z2)

with ``nn.Linear`` layers (biases on), initialised like PyTorch: W and b uniform in
±1/√fan_in. ``IMAGE_SHAPE`` is the lecture's image, (3, 10, 20); ``MYNET_WIDTHS`` its
widths d0 … d3, (600, 60, 40, 10). Parameters are a list of three layer dicts, as for ``handgrad.models.mlp``;
``handgrad.backprop.mynet`` differentiates it by hand.

>>> import jax, jax.numpy as jnp
>>> params = mynet_init(jax.random.key(0))
>>> mynet(jnp.zeros((3, 10, 20), jnp.float32), params).shape
(10,)
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_dim, check_ndim
from handgrad.models.mlp import Layer, check_mlp_params, mlp, mlp_init

IMAGE_SHAPE = (3, 10, 20)
MYNET_WIDTHS = (600, 60, 40, 10)


def mynet_init(key: jax.Array, dtype=jnp.float32) -> list[Layer]:
    """Weights and biases drawn like PyTorch's ``nn.Linear``: U(−1/√fan_in, 1/√fan_in)."""
    return mlp_init(key, MYNET_WIDTHS, bias=True, dtype=dtype, init="torch")


def as_mynet_inputs(image: ArrayLike, params: Sequence[Layer]) -> tuple[jax.Array, list[Layer]]:
    """The image and the layers, checked to be one (3, 10, 20) image and 600 → … layers.

    Raises:
      ValueError: naming the axis or the leaf that does not fit.
    """
    image = jnp.asarray(image)
    layers = check_mlp_params(params)
    check_ndim("image", image, len(IMAGE_SHAPE), str(IMAGE_SHAPE))
    for axis, (got, want) in enumerate(zip(image.shape, IMAGE_SHAPE)):
        check_dim(f"image.shape[{axis}]", got, want, f"mynet's input of shape {IMAGE_SHAPE}")
    W0 = layers[0]["W"]
    check_dim("params[0]['W'].shape[1]", W0.shape[1], MYNET_WIDTHS[0], "mynet's flattened image")
    return image, layers


def mynet(image: ArrayLike, params: Sequence[Layer]) -> jax.Array:
    """G(x, w): the 10 outputs s3 of ``mynet`` for one (3, 10, 20) image x."""
    image, layers = as_mynet_inputs(image, params)
    return mlp(image.reshape(-1), layers, activation="relu")  # z0 = x.view(-1)
