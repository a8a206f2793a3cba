import pathlib
import subprocess
import sys

import pytest

from handgrad.check import verify
from handgrad.cli import main


def test_verify_prints_a_passing_table_and_exits_zero(capsys):
    assert main(["verify", "--model", "linear"]) == 0
    out = capsys.readouterr().out
    assert "worst rel. error per leaf" in out and "2 of 2 cases passed" in out
    assert sum(line.endswith(" pass") for line in out.splitlines()) == 2


def test_grid_covers_the_modules_the_deep_mlp_and_mynet():
    models = {c.model for c in verify.cases()}
    assert {"module:linear", "module:flatten", "module:relu", "mlp-2", "mlp-4", "mynet"} <= models


def test_full_grid_covers_every_activation_loss_bias_and_dtype():
    grid = verify.cases()
    mlp = [c for c in grid if c.model == "mlp1"]
    assert {(c.activation, c.loss, c.bias, c.dtype) for c in mlp} == {
        (a, l, b, d)
        for a in ("relu", "tanh", "sigmoid", "leaky_relu", "softplus", "identity")
        for l in ("squared_error", "softmax_cross_entropy")
        for b in (False, True)
        for d in ("float32", "float64")
    }


def test_verify_exits_nonzero_when_a_case_fails(monkeypatch, capsys):
    broken = lambda w, X, Y: 1.001 * verify.linear_hand_grad(w, X, Y)
    grid = [c._replace(hand_grad=broken) for c in verify.cases() if c.model == "linear"]
    monkeypatch.setattr(verify, "cases", lambda seed=0: grid)
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 of 2 cases passed" in out and "against grad exceeds" in out


def test_bad_filter_is_a_clear_error(capsys):
    assert main(["verify", "--activation", "rleu"]) == 2
    assert "no case has activation 'rleu'; choose from" in capsys.readouterr().err


def test_the_installed_command_runs_the_float64_grid():
    # The float32 rows are the same code at another precision, and the 24 float64 rows of
    # d2l's MLP are test_mlp1_backprop's test_every_oracle_agrees_in_float64, case for case:
    # the in-process tests cover them. Here: every other model, through the installed command.
    grid = [c for c in verify.cases() if c.dtype == "float64" and c.model != "mlp1"]
    models = sorted({c.model for c in grid})
    done = subprocess.run(
        [sys.executable, "-m", "handgrad", "verify", "--dtype", "float64", "--model", ",".join(models)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(grid)} of {len(grid)} cases passed" in done.stdout
    for model in ("linear", "module:linear", "module:flatten", "module:relu", "mlp-4", "mynet"):
        assert f"\n{model} " in done.stdout, model
    assert "\nmlp1 " not in done.stdout


def test_a_filter_may_name_several_values(capsys):
    grid = verify.cases()
    both = verify.select(grid, model="linear,mynet", dtype="float64")
    assert {c.model for c in both} == {"linear", "mynet"} and {c.dtype for c in both} == {"float64"}
    with pytest.raises(ValueError, match="no case has model 'mynett'"):
        verify.select(grid, model="linear,mynett")


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
