"""Rule 7 for the files a run writes and reads back: checkpoints and params.npz are validated,
and a damaged one is named, never unpickled, never half-used."""

import os

import numpy as np
import pytest

from faults.runs import DEFAULT, SMALL, fails, read
from handgrad.cli import main


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    run = str(tmp_path_factory.mktemp("finished") / "run")
    assert main(["train", DEFAULT, *SMALL, "--set", "optim.steps=100", "--out", run]) == 0
    return run


def _copy(finished, tmp_path):
    import shutil

    run = str(tmp_path / "run")
    shutil.copytree(finished, run)
    return run


def _params(run):
    with np.load(os.path.join(run, "params.npz")) as f:
        return {k: f[k] for k in f.files}


def _write_params(run, **arrays):
    np.savez(os.path.join(run, "params.npz"), **arrays)


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _write_pickle(path):
    with open(path, "wb") as f:  # a bare .npy of a pickled object, under the .npz name
        np.save(f, np.array([{"code": "run me"}], dtype=object), allow_pickle=True)


def test_damaged_params_are_named_by_eval(finished, tmp_path, capsys):
    run = _copy(finished, tmp_path)
    path = os.path.join(run, "params.npz")
    good = _params(run)
    data = read(path, "rb")
    cases = [
        (lambda: _write_bytes(path, data[: len(data) // 3]), "not a readable .npz"),
        (lambda: _write_params(run, W1=good["W1"]), "no parameter 'W2'"),
        (lambda: _write_params(run, W1=good["W1"].T, W2=good["W2"]), "parameter W1 is float32(64, 256)"),
        (lambda: _write_params(run, W1=good["W1"].astype(np.int32), W2=good["W2"]), "parameter W1 is int32"),
        (lambda: _write_params(run, W1=np.full_like(good["W1"], np.nan), W2=good["W2"]), "W1 holds NaN or Inf"),
        (lambda: _write_pickle(path), "not a readable .npz"),
        (lambda: _write_params(run, W1=np.array([object()], dtype=object), W2=good["W2"]), "not a readable .npz"),
        (lambda: _write_bytes(path, b""), "not a readable .npz"),
        (lambda: _write_params(run, **good, W3=good["W2"]), "holds parameters the config does not build: ['W3']"),
    ]  # fmt: skip
    for damage, message in cases:
        damage()
        err = fails(capsys, "eval", run)
        assert path in err and message in err, err
    _write_params(run, **good)
    assert main(["eval", run]) == 0
    os.remove(path)
    assert f"{path}: no such file: the run has not finished" in fails(capsys, "eval", run)


def test_damaged_checkpoints_are_named_and_never_unpickled(finished, tmp_path, capsys):
    run = _copy(finished, tmp_path)
    ckpts = os.path.join(run, "checkpoints")
    for name in os.listdir(ckpts):
        if name != "ckpt-00000100.npz":
            os.remove(os.path.join(ckpts, name))
    path = os.path.join(ckpts, "ckpt-00000100.npz")
    with np.load(path) as f:
        good = {k: f[k] for k in f.files}
    cases = [
        ({**good, "leaf_0": good["leaf_0"][:3]}, "leaf_0 is float32(3, 64), the run needs float32(256, 64)"),
        ({**good, "leaf_1": good["leaf_1"].astype(np.float64)}, "leaf_1 is float64"),
        ({k: v for k, v in good.items() if k != "leaf_2"}, "corrupt checkpoint"),
        ({**good, "leaf_0": np.full_like(good["leaf_0"], np.inf)}, "leaf_0 holds NaN or Inf"),
        ({**good, "leaf_0": np.array([object()], dtype=object)}, "corrupt checkpoint"),
        ({**good, "meta": np.frombuffer(b"{not json", np.uint8)}, "corrupt checkpoint"),
        ({**good, "leaf_99": np.zeros(10**6, np.uint8)}, "arrays it does not describe: ['leaf_99']"),
        ({**good, "meta": np.frombuffer(bytes(good["meta"]).replace(b'"step": 100', b'"step": 50'), np.uint8)},
         "its name says step 100, its metadata 50"),
    ]  # fmt: skip
    for arrays, message in cases:
        np.savez(path, **arrays)
        err = fails(capsys, "train", "--resume", run, "--set", "optim.steps=200")
        assert "no intact checkpoint" in err and path in err and message in err, err
        assert os.path.exists(path)  # the only copy: named, not renamed away, not overwritten
