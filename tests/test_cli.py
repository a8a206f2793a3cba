"""The handgrad command: verify, memory, graph (train and eval: test_train.py)."""

import dataclasses
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
    assert "no case has activation 'rleu'; choose from" in capsys.readouterr().err


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


def test_graph_on_a_full_disk_leaves_no_partial_image_and_keeps_a_file_it_did_not_write(
    tmp_path, monkeypatch, capsys
):
    import errno

    from handgrad.training import inspection

    def half_written(cfg, out, **kwargs):
        with open(out, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(inspection, "objective_graph", half_written)
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    assert main(["graph", "linear_gd", "--out", str(new)]) == 2
    assert capsys.readouterr().err == f"handgrad graph: error: {new}: No space left on device\n"
    assert not new.exists()  # it wrote the file: its half is removed
    old.write_bytes(b"mine")
    assert main(["graph", "linear_gd", "--out", str(old)]) == 2
    assert old.exists()  # there before: not removed (its bytes are what the failed write left)


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


def test_config_list_names_every_shipped_config_with_its_comment(capsys):
    from handgrad.shipped import shipped_names, summary_line

    assert main(["config", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == shipped_names()
    assert len(lines) == len(list(CONFIGS.glob("*.toml"))) >= 10
    digits = next(line for line in lines if line.startswith("digits_mlp1 "))
    assert digits.split(None, 1)[1] == summary_line("digits_mlp1")
    assert "d2l's one-hidden-layer MLP on scikit-learn's digits" in digits


def test_config_init_writes_a_shipped_config_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shipped = (CONFIGS / "digits_mlp1.toml").read_text()
    assert main(["config", "init", "digits_mlp1"]) == 0  # default: ./NAME.toml
    assert (tmp_path / "digits_mlp1.toml").read_text() == shipped
    assert "wrote digits_mlp1.toml" in capsys.readouterr().out
    assert main(["config", "init", "linear_gd.toml", "my.toml"]) == 0
    assert (tmp_path / "my.toml").read_text() == (CONFIGS / "linear_gd.toml").read_text()
    (tmp_path / "sub").mkdir()
    assert main(["config", "init", "deep_mlp", "sub"]) == 0  # a folder receives NAME.toml
    assert (tmp_path / "sub" / "deep_mlp.toml").exists()
    capsys.readouterr()

    (tmp_path / "mine.toml").write_text("# my edits\n")
    assert main(["config", "init", "digits_mlp1", "mine.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("handgrad config init: error: mine.toml already exists")
    assert (tmp_path / "mine.toml").read_text() == "# my edits\n"  # nothing lost

    assert main(["config", "init", "digits_mlp9", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert (
        "digits_mlp9: not a shipped config; did you mean 'digits_mlp1'? (shipped: deep_mlp," in err
    )
    assert not (tmp_path / "x.toml").exists()


def test_config_init_on_a_full_disk_names_the_file_and_leaves_nothing(
    tmp_path, monkeypatch, capsys
):
    """A full disk reports at write, at flush or only at close: in each case the partial file
    is removed (a retry must not find an empty NAME.toml in its way) and the error names it."""
    import builtins
    import errno

    from handgrad import shipped

    class FullDisk:
        def __init__(self, f, fails_at):
            self.f, self.fails_at = f, fails_at

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

        def _maybe_fail(self, where):
            if where == self.fails_at:
                raise OSError(errno.ENOSPC, "No space left on device")

        def write(self, text):
            self._maybe_fail("write")
            return self.f.write(text)

        def flush(self):
            self._maybe_fail("flush")
            self.f.flush()

        def close(self):
            self.f.close()
            self._maybe_fail("close")

    monkeypatch.chdir(tmp_path)
    for fails_at in ("write", "flush", "close"):
        target = f"{fails_at}.toml"

        def full_open(file, mode="r", *args, fails_at=fails_at, **kwargs):
            return FullDisk(builtins.open(file, mode, *args, **kwargs), fails_at)

        monkeypatch.setattr(shipped, "open", full_open, raising=False)  # shipped's own open
        assert main(["config", "init", "digits_mlp1", target]) == 2, fails_at
        err = capsys.readouterr().err
        assert err == f"handgrad config init: error: {target}: No space left on device\n", fails_at
        assert not (tmp_path / target).exists(), f"a partial file was left when {fails_at} failed"
    monkeypatch.delattr(shipped, "open")  # the disk has room again: a retry works
    assert main(["config", "init", "digits_mlp1", "close.toml"]) == 0
    assert (tmp_path / "close.toml").read_text() == (CONFIGS / "digits_mlp1.toml").read_text()


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


def test_a_file_in_the_way_wins_over_a_shipped_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits_mlp1").write_text('seed = 7\n[optim]\nname = "adam"\n')
    assert main(["config", "show", "digits_mlp1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("seed = 7\n") and 'name = "adam"' in out


def test_train_alone_trains_the_default_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["--set", "optim.steps=4", "--set", "train.chunk=2", "--set", "train.verify_every=0"]
    assert main(["train", *args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("no CONFIG given: training the default, digits_mlp1 (d2l's")
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("digits_mlp1-") and f"run folder: {run.relative_to(tmp_path)}" in out


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


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.toml")))
def test_config_show_prints_no_field_the_run_does_not_use_and_loads_back(name, tmp_path, capsys):
    """An oracle independent of config_fields (which prints the config): the fields each rule
    leaves unused, read from the schema's own declarations (APPLIES: the field, the field
    that decides, the values it applies to) and from each data set's generator (its options)."""
    import tomllib

    from handgrad.data.dataset import dataset_options
    from handgrad.training.config import APPLIES, get_field, load_config

    assert main(["config", "show", name]) == 0
    shown = capsys.readouterr().out
    (tmp_path / "shown.toml").write_text(shown)
    cfg = load_config(str(CONFIGS / f"{name}.toml"))
    assert load_config(str(tmp_path / "shown.toml")) == cfg  # round trip
    table = tomllib.loads(shown)
    printed = {"seed"} | {f"{s}.{k}" for s, v in table.items() if isinstance(v, dict) for k in v}
    unused = {
        p for p, (decider, values) in APPLIES.items() if get_field(cfg, decider) not in values
    }
    if not dataset_options(cfg.data.name):  # digits, mnist: the data set takes no options
        unused.add("data.options")
    assert not printed & unused, f"{name}: printed fields the run does not use: {printed & unused}"
    every = {"seed"} | {
        f"{s.name}.{f.name}"
        for s in dataclasses.fields(cfg)
        if dataclasses.is_dataclass(getattr(cfg, s.name))
        for f in dataclasses.fields(getattr(cfg, s.name))
    }
    assert printed == every - unused  # and every field it uses, spelled out
    # the rules by hand, for the fields a reader checks first
    if cfg.optim.name != "momentum":
        assert "momentum" not in table["optim"]
    if cfg.train.grad not in ("finite_difference", "random_directions"):
        assert "fd_eps" not in table["train"]
    if cfg.data.name in ("digits", "mnist", "fashion_mnist"):
        assert "options" not in table["data"]


def test_a_name_that_could_be_read_two_ways_says_which_config_is_used(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["config", "show", "digits_mlp1.toml"]) == 0  # no such file here
    shown = capsys.readouterr()
    assert "note: digits_mlp1.toml: no such file here; using the shipped config" in shown.err
    assert "lr = 0.1" in shown.out
    assert main(["config", "init", "digits_mlp1"]) == 0
    mine = tmp_path / "digits_mlp1.toml"
    mine.write_text(mine.read_text().replace("lr = 0.1", "lr = 0.777"))
    capsys.readouterr()
    assert main(["config", "show", "digits_mlp1"]) == 0  # the name means the shipped one
    shown = capsys.readouterr()
    assert "./digits_mlp1.toml here is not used (give digits_mlp1.toml" in shown.err
    assert "lr = 0.1" in shown.out
    assert main(["config", "show", "digits_mlp1.toml"]) == 0  # the file, without a note
    shown = capsys.readouterr()
    assert "lr = 0.777" in shown.out and shown.err == ""
