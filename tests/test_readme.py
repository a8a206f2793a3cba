"""The README's Python runs as printed: its examples are the library's, not a sketch of it."""

import pathlib
import re

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


REPOSITORY = "https://github.com/handgrad/handgrad"
FILE_LINK = re.compile(
    r"^(?:https://github\.com/handgrad/handgrad/(?:blob|tree)/main/"
    r"|https://raw\.githubusercontent\.com/handgrad/handgrad/main/)([^#?]+)"
)


def _link_faults(text: str, root: pathlib.Path) -> list[str]:
    """What is wrong with the Markdown links of ``text`` as PyPI shows it: a relative link
    (it breaks away from the repository), a link to a file of the repository that does not
    exist under ``root``, an image not served raw (a blob page is HTML, not a picture)."""
    faults = []
    for bang, target in re.findall(r"(!?)\[[^\]]*\]\(([^)\s]+)", text):
        if not re.match(r"https?://|#|mailto:", target):
            faults.append(f"relative: {target}")
            continue
        found = FILE_LINK.match(target)
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
    blob = f"{REPOSITORY}/blob/main/docs/digits_mlp1.png"
    assert _link_faults(f"![x]({blob})", root) == [f"image not raw: {blob}"]
