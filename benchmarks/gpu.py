"""Accelerator benchmark: matmul rate, a large MLP training step, and digits against PyTorch.

Runs on whatever device JAX finds first (CPU here; an NVIDIA GPU with the CUDA build of JAX,
``pip install -U "jax[cuda12]"``, and PyTorch's CUDA wheel for the PyTorch column). Measures:

1. GEMM: an n × n × n matmul under ``jit`` (n = 8192), in TFLOP/s, at float32 with
   precision HIGHEST, at float32 under ``jax.default_matmul_precision("tensorfloat32")``
   (TF32; on a CPU the same as float32) and with bfloat16 inputs.
2. The large MLP step: d2l's MLP without bias, batch 8192, 1024 → 4096 → 1024, ReLU,
   softmax cross-entropy, λ = 1e-4, one GD step (forward, backward, update) jitted whole,
   with the hand gradient and with ``jax.grad``, in the TF32 context. Target: ≥ 80 % of the
   TF32 GEMM rate.
3. Digits (1797 × 64, standardised), MLP 64 → 256 → 10, λ = 1e-4, η = 0.1: full-batch GD,
   per-sample SGD and minibatch-128 SGD, µs per step, handgrad's compiled ``lax.scan`` against
   idiomatic PyTorch eager on its own device. Target on a GPU: full batch ≥ 20× PyTorch.
4. Compile times: the first call (lower and compile) of every jitted function, apart.

Every step time is the median of ``--repeats`` calls, the contenders interleaved
(``timing.medians``). Float32 throughout, bar the bfloat16 GEMM.

Run:  python benchmarks/gpu.py [--repeats 5] [--n 8192] [--json results.json]
      python benchmarks/gpu.py --toy    # tiny sizes, a few seconds on a CPU (what CI runs)
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from timing import medians  # benchmarks/timing.py, beside this script
from workload import digits as digits_data
from workload import torch_mlp

import handgrad as hg

LAM, LR, DIGITS_HIDDEN, DIGITS_BATCH = 1e-4, 0.1, 256, 128
FULL = dict(n=8192, mlp=(8192, 1024, 4096, 1024), steps=(200, 2000, 500), repeats=5)
TOY = dict(n=256, mlp=(64, 32, 64, 16), steps=(5, 20, 10), repeats=1)
# name → (input dtype, jax.default_matmul_precision); "float32" there means HIGHEST
GEMMS = {"float32": (jnp.float32, "float32"), "TF32": (jnp.float32, "tensorfloat32")}
GEMMS["bfloat16"] = (jnp.bfloat16, "default")


def try_torch():
    try:
        import torch
    except ImportError:
        return None, None
    return torch, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def compiled(f, *args, precision="default"):
    """(``jax.jit(f)`` lowered and compiled for ``args`` in the given matmul precision, seconds).

    The precision is fixed at trace time, so the executable keeps it outside the context."""
    t = time.perf_counter()
    with jax.default_matmul_precision(precision):
        exe = jax.jit(f).lower(*args).compile()
    return exe, time.perf_counter() - t


def gemm(n, repeats, compile_s):
    """TFLOP/s of an n³ matmul (2 n³ flops) per precision."""
    ka, kb = jax.random.split(jax.random.key(0))
    a, b = jax.random.normal(ka, (n, n)), jax.random.normal(kb, (n, n))
    fns = {}
    for name, (dtype, precision) in GEMMS.items():
        x, y = a.astype(dtype), b.astype(dtype)
        exe, compile_s[f"GEMM {name}"] = compiled(jnp.matmul, x, y, precision=precision)
        fns[name] = partial(exe, x, y)
    t = medians(fns, repeats)
    return {k: {"ms": 1e3 * s, "tflops": 2 * n**3 / s / 1e12} for k, s in t.items()}


def gd_step(value_and_grad_fn):
    def step(params, X, Y):
        J, g = value_and_grad_fn(params, X, Y)
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, params, g), J

    return step


def mlp_step(B, d, h, q, repeats, compile_s):
    """One GD step of the MLP, hand gradient vs ``jax.grad``, in the TF32 context."""
    kp, kx, ky = jax.random.split(jax.random.key(1), 3)
    params = hg.mlp1_init(kp, d, h, q, dtype=jnp.float32)
    X = jax.random.normal(kx, (B, d), jnp.float32)
    Y = jax.random.randint(ky, (B,), 0, q, jnp.int32)
    sources = {
        "hand": partial(hg.mlp1_hand_value_and_grad, lam=LAM),
        "jax.grad": jax.value_and_grad(partial(hg.mlp1_objective, lam=LAM)),
    }
    fns = {}
    for name, vg in sources.items():
        step = gd_step(vg)
        exe, compile_s[f"MLP step {name}"] = compiled(step, params, X, Y, precision="tensorfloat32")
        fns[name] = partial(exe, params, X, Y)
    t = medians(fns, repeats)
    # matmul flops only: forward Z = X W1ᵀ, O = H W2ᵀ; backward ∂J/∂W2, ∂J/∂H, ∂J/∂W1 (no ∂J/∂X)
    flops = 2 * B * (2 * d * h + 3 * h * q)
    return flops, {k: {"ms": 1e3 * s, "tflops": flops / s / 1e12} for k, s in t.items()}


def handgrad_digits(X, Y, steps, compile_s):
    """Zero-argument runs of the three regimes, each one compiled ``lax.scan``."""
    params = hg.mlp1_init(jax.random.key(0), X.shape[1], DIGITS_HIDDEN, 10, dtype=jnp.float32)
    vg = partial(hg.mlp1_hand_value_and_grad, lam=LAM)
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    key = jax.random.key(0)
    sgd = lambda B, S: hg.run_sgd(vg, params, X, Y, lr=LR, steps=S, key=key, batch_size=B)
    runs = {
        "full_batch": lambda: hg.run_gd(vg, params, X, Y, lr=LR, steps=steps["full_batch"]),
        "per_sample": lambda: sgd(1, steps["per_sample"]),
        "minibatch": lambda: sgd(DIGITS_BATCH, steps["minibatch"]),
    }
    for regime, run in runs.items():  # the first call traces and compiles (minus one run, below)
        t = time.perf_counter()
        jax.block_until_ready(run())
        compile_s[f"digits {regime}"] = time.perf_counter() - t
    return params, runs


def torch_digits(torch, device, X, Y, params, steps):
    """The idiomatic PyTorch loop; weight decay in the optimiser, as PyTorch users write λ."""
    from torch.nn import functional as F

    Xt, Yt = torch.from_numpy(X).to(device), torch.from_numpy(Y.astype(np.int64)).to(device)
    W1, W2 = (torch.from_numpy(np.array(params[k])).to(device) for k in ("W1", "W2"))
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    P = X.shape[0]

    def run(regime):
        def go():
            model = torch_mlp(W1, W2)
            opt = torch.optim.SGD(model.parameters(), lr=LR, weight_decay=LAM)
            picks = torch.randint(P, (steps[regime],), device=device)
            order, k = torch.randperm(P, device=device), 0
            for i in range(steps[regime]):
                if regime == "full_batch":
                    xb, yb = Xt, Yt
                elif regime == "per_sample":
                    xb, yb = Xt[picks[i : i + 1]], Yt[picks[i : i + 1]]
                else:
                    if k >= P:
                        order, k = torch.randperm(P, device=device), 0
                    idx, k = order[k : k + DIGITS_BATCH], k + DIGITS_BATCH
                    xb, yb = Xt[idx], Yt[idx]
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()
            sync()

        return go

    return {r: run(r) for r in steps}


def digits(torch, tdev, steps, repeats, compile_s):
    """µs per step of each regime, handgrad and PyTorch interleaved; keys (who, regime)."""
    X, Y = digits_data()
    params, runs = handgrad_digits(X, Y, steps, compile_s)
    fns = {("handgrad", r): f for r, f in runs.items()}
    if torch is not None:
        pt = torch_digits(torch, tdev, X, Y, params, steps)
        fns |= {("pytorch", r): f for r, f in pt.items()}
    t = medians(fns, repeats)
    for regime in steps:  # the first call also ran the steps once
        compile_s[f"digits {regime}"] -= t[("handgrad", regime)]
    return {k: 1e6 * s / steps[k[1]] for k, s in t.items()}


def table(title, header, rows):
    """Prints a Markdown table under a heading; ``header`` and each row are lists of cells."""
    print(f"\n## {title}\n\n| {' | '.join(header)} |\n|{'---|' * len(header)}")
    for row in rows:
        print(f"| {' | '.join(map(str, row))} |")


def describe(torch, tdev):
    """(machine, torch) descriptions for the header line."""
    dev = jax.devices()[0]
    machine = f"{platform.platform()}, {dev.platform} ({dev.device_kind})"
    torch_desc = "—" if torch is None else f"{torch.__version__} on {tdev}"
    if torch is not None and tdev.type == "cuda":
        torch_desc += f" ({torch.cuda.get_device_name(0)})"
    return machine, torch_desc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toy", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--repeats", type=int, help="default 5, or 1 with --toy")
    parser.add_argument("--n", type=int, help="GEMM size (default 8192, 256 with --toy)")
    parser.add_argument("--json", help="also write the raw numbers here")
    args = parser.parse_args()
    cfg = TOY if args.toy else FULL
    repeats, n = args.repeats or cfg["repeats"], args.n or cfg["n"]
    steps = dict(zip(("full_batch", "per_sample", "minibatch"), cfg["steps"]))
    torch, tdev = try_torch()
    machine, torch_desc = describe(torch, tdev)
    dev, today = jax.devices()[0], datetime.date.today()
    print(f"command: python {' '.join(sys.argv)} · date: {today} · machine: {machine}")
    print(f"device: {dev.device_kind} ({dev.platform}); jax {jax.__version__}; torch {torch_desc}")

    compile_s = {}
    gemms = gemm(n, repeats, compile_s)
    rows = [(k, f"{r['ms']:.3f}", f"{r['tflops']:.3f}") for k, r in gemms.items()]
    title = f"GEMM, {n} × {n} × {n} under jit, median of {repeats}"
    table(title, ["precision", "ms/call", "TFLOP/s"], rows)

    B, d, h, q = cfg["mlp"]
    flops, mlp = mlp_step(B, d, h, q, repeats, compile_s)
    tf32 = gemms["TF32"]["tflops"]
    rows = [
        (k, f"{r['ms']:.3f}", f"{r['tflops']:.3f}", f"{r['tflops'] / tf32:.0%}")
        for k, r in mlp.items()
    ]
    title = f"MLP GD step, batch {B}, {d} → {h} → {q}, float32 in the TF32 matmul context"
    table(title, ["gradient", "ms/step", "TFLOP/s", "of TF32 GEMM"], rows)
    print(f"\nflops per step = 2·B·(2·d·h + 3·h·q) = {flops:.3e} (2 forward + 3 backward matmuls)")

    us, rows = digits(torch, tdev, steps, repeats, compile_s), []
    for regime, S in steps.items():
        hand, pt = us[("handgrad", regime)], us.get(("pytorch", regime))
        pt_cells = ("—", "—") if pt is None else (f"{pt:.1f}", f"{pt / hand:.1f}×")
        rows.append((regime, S, f"{hand:.1f}", *pt_cells))
    header = ["regime", "steps", "handgrad µs/step", f"pytorch µs/step ({tdev or '—'})"]
    title = f"Digits, MLP 64 → {DIGITS_HIDDEN} → 10, median of {repeats}"
    table(title, [*header, "pytorch / handgrad"], rows)

    title = "Compile times: jit lower + compile; digits runs: first call minus a steady one"
    table(title, ["function", "seconds"], [(k, f"{s:.3f}") for k, s in compile_s.items()])

    if args.json:
        raw = {
            "command": sys.argv, "date": str(today), "machine": machine,
            "jax": jax.__version__, "torch": torch_desc, "gemm": gemms, "mlp_flops": flops,
            "mlp": mlp, "digits_us_per_step": {f"{w}/{r}": v for (w, r), v in us.items()},
            "compile_s": compile_s,
        }  # fmt: skip
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
