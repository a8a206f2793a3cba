"""Bad configs, each refused by a rule with a ConfigError that names the file and the field."""

import dataclasses
import os
import tomllib

import pytest

from handgrad.training import setup
from handgrad.training.config import (
    Config,
    ConfigError,
    DataConfig,
    config_fields,
    config_from_table,
    dump_config,
    load_config,
)
from handgrad.training.inspection import memory_report
from handgrad.training.setup import available_memory, build

BIG = 2**31


def _write(tmp_path, content, name="c.toml"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"seed = 0\n# caf\xe9\n", r"not UTF-8 text \(byte 0xe9 at offset 14\)"),
        (b"\xff\xfe[optim]\n", r"not UTF-8 text \(byte 0xff at offset 0\)"),
        (b"[optim]\nlr = {a = 1}\n", r"optim.lr must be a number, got a table \{'a': 1\}"),
        (b"[optim.lr]\nx = 1\n", r"optim.lr must be a number, got a table"),
        (b"data = 5\n", r"\[data\] must be a table, got 5 \(int\)"),
        (b"seed = [1, 2]\n", r"seed must be an integer, got \[1, 2\] \(list\)"),
        (b"[optim]\nname = ['sgd']\n", r"optim.name must be a string, got \['sgd'\]"),
        (b"[optim]\nlr = 1979-05-27\n", r"optim.lr must be a number, got a TOML date/time \(1979-05-27\)"),
        (b"seed = 07:32:00\n", r"seed must be an integer, got a TOML date/time"),
        (b"[model]\nhidden = [[8]]\n", r"model.hidden must be a list of integers"),
        (b"[data]\noptions = 3\n", r"data.options must be a table, got 3"),
    ],
)  # fmt: skip
def test_what_a_file_holds_is_checked_and_the_file_is_named(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(err.value).startswith(path + ": ")


def test_a_folder_or_an_unreadable_file_is_named(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"is a folder, not a config file") as err:
        load_config(str(tmp_path))
    assert str(tmp_path) in str(err.value)
    path = _write(tmp_path, "seed = 1\n")
    real_open = open

    def deny(file, *args, **kwargs):
        if file == path:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(ConfigError, match=r"c.toml: cannot be read \(Permission denied\)"):
        load_config(path)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"seed": -1}, r"seed must lie in 0..2147483646, got -1"),
        ({"seed": BIG - 1}, r"seed must lie in 0..2147483646, got 2147483647"),
        ({"optim": {"steps": 0}}, r"optim.steps must lie in 1..2147483647, got 0"),
        ({"optim": {"steps": BIG}}, r"optim.steps must lie in 1..2147483647, got 2147483648"),
        ({"optim": {"batch_size": -1}}, r"optim.batch_size must lie in 0..2147483647"),
        ({"optim": {"batch_size": 10**12}}, r"optim.batch_size must lie in 0..2147483647"),
        ({"train": {"chunk": 0}}, r"train.chunk must lie in 1..2147483647"),
        ({"train": {"chunk": 2**63}}, r"train.chunk must lie in 1..2147483647"),
        ({"checkpoint": {"every": BIG}}, r"checkpoint.every must lie in 1..2147483647"),
        ({"train": {"verify_every": -5}}, r"train.verify_every must lie in 0..2147483647"),
        ({"train": {"grad": "random_directions", "num_directions": 0}}, r"train.num_directions must lie in 1..2147483647"),
        ({"train": {"grad": "random_directions", "num_directions": BIG}}, r"train.num_directions must lie in"),
        ({"optim": {"name": "momentum", "momentum": 1.0}}, r"optim.momentum must lie in \[0, 1\), got 1.0"),
        ({"optim": {"name": "momentum", "momentum": -0.1}}, r"optim.momentum must lie in \[0, 1\)"),
        ({"model": {"hidden": [0]}}, r"model.hidden widths must lie in 1..2147483647, got 0"),
        ({"model": {"name": "mlp", "hidden": [8, BIG]}}, r"model.hidden widths must lie in 1..2147483647"),
        ({"model": {"name": "mlp", "hidden": [1] * 2000}}, r"model.hidden holds 2000 widths, more than 1024"),
        ({"optim": {"lr": 0}}, r"optim.lr must be > 0, got 0.0"),
        ({"model": {"lam": -1e-3}}, r"model.lam must be >= 0"),
        ({"train": {"grad": "finite_difference", "fd_eps": 0.0}}, r"train.fd_eps must be > 0"),
        ({"data": {"test_fraction": 1}}, r"data.test_fraction must lie in \(0, 1\), got 1.0"),
    ],
)  # fmt: skip
def test_every_number_has_a_range(table, message):
    with pytest.raises(ConfigError, match=message):
        config_from_table(table)


