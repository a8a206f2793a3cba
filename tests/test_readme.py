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
