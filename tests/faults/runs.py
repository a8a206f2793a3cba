"""Shared pieces of the fault tests: the real command, in a subprocess or in-process."""

import os
import subprocess
import sys

from handgrad.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
DEFAULT = os.path.join(ROOT, "configs", "digits_mlp1.toml")
SMALL = ["--set", "optim.steps=300", "--set", "train.chunk=100", "--set", "checkpoint.every=100",
         "--set", "train.verify_every=100", "--no-progress"]  # fmt: skip


def command(*args, **kwargs) -> list[str]:
    return [sys.executable, "-m", "handgrad", *args]


def handgrad(*args, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    """The installed command in a subprocess."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout, **kwargs)


def fails(capsys, *argv, code=2) -> str:
    """Runs ``handgrad ARGV`` in-process; asserts one line on stderr and the status; returns it."""
    got = main(list(argv))
    err = capsys.readouterr().err
    assert got == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def tree(folder) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(base, name)
            out[os.path.relpath(path, folder)] = read(path, "rb")
    return out
