"""Configs: the schema, overrides, did-you-mean, and the shipped files."""

import glob
import os
import tomllib

import pytest

from handgrad.training.config import (
    Config,
    ConfigError,
    config_from_table,
    dump_config,
    load_config,
)

ROOT = os.path.dirname(os.path.dirname(__file__))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "*.toml")))


def test_every_shipped_config_loads_and_round_trips():
    names = {os.path.basename(p) for p in CONFIGS}
    assert {
        "digits_mlp1.toml",
        "digits_mlp1_gd.toml",
        "digits_mlp1_sgd.toml",
        "linear_gd.toml",
        "linear_newton.toml",
        "spirals_linear.toml",
        "spirals_mlp.toml",
        "deep_mlp.toml",
        "gradient_free.toml",
        "mnist_mlp1.toml",
    } <= names
    for path in CONFIGS:
        cfg = load_config(path)
        assert config_from_table(tomllib.loads(dump_config(cfg))) == cfg, path


def test_overrides_are_typed():
    cfg = config_from_table(
        {},
        [
            "optim.lr=0.05",
            "model.hidden=[64]",
            "data.name=mnist",
            "model.bias=true",
            "optim.steps=7",
        ],
    )
    assert (cfg.optim.lr, cfg.model.hidden, cfg.data.name, cfg.model.bias, cfg.optim.steps) == (
        0.05,
        [64],
        "mnist",
        True,
        7,
    )
    assert config_from_table({}, ["optim.lr=1"]).optim.lr == 1.0  # an integer is a number
    assert config_from_table({}) == Config()


