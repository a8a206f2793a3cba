"""Small helpers shared by the tests: relative error and random MLP problems."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import handgrad as hg

TOL = {jnp.float64: 1e-12, jnp.float32: 1e-5}


def rel_err(a, b) -> float:
    """Norm-wise relative error ‖a − b‖ / max(‖a‖, ‖b‖), in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def mlp1_problem(key, d, h, q, P, *, bias, loss, dtype):
    """Random params (with a non-zero bias), inputs and targets for d2l's MLP."""
    kp, kb, kx, ky = jax.random.split(key, 4)
    params = hg.mlp1_init(kp, d, h, q, bias=bias, dtype=dtype)
    if bias:
        params["b1"] = 0.5 * jax.random.normal(kb, (h,), dtype)
    X = jax.random.normal(kx, (P, d), dtype)
    if loss == "softmax_cross_entropy":
        Y = jax.random.randint(ky, (P,), 0, q)
    else:
        Y = jax.random.normal(ky, (P, q), dtype)
    return params, X, Y


def _mlp1_hand_and_autodiff(params, X, Y, lam, activation, loss):
    kw = {"lam": lam, "activation": activation, "loss": loss}
    return hg.mlp1_hand_grads(params, X, Y, **kw), jax.grad(hg.mlp1_objective)(params, X, Y, **kw)


# One compiled program per shape is ten times faster than op-by-op dispatch on new shapes.
mlp1_hand_and_autodiff = jax.jit(_mlp1_hand_and_autodiff, static_argnames=("activation", "loss"))
