"""Splitting gradient descent across devices (d2l's exercise 5), with JAX's own machinery.

A device mesh names its axes; a ``NamedSharding(mesh, PartitionSpec(...))`` says which
array axis is cut along which mesh axis. Training on a mesh is the *same* compiled run as on
one device — ``handgrad.run_gd``, ``run_sgd`` or ``run`` — given inputs placed here: ``jax.jit``
compiles the loop for the split arrays, and XLA inserts the communication the maths needs.

- **Data parallel** (mesh axis ``"data"``): the batch rows are split, X → P("data", None),
  Y → P("data"); the parameters are replicated. Each device computes its rows' part of
  ∂J/∂W = (∂J/∂Z)ᵀX, and the sum over p (the 1/P mean) becomes an all-reduce across
  devices. Nothing else changes: the run equals the one-device run.
- **Model parallel** (mesh axis ``"model"``), for d2l's MLP: the hidden layer is split.
  W⁽¹⁾ (h, d) by rows → P("model", None), W⁽²⁾ (q, h) by columns → P(None, "model"),
  b⁽¹⁾ → P("model"). Each device holds h/n hidden units: Z, H and ∂J/∂Z, ∂J/∂W⁽¹⁾,
  ∂J/∂W⁽²⁾ stay local; only O = H W⁽²⁾ᵀ (a sum over h) and the penalty ‖W‖²_F are
  all-reduced.

The mesh axes are ``AxisType.Auto`` (``jax.make_mesh`` defaults to ``Explicit`` in jax
0.10): the loop is the unmodified one-device code, and XLA's sharding propagation lays
out every intermediate from the shardings of the inputs.

>>> mesh = make_mesh(1)
>>> mesh.shape["data"]
1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from jax.typing import ArrayLike

from handgrad._validate import as_int

# How each leaf of d2l's MLP is cut when the hidden layer is split over mesh axis ``a``.
_MODEL_SPECS = {"W1": lambda a: P(a, None), "W2": lambda a: P(None, a), "b1": lambda a: P(a)}


def _mesh_shape(n_devices) -> tuple[int, ...]:
    """The mesh shape as Python ints, from one count or a sequence of them (NumPy's too)."""
    counts = n_devices if isinstance(n_devices, Sequence) else (n_devices,)
    if isinstance(n_devices, np.ndarray) and n_devices.ndim == 1:
        counts = tuple(n_devices)
    try:
        return tuple(as_int("n_devices", n) for n in counts)
    except ValueError:
        raise ValueError(f"n_devices must be positive integers, got {n_devices!r}") from None


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
    shape = _mesh_shape(available if n_devices is None else n_devices)
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
    """The devices along ``axis`` (1 for None), after checking the mesh is one the loop runs on."""
    if any(t != AxisType.Auto for t in mesh.axis_types):  # Explicit needs per-op out_sharding
        raise ValueError(f"the mesh axes must be AxisType.Auto (make_mesh), got {mesh.axis_types}")
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


def param_sharding(params: Any, mesh: Mesh, axis: str | None = None) -> Any:
    """Shardings of the parameters: every leaf replicated (``axis=None``, any pytree), or
    d2l's hidden layer split on ``axis``: W1 by rows, W2 by columns, b1 by entries."""
    _axis_size(mesh, axis)
    if axis is None:
        return jax.tree_util.tree_map(lambda _: NamedSharding(mesh, P()), params)
    if not isinstance(params, Mapping):
        raise ValueError(
            f"model parallelism splits d2l's MLP, a dict of W1, W2, b1; got {type(params).__name__}"
        )
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


def shard_params(params: Any, mesh: Mesh, axis: str | None = None) -> Any:
    """Places the parameters on the mesh: replicated (``axis=None``), or d2l's hidden layer
    split on ``axis`` — W1 by rows, W2 by columns, b1 by entries, h/n hidden units a device.

    Raises:
      ValueError: for an axis the mesh lacks, keys other than W1, W2, b1 when splitting, or
        an h not divisible by the devices on ``axis``.
    """
    shardings = param_sharding(params, mesh, axis)
    if axis is not None:
        _check_split("the hidden width h", np.shape(params["W1"])[0], mesh, axis)
    return jax.device_put(params, shardings)


def shard_shapes(tree: Any) -> Any:
    """The shape of the piece each device holds, per leaf: the witness of a split.

    >>> import jax.numpy as jnp
    >>> shard_shapes({"W1": jnp.zeros((4, 2))})
    {'W1': [(4, 2)]}
    """
    return jax.tree_util.tree_map(lambda a: [s.data.shape for s in a.addressable_shards], tree)
