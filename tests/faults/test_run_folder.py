"""Rules 3 and 6: one run per folder, and every file-system fault one line naming the path."""

import errno
import os
import subprocess
import time

import numpy as np
import pytest

from faults.runs import DEFAULT, SMALL, command, fails, read, tree
from handgrad.cli import main


def _wait_for(path, proc, seconds=120):
    deadline = time.time() + seconds
    while not os.path.exists(path):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.01)


def test_a_second_run_on_a_folder_in_use_fails_and_leaves_the_first_untouched(tmp_path, capsys):
    run = str(tmp_path / "run")
    first = subprocess.Popen(
        command("train", DEFAULT, *SMALL, "--set", "optim.steps=3000", "--out", run),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for(os.path.join(run, "checkpoints", "ckpt-00000000.npz"), first)
    config = read(os.path.join(run, "config.toml"))
    for argv in (
        ["train", DEFAULT, *SMALL, "--set", "optim.lr=0.05", "--out", run],  # a new run
        ["train", "--resume", run, "--no-progress"],  # a resume of the running one
    ):
        err = fails(capsys, *argv)
        assert f"{run}: another handgrad run is using this folder (process {first.pid})" in err
    _out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert read(os.path.join(run, "config.toml")) == config  # the first run's, not the second's
    steps = [
        int(line.split(",")[0].split(":")[1])
        for line in read(os.path.join(run, "metrics.jsonl")).splitlines()
    ]
    assert steps == list(range(0, 3001, 100))  # one run's metrics, in order, none twice


def test_two_runs_started_together_one_wins_the_other_says_why(tmp_path):
    run = str(tmp_path / "run")
    procs = [
        subprocess.Popen(command("train", DEFAULT, *SMALL, "--set", f"seed={seed}", "--out", run),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]  # fmt: skip
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "another handgrad run is using this folder" in loser or "already holds a run" in loser
    assert len(loser.strip().splitlines()) == 1 and "Traceback" not in loser
    winner = 1 + [code for code, _ in results].index(0)
    assert f"seed = {winner}" in read(os.path.join(run, "config.toml"))


def test_the_run_folder_faults_are_one_line_naming_the_path(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert f"{a_file}: the run folder is a file, not a folder" in fails(
        capsys, "train", DEFAULT, *SMALL, "--out", str(a_file)
    )
    assert f"{a_file}" in fails(capsys, "train", DEFAULT, *SMALL, "--out", str(a_file / "run"))
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    err = fails(capsys, "train", DEFAULT, *SMALL, "--out", str(loop / "run"))
    assert str(loop) in err and "Too many levels of symbolic links" in err
    # a run whose checkpoints/ is a file cannot resume from (or write) checkpoints
    run = tmp_path / "run"
    assert main(["train", DEFAULT, *SMALL, "--set", "optim.steps=100", "--out", str(run)]) == 0
    capsys.readouterr()
    for name in os.listdir(run / "checkpoints"):
        os.remove(run / "checkpoints" / name)
    os.rmdir(run / "checkpoints")
    (run / "checkpoints").write_text("not a folder")
    assert f"{run / 'checkpoints'}: the checkpoint folder is a file, not a folder" in fails(
        capsys, "train", "--resume", str(run), "--set", "optim.steps=200"
    )
    assert a_file.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_named(tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        err = fails(capsys, "train", DEFAULT, *SMALL, "--out", str(parent / "run"))
        assert str(parent / "run") in err and "Permission denied" in err
    finally:
        parent.chmod(0o755)


def test_a_write_refused_by_the_file_system_is_named_and_leaves_no_tmp(
    tmp_path, capsys, monkeypatch
):
    """Injected faults, as a read-only or full file system raises them, at each kind of write."""
    import handgrad.training.run_folder as run_folder

    real_fsync = os.fsync
    for code in (errno.ENOSPC, errno.EROFS, errno.EACCES):
        for nth in (1, 2, 3, 5):  # config.toml, metrics.jsonl, the first checkpoint, …
            run = tmp_path / f"run-{code}-{nth}"
            calls = []

            def fsync(fd, code=code, nth=nth, calls=calls):
                calls.append(fd)
                if len(calls) == nth:
                    raise OSError(code, os.strerror(code))
                return real_fsync(fd)

            monkeypatch.setattr(run_folder.os, "fsync", fsync)
            err = fails(capsys, "train", DEFAULT, *SMALL, "--out", str(run))
            assert os.strerror(code) in err and str(run) in err, err
            assert not [p for p in tree(run) if p.endswith(".tmp")] if run.exists() else True
    monkeypatch.setattr(run_folder.os, "fsync", real_fsync)


def test_a_full_disk_ends_in_one_line_with_no_tmp_left(tmp_path):
    """A file-size limit makes writes past 400 KiB fail as a full disk does (EFBIG, with
    SIGXFSZ ignored): the first checkpoint of a wide model does not fit."""
    import shlex
    import subprocess

    run = str(tmp_path / "run")
    argv = command("train", DEFAULT, *SMALL, "--set", "model.hidden=[2000]", "--out", run)
    done = subprocess.run(
        ["bash", "-c", f"ulimit -f 400; trap '' XFSZ; exec {shlex.join(argv)}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "File too large" in done.stderr and run in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not [p for p in tree(run) if p.endswith(".tmp")] if os.path.exists(run) else True
    checkpoints = os.path.join(run, "checkpoints")  # gone with the run, if it saved nothing
    for name in os.listdir(checkpoints) if os.path.isdir(checkpoints) else []:  # none half-written
        with np.load(os.path.join(run, "checkpoints", name)) as f:
            assert "meta" in f.files


def test_every_subcommand_names_a_folder_given_for_a_file(tmp_path, capsys):
    folder = tmp_path / "folder"
    folder.mkdir()
    assert str(folder) in fails(capsys, "train", str(folder), "--out", str(tmp_path / "r"))
    assert str(folder) in fails(capsys, "config", "show", str(folder))
    assert str(folder) in fails(capsys, "memory", str(folder))
    assert str(folder) in fails(capsys, "graph", str(folder), "--out", str(tmp_path / "g.png"))
    assert str(folder) in fails(capsys, "graph", DEFAULT, "--out", str(folder))
    run = tmp_path / "run"
    assert main(["train", DEFAULT, *SMALL, "--set", "optim.steps=100", "--out", str(run)]) == 0
    capsys.readouterr()
    os.remove(run / "params.npz")
    (run / "params.npz").mkdir()
    assert str(run / "params.npz") in fails(capsys, "eval", str(run))
    assert "not a run folder" in fails(capsys, "eval", str(folder))
    assert str(a := tmp_path / "missing") in fails(capsys, "eval", str(a))


def test_special_files_and_empty_names_are_refused_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", DEFAULT, *SMALL, "--set", "optim.steps=100", "--out", str(run)]) == 0
    capsys.readouterr()
    os.remove(run / "metrics.jsonl")
    os.symlink("/dev/full", run / "metrics.jsonl")  # reads forever, writes fail
    err = fails(capsys, "train", "--resume", str(run), "--set", "optim.steps=200")
    assert f"{run / 'metrics.jsonl'}: not a regular file" in err
    assert "--out names the run folder" in fails(capsys, "train", DEFAULT, "--out", "")
    assert "not a regular file" in fails(capsys, "config", "show", "/dev/zero")


def test_a_full_disk_while_drawing_the_graph_names_the_image(tmp_path):
    import shlex

    image = str(tmp_path / "graph.png")
    argv = command("graph", DEFAULT, "--out", image)
    done = subprocess.run(
        ["bash", "-c", f"ulimit -f 8; trap '' XFSZ; exec {shlex.join(argv)}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and f"{image}: File too large" in done.stderr, done.stderr


def test_a_path_with_control_characters_is_named_on_one_line(tmp_path, capsys):
    odd = str(tmp_path / "no\nsuch\tfile.toml")
    err = fails(capsys, "config", "show", odd)  # one line: the newline is escaped
    assert "no\\nsuch\\tfile.toml: no such config file" in err
    assert "CONFIG holds a NUL character" in fails(capsys, "config", "show", "a\x00b.toml")
    assert "--out holds a NUL character" in fails(capsys, "train", DEFAULT, "--out", "r\x00")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert "x\\ny" in fails(capsys, "train", DEFAULT, "--out", str(a_file / "x\ny"))


def test_no_space_at_all_is_one_line_and_leaves_no_folder(tmp_path):
    """With a file-size limit of 0 even the lock's pid cannot be written; scikit-learn's joblib
    warns on import in that state, and that warning must not reach the user either."""
    import shlex

    run = str(tmp_path / "run")
    argv = command("train", DEFAULT, *SMALL, "--out", run)
    done = subprocess.run(
        ["bash", "-c", f"ulimit -f 0; trap '' XFSZ; exec {shlex.join(argv)}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"handgrad train: error: {run}/.lock: File too large"
    ], done.stderr
    assert not os.path.exists(run)
