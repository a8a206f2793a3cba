"""Second derivatives on d2l's MLP (exercise 4): what they cost, measured side by side.

Workload: scikit-learn's digits (1797 × 64, standardised), d2l's MLP without bias, ReLU…
here tanh (so the Hessian is not mostly zeros), softmax cross-entropy, λ = 1e-4, float32.

1. One gradient vs one Hessian-vector product at h = 256 (n = 18,944 parameters):
   ``jax.grad``; the hand backward; H v by forward mode over each.
2. The full Hessian (``jax.hessian``, n × n) against the parameter count n, as a multiple of
   one gradient's time, for h = 2 … 32.
3. The size of the graph: primitives in the jaxprs of J, ∇J and H v.

Every timing is the median of ``--repeats`` calls of an already compiled function, all
contenders interleaved in this one process; only ratios are reported.

Run:  python benchmarks/bench_second_order.py [--repeats 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import platform
from functools import partial

import jax
import jax.numpy as jnp
from sklearn.datasets import load_digits
from timing import medians  # benchmarks/timing.py, beside this script

import handgrad as hg

KW = dict(lam=1e-4, activation="tanh", loss="softmax_cross_entropy")


def data():
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    return jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.int32)


def hvp_vs_grad(X, Y, repeats):
    params = hg.mlp1_init(jax.random.key(0), 64, 256, 10)
    v = jax.tree_util.tree_map(jnp.ones_like, params)
    J = partial(hg.mlp1_objective, **KW)
    hand = partial(hg.mlp1_hand_grads, **KW)
    fns = {
        "grad (jax.grad)": jax.jit(jax.grad(J)),
        "grad (hand)": jax.jit(hand),
        "Hv (jvp of jax.grad)": jax.jit(lambda p, X, Y: hg.exercises.hvp(jax.grad(J), p, v, X, Y)),
        "Hv (jvp of hand)": jax.jit(lambda p, X, Y: hg.exercises.hvp(hand, p, v, X, Y)),
    }
    t = medians({k: partial(f, params, X, Y) for k, f in fns.items()}, repeats)
    base = t["grad (jax.grad)"]
    return {k: {"ms": 1e3 * s, "ratio_to_grad": s / base} for k, s in t.items()}


def hessian_vs_n(X, Y, repeats):
    rows = []
    J = partial(hg.mlp1_objective, **KW)
    for h in (2, 4, 8, 16, 32):
        params = hg.mlp1_init(jax.random.key(0), 64, h, 10)
        n = jax.flatten_util.ravel_pytree(params)[0].size
        grad = jax.jit(jax.grad(J))
        hess = jax.jit(lambda p, X, Y: hg.exercises.hessian(J, p, X, Y))
        t = medians(
            {"grad": partial(grad, params, X, Y), "hessian": partial(hess, params, X, Y)}, repeats
        )
        rows.append(
            {
                "h": h,
                "n": n,
                "hessian_MiB": n * n * 4 / 2**20,
                "grad_ms": 1e3 * t["grad"],
                "hessian_ms": 1e3 * t["hessian"],
                "hessian_over_grad": t["hessian"] / t["grad"],
            }
        )
    return rows


def graph_sizes(X, Y):
    params = hg.mlp1_init(jax.random.key(0), 64, 256, 10)
    J = partial(hg.mlp1_objective, **KW)
    hand = partial(hg.mlp1_hand_grads, **KW)
    count = lambda f: hg.exercises.primitive_count(f, params, X, Y)
    return {
        "J": count(J),
        "∇J (jax.grad)": count(jax.grad(J)),
        "∇J (hand)": count(hand),
        "Hv (jvp of jax.grad)": count(lambda p, X, Y: hg.exercises.hvp(jax.grad(J), p, p, X, Y)),
        "Hv (jvp of hand)": count(lambda p, X, Y: hg.exercises.hvp(hand, p, p, X, Y)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    X, Y = data()
    results = {
        "machine": f"{platform.processor() or platform.machine()}, jax {jax.__version__}, {jax.devices()[0].platform}",
        "hvp_vs_grad": hvp_vs_grad(X, Y, args.repeats),
        "hessian_vs_n": hessian_vs_n(X, Y, args.repeats),
        "graph_sizes": graph_sizes(X, Y),
    }
    print(results["machine"])
    print("\n| h = 256, n = 18,944, P = 1797 | ms per call | time / jax.grad |\n|---|---|---|")
    for k, r in results["hvp_vs_grad"].items():
        print(f"| {k} | {r['ms']:.2f} | {r['ratio_to_grad']:.2f} |")
    print(
        "\n| h | n | Hessian size | grad ms | Hessian ms | Hessian / grad |\n|---|---|---|---|---|---|"
    )
    for r in results["hessian_vs_n"]:
        print(
            f"| {r['h']} | {r['n']} | {r['hessian_MiB']:.2f} MiB | {r['grad_ms']:.2f} | {r['hessian_ms']:.1f} | {r['hessian_over_grad']:.0f} |"
        )
    print("\n| function | primitives in its jaxpr |\n|---|---|")
    for k, n in results["graph_sizes"].items():
        print(f"| {k} | {n} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
