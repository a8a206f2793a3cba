"""Every script in benchmarks/ runs to the end at toy sizes and prints what it promises, so
none can rot. No timing is asserted: timing claims live in benchmarks/README.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args, timeout=300) -> str:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_digits_times_every_contender_in_every_regime(tmp_path):
    out = tmp_path / "d.json"
    text = bench("benchmarks/bench_digits.py", "--toy", "--json", str(out))
    assert text.startswith("command: python benchmarks/bench_digits.py --toy")
    raw = json.loads(out.read_text())["us_per_step"]
    contenders = ["handgrad", "jax.grad", "carried", "expert", "expert, columns", "expert, no s",
                  "NumPy"]  # fmt: skip
    try:
        import torch  # noqa: F401

        contenders.append("PyTorch")
    except ImportError:
        pass
    if any(k.startswith("torch.compile/") for k in raw):  # it needs a C++ compiler
        contenders.append("torch.compile")
    header = next(ln for ln in text.splitlines() if ln.startswith("| regime | handgrad |"))
    assert all(f" {who} |" in header for who in contenders), header
    for regime in ("full_batch", "per_sample", "minibatch"):
        assert f"| {regime} | " in text
        for who in contenders:
            assert raw[f"{who}/{regime}"] > 0, (who, regime)
    for regime in ("full_batch", "per_sample"):
        assert raw[f"python loop/{regime}"] > 0


def test_carried_drift_is_tabled_and_small_when_anchored():
    text = bench("benchmarks/bench_carried.py", "--toy")
    rows = {ln.split("|")[1].strip(): ln.split("|")[2:4] for ln in text.splitlines()
            if ln.startswith("| ") and "e-" in ln}  # fmt: skip
    assert set(rows) == {"plain sums, never anchored", "compensated, never anchored",
                         "compensated, anchored every 100 steps"}  # fmt: skip
    assert all(float(v) < 1e-5 for v in rows["compensated, anchored every 100 steps"])


def test_first_step_breakdown_of_a_run_that_compiles_one_chunk_program():
    # chunks of 20, cut at 15 and 30 by checkpoints and ending short: one chunk program
    text = bench("benchmarks/bench_first_step.py", "--repeats", "1", "--set", "optim.steps=35",
                 "--set", "train.chunk=20", "--set", "checkpoint.every=15")  # fmt: skip
    for phase in ("start and exit", "import", "data", "compile", "steps", "the rest", "**wall**"):
        assert f"| {phase} |" in text
    assert "chunk programs compiled: 1" in text


def test_minibatch_suspects_are_each_measured():
    text = bench("benchmarks/bench_minibatch.py", "--repeats", "1", "--steps", "20")
    for what in ("shuffle: jax.random.permutation", "shuffle: samplers.shuffle", "lax.switch",
                 "gather", "the step alone", "host checks and dispatch"):  # fmt: skip
        assert what in text


def test_gpu_script_prints_every_table(tmp_path):
    out = tmp_path / "gpu.json"
    text = bench("benchmarks/gpu.py", "--toy", "--json", str(out))
    for line in (
        "command: python benchmarks/gpu.py --toy",
        "| precision | ms/call | TFLOP/s |",
        "| float32 |",
        "| TF32 |",
        "| bfloat16 |",
        "TF32 matmul context",
        "flops per step = 2·B·(2·d·h + 3·h·q)",
        "| gradient | ms/step | TFLOP/s | of TF32 GEMM |",
        "| hand |",
        "| jax.grad |",
        "| regime | steps | handgrad µs/step |",
        "| full_batch | 5 |",
        "| per_sample | 20 |",
        "| minibatch | 10 |",
        "| MLP step hand |",
        "| digits minibatch |",
    ):
        assert line in text, f"{line!r} missing from:\n{text}"
    raw = json.loads(out.read_text())
    assert set(raw["gemm"]) == {"float32", "TF32", "bfloat16"}
    assert set(raw["mlp"]) == {"hand", "jax.grad"}
    assert raw["mlp_flops"] == 2 * 64 * (2 * 32 * 64 + 3 * 64 * 16)
    assert {"handgrad/full_batch", "handgrad/per_sample", "handgrad/minibatch"} <= set(
        raw["digits_us_per_step"]
    )


# (d, h, B, full batch) of every toy cell: the d=64 grid, then the small "MNIST"
TOY_CELLS = [(64, h, B, False) for h in (8, 16) for B in (1, 4)] + [
    (20, 16, 16, False),
    (20, 16, 64, True),
]


def test_scaling_writes_every_cell_to_table_json_and_plot(tmp_path):
    png, out = tmp_path / "s.png", tmp_path / "s.json"
    text = bench("benchmarks/bench_scaling.py", "--toy", "--plot", str(png), "--json", str(out))
    lines = text.splitlines()
    assert lines[0].startswith("command: ") and lines[2].startswith("machine: ")
    for _, h, B, full in TOY_CELLS:
        b = f"full ({B})" if full else str(B)
        rows = [ln for ln in lines if ln.startswith(f"| {h} | {b} | ")]
        assert len(rows) == 1, (h, b, text)
        assert len(rows[0].strip("|").split("|")) == 10, rows[0]
    cells = json.loads(out.read_text())["cells"]
    assert sorted((c["d"], c["h"], c["B"], c["full_batch"]) for c in cells) == sorted(TOY_CELLS)
    for c in cells:
        assert c["steps"] >= 1
        assert c["flops"] == 2 * c["B"] * (2 * c["d"] * c["h"] + 3 * c["h"] * 10)
        for who in ("handgrad", "numpy", "gemms"):  # pytorch is optional
            assert c["us"][who] > 0, (c, who)
        assert c["us"]["pytorch"] is None or c["us"]["pytorch"] > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")))
def test_every_script_says_how_to_run_it(script):
    text = (ROOT / "benchmarks" / script).read_text()
    assert text.startswith('"""') and (
        "Run:" in text or script in ("timing.py", "workload.py", "expert.py")
    )
