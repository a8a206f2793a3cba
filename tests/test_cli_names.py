"""The names a user types: empty ones refused, unknown ones offered the closest, faults
named as typed."""

import re

import pytest

from handgrad.cli import main
from test_cli import CONFIGS


@pytest.mark.parametrize(
    "argv, said",
    [
        (
            ["config", "init", "", "x.toml"],
            "'': an empty config name; give a shipped config's name",
        ),
        (
            ["config", "init", "digits_mlp1", ""],
            "'': an empty PATH; give a file or folder to write",
        ),
        (["config", "init", "digits_mlp1", " "], "' ': an empty PATH; give"),
        (["config", "show", ""], "'': an empty CONFIG; give a file or a shipped name"),
        (["memory", " "], "' ': an empty CONFIG; give a file or a shipped name"),
        (["train", ""], "'': an empty CONFIG; give a file or a shipped name"),
        (
            ["train", "linear_gd", "--out", ""],
            "'': an empty --out; give a path (--out names the run folder",
        ),
        (
            ["graph", "linear_gd", "--out", ""],
            "'': an empty --out; give a path (--out names the image file",
        ),
        (["eval", ""], "'': an empty RUN_DIR; give a run folder"),
        (["train", "--resume", ""], "'': an empty RUN_DIR; give a run folder"),
    ],
)
def test_an_empty_name_or_path_is_refused_by_one_rule(argv, said, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err
    assert not list(tmp_path.iterdir())  # nothing written, no default used in its place


def test_every_config_argument_takes_a_shipped_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no configs/ here: the names resolve to the packaged files
    assert main(["config", "show", "digits_mlp1"]) == 0
    by_name = capsys.readouterr().out
    assert main(["config", "show", str(CONFIGS / "digits_mlp1.toml")]) == 0
    assert capsys.readouterr().out == by_name
    assert main(["memory", "digits_mlp1.toml", "--batch-size", "8"]) == 0
    assert capsys.readouterr().out.startswith("widths [64, 256, 10]")
    assert main(["graph", "linear_gd", "--out", str(tmp_path / "J.svg")]) == 0
    assert "<svg" in (tmp_path / "J.svg").read_text()
    args = ["train", "linear_gd", "--set", "optim.steps=4", "--set", "train.chunk=2"]
    assert main([*args, "--no-progress"]) == 0
    assert [p.name.rsplit("-", 2)[0] for p in (tmp_path / "runs").iterdir()] == ["linear_gd"]


def test_an_unknown_config_names_the_argument_and_the_shipped_configs(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # no configs/ here, as for a pip user
    out = ["--out", str(tmp_path / "J.svg")]
    for command in (["config", "show"], ["memory"], ["train"], ["graph", *out]):
        assert main([*command, "digits_mlp"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "digits_mlp: no such config file, nor a shipped config name; did you mean " in err
        assert "'digits_mlp1'? (shipped: " in err and "digits_mlp1, digits_mlp1_gd" in err
    # a checkout's path typed where there is none: the shipped name it means is offered
    assert main(["memory", "configs/linear_gd.toml"]) == 2
    assert "nor a shipped config name; did you mean 'linear_gd'?" in capsys.readouterr().err
    assert main(["config", "show", "zzzz"]) == 2
    assert "nor a shipped config name (shipped: " in capsys.readouterr().err  # nothing close


@pytest.mark.parametrize(
    "argv, said",
    [
        (["train", "--set", "optim.lrr=1"],
         "--set optim.lrr=1: unknown config key 'optim.lrr'; did you mean 'optim.lr'?"),
        (["config", "show", "digits_mlp1", "--set", "optim.momentum=0.5"],
         "--set optim.momentum=0.5: optim.momentum applies only to optim.name = 'momentum'"),
        (["memory", "digits_mlp1", "--set", "optim.steps=3", "--set", "optim.lr=-1"],
         "--set optim.lr=-1: optim.lr must be > 0, got -1.0"),
        (["graph", "deep_mlp", "--out", "J.svg", "--set", "optim.name=adam"],
         "--set optim.name=adam: optim.momentum applies only to optim.name = 'momentum'"),
    ],
)  # fmt: skip
def test_a_fault_an_override_brings_names_the_override_not_the_file(
    argv, said, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err, err
    assert "configs" not in err and ".toml" not in err  # no path inside the package


def test_a_fault_of_a_shipped_config_names_it_as_typed(tmp_path, monkeypatch, capsys):
    from handgrad.shipped import config_label, resolve_config
    from handgrad.training.config import ConfigError, load_config

    monkeypatch.chdir(tmp_path)
    assert config_label("digits_mlp1") == "digits_mlp1 (shipped config)"
    assert config_label("digits_mlp1.toml") == "digits_mlp1.toml (shipped config)"
    (tmp_path / "mine.toml").write_text("[optim]\nlrr = 1\n")
    assert config_label("mine.toml") == "mine.toml"
    with pytest.raises(ConfigError) as err:  # a fault of the file itself: the label leads
        load_config(resolve_config("mine.toml"), label=config_label("mine.toml"))
    assert str(err.value).startswith("mine.toml: unknown config key 'optim.lrr'")
    path = resolve_config("digits_mlp1")
    with pytest.raises(ConfigError) as err:
        load_config(path, label="digits_mlp1 (shipped config)", overrides=["seed=x"])
    assert str(err.value) == "--set seed=x: seed must be an integer, got 'x' (str)"
    assert err.value.override == "seed=x"


def _nul_cases():
    """(argv, word) for every argument of every command that takes a string: the argument
    given a NUL, the others something valid, and the word its usage line shows."""
    import argparse

    from handgrad.cli import build_parser
    from test_cli import _parsers

    fill = {"CONFIG": "linear_gd", "RUN_DIR": "run", "NAME": "digits_mlp1", "PATH": "p.toml"}
    for path, parser in _parsers(build_parser()):
        actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
        if any(isinstance(a, argparse._SubParsersAction) for a in actions):
            continue
        for action in actions:
            takes_text = action.nargs != 0 and action.type is None and action.choices is None
            if not takes_text:
                continue
            word = action.metavar if not action.option_strings else action.option_strings[-1]
            argv = list(path[1:])
            for other in actions:
                given = "x\x00y" if other is action else None
                if not other.option_strings:
                    argv.append(given or fill[other.metavar])
                elif given or other.required:
                    argv += [other.option_strings[-1], given or "J.svg"]
            yield pytest.param(argv, word, parser.format_usage(), id=" ".join([*path, word]))


@pytest.mark.parametrize("argv, word, usage", list(_nul_cases()))
def test_a_nul_is_refused_naming_the_argument_as_its_usage_line_does(
    argv, word, usage, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert re.search(rf"[\s\[]{re.escape(word)}\b", usage), usage
    assert main(argv) == 2
    err = capsys.readouterr().err
    command = " ".join(
        a for a in argv[:2] if a in ("config", "list", "show", "init") or a == argv[0]
    )
    assert err == (
        f"handgrad {command}: error: {word} holds a NUL character (\\x00), which no path or "
        "value may hold\n"
    )
    assert not list(tmp_path.iterdir())


def test_the_usage_lines_name_each_positional_as_its_messages_do():
    from handgrad.cli import build_parser
    from test_cli import _parsers

    usages = {" ".join(p): parser.format_usage() for p, parser in _parsers(build_parser())}
    assert "[CONFIG]" in usages["handgrad train"] and " RUN_DIR" in usages["handgrad eval"]
    assert "NAME [PATH]" in usages["handgrad config init"]
    for where in ("memory", "graph", "config show"):
        assert " CONFIG" in usages[f"handgrad {where}"], where
    shown = {w for u in usages.values() for w in re.findall(r"[\w-]+", u.split("[-h]", 1)[1])}
    assert not shown & {"config", "run_dir", "name", "path"}, shown


def test_a_config_missing_its_suffix_is_offered_the_file_first(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "digits_mlp1.toml").write_text("seed = 3\n")
    (tmp_path / "mine.toml").write_text("seed = 3\n")
    assert main(["config", "show", "sub/digits_mlp1"]) == 2
    err = capsys.readouterr().err
    assert "sub/digits_mlp1: no such config file, nor a shipped config name; did you mean " in err
    assert "'sub/digits_mlp1.toml'? (shipped: " in err
    assert main(["memory", "mine"]) == 2
    assert "mine: no such config file, nor a shipped config name; did you mean 'mine.toml'? (" in (
        capsys.readouterr().err
    )
