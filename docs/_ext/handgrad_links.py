"""Backticked names of handgrad objects in plain Markdown pages become links on the site.

``docs/formulas.md`` and the other pages read well on GitHub and PyPI, where a MyST role would
show literally: they name functions as code, `` `mlp1_backward` `` or
`` `models.get_cost(name).C` ``. At build time each such code span whose leading dotted name
is a public handgrad object becomes ``{py:obj}`` with the same text, leading to the object's
API entry. A span that looks like a handgrad name but names nothing is a build warning (an
error under ``-W``): one that starts with ``hg.``, ``handgrad.`` or a subpackage
(`` `hg.bakprop.MLP1Backward` ``), or a word a letter or two from a public name
(`` `mlp1_hand_grad` ``). Anything else (`` `jax.vmap` ``, `` `"b1"` ``, a shell command, a
config key such as `` `optim.lr` ``) stays code.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import re
from functools import cache, partial
from typing import NamedTuple

# Plain-Markdown pages whose names are linked (docnames: paths without the suffix).
LINKED_PAGES = (
    "README",
    "docs/formulas",
    "docs/memory",
    "docs/carried",
    "docs/parallel",
    "benchmarks/README",
)

# A code span, matched left to right so that each backtick pairs with the next; one that is
# the body of a role (``{py:func}`…` ``) or a link's text is left as it is (``pre``/``post``).
# A span may go on over a line end, not past a paragraph's or a table row's.
_CODE = re.compile(r"``.+?``|(?P<pre>[\[}]?)`(?P<code>(?:[^`\n]|\n(?![ \t]*[\n|]))+)`(?P<post>\]?)")
# Its leading dotted name, then nothing, a call's arguments, or a call then attributes.
_NAME = re.compile(r"(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<rest>\(.*)?")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Single words the pages also use for something else: ``train`` is the ``handgrad train``
# command as often as ``handgrad.train``; a subpackage's name alone (``data``) is a plain word.
AMBIGUOUS = frozenset({"train"})
# How close a word must be to a public name to be taken for a misspelling of it.
NEAR_MISS = 0.85


class Problem(NamedTuple):
    """A code span that looks like a handgrad name but names nothing."""

    line: int  # 1-based, in the page's source
    code: str
    message: str


@cache
def _names() -> tuple[dict[str, list[str]], frozenset[str]]:
    """Each public name of a subpackage with the subpackages that export it, and every
    public name (the top level's, the subpackages' and the subpackages themselves)."""
    handgrad = importlib.import_module("handgrad")
    homes: dict[str, list[str]] = {}
    for sub in handgrad.SUBPACKAGES:
        for name in importlib.import_module(f"handgrad.{sub}").__all__:
            homes.setdefault(name, []).append(sub)
    return homes, frozenset({*handgrad.__all__, *handgrad.SUBPACKAGES, *homes})


@cache
def config_keys() -> frozenset[str]:
    """``section.field`` for each field of the training config (``optim.lr``,
    ``data.options``): the pages name them as code, and ``data``/``optim`` are subpackages."""
    from handgrad.training.schema import Config

    return frozenset(
        f"{section.name}.{f.name}"
        for section in dataclasses.fields(Config)
        if dataclasses.is_dataclass(section.default_factory)
        for f in dataclasses.fields(section.default_factory)
    )


def ambiguous_names() -> list[str]:
    """Names exported by two subpackages and not by the top level: left unlinked."""
    handgrad = importlib.import_module("handgrad")
    homes, _ = _names()
    return sorted(n for n, subs in homes.items() if len(subs) > 1 and n not in handgrad.__all__)


def _public(parent, part: str) -> bool:
    """Whether ``part`` is a public name of ``parent``: a module's ``__all__``, else any
    attribute without a leading underscore."""
    if part.startswith("_"):
        return False
    if inspect.ismodule(parent):
        return part in getattr(parent, "__all__", ()) or part in getattr(parent, "SUBPACKAGES", ())
    return hasattr(parent, part)


def _walk(parts: list[str]) -> str | None:
    """The documented name of ``handgrad.<parts>``, or None when it names nothing public.

    A class of the top level is documented there without an index entry: its target is its
    subpackage's name.
    """
    handgrad = importlib.import_module("handgrad")
    obj = handgrad
    for part in parts:
        if not _public(obj, part):
            return None
        obj = getattr(obj, part)
    head = parts[0]
    if head in handgrad.__all__ and inspect.isclass(getattr(handgrad, head)):
        sub = next(s for s, names in handgrad._API.items() if head in names)
        parts = [sub, *parts]
    return ".".join(["handgrad", *parts])


def _exists(parts: list[str]) -> bool:
    """Whether ``handgrad.<parts>`` is a real object reached through a module that is not
    public (``backprop.d2l``, ``exercises.distributed.initialize``): real, but with no entry
    in the reference to link to."""
    if any(part.startswith("_") for part in parts):
        return False
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(["handgrad", *parts[:k]]))
        except ImportError:
            continue
        for part in parts[k:]:
            if not hasattr(obj, part):
                return False
            obj = getattr(obj, part)
        return True
    return False


def _unresolved(name: str, parts: list[str]) -> str | None:
    """What is wrong with a prefixed span ``name`` (``handgrad.<parts>``) that has no link
    target: nothing when it is a real object of a module left out of the reference."""
    return None if _exists(parts) else f"{name!r} is not a handgrad name"


def _close(word: str) -> str | None:
    """The public name ``word`` is a near miss of, if any. A subpackage's name is no
    candidate: ``model`` is a config section, and the word ``models`` is not linked anyway."""
    _, public = _names()
    subpackages = importlib.import_module("handgrad").SUBPACKAGES
    candidates = [name for name in public if name not in subpackages]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=NEAR_MISS)
    return close[0] if close else None


def classify(code: str) -> tuple[str | None, str | None]:
    """(the link target of a code span, or None; what is wrong with it, or None).

    A prefixed span (``hg.X``, ``handgrad.X``, ``models.X``) resolves or is a problem; a bare
    word resolves against the top level, then against the one subpackage that exports it.
    """
    named = _NAME.fullmatch(code)
    if not named:
        return None, None
    name = named.group("name")
    if name in ("hg", "handgrad"):
        return "handgrad", None
    homes, _ = _names()
    handgrad = importlib.import_module("handgrad")
    parts = name.split(".")
    if parts[0] in ("hg", "handgrad"):
        target = _walk(parts[1:])
        return target, None if target else _unresolved(name, parts[1:])
    if ".".join(parts[:2]) in config_keys():
        return None, None
    head = parts[0]
    if head in handgrad.SUBPACKAGES:
        if len(parts) == 1:
            return None, None  # the word: ``data``, ``training``
        target = _walk(parts)
        return target, None if target else _unresolved(name, parts)
    if len(parts) == 1 and head in AMBIGUOUS:
        return None, None
    if head in handgrad.__all__:
        target = _walk(parts)
    elif len(homes.get(head, ())) == 1:
        target = _walk([homes[head][0], *parts])
    else:
        target = None
    if target or head in homes:  # found, or a name of several subpackages (left plain)
        return target, None if target or len(parts) == 1 else f"{name!r} names nothing"
    near = _close(head)
    return None, near and f"{head!r} is not a handgrad name: {near!r}?"


def _link(match: re.Match, first: int, block: str, problems: list[Problem]) -> str:
    """A code span as a ``{py:obj}`` role when it names a handgrad object, else unchanged;
    a span that looks like a handgrad name but is not is added to ``problems``. ``block``
    starts at line ``first`` of the page."""
    code = match.group("code")
    if code is None or match.group("pre") or match.group("post"):
        return match.group(0)
    code = " ".join(code.split("\n"))  # a line end in a code span reads as a space
    target, problem = classify(code)
    if problem:
        problems.append(Problem(first + block.count("\n", 0, match.start()), code, problem))
    if not target:
        return match.group(0)
    if code == target:
        return f"{{py:obj}}`{code}`"
    return f"{{py:obj}}`{code} <{target}>`"


def link_names(text: str) -> tuple[str, list[Problem]]:
    """``text`` with each code span that names a handgrad object made a cross-reference, and
    the spans that look like handgrad names but are not; fenced code blocks are left alone."""
    out, problems, fenced, block, first = [], [], False, [], 1

    def flush() -> None:
        prose = "".join(block)
        link = partial(_link, first=first, block=prose, problems=problems)
        out.append(_CODE.sub(link, prose))
        block.clear()

    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if fenced or _FENCE.match(line):
            flush()
            out.append(line)
            fenced = fenced != bool(_FENCE.match(line))
            first = number + 1
        else:
            block.append(line)
    flush()
    return "".join(out), problems


def find_problems(text: str) -> list[Problem]:
    """The code spans of ``text`` that look like handgrad names but name nothing."""
    return link_names(text)[1]


def link_handgrad_names(app, docname: str, source: list[str]) -> None:
    """Source-read hook: link the handgrad names of the plain-Markdown pages, and warn of a
    span that looks like one but names nothing (``-W``: the build fails)."""
    if docname not in LINKED_PAGES:
        return
    from sphinx.util import logging

    source[0], problems = link_names(source[0])
    logger = logging.getLogger(__name__)
    for problem in problems:
        logger.warning("`%s`: %s", problem.code, problem.message, location=(docname, problem.line))


def setup(app):
    """Register the hook (after the site's own source-read hooks)."""
    app.connect("source-read", link_handgrad_names, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
