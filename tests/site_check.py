"""The page checker of the documentation site's browser test (``tests/test_docs_site.py``).

``check_page`` opens one page of the built site in headless Chromium (driven by Playwright)
from ``serve``'s local http server, and reports in a ``PageReport`` what a reader would see
wrong: console errors and uncaught page errors, failed requests and HTTP statuses of 400 or
more, requests to any host but the local server (the site must work offline), images without
pixels, mathematics MathJax did not typeset, and raw TeX in the visible text outside
``<pre>``/``<code>`` (``raw_tex``: ``$…$`` pairs, TeX commands, braced ``^{…}``/``_{…}``).
It writes a full-page screenshot of the page. ``site_pages`` lists every page of a built
site, for a check of all of them. The JavaScript it runs in a page is ``site_check_js.py``.
"""

import contextlib
import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import site_check_js as js

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
# TeX's braced sub- and superscripts (z_{k+1}, ℝ^{P×d}) in prose: typeset, they show no braces.
BRACED_TEX = re.compile(r"[\^_]\{[^{}\n]{0,40}\}?")
TEX_COMMAND = re.compile(
    r"\\[()\[\]]|\\(?:[dt]?frac|sqrt|sum|prod|int|partial|nabla|mathbb|mathbf|mathrm|mathcal"
    r"|boldsymbol|operatorname|text|begin|end|left|right|cdot|odot|otimes|top|sigma|phi"
    r"|alpha|beta|eta|theta|lambda|mu|ell|in|le|ge|to)(?![A-Za-z])"
)


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


def _context(text: str, match: re.Match) -> str:
    start, end = max(match.start() - 30, 0), min(match.end() + 30, len(text))
    return repr(text[start:end].replace("\n", " "))


def raw_tex(text: str) -> list[str]:
    """The places in ``text`` where TeX source shows instead of typeset mathematics."""
    dollars = [m for m in DOLLAR_MATH.finditer(text) if re.search(r"[\\^_]", m.group(1))]
    inside = lambda m: any(d.start() <= m.start() < d.end() for d in dollars)
    commands = [m for m in TEX_COMMAND.finditer(text) if not inside(m)]
    braced = [m for m in BRACED_TEX.finditer(text) if not inside(m)]
    return [f"{m.group(0)!r} in {_context(text, m)}" for m in dollars + commands + braced]


def _check_math(page, report: PageReport, failed: set[str], *, require_math: bool) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    state = page.evaluate(js.MATH_STATE_JS, MATHJAX_OUTPUT)
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
        page.wait_for_function(js.MATHJAX_LOADED_JS, timeout=15_000)
    except PlaywrightTimeout:
        report.add(MATH, f"MathJax never started ({', '.join(state['loaders']) or 'no script'})")
        return
    version = page.evaluate(js.MATHJAX_DONE_JS, 20_000)
    if version == "timeout":
        report.add(MATH, "MathJax did not finish typesetting within 20 s")
    result = page.evaluate(js.MATH_RESULT_JS, [MATHJAX_OUTPUT, MATHJAX_ERRORS])
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
        for image in page.evaluate(js.IMAGES_JS, 10_000):
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
        for hit in raw_tex(page.evaluate(js.VISIBLE_PROSE_JS)):
            report.add(RAW_TEX, hit)
    finally:
        context.close()
    return report


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the built ``site``, as paths relative to it (search and index aside)."""
    skip = {"search.html", "genindex.html", "py-modindex.html"}
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts and p.name not in skip
    )
