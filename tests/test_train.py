"""``handgrad train`` end to end: the real command in a subprocess, and bad input in-process."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from handgrad import data
from handgrad.cli import main

ROOT = os.path.dirname(os.path.dirname(__file__))
DEFAULT = os.path.join(ROOT, "configs", "digits_mlp1.toml")
FAST = [
    "--set",
    "optim.steps=300",
    "--set",
    "train.chunk=100",
    "--set",
    "checkpoint.every=100",
    "--set",
    "train.verify_every=100",
]


def handgrad(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "handgrad", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def lines(path):
    return [json.loads(line) for line in read(path).splitlines() if line.strip()]


def params(run_dir):
    with np.load(os.path.join(run_dir, "params.npz")) as f:
        return {k: f[k] for k in f.files}


def test_a_short_run_writes_everything_a_user_expects(tmp_path):
    run = str(tmp_path / "run")
    done = handgrad("train", DEFAULT, *FAST, "--out", run)
    assert done.returncode == 0, done.stderr
    assert "final: final_step 300" in done.stdout and "Traceback" not in done.stderr
    summary = json.loads(read(os.path.join(run, "summary.json")))
    assert summary["final_step"] == 300 and summary["test_accuracy"] > 0.9
    assert {"train_loss", "train_accuracy", "test_accuracy"} <= set(summary)
    assert set(params(run)) == {"W1", "W2"} and params(run)["W1"].shape == (256, 64)
    rows = lines(os.path.join(run, "metrics.jsonl"))
    assert [r["step"] for r in rows] == [0, 100, 200, 300]
    assert {"train_loss", "train_accuracy", "test_accuracy", "grad_norm", "lr", "wall_time"} <= set(
        rows[-1]
    )
    assert read(os.path.join(run, "metrics.png"), "rb")[:8] == b"\x89PNG\r\n\x1a\n"
    assert "steps = 300" in read(os.path.join(run, "config.toml"))  # the resolved config
    evaluated = handgrad("eval", run)
    assert (
        evaluated.returncode == 0
        and f"test_accuracy {summary['test_accuracy']:.4g}" in evaluated.stdout
    )


INTERRUPTIBLE = [
    DEFAULT,
    "--set",
    "optim.batch_size=0",
    "--set",
    "optim.lr=0.5",
    "--set",
    "optim.steps=3000",
    "--set",
    "train.chunk=100",
    "--set",
    "checkpoint.every=100",
    "--set",
    "train.verify_every=0",
    "--no-progress",
]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The run the interrupted ones must reproduce, bit for bit."""
    whole = str(tmp_path_factory.mktemp("whole") / "run")
    done = handgrad("train", *INTERRUPTIBLE, "--out", whole)
    assert done.returncode == 0, done.stderr
    return params(whole)


def _interrupted_then_resumed(tmp_path, sig, expected):
    cut = str(tmp_path / "cut")
    proc = subprocess.Popen(
        [sys.executable, "-m", "handgrad", "train", *INTERRUPTIBLE, "--out", cut],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(cut, "checkpoints", "ckpt-00000200.npz")):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert not os.path.exists(os.path.join(cut, "summary.json")), (
        "the run finished before it was interrupted"
    )
    resumed = handgrad("train", "--resume", cut, "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    got = params(cut)
    assert all(np.array_equal(expected[k], got[k]) for k in expected)  # exactly, bit for bit
    steps = [row["step"] for row in lines(os.path.join(cut, "metrics.jsonl"))]
    assert steps == list(range(0, 3001, 100))  # no step lost, none repeated
    return proc.returncode, out + err


def test_a_run_killed_with_sigkill_resumes_to_exactly_the_same_parameters(tmp_path, uninterrupted):
    code, _ = _interrupted_then_resumed(tmp_path, signal.SIGKILL, uninterrupted)
    assert code == -signal.SIGKILL


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path, uninterrupted):
    code, out = _interrupted_then_resumed(tmp_path, signal.SIGINT, uninterrupted)
    assert code == 130 and "interrupted: saved a checkpoint at step" in out


