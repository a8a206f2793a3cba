"""Rule 4: a resume continues exactly the run it claims to, from its newest intact checkpoint."""

import json
import os

import numpy as np

from faults.runs import DEFAULT, SMALL, fails, read
from handgrad.cli import main

CKPT = "ckpt-{:08d}.npz"


def _run(tmp_path, capsys, *extra, name="run"):
    run = str(tmp_path / name)
    assert main(["train", DEFAULT, *SMALL, *extra, "--out", run]) == 0
    capsys.readouterr()
    return run


def _params(run):
    with np.load(os.path.join(run, "params.npz")) as f:
        return {k: f[k] for k in f.files}


def _steps(run):
    return [
        json.loads(line)["step"] for line in read(os.path.join(run, "metrics.jsonl")).splitlines()
    ]


def test_a_finished_run_is_extended_to_exactly_the_longer_run(tmp_path, capsys):
    longer = _run(tmp_path, capsys, "--set", "optim.steps=500", name="longer")
    run = _run(tmp_path, capsys)  # 300 steps
    assert main(["train", "--resume", run, "--set", "optim.steps=500", "--no-progress"]) == 0
    assert json.loads(read(os.path.join(run, "summary.json")))["final_step"] == 500
    assert all(np.array_equal(a, _params(longer)[k]) for k, a in _params(run).items())
    assert _steps(run) == _steps(longer) == list(range(0, 501, 100))
    assert "steps = 500" in read(os.path.join(run, "config.toml"))  # the run's config says so


def test_the_safe_fields_may_change_on_resume_and_the_result_is_the_same(tmp_path, capsys):
    whole = _run(tmp_path, capsys, "--set", "optim.steps=500", name="whole")
    run = _run(tmp_path, capsys)
    changed = ["--set", "optim.steps=500", "--set", "train.chunk=50", "--set", "checkpoint.every=50",
               "--set", "train.verify_every=0"]  # fmt: skip
    assert main(["train", "--resume", run, *changed, "--no-progress"]) == 0
    assert all(np.array_equal(a, _params(whole)[k]) for k, a in _params(run).items())


def test_other_changes_on_resume_are_refused_by_name(tmp_path, capsys):
    run = _run(tmp_path, capsys, "--set", "optim.steps=100")
    before = read(os.path.join(run, "config.toml"))
    for field, value, shown in (
        ("optim.lr", "0.05", "optim.lr (0.1 → 0.05)"),
        ("model.hidden", "[128]", "model.hidden ([256] → [128])"),
        ("seed", "3", "seed (0 → 3)"),
        ("optim.batch_size", "64", "optim.batch_size (128 → 64)"),
        ("train.dtype", "float64", "train.dtype ('float32' → 'float64')"),
    ):
        err = fails(capsys, "train", "--resume", run, "--set", f"{field}={value}")
        assert f"--resume continues the same run, so it cannot change {shown}" in err, err
        assert "optim.steps" in err  # what it may change
    assert "ends before step 100" in fails(
        capsys, "train", "--resume", run, "--set", "optim.steps=50"
    )
    assert read(os.path.join(run, "config.toml")) == before


def test_a_config_edited_since_the_checkpoint_is_refused_naming_the_fields(tmp_path, capsys):
    run = _run(tmp_path, capsys, "--set", "optim.steps=100")
    path = os.path.join(run, "config.toml")
    text = read(path)
    for old, new, shown in (
        ("lr = 0.1", "lr = 0.2", "optim.lr (0.1 → 0.2)"),
        ("hidden = [256]", "hidden = [128]", "model.hidden ([256] → [128])"),
        ('activation = "relu"', 'activation = "tanh"', "model.activation ('relu' → 'tanh')"),
    ):
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        err = fails(capsys, "train", "--resume", run, "--set", "optim.steps=200")
        assert "was written by a run with another config" in err and shown in err, err
    with open(path, "w") as f:  # the safe fields may be edited in the file too
        f.write(text.replace("steps = 100", "steps = 200"))
    assert main(["train", "--resume", run, "--no-progress"]) == 0


