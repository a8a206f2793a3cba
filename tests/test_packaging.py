"""What ``pip install handgrad`` gets: the shipped configs as package data, one version, the
metadata PyPI shows, and an sdist that carries what its tests read."""

import ast
import os
import pathlib
import re
import tomllib

import pytest

import handgrad
from handgrad.shipped import DEFAULT, describe, resolve_config, shipped_names, shipped_text
from handgrad.training.config import ConfigError

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGED = ROOT / "src" / "handgrad" / "configs"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_configs_ship_inside_the_package_and_configs_shows_the_same_files():
    names = sorted(p.stem for p in PACKAGED.glob("*.toml"))
    assert names == shipped_names() and DEFAULT in names and len(names) >= 10
    top = ROOT / "configs"
    if top.is_symlink():  # a checkout: one copy, linked (an sdist holds a copy of the files)
        assert os.readlink(top) == "src/handgrad/configs"  # relative: the link moves with the tree
    assert sorted(p.stem for p in top.glob("*.toml")) == names
    for name in names:
        assert shipped_text(name) == (top / f"{name}.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(p.stem for p in PACKAGED.glob("*.toml")))
def test_each_shipped_config_opens_with_a_one_sentence_description(name):
    text = shipped_text(name)
    assert text.startswith("# "), f"{name}.toml opens with no comment"
    said = describe(name)
    assert said.endswith(".") and "\n" not in said and 20 <= len(said) <= 200, said
    assert said[:-1].rstrip() and said in " ".join(
        line.lstrip("# ") for line in text.splitlines() if line.startswith("#")
    )


def test_a_config_argument_is_a_file_then_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the package imported (from src/ in a checkout, site-packages in an installed sdist)
    packaged = os.path.realpath(
        pathlib.Path(handgrad.__file__).parent / "configs" / "digits_mlp1.toml"
    )
    assert os.path.realpath(resolve_config("digits_mlp1")) == packaged
    assert os.path.realpath(resolve_config("digits_mlp1.toml")) == packaged
    (tmp_path / "digits_mlp1.toml").write_text("seed = 1\n")  # a file of that name wins
    assert resolve_config("digits_mlp1.toml") == "digits_mlp1.toml"
    (tmp_path / "runs").mkdir()  # a folder: load_config will say it is one
    assert resolve_config("runs") == "runs"
    with pytest.raises(ConfigError) as err:
        resolve_config("configs/nope.toml")
    assert str(err.value) == (
        "configs/nope.toml: no such config file, nor a shipped config name (shipped: "
        + ", ".join(shipped_names())
        + ")"
    )
    with pytest.raises(ConfigError, match="an empty CONFIG"):
        resolve_config(" ")


def test_one_version_read_without_importing_jax():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "handgrad.__version__"
    # setuptools reads a literal assignment from the file's text, without importing it
    tree = ast.parse((ROOT / "src" / "handgrad" / "__init__.py").read_text())
    literal = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]
        and isinstance(node.value, ast.Constant)
    ]
    assert literal == [handgrad.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+", handgrad.__version__)


def test_the_metadata_pypi_shows():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "2026 handgrad contributors" in license_text
    assert set(project["urls"]) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(
        u.startswith("https://github.com/handgrad/handgrad") for u in project["urls"].values()
    )
    classifiers = set(project["classifiers"])
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert {"Typing :: Typed", "Intended Audience :: Science/Research"} <= classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: `license` says it
    assert (ROOT / "src" / "handgrad" / "py.typed").exists()
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["handgrad"]
    assert {"configs/*.toml", "py.typed"} <= set(package_data)


def test_every_dependency_has_a_lower_bound():
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    unbounded = [r for r in requirements if ">=" not in r and "==" not in r]
    assert not unbounded, unbounded
    extras = project["optional-dependencies"]
    assert {"test", "dev", "notebooks", "torch"} <= set(extras)
    assert extras["torch"] == ["torch>=2.3"]


def test_the_sdist_carries_what_the_tests_read():
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for folder in ("tests", "notebooks", "docs", "benchmarks", "configs"):
        assert folder in manifest, f"MANIFEST.in does not graft {folder}/"
    for name in ("conftest.py", "README.md", "LICENSE"):
        assert name in manifest and (ROOT / name).exists(), name
