"""From a validated config to the pieces of a run: data, model, gradient source, rule, sampler.

Before anything is allocated or compiled, ``build`` estimates the bytes the run needs
(``run_memory``) and refuses a config that cannot fit in the device's memory
(``available_memory``), naming the fields that make it large.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from handgrad.backprop.d2l import mlp1_hand_value_and_grad
from handgrad.backprop.linear import linear_hand_grad
from handgrad.backprop.mlp import mlp_hand_value_and_grad
from handgrad.data import Dataset, load_dataset
from handgrad.data.dataset import GENERATED, check_options, generated_shape
from handgrad.models.linear import linear, linear_objective
from handgrad.models.mlp import mlp, mlp_init, mlp_objective
from handgrad.models.mlp1 import mlp1, mlp1_init, mlp1_objective
from handgrad.optim import gradient_free
from handgrad.optim.autodiff import autodiff
from handgrad.optim.rules import gd, preconditioned_gd
from handgrad.optim.samplers import Sampler, full_batch, minibatch, per_sample
from handgrad.training.config import Config, ConfigError


class Setup(NamedTuple):
    """Everything a run is built from: the data, the initial parameters, J, the gradient
    source, the prediction function, the update rule and the sampler."""

    data: Dataset
    X_train: jax.Array
    Y_train: jax.Array
    X_test: jax.Array
    Y_test: jax.Array
    params: Any  # the initial parameters
    objective: Callable  # J(params, X, Y)
    value_and_grad: Callable  # the configured gradient source
    takes_key: bool
    predict: Callable  # params, X -> outputs (P, q)
    rule: optax.GradientTransformation
    sampler: Sampler


def _linear_value_and_grad(w, X, Y):
    return linear_objective(w, X, Y), linear_hand_grad(w, X, Y)


def available_memory() -> tuple[int, str]:
    """(bytes, what they are): the default device's memory limit on a GPU or TPU, else the
    machine's physical RAM (a CPU device reports no limit)."""
    device = jax.devices()[0]
    stats = device.memory_stats()
    if isinstance(stats, dict) and stats.get("bytes_limit"):
        return int(stats["bytes_limit"]), f"the memory of {device.device_kind}"
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "the physical RAM"


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units: ``'1.5 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError  # unreachable


def run_memory(cfg: Config, d: int, q: int, n_train: int, n_test: int) -> dict[str, int]:
    """The bytes a run needs, estimated from shapes alone (nothing is allocated).

    - parameters: n numbers × (2 + the optimiser's slots: momentum 1, adam 2; newton keeps
      an n × n preconditioner and the d × d Hessian);
    - activations: the largest batch (the training set, which each evaluation sees whole)
      × Σ widths × 3 (pre-activations, activations and their gradients); a gradient-free
      estimate adds k vmapped copies (k = n for finite differences, num_directions for
      random directions) of the parameters and the training batch's activations;
    - data: the train and test splits, inputs and targets, as the device holds them.
    """
    m, itemsize = cfg.model, jnp.dtype(cfg.train.dtype).itemsize
    widths = [d, q] if m.name == "linear" else [d, *m.hidden, q]
    bias = m.bias and m.name != "linear"
    n = sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(widths))
    slots = {"sgd": 0, "momentum": n, "adam": 2 * n, "newton": n * n + d * d}[cfg.optim.name]
    B = cfg.optim.batch_size
    batch = n_train if B == 0 or B >= n_train else B
    per_sample = sum(widths)
    activations = 3 * max(batch, n_train, n_test) * per_sample
    k = {"finite_difference": n, "random_directions": cfg.train.num_directions}.get(
        cfg.train.grad, 0
    )
    estimates = k * (3 * n + batch * per_sample)
    return {
        "parameters and optimiser state": (2 * n + slots) * itemsize,
        "activations": (activations + estimates) * itemsize,
        "data": (n_train + n_test) * (d + q) * itemsize,
    }


def check_memory(cfg: Config, parts: dict[str, int]) -> None:
    """Raises ``ConfigError`` when the estimated ``parts`` (bytes) exceed the device's memory."""
    available, where = available_memory()
    total = sum(parts.values())
    if total <= available:
        return
    detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in parts.items())
    raise ConfigError(
        f"the run needs about {format_bytes(total)} ({detail}), more than "
        f"{format_bytes(available)} of {where}: make model.hidden, optim.batch_size or the "
        f"data set (data.options) smaller"
    )


def _check_data_memory(cfg: Config) -> None:
    # generated data is checked before it is generated (float64 while it is made)
    if cfg.data.name in GENERATED:
        P, d = generated_shape(cfg.data.name, check_options(cfg.data.name, cfg.data.options))
        check_memory(cfg, {"data while generated": 2 * P * (d + 1) * 8})


