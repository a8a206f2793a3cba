"""Splitting the step across devices (``handgrad.exercises.parallel``) and processes
(``handgrad.exercises.distributed``) changes nothing but where the numbers live.

This process's JAX has one CPU device, so the 4-device checks run in a subprocess
(``parallel_checks.py``) and the two-process check launches two
``python -m handgrad.exercises.distributed`` over loopback; the error messages that one device can
show are tested here.
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
    data_parallel_step,
    make_mesh,
    model_parallel_step,
    parallel_sgd_step,
    sgd_update,
    shard_batch,
    shard_mlp1_params,
    shard_shapes,
)
from helpers import mlp1_problem, rel_err

HERE = os.path.dirname(__file__)
TIMEOUT = 120
STRICT_ENV = {  # the subprocesses run as strictly as this suite
    "PYTHONWARNINGS": "error",
    "JAX_ENABLE_X64": "1",
    "JAX_NUMPY_RANK_PROMOTION": "raise",
    "JAX_NUMPY_DTYPE_PROMOTION": "strict",
}


def launch(args, **kwargs):
    env = {**os.environ, **STRICT_ENV}
    env.pop("XLA_FLAGS", None)  # the device counts are set by the programs themselves
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def finish(procs):
    """Waits for every process; on a timeout kills them all. Returns [(rc, out, err)]."""
    outputs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            outputs.append((p.returncode, out, err))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
        details = [p.communicate()[1][-3000:] for p in procs]
        pytest.fail(f"timed out after {TIMEOUT} s; stderr:\n" + "\n---\n".join(details))
    return outputs


# ------------------------------------------------------------------ 4 devices, one process
@pytest.fixture(scope="module")
def four_devices():
    [(rc, out, err)] = finish([launch([os.path.join(HERE, "parallel_checks.py")])])
    assert rc == 0, err[-5000:]
    return json.loads(out.strip().splitlines()[-1])


def test_the_checks_ran_on_four_devices(four_devices):
    assert four_devices["devices"] == 4
    assert len(four_devices["results"]) == 12


def test_every_split_equals_the_one_device_step(four_devices):
    for name, r in four_devices["results"].items():
        assert r["max_rel_err"] < 1e-12, name
        assert r["all_reduce"], f"{name}: XLA inserted no cross-device reduction"
        assert r["compilations"] == 1, f"{name}: the step recompiled"


def test_the_batch_rows_are_split_across_devices(four_devices):
    assert four_devices["batch_shards"] == {"X": [[4, 6]] * 4, "Y": [[4]] * 4}
    assert four_devices["batch_devices"] == 4
    r = four_devices["results"]
    assert r["data/squared_error/hand"]["batch_shards"] == [[4, 6]] * 4  # P/4 rows each
    assert r["model/squared_error/hand"]["batch_shards"] == [[16, 6]] * 4  # every device has all
    assert r["data_and_model/squared_error/hand"]["batch_shards"] == [[8, 6]] * 4  # P/2 each


def test_the_hidden_layer_is_split_across_devices(four_devices):
    assert four_devices["model_shards"] == {"W1": [[2, 6]] * 4, "W2": [[3, 2]] * 4, "b1": [[2]] * 4}
    r = four_devices["results"]
    data, model, both = (r[f"{s}/squared_error/hand"] for s in ("data", "model", "data_and_model"))
    assert data["param_shards"] == {
        "W1": [[8, 6]] * 4,
        "W2": [[3, 8]] * 4,
        "b1": [[8]] * 4,
    }  # copies
    assert model["param_shards"] == {"W1": [[2, 6]] * 4, "W2": [[3, 2]] * 4, "b1": [[2]] * 4}  # h/4
    assert both["param_shards"] == {"W1": [[4, 6]] * 4, "W2": [[3, 4]] * 4, "b1": [[4]] * 4}  # h/2
    assert model["param_devices"] == {"W1": 4, "W2": 4, "b1": 4}


def test_indivisible_splits_are_clear_errors(four_devices):
    e = four_devices["errors"]
    assert e["indivisible_batch"].startswith(
        "the batch size P = 6 does not split evenly over the 4 devices"
    )
    assert e["indivisible_batch_step"] == e["indivisible_batch"]
    assert e["indivisible_hidden"].startswith(
        "the hidden width h = 6 does not split evenly over the 4"
    )
    assert e["indivisible_hidden_step"] == e["indivisible_hidden"]
    assert e["too_many_devices"].startswith("asked for 5 devices but JAX sees 4")


# ------------------------------------------------------------------ this process, 1 device
def test_asking_for_more_devices_than_exist_names_how_many_exist():
    n = len(jax.devices())
    with pytest.raises(ValueError, match=f"asked for {n + 1} devices but JAX sees {n} "):
        make_mesh(n + 1)
    with pytest.raises(ValueError, match=r"asked for 4 devices .*jax_num_cpu_devices"):
        make_mesh((2, 2), ("data", "model"))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: make_mesh(0), "n_devices must be positive integers, got 0"),
        (lambda m: make_mesh((1, 1), "data"), r"needs 2 axis names, got \('data',\)"),
        (
            lambda m: data_parallel_step(m, lr=0.1, axis="model"),
            r"the mesh has axes \('data',\), not 'model'",
        ),
        (
            lambda m: parallel_sgd_step(m, lr=0.1, batch_axis="data", model_axis="data"),
            "must differ",
        ),
        (lambda m: data_parallel_step(m, lr=-1.0), "learning rate must be a finite number > 0"),
        (
            lambda m: shard_mlp1_params({"W1": np.zeros((2, 2))}, m, mode="tensor"),
            "unknown mode 'tensor'",
        ),
        (lambda m: shard_batch(np.zeros((4, 2)), np.zeros(4), m, axis="model"), "not 'model'"),
    ],
)
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(make_mesh(1))


def test_an_explicit_mesh_is_refused_by_name():
    # jax.make_mesh's default in jax 0.10 is AxisType.Explicit, under which the unmodified
    # step's (∂J/∂Z)ᵀX would need an out_sharding per product.
    with pytest.raises(ValueError, match=r"must be AxisType.Auto \(make_mesh\), got \(Explicit,\)"):
        data_parallel_step(jax.make_mesh((1,), ("data",)), lr=0.1)


def test_model_parallelism_names_the_keys_it_cannot_split():
    mesh = make_mesh(1, "model")
    params = {"W1": np.zeros((2, 2)), "W2": np.zeros((1, 2)), "W3": np.zeros((1, 1))}
    with pytest.raises(ValueError, match=r"splits W1, W2, b1 only; unexpected keys \['W3'\]"):
        shard_mlp1_params(params, mesh, mode="model")


@pytest.mark.parametrize("split", ["data", "model"])
def test_a_one_device_mesh_gives_the_plain_step(split):
    kw = {"lam": 1e-2, "activation": "relu", "loss": "softmax_cross_entropy"}
    params, X, Y = mlp1_problem(3, 4, 8, 3, 12, bias=True, loss=kw["loss"], dtype=np.float64)
    make = data_parallel_step if split == "data" else model_parallel_step
    step = make(make_mesh(1, split), lr=0.1, **kw)
    single = jax.jit(partial(sgd_update, partial(hg.mlp1_hand_value_and_grad, **kw), 0.1))
    (J, new), (J_ref, ref) = step(params, X, Y), single(params, X, Y)
    assert rel_err(J, J_ref) < 1e-12
    assert all(rel_err(new[k], ref[k]) < 1e-12 for k in ref)
    assert shard_shapes(new) == {"W1": [(8, 4)], "W2": [(3, 8)], "b1": [(8,)]}


# ------------------------------------------------------------------ 2 processes over loopback
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one(tmp_path):
    steps, lr, lam = 4, 0.5, 1e-3
    out = tmp_path / "result.npz"
    port = free_port()
    common = ["-m", "handgrad.exercises.distributed", "--coordinator", f"localhost:{port}", "--num-processes", "2",
              "--local-devices", "2", "--steps", str(steps), "--lr", str(lr), "--lam", str(lam)]  # fmt: skip
    procs = [launch([*common, "--process-id", str(i), "--out", str(out)]) for i in (0, 1)]
    results = finish(procs)
    for i, (rc, _, err) in enumerate(results):
        assert rc == 0, f"process {i} failed:\n{err[-5000:]}"
    summaries = [
        json.loads(next(ln for ln in o.splitlines() if ln.startswith('{"process_id"')))
        for _, o, _ in results
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

    single = jax.jit(partial(sgd_update, partial(hg.mlp1_hand_value_and_grad, lam=lam), lr))
    losses = []
    for _ in range(steps):
        J, params = single(params, X, Y)
        losses.append(float(J))
    np.testing.assert_allclose(summaries[0]["losses"], losses, rtol=1e-12)
    np.testing.assert_allclose(summaries[1]["losses"], losses, rtol=1e-12)
    with np.load(out) as saved:
        assert sorted(saved.files) == ["W1", "W2", "losses"]
        for k in params:
            np.testing.assert_allclose(saved[k], params[k], rtol=1e-12, atol=1e-15)


def test_process_rows_on_one_device_is_the_whole_batch():
    assert process_rows(make_mesh(1), 10) == slice(0, 10)
