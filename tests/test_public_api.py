"""The shape of the library: a curated top level, subpackages by role, names that explain
themselves, no reaching into another package's private names, a light import."""

import ast
import importlib
import inspect
import pathlib
import pkgutil
import re
import subprocess
import sys

import pytest

import handgrad

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "handgrad"
SUBPACKAGES = ("models", "backprop", "check", "optim", "exercises", "data", "training")
PACKAGES = [handgrad] + [importlib.import_module(f"handgrad.{p}") for p in SUBPACKAGES]
MODULES = sorted(SRC.rglob("*.py"))


def public_names():
    """(package, name, object) for every name of every __all__."""
    return [(pkg, name, getattr(pkg, name)) for pkg in PACKAGES for name in pkg.__all__]


def test_every_public_name_imports_once_per_package():
    for pkg in PACKAGES:
        assert len(set(pkg.__all__)) == len(pkg.__all__), pkg.__name__
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None, (pkg.__name__, name)


def test_the_top_level_is_the_textbook_core():
    assert 30 <= len(handgrad.__all__) <= 45
    for sub in SUBPACKAGES:
        assert getattr(handgrad, sub).__name__ == f"handgrad.{sub}"  # hg.models, hg.check, …
    home = {n: p for p in PACKAGES[1:] for n in p.__all__}
    for name in handgrad.__all__:  # each top-level name is its subpackage's, not a second copy
        assert getattr(handgrad, name) is getattr(home[name], name), name
    source = (SRC / "__init__.py").read_text()
    assert sorted(handgrad.__all__) != list(handgrad.__all__)  # grouped by topic, not sorted
    assert source.count("\n    # ") >= 5  # a comment heads each group


def test_one_name_means_one_thing():
    seen = {}
    for pkg, name, obj in public_names():
        assert seen.setdefault(name, obj) is obj, f"{name} names two things ({pkg.__name__})"


def _own_docstring(obj) -> str | None:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if inspect.isclass(obj) and doc and doc.startswith(f"{obj.__name__}("):
        return None  # a NamedTuple's generated "Name(field, …)" says nothing
    return doc


def _module_docstrings(pkg) -> str:
    docs = [pkg.__doc__ or ""]
    if hasattr(pkg, "__path__"):
        for info in pkgutil.iter_modules(pkg.__path__, f"{pkg.__name__}."):
            docs.append(importlib.import_module(info.name).__doc__ or "")
    return "\n".join(docs)


def test_every_public_name_has_a_docstring():
    missing = []
    for pkg, name, obj in public_names():
        if callable(obj):
            if not (_own_docstring(obj) or "").strip():
                missing.append(f"{pkg.__name__}.{name}")
        elif name not in _module_docstrings(pkg):  # a constant: its module says what it holds
            missing.append(f"{pkg.__name__}.{name} (constant)")
    assert not missing, missing


def test_every_public_name_is_shown_to_a_reader():
    """In the README, a notebook or a page of docs/: the API reference until there is a site."""
    text = (ROOT / "README.md").read_text()
    text += "".join(p.read_text() for p in (ROOT / "notebooks").glob("*.ipynb"))
    text += "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    unseen = sorted({name for _, name, _ in public_names() if name not in text})
    assert not unseen, unseen


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("handgrad"):
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("handgrad"):
                    yield alias.name, []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_a_private_name(path):
    """Shared helpers have public names; the internal modules (_validate, _interrupt) hold only
    public ones."""
    for module, names in _imports(path):
        private = [part for part in module.split(".") if part.startswith("_")]
        assert private in ([], ["_validate"], ["_interrupt"]), f"{path.name} imports {module}"
        assert not [n for n in names if n.startswith("_")], (
            f"{path.name}: from {module} import {names}"
        )


def test_no_module_shadows_the_standard_library():
    for path in MODULES:
        if path.stem != "__init__" and path.stem != "__main__":
            assert path.stem not in sys.stdlib_module_names, path


def test_the_tree_says_where_d2ls_gradient_is_computed():
    assert (SRC / "backprop" / "d2l.py").exists()
    assert "∂J/∂W⁽¹⁾ = ∂J/∂z xᵀ + λW⁽¹⁾" in (SRC / "backprop" / "d2l.py").read_text()


def test_cli_module_runs_as_main():
    assert importlib.util.find_spec("handgrad.__main__") is not None


def test_import_handgrad_loads_neither_plotting_nor_data_set_libraries():
    probe = "import sys, handgrad; print(sorted(m for m in ('matplotlib', 'sklearn', 'tqdm') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def test_every_handgrad_name_a_text_quotes_exists():
    """Docstrings, docs and the README quote names as ``handgrad.…``: after a move they must follow."""
    texts = [
        *MODULES,
        *(ROOT / "docs").glob("*.md"),
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
    ]
    stale = []
    for path in texts:
        for dotted in set(re.findall(r"`+(handgrad(?:\.[A-Za-z_]\w*)+)", path.read_text())):
            try:
                _resolve(dotted)
            except (ImportError, AttributeError):
                stale.append(f"{path.name}: {dotted}")
    assert not stale, stale


def test_the_lazy_top_level_and_its_typing_block_name_the_same_things():
    """``handgrad`` imports its names on first use; the ``TYPE_CHECKING`` block that shows them
    to type checkers and editors must name exactly the same ones, from the same homes."""
    tree = ast.parse((SRC / "__init__.py").read_text())
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    typed = {
        alias.name: node.module.removeprefix("handgrad.")
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module != "handgrad"
        for alias in node.names
    }
    subpackages = [
        a.name
        for n in block.body
        if isinstance(n, ast.ImportFrom) and n.module == "handgrad"
        for a in n.names
    ]
    assert typed == handgrad._HOME
    assert sorted(subpackages) == sorted(handgrad.SUBPACKAGES) == sorted(SUBPACKAGES)
    assert set(handgrad.__all__) <= set(dir(handgrad))


def test_the_command_takes_charge_of_ctrl_c_before_jax_loads():
    probe = "import sys, handgrad, handgrad.cli; print('jax' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
