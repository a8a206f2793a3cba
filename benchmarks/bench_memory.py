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
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from timing import medians  # benchmarks/timing.py, beside this script

import handgrad as hg

MiB = 2**20


def scaling():
    rows = []
    for depth in (1, 2, 4, 8):
        for P in (32, 256, 1024):
            r = hg.exercises.measure_mlp_memory([64] + [256] * depth + [10], P)
            rows.append(
                {
                    "depth": depth,
                    "batch": P,
                    "counted_MiB": r.counted_training / MiB,
                    "kept_by_grad_MiB": (r.residuals - r.params) / MiB,
                    "xla_train_temp_MiB": r.xla_training["temporaries"] / MiB,
                    "counted_predict_MiB": r.counted_prediction / MiB,
                    "xla_predict_temp_MiB": r.xla_prediction["temporaries"] / MiB,
                }
            )
    return rows


def _problem():
    """8 hidden layers of 256 on a batch of 1024 random samples."""
    widths, P = [64] + [256] * 8 + [10], 1024
    rng = np.random.default_rng(0)
    layers = hg.mlp_init(jax.random.key(0), widths, bias=True)
    X = jnp.asarray(rng.standard_normal((P, 64)), jnp.float32)
    Y = jnp.asarray(rng.integers(0, 10, P), jnp.int32)
    return layers, X, Y


def _compare(objectives: dict, repeats: int) -> list[dict]:
    """Per objective: matrix products JAX emits and XLA compiles, what jax.grad keeps beyond the
    parameters, XLA's temporaries, and the step time as a ratio to the first objective's."""
    layers, X, Y = _problem()
    steps = {k: jax.jit(jax.value_and_grad(f)) for k, f in objectives.items()}
    t = medians({k: partial(f, layers, X, Y) for k, f in steps.items()}, repeats)
    base = t[next(iter(steps))]
    params_bytes = sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(layers))
    rows = []
    for k, f in steps.items():
        lowered = f.lower(layers, X, Y)
        rows.append(
            {
                "variant": k,
                "dots_emitted": lowered.as_text().count("dot_general"),
                "dots_compiled": lowered.compile().as_text().count(" dot("),
                "kept_by_grad_MiB": (
                    hg.exercises.residual_bytes(objectives[k], layers, X, Y) - params_bytes
                )
                / MiB,
                "xla_train_temp_MiB": hg.exercises.xla_memory(
                    jax.value_and_grad(objectives[k]), layers, X, Y
                )["temporaries"]
                / MiB,
                "step_ms": 1e3 * t[k],
                "time_ratio": t[k] / base,
            }
        )
    return rows


def remat(repeats):
    """jax.checkpoint every K of the 8 layers (remat_objective; K = 0: the same code, no remat)."""
    return _compare(
        {every: partial(hg.exercises.remat_objective, every=every) for every in (0, 1, 2, 4, 8)},
        repeats,
    )


def scan_remat(repeats):
    """The same 8 layers as one lax.scan (scan_objective), with and without a checkpointed step."""
    return _compare(
        {remat: partial(hg.exercises.scan_objective, remat=remat) for remat in (False, True)},
        repeats,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {
        "machine": f"{platform.machine()}, jax {jax.__version__}, {jax.devices()[0].platform}",
        "scaling": scaling(),
        "remat": remat(args.repeats),
        "scan_remat": scan_remat(args.repeats),
    }
    print(results["machine"])
    print(
        "\n| hidden layers | batch | train: counted | kept by jax.grad | XLA temps | predict: counted | XLA temps |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results["scaling"]:
        print(
            f"| {r['depth']} | {r['batch']} | {r['counted_MiB']:.2f} | {r['kept_by_grad_MiB']:.2f} | "
            f"{r['xla_train_temp_MiB']:.2f} | {r['counted_predict_MiB']:.2f} | {r['xla_predict_temp_MiB']:.2f} |"
        )
    print(
        "\n| remat every K layers (8 layers, batch 1024) | matmuls emitted → compiled | kept by jax.grad (MiB) "
        "| XLA temps (MiB) | step time / no remat |"
    )
    print("|---|---|---|---|---|")
    for r in results["remat"]:
        label = "no remat" if r["variant"] == 0 else str(r["variant"])
        print(
            f"| {label} | {r['dots_emitted']} → {r['dots_compiled']} | {r['kept_by_grad_MiB']:.2f} | {r['xla_train_temp_MiB']:.2f} | {r['time_ratio']:.2f} |"
        )
    print(
        "\n| the 7 equal layers as one lax.scan (batch 1024) | matmuls emitted → compiled | XLA temps (MiB) "
        "| step time / no remat |"
    )
    print("|---|---|---|---|")
    for r in results["scan_remat"]:
        label = "checkpointed scan step" if r["variant"] else "no remat"
        print(
            f"| {label} | {r['dots_emitted']} → {r['dots_compiled']} | {r['xla_train_temp_MiB']:.2f} | {r['time_ratio']:.2f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
