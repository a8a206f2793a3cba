"""``handgrad config list``, ``show``, ``init`` and the shipped names every CONFIG takes."""

import dataclasses

import pytest

from handgrad.cli import main
from test_cli import CONFIGS


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


def test_a_file_in_the_way_wins_over_a_shipped_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits_mlp1").write_text('seed = 7\n[optim]\nname = "adam"\n')
    assert main(["config", "show", "digits_mlp1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("seed = 7\n") and 'name = "adam"' in out


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


def test_a_folder_or_a_broken_link_in_the_way_is_reported_never_replaced(
    tmp_path, monkeypatch, capsys
):
    """Whatever is at the path typed is what the user meant: no shipped config in its place."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits_mlp1.toml").mkdir()
    (tmp_path / "digits_mlp1_gd.toml").symlink_to(tmp_path / "gone.toml")
    assert main(["config", "show", "digits_mlp1.toml"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "handgrad config show: error: digits_mlp1.toml: is a folder, not a config file\n"
    assert main(["memory", "digits_mlp1_gd.toml"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "using the shipped config" not in err
    assert err == (
        "handgrad memory: error: digits_mlp1_gd.toml: a broken symbolic link "
        f"(to {tmp_path / 'gone.toml'}, which is missing)\n"
    )


def test_the_shipped_modules_examples_pass_in_any_working_folder(tmp_path, monkeypatch):
    """`make test` after `handgrad config init digits_mlp1` in the checkout's root."""
    import doctest

    from handgrad import shipped

    monkeypatch.chdir(tmp_path)
    for name in ("digits_mlp1.toml", "digits_mlp1"):
        (tmp_path / name).write_text("seed = 3\n")
    assert doctest.testmod(shipped).failed == 0


def test_config_init_quotes_a_path_with_spaces_in_its_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["config", "init", "linear_gd", "my config.toml"]) == 0
    out = capsys.readouterr().out
    assert out == "wrote my config.toml: edit it, then run handgrad train 'my config.toml'\n"
