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


def randn(seed: int, shape, dtype=jnp.float64) -> jax.Array:
    """Test data from NumPy: no XLA compilation per new shape, as eager jax.random needs."""
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), dtype)


def hash_seed(seed) -> int:
    """An int seed from an int or a JAX key."""
    return seed if isinstance(seed, int) else int(np.asarray(jax.random.key_data(seed)).sum())


def mlp1_problem(key, d, h, q, P, *, bias, loss, dtype):
    """Random params (with a non-zero bias), inputs and targets for d2l's MLP."""
    seed = hash_seed(key)
    rng = np.random.default_rng(seed)
    params = {
        "W1": jnp.asarray(rng.standard_normal((h, d)) / np.sqrt(d), dtype),
        "W2": jnp.asarray(rng.standard_normal((q, h)) / np.sqrt(h), dtype),
    }
    if bias:
        params["b1"] = jnp.asarray(0.5 * rng.standard_normal(h), dtype)
    X = jnp.asarray(rng.standard_normal((P, d)), dtype)
    if loss == "softmax_cross_entropy":
        Y = jnp.asarray(rng.integers(0, q, P), jnp.int32)
    else:
        Y = jnp.asarray(rng.standard_normal((P, q)), dtype)
    return params, X, Y


def _mlp1_hand_and_autodiff(params, X, Y, lam, activation, loss):
    kw = {"lam": lam, "activation": activation, "loss": loss}
    return hg.mlp1_hand_grads(params, X, Y, **kw), jax.grad(hg.mlp1_objective)(params, X, Y, **kw)


# One compiled program per shape is ten times faster than op-by-op dispatch on new shapes.
mlp1_hand_and_autodiff = jax.jit(_mlp1_hand_and_autodiff, static_argnames=("activation", "loss"))


class compilations:
    """Counts XLA compilations inside a ``with`` block, from jax.monitoring's events:
    ``with compilations() as c: …`` leaves the count in ``c.count``."""

    EVENT = "/jax/core/compile/backend_compile_duration"

    def __enter__(self):
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._on_event)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._on_event)

    def _on_event(self, event: str, duration: float, **kwargs) -> None:
        if event == self.EVENT:
            self.count += 1