@pytest.mark.parametrize(
    "override, field",
    [
        ("optim.lr=nan", "optim.lr"),
        ("optim.lr=inf", "optim.lr"),
        ("model.lam=+inf", "model.lam"),
        ("data.test_fraction=nan", "data.test_fraction"),
        ("data.options={noise = nan}", "noise"),
    ],
)
def test_floats_must_be_finite(override, field):
    with pytest.raises(ConfigError, match=rf"{field} must be finite, got (nan|inf)"):
        config_from_table({"data": {"name": "two_moons"}}, [override])


@pytest.mark.parametrize(
    "content, message",
    [
        ('[optim]\nname = "momentum"\nmomentum = nan\n', r"optim.momentum must be finite, got nan"),
        ('[train]\ngrad = "finite_difference"\nfd_eps = inf\n', r"train.fd_eps must be finite, got inf"),
        ("[optim]\nlr = -inf\n", r"optim.lr must be finite, got -inf"),
        ('[data]\nname = "spirals"\noptions = {noise = -nan}\n', r"noise must be finite, got nan"),
    ],
)  # fmt: skip
def test_non_finite_values_in_a_file(tmp_path, content, message):
    with pytest.raises(ConfigError, match=rf"c.toml: .*{message}"):
        load_config(_write(tmp_path, content))


@pytest.mark.parametrize(
    "table, message",
    [
        ({"data": {"name": "two_moons", "options": {"nosie": 0.1}}},
         r"data.options: bad options for dataset 'two_moons': no option 'nosie'; did you mean 'noise'\? \(options: \['n', 'noise'\]\)"),
        ({"data": {"name": "two_moons", "options": {"seed": 3}}}, r"no option 'seed'"),
        ({"data": {"options": {"n": 5}}}, r"dataset 'digits': no option 'n' \(options: \[\]\)"),
        ({"data": {"name": "spirals", "options": {"classes": 2.5}}}, r"classes must be an integer, got 2.5 \(float\)"),
        ({"data": {"name": "spirals", "options": {"classes": True}}}, r"classes must be an integer, got True"),
        ({"data": {"name": "two_moons", "options": {"noise": "big"}}}, r"noise must be a number, got 'big'"),
        ({"data": {"name": "two_moons", "options": {"noise": [0.1]}}}, r"noise must be a number, got \[0.1\]"),
        ({"data": {"name": "two_moons", "options": {"n": 0}}}, r"n must be a positive integer below 2\*\*31, got 0"),
        ({"data": {"name": "two_moons", "options": {"n": BIG}}}, r"n must be a positive integer below 2\*\*31"),
        ({"data": {"name": "linear_regression", "options": {"n": 2**20, "d": 2**12}}},
         r"1048576 samples of 4096 features are 4294967296 numbers, more than 2\*\*31 − 1"),
        ({"data": {"name": "spirals", "options": {"n_per_class": 2**30, "classes": 4}}}, r"more than 2\*\*31 − 1"),
    ],
)  # fmt: skip
def test_data_options_follow_the_generators_signature(table, message):
    with pytest.raises(ConfigError, match=message):
        config_from_table(table)


def test_good_options_are_accepted_and_ints_become_floats():
    cfg = config_from_table({"data": {"name": "two_moons", "options": {"n": 50, "noise": 0}}})
    assert cfg.data.options == {"n": 50, "noise": 0}
    assert config_from_table({}, ["data.name=spirals", "data.options={classes = 4}"])


