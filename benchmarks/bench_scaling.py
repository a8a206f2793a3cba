"""How the cost of a training step grows with the hidden width h and the batch size B.

Workload: d2l's MLP without bias, d → h → 10, ReLU, softmax cross-entropy, λ = 1e-4, float32,
η = 0.01, on synthetic data (X standard normal, labels uniform over 0..9). Grid: d = 64,
P = 16384, h ∈ {64, 256, 1024, 4096} × B ∈ {1, 32, 256, 2048}; then an MNIST-sized problem,
784 → 1024 → 10 on P = 60,000, full batch (GD) and minibatch 128.

Per cell, µs per step of each contender, all running the same S steps, interleaved, median of
``--repeats`` (benchmarks/timing.py):
- handgrad: ``run_sgd`` / ``run_gd`` with ``mlp1_hand_value_and_grad``, one compiled ``lax.scan``;
- PyTorch eager (optional: ``pip install torch==2.13.0``): the idiomatic loop;
- NumPy: the same hand formulas in a Python loop;
- GEMMs: only the step's five matrix products, at its shapes, one compiled call per step.
"of step-shape GEMM rate" is t_GEMMs / t_handgrad: the fraction of the rate at which this
machine does the step's own products (2·B·(2·d·h + 3·h·q) flop) that the whole step reaches.
Minibatch runs last at least one epoch (P / B steps), so a shuffle per epoch is spread as in
training.

Run:  python benchmarks/bench_scaling.py [--repeats 5] [--json s.json] [--plot scaling.png]
      python benchmarks/bench_scaling.py --toy   # a tiny grid, seconds on a CPU (CI runs it)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from timing import medians  # benchmarks/timing.py, beside this script
from workload import numpy_step, torch_mlp, torch_reset

import handgrad as hg

LAM, LR, Q = 1e-4, 0.01, 10
WHO = ("handgrad", "pytorch", "numpy", "gemms")
# (problem, d, P, widths, batches); a batch of None is the full batch: GD
FULL = (("d=64", 64, 16384, (64, 256, 1024, 4096), (1, 32, 256, 2048)),
        ("MNIST-sized", 784, 60000, (1024,), (128, None)))  # fmt: skip
TOY = (("d=64", 64, 64, (8, 16), (1, 4)), ("MNIST-sized", 20, 64, (16,), (16, None)))


def flops(d, h, B):
    """Flop of the step's five matrix products: forward d·h and h·q, backward h·q twice, h·d."""
    return 2 * B * (2 * d * h + 3 * h * Q)


