"""The handgrad command: verify, memory, graph (train and eval: test_train.py)."""

import pathlib
import subprocess
import sys

import handgrad as hg
from handgrad.cli import main


def test_verify_prints_a_passing_table_and_exits_zero(capsys):
    assert main(["verify", "--model", "linear"]) == 0
    out = capsys.readouterr().out
    assert "worst rel. error per leaf" in out and "2 of 2 cases passed" in out
    assert sum(line.endswith(" pass") for line in out.splitlines()) == 2


def test_verify_exits_nonzero_when_a_case_fails(monkeypatch, capsys):
    broken = lambda w, X, Y: 1.001 * hg.linear_hand_grad(w, X, Y)
    grid = [c._replace(hand_grad=broken) for c in hg.check.cases() if c.model == "linear"]
    monkeypatch.setattr(hg.check, "cases", lambda seed=0: grid)
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 of 2 cases passed" in out and "against grad exceeds" in out


def test_bad_filter_is_a_clear_error(capsys):
    assert main(["verify", "--activation", "rleu"]) == 2
    assert "no case has activation 'rleu'; choose from" in capsys.readouterr().err


def test_the_installed_command_checks_the_grid_it_is_given():
    # Every case of the grid is checked once, by tests/test_grid.py; here only the command,
    # on two models, in a process of its own where nothing has turned 64-bit mode on.
    done = subprocess.run(
        [sys.executable, "-m", "handgrad", "verify", "--model", "linear,mynet", "--dtype", "float64"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 cases passed" in done.stdout
    assert "\nlinear " in done.stdout and "\nmynet " in done.stdout


CONFIGS = pathlib.Path(__file__).resolve().parent.parent / "configs"


def test_memory_prints_counted_and_measured_bytes_per_batch_size(capsys):
    assert (
        main(
            ["memory", str(CONFIGS / "digits_mlp1.toml"), "--batch-size", "8", "--batch-size", "64"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("widths [64, 256, 10], parameters 74 KiB")
    rows = [line.split() for line in out.splitlines() if line.strip().split(" ")[0] in ("8", "64")]
    assert [r[0] for r in rows] == ["8", "64"]


def test_memory_refuses_bad_options_in_one_line(capsys):
    assert main(["memory", str(CONFIGS / "digits_mlp1.toml"), "--remat-every", "-1"]) == 2
    assert "handgrad memory: error: --remat-every must be >= 0" in capsys.readouterr().err
    assert main(["memory", str(CONFIGS / "digits_mlp1.toml"), "--set", "model.hiden=[3]"]) == 2
    assert "unknown config key" in capsys.readouterr().err


def test_graph_draws_a_configs_objective_and_its_backward_graph(tmp_path, capsys):
    png, svg = tmp_path / "J.png", tmp_path / "J.svg"
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(png)]) == 0
    assert (
        png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {png}" in capsys.readouterr().out
    )
    assert main(["graph", str(CONFIGS / "linear_gd.toml"), "--out", str(svg), "--backward"]) == 0
    assert "<svg" in svg.read_text()


def test_graph_refuses_an_unknown_image_type_in_one_line(tmp_path, capsys):
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(tmp_path / "J.jpg")]) == 2
    assert "handgrad graph: error: unsupported extension '.jpg'" in capsys.readouterr().err
    assert not (tmp_path / "J.jpg").exists()
