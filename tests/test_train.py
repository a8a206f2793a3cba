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
    out, _err = proc.communicate(timeout=60)
    assert not os.path.exists(os.path.join(cut, "summary.json")), (
        "the run finished before it was interrupted"
    )
    resumed = handgrad("train", "--resume", cut, "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    got = params(cut)
    assert all(np.array_equal(expected[k], got[k]) for k in expected)  # exactly, bit for bit
    steps = [row["step"] for row in lines(os.path.join(cut, "metrics.jsonl"))]
    assert steps == list(range(0, 3001, 100))  # no step lost, none repeated
    return proc.returncode, out


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
    assert "model.name = 'linear' is the lecture's least-squares model" in _bad(
        capsys, "train", DEFAULT, "--set", "model.name=linear", *out
    )
    assert "no such config file" in _bad(capsys, "train", str(tmp_path / "none.toml"))
    assert "not a run folder" in _bad(capsys, "train", "--resume", str(tmp_path))
    assert "give a CONFIG file" in _bad(capsys, "train")


def test_divergence_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    run = str(tmp_path / "run")
    settings = [
        "--set",
        "optim.batch_size=0",
        "--set",
        "optim.steps=20",
        "--set",
        "train.chunk=10",
        "--set",
        "checkpoint.every=10",
        "--set",
        "train.verify_every=0",
        "--out",
        run,
        "--no-progress",
    ]
    err = _bad(capsys, "train", DEFAULT, "--set", "optim.lr=1e4", *settings)
    assert (
        "training diverged: the loss became" in err
        and "at step" in err
        and "Try a smaller optim.lr" in err
    )
    assert not os.path.exists(os.path.join(run, "summary.json"))
    # A healthy run, then the same run resumed with a learning rate that blows up:
    run = str(tmp_path / "run2")
    settings[settings.index("--out") + 1] = run
    assert main(["train", DEFAULT, *settings]) == 0
    cfg = os.path.join(run, "config.toml")
    text = read(cfg).replace("lr = 0.1", "lr = 10000.0").replace("steps = 20", "steps = 60")
    with open(cfg, "w") as f:
        f.write(text)
    good = os.path.join(run, "checkpoints", "ckpt-00000020.npz")
    before = read(good, "rb")
    err = _bad(capsys, "train", "--resume", run)
    assert "the last finite loss was" in err and f"the last good checkpoint is {good}" in err
    assert read(good, "rb") == before
    assert sorted(os.listdir(os.path.join(run, "checkpoints")))[-1] == "ckpt-00000020.npz"


def test_corrupt_or_mismatched_checkpoints_are_refused_not_overwritten(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", DEFAULT, *FAST, "--out", run, "--no-progress"]) == 0
    ckpt = os.path.join(run, "checkpoints", "ckpt-00000300.npz")
    with open(ckpt, "r+b") as f:
        f.seek(100)
        f.write(b"corrupt!" * 8)
    corrupted = read(ckpt, "rb")
    assert "corrupt checkpoint" in _bad(capsys, "train", "--resume", run)
    assert read(ckpt, "rb") == corrupted  # left as it was, for the user to inspect
    os.remove(ckpt)
    cfg = os.path.join(run, "config.toml")
    text = read(cfg).replace("hidden = [256]", "hidden = [128]")
    with open(cfg, "w") as f:
        f.write(text)
    assert "does not match this run's config" in _bad(capsys, "train", "--resume", run)
    assert "already holds a run" in _bad(capsys, "train", DEFAULT, "--out", run)


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


def test_a_hand_gradient_that_disagrees_with_autodiff_stops_the_run():
    import jax.numpy as jnp

    from handgrad.training.runner import TrainingError, _check_hand_gradients

    params = {"W1": jnp.ones((2, 2)), "W2": jnp.ones((1, 2))}
    agree = lambda p: (p, p)
    _check_hand_gradients(agree, params, 100, 1e-10)
    off = lambda p: ({**p, "W2": 1.001 * p["W2"]}, p)
    with pytest.raises(
        TrainingError,
        match=r"at step 100 the hand gradient of leaf W2 disagrees with autodiff: relative error 9.99\d*e-04 > 1e-10",
    ):
        _check_hand_gradients(off, params, 100, 1e-10)


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
