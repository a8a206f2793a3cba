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
