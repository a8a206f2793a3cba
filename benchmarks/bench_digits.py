"""CPU benchmark on the identical digits workload, everything measured side by side.

Workload: scikit-learn's digits (1797 × 64, 10 classes, standardised), d2l's MLP without
bias, hidden 256, ReLU, softmax cross-entropy, λ = 1e-4, float32. Three regimes:
full-batch GD, per-sample SGD (pick p), minibatch SGD (batch 128, shuffled).

Contenders, each timed in this one process, interleaved, median of several repeats:
- handgrad: the whole run one ``lax.scan`` under ``jit``, hand gradients and ``jax.grad``;
- handgrad's jitted step called from a Python loop (what the scan saves);
- NumPy: the same hand formulas in a Python loop;
- PyTorch eager (optional: ``pip install torch==2.13.0``): the idiomatic loop.

Run:  python benchmarks/bench_digits.py [--repeats 5] [--json results.json]
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
from sklearn.datasets import load_digits

import handgrad as hg

LAM, LR, HIDDEN, BATCH = 1e-4, 0.1, 256, 128
STEPS = {"full_batch": 200, "per_sample": 5000, "minibatch": 1000}


def data():
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    return X.astype(np.float32), y.astype(np.int32)


def median_us(fn, steps, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) / steps * 1e6)
    return statistics.median(times)


# ---------------------------------------------------------------- handgrad (JAX)
def jax_runs(X, Y, params):
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)
    auto = jax.value_and_grad(partial(hg.mlp1_objective, lam=LAM))
    runs = {}
    for source, vg in (("hand", hand), ("autodiff", auto)):
        for regime, steps in STEPS.items():
            if regime == "full_batch":
                f = lambda vg=vg, steps=steps: hg.run_gd(vg, params, X, Y, lr=LR, steps=steps)
            else:
                B = 1 if regime == "per_sample" else BATCH
                f = lambda vg=vg, steps=steps, B=B: hg.run_sgd(
                    vg, params, X, Y, lr=LR, steps=steps, key=jax.random.key(0), batch_size=B
                )
            runs[(source, regime)] = lambda f=f: jax.block_until_ready(f())
    return runs


def python_loop_runs(X, Y, params):
    """The same per-sample and full-batch steps, one jitted call per step from Python."""
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)

    @jax.jit
    def step(params, idx):
        J, g = hand(params, X[idx], Y[idx])
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, params, g), J

    @jax.jit
    def full_step(params):
        J, g = hand(params, X, Y)
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, params, g), J

    rng = np.random.default_rng(0)

    def per_sample():
        p = params
        for i in rng.integers(0, X.shape[0], STEPS["per_sample"]):
            p, _ = step(p, jnp.asarray([i]))
        jax.block_until_ready(p)

    def full_batch():
        p = params
        for _ in range(STEPS["full_batch"]):
            p, _ = full_step(p)
        jax.block_until_ready(p)

    return {("python-loop", "per_sample"): per_sample, ("python-loop", "full_batch"): full_batch}


# ---------------------------------------------------------------- NumPy hand loop
def numpy_runs(X, Y, params):
    W1, W2 = (np.array(params[k]) for k in ("W1", "W2"))
    onehot = np.eye(10, dtype=np.float32)
    rng = np.random.default_rng(0)

    def step(W1, W2, Xb, Yb):
        Z = Xb @ W1.T
        H = np.maximum(Z, 0)
        O = H @ W2.T
        O = O - O.max(1, keepdims=True)
        E = np.exp(O)
        dO = (E / E.sum(1, keepdims=True) - onehot[Yb]) / len(Yb)
        dW2 = dO.T @ H + LAM * W2
        dZ = (dO @ W2) * (Z > 0)
        dW1 = dZ.T @ Xb + LAM * W1
        return W1 - LR * dW1, W2 - LR * dW2

    def run(regime):
        def go():
            w1, w2 = W1.copy(), W2.copy()
            P = X.shape[0]
            if regime == "full_batch":
                for _ in range(STEPS[regime]):
                    w1, w2 = step(w1, w2, X, Y)
            elif regime == "per_sample":
                for p in rng.integers(0, P, STEPS[regime]):
                    w1, w2 = step(w1, w2, X[p : p + 1], Y[p : p + 1])
            else:
                order, k = rng.permutation(P), 0
                for _ in range(STEPS[regime]):
                    if k >= P:
                        order, k = rng.permutation(P), 0
                    idx = order[k : k + BATCH]
                    k += BATCH
                    w1, w2 = step(w1, w2, X[idx], Y[idx])

        return go

    return {("numpy", r): run(r) for r in STEPS}


# ---------------------------------------------------------------- PyTorch eager
def torch_runs(X, Y, params):
    try:
        import torch
    except ImportError:
        return {}
    from torch import nn

    Xt, Yt = torch.from_numpy(X.copy()), torch.from_numpy(Y.astype(np.int64))

    def run(regime):
        def go():
            model = nn.Sequential(
                nn.Linear(64, HIDDEN, bias=False), nn.ReLU(), nn.Linear(HIDDEN, 10, bias=False)
            )
            with torch.no_grad():
                model[0].weight.copy_(torch.tensor(np.array(params["W1"])))
                model[2].weight.copy_(torch.tensor(np.array(params["W2"])))
            opt = torch.optim.SGD(model.parameters(), lr=LR)
            P, g = X.shape[0], torch.Generator().manual_seed(0)
            order, k = torch.randperm(P, generator=g), 0
            for _ in range(STEPS[regime]):
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
                loss = nn.functional.cross_entropy(model(xb), yb)
                loss = loss + LAM / 2 * (
                    model[0].weight.square().sum() + model[2].weight.square().sum()
                )
                loss.backward()
                opt.step()

        return go

    return {("pytorch", r): run(r) for r in STEPS}


def matmul_gflops(repeats):
    """The machine's float32 matmul rate through XLA: a 1024³ product."""
    a = jnp.ones((1024, 1024), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    jax.block_until_ready(f(a))
    us = median_us(lambda: jax.block_until_ready(f(a)), 1, repeats * 4)
    return 2 * 1024**3 / us / 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the raw numbers here")
    args = parser.parse_args()
    X, Y = data()
    params = hg.mlp1_init(jax.random.key(0), 64, HIDDEN, 10, dtype=jnp.float32)
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    runs = {
        **jax_runs(Xj, Yj, params),
        **python_loop_runs(Xj, Yj, params),
        **numpy_runs(X, Y, params),
        **torch_runs(X, Y, params),
    }
    for fn in runs.values():  # compile and warm up everything first
        fn()
    samples = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit all alike
        for (who, regime), fn in runs.items():
            samples[(who, regime)].append(median_us(fn, STEPS[regime], 1))
    us = {name: statistics.median(v) for name, v in samples.items()}
    peak = matmul_gflops(args.repeats)
    P = X.shape[0]
    flop = 2 * P * (2 * 64 * HIDDEN + 3 * HIDDEN * 10)

    print(
        f"machine: {platform.processor() or platform.machine()}, {jax.device_count()} JAX device(s) "
        f"({jax.devices()[0].platform}), jax {jax.__version__}"
    )
    print(
        "\n| regime | handgrad hand µs/step | jax.grad µs/step | hand / grad | python loop µs | numpy µs | pytorch µs | vs pytorch | vs numpy |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for regime in STEPS:
        h, a = us[("hand", regime)], us[("autodiff", regime)]
        loop = us.get(("python-loop", regime))
        npy, pt = us[("numpy", regime)], us.get(("pytorch", regime))
        fmt = lambda v: "—" if v is None else f"{v:.1f}"
        print(
            f"| {regime} | {h:.1f} | {a:.1f} | {h / a:.2f} | {fmt(loop)} | {npy:.1f} | {fmt(pt)} | "
            f"{'—' if pt is None else f'{pt / h:.1f}×'} | {npy / h:.1f}× |"
        )
    achieved = flop / us[("hand", "full_batch")] / 1e3
    print(
        f"\nfloat32 matmul rate (1024³ via XLA): {peak:.1f} GFLOP/s; full-batch GD step needs "
        f"{flop / 1e6:.1f} MFLOP of matmuls → {achieved:.1f} GFLOP/s = {achieved / peak:.0%} of it"
    )
    if ("python-loop", "per_sample") in us:
        print(
            f"lax.scan vs Python loop of a jitted step: per-sample {us[('python-loop', 'per_sample')] / us[('hand', 'per_sample')]:.1f}×, "
            f"full batch {us[('python-loop', 'full_batch')] / us[('hand', 'full_batch')]:.2f}×"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"us_per_step": {f"{w}/{r}": v for (w, r), v in us.items()}, "matmul_gflops": peak},
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
