"""Training on a mesh is the one-device run: same compiled loop, same numbers, the arrays split.

The conftest gives this process 4 CPU devices (``jax_num_cpu_devices``), so every split runs
here, in-process; only the two-process check launches ``python -m
handgrad.exercises.distributed`` twice over loopback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from functools import partial

import jax
import numpy as np
import pytest

import handgrad as hg
from handgrad.exercises.distributed import distributed_problem, process_rows
from handgrad.exercises.parallel import (
    make_mesh,
    param_sharding,
    shard_batch,
    shard_params,
    shard_shapes,
)
from helpers import compilations, mlp1_problem, rel_err

N, STEPS, LR, LAM = 4, 3, 0.1, 1e-2
D, H, Q, P = 6, 8, 3, 16
SPLITS = {  # name: (mesh shape, axis names, batch axis, model axis)
    "data": (N, "data", "data", None),
    "model": (N, "model", None, "model"),
    "data_and_model": ((2, 2), ("data", "model"), "data", "model"),
}
CASES = [
    (split, loss, bias, activation, source)
    for split in SPLITS
    for loss, bias, activation in (
        ("softmax_cross_entropy", False, "relu"),
        ("squared_error", True, "tanh"),
    )
    for source in ("hand", "autodiff")
]

pytestmark = pytest.mark.skipif(
    len(jax.devices()) < N, reason=f"needs {N} devices (the conftest asks for {N} CPU devices)"
)


def gradient_source(source, **kw):
    if source == "hand":
        return partial(hg.mlp1_hand_value_and_grad, **kw)
    return hg.autodiff(partial(hg.mlp1_objective, **kw))


def test_this_process_has_four_cpu_devices():
    assert len(jax.devices()) == N and jax.devices()[0].platform == "cpu"


@pytest.mark.parametrize("split, loss, bias, activation, source", CASES)
def test_every_split_trains_like_one_device(split, loss, bias, activation, source):
    shape, axes, batch_axis, model_axis = SPLITS[split]
    kw = {"lam": LAM, "activation": activation, "loss": loss}
    vg = gradient_source(source, **kw)
    params, X, Y = mlp1_problem(7, D, H, Q, P, bias=bias, loss=loss, dtype=np.float64)
    ref, ref_losses = hg.run_gd(
        partial(hg.mlp1_hand_value_and_grad, **kw), params, X, Y, lr=LR, steps=STEPS
    )

    mesh = make_mesh(shape, axes)
    split_params, Xs, Ys = (
        shard_params(params, mesh, model_axis),
        *shard_batch(X, Y, mesh, batch_axis),
    )
    final, losses = hg.run_gd(vg, split_params, Xs, Ys, lr=LR, steps=STEPS)
    assert rel_err(losses, ref_losses) < 1e-12
    assert all(rel_err(final[k], ref[k]) < 1e-12 for k in ref)

    rows = P // (mesh.shape[batch_axis] if batch_axis else 1)
    units = H // (mesh.shape[model_axis] if model_axis else 1)
    assert shard_shapes(Xs) == [(rows, D)] * N
    expected = {
        "W1": [(units, D)] * N,
        "W2": [(Q, units)] * N,
        **({"b1": [(units,)] * N} if bias else {}),
    }
    assert shard_shapes(final) == expected  # the run keeps the split it was given
    with compilations() as again:
        hg.run_gd(vg, split_params, Xs, Ys, lr=2 * LR, steps=STEPS)
    assert again.count == 0
    run = lambda p, X, Y: hg.run_gd(vg, p, X, Y, lr=LR, steps=STEPS)
    hlo = jax.jit(run).lower(split_params, Xs, Ys).compile().as_text()
    assert "all-reduce" in hlo, "XLA inserted no cross-device reduction"


def test_any_pytree_of_parameters_trains_data_parallel():
    layers = hg.mlp_init(jax.random.key(0), [D, 5, Q], dtype=np.float64)
    _, X, Y = mlp1_problem(
        8, D, H, Q, P, bias=False, loss="softmax_cross_entropy", dtype=np.float64
    )
    vg = partial(hg.mlp_hand_value_and_grad, lam=LAM)
    ref, _ = hg.run_sgd(vg, layers, X, Y, lr=LR, steps=5, key=jax.random.key(1), batch_size=8)
    mesh = make_mesh(N)
    final, _ = hg.run_sgd(vg, shard_params(layers, mesh), *shard_batch(X, Y, mesh), lr=LR, steps=5,
                          key=jax.random.key(1), batch_size=8)  # fmt: skip
    for a, b in zip(jax.tree_util.tree_leaves(final), jax.tree_util.tree_leaves(ref)):
        assert rel_err(a, b) < 1e-12


def test_indivisible_splits_and_missing_devices_are_clear_errors():
    params, X, Y = mlp1_problem(
        7, D, 6, Q, P, bias=False, loss="softmax_cross_entropy", dtype=np.float64
    )
    with pytest.raises(
        ValueError, match="the batch size P = 6 does not split evenly over the 4 devices"
    ):
        shard_batch(X[:6], Y[:6], make_mesh(N))
    with pytest.raises(ValueError, match="the hidden width h = 6 does not split evenly over the 4"):
        shard_params(params, make_mesh(N, "model"), "model")
    with pytest.raises(ValueError, match=f"asked for {N + 1} devices but JAX sees {N} "):
        make_mesh(N + 1)
    with pytest.raises(ValueError, match=r"asked for 8 devices .*jax_num_cpu_devices"):
        make_mesh((2, 4), ("data", "model"))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: make_mesh(0), "n_devices must be positive integers, got 0"),
        (lambda m: make_mesh((1, 1), "data"), r"needs 2 axis names, got \('data',\)"),
        (lambda m: shard_batch(np.zeros((4, 2)), np.zeros(4), m, axis="model"), r"the mesh has axes \('data',\), not 'model'"),
        (lambda m: shard_params({"W1": np.zeros((4, 2))}, m, "model"), "not 'model'"),
        (lambda m: shard_params([{"W": np.zeros((4, 2))}], m, "data"), "a dict of W1, W2, b1; got list"),
        (lambda m: param_sharding({"W1": 0, "W2": 0, "W3": 0}, m, "data"), r"splits W1, W2, b1 only; unexpected keys \['W3'\]"),
    ],
)  # fmt: skip
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(make_mesh(N))


def test_an_explicit_mesh_is_refused_by_name():
    # jax.make_mesh's default in jax 0.10 is AxisType.Explicit, under which the unmodified
    # loop's (∂J/∂Z)ᵀX would need an out_sharding per product.
    with pytest.raises(ValueError, match=r"must be AxisType.Auto \(make_mesh\), got \(Explicit,\)"):
        shard_batch(np.zeros((4, 2)), np.zeros(4), jax.make_mesh((N,), ("data",)))


def test_process_rows_on_one_process_is_the_whole_batch():
    assert process_rows(make_mesh(N), 16) == slice(0, 16)


# ------------------------------------------------------------------ 2 processes over loopback
STRICT_ENV = {  # the processes run as strictly as this suite
    "PYTHONWARNINGS": "error",
    "JAX_ENABLE_X64": "1",
    "JAX_NUMPY_RANK_PROMOTION": "raise",
    "JAX_NUMPY_DTYPE_PROMOTION": "strict",
}
TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one(tmp_path):
    steps, lr, lam = 4, 0.5, 1e-3
    out = tmp_path / "result.npz"
    common = ["-m", "handgrad.exercises.distributed", "--coordinator", f"localhost:{free_port()}",
              "--num-processes", "2", "--local-devices", "2", "--steps", str(steps), "--lr", str(lr),
              "--lam", str(lam)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | STRICT_ENV
    procs = [
        subprocess.Popen([sys.executable, *common, "--process-id", str(i), "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for i in (0, 1)
    ]  # fmt: skip
    try:
        results = [(*p.communicate(timeout=TIMEOUT), p.returncode) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for i, (_, err, rc) in enumerate(results):
        assert rc == 0, f"process {i} failed:\n{err[-5000:]}"
    summaries = [
        json.loads(next(line for line in out.splitlines() if line.startswith('{"process_id"')))
        for out, _, _ in results
    ]
    for i, s in enumerate(summaries):
        assert (s["process_id"], s["process_count"], s["global_devices"], s["local_devices"]) == (
            i,
            2,
            4,
            2,
        )
    params, X, Y = distributed_problem()
    half = X.shape[0] // 2
    assert [s["local_rows"] for s in summaries] == [
        [0, half],
        [half, 2 * half],
    ]  # each fed its rows
    assert summaries[1]["X_shard_shapes"] == [[half // 2, 2]] * 2

    # the oracle: the lecture's rule w ← w − η ∂J/∂w by jax.grad, step by step
    value_and_grad = jax.jit(jax.value_and_grad(partial(hg.mlp1_objective, lam=lam)))
    losses = []
    for _ in range(steps):
        J, g = value_and_grad(params, X, Y)
        losses.append(float(J))
        params = {k: params[k] - lr * g[k] for k in params}
    for s in summaries:
        np.testing.assert_allclose(s["losses"], losses, rtol=1e-12)
    with np.load(out) as saved:
        assert sorted(saved.files) == ["W1", "W2", "losses"]
        for k in params:
            np.testing.assert_allclose(saved[k], params[k], rtol=1e-12, atol=1e-15)
