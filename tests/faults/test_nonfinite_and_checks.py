"""Rules 1 and 2: no false gradient alarm on a healthy run, and nothing non-finite saved or
reported as success."""

import json
import os

import jax
import numpy as np
import pytest

from faults.runs import DEFAULT, SMALL, fails, handgrad, read
from handgrad.training import health
from handgrad.training.checkpoint import save_checkpoint
from handgrad.training.config import load_config
from handgrad.training.setup import build

ROOT = os.path.dirname(DEFAULT)


def test_a_long_healthy_run_passes_every_gradient_check(tmp_path):
    """The default run for 20000 steps, checked every 500: in float32 its gradient's norm falls
    to ~1e-3 and a float32 comparison raised a false alarm at step 13000."""
    run = str(tmp_path / "run")
    done = handgrad("train", DEFAULT, "--set", "optim.steps=20000", "--set", "train.verify_every=500",
                    "--out", run, "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(read(os.path.join(run, "summary.json")))["final_step"] == 20000


def test_a_converged_run_whose_gradient_vanishes_passes_the_check():
    """A linear classifier trained until its gradient is ~1e-7 of its per-sample terms: the
    relative error of the summed gradient in float64 reaches 2e-9 there, yet the check, which
    measures against the terms' scale, still sees agreement to ~1e-13 of it."""
    from handgrad.optim.loop import init_run, run_steps

    cfg = load_config(os.path.join(ROOT, "spirals_linear.toml"), ["optim.steps=20000"])
    s = build(cfg)
    state = init_run(s.params, s.rule, s.sampler, jax.random.key(1))
    state, _ = run_steps(s.value_and_grad, s.rule, s.sampler, state, s.X_train, s.Y_train,
                         steps=20000)  # fmt: skip
    health.check_hand_gradients(health.make_gradient_check(s), state.params, 20000)
    with pytest.raises(health.TrainingError):  # and it is not blind: 1e-13 is what it allows
        health.check_hand_gradients(health.make_gradient_check(s), state.params, 20000, tol=1e-16)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda g, p: {**g, "W2": g["W2"] * (1 + 1e-6)},  # a tiny wrong factor
        lambda g, p: {**g, "W1": g["W1"] - 1e-4 * p["W1"]},  # the penalty's λW⁽¹⁾ forgotten
        lambda g, p: {**g, "W2": g["W2"].T.reshape(g["W2"].shape)},  # a transposed product
    ],
)
def test_a_planted_wrong_formula_fails_the_first_check(tmp_path, capsys, monkeypatch, wrong):
    import handgrad.training.setup as setup

    right = setup.mlp1_hand_value_and_grad

    def planted(params, X, Y, **kw):
        J, g = right(params, X, Y, **kw)
        return J, wrong(g, params)

    monkeypatch.setattr(setup, "mlp1_hand_value_and_grad", planted)
    err = fails(capsys, "train", DEFAULT, *SMALL, "--out", str(tmp_path / "run"))
    assert "at step 100 the hand gradient of leaf" in err and "disagrees with autodiff" in err


def test_divergence_exits_2_and_reports_no_success(tmp_path, capsys):
    for i, extra in enumerate((["optim.steps=1", "optim.lr=1e30"], ["optim.steps=20", "optim.lr=1e4"],
                               ["optim.steps=3", "optim.lr=1e15"], ["optim.steps=20", "model.lam=1e30"])):  # fmt: skip
        run = tmp_path / f"run-{i}"
        sets = [a for e in extra for a in ("--set", e)]
        err = fails(capsys, "train", DEFAULT, *sets, "--set", "train.verify_every=0", "--set",
                    "optim.batch_size=0", "--out", str(run), "--no-progress")  # fmt: skip
        assert "training diverged" in err and "smaller optim.lr" in err, err
        assert not (run / "summary.json").exists() and not (run / "params.npz").exists()
        rows = (run / "metrics.jsonl").read_text() if run.exists() else ""  # none: no folder left
        for line in rows.splitlines():  # only finite rows
            assert "NaN" not in line and "Infinity" not in line, line


def test_every_checkpoint_named_good_is_finite(tmp_path, capsys):
    """Checkpoints every step: the one the error names as the last good one holds no NaN."""
    for lr in ("30", "100", "1e3"):
        run = tmp_path / f"run-{lr}"
        err = fails(capsys, "train", DEFAULT, "--set", "optim.steps=40", "--set", f"optim.lr={lr}",
                    "--set", "train.chunk=1", "--set", "checkpoint.every=1", "--set", "optim.batch_size=0",
                    "--set", "train.verify_every=0", "--out", str(run), "--no-progress")  # fmt: skip
        assert "training diverged" in err, err
        good = err.split("the last good checkpoint is ")[1].split(". ")[0]
        assert os.path.exists(good)
        with np.load(good) as f:
            assert all(np.all(np.isfinite(f[k])) for k in f.files if f[k].dtype.kind == "f")
        for name in os.listdir(run / "checkpoints"):
            with np.load(run / "checkpoints" / name) as f:
                assert all(np.all(np.isfinite(f[k])) for k in f.files if f[k].dtype.kind == "f")


@pytest.mark.parametrize(
    "override, named",
    [
        ("optim.lr=nan", "optim.lr must be finite"),
        ("optim.lr=inf", "optim.lr must be finite"),
        ("model.lam=nan", "model.lam must be finite"),
        ("data.test_fraction=nan", "data.test_fraction must be finite"),
    ],
)
def test_non_finite_hyperparameters_are_named_not_called_divergence(
    capsys, tmp_path, override, named
):
    err = fails(capsys, "train", DEFAULT, "--set", override, "--out", str(tmp_path / "r"))
    assert named in err and "diverged" not in err
    assert not (tmp_path / "r").exists()


def test_non_finite_momentum_and_noise_are_named(capsys, tmp_path):
    momentum = ["--set", "optim.name=momentum", "--set", "optim.momentum=nan"]
    assert "optim.momentum must be finite" in fails(capsys, "train", DEFAULT, *momentum)
    moons = os.path.join(ROOT, "spirals_mlp.toml")
    err = fails(
        capsys,
        "train",
        moons,
        "--set",
        "data.name=two_moons",
        "--set",
        "data.options={noise = nan}",
    )
    assert "noise" in err and "finite" in err and "diverged" not in err


def test_a_non_finite_state_is_never_checkpointed(tmp_path):
    params = {"W": np.array([1.0, np.nan], np.float32)}
    with pytest.raises(ValueError, match="refusing to checkpoint step 7: leaf_0 hold NaN or Inf"):
        save_checkpoint(str(tmp_path), params, 7)
    assert os.listdir(tmp_path) == []
