"""Where ``make train``'s time goes: import, data, compilation, steps, and the rest.

Runs ``handgrad train`` (the default config, d2l's MLP on scikit-learn's digits, or any
CONFIG) in a fresh Python process, as README's first command does, and splits its wall time:

- **start and exit**: the interpreter starting before the first line, and exiting after the last;
- **import**: ``import handgrad.cli`` and JAX;
- **data**: ``training.setup.build``: the config's data set loaded, split, standardised, and the
  parameters initialised;
- **compile**: tracing, lowering and XLA compilation, from ``jax.monitoring``'s duration events,
  wherever they happen (the chunk program, evaluation, the gradient check);
- **steps**: the chunks of training steps (``run_steps`` calls) less their compilation;
- **the rest**: metrics, checkpoints, the gradient check, the plot, summary.json.

Also counts the XLA compilations, and how many chunk programs the run compiled.

Run:  python benchmarks/bench_first_step.py [CONFIG] [--repeats 3] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

DRIVER = r"""
import json, sys, time
t0 = time.perf_counter()
import jax
import handgrad.cli
from handgrad.optim import loop
from handgrad.training import runner
t_import = time.perf_counter() - t0
compile_s, compiles = [0.0], [0]
EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
          "/jax/core/compile/jaxpr_to_mlir_module_duration",
          "/jax/core/compile/backend_compile_duration")
def on_event(event, duration, **kwargs):
    if event in EVENTS:
        compile_s[0] += duration
        compiles[0] += event == EVENTS[2]
jax.monitoring.register_event_duration_secs_listener(on_event)
data_s, steps_s = [0.0], [0.0]
def timed(f, total):
    def wrapped(*a, **k):
        t, c = time.perf_counter(), compile_s[0]
        out = jax.block_until_ready(f(*a, **k))
        total[0] += time.perf_counter() - t - (compile_s[0] - c)
        return out
    return wrapped
runner.build = timed(runner.build, data_s)
runner.run_steps = timed(runner.run_steps, steps_s)
t1 = time.perf_counter()
code = handgrad.cli.main(sys.argv[1:])
print(json.dumps({"rc": code, "import": t_import, "data": data_s[0], "compile": compile_s[0],
                  "steps": steps_s[0], "run": time.perf_counter() - t1, "compilations": compiles[0],
                  "chunk_programs": loop._compiled_steps._cache_size()}))
"""


def one_run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["train", *args.config, *(f"--set={s}" for s in args.set)]
        argv += ["--out", os.path.join(tmp, "run"), "--no-progress"]
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", DRIVER, *argv], capture_output=True,
                             text=True, check=False)  # fmt: skip
        wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"handgrad train failed:\n{out.stderr}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    # the data phase's own compilations are counted under compile, not data
    rest = r["run"] - r["data"] - r["compile"] - r["steps"]
    return {"wall": wall, "start and exit": wall - r["import"] - r["run"], "import": r["import"],
            "data": r["data"], "compile": r["compile"], "steps": r["steps"], "the rest": rest,
            "compilations": r["compilations"], "chunk programs": r["chunk_programs"]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="*", help="CONFIG (default: the default config)")
    parser.add_argument("--set", action="append", default=[], help="an override, as train takes")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args) for _ in range(args.repeats)]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    command = " ".join(["python benchmarks/bench_first_step.py", *sys.argv[1:]])
    print(f"command: {command} · date: {datetime.date.today()} · machine: "
          f"{platform.machine()}, {os.cpu_count()} CPUs · median of {args.repeats}\n")  # fmt: skip
    print("| phase | seconds | share |")
    print("|---|---|---|")
    for phase in ("start and exit", "import", "data", "compile", "steps", "the rest"):
        print(f"| {phase} | {median[phase]:.2f} | {median[phase] / median['wall']:.0%} |")
    print(f"| **wall** | **{median['wall']:.2f}** | |")
    print(f"\nXLA compilations: {median['compilations']:.0f}; "
          f"chunk programs compiled: {median['chunk programs']:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
