"""The handgrad command: its parser, help, version and errors; verify, memory, eval
(graph: test_cli_graph.py; config: test_cli_config.py; names: test_cli_names.py; train:
test_train.py)."""

import pathlib
import subprocess
import sys

import pytest

import handgrad as hg
from handgrad.cli import main


def test_verify_prints_a_passing_table_and_exits_zero(capsys):
    assert main(["verify", "--model", "linear"]) == 0  # linear and linear-q3
    out = capsys.readouterr().out
    assert "worst relative error" in out and "4 of 4 cases passed" in out
    assert sum(line.endswith(" pass") for line in out.splitlines()) == 4


def test_verify_exits_nonzero_when_a_case_fails(monkeypatch, capsys):
    broken = lambda w, X, Y: 1.001 * hg.linear_hand_grad(w, X, Y)
    grid = [c._replace(hand_grad=broken) for c in hg.check.cases() if c.model == "linear"]
    monkeypatch.setattr(hg.check, "cases", lambda seed=0: grid)
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 of 2 cases passed" in out and "against grad exceeds" in out


def test_bad_filter_is_a_clear_error(capsys):
    assert main(["verify", "--activation", "rleu"]) == 2
    assert (
        "no case has activation 'rleu'; did you mean 'relu'? (choose from"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "flag, value, said",
    [
        ("--model", "mpl", "no case has model 'mpl'; did you mean 'mlp'? (choose from"),
        ("--activation", "tahn", "no case has activation 'tahn'; did you mean 'tanh'?"),
        ("--dtype", "float46", "no case has dtype 'float46'; did you mean 'float64'?"),
        ("--loss", "", "'': an empty loss in ''; give one of -, softmax_cross_entropy, squared"),
        ("--activation", "relu,", "'': an empty activation in 'relu,'; give one of -, identity"),
    ],
)
def test_a_verify_filter_is_offered_the_closest_value_and_never_empty(flag, value, said, capsys):
    assert main(["verify", flag, value, "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"handgrad verify: error: {said}")
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_the_installed_command_checks_the_grid_it_is_given():
    # Every case of the grid is checked once, by tests/test_grid.py; here only the command,
    # on two models, in a process of its own where nothing has turned 64-bit mode on.
    done = subprocess.run(
        [sys.executable, "-m", "handgrad", "verify", "--model", "linear,mynet", "--dtype", "float64"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 of 3 cases passed" in done.stdout  # linear, linear-q3, mynet
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


# --- a CLI that explains itself ----------------------------------------------------------


def _parsers(parser, path=("handgrad",)):
    """(path, parser) for the parser and every subparser below it."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


def test_every_argument_and_subcommand_has_help():
    import argparse

    from handgrad.cli import build_parser

    missing, seen = [], set()
    for path, parser in _parsers(build_parser()):
        seen.add(" ".join(path))
        for action in parser._actions:
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{' '.join(path)}: {action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest: a.help for a in action._choices_actions}
                for name in action.choices:
                    if not (helped.get(name) or "").strip():
                        missing.append(f"{' '.join(path)} {name} (subcommand)")
    assert not missing, missing
    assert {"handgrad eval", "handgrad memory", "handgrad graph", "handgrad config show"} <= seen
    assert {"handgrad config list", "handgrad config init", "handgrad train"} <= seen


def test_every_set_option_says_the_same_and_memory_says_what_batch_size_is():
    import argparse

    from handgrad.cli import build_parser
    from handgrad.cli_config import SET_HELP

    helps = {}
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                helps[(" ".join(path), action.dest)] = action.help
    sets = {where: h for (where, dest), h in helps.items() if dest == "set"}
    assert set(sets) == {
        "handgrad train",
        "handgrad memory",
        "handgrad graph",
        "handgrad config show",
    }
    assert set(sets.values()) == {SET_HELP}
    assert helps[("handgrad memory", "batch_size")].startswith("the batch size to measure; repeat")


def test_version_prints_the_packages_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"handgrad {hg.__version__}\n"


@pytest.mark.parametrize(
    "argv, said",
    [
        ([], "handgrad: error: give a command: verify, train, eval, memory, graph or config"),
        (["config"], "handgrad config: error: give a subcommand: list, show or init"),
    ],
)
def test_a_missing_subcommand_is_an_error_in_the_users_words(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "usage:" in err
    assert "config_command" not in err and "required" not in err


def test_train_alone_trains_the_default_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["--set", "optim.steps=4", "--set", "train.chunk=2", "--set", "train.verify_every=0"]
    assert main(["train", *args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("no CONFIG given: training the default, digits_mlp1 (d2l's")
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("digits_mlp1-") and f"run folder: {run.relative_to(tmp_path)}" in out


def test_train_checks_every_argument_before_it_announces_or_loads_anything(
    tmp_path, monkeypatch, capsys
):
    from handgrad.training import config

    monkeypatch.chdir(tmp_path)
    loaded = []
    monkeypatch.setattr(config, "load_config", lambda *a, **k: loaded.append(a))
    assert main(["train", "--out", ""]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("handgrad train: error: '': an empty --out; give a path")
    assert main(["train", "--resume", "run", "--out", "x"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--resume RUN_DIR continues the run in RUN_DIR" in err
    assert not loaded and not list(tmp_path.iterdir())


def test_a_resume_that_changes_the_run_is_refused_before_the_run_folder_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text((CONFIGS / "digits_mlp1.toml").read_text())
    argv = ["train", "--resume", str(run), "--set", "model.activation=tanh", "--no-progress"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "", out
    assert "--resume continues the same run, so it cannot change model.activation" in err
    assert sorted(p.name for p in run.iterdir()) == ["config.toml"]


def test_eval_of_a_folder_that_is_no_run_names_the_missing_file(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: not a run folder ({tmp_path / 'config.toml'} is missing)" in err
    assert main(["eval", str(tmp_path / "nothing")]) == 2
    assert "not a run folder (no such folder)" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["eval"], ["train", "--resume"]])
def test_a_run_dir_that_is_a_file_is_called_a_file(command, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    assert main([*command, str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'afile'}: not a run folder (a file, not a folder)" in err
    assert "no such folder" not in err
    assert main([*command, str(tmp_path / "dangling")]) == 2
    assert "not a run folder (a broken symlink, not a folder)" in capsys.readouterr().err