@pytest.mark.parametrize(
    "table, overrides, message",
    [
        ({"optim": {"momentum": 0.9}}, [],
         r"optim.momentum applies only to optim.name = 'momentum' \(this config has optim.name = 'sgd'\); remove it"),
        ({"optim": {"name": "adam", "momentum": 0.5}}, [], r"optim.momentum applies only to optim.name = 'momentum'"),
        ({"optim": {"name": "momentum", "momentum": 0.5}}, ["optim.name=adam"], r"\(this config has optim.name = 'adam'\)"),
        ({"model": {"name": "linear", "hidden": [8]}}, [],
         r"model.hidden applies only to model.name in \['mlp1', 'mlp'\] \(this config has model.name = 'linear'\)"),
        ({"model": {"name": "linear", "activation": "tanh"}}, [], r"model.activation applies only to model.name in"),
        ({"model": {"name": "linear", "bias": True}}, [], r"model.bias applies only to model.name in"),
        ({"model": {"name": "linear", "lam": 0.1}}, [], r"model.lam applies only to model.name in"),
        ({}, ["model.name=linear", "model.bias=false"], r"model.bias applies only"),
        ({"train": {"num_directions": 4}}, [], r"train.num_directions applies only to train.grad = 'random_directions' \(this config has train.grad = 'hand'\)"),
        ({"train": {"grad": "finite_difference", "num_directions": 4}}, [], r"train.num_directions applies only"),
        ({"train": {"fd_eps": 1e-3}}, [], r"train.fd_eps applies only to train.grad in \['finite_difference', 'random_directions'\]"),
        ({"train": {"grad": "autodiff", "fd_eps": 1e-3}}, [], r"train.fd_eps applies only"),
        ({"train": {"grad": "autodiff", "verify_every": 10}}, [], r"train.verify_every applies only to train.grad = 'hand' \(this config has train.grad = 'autodiff'\)"),
        ({"train": {"verify_every": 5}}, ["train.grad=random_directions"], r"train.verify_every applies only.*or set it to 0"),
        ({"data": {"path": "data/mnist"}}, [], r"data.path applies only to data.name in \['mnist', 'fashion_mnist'\] \(this config has data.name = 'digits'\)"),
        ({"data": {"name": "mnist", "options": {}}}, [], r"data.options applies only to data.name in \['digits'"),
        ({"data": {"name": "fashion_mnist", "test_fraction": 0.3}}, [], r"data.test_fraction applies only to data.name in"),
        ({}, ["data.name=mnist", "data.test_fraction=0.1"], r"data.test_fraction applies only"),
    ],
)  # fmt: skip
def test_fields_that_do_not_apply_are_refused_by_name(table, overrides, message):
    with pytest.raises(ConfigError, match=message):
        config_from_table(table, overrides)


def test_fields_that_apply_are_accepted():
    cfg = config_from_table(
        {
            "data": {"name": "mnist", "path": "x"},
            "optim": {"name": "momentum", "momentum": 0.5},
            "train": {"grad": "random_directions", "num_directions": 3, "fd_eps": 0.01},
        }
    )
    assert (cfg.optim.momentum, cfg.train.num_directions, cfg.data.path) == (0.5, 3, "x")


def test_the_gradient_check_may_be_switched_off_whatever_the_gradient_source():
    """verify_every = 0 (off) fits every source, so a --set can turn a hand config's check off
    when it switches the source: the file's value cannot be removed from the command line."""
    for grad in ("autodiff", "finite_difference", "random_directions"):
        cfg = config_from_table(
            {"train": {"verify_every": 100}}, [f"train.grad={grad}", "train.verify_every=0"]
        )
        assert cfg.train.verify_every == 0 and "train.verify_every" not in config_fields(cfg)


def test_dump_config_writes_what_applies_and_reads_back_equal():
    sgd = config_from_table({})
    fields = config_fields(sgd)
    assert list(fields)[:2] == ["seed", "data.name"] and fields["optim.lr"] == 0.1
    assert "optim.momentum" not in fields and "momentum" not in dump_config(sgd)
    assert "data.path" not in fields and "num_directions" not in dump_config(sgd)
    linear = config_from_table(
        {
            "data": {"name": "linear_regression"},
            "model": {"name": "linear", "loss": "squared_error"},
        }
    )
    assert not {"model.hidden", "model.bias", "model.activation", "model.lam"} & set(
        config_fields(linear)
    )
    mnist = config_from_table({"data": {"name": "mnist", "path": "p"}})
    assert {"data.options", "data.test_fraction"}.isdisjoint(config_fields(mnist))
    momentum = config_from_table(
        {"optim": {"name": "momentum", "momentum": 0.5}, "train": {"grad": "finite_difference"}}
    )
    assert config_fields(momentum)["optim.momentum"] == 0.5
    assert "train.fd_eps" in config_fields(momentum) and "train.verify_every" not in config_fields(
        momentum
    )
    for cfg in (sgd, linear, mnist, momentum):
        text = dump_config(cfg)
        assert config_from_table(tomllib.loads(text)) == cfg
        # the dump is exactly the fields, in order
        flat = []
        for section, table in tomllib.loads(text).items():
            flat += [f"{section}.{k}" for k in table] if section != "seed" else ["seed"]
        assert list(flat) == list(config_fields(cfg))


@pytest.mark.parametrize(
    "path",
    [
        "a\nb",
        "tab\there",
        'quote"d',
        "back\\slash\\",
        "del\x7fchar",
        "bell\x07 esc\x1b \b\f\r unit\x1f",
        "unicode é ☃ 𝔘 \u2028",
        'mixed\n\t"\\\x7f☃',
    ],
)
def test_strings_are_escaped_when_written(tmp_path, path):
    cfg = dataclasses.replace(Config(), data=DataConfig(name="mnist", path=path))
    text = dump_config(cfg)
    plain = dump_config(dataclasses.replace(cfg, data=DataConfig(name="mnist", path="x")))
    assert "\x7f" not in text and "\x07" not in text
    assert text.count("\n") == plain.count("\n")  # the value stays on its line
    file = tmp_path / "config.toml"
    file.write_text(text, encoding="utf-8")
    assert load_config(str(file)) == cfg


