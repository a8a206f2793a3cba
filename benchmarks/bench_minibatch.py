"""Where minibatch SGD's time goes: the suspects, each measured on its own.

Workload: d2l's MLP 64 → 256 → 10 on scikit-learn's digits (P = 1797), minibatch 128, λ = 1e-4,
float32, 1000 steps (``--steps``); every line µs per step, median of interleaved rounds.

- the shuffle: one epoch order per 15 steps, ``jax.random.permutation`` (key–value sorts)
  against ``samplers.shuffle`` (one-operand sorts of packed keys), µs per step amortised;
- the schedule: ``minibatch(128).schedule`` for the whole chunk, as ``run_sgd`` draws it;
- the two-size ``lax.switch``: P = 1797 (a short last batch of 5 each epoch) against
  P = 1792 = 14 · 128 (one size, no switch);
- the gather: the same loop on shuffled indices against the first 128 rows every step;
- the step's own work: d2l's formulas on a fixed batch, in a ``lax.scan``;
- the host: one ``run_sgd`` call of one step, checks and dispatch (µs per call);
- the schedule of ``bench_scaling.py``'s widest batches: minibatch(2048) on P = 16,384, whose
  epoch is 8 steps long;
- the orientation of ∂J/∂W⁽¹⁾ = (∂J/∂Z)ᵀX, a product summed over the samples: from
  row-major ∂J/∂Z (P, h), as a batch is usually written, and from ∂J/∂Zᵀ (h, P), one sample
  per column as d2l prints it (µs per product, one compiled call each, at B = 128 and
  h = 256, and at B = 256 and h = 1024).

Run:  python benchmarks/bench_minibatch.py [--repeats 7] [--steps 1000]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from functools import partial

import jax
import jax.numpy as jnp
from timing import medians
from workload import digits

import handgrad as hg
from handgrad.optim.samplers import shuffle

LAM, LR, B = 1e-4, 0.1, 128


def epochs_for(P, steps):
    """The epochs ``steps`` batches in a row can touch, as ``minibatch`` shuffles them."""
    return -(-(steps - 1) // -(-P // B)) + 1


@partial(jax.jit, static_argnames=("P", "steps", "how"))
def orders(key, P, steps, how):
    draw = jax.random.permutation if how == "jax.random.permutation" else shuffle
    epochs = jnp.arange(epochs_for(P, steps))
    return jax.vmap(lambda e: draw(jax.random.fold_in(key, e), P))(epochs)


@partial(jax.jit, static_argnames=("P", "batch", "steps"))
def schedule_of(key, P, batch, steps):
    sampler = hg.minibatch(batch)
    return sampler.schedule(sampler.init(key), P, steps)


def schedule(key, P, steps):
    return schedule_of(key, P, B, steps)


@jax.jit
def on_indices(params, X, Y, idx):
    """The loop on given (steps, B) indices: each step gathers, steps, updates."""
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)

    def body(p, i):
        J, g = hand(p, X[i], Y[i])
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, p, g), J

    return jax.lax.scan(body, params, idx)


@partial(jax.jit, static_argnames="columns")
def product(dZ, X, columns):
    """(∂J/∂Z)ᵀX from ∂J/∂Z (P, h) or from ∂J/∂Zᵀ (h, P)."""
    return dZ @ X if columns else dZ.T @ X


@partial(jax.jit, static_argnames="steps")
def fixed_batch(params, Xb, Yb, steps):
    """The step alone: no sampling, no gather."""
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)

    def body(p, _):
        J, g = hand(p, Xb, Yb)
        return jax.tree_util.tree_map(lambda w, d: w - LR * d, p, g), J

    return jax.lax.scan(body, params, None, length=steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    steps = args.steps
    X, Y = (jnp.asarray(a) for a in digits())
    P = X.shape[0]
    params = hg.mlp1_init(jax.random.key(0), 64, 256, 10, dtype=jnp.float32)
    key = jax.random.key(0)
    hand = partial(hg.mlp1_hand_value_and_grad, lam=LAM)
    sgd = lambda X, Y, steps: hg.run_sgd(hand, params, X, Y, lr=LR, steps=steps, key=key,
                                         batch_size=B)  # fmt: skip
    (_, (idx, *_)), _ = schedule(key, P, steps)
    fixed = jnp.broadcast_to(jnp.arange(B, dtype=jnp.int32), (steps, B))
    per_step = {
        "shuffle: jax.random.permutation": partial(orders, key, P, steps, "jax.random.permutation"),
        "shuffle: samplers.shuffle": partial(orders, key, P, steps, "shuffle"),
        "schedule: minibatch(128), the whole chunk": partial(schedule, key, P, steps),
        "run_sgd, P = 1797 (two sizes: lax.switch)": partial(sgd, X, Y, steps),
        "run_sgd, P = 1792 (one size)": partial(sgd, X[:1792], Y[:1792], steps),
        "loop on shuffled indices (gather)": partial(on_indices, params, X, Y, idx),
        "loop on the first 128 rows every step": partial(on_indices, params, X, Y, fixed),
        "the step alone, a fixed batch": partial(fixed_batch, params, X[:B], Y[:B], steps),
    }
    # the scaling benchmark's wide-batch cells: an epoch of 16,384 is 8 steps of 2048, so each
    # step carries a larger share of a shuffle (12 steps, as bench_scaling.py runs at h = 256)
    big = {
        "schedule: minibatch(2048) on P = 16384, 12 steps, per step": partial(
            schedule_of, key, 16384, 2048, 12
        )
    }
    rng, products = jax.random.split(key, 2), {}
    for b, h in ((B, 256), (256, 1024)):
        dZ, Xb = jax.random.normal(rng[0], (b, h)), jax.random.normal(rng[1], (b, 64))
        products[f"(∂J/∂Z)ᵀX from rows, B = {b}, h = {h}, per product"] = partial(
            product, dZ, Xb, False
        )
        products[f"(∂J/∂Z)ᵀX from columns, B = {b}, h = {h}, per product"] = partial(
            product, dZ.T.copy(), Xb, True
        )
    us = {k: v / steps * 1e6 for k, v in medians(per_step, args.repeats).items()}
    us |= {k: v * 1e6 for k, v in medians(products, args.repeats * 20).items()}
    us |= {k: v / 12 * 1e6 for k, v in medians(big, args.repeats).items()}
    host = medians({"run_sgd, one step": partial(sgd, X, Y, 1)}, args.repeats * 5)
    print(f"command: python benchmarks/bench_minibatch.py --repeats {args.repeats} --steps {steps} · date: "
          f"{datetime.date.today()} · machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"jax {jax.__version__}\n")  # fmt: skip
    print("| what | µs (per step; per product or per call where it says) |\n|---|---|")
    for k, v in us.items():
        print(f"| {k} | {v:.1f} |")
    print(f"| run_sgd, one step: host checks and dispatch, per call | "
          f"{host['run_sgd, one step'] * 1e6:.0f} |")  # fmt: skip
    print(f"\n(the shuffles: {epochs_for(P, steps)} epoch orders of {P} for {steps} steps)")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t:.0f} s in all)")
