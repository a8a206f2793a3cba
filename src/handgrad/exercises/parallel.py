"""Splitting one SGD step across devices (d2l's exercise 5), with JAX's own machinery.

A device mesh names its axes; a ``NamedSharding(mesh, PartitionSpec(...))`` says which
array axis is cut along which mesh axis; ``jax.jit`` compiles the *same* step for the
split arrays, and XLA inserts the communication the maths needs.

- **Data parallel** (mesh axis ``"data"``): the batch rows are split, X → P("data", None),
  Y → P("data"); the parameters are replicated. Each device computes its rows' part of
  ∂J/∂W = (∂J/∂Z)ᵀX, and the sum over p (the 1/P mean) becomes an all-reduce across
  devices. Nothing else changes: the step equals the one-device step.
- **Model parallel** (mesh axis ``"model"``), for d2l's MLP: the hidden layer is split.
  W⁽¹⁾ (h, d) by rows → P("model", None), W⁽²⁾ (q, h) by columns → P(None, "model"),
  b⁽¹⁾ → P("model"). Each device holds h/n hidden units: Z, H and ∂J/∂Z, ∂J/∂W⁽¹⁾,
  ∂J/∂W⁽²⁾ stay local; only O = H W⁽²⁾ᵀ (a sum over h) and the penalty ‖W‖²_F are
  all-reduced.

The mesh axes are ``AxisType.Auto`` (``jax.make_mesh`` defaults to ``Explicit`` in jax
0.10): the step is the unmodified one-device code, and XLA's sharding propagation lays
out every intermediate from the shardings of the inputs and the pinned outputs.

>>> mesh = make_mesh(1)
>>> mesh.shape["data"]
1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import numpy as np
import optax
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from jax.typing import ArrayLike

from handgrad._validate import check_lr
from handgrad.backprop.d2l import mlp1_hand_value_and_grad
from handgrad.optim.rules import gd

# How each leaf of d2l's MLP is cut when the hidden layer is split over mesh axis ``a``.
_MODEL_SPECS = {"W1": lambda a: P(a, None), "W2": lambda a: P(None, a), "b1": lambda a: P(a)}


def make_mesh(
    n_devices: int | Sequence[int] | None = None, axis: str | Sequence[str] = "data"
) -> Mesh:
    """A mesh over the first ``n_devices`` of ``jax.devices()`` (every process's devices).

    Args:
      n_devices: how many devices (default: all); a tuple such as ``(2, 2)`` makes a
        2-D mesh, with one name per entry in ``axis``.
      axis: the mesh axis name, or names for a 2-D mesh, e.g. ``("data", "model")``.

    Raises:
      ValueError: when more devices are asked for than exist, naming how many exist.
    """
    names = (axis,) if isinstance(axis, str) else tuple(axis)
    available = len(jax.devices())
    shape = available if n_devices is None else n_devices
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in shape):
        raise ValueError(f"n_devices must be positive integers, got {n_devices!r}")
    if len(shape) != len(names):
        raise ValueError(f"a mesh of shape {shape} needs {len(shape)} axis names, got {names}")
    wanted = int(np.prod(shape))
    if wanted > available:
        raise ValueError(
            f"asked for {wanted} devices but JAX sees {available} ({jax.devices()[0].platform}); "
            "on CPU set XLA_FLAGS=--xla_force_host_platform_device_count=N or "
            'jax.config.update("jax_num_cpu_devices", N) before JAX starts'
        )
    auto = (AxisType.Auto,) * len(names)
    return jax.make_mesh(shape, names, axis_types=auto, devices=jax.devices()[:wanted])


def _axis_size(mesh: Mesh, axis: str | None) -> int:
    if axis is None:
        return 1
    if axis not in mesh.axis_names:
        raise ValueError(f"the mesh has axes {mesh.axis_names}, not {axis!r}")
    return mesh.shape[axis]


def _check_split(what: str, size: int, mesh: Mesh, axis: str | None) -> None:
    n = _axis_size(mesh, axis)
    if size % n:
        raise ValueError(
            f"{what} = {size} does not split evenly over the {n} devices of mesh axis "
            f"{axis!r}; use a multiple of {n}"
        )


def batch_sharding(mesh: Mesh, axis: str | None = "data") -> NamedSharding:
    """The sharding of X (P, d) and Y (P,) or (P, q): rows split on ``axis`` (None: copies)."""
    _axis_size(mesh, axis)
    return NamedSharding(mesh, P(axis))


def mlp1_param_sharding(params: Any, mesh: Mesh, axis: str | None = None) -> Any:
    """Shardings of the parameters: every leaf replicated (``axis=None``, any pytree), or
    d2l's hidden layer split on ``axis``: W1 by rows, W2 by columns, b1 by entries."""
    if axis is None:
        return jax.tree_util.tree_map(lambda _: NamedSharding(mesh, P()), params)
    _axis_size(mesh, axis)
    unknown = sorted(set(params) - set(_MODEL_SPECS))
    if unknown:
        raise ValueError(f"model parallelism splits W1, W2, b1 only; unexpected keys {unknown}")
    return {k: NamedSharding(mesh, _MODEL_SPECS[k](axis)) for k in params}


def shard_batch(
    X: ArrayLike, Y: ArrayLike, mesh: Mesh, axis: str | None = "data"
) -> tuple[jax.Array, jax.Array]:
    """Places (X, Y) on the mesh, the rows split along ``axis``: P/n rows per device.

    Raises:
      ValueError: if the number of samples P is not divisible by the devices on ``axis``.
    """
    _check_split("the batch size P", np.shape(X)[0] if np.ndim(X) else 0, mesh, axis)
    return jax.device_put((X, Y), batch_sharding(mesh, axis))


def shard_mlp1_params(
    params: Mapping[str, ArrayLike], mesh: Mesh, mode: str = "data", axis: str = "model"
) -> dict[str, jax.Array]:
    """Places d2l's MLP parameters on the mesh.

    Args:
      params: ``{"W1": (h, d), "W2": (q, h)}`` and optionally ``"b1": (h,)``.
      mesh: the device mesh.
      mode: ``"data"`` replicates every leaf; ``"model"`` splits the hidden layer on
        ``axis``: W1 by rows, W2 by columns, b1 by entries (h/n hidden units per device).
      axis: the mesh axis of the split in ``"model"`` mode.

    Raises:
      ValueError: for an unknown mode, or an h not divisible by the devices on ``axis``.
    """
    if mode not in ("data", "model"):
        raise ValueError(f"unknown mode {mode!r}; expected 'data' or 'model'")
    split = axis if mode == "model" else None
    if split is not None:
        _check_split("the hidden width h", params["W1"].shape[0], mesh, split)
    return jax.device_put(params, mlp1_param_sharding(params, mesh, split))


def shard_shapes(tree: Any) -> Any:
    """The shape of the piece each device holds, per leaf: the witness of a split.

    >>> import jax.numpy as jnp
    >>> shard_shapes({"W1": jnp.zeros((4, 2))})
    {'W1': [(4, 2)]}
    """
    return jax.tree_util.tree_map(lambda a: [s.data.shape for s in a.addressable_shards], tree)


def sgd_update(value_and_grad_fn: Callable, lr: ArrayLike, params: Any, X: Any, Y: Any):
    """One SGD step, w ← w − η ∂J/∂w (``handgrad.gd``): returns (J, new params)."""
    J, grads = value_and_grad_fn(params, X, Y)
    rule = gd(lr)
    updates, _ = rule.update(grads, rule.init(params))
    return J, optax.apply_updates(params, updates)


@dataclass(frozen=True)
class ParallelStep:
    """A compiled SGD step on a mesh: ``step(params, X, Y) -> (J, new params)``.

    Calling it checks the split, places the inputs on the mesh (a no-op when they are
    there already) and runs ``jitted``; J comes back replicated and the new parameters
    with the sharding the parameters went in with.
    """

    mesh: Mesh
    batch_axis: str | None
    model_axis: str | None
    jitted: Callable

    def __call__(self, params: Any, X: ArrayLike, Y: ArrayLike) -> tuple[jax.Array, Any]:
        return self.jitted(*self.place(params, X, Y))

    def place(self, params: Any, X: ArrayLike, Y: ArrayLike) -> tuple[Any, jax.Array, jax.Array]:
        """(params, X, Y) checked and put on the mesh with this step's shardings."""
        X, Y = shard_batch(X, Y, self.mesh, self.batch_axis)
        if self.model_axis is None:  # replicated: any pytree of parameters
            return jax.device_put(params, mlp1_param_sharding(params, self.mesh)), X, Y
        return shard_mlp1_params(params, self.mesh, "model", self.model_axis), X, Y


def parallel_sgd_step(
    mesh: Mesh,
    *,
    lr: ArrayLike,
    batch_axis: str | None = "data",
    model_axis: str | None = None,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    value_and_grad_fn: Callable | None = None,
) -> ParallelStep:
    """One SGD step of d2l's MLP split over ``mesh``: batch rows, hidden units, or both.

    The step is w ← w − η ∂J/∂w with (J, ∂J/∂w) from ``value_and_grad_fn(params, X, Y)``,
    by default ``mlp1_hand_value_and_grad`` with ``lam``, ``activation`` and ``loss``
    (these three configure the default only). It equals the one-device step
    ``sgd_update`` up to the order of floating-point sums.

    Args:
      mesh: from ``make_mesh``; a 2-D ``("data", "model")`` mesh does both splits.
      lr: the learning rate η > 0.
      batch_axis: the mesh axis the batch rows are split on (None: every device has all).
      model_axis: the mesh axis d2l's hidden layer is split on (None: replicated).

    Raises:
      ValueError: for an axis the mesh lacks or one that is not ``Auto``, or (when
        called) a batch size or width h that does not divide evenly over its axis.
    """
    check_lr(lr)
    if any(t != AxisType.Auto for t in mesh.axis_types):  # Explicit needs per-op out_sharding
        raise ValueError(f"the mesh axes must be AxisType.Auto (make_mesh), got {mesh.axis_types}")
    _axis_size(mesh, batch_axis)
    _axis_size(mesh, model_axis)
    if batch_axis is not None and batch_axis == model_axis:
        raise ValueError(f"batch_axis and model_axis must differ, both are {batch_axis!r}")
    if value_and_grad_fn is None:
        value_and_grad_fn = partial(
            mlp1_hand_value_and_grad, lam=lam, activation=activation, loss=loss
        )

    def step(params, X, Y):
        J, new = sgd_update(value_and_grad_fn, lr, params, X, Y)
        keep = mlp1_param_sharding(params, mesh, model_axis)
        J = jax.lax.with_sharding_constraint(J, NamedSharding(mesh, P()))
        return J, jax.lax.with_sharding_constraint(new, keep)

    return ParallelStep(mesh, batch_axis, model_axis, jax.jit(step))


def data_parallel_step(mesh: Mesh, *, lr: ArrayLike, axis: str = "data", **kw) -> ParallelStep:
    """``parallel_sgd_step`` with the batch split on ``axis``, the parameters replicated."""
    return parallel_sgd_step(mesh, lr=lr, batch_axis=axis, model_axis=None, **kw)


def model_parallel_step(mesh: Mesh, *, lr: ArrayLike, axis: str = "model", **kw) -> ParallelStep:
    """``parallel_sgd_step`` with d2l's hidden layer split on ``axis``, the batch copied."""
    return parallel_sgd_step(mesh, lr=lr, batch_axis=None, model_axis=axis, **kw)
