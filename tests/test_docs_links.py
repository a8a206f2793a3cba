"""The site's links, read from the built HTML (``make docs`` → ``site/``), no browser needed.

The constants' anchors are there once each; the build checks cross-references (nitpicky);
each public name written as code in ``docs/formulas.md`` and the README links to its API
entry, checked against the public names gathered here, apart from the linker; and the
linker reports a misspelt name with its line (``docs/_ext/handgrad_links.py``).
"""

import html
import re
import runpy
import sys
from collections import Counter

import pytest

from test_docs_site import REPO, SITE, _missing


def _built(page: str) -> str:
    if not (SITE / page).is_file():
        _missing(f"the documentation site is not built ({SITE / page} is missing): make docs")
    return (SITE / page).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("page", "constants"),
    [
        ("handgrad.models", ["ACTIVATIONS", "COSTS", "IMAGE_SHAPE", "MYNET_WIDTHS"]),
        ("handgrad.check", ["TOLERANCES", "MISTAKES", "SHAPE_RULE"]),
        ("handgrad.data", ["DATASETS"]),
        ("handgrad.training", ["SAFE_ON_RESUME"]),
    ],
)
def test_constant_anchors(page, constants):
    """Each constant's entry has the id of its name, ``handgrad.models.ACTIVATIONS``, once."""
    html = _built(f"docs/api/{page}.html")
    for name in constants:
        assert html.count(f'id="{page}.{name}"') == 1, f"{page}.{name} in {page}.html"
    assert f"{page}.{page}." not in html, f"a doubled module name in {page}.html"


def test_cross_references_are_checked():
    """The build is nitpicky: an unresolved cross-reference to a handgrad name is a warning
    (``-W``: an error); only names from outside the project are let be."""
    conf = runpy.run_path(str(REPO / "docs" / "conf.py"))
    assert conf["nitpicky"] is True
    for kind, pattern in conf["nitpick_ignore_regex"]:
        for name in ["handgrad.models.ACTIVATIONS", "Column", "handgrad.check.verify.Column"]:
            assert not re.fullmatch(pattern, name), (kind, pattern, name)
        assert re.fullmatch(kind, "py:class")


def _public_names() -> set[str]:
    """Every public name, read from the packages (not from the linker): the top level's
    ``__all__`` and each subpackage's."""
    import importlib

    import handgrad

    subpackages = [importlib.import_module(f"handgrad.{s}") for s in handgrad.SUBPACKAGES]
    return {*handgrad.__all__, *(name for sub in subpackages for name in sub.__all__)}


def _config_keys() -> set[str]:
    """``optim.lr``, ``train.chunk``, …: config keys, whose sections share subpackages' names."""
    import dataclasses

    from handgrad.training.schema import Config

    sections = [
        f for f in dataclasses.fields(Config) if f.default_factory is not dataclasses.MISSING
    ]
    return {f"{s.name}.{f.name}" for s in sections for f in dataclasses.fields(s.default_factory)}


_SUBPACKAGE = r"(?:models|backprop|check|optim|exercises|data|training)"
# ``hg.``/``handgrad.``, then a subpackage's name, then the name: its group.
_HANDGRAD_NAME = re.compile(rf"(?:hg\.|handgrad\.)?(?:{_SUBPACKAGE}\.)?([A-Za-z_]\w*)")
# The package and its subpackages, by the names the pages write.
_PACKAGE = re.compile(rf"(?:hg|handgrad)(?:\.{_SUBPACKAGE})?")


def _code_spans(markdown: str) -> list[str]:
    """The texts of a Markdown page's inline code spans, fenced blocks left out."""
    prose, fenced = [], False
    for line in markdown.splitlines():
        if re.match(r"\s*(```|~~~)", line):
            fenced = not fenced
        prose.append("" if fenced or line.lstrip().startswith("```") else line)
    spans = []
    # a span may go on over a line end within a paragraph, not from one table row to the next
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*\|)", "\n".join(prose)):
        spans += re.findall(r"(?<!`)`([^`]+)`(?!`)", paragraph)
    return [" ".join(s.replace("\\|", "|").split()) for s in spans]


def _texts(codes: list[str]) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in codes]


@pytest.mark.parametrize("page", ["docs/formulas", "README"])
def test_handgrad_names_link_to_the_reference(page):
    """Each code span of a page that names a public handgrad object (by the packages'
    ``__all__``, not by the linker's rule) is a link on the site, and no other span is. The
    word ``train`` is also the command, and ``optim.lr`` a config key: they stay code."""
    public, config_keys = _public_names(), _config_keys()

    def named(text: str) -> bool:
        m = _HANDGRAD_NAME.match(text)
        if _PACKAGE.fullmatch(text):
            return True
        if text == "train" or ".".join(re.split(r"[.\s=(]", text)[:2]) in config_keys:
            return False
        return bool(m) and m.group(1) in public

    source = REPO / f"{page}.md"
    expected = Counter(s for s in _code_spans(source.read_text(encoding="utf-8")) if named(s))
    built = _built(f"{page}.html")
    start = built.index('<article role="main"')
    main = built[start : built.index("</article>", start)]
    linked = Counter(
        _texts(
            re.findall(
                r'<a class="reference internal"[^>]*>'
                r'<code class="xref py py-obj docutils literal notranslate">(.*?)</code></a>',
                main,
            )
        )
    )
    plain = _texts(re.findall(r'<code class="docutils literal notranslate">(.*?)</code>', main))
    assert sum(expected.values()) > 100, expected
    assert not expected - linked, f"handgrad names not linked: {sorted(expected - linked)}"
    assert [p for p in plain if named(p)] == [], "handgrad names left as plain code"
    assert all(named(text) for text in linked), f"linked, yet no handgrad name: {linked}"


PLANTED = """# A page with two misspelt names

`mlp1_hand_grads` and `hg.backprop.MLP1Backward` are right; `mlp1_hand_grad` and
`hg.bakprop.MLP1Backward` are not. Neither is code of another kind:
`handgrad train`, `make docs`, `configs/digits_mlp1.toml`, `docs/memory.md`, `jax.grad`,
`x @ W.T`, `--set`, `optim.lr`, `train.chunk`, `data.options`, `[train]`, `train`, `data`.

```python
hg.bakprop.MLP1Backward  # a fenced block is code, not a name
```
"""


def test_linker_reports_misspelt_names():
    """The linker's detection, without Sphinx: a near miss of a public name and a path under
    ``hg.`` that names nothing are reported, with their lines; other code is not."""
    sys.path.insert(0, str(REPO / "docs" / "_ext"))
    try:
        from handgrad_links import ambiguous_names, find_problems
    finally:
        sys.path.remove(str(REPO / "docs" / "_ext"))
    problems = find_problems(PLANTED)
    assert [(p.line, p.code) for p in problems] == [
        (3, "mlp1_hand_grad"),
        (4, "hg.bakprop.MLP1Backward"),
    ], problems
    assert "mlp1_hand_grads" in problems[0].message
    # names exported by two subpackages are left plain: a short list, or links go missing
    assert len(ambiguous_names()) <= 5, ambiguous_names()