def steps_for(flop, P, B, toy):
    """About 0.1 s a run on a CPU (30 µs a step plus flop at 20 GFLOP/s), in [1, 2000]: a
    full-batch MNIST-sized step alone takes seconds. Minibatch runs last at least an epoch,
    so that every contender's shuffle is spread over an epoch's steps, as in training."""
    if toy:
        return 5
    S = int(np.clip(0.1 / (30e-6 + flop / 20e9), 1, 2000))
    return S if B in (None, 1) else max(S, -(-P // B))


def synthetic(d, P):
    rng = np.random.default_rng(0)
    return rng.standard_normal((P, d), np.float32), rng.integers(0, Q, P).astype(np.int32)


def handgrad_run(params, X, Y, B, S):
    vg, key = partial(hg.mlp1_hand_value_and_grad, lam=LAM), jax.random.key(0)
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    if B is None:
        return lambda: hg.run_gd(vg, params, X, Y, lr=LR, steps=S)
    return lambda: hg.run_sgd(vg, params, X, Y, lr=LR, steps=S, key=key, batch_size=B)


def products(d, h, B):
    """The step's five matrix products as (m, k, n), each (m, k) @ (k, n): forward X W⁽¹⁾ᵀ and
    H W⁽²⁾ᵀ; backward (∂J/∂O)ᵀH, ∂J/∂O W⁽²⁾ and (∂J/∂Z)ᵀX."""
    return ((B, d, h), (B, h, Q), (Q, B, h), (B, Q, h), (h, B, d))


@jax.jit
def _products(pairs):
    return [a @ b for a, b in pairs]


def gemm_run(d, h, B, S):
    """The five products alone, as one compiled program called S times on random finite
    inputs (queued without waiting, so the calls' dispatch overlaps the work)."""
    rng = np.random.default_rng(1)
    pairs = [(jnp.asarray(rng.standard_normal((m, k)), jnp.float32),
              jnp.asarray(rng.standard_normal((k, n)), jnp.float32))
             for m, k, n in products(d, h, B)]  # fmt: skip
    return lambda: [_products(pairs) for _ in range(S)]


def batches(P, B, S, draw):
    """S index sets: everything, one random sample, or minibatches of a fresh shuffle each
    epoch with a short last batch (as handgrad's samplers)."""
    k, order = P, None
    for _ in range(S):
        if B is None:
            yield slice(None)
        elif B == 1:
            yield draw("one", P)
        else:
            if k >= P:
                order, k = draw("perm", P), 0
            yield order[k : k + B]
            k += B


def numpy_run(params, X, Y, B, S):
    W1, W2 = (np.array(params[k]) for k in ("W1", "W2"))
    rng = np.random.default_rng(0)
    draw = lambda how, P: rng.permutation(P) if how == "perm" else rng.integers(0, P, 1)
    step = partial(numpy_step, lr=LR, lam=LAM)

    def go():
        w1, w2 = W1.copy(), W2.copy()
        for idx in batches(len(X), B, S, draw):
            w1, w2 = step(w1, w2, X[idx], Y[idx])

    return go


def torch_run(params, X, Y, B, S):
    """The idiomatic eager loop; None when torch cannot be imported."""
    try:
        import torch
        from torch import nn
    except (ImportError, OSError):
        return None
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y.astype(np.int64))
    W1, W2 = (torch.from_numpy(np.array(params[k])) for k in ("W1", "W2"))
    model = torch_mlp(W1, W2)
    opt = torch.optim.SGD(model.parameters(), lr=LR, weight_decay=LAM)
    g = torch.Generator().manual_seed(0)
    draw = lambda how, P: (
        torch.randperm(P, generator=g) if how == "perm" else torch.randint(P, (1,), generator=g)
    )

    def go():
        torch_reset(model, W1, W2)  # every run starts from the same weights
        for idx in batches(len(X), B, S, draw):
            opt.zero_grad()
            nn.functional.cross_entropy(model(Xt[idx]), Yt[idx]).backward()
            opt.step()

    return go


def measure(problem, d, P, h, B, X, Y, toy, repeats):
    """One cell: µs per step of every contender (None for one that is missing)."""
    flop = flops(d, h, B or P)
    S = steps_for(flop, P, B, toy)
    params = hg.mlp1_init(jax.random.key(0), d, h, Q, dtype=jnp.float32)
    runs = {"handgrad": handgrad_run(params, X, Y, B, S), "pytorch": torch_run(params, X, Y, B, S),
            "numpy": numpy_run(params, X, Y, B, S), "gemms": gemm_run(d, h, B or P, S)}  # fmt: skip
    seconds = medians({k: f for k, f in runs.items() if f is not None}, repeats)
    us = {k: seconds[k] / S * 1e6 if k in seconds else None for k in WHO}
    return {"problem": problem, "d": d, "h": h, "B": B or P, "full_batch": B is None, "P": P,
            "steps": S, "flops": flop, "us": us}  # fmt: skip


def table(cells):
    """Markdown, one table per problem; ** marks a peer faster than handgrad."""
    num = lambda v: "—" if v is None else f"{v:.1f}"
    ratio = lambda v, t: "—" if v is None else (f"**{v / t:.2f}×**" if v < t else f"{v / t:.2f}×")
    lines = []
    for problem in dict.fromkeys(c["problem"] for c in cells):
        rows = [c for c in cells if c["problem"] == problem]
        lines += [f"\n### {problem}: {rows[0]['d']} → h → {Q}, P = {rows[0]['P']}\n",
                  "| h | B | handgrad µs | PyTorch µs | NumPy µs | PyTorch/handgrad "
                  "| NumPy/handgrad | handgrad GFLOP/s | of step-shape GEMM rate | steps |",
                  "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for c in rows:
            us, t = c["us"], c["us"]["handgrad"]
            B = f"full ({c['B']})" if c["full_batch"] else str(c["B"])
            lines.append(
                f"| {c['h']} | {B} | {t:.1f} | {num(us['pytorch'])} | {num(us['numpy'])} "
                f"| {ratio(us['pytorch'], t)} | {ratio(us['numpy'], t)} "
                f"| {c['flops'] / t / 1e3:.2f} | {us['gemms'] / t:.0%} | {c['steps']} |"
            )
    return "\n".join(lines)


def plot(cells, path, machine):
    """Log-log µs per step against B, one panel per (problem, width), one line per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys((c["problem"], c["d"], c["h"]) for c in cells))
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, 3.4 * nrows + 0.6), squeeze=False)
    style = {"handgrad": ("o-", "handgrad (lax.scan)"), "pytorch": ("s-", "PyTorch eager"),
             "numpy": ("^-", "NumPy"), "gemms": ("k--", "the step's 5 GEMMs only")}  # fmt: skip
    for ax, panel in zip(axes.flat, panels):
        rows = [c for c in cells if (c["problem"], c["d"], c["h"]) == panel]
        for who in WHO:
            pts = [(c["B"], c["us"][who]) for c in rows if c["us"][who] is not None]
            if pts:
                ax.plot(*zip(*pts), style[who][0], label=style[who][1], ms=4)
        ax.set(xscale="log", yscale="log", title="{}: {} → {} → 10".format(*panel))
        names = [("full " if c["full_batch"] else "") + str(c["B"]) for c in rows]
        ax.set_xticks([c["B"] for c in rows], names)
        ax.set_xticks([], minor=True)
        ax.set(xlabel="batch size B (samples per step)", ylabel="µs per training step")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    title = "Bias-free MLP d → h → 10, ReLU, softmax CE, float32: time per training step"
    fig.suptitle(f"{title}\n{machine}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def machine():
    try:
        import torch

        tv = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except (ImportError, OSError):
        tv = "torch not installed"
    dev = jax.devices()[0]
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"jax {jax.__version__} on {dev.platform} ({dev.device_kind}), {tv}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, help="median of this many (default 5; --toy 1)")
    parser.add_argument("--toy", action="store_true", help="a tiny grid, seconds on a CPU")
    parser.add_argument("--json", help="also write the raw numbers here")
    parser.add_argument("--plot", help="where the plot goes (benchmarks/scaling.png; --toy: none)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.toy else 5)
    plot_path = args.plot or (None if args.toy else "benchmarks/scaling.png")
    about, today = machine(), datetime.date.today()
    print(f"command: python {' '.join(sys.argv)}\ndate: {today}\nmachine: {about}")
    cells = []
    for problem, d, P, widths, bs in TOY if args.toy else FULL:
        X, Y = synthetic(d, P)
        for h in widths:
            for B in bs:
                cells.append(measure(problem, d, P, h, B, X, Y, args.toy, repeats))
                print(f"  done: {problem} h={h} B={B or 'full'}", file=sys.stderr, flush=True)
    print(table(cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": about, "date": str(today), "repeats": repeats, "cells": cells},
                      f, indent=1)  # fmt: skip
    if plot_path:
        plot(cells, plot_path, about)
        print(f"\nplot: {plot_path}")


if __name__ == "__main__":
    main()