def test_mnist_from_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, n in (("train", 60), ("t10k", 20)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 50 + labels[:, None, None] * 20).astype(np.uint8)
        data.write_idx(str(folder / f"{split}-images-idx3-ubyte.gz"), images)
        data.write_idx(str(folder / f"{split}-labels-idx1-ubyte"), labels)
    run = str(tmp_path / "run")
    done = handgrad("train", os.path.join(ROOT, "configs", "mnist_mlp1.toml"), "--set", f"data.path={folder}",
                    "--set", "optim.steps=50", "--set", "train.chunk=50", "--set", "checkpoint.every=50", "--set", "optim.batch_size=16",
                    "--out", run, "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert params(run)["W1"].shape == (256, 784)


def _bad(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    return err


def test_bad_input_is_one_clear_line_and_status_2(tmp_path, capsys):
    out = ["--out", str(tmp_path / "r")]
    assert "did you mean 'optim.lr'" in _bad(
        capsys, "train", DEFAULT, "--set", "optim.lrr=0.1", *out
    )
    assert "optim.lr must be a number, got 'fast'" in _bad(
        capsys, "train", DEFAULT, "--set", "optim.lr=fast", *out
    )
    assert "data.name = 'cifar' is not one of ['digits'" in _bad(
        capsys, "train", DEFAULT, "--set", "data.name=cifar", *out
    )
    assert "model.activation = 'gelu' is not one of" in _bad(
        capsys, "train", DEFAULT, "--set", "model.activation=gelu", *out
    )
    assert "train-images-idx3-ubyte[.gz]: no such file" in _bad(
        capsys, "train", DEFAULT, "--set", "data.name=mnist", "--set", f"data.path={tmp_path}", *out
    )
    assert "use model.loss = 'squared_error'" in _bad(
        capsys, "train", DEFAULT, "--set", "data.name=linear_regression", *out
    )
    assert "model.hidden applies only to model.name in ['mlp1', 'mlp']" in _bad(
        capsys, "train", DEFAULT, "--set", "model.name=linear", *out
    )
    assert "no such config file" in _bad(capsys, "train", str(tmp_path / "none.toml"))
    assert "not a run folder" in _bad(capsys, "train", "--resume", str(tmp_path))
    # no CONFIG trains the default (tests/test_cli.py); an empty one is still an error
    assert "'': an empty CONFIG; give a file or a shipped name" in _bad(capsys, "train", "")


def test_config_show_prints_the_resolved_config(capsys):
    assert main(["config", "show", DEFAULT, "--set", "optim.lr=0.05"]) == 0
    out = capsys.readouterr().out
    assert "lr = 0.05" in out and 'name = "digits"' in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--set", "optim.stepz=10"],
            "unknown config key 'optim.stepz'; did you mean 'optim.steps'?",
        ),
        (
            ["--set", "optim.name=lbfgs"],
            "optim.name = 'lbfgs' is not one of ['sgd', 'momentum', 'adam', 'newton']",
        ),
    ],
)
def test_the_installed_command_reports_bad_input_with_status_2(tmp_path, args, message):
    done = handgrad("train", DEFAULT, *args, "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not os.path.exists(tmp_path / "r")  # nothing written for a config that never ran


def test_precision_is_the_entry_points_choice(tmp_path):
    """The library never flips jax_enable_x64: a float64 config refuses to build without it,
    and the handgrad command, the entry point, turns it on for such a config."""
    import jax

    from handgrad.training.config import ConfigError, load_config
    from handgrad.training.setup import build

    cfg = load_config(DEFAULT, ["train.dtype=float64"])
    with jax.enable_x64(False):
        with pytest.raises(ConfigError, match=r"train.dtype = 'float64' needs JAX's 64-bit mode"):
            build(cfg)
        assert not jax.config.jax_enable_x64
    run = str(tmp_path / "run")
    settings = [
        "--set",
        "optim.steps=20",
        "--set",
        "train.chunk=10",
        "--set",
        "checkpoint.every=10",
    ]
    done = handgrad(
        "train", DEFAULT, "--set", "train.dtype=float64", *settings, "--out", run, "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    assert params(run)["W1"].dtype == np.float64
    assert main(["eval", run]) == 0
