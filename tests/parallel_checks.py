"""The 4-device checks of ``handgrad.exercises.parallel``, run by ``test_parallel.py`` in a subprocess.

JAX fixes the number of CPU devices when its backend starts, and the test process has
started its own with one device; this script asks for 4 before anything touches a device,
runs every split against the one-device step, and prints one JSON summary for the test.

Run:  python tests/parallel_checks.py
"""

from __future__ import annotations

import json
from functools import partial

import jax
import numpy as np

import handgrad as hg
from handgrad.exercises.parallel import (
    make_mesh,
    parallel_sgd_step,
    sgd_update,
    shard_batch,
    shard_mlp1_params,
    shard_shapes,
)
from helpers import mlp1_problem, rel_err

N, STEPS, LR, LAM = 4, 3, 0.1, 1e-2
D, H, Q, P = 6, 8, 3, 16

SPLITS = {  # name: (mesh shape, axis names, batch_axis, model_axis)
    "data": (N, "data", "data", None),
    "model": (N, "model", None, "model"),
    "data_and_model": ((2, 2), ("data", "model"), "data", "model"),
}


def compare(split, loss, bias, activation, oracle):
    """Max relative error over STEPS steps of the split step against the one-device hand step."""
    shape, axes, batch_axis, model_axis = SPLITS[split]
    kw = {"lam": LAM, "activation": activation, "loss": loss}
    if oracle == "autodiff":
        vg = jax.value_and_grad(partial(hg.mlp1_objective, **kw))
    else:
        vg = partial(hg.mlp1_hand_value_and_grad, **kw)
    traces = []

    def counted(params, X, Y):  # runs only while jit traces the step
        traces.append(1)
        return vg(params, X, Y)

    step = parallel_sgd_step(
        make_mesh(shape, axes), lr=LR, batch_axis=batch_axis, model_axis=model_axis,
        value_and_grad_fn=counted, **kw,
    )  # fmt: skip
    single = jax.jit(partial(sgd_update, partial(hg.mlp1_hand_value_and_grad, **kw), LR))
    params, X, Y = mlp1_problem(7, D, H, Q, P, bias=bias, loss=loss, dtype=np.float64)
    ref, par, err = params, params, 0.0
    for _ in range(STEPS):
        (J_ref, ref), (J_par, par) = single(ref, X, Y), step(par, X, Y)
        err = max(err, rel_err(J_ref, J_par), *(rel_err(ref[k], par[k]) for k in ref))
    traced = len(traces)  # before lower() below traces once more
    compiled = step.jitted.lower(*step.place(params, X, Y)).compile().as_text()
    return {
        "max_rel_err": err,
        "batch_shards": shard_shapes(step.place(params, X, Y)[1]),
        "param_shards": shard_shapes(par),
        "param_devices": {k: len({s.device for s in v.addressable_shards}) for k, v in par.items()},
        "all_reduce": "all-reduce" in compiled,
        "compilations": traced,  # one trace for STEPS calls: no recompiling
    }


def error_message(fn) -> str:
    try:
        fn()
    except ValueError as err:
        return str(err)
    return "no error"


def main() -> None:
    jax.config.update("jax_num_cpu_devices", N)  # before the backend starts
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_numpy_rank_promotion", "raise")
    jax.config.update("jax_numpy_dtype_promotion", "strict")
    results = {}
    for split in SPLITS:
        for loss, bias, activation in (
            ("softmax_cross_entropy", False, "relu"),
            ("squared_error", True, "tanh"),
        ):
            for oracle in ("hand", "autodiff"):
                results[f"{split}/{loss}/{oracle}"] = compare(split, loss, bias, activation, oracle)
    params, X, Y = mlp1_problem(
        7, D, H, Q, P, bias=True, loss="softmax_cross_entropy", dtype=np.float64
    )
    Xs, Ys = shard_batch(X, Y, make_mesh(N))
    odd_params, _, _ = mlp1_problem(
        7, D, 6, Q, P, bias=False, loss="softmax_cross_entropy", dtype=np.float64
    )
    summary = {
        "devices": len(jax.devices()),
        "results": results,
        "batch_shards": shard_shapes({"X": Xs, "Y": Ys}),
        "batch_devices": len({s.device for s in Xs.addressable_shards}),
        "model_shards": shard_shapes(
            shard_mlp1_params(params, make_mesh(N, "model"), mode="model")
        ),
        "errors": {
            "indivisible_batch": error_message(lambda: shard_batch(X[:6], Y[:6], make_mesh(N))),
            "indivisible_batch_step": error_message(
                lambda: parallel_sgd_step(make_mesh(N), lr=LR)(params, X[:6], Y[:6])
            ),
            "indivisible_hidden": error_message(
                lambda: shard_mlp1_params(odd_params, make_mesh(N, "model"), mode="model")
            ),
            "indivisible_hidden_step": error_message(
                lambda: parallel_sgd_step(
                    make_mesh(N, "model"), lr=LR, batch_axis=None, model_axis="model"
                )(odd_params, X, Y)
            ),
            "too_many_devices": error_message(lambda: make_mesh(N + 1)),
        },
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
