"""Memory of a training step (d2l's exercise 3), measured, and what remat trades for it.

1. Training vs prediction memory of the deep MLP (hidden width 256, float32, ReLU) against
   depth and batch size: counted (what the hand backward keeps), kept by ``jax.grad``
   (``jax.vjp``'s residuals beyond the parameters) and allocated by XLA (the compiled step's
   temporaries).
2. Rematerialisation: ``jax.checkpoint`` every K hidden layers of an 8-layer MLP on a batch
   of 1024 — residuals and XLA temporaries against the time of one jitted value_and_grad
   step (median of ``--repeats`` calls, all variants interleaved in this one process; the
   time is reported as a ratio to the step without remat), and the matrix products in the
   program JAX emits and in the one XLA compiles from it (remat adds recomputation; a
   compiler may remove it again); then the same with the equal hidden layers as one
   ``lax.scan`` (``scan_objective``), where the checkpointed step survives compilation.

Run:  python benchmarks/bench_memory.py [--repeats 9] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

import handgrad as hg

MiB = 2**20


def scaling():
    rows = []
    for depth in (1, 2, 4, 8):
        for P in (32, 256, 1024):
            r = hg.measure_mlp_memory([64] + [256] * depth + [10], P)
            rows.append({"depth": depth, "batch": P, "counted_MiB": r.counted_training / MiB,
                         "kept_by_grad_MiB": (r.residuals - r.params) / MiB,
                         "xla_train_temp_MiB": r.xla_training["temporaries"] / MiB,
                         "counted_predict_MiB": r.counted_prediction / MiB,
                         "xla_predict_temp_MiB": r.xla_prediction["temporaries"] / MiB})
    return rows


def remat(repeats):
    widths, P = [64] + [256] * 8 + [10], 1024
    rng = np.random.default_rng(0)
    layers = hg.mlp_init(jax.random.key(0), widths, bias=True)
    X = jnp.asarray(rng.standard_normal((P, 64)), jnp.float32)
    Y = jnp.asarray(rng.integers(0, 10, P), jnp.int32)
    steps, rows = {}, []
    for every in (0, 1, 2, 4, 8):
        steps[every] = jax.jit(jax.value_and_grad(partial(hg.remat_objective, every=every)))
        jax.block_until_ready(steps[every](layers, X, Y))
    times = {k: [] for k in steps}
    for _ in range(repeats):
        for every, f in steps.items():
            t = time.perf_counter()
            jax.block_until_ready(f(layers, X, Y))
            times[every].append(time.perf_counter() - t)
    base = statistics.median(times[0])
    params_bytes = sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(layers))
    for every, f in steps.items():
        objective = partial(hg.remat_objective, every=every)  # every = 0: the same code, no remat
        lowered = f.lower(layers, X, Y)  # matrix products JAX emits, and what XLA keeps of them
        dots = (lowered.as_text().count("dot_general"), lowered.compile().as_text().count(" dot("))
        rows.append({"remat_every": every, "dots_emitted": dots[0], "dots_compiled": dots[1],
                     "kept_by_grad_MiB": (hg.residual_bytes(objective, layers, X, Y) - params_bytes) / MiB,
                     "xla_train_temp_MiB": hg.xla_memory(jax.value_and_grad(objective), layers, X, Y)["temporaries"] / MiB,
                     "step_ms": 1e3 * statistics.median(times[every]),
                     "time_ratio": statistics.median(times[every]) / base})
    return rows


def scan_remat(repeats):
    """The same 8 layers as one lax.scan (scan_objective), with and without a checkpointed step."""
    widths, P = [64] + [256] * 8 + [10], 1024
    rng = np.random.default_rng(0)
    layers = hg.mlp_init(jax.random.key(0), widths, bias=True)
    X = jnp.asarray(rng.standard_normal((P, 64)), jnp.float32)
    Y = jnp.asarray(rng.integers(0, 10, P), jnp.int32)
    steps = {remat: jax.jit(jax.value_and_grad(partial(hg.scan_objective, remat=remat))) for remat in (False, True)}
    for f in steps.values():
        jax.block_until_ready(f(layers, X, Y))
    times = {k: [] for k in steps}
    for _ in range(repeats):
        for remat, f in steps.items():
            t = time.perf_counter()
            jax.block_until_ready(f(layers, X, Y))
            times[remat].append(time.perf_counter() - t)
    base = statistics.median(times[False])
    rows = []
    for remat, f in steps.items():
        lowered = f.lower(layers, X, Y)
        rows.append({"remat": remat, "dots_emitted": lowered.as_text().count("dot_general"),
                     "dots_compiled": lowered.compile().as_text().count(" dot("),
                     "xla_train_temp_MiB": hg.xla_memory(jax.value_and_grad(partial(hg.scan_objective, remat=remat)),
                                                         layers, X, Y)["temporaries"] / MiB,
                     "step_ms": 1e3 * statistics.median(times[remat]),
                     "time_ratio": statistics.median(times[remat]) / base})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {"machine": f"{platform.machine()}, jax {jax.__version__}, {jax.devices()[0].platform}",
               "scaling": scaling(), "remat": remat(args.repeats), "scan_remat": scan_remat(args.repeats)}
    print(results["machine"])
    print("\n| hidden layers | batch | train: counted | kept by jax.grad | XLA temps | predict: counted | XLA temps |")
    print("|---|---|---|---|---|---|---|")
    for r in results["scaling"]:
        print(f"| {r['depth']} | {r['batch']} | {r['counted_MiB']:.2f} | {r['kept_by_grad_MiB']:.2f} | "
              f"{r['xla_train_temp_MiB']:.2f} | {r['counted_predict_MiB']:.2f} | {r['xla_predict_temp_MiB']:.2f} |")
    print("\n| remat every K layers (8 layers, batch 1024) | matmuls emitted → compiled | kept by jax.grad (MiB) "
          "| XLA temps (MiB) | step time / no remat |")
    print("|---|---|---|---|---|")
    for r in results["remat"]:
        label = "no remat" if r["remat_every"] == 0 else str(r["remat_every"])
        print(f"| {label} | {r['dots_emitted']} → {r['dots_compiled']} | {r['kept_by_grad_MiB']:.2f} | {r['xla_train_temp_MiB']:.2f} | {r['time_ratio']:.2f} |")
    print("\n| the 7 equal layers as one lax.scan (batch 1024) | matmuls emitted → compiled | XLA temps (MiB) "
          "| step time / no remat |")
    print("|---|---|---|---|")
    for r in results["scan_remat"]:
        label = "checkpointed scan step" if r["remat"] else "no remat"
        print(f"| {label} | {r['dots_emitted']} → {r['dots_compiled']} | {r['xla_train_temp_MiB']:.2f} | {r['time_ratio']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
