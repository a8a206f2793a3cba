"""Median time per call of compiled functions, measured interleaved in one process."""

from __future__ import annotations

import statistics
import time

import jax


def medians(fns: dict, repeats: int) -> dict:
    """Median seconds per call of each zero-argument function, after one warm-up (compile) call;
    the calls are interleaved, so drifting machine load hits every contender alike."""
    for f in fns.values():
        jax.block_until_ready(f())
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t = time.perf_counter()
            jax.block_until_ready(f())
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}
