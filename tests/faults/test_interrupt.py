"""Rule 5: any Ctrl-C exits with 130 and one line saying what was saved and how to resume."""

import os
import signal
import subprocess
import time

import pytest

from faults.runs import DEFAULT, SMALL, command, handgrad


def _start(*args):
    return subprocess.Popen(
        command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _one_line(proc):
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "Traceback" not in err and "Segmentation" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err
    return lines[0]


def _consistent(run, line):
    """What the line says was saved is what is on disk, and a resume takes it from there."""
    if "nothing was saved" in line:
        assert not os.path.exists(run), os.listdir(run)
        return
    assert f"resume with handgrad train --resume {run}" in line, line
    resumed = handgrad("train", "--resume", run, "--no-progress")
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.parametrize("delay", [0.25, 0.4, 1.2, 2.5])
def test_ctrl_c_during_setup_or_the_first_compile(tmp_path, delay):
    run = str(tmp_path / "run")
    proc = _start("train", DEFAULT, *SMALL, "--out", run)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _consistent(run, _one_line(proc))


@pytest.mark.parametrize("after", [0.0, 0.3])
def test_ctrl_c_right_after_the_run_folder_is_named(tmp_path, after):
    """The first chunk compiles then: this once ended in a segmentation fault."""
    run = str(tmp_path / "run")
    proc = _start("train", DEFAULT, *SMALL, "--out", run)
    assert proc.stdout.readline().startswith("run folder:")
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _consistent(run, _one_line(proc))


def test_a_second_ctrl_c_stops_at_once_naming_what_is_on_disk(tmp_path):
    run = str(tmp_path / "run")
    one_long_chunk = ["--set", "optim.steps=20000", "--set", "train.chunk=20000",
                      "--set", "checkpoint.every=20000", "--set", "train.verify_every=0"]  # fmt: skip
    proc = _start("train", DEFAULT, *one_long_chunk, "--no-progress", "--out", run)
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(run, "checkpoints", "ckpt-00000000.npz")):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.01)
    time.sleep(0.5)  # inside the 20000-step chunk
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    line = _one_line(proc)
    assert "the last checkpoint is" in line and "ckpt-00000000.npz (step 0)" in line, line
    _consistent(run, line)


@pytest.mark.parametrize("after", [0.0, 0.2])
def test_two_ctrl_c_before_the_first_checkpoint_leave_no_dead_folder(tmp_path, after):
    """Between config.toml and checkpoint 0, a hard stop removes what the run began to write:
    a folder holding no checkpoint would refuse every later run on it."""
    run = str(tmp_path / "run")
    proc = _start("train", DEFAULT, *SMALL, "--out", run)
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(run, "config.toml")):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.002)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _consistent(run, _one_line(proc))


@pytest.mark.parametrize("argv", [("verify", "--model", "mlp1"), ("verify", "--dtype", "float64")])
def test_ctrl_c_in_the_other_commands_is_one_line(argv):
    proc = _start(*argv)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    line = _one_line(proc)
    assert "nothing was saved" in line
