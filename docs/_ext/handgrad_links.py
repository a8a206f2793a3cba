"""Backticked names of handgrad objects in plain Markdown pages become links on the site.

``docs/formulas.md`` and the other pages read well on GitHub and PyPI, where a MyST role would
show literally: they name functions as code, `` `mlp1_backward` `` or
`` `models.get_cost(name).C` ``. At build time each such code span whose leading dotted name
is a public handgrad object (reached from ``handgrad`` through ``__all__``, then attributes)
becomes ``{py:obj}`` with the same text, leading to the object's API entry; anything else
(`` `jax.vmap` ``, `` `"b1"` ``, a shell command) stays code. With ``nitpicky`` on, a name
that resolves by import but has no entry in the reference fails the build.
"""

from __future__ import annotations

import importlib
import inspect
import re

# Plain-Markdown pages whose names are linked (docnames: paths without the suffix).
LINKED_PAGES = ("README", "docs/formulas", "docs/memory", "docs/parallel", "benchmarks/README")

# A code span not already the body of a role (``{py:func}`…` ``) nor a link's text.
_CODE = re.compile(r"(?<![`}\[])`([^`\n]+)`(?![`\]])")
# Its leading dotted name, then nothing, a call's arguments, or a call then attributes.
_NAME = re.compile(r"(?:hg\.)?(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<rest>\(.*)?")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Single words the pages also use for something else: ``train`` is the ``handgrad train``
# command as often as ``handgrad.train``. (Subpackage names are treated the same way.)
AMBIGUOUS = frozenset({"train"})


def _public(parent, part: str) -> bool:
    """Whether ``part`` is a public name of ``parent``: a module's ``__all__``, else any
    attribute without a leading underscore."""
    if part.startswith("_"):
        return False
    if inspect.ismodule(parent):
        return part in getattr(parent, "__all__", ()) or part in getattr(parent, "SUBPACKAGES", ())
    return hasattr(parent, part)


def reference_target(name: str) -> str | None:
    """The documented name of the handgrad object ``name`` reaches, or None.

    ``mlp1_backward`` → ``handgrad.mlp1_backward``; ``models.get_cost`` →
    ``handgrad.models.get_cost``; a class of the top level (documented there without an index
    entry) → its subpackage's name. A single word that names a subpackage (``data``,
    ``training``) or is in ``AMBIGUOUS`` is too common a word to link.
    """
    handgrad = importlib.import_module("handgrad")
    parts = name.removeprefix("handgrad.").split(".")
    if name == "handgrad":
        return "handgrad"
    if len(parts) == 1 and (parts[0] in AMBIGUOUS or parts[0] in handgrad.SUBPACKAGES):
        return None
    obj = handgrad
    for part in parts:
        if not _public(obj, part):
            return None
        obj = getattr(obj, part)
    if len(parts) == 1 and inspect.isclass(obj):
        sub = next((s for s, names in handgrad._API.items() if parts[0] in names), None)
        return f"handgrad.{sub}.{parts[0]}" if sub else None
    return "handgrad." + ".".join(parts)


def _link(match: re.Match) -> str:
    """A code span as a ``{py:obj}`` role when it names a handgrad object, else unchanged."""
    code = match.group(1)
    named = _NAME.fullmatch(code)
    target = named and reference_target(named.group("name"))
    if not target:
        return match.group(0)
    if code == target:
        return f"{{py:obj}}`{code}`"
    return f"{{py:obj}}`{code} <{target}>`"


def link_names(text: str) -> str:
    """``text`` with each code span that names a handgrad object made a cross-reference;
    fenced code blocks are left as they are."""
    lines, fenced = [], False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        lines.append(line if fenced or _FENCE.match(line) else _CODE.sub(_link, line))
    return "".join(lines)


def link_handgrad_names(app, docname: str, source: list[str]) -> None:
    """Source-read hook: link the handgrad names of the plain-Markdown pages."""
    if docname in LINKED_PAGES:
        source[0] = link_names(source[0])


def setup(app):
    """Register the hook (after the site's own source-read hooks)."""
    app.connect("source-read", link_handgrad_names, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
