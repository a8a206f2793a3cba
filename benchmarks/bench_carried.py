"""How far the carried penalty s drifts in float32 (``handgrad.optim.carried``, docs/carried.md).

d2l's MLP 64 → 256 → 10 on scikit-learn's digits, η = 0.01, λ = 1e-4, float32, 20,000 steps of
per-sample SGD and of minibatch-32 SGD. For each way of carrying s, the largest relative
difference of the carried s from the s computed directly on the same parameters (the run with
``anchor=1``, whose parameters are the same bit for bit: the update never reads s). J = L + s
differs by the same amount, a far smaller fraction of J while L is large:

- plain sums, never anchored: s ← s + Δs by ``mlp1_carried_step`` in a plain ``lax.scan``;
- compensated, never anchored: ``run_mlp1_carried(anchor=steps)`` (Kahan summation of Δs);
- compensated, anchored every 100 steps: ``run_mlp1_carried()``, the default.

Run:  python benchmarks/bench_carried.py [--steps 20000] [--toy]
"""

from __future__ import annotations

import argparse
import datetime
import platform
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from workload import digits

import handgrad as hg
from handgrad.models.losses import l2_penalty
from handgrad.optim import mlp1_carried_step, run_mlp1_carried

LAM, LR = 1e-4, 0.01


@partial(jax.jit, static_argnames="steps")
def plain(params, X, Y, idx, *, steps):
    """s before each step, carried with plain sums from the first step on."""
    step = partial(mlp1_carried_step, lr=LR, lam=LAM)

    def body(carry, i):
        params, s = carry
        params, ds, _ = step(params, s, X[i], Y[i])
        return (params, s + ds), s

    s = l2_penalty([params["W1"], params["W2"]], LAM)
    return jax.lax.scan(body, (params, s), idx)[1]


def drift(params, X, Y, sampler, steps):
    go = partial(run_mlp1_carried, params, X, Y, lr=LR, lam=LAM, steps=steps, sampler=sampler,
                 key=jax.random.key(1), penalties=True)  # fmt: skip
    direct = np.asarray(go(anchor=1)[2], np.float64)
    # the batches run_mlp1_carried draws: the sampler's schedule, seeded as init_run seeds it
    (_, index_sets), _ = sampler.schedule(
        sampler.init(jax.random.split(jax.random.key(1))[0]), X.shape[0], steps
    )
    if len(index_sets) != 1:
        raise SystemExit("choose P divisible by the batch: the plain loop takes one batch size")
    rel = lambda s: float(np.max(np.abs(np.asarray(s, np.float64) - direct) / direct))
    return {
        "plain sums, never anchored": rel(plain(params, X, Y, index_sets[0], steps=steps)),
        "compensated, never anchored": rel(go(anchor=steps)[2]),
        "compensated, anchored every 100 steps": rel(go()[2]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--toy", action="store_true", help="a few hundred steps, for CI")
    args = parser.parse_args()
    steps = 300 if args.toy else args.steps
    X, Y = (jnp.asarray(a[:1792]) for a in digits())  # 1792 = 56 · 32: one batch size
    params = hg.mlp1_init(jax.random.key(0), 64, 256, 10, dtype=jnp.float32)
    columns = {"per-sample SGD": hg.per_sample(), "minibatch 32": hg.minibatch(32)}
    results = {name: drift(params, X, Y, s, steps) for name, s in columns.items()}
    print(f"command: python benchmarks/bench_carried.py --steps {steps} · date: "
          f"{datetime.date.today()} · machine: {platform.machine()}, jax {jax.__version__}")  # fmt: skip
    print(f"\nlargest |s − s_direct| / s_direct over {steps:,} float32 steps\n")
    print("| | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in next(iter(results.values())):
        print(f"| {row} | " + " | ".join(f"{results[c][row]:.1e}" for c in columns) + " |")


if __name__ == "__main__":
    main()
