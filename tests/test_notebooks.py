"""The committed notebooks, as a reader on the web sees them (nbmake runs them separately).

Each notebook must carry the outputs of a complete top-to-bottom run — so plots and tables
show without executing anything — use the public API only, and be listed in the README.
"""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cells(path, kind="code"):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def source(cell):
    return "".join(cell["source"])


def test_there_is_one_notebook_per_part_of_the_texts():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_the_outputs_of_one_clean_run(path):
    code = [c for c in cells(path) if source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run top to bottom: make notebooks"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "warnings or errors were printed"
    assert any("image/png" in o.get("data", {}) for o in outputs), "a reader should see a plot"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_uses_the_public_api_only(path):
    code = "\n".join(source(c) for c in cells(path))
    assert not re.search(r"handgrad(\.\w+)*\._|hg\._", code), "a private name is used"
    assert "import handgrad" in code or "from handgrad" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opens_with_a_title_and_is_listed_in_the_readme(path):
    first = cells(path, "markdown")[0]
    assert source(first).startswith("# "), "the first cell is the notebook's title"
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text()