def test_option_keys_that_are_not_bare_are_quoted():
    from handgrad.training.config_dump import _toml_value

    table = {"a b": 1, "ok_key-1": 2, 'q"': "x\n"}
    assert tomllib.loads(f"v = {_toml_value(table)}")["v"] == table


def test_every_shipped_config_loads_and_dumps_only_what_applies():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "configs")
    for name in sorted(os.listdir(root)):
        cfg = load_config(os.path.join(root, name))
        assert config_from_table(tomllib.loads(dump_config(cfg))) == cfg, name


def test_a_run_too_large_for_memory_is_refused_before_it_compiles(monkeypatch):
    monkeypatch.setattr(setup, "available_memory", lambda: (2**16, "a test"))
    cfg = config_from_table({"data": {"name": "two_moons", "options": {"n": 100}}})
    with pytest.raises(
        ConfigError,
        match=r"the run needs about .* more than 64.0 KiB of a test: make model.hidden, optim.batch_size",
    ):
        build(cfg)
    big = config_from_table(
        {"data": {"name": "linear_regression", "options": {"n": 2**17, "d": 2**10}}},
        ["model.name=linear", "model.loss=squared_error"],
    )
    with pytest.raises(ConfigError, match=r"data while generated"):
        build(big)  # refused before the data is made


def test_huge_hidden_widths_are_refused_by_the_real_memory():
    available, _ = available_memory()
    assert available > 2**20
    cfg = config_from_table({"model": {"hidden": [2**31 - 1]}})
    with pytest.raises(ConfigError, match=r"model.hidden, optim.batch_size"):
        build(cfg)
    cfg = config_from_table(
        {"model": {"name": "mlp", "hidden": [2**20, 2**20]}, "optim": {"name": "adam"}}
    )
    with pytest.raises(ConfigError, match=r"parameters and optimiser state"):
        build(cfg)


@pytest.mark.parametrize("batch", [10**12, 2**31 - 1, 10**17])
def test_memory_report_refuses_batches_that_do_not_fit_before_compiling(batch):
    cfg = config_from_table({"model": {"hidden": [8]}})
    with pytest.raises(ValueError, match=r"batch size \(--batch-size\)"):
        memory_report(cfg, [4, batch])


def test_memory_report_refuses_batches_past_int32():
    cfg = config_from_table({"model": {"hidden": [8]}})
    with pytest.raises(ValueError, match=r"must be at most 2\*\*31 − 1, got 2147483648"):
        memory_report(cfg, [2**31])


@pytest.mark.parametrize("field", ["data.path", "data.name", "model.activation"])
def test_a_nul_character_is_refused_in_every_string_field(field):
    """No name or path may hold NUL: refused by name, not passed on to the file system."""
    with pytest.raises(ConfigError, match=rf"{field} holds a NUL character"):
        config_from_table(
            {"data": {"name": "mnist"}} if field == "data.path" else {}, [f"{field}=a\x00b"]
        )


def test_a_long_value_is_cut_in_the_message():
    with pytest.raises(ConfigError) as caught:
        config_from_table({"data": {"name": "d" * 100_000}})
    assert len(str(caught.value)) < 300 and "100,002 characters" in str(caught.value)


@pytest.mark.parametrize(
    "override, field",
    [("optim.lr=1e39", "optim.lr"), ("model.lam=1e300", "model.lam"),
     ("data.options={noise = 1e39}", "data.options.noise")],
)  # fmt: skip
def test_a_float_that_overflows_float32_is_refused_in_a_float32_run(override, field):
    base = {"data": {"name": "two_moons"}} if "options" in override else {}
    with pytest.raises(ConfigError, match=rf"{field} = .* overflows float32"):
        config_from_table(base, [override])
    cfg = config_from_table(base, [override, "train.dtype=float64"])  # float64 holds it
    assert cfg.train.dtype == "float64"


def test_a_bare_string_keeps_its_spaces():
    cfg = config_from_table({"data": {"name": "mnist"}}, ["data.path=/data/mnist "])
    assert cfg.data.path == "/data/mnist "


def test_a_device_is_not_a_config(tmp_path):
    with pytest.raises(ConfigError, match="/dev/zero: not a regular file"):
        load_config("/dev/zero")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (2**20 + 10))
    with pytest.raises(ConfigError, match="larger than 1 MiB"):
        load_config(str(big))
