"""The README's Python runs as printed: its examples are the library's, not a sketch of it."""

import pathlib
import re

from handgrad._project import BLOB_PREFIX, FILE_PREFIXES, RAW_PREFIX, REPOSITORY

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_the_readmes_python_examples_run_in_order():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md, python block {i + 1}", "exec"), namespace)
    assert namespace["report"].passed
    assert namespace["sweep_losses"].shape == (3, 200)
    assert namespace["J_w"].shape == (60, 600 * 60 + 60)


def test_the_parallel_pages_python_runs_in_a_fresh_process():
    """docs/parallel.md sets up 4 CPU devices first, which only a fresh process can."""
    import subprocess
    import sys

    page = README.parent / "docs" / "parallel.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    script = "\n".join(blocks) + "\nprint(shard_shapes(params)['W1'], losses.shape)\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[(64, 64), (64, 64), (64, 64), (64, 64)] (100,)"


# Only the two prefixes the documentation site turns into its own pages (handgrad._project,
# which the site's extension imports too): a tree/ link would stay a link to GitHub there.
FILE_LINK = re.compile("^(?:" + "|".join(map(re.escape, FILE_PREFIXES)) + ")([^#?]+)")


def _link_faults(text: str, root: pathlib.Path) -> list[str]:
    """What is wrong with the Markdown links of ``text`` as PyPI shows it: a relative link
    (it breaks away from the repository), a link into the repository by any prefix but the
    two the site rewrites (``tree/``, ``blob/`` of another branch), a link to a file of the
    repository that does not exist under ``root``, an image not served raw (a blob page is
    HTML, not a picture)."""
    faults = []
    for bang, target in re.findall(r"(!?)\[[^\]]*\]\(([^)\s]+)", text):
        if not re.match(r"https?://|#|mailto:", target):
            faults.append(f"relative: {target}")
            continue
        found = FILE_LINK.match(target)
        into = target.startswith((f"{REPOSITORY}/", "https://raw.githubusercontent.com/handgrad/"))
        if into and not found and not target.startswith(f"{REPOSITORY}/issues"):
            faults.append(f"not a blob/main or raw link: {target}")
        if found and not (root / found.group(1)).exists():
            faults.append(f"no such file: {target}")
        if bang and found and not target.startswith("https://raw.githubusercontent.com/"):
            faults.append(f"image not raw: {target}")
    return faults


def test_the_readmes_links_are_absolute_and_point_at_files_of_the_checkout():
    text = README.read_text()
    assert not _link_faults(text, README.parent)
    targets = re.findall(r"\]\((https://[^)\s]+)", text)
    assert sum(bool(FILE_LINK.match(t)) for t in targets) >= 10


def test_the_link_check_fails_on_a_missing_file_a_relative_link_and_a_blob_image():
    root = README.parent
    assert _link_faults(f"[x]({REPOSITORY}/blob/main/docs/no_such_page.md)", root) == [
        f"no such file: {REPOSITORY}/blob/main/docs/no_such_page.md"
    ]
    assert _link_faults("[x](docs/parallel.md)", root) == ["relative: docs/parallel.md"]
    blob = f"{BLOB_PREFIX}docs/digits_mlp1.png"
    assert _link_faults(f"![x]({blob})", root) == [f"image not raw: {blob}"]
    tree = f"{REPOSITORY}/tree/main/docs"  # stays a link to GitHub on the site
    assert _link_faults(f"[x]({tree})", root) == [f"not a blob/main or raw link: {tree}"]
    assert not _link_faults(
        f"[x]({BLOB_PREFIX}docs/parallel.md) ![y]({RAW_PREFIX}docs/digits_mlp1.png)", root
    )


def _commands(text: str) -> list[str]:
    """Every ``handgrad …`` command line of ``text``: in code blocks and inline code."""
    lines = []
    for block in re.findall(r"```(?:bash|console)?\n(.*?)```", text, flags=re.S):
        lines += [line.strip().removeprefix("$ ") for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", text)
    return [line.split("  #")[0].strip() for line in lines if re.match(r"\$? ?handgrad \w", line)]


def test_the_readmes_commands_name_shipped_configs_and_the_wheel_install():
    """A pip user has no checkout: a command names a shipped config, never configs/… or a
    file under docs/; the install says how to build the wheel, as handgrad is not on PyPI."""
    text = README.read_text()
    commands = _commands(text)
    assert len(commands) >= 10 and any(
        c.startswith("handgrad memory digits_mlp1") for c in commands
    )
    checkout_paths = [c for c in commands if re.search(r"\s(configs|docs|src|notebooks)/", c)]
    assert not checkout_paths, checkout_paths
    assert (
        "pip install build && python -m build" in text and "pip install dist/handgrad-*.whl" in text
    )
    assert "not on PyPI yet" in text and not re.search(
        r"pip install handgrad(?![-\w\[])", text.replace("`pip install handgrad` finds nothing", "")
    )


def test_the_readmes_quick_commands_run_for_a_pip_user_in_an_empty_folder(
    tmp_path, monkeypatch, capsys
):
    """The cheap commands the README shows (config list, config init NAME PATH; not its
    placeholders, NAME [PATH]) run as printed in a folder with no checkout, through the
    command's own entry point; ``handgrad --version`` too."""
    import shlex

    import pytest

    from handgrad.cli import main

    monkeypatch.chdir(tmp_path)
    quick = ("handgrad --version", "handgrad config list", "handgrad config init ")
    shown = [c for c in _commands(README.read_text()) if c.startswith(quick)]
    commands = ["handgrad --version", *(c for c in shown if not re.search(r"\b[A-Z]{2,}", c))]
    assert "handgrad config list" in commands
    assert any(c.startswith("handgrad config init digits_mlp1 ") for c in commands)
    for line in dict.fromkeys(commands):  # each once: init never writes over its own file
        argv = shlex.split(line)[1:]
        if argv == ["--version"]:
            with pytest.raises(SystemExit) as stop:
                main(argv)
            assert stop.value.code == 0, line
        else:
            assert main(argv) == 0, line
        out = capsys.readouterr().out
        assert out.strip(), line
    written = [c.split()[-1] for c in commands if c.startswith("handgrad config init ")]
    assert all((tmp_path / w).is_file() for w in written), written


def test_the_readme_says_what_the_makefile_runs():
    makefile = (README.parent / "Makefile").read_text()
    test_recipe = re.search(r"^test:.*\n\t\$\(BIN\)/python -m (pytest[^\n]*)", makefile, re.M)
    assert f"`make test` runs `{test_recipe.group(1)}`" in README.read_text()
    assert "make docs" in README.read_text() and "tests/test_docs_site.py" in README.read_text()
    clean = re.search(r"^clean:\n\t(rm -rf [^\n]*)", makefile, re.M).group(1).split()
    assert {"site", "site-screenshots", "docs/_build", ".pytest_cache", ".hypothesis"} <= set(clean)
