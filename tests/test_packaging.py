"""What ``pip install handgrad`` gets: the shipped configs as package data, one version, the
metadata PyPI shows, and an sdist that carries what its tests read."""

import ast
import os
import pathlib
import re
import tomllib

import pytest

import handgrad
from handgrad.shipped import DEFAULT, resolve_config, shipped_names, shipped_text, summary_line
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
    said = summary_line(name)
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
    with pytest.raises(ConfigError, match="an empty config name"):
        shipped_text("")


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
    # the Python versions claimed are those CI runs (.ci/run: the python3 of its image, 3.11)
    claimed = {
        c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)
    }
    assert claimed == {"3.11"}, claimed
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


# Scratch folders a checkout gathers; none may reach the sdist, at any depth
SCRATCH = {
    "notebooks/.ipynb_checkpoints/01-checkpoint.ipynb": "{}",
    "tests/.hypothesis/examples/junk": "junk",
    "tests/faults/__pycache__/runs.cpython-311.pyc": "junk",
    ".pytest_cache/v/cache/lastfailed": "{}",
    "runs/digits_mlp1-1/metrics.jsonl": "{}",
    "site/index.html": "<html>",
    "site-screenshots/landing.png": "junk",
    "docs/_build/doctrees/index.doctree": "junk",
    ".venv/bin/python": "junk",
}
_COPY_IGNORE = {".git", ".venv", "site", "site-screenshots", "build", "dist", "runs", "_build",
                ".pytest_cache", ".hypothesis", ".ruff_cache", "__pycache__", ".ipynb_checkpoints"}  # fmt: skip


def _can_build_an_sdist() -> str | None:
    """Why an sdist cannot be built here without a download (None: it can)."""
    try:
        import build  # noqa: F401
        import setuptools
    except ImportError as err:
        return f"{err.name} is not installed (the dev extra has it)"
    if int(setuptools.__version__.split(".")[0]) < 77:
        return f"setuptools {setuptools.__version__} is older than 77, which pyproject.toml needs"
    return None


def test_the_sdist_carries_what_the_tests_read_and_no_scratch_folder(tmp_path):
    """A real sdist, built from a copy of the tree with scratch folders planted in it."""
    import shutil
    import subprocess
    import sys
    import tarfile

    why = _can_build_an_sdist()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must build the sdist: {why}")
        pytest.skip(f"no sdist built: {why}")
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT, tree, symlinks=True, ignore=lambda folder, names: _COPY_IGNORE & set(names)
    )
    for name in tree.glob("src/*.egg-info"):
        shutil.rmtree(name)
    for path, text in SCRATCH.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(tmp_path / "dist"), str(tree)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (sdist,) = (tmp_path / "dist").glob("handgrad-*.tar.gz")
    with tarfile.open(sdist) as tar:
        top = f"{sdist.name.removesuffix('.tar.gz')}/"
        names = {m.name.removeprefix(top) for m in tar.getmembers()}
    for needed in ("tests/helpers.py", "tests/faults/runs.py", "tests/faults/test_config_faults.py",
                   "conftest.py", "README.md", "LICENSE", "Makefile", "pyproject.toml",
                   "src/handgrad/py.typed", "src/handgrad/configs/digits_mlp1.toml",
                   "configs/digits_mlp1.toml", "benchmarks/README.md", "docs/conf.py",
                   "docs/formulas.md"):  # fmt: skip
        assert needed in names, f"the sdist lacks {needed}"
    notebooks = {n for n in names if n.startswith("notebooks/") and n.endswith(".ipynb")}
    assert len(notebooks) == len(list((ROOT / "notebooks").glob("*.ipynb"))) >= 6
    shipped = {n for n in names if re.fullmatch(r"src/handgrad/configs/\w+\.toml", n)}
    assert len(shipped) == len(shipped_names())
    top_level = (".pytest_cache/", ".venv/", "runs/", "site/", "site-screenshots/", "docs/_build/")
    nested = r"(^|/)(\.ipynb_checkpoints|\.hypothesis|__pycache__|\.pytest_cache)/|\.py[cod]$"
    scratch = [n for n in names if n.startswith(top_level) or re.search(nested, n)]
    assert not scratch, f"the sdist carries scratch: {sorted(set(scratch))}"
