"""CPU benchmark on the identical digits workload, every contender measured side by side.

Workload: scikit-learn's digits (1797 × 64, 10 classes, standardised), d2l's MLP without bias,
64 → 256 → 10, ReLU, softmax cross-entropy, λ = 1e-4, η = 0.1, float32. Three regimes:
full-batch GD, per-sample SGD (pick p), minibatch SGD (batch 128, shuffled each epoch, on
the first 1792 = 14 · 128 samples, so that every contender's every batch holds 128 rows).

Contenders, each as its own users write it, timed in this one process, interleaved:
- handgrad: ``run_gd`` / ``run_sgd``, the whole run one ``lax.scan`` under ``jit``, with the
  hand gradient (``mlp1_hand_value_and_grad``) and with ``jax.grad``;
- handgrad, s carried: ``optim.run_mlp1_carried`` (docs/carried.md);
- expert JAX: d2l's formulas written out in one jitted ``lax.scan``, J = L + s returned every
  step, the batch indices precomputed (NumPy, outside the timed call; full batches only):
  row-major as JAX's examples write a batch, one sample per column as d2l prints it, and
  row-major without J's penalty term (what reporting J costs);
- the same hand step, jitted, called from a Python loop (what the scan saves);
- NumPy: the same hand formulas, vectorised, in a Python loop;
- PyTorch eager, the idiomatic loop: bias-free ``nn.Linear``, ``F.cross_entropy``,
  ``optim.SGD(weight_decay=λ)``, nothing else in the autograd graph;
- ``torch.compile`` of that model, its compile time reported apart.

PyTorch is optional (``pip install torch==2.13.0``); without it those columns stay blank.

Run:  python benchmarks/bench_digits.py [--repeats 7] [--json results.json] [--toy]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from expert import BATCH, LAM, LR, expert_runs
from timing import medians
from workload import digits, numpy_step, torch_mlp, torch_reset

import handgrad as hg
from handgrad.optim import run_mlp1_carried

HIDDEN = 256
STEPS = {"full_batch": 200, "per_sample": 5000, "minibatch": 1000}
MINIBATCH_P = 1792  # 14 batches of 128


# ---------------------------------------------------------------- handgrad
def handgrad_runs(X, Y, params, steps):
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)
    auto = jax.value_and_grad(partial(hg.mlp1_objective, lam=LAM))
    key = jax.random.key(0)
    sampler = {"full_batch": hg.full_batch(), "per_sample": hg.per_sample(),
               "minibatch": hg.minibatch(BATCH)}  # fmt: skip
    runs = {}
    for regime, n in steps.items():
        for name, vg in (("handgrad", hand), ("jax.grad", auto)):
            if regime == "full_batch":
                runs[name, regime] = partial(hg.run_gd, vg, params, X, Y, lr=LR, steps=n)
            else:
                B = 1 if regime == "per_sample" else BATCH
                runs[name, regime] = partial(hg.run_sgd, vg, params, X, Y, lr=LR, steps=n,
                                             key=key, batch_size=B)  # fmt: skip
        runs["carried", regime] = partial(run_mlp1_carried, params, X, Y, lr=LR, lam=LAM, steps=n,
                                          sampler=sampler[regime], key=key)  # fmt: skip
    return runs


# ---------------------------------------------------------------- a Python loop of jitted steps
def python_loop_runs(X, Y, params, steps):
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)

    @jax.jit
    def step(params, Xb, Yb):
        J, g = hand(params, Xb, Yb)
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, params, g), J

    picks = np.random.default_rng(0).integers(0, X.shape[0], steps.get("per_sample", 0))

    def per_sample():
        p = params
        for i in picks:
            p, _ = step(p, X[i : i + 1], Y[i : i + 1])
        return p

    def full_batch():
        p = params
        for _ in range(steps.get("full_batch", 0)):
            p, _ = step(p, X, Y)
        return p

    runs = {("python loop", "per_sample"): per_sample, ("python loop", "full_batch"): full_batch}
    return {(who, regime): f for (who, regime), f in runs.items() if regime in steps}


# ---------------------------------------------------------------- NumPy hand loop
def numpy_runs(X, Y, params, steps):
    W1, W2 = (np.array(params[k]) for k in ("W1", "W2"))
    P = X.shape[0]
    step = partial(numpy_step, lr=LR, lam=LAM)

    def run(regime):
        def go():
            rng = np.random.default_rng(0)
            w1, w2 = W1, W2
            if regime == "full_batch":
                for _ in range(steps[regime]):
                    w1, w2 = step(w1, w2, X, Y)
            elif regime == "per_sample":
                for p in rng.integers(0, P, steps[regime]):
                    w1, w2 = step(w1, w2, X[p : p + 1], Y[p : p + 1])
            else:
                order, k = rng.permutation(P), 0
                for _ in range(steps[regime]):
                    if k >= P:
                        order, k = rng.permutation(P), 0
                    idx = order[k : k + BATCH]
                    k += BATCH
                    w1, w2 = step(w1, w2, X[idx], Y[idx])
            return w1

        return go

    return {("NumPy", r): run(r) for r in steps}


# ---------------------------------------------------------------- PyTorch
def torch_runs(X, Y, params, steps, compile_times):
    try:
        import torch
        from torch.nn import functional as F
    except ImportError:
        return {}
    Xt, Yt = torch.from_numpy(X.copy()), torch.from_numpy(Y.astype(np.int64))
    W1, W2 = (torch.tensor(np.array(params[k])) for k in ("W1", "W2"))

    def run(regime, compiled):
        net = torch_mlp(W1, W2)
        forward = torch.compile(net) if compiled else net
        opt = torch.optim.SGD(net.parameters(), lr=LR, weight_decay=LAM)
        P = X.shape[0]

        def go():
            torch_reset(net, W1, W2)
            g = torch.Generator().manual_seed(0)
            order, k = torch.randperm(P, generator=g), 0
            for _ in range(steps[regime]):
                if regime == "full_batch":
                    xb, yb = Xt, Yt
                elif regime == "per_sample":
                    p = torch.randint(P, (1,), generator=g)
                    xb, yb = Xt[p], Yt[p]
                else:
                    if k >= P:
                        order, k = torch.randperm(P, generator=g), 0
                    idx = order[k : k + BATCH]
                    k += BATCH
                    xb, yb = Xt[idx], Yt[idx]
                opt.zero_grad()
                F.cross_entropy(forward(xb), yb).backward()
                opt.step()

        if compiled:  # compiled here, for every batch size the regime feeds it; timed apart
            sizes = {"full_batch": [P], "per_sample": [1], "minibatch": [BATCH, P % BATCH]}
            t = time.perf_counter()
            for n in sizes[regime]:
                opt.zero_grad()
                F.cross_entropy(forward(Xt[:n]), Yt[:n]).backward()
            compile_times[regime] = time.perf_counter() - t
        return go

    runs = {("PyTorch", r): run(r, False) for r in steps}
    try:
        runs |= {("torch.compile", r): run(r, True) for r in steps}
    except Exception as e:  # no C++ compiler, or an unsupported platform: say so, go on
        print(f"torch.compile unavailable: {type(e).__name__}: {e}", file=sys.stderr)
    return runs


def matmul_gflops(repeats):
    """The machine's float32 matmul rate through XLA: a 1024³ product."""
    a = jnp.ones((1024, 1024), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    return 2 * 1024**3 / medians({"1024³": lambda: f(a)}, repeats * 4)["1024³"] / 1e9


def measure(runs, steps, repeats):
    """µs per step, median of ``repeats`` interleaved rounds (``timing.medians``)."""
    return {(who, r): t / steps[r] * 1e6 for (who, r), t in medians(runs, repeats).items()}


COLUMNS = ["handgrad", "jax.grad", "carried", "expert", "expert, columns", "expert, no s",
           "python loop", "NumPy", "PyTorch", "torch.compile"]  # fmt: skip
PEERS = ("NumPy", "PyTorch", "torch.compile")


def report(us, steps, compile_times, gflops, args):
    fmt = lambda v: "—" if v is None else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
    torch_version = ""
    if any(w == "PyTorch" for w, _ in us):
        import torch

        torch_version = f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    print(f"command: python benchmarks/bench_digits.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"date: {datetime.date.today()}; machine: {platform.machine()} "
          f"{platform.processor() or ''}, {os.cpu_count()} CPUs, jax {jax.__version__} "
          f"on {jax.devices()[0].platform}{torch_version}")  # fmt: skip
    print(f"steps: {steps}; median of {args.repeats} interleaved rounds\n")
    print("µs per step:\n")
    print("| regime | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for regime in steps:
        print(f"| {regime} | " + " | ".join(fmt(us.get((c, regime))) for c in COLUMNS) + " |")
    print("\nratios (same run):\n")
    print("| regime | handgrad / expert | handgrad / expert, columns | carried / expert "
          "| fastest peer | fastest peer / handgrad | NumPy / handgrad | PyTorch / handgrad "
          "| torch.compile / handgrad |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for regime in steps:
        h = us["handgrad", regime]
        peers = {p: us[p, regime] for p in PEERS if (p, regime) in us}
        fastest = min(peers, key=peers.get)
        ratio = lambda p, peers=peers, h=h: "—" if p not in peers else f"{peers[p] / h:.2f}×"
        print(f"| {regime} | {h / us['expert', regime]:.2f} | "
              f"{h / us['expert, columns', regime]:.2f} | "
              f"{us['carried', regime] / us['expert', regime]:.2f} | {fastest} | "
              f"{peers[fastest] / h:.2f}× | {ratio('NumPy')} | {ratio('PyTorch')} | "
              f"{ratio('torch.compile')} |")  # fmt: skip
    if compile_times:
        print("\ntorch.compile's compile time, apart from the steps: "
              + ", ".join(f"{r} {t:.1f} s" for r, t in compile_times.items()))  # fmt: skip
    P, flop = 1797, 2 * 1797 * (2 * 64 * HIDDEN + 3 * HIDDEN * 10)
    achieved = flop / us["handgrad", "full_batch"] / 1e3
    print(f"\nfloat32 matmul rate (1024³ through XLA): {gflops:.1f} GFLOP/s; a full-batch step "
          f"needs 2·P·(2·64·256 + 3·256·10) = {flop / 1e6:.1f} MFLOP of matmuls (P = {P}), done "
          f"at {achieved:.1f} GFLOP/s: {achieved / gflops:.0%} of that rate")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the raw numbers here")
    parser.add_argument("--toy", action="store_true", help="a few steps each, for CI")
    args = parser.parse_args()
    steps = {r: max(2, n // 100) for r, n in STEPS.items()} if args.toy else STEPS
    if args.toy:
        args.repeats = 1
    X, Y = digits()
    params = hg.mlp1_init(jax.random.key(0), 64, HIDDEN, 10, dtype=jnp.float32)
    compile_times, runs = {}, {}
    # minibatches from the first 1792 = 14 · 128 samples: every batch holds 128 rows for every
    # contender (bench_minibatch.py measures the short last batch of 1797 apart)
    for regimes, n in ((("full_batch", "per_sample"), len(X)), (("minibatch",), MINIBATCH_P)):
        s = {r: steps[r] for r in regimes}
        Xn, Yn = X[:n], Y[:n]
        Xj, Yj = jnp.asarray(Xn), jnp.asarray(Yn)
        runs |= handgrad_runs(Xj, Yj, params, s) | expert_runs(Xj, Yj, params, s)
        runs |= python_loop_runs(Xj, Yj, params, s) | numpy_runs(Xn, Yn, params, s)
        runs |= torch_runs(Xn, Yn, params, s, compile_times)
    runs = {(who, r): runs[who, r] for who in COLUMNS for r in STEPS if (who, r) in runs}
    us = measure(runs, steps, args.repeats)
    gflops = matmul_gflops(args.repeats)
    report(us, steps, compile_times, gflops, args)
    if args.json:
        with open(args.json, "w") as f:
            raw = {f"{w}/{r}": v for (w, r), v in us.items()}
            json.dump({"us_per_step": raw, "matmul_gflops": gflops, "steps": steps,
                       "torch_compile_s": compile_times}, f, indent=1)  # fmt: skip


if __name__ == "__main__":
    main()
