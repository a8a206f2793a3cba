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
``test_checker_catches_a_broken_page`` runs the same checks on a page broken on purpose.
"""

import contextlib
import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
SCREENSHOTS = Path(os.environ.get("HANDGRAD_SCREENSHOTS") or REPO / "site-screenshots")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_ANCHOR = "handgrad.mlp1_hand_grads"

# The kinds of problem a page can have, as the failure message names them.
EXTERNAL = "requests to a host other than the local server (the site must be self-contained)"
FAILED = "failed requests"
HTTP_ERROR = "responses with status >= 400"
CONSOLE = "console errors"
PAGE_ERROR = "uncaught page errors"
IMAGES = "images that did not load (naturalWidth/naturalHeight 0 or undecodable)"
MATH = "mathematics not typeset by MathJax"
RAW_TEX = "raw TeX in the visible text (outside <pre>/<code>)"
ANCHOR = "API anchor"

# MathJax 2 (CommonHTML, HTML-CSS, SVG, PreviewHTML, native MathML) and MathJax 3 output.
MATHJAX_OUTPUT = (
    ".MathJax_CHTML, .MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_SVG_Display, "
    ".MathJax_PHTML, .MathJax_MathML, mjx-container"
)
MATHJAX_ERRORS = ".MathJax_Error, .mjx-merror, mjx-merror, .noError, [data-mjx-error]"
# A $…$ or $$…$$ pair whose body looks like TeX, and TeX commands that MathJax consumes.
DOLLAR_MATH = re.compile(r"\$\$?([^$]{1,400}?)\$\$?")
TEX_COMMAND = re.compile(
    r"\\[()\[\]]|\\(?:[dt]?frac|sqrt|sum|prod|int|partial|nabla|mathbb|mathbf|mathrm|mathcal"
    r"|boldsymbol|operatorname|text|begin|end|left|right|cdot|odot|otimes|top|sigma|phi"
    r"|alpha|beta|eta|theta|lambda|mu|ell|in|le|ge|to)(?![A-Za-z])"
)


def _missing(reason: str) -> None:
    """Skip, saying what to do; under CI=true fail instead (CI must not skip silently)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a failure here, not a skip)", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    timeout = 5  # an idle keep-alive or preconnect socket ends instead of blocking shutdown

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` over http on a free port of 127.0.0.1 from a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, name="docs-site-http")
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join()


@dataclass
class PageReport:
    url: str
    screenshot: Path
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, detail: str) -> None:
        self.problems.setdefault(kind, []).append(detail)

    def message(self) -> str:
        lines = [f"{self.url} (screenshot: {self.screenshot})"]
        for kind, details in self.problems.items():
            lines.append(f"  {kind}:")
            lines += [f"    - {d}" for d in details[:12]]
            if len(details) > 12:
                lines.append(f"    … and {len(details) - 12} more")
        return "\n".join(lines)


# Sphinx and myst mark each formula with class "math"; MathJax 2's own output reuses the
# class for its inner spans, so those (inside an output element) are not sources.
_MATH_SOURCES_JS = """(output) => [...document.querySelectorAll('.math')]
    .filter(el => !el.parentElement || !el.parentElement.closest(output))"""

_MATH_STATE_JS = f"""(output) => ({{
    math: ({_MATH_SOURCES_JS})(output).length,
    loaders: [...document.scripts].map(s => s.src).filter(src => /mathjax/i.test(src)),
    defined: typeof window.MathJax,
}})"""

_MATHJAX_LOADED_JS = """() => !!(window.MathJax && (
    (window.MathJax.Hub && window.MathJax.Hub.Queue) ||
    (window.MathJax.startup && window.MathJax.startup.promise)))"""

# Resolves once MathJax has typeset the page: version 3's startup promise, or a callback
# that version 2 runs after everything already in its queue (startup and the first Typeset).
_MATHJAX_DONE_JS = """async (timeoutMs) => {
    const MJ = window.MathJax;
    const late = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
    const done = MJ.startup && MJ.startup.promise
        ? MJ.startup.promise.then(() => 'MathJax ' + MJ.version)
        : new Promise(r => MJ.Hub.Queue(() => r('MathJax ' + MJ.version)));
    return Promise.race([done, late]);
}"""

_MATH_RESULT_JS = f"""([output, errors]) => {{
    const text = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 80);
    const sources = ({_MATH_SOURCES_JS})(output);
    return {{
        outputs: document.querySelectorAll(output).length,
        sources: sources.length,
        untypeset: sources.filter(el => !el.querySelector(output)).map(text),
        errors: [...document.querySelectorAll(errors)].map(text),
    }};
}}"""

# Lazy images load when scrolled to: make them eager, scroll through the page, then wait
# (at most timeoutMs) for every image to finish, and report those without pixels.
_IMAGES_JS = """async (timeoutMs) => {
    for (const img of document.images) if (img.loading === 'lazy') img.loading = 'eager';
    const frame = () => new Promise(r => requestAnimationFrame(r));
    for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
        scrollTo(0, y);
        await frame();
    }
    scrollTo(0, 0);
    const settled = img => img.complete ? null : new Promise(r => {
        img.addEventListener('load', r, {once: true});
        img.addEventListener('error', r, {once: true});
    });
    await Promise.race([
        Promise.all([...document.images].map(settled)),
        new Promise(r => setTimeout(r, timeoutMs)),
    ]);
    const bad = [];
    for (const img of document.images) {
        const decoded = await img.decode().then(() => true, () => false);
        if (!img.complete || !decoded || !img.naturalWidth || !img.naturalHeight)
            bad.push(`${img.currentSrc || img.getAttribute('src') || img.outerHTML.slice(0, 120)}`
                + ` (${img.naturalWidth}x${img.naturalHeight}`
                + `${img.complete ? '' : ', incomplete'}${decoded ? '' : ', undecodable'})`);
    }
    return bad;
}"""

# The text a reader sees, without code: <pre>/<code> may hold a literal $.
_VISIBLE_PROSE_JS = """() => {
    const style = document.createElement('style');
    style.textContent = 'pre, code, kbd, samp, .highlight { display: none !important; }';
    document.head.appendChild(style);
    try { return document.body.innerText; } finally { style.remove(); }
}"""


def _context(text: str, match: re.Match) -> str:
    start, end = max(match.start() - 30, 0), min(match.end() + 30, len(text))
    return repr(text[start:end].replace("\n", " "))


def raw_tex(text: str) -> list[str]:
    """The places in ``text`` where TeX source shows instead of typeset mathematics."""
    dollars = [m for m in DOLLAR_MATH.finditer(text) if re.search(r"[\\^_]", m.group(1))]
    inside = lambda m: any(d.start() <= m.start() < d.end() for d in dollars)
    commands = [m for m in TEX_COMMAND.finditer(text) if not inside(m)]
    return [f"{m.group(0)!r} in {_context(text, m)}" for m in dollars + commands]


def _check_math(page, report: PageReport, failed: set[str], *, require_math: bool) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    state = page.evaluate(_MATH_STATE_JS, MATHJAX_OUTPUT)
    if require_math and not state["math"]:
        report.add(MATH, "no math elements (.math) on a page whose source has mathematics")
    if not (require_math or state["math"] or state["loaders"]):
        return  # no mathematics on this page; the raw TeX check still runs
    if not state["loaders"] and state["defined"] == "undefined":
        report.add(MATH, "the page has mathematics but loads no MathJax")
        return
    if state["loaders"] and all(src in failed for src in state["loaders"]):
        report.add(MATH, f"MathJax did not load: {', '.join(state['loaders'])}")
        return
    try:
        page.wait_for_function(_MATHJAX_LOADED_JS, timeout=15_000)
    except PlaywrightTimeout:
        report.add(MATH, f"MathJax never started ({', '.join(state['loaders']) or 'no script'})")
        return
    version = page.evaluate(_MATHJAX_DONE_JS, 20_000)
    if version == "timeout":
        report.add(MATH, "MathJax did not finish typesetting within 20 s")
    result = page.evaluate(_MATH_RESULT_JS, [MATHJAX_OUTPUT, MATHJAX_ERRORS])
    if not result["outputs"]:
        report.add(MATH, f"no MathJax output elements ({MATHJAX_OUTPUT}) after {version}")
    n = f"{len(result['untypeset'])} of {result['sources']}"
    for formula in result["untypeset"]:
        report.add(MATH, f"untypeset ({n}): {formula!r}")
    for error in result["errors"]:
        report.add(MATH, f"MathJax error: {error!r}")


def check_page(
    browser,
    base_url: str,
    path: str,
    screenshot: Path,
    *,
    anchor: str | None = None,
    require_math: bool = False,
) -> PageReport:
    """Open ``base_url/path`` in a fresh browser context, check it, screenshot it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url = f"{base_url}/{path}" + (f"#{anchor}" if anchor else "")
    local = urlsplit(base_url).netloc
    report = PageReport(url, screenshot)
    external: set[str] = set()
    failed: set[str] = set()

    def route(r) -> None:
        parts = urlsplit(r.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != local:
            external.add(r.request.url)
            report.add(EXTERNAL, r.request.url)
            r.abort("blockedbyclient")  # at once, instead of waiting on DNS with no network
        else:
            r.continue_()

    def on_console(msg) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "")
            report.add(CONSOLE, f"{msg.text} ({where}:{msg.location.get('lineNumber')})")

    def on_request_failed(request) -> None:
        failed.add(request.url)
        if request.url not in external:
            report.add(FAILED, f"{request.url}: {request.failure}")

    def on_response(response) -> None:
        if response.status >= 400:
            failed.add(response.url)
            report.add(HTTP_ERROR, f"{response.status} {response.url}")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(20_000)
        context.route("**/*", route)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: report.add(PAGE_ERROR, str(error)))
        page.on("requestfailed", on_request_failed)
        page.on("response", on_response)
        page.goto(url, wait_until="load")
        _check_math(page, report, failed, require_math=require_math)
        for image in page.evaluate(_IMAGES_JS, 10_000):
            report.add(IMAGES, image)
        with contextlib.suppress(PlaywrightTimeout):  # late requests (fonts) get reported
            page.wait_for_load_state("networkidle", timeout=5_000)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot, full_page=True)
        if anchor:
            target = page.locator(f"[id='{anchor}']")
            if target.count() != 1:
                report.add(ANCHOR, f"{target.count()} elements with id={anchor!r}, not 1")
            elif not target.is_visible():
                report.add(ANCHOR, f"the element with id={anchor!r} is not visible")
            else:  # the entry itself (<dt> and its <dd>), close up, beside the full page
                entry = target.locator("xpath=..")
                entry.screenshot(path=screenshot.with_name(f"{screenshot.stem}-entry.png"))
        for hit in raw_tex(page.evaluate(_VISIBLE_PROSE_JS)):
            report.add(RAW_TEX, hit)
    finally:
        context.close()
    return report


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


BROKEN_PAGE = r"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>broken on purpose</title>
<script src="https://cdn.jsdelivr.net/npm/mathjax@2/MathJax.js?config=TeX-AMS_CHTML"></script>
</head><body>
<p>Dollar maths no extension converted: $\frac{a}{b}$ and $x_1^2$; prices $3 and $4 are fine.</p>
<p>Sphinx's math with MathJax missing: <span class="math notranslate">\(W^{(2)}\)</span></p>
<img src="missing.png" alt="a figure that was never copied">
<pre>$ echo "$HOME_DIR" $\frac{in}{code}$</pre>
<p>Inline code: <code>\frac{p}{q}</code></p>
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
    assert flagged == [r"'$\\frac{a}{b}$'", "'$x_1^2$'", r"'\\('", r"'\\)'"], message
    assert report.screenshot.stat().st_size > 0
