"""Data parallelism over several processes (hosts), each feeding only its own rows.

Every process runs this same program (JAX's multi-controller model). After
``jax.distributed.initialize`` connects them through a coordinator, ``jax.devices()``
lists the devices of *all* processes and ``jax.local_devices()`` those of this one; a
mesh over ``jax.devices()`` is global, and the data-parallel step of
``handgrad.exercises.parallel`` runs on it unchanged: XLA's all-reduce of the gradient now crosses
processes (over Gloo on CPU, NCCL on GPUs). Each process holds the batch rows of its
own devices only, and ``jax.make_array_from_process_local_data`` stitches those local
rows into one global array (P, d) split along ``"data"``.

Run two processes on one machine (each with 2 CPU devices: a 4-device mesh)::

    python -m handgrad.exercises.distributed --coordinator localhost:12345 --num-processes 2 \\
        --process-id 0 --local-devices 2 --out result.npz &
    python -m handgrad.exercises.distributed --coordinator localhost:12345 --num-processes 2 \\
        --process-id 1 --local-devices 2

>>> from handgrad.exercises.parallel import make_mesh
>>> process_rows(make_mesh(1), 8)
slice(0, 8, None)
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Sequence
from functools import partial

import jax
import numpy as np
from jax.sharding import Mesh
from jax.typing import ArrayLike

from handgrad.backprop.d2l import mlp1_hand_value_and_grad
from handgrad.data.synthetic import spirals
from handgrad.exercises.parallel import batch_sharding, make_mesh, shard_params, shard_shapes
from handgrad.models.mlp1 import mlp1_init
from handgrad.optim.loop import run_gd


def initialize(
    coordinator_address: str,
    num_processes: int,
    process_id: int,
    *,
    local_devices: int | None = None,
) -> None:
    """Joins this process to the others; call it first, before JAX touches a device.

    Args:
      coordinator_address: ``"host:port"`` of process 0, which runs the coordinator.
      num_processes: how many processes take part.
      process_id: this process's number, 0 … num_processes − 1.
      local_devices: on CPU, how many devices this process exposes (default 1).

    Raises:
      ValueError: for a process id out of range.
    """
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process_id must lie in 0..{num_processes - 1}, got {process_id}")
    if local_devices is not None:
        jax.config.update("jax_num_cpu_devices", local_devices)
    # Gloo carries the CPU collectives between processes: jax 0.10's default already,
    # named here so that the code does not depend on a default.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address, num_processes, process_id)


def process_rows(mesh: Mesh, P: int, axis: str = "data") -> slice:
    """The rows of a (P, …) batch split on ``axis`` that this process's devices hold.

    Raises:
      ValueError: if they are not one contiguous block (a mesh mixing processes).
    """
    index_map = batch_sharding(mesh, axis).addressable_devices_indices_map((P,))
    blocks = sorted({(r.start, r.stop) for r in (range(P)[i[0]] for i in index_map.values())})
    if any(a[1] != b[0] for a, b in itertools.pairwise(blocks)):
        raise ValueError(f"this process's devices hold the rows {blocks}, not one block")
    return slice(blocks[0][0], blocks[-1][1])


def global_batch(
    X_local: ArrayLike, Y_local: ArrayLike, mesh: Mesh, P: int, axis: str = "data"
) -> tuple[jax.Array, jax.Array]:
    """One global (X, Y) of P rows, split on ``axis``, from each process's own rows.

    ``X_local`` holds the rows ``process_rows(mesh, P)`` of the global batch.
    """
    sharding = batch_sharding(mesh, axis)
    X_local, Y_local = np.asarray(X_local), np.asarray(Y_local)
    X = jax.make_array_from_process_local_data(sharding, X_local, (P, *X_local.shape[1:]))
    Y = jax.make_array_from_process_local_data(sharding, Y_local, (P, *Y_local.shape[1:]))
    return X, Y


def distributed_problem(seed: int = 0, n_per_class: int = 16, h: int = 16):
    """The fixed problem the entry point trains: 3 spiral arms (P = 3·n_per_class, d = 2)
    and d2l's MLP (h hidden units, q = 3), as float64 NumPy arrays (params, X, Y)."""
    X, Y = spirals(n_per_class, 3, seed=seed)
    params = mlp1_init(jax.random.key(seed), d=2, h=h, q=3, dtype=np.float64)
    return {k: np.asarray(v) for k, v in params.items()}, X.astype(np.float64), Y


def main(argv: Sequence[str] | None = None) -> dict:
    """The entry point: joins the processes, trains, and process 0 writes ``--out``."""
    parser = argparse.ArgumentParser(
        prog="python -m handgrad.exercises.distributed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--coordinator", required=True, help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, required=True)
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--local-devices", type=int, default=1, help="CPU devices per process")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--out", help="where process 0 writes the final parameters (.npz)")
    args = parser.parse_args(argv)

    jax.config.update("jax_enable_x64", True)
    initialize(
        args.coordinator, args.num_processes, args.process_id, local_devices=args.local_devices
    )
    mesh = make_mesh()  # after initialize, jax.devices() lists every process's devices
    params, X_all, Y_all = distributed_problem()
    P = X_all.shape[0]
    rows = process_rows(mesh, P)
    # Every process makes the whole toy set; a real job would load only ``rows``.
    X, Y = global_batch(X_all[rows], Y_all[rows], mesh, P)
    hand = partial(mlp1_hand_value_and_grad, lam=args.lam)
    final, losses = run_gd(hand, shard_params(params, mesh), X, Y, lr=args.lr, steps=args.steps)
    losses = np.asarray(losses)
    summary = {
        "process_id": jax.process_index(),
        "process_count": jax.process_count(),
        "global_devices": len(jax.devices()),
        "local_devices": len(jax.local_devices()),
        "local_rows": [rows.start, rows.stop],
        "X_shard_shapes": shard_shapes(X),
        "losses": losses.tolist(),
    }
    if args.out and jax.process_index() == 0:
        np.savez(args.out, losses=losses, **{k: np.asarray(v) for k, v in final.items()})
    print(json.dumps(summary), flush=True)
    jax.distributed.shutdown()
    return summary


if __name__ == "__main__":
    main()
