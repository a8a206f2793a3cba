"""The built documentation site (``make docs`` → ``site/``) as a reader's browser shows it.

Headless Chromium (Debian's ``chromium``, driven by Playwright) opens three pages from a
local http server: the landing page, a notebook page (01 or 03) and the API entry of
``mlp1_hand_grads``. Each must be whole: no console error and no uncaught page error, no
failed request and no HTTP status of 400 or more, no request to any host but the local
server (the site has to work offline), every image decoded, and the mathematics typeset by
MathJax with no raw TeX left in the visible text (code blocks aside). A full-page screenshot
of each page is written to ``site-screenshots/`` at the repository root (or to
``$HANDGRAD_SCREENSHOTS``) for a person to look at; the paths are printed.

Without Chromium, Playwright or a built site these tests skip and say what to do; with
``CI=true`` each of those is a failure instead. One browser serves the whole module.
``test_checker_catches_a_broken_page`` runs the same checks on a page broken on purpose. The
checker itself is ``site_check.py``; ``HANDGRAD_ALL_PAGES=1`` runs it over every page of the
site. The tests that read the built HTML without a browser (anchors, the links of names)
are in ``test_docs_links.py``.
"""

import os
from pathlib import Path

import pytest

from site_check import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONSOLE,
    EXTERNAL,
    HTTP_ERROR,
    IMAGES,
    MATH,
    PAGE_ERROR,
    RAW_TEX,
    check_page,
    serve,
    site_pages,
)

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
SCREENSHOTS = Path(os.environ.get("HANDGRAD_SCREENSHOTS") or REPO / "site-screenshots")
API_ANCHOR = "handgrad.mlp1_hand_grads"
ALL_PAGES = os.environ.get("HANDGRAD_ALL_PAGES") == "1"


def _missing(reason: str) -> None:
    """Skip, saying what to do; under CI=true fail instead (CI must not skip silently)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a failure here, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed: pip install -e '.[docs]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site_url():
    if not any((SITE / name).is_file() for name in ("index.html", "README.html")):
        _missing(f"the documentation site is not built ({SITE} has no index.html): make docs")
    with serve(SITE) as url:
        yield url


def _page_to_check(name: str) -> tuple[str, str | None, bool]:
    """(path in site/, anchor, whether the page must have mathematics) for a page's name."""
    if name == "landing":
        landing = SITE / "index.html"
        return ("index.html" if landing.is_file() else "README.html"), None, False
    if name == "notebook":
        pages = sorted((SITE / "notebooks").glob("0[13]_*.html"))
        assert pages, f"no page for notebook 01 or 03 in {SITE / 'notebooks'}"
        return pages[0].relative_to(SITE).as_posix(), None, True
    marker = f'id="{API_ANCHOR}"'
    pages = [
        p
        for p in SITE.rglob("*.html")
        if "_sources" not in p.parts and marker in p.read_text(errors="replace")
    ]
    assert pages, f"no page in {SITE} has the element {marker}"
    pages.sort(key=lambda p: ("api" not in p.relative_to(SITE).parts, len(p.parts), p))
    return pages[0].relative_to(SITE).as_posix(), API_ANCHOR, True


@pytest.mark.parametrize("name", ["landing", "notebook", "api"])
def test_site_page(site_url, browser, name, capsys):
    path, anchor, require_math = _page_to_check(name)
    shot = SCREENSHOTS / f"{name}.png"
    report = check_page(browser, site_url, path, shot, anchor=anchor, require_math=require_math)
    with capsys.disabled():
        print(f"\n{name}: {path} → screenshot {shot}")
    assert not report.problems, report.message()


@pytest.mark.skipif(not ALL_PAGES, reason="every page of the site: HANDGRAD_ALL_PAGES=1")
@pytest.mark.parametrize("path", site_pages(SITE) if ALL_PAGES else [])
def test_every_site_page(site_url, browser, path):
    shot = SCREENSHOTS / "all" / (path.replace("/", "__").removesuffix(".html") + ".png")
    report = check_page(browser, site_url, path, shot)
    assert not report.problems, report.message()


BROKEN_PAGE = r"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>broken on purpose</title>
<script src="https://cdn.jsdelivr.net/npm/mathjax@2/MathJax.js?config=TeX-AMS_CHTML"></script>
</head><body>
<p>Dollar maths no extension converted: $\frac{a}{b}$ and $x_1^2$; prices $3 and $4 are fine.</p>
<p>Sphinx's math with MathJax missing: <span class="math notranslate">\(W^{(2)}\)</span></p>
<img src="missing.png" alt="a figure that was never copied">
<pre>$ echo "$HOME_DIR" $\frac{in}{code}$</pre>
<p>Inline code: <code>\frac{p}{q}</code>, <code>z_{k+1}</code></p>
<p>Prose with braces TeX would have typeset: X ∈ ℝ^{P×d} and ∂z_{k+1}/∂z_k.</p>
<script>console.error("an error logged on purpose"); notDefinedAnywhere();</script>
</body></html>
"""


def test_checker_catches_a_broken_page(browser, tmp_path):
    """Each check fails, and names the culprit, on a page broken in each way."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(BROKEN_PAGE)
    with serve(tmp_path / "site") as url:
        report = check_page(browser, url, "index.html", tmp_path / "broken.png", require_math=True)
    problems = report.problems
    message = report.message()
    assert set(problems) == {EXTERNAL, HTTP_ERROR, CONSOLE, PAGE_ERROR, IMAGES, MATH, RAW_TEX}, (
        message
    )
    assert problems[EXTERNAL] == [
        "https://cdn.jsdelivr.net/npm/mathjax@2/MathJax.js?config=TeX-AMS_CHTML"
    ]
    assert problems[HTTP_ERROR] == [f"404 {url}/missing.png"]
    assert any("an error logged on purpose" in e for e in problems[CONSOLE]), message
    assert any("notDefinedAnywhere" in e for e in problems[PAGE_ERROR]), message
    assert [i.split(" ")[0] for i in problems[IMAGES]] == [f"{url}/missing.png"], message
    assert problems[MATH] == ["MathJax did not load: " + problems[EXTERNAL][0]], message
    flagged = [hit.split(" in ")[0] for hit in problems[RAW_TEX]]  # not $3, nor code's TeX
    assert flagged == [
        r"'$\\frac{a}{b}$'",
        "'$x_1^2$'",
        r"'\\('",
        r"'\\)'",
        "'^{(2)}'",
        "'^{P×d}'",
        "'_{k+1}'",
    ], message
    assert report.screenshot.stat().st_size > 0