def test_a_corrupt_latest_checkpoint_falls_back_to_the_intact_one_saying_so(tmp_path, capsys):
    whole = _run(tmp_path, capsys, name="whole")
    run = _run(tmp_path, capsys)
    ckpts = os.path.join(run, "checkpoints")
    latest = os.path.join(ckpts, CKPT.format(300))
    for damage in ("truncate", "overwrite"):
        if damage == "truncate":
            data = read(latest, "rb")
            with open(latest, "wb") as f:
                f.write(data[: len(data) // 2])
        else:
            with open(latest, "r+b") as f:
                f.seek(100)
                f.write(b"corrupt!" * 8)
        damaged = read(latest, "rb")
        assert main(["train", "--resume", run, "--no-progress"]) == 0
        err = capsys.readouterr().err
        assert f"{latest}: corrupt checkpoint" in err
        assert f"resumes from the intact {os.path.join(ckpts, CKPT.format(200))} (step 200)" in err
        assert read(latest + ".corrupt", "rb") == damaged  # kept for inspection, not lost
        assert all(np.array_equal(a, _params(whole)[k]) for k, a in _params(run).items())
        assert _steps(run) == list(range(0, 301, 100))
        os.remove(latest + ".corrupt")


def test_no_intact_checkpoint_is_an_error_naming_each(tmp_path, capsys):
    run = _run(tmp_path, capsys)
    ckpts = os.path.join(run, "checkpoints")
    for name in os.listdir(ckpts):
        with open(os.path.join(ckpts, name), "wb") as f:
            f.write(b"PK\x03\x04 not really")
    err = fails(capsys, "train", "--resume", run)
    assert "no intact checkpoint to resume from" in err
    assert all(os.path.join(ckpts, name) in err for name in os.listdir(ckpts))


def test_a_torn_metrics_line_never_blocks_a_resume_and_step_0_is_never_written_twice(
    tmp_path, capsys
):
    whole = _run(tmp_path, capsys, name="whole")
    run = _run(tmp_path, capsys, "--set", "optim.steps=200")  # keeps checkpoints 0, 100, 200
    ckpts = os.path.join(run, "checkpoints")
    assert os.path.exists(os.path.join(ckpts, CKPT.format(0)))
    for name in os.listdir(ckpts):  # back to the step-0 checkpoint, as a kill right after it
        if name != CKPT.format(0):
            os.remove(os.path.join(ckpts, name))
    for name in ("params.npz", "summary.json"):
        os.remove(os.path.join(run, name))
    metrics = os.path.join(run, "metrics.jsonl")
    rows = read(metrics).splitlines()
    with open(metrics, "w") as f:  # two whole rows, then one torn by the kill
        f.write("\n".join(rows[:2]) + "\n" + rows[2][:25])
    assert main(["train", "--resume", run, "--set", "optim.steps=300", "--no-progress"]) == 0
    assert "holds no checkpoint" not in capsys.readouterr().err  # it resumed from step 0's
    assert _steps(run) == list(range(0, 301, 100))  # step 0 once, the torn line gone
    assert all(np.array_equal(a, _params(whole)[k]) for k, a in _params(run).items())
    # a damaged line before the checkpoint's step is not a torn one: named, not dropped
    rows = read(metrics).splitlines()
    with open(metrics, "w") as f:
        f.write("\n".join([rows[0], "{garbage", *rows[1:]]) + "\n")
    err = fails(capsys, "train", "--resume", run, "--set", "optim.steps=400")
    assert f"{metrics}, line 2: not a metrics row" in err


def test_a_checkpoint_hashed_with_empty_data_options_still_resumes():
    # Checkpoints written before config_fields hid data.options (digits takes none) hashed
    # it as {}: the identity a resume compares keeps it, so those runs still resume.
    import hashlib

    from handgrad.training.config import config_fields, load_config
    from handgrad.training.resume import SAFE_ON_RESUME, fingerprint, identity

    cfg = load_config(DEFAULT)
    assert "data.options" not in config_fields(cfg)  # hidden where it means nothing
    before = {**config_fields(cfg), "data.options": {}}  # the fields as they were saved
    text = json.dumps({k: v for k, v in before.items() if k not in SAFE_ON_RESUME}, sort_keys=True)
    assert fingerprint(identity(cfg)) == hashlib.sha256(text.encode()).hexdigest()