@pytest.mark.parametrize(
    "table, overrides, message",
    [
        ({"optim": {"lrr": 0.1}}, [], r"unknown config key 'optim.lrr'; did you mean 'optim.lr'\?"),
        ({"optm": {}}, [], r"unknown config key 'optm'; did you mean 'optim'\?"),
        ({}, ["model.activaton=tanh"], r"did you mean 'model.activation'\?"),
        ({"optim": {"steps": 1.5}}, [], r"optim.steps must be an integer, got 1.5"),
        ({"optim": {"steps": True}}, [], r"optim.steps must be an integer, got True"),
        ({}, ["optim.lr=fast"], r"optim.lr must be a number, got 'fast'"),
        ({"model": {"hidden": [64, "x"]}}, [], r"model.hidden must be a list of integers"),
        ({"data": {"name": "cifar"}}, [], r"data.name = 'cifar' is not one of \['digits'"),
        (
            {"model": {"activation": "gelu"}},
            [],
            r"model.activation = 'gelu' is not one of \['relu'",
        ),
        ({"model": {"loss": "hinge"}}, [], r"model.loss = 'hinge' is not one of"),
        (
            {"optim": {"name": "lbfgs"}},
            [],
            r"optim.name = 'lbfgs' is not one of \['sgd', 'momentum', 'adam', 'newton'\]",
        ),
        ({"optim": {"lr": -1}}, [], r"optim.lr must be > 0"),
        ({"model": {"hidden": [8, 8]}}, [], r"model.name = 'mlp1' has one hidden layer"),
        ({"optim": {"name": "newton"}}, [], r"needs model.name = 'linear'"),
        ({"model": "mlp"}, [], r"\[model\] must be a table"),
        ({}, ["optim"], r"--set optim: expects key=value"),
        ({}, ["optim=3"], r"optim is a section"),
        ({}, ["seed.x=3"], r"seed is not a section"),
    ],
)
def test_bad_configs_are_named(table, overrides, message):
    with pytest.raises(ConfigError, match=message):
        config_from_table(table, overrides)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "nope.toml"))
    (tmp_path / "bad.toml").write_text("[optim\nlr = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(tmp_path / "bad.toml"))


def test_one_override_may_be_a_single_string():
    DEFAULT = os.path.join(ROOT, "configs", "digits_mlp1.toml")
    assert load_config(DEFAULT, "optim.steps=5").optim.steps == 5
    assert load_config(DEFAULT, ["optim.steps=6", "optim.lr=0.5"]).optim.lr == 0.5


@pytest.mark.parametrize(
    "table, overrides, message, override",
    [
        ({}, ["optim.steps=5", "optim.lrr=1"], "--set optim.lrr=1: unknown config key 'optim.lrr'", "optim.lrr=1"),
        ({}, ["optim.lr=-1", "optim.steps=5"], "--set optim.lr=-1: optim.lr must be > 0", "optim.lr=-1"),
        ({}, ["optim.momentum=0.5"], "--set optim.momentum=0.5: optim.momentum applies only", "optim.momentum=0.5"),
        ({"optim": {"momentum": 0.5}}, ["optim.lr=0.5"], "optim.momentum applies only", None),  # the file's
        ({"optim": {"lr": -1}}, ["optim.steps=5"], "optim.lr must be > 0", None),
    ],
)  # fmt: skip
def test_a_fault_is_said_of_the_override_that_brings_it(
    table, overrides, message, override, tmp_path
):
    with pytest.raises(ConfigError) as err:
        config_from_table(table, overrides)
    assert str(err.value).startswith(message) and err.value.override == override
    path = tmp_path / "c.toml"
    path.write_text(dump_config(config_from_table({})) if not table else "")
    if table:
        path.write_text(
            "\n".join(
                f"[{s}]\n" + "\n".join(f"{k} = {v}" for k, v in t.items()) for s, t in table.items()
            )
        )
    with pytest.raises(ConfigError) as err:
        load_config(str(path), overrides, label="mine (shipped config)")
    said = str(err.value)
    assert said.startswith(message if override else f"mine (shipped config): {message}"), said


TWO_MOONS = "[data]\nname = 'two_moons'\n"


@pytest.mark.parametrize(
    "text, overrides, said, override",
    [
        # the override fixes one of the file's two faults: the other stays the file's
        ("[optim]\nlr = -1.0\nsteps = 0\n", ["optim.lr=0.1"],
         "c.toml: optim.steps must lie in 1..2147483647, got 0", None),
        # the file's fault given again by --set: the value the run would use is the override's
        ("[optim]\nlr = -1.0\n", ["optim.lr=-1"], "--set optim.lr=-1: optim.lr must be > 0, got -1.0", "optim.lr=-1"),
        # a section the file holds as a number: the file's fault, named by its label
        ("optim = 3\n", ["optim.lr=1"], "c.toml: [optim] must be a table, got 3 (int)", None),
        # the same fault brought twice: the last item that sets the field
        ("", ["optim.lr=-1", "optim.lr=0.1", "optim.lr=-1.0"],
         "--set optim.lr=-1.0: optim.lr must be > 0, got -1.0", "optim.lr=-1.0"),
        # the field and the field that decides whether it applies: the last of the two
        ("[optim]\nname = 'momentum'\nmomentum = 0.9\n", ["optim.name=sgd", "optim.momentum=0.5"],
         "--set optim.momentum=0.5: optim.momentum applies only to optim.name = 'momentum' "
         "(this config has optim.name = 'sgd'); remove it", "optim.momentum=0.5"),
        # a fault of the file and an unrelated bad override, whose fault is the one raised
        ("[model]\nactivation = 'relu'\n[train]\nchunk = 0\n", ["model.activation=tahn"],
         "--set model.activation=tahn: model.activation = 'tahn' is not one of ['relu', 'tanh', "
         "'sigmoid', 'leaky_relu', 'softplus', 'identity']; did you mean 'tanh'?", "model.activation=tahn"),
        # an override of a whole table is blamed for a fault of one of its entries
        (TWO_MOONS, ["data.options={noise = 1e39}", "optim.steps=5"],
         "--set data.options={noise = 1e39}: data.options.noise = 1e+39 overflows float32",
         "data.options={noise = 1e39}"),
    ],
)  # fmt: skip
def test_a_fault_is_blamed_on_the_last_override_that_sets_a_field_it_concerns(
    tmp_path, text, overrides, said, override
):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(str(path), overrides, label="c.toml")
    assert str(err.value).startswith(said) and err.value.override == override, str(err.value)


def test_an_override_that_fixes_the_files_only_fault_gives_a_valid_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[optim]\nlr = -1.0\n")
    assert load_config(str(path), ["optim.lr=0.1"]).optim.lr == 0.1


def test_faults_carry_the_fields_they_concern():
    with pytest.raises(ConfigError) as err:
        config_from_table({"optim": {"momentum": 0.5}})
    assert err.value.fields == ("optim.momentum", "optim.name")
    with pytest.raises(ConfigError) as err:
        config_from_table({"optim": {"name": "newton"}})
    assert set(err.value.fields) == {"optim.name", "model.name"}


def test_the_overrides_are_applied_once_not_replayed(monkeypatch):
    from handgrad.training import config

    calls = []
    real = config.apply_overrides
    monkeypatch.setattr(config, "apply_overrides", lambda *a: calls.append(1) or real(*a))
    with pytest.raises(ConfigError, match=r"^--set optim.lr=-1: "):
        config.config_from_table({}, [f"optim.steps={n}" for n in range(1, 50)] + ["optim.lr=-1"])
    assert len(calls) == 1  # linear in the overrides: no prefix is validated again


@pytest.mark.parametrize(
    "item, closest",
    [("model.activation=tahn", "tanh"), ("data.name=digts", "digits"),
     ("model.loss=squared", "squared_error"), ("optim.name=adamm", "adam"),
     ("train.grad=autodif", "autodiff"), ("train.dtype=float46", "float64"),
     ("model.name=linaer", "linear")],
)  # fmt: skip
def test_a_value_that_is_not_a_choice_gets_a_did_you_mean(item, closest):
    with pytest.raises(ConfigError, match=rf"is not one of \[.*\]; did you mean '{closest}'\?$"):
        config_from_table({}, [item])


@pytest.mark.parametrize("item", ["=3", " =3"])
def test_an_empty_key_is_named_as_empty(item):
    with pytest.raises(ConfigError) as err:
        config_from_table({}, [item])
    key = repr(item.split("=")[0])
    assert (
        str(err.value)
        == f"--set {item}: {key}: an empty key; give a field's dotted name, e.g. optim.lr=0.05"
    )


def test_a_table_field_says_how_to_set_it_and_the_example_works():
    with pytest.raises(ConfigError) as err:
        config_from_table({"data": {"name": "two_moons"}}, ["data.options.n=5"])
    said = str(err.value)
    assert (
        said
        == "--set data.options.n=5: data.options is a table: set it whole, e.g. --set 'data.options={n = 5}'"
    )
    example = said.split("--set '")[1].rstrip("'")
    assert config_from_table({"data": {"name": "two_moons"}}, [example]).data.options == {"n": 5}
    with pytest.raises(ConfigError, match=r"e\.g\. --set 'data\.options=\{noise = \"big\"\}'$"):
        config_from_table({}, ["data.options.noise=big"])