def build(cfg: Config) -> Setup:
    """Everything a run needs, from the config alone (so a resumed run rebuilds the same).

    Raises:
      ConfigError: when the data, model and loss do not fit together, or the run would not
        fit in the device's memory (checked before anything is allocated or compiled).
      DataError: for missing or corrupt data files.
    """
    m = cfg.model
    _check_data_memory(cfg)
    data = load_dataset(
        cfg.data.name, seed=cfg.seed, test_fraction=cfg.data.test_fraction,
        path=cfg.data.path or None, standardise=cfg.data.standardise, **cfg.data.options,
    )  # fmt: skip
    classification = data.num_classes is not None
    if classification and m.loss != "softmax_cross_entropy":
        raise ConfigError(
            f"data set {cfg.data.name!r} has class labels: use model.loss = 'softmax_cross_entropy'"
        )
    if not classification and m.loss != "squared_error":
        raise ConfigError(
            f"data set {cfg.data.name!r} has real targets: use model.loss = 'squared_error'"
        )
    if m.name == "linear" and classification:
        raise ConfigError("model.name = 'linear' is the lecture's least-squares model: give it a regression "
                          "data set, or use model.name = 'mlp' with model.hidden = [] for a linear classifier")  # fmt: skip
    dtype = jnp.dtype(cfg.train.dtype)
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise ConfigError(
            "train.dtype = 'float64' needs JAX's 64-bit mode, which is the caller's to choose: "
            'call jax.config.update("jax_enable_x64", True) before building the run '
            "(the handgrad command does so for a float64 config)"
        )
    d = data.X_train.shape[1]
    q = data.num_classes if classification else data.Y_train.shape[1]
    check_memory(cfg, run_memory(cfg, d, q, data.X_train.shape[0], data.X_test.shape[0]))
    X_train, X_test = jnp.asarray(data.X_train, dtype), jnp.asarray(data.X_test, dtype)
    y_dtype = jnp.int32 if classification else dtype
    Y_train, Y_test = jnp.asarray(data.Y_train, y_dtype), jnp.asarray(data.Y_test, y_dtype)
    key = jax.random.key(cfg.seed)

    if m.name == "mlp1":
        params = mlp1_init(key, d, m.hidden[0], q, bias=m.bias, dtype=dtype)
        kw = {"lam": m.lam, "activation": m.activation, "loss": m.loss}
        objective, hand = partial(mlp1_objective, **kw), partial(mlp1_hand_value_and_grad, **kw)
        predict = jax.vmap(partial(mlp1, activation=m.activation), in_axes=(0, None))
    elif m.name == "mlp":
        params = mlp_init(key, [d, *m.hidden, q], bias=m.bias, dtype=dtype)
        kw = {"lam": m.lam, "activation": m.activation, "loss": m.loss}
        objective, hand = partial(mlp_objective, **kw), partial(mlp_hand_value_and_grad, **kw)
        predict = jax.vmap(partial(mlp, activation=m.activation), in_axes=(0, None))
    else:
        params = jnp.zeros((q, d), dtype)
        objective, hand = linear_objective, _linear_value_and_grad
        predict = jax.vmap(linear, in_axes=(0, None))

    takes_key = False
    grad = cfg.train.grad
    if grad == "hand":
        value_and_grad = hand
    elif grad == "autodiff":
        value_and_grad = autodiff(objective)
    elif grad == "finite_difference":
        value_and_grad = gradient_free.finite_difference(
            objective, eps=cfg.train.fd_eps
        ).value_and_grad
    else:
        est = gradient_free.random_directions(
            objective, num_directions=cfg.train.num_directions, eps=cfg.train.fd_eps
        )
        value_and_grad, takes_key = est.value_and_grad, True

    o = cfg.optim
    if o.name == "sgd":
        rule = gd(o.lr)
    elif o.name == "momentum":
        rule = optax.sgd(o.lr, momentum=o.momentum)
    elif o.name == "adam":
        rule = optax.adam(o.lr)
    else:  # newton: η = lr · (∂²L/∂w²)⁻¹ for least squares, one block per output
        X = np.asarray(X_train, np.float64)
        H = 2 / X.shape[0] * X.T @ X
        rule = preconditioned_gd(o.lr * np.kron(np.eye(q), np.linalg.pinv(H)))
    B = o.batch_size
    sampler = (
        full_batch()
        if B == 0 or B >= X_train.shape[0]
        else per_sample()
        if B == 1
        else minibatch(B)
    )
    return Setup(data, X_train, Y_train, X_test, Y_test, params, objective, value_and_grad,
                 takes_key, predict, rule, sampler)  # fmt: skip
