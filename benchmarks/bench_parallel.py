"""Splitting a batch over devices versus simply taking a smaller batch (d2l's exercise 5).

Workload: scikit-learn's digits (training split, 1437 × 64, standardised), d2l's architecture
without bias at this project's widths 64 → 256 → 10 (d2l gives none), ReLU, softmax
cross-entropy, λ = 1e-4, float32.

(a) Gradient noise. The minibatch gradient g_B is an unbiased estimate of the full-batch
    gradient ḡ; its noise is E‖g_B − ḡ‖² (sum over every weight), estimated from
    ``--draws`` random batches drawn without replacement. Splitting a batch of B over
    4 devices computes exactly g_B (checked here on 4 CPU devices); a batch of B/4 on
    one device is the cheaper alternative, with noise ≈ 4·(N − B/4)/(N − B) times larger.
(b) Steps to a target. Minibatch SGD (``handgrad.run_sgd``: shuffled epochs) at the same
    η with batch B and B/4, the full training objective J evaluated every ``--every``
    steps; the first step at which J ≤ target, median over ``--seeds`` seeds.

Run:  python benchmarks/bench_parallel.py [--draws 400] [--seeds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

import handgrad as hg
from handgrad.data import load_dataset
from handgrad.exercises.parallel import make_mesh, shard_batch

LAM, HIDDEN, DEVICES = 1e-4, 256, 4
VG = partial(hg.mlp1_hand_value_and_grad, lam=LAM)


def sq_norm(tree) -> jax.Array:
    return sum(jnp.sum(leaf**2) for leaf in jax.tree_util.tree_leaves(tree))


@jax.jit
def noise(params, X, Y, batches):
    """E‖g_B − ḡ‖² over the rows of ``batches`` (each a set of B indices)."""
    g_full = VG(params, X, Y)[1]

    def deviation(idx):
        g = VG(params, X[idx], Y[idx])[1]
        return sq_norm(jax.tree_util.tree_map(jnp.subtract, g, g_full))

    return jnp.mean(jax.lax.map(deviation, batches, batch_size=50)), sq_norm(g_full)


def draw(rng, N, B, draws):
    return jnp.asarray(np.stack([rng.choice(N, B, replace=False) for _ in range(draws)]))


def split_equals_whole(params, X, Y, B):
    """max |g_B(split over 4 devices) − g_B(one device)| / max |g_B|, on the first B rows."""
    Xb, Yb = X[:B], Y[:B]
    grad = jax.jit(lambda p, X, Y: VG(p, X, Y)[1])
    one = grad(params, Xb, Yb)
    Xs, Ys = shard_batch(Xb, Yb, make_mesh(DEVICES))
    split = grad(params, Xs, Ys)
    rows = {s.data.shape[0] for s in Xs.addressable_shards}
    err = max(float(jnp.max(jnp.abs(one[k] - split[k]))) for k in one)
    scale = max(float(jnp.max(jnp.abs(one[k]))) for k in one)
    return err / scale, rows


def steps_to_target(params, X, Y, B, lr, targets, seed, every, max_steps):
    """First step (a multiple of ``every``) at which the full J ≤ each target."""
    objective = jax.jit(partial(hg.mlp1_objective, lam=LAM))
    reached, steps, key = {}, 0, jax.random.key(seed)
    while steps < max_steps and len(reached) < len(targets):
        key, sub = jax.random.split(key)
        params, _ = hg.run_sgd(VG, params, X, Y, lr=lr, steps=every, key=sub, batch_size=B)
        steps += every
        J = float(objective(params, X, Y))
        reached.update({t: steps for t in targets if t not in reached and J <= t})
    return [reached.get(t) for t in targets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=128, help="B; the small batch is B/4")
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.1, 0.5, 1.0])
    parser.add_argument("--targets", type=float, nargs="+", default=[0.1, 0.03, 0.02])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    jax.config.update("jax_num_cpu_devices", DEVICES)  # before the backend starts
    B, b = args.batch, args.batch // DEVICES
    t0 = time.perf_counter()

    ds = load_dataset("digits")
    X, Y = jnp.asarray(ds.X_train, jnp.float32), jnp.asarray(ds.Y_train, jnp.int32)
    N = X.shape[0]
    init = hg.mlp1_init(jax.random.key(0), X.shape[1], HIDDEN, ds.num_classes)
    trained, _ = hg.run_gd(VG, init, X, Y, lr=0.1, steps=200)
    rel, rows = split_equals_whole(init, X, Y, B)

    rng = np.random.default_rng(0)
    out = {"N": N, "B": B, "b": b, "split_rel_err": rel, "split_rows": sorted(rows), "noise": {}}
    print(
        f"digits N = {N}, d2l's architecture at this project's width h = {HIDDEN}, float32; "
        f"B = {B}, B/4 = {b}"
    )
    print(f"g_B split over {DEVICES} devices ({sorted(rows)} rows each) vs one device: "
          f"max rel. difference {rel:.1e} (rounding only)\n")  # fmt: skip
    print("| point | ‖ḡ‖² | E‖g_B − ḡ‖² (B, or B split 4 ways) | E‖g_B/4 − ḡ‖² | ratio | theory "
          "| noise scale tr Σ/‖ḡ‖² |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    theory = DEVICES * (N - b) / (N - B)
    for name, params in (("init", init), ("after 200 GD steps", trained)):
        n_B, g2 = noise(params, X, Y, draw(rng, N, B, args.draws))
        n_b, _ = noise(params, X, Y, draw(rng, N, b, args.draws))
        n_B, n_b, g2 = float(n_B), float(n_b), float(g2)
        scale = B * n_B * (N - 1) / (N - B) / g2  # McCandlish et al.'s B_simple
        out["noise"][name] = {"full_sq_norm": g2, "B": n_B, "b": n_b, "ratio": n_b / n_B,
                              "noise_scale": scale}  # fmt: skip
        print(f"| {name} | {g2:.4g} | {n_B:.4g} | {n_b:.4g} | {n_b / n_B:.2f} | {theory:.2f} "
              f"| {scale:.0f} |")  # fmt: skip

    print(f"\nminibatch SGD from the same start, full-set J every {args.every} steps "
          f"(at most {args.max_steps}), median of {args.seeds} seeds:\n")  # fmt: skip
    head = " | ".join(f"steps to J ≤ {t}" for t in args.targets)
    print(f"| η | batch | {head} | samples to J ≤ {args.targets[-1]} |")
    print("|---" * (len(args.targets) + 3) + "|")
    out["steps"] = []
    for lr in args.lrs:
        for batch in (B, b):
            runs = [
                steps_to_target(init, X, Y, batch, lr, args.targets, s, args.every, args.max_steps)
                for s in range(args.seeds)
            ]  # fmt: skip
            med = [None if any(r[i] is None for r in runs) else int(np.median([r[i] for r in runs]))
                   for i in range(len(args.targets))]  # fmt: skip
            out["steps"].append({"lr": lr, "batch": batch, "runs": runs, "median": med})
            cells = " | ".join("—" if m is None else str(m) for m in med)
            seen = "—" if med[-1] is None else str(med[-1] * batch)
            print(f"| {lr} | {batch} | {cells} | {seen} |")
    for batch in (B, b):
        done = [r for r in out["steps"] if r["batch"] == batch and r["median"][-1] is not None]
        best = min(done, key=lambda r: r["median"][-1], default=None)
        print(f"best over η, batch {batch}: " + ("target not reached" if best is None else
              f"{best['median'][-1]} steps to J ≤ {args.targets[-1]} at η = {best['lr']}"))  # fmt: skip

    out.update(jax=jax.__version__, cpu=platform.processor() or platform.machine(),
               seconds=time.perf_counter() - t0)  # fmt: skip
    print(f"\njax {jax.__version__}, {out['cpu']}, {out['seconds']:.0f} s in all")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
