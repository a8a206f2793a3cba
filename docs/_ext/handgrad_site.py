"""The Sphinx hooks that make the repository a site: navigation, API pages, offline MathJax.

- the README is the root document: a hidden toctree gives the site its navigation, and its page
  is copied to ``index.html`` so that the site opens on it;
- links written for PyPI as absolute GitHub URLs lead to the site's own pages and images;
- the API pages: the top level grouped as ``handgrad._API`` groups it, each subpackage's
  constants (autodoc skips them for want of a docstring), NamedTuple fields without the
  generated "Alias for field number N";
- MathJax 2.7 copied from ``jupyter-server-mathjax`` into ``_static/mathjax``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
from pathlib import Path

import jupyter_server_mathjax

from handgrad._project import FILE_PREFIXES

MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"

# Links for PyPI are absolute; on the site they lead to the site's own pages and images.
_GITHUB = re.compile("|".join(re.escape(p) for p in FILE_PREFIXES))

SITE_TOCTREE = """

```{toctree}
:hidden:
:caption: Notebooks
:glob:

notebooks/*
```

```{toctree}
:hidden:
:caption: Reference

docs/formulas
docs/api/handgrad
```

```{toctree}
:hidden:
:caption: Exercises and measurements

docs/memory
docs/carried
docs/parallel
benchmarks/README
```
"""
API = "docs/api/"  # docs/api/handgrad.md, docs/api/handgrad.models.md, …


def relative_links(app, docname: str, source: list[str]) -> None:
    """Rewrite the repository's absolute GitHub URLs as paths relative to ``docname``."""
    source[0] = _GITHUB.sub("../" * docname.count("/"), source[0])


def include_relative_links(app, relative_path, parent_docname: str, content: list[str]) -> None:
    """The same for a file brought in by ``{include}``."""
    relative_links(app, parent_docname, content)


def landing_page_toctree(app, docname: str, source: list[str]) -> None:
    """Append the site's (hidden) navigation to the landing page."""
    if docname == app.config.root_doc:
        source[0] += SITE_TOCTREE


def _constant_comment(package, name: str) -> str:
    """The comment on, or just above, the line of a package's module that defines ``name``."""
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.match(rf"{name}\s*(:[^=]*)?=", line):
                if "  # " in line:
                    return line.split("  # ", 1)[1]
                above = []
                while i > 0 and lines[i - 1].startswith("# "):
                    i -= 1
                    above.insert(0, lines[i][2:])
                return " ".join(above)
    return ""


def _constant_summary(value) -> str:
    """A dict by its keys (its values may be functions, printed with addresses); else the repr."""
    if isinstance(value, dict):
        return "A dict; keys: " + ", ".join(f"``{key!r}``" for key in value) + "."
    return f"``{value!r}``"


def constants_section(package) -> list[str]:
    """A ``py:data`` entry, with its comment and its value, per constant of ``package``."""
    names = [n for n in package.__all__ if not callable(getattr(package, n))]
    if not names:
        return []
    lines = ["", "## Constants", "", "```{eval-rst}"]
    for name in names:
        value = getattr(package, name)
        lines += [f".. py:data:: {name}", f"   :module: {package.__name__}"]
        lines += [f"   :type: {type(value).__name__}"]
        comment = _constant_comment(package, name)
        lines += ["", f"   {comment}"] if comment else []
        lines += ["", f"   {_constant_summary(value)}", ""]
    return lines + ["```", ""]


def top_level_section(handgrad) -> list[str]:
    """Every name of ``handgrad._API`` under the subpackage it lives in."""
    lines = ["", "```{eval-rst}", ".. automodule:: handgrad", "```", ""]
    for sub, names in handgrad._API.items():
        lines += [f"## From {{py:mod}}`handgrad.{sub}`", "", "```{eval-rst}"]
        for name in names:
            if inspect.isclass(getattr(handgrad, name)):
                # a class's canonical name (handgrad.check.gradcheck.…) may be indexed once only
                lines += [f".. autoclass:: handgrad.{name}", "   :no-index:", ""]
                lines += [f"   See :py:class:`handgrad.{sub}.{name}`.", ""]
            else:
                lines += [f".. autofunction:: handgrad.{name}", ""]
        lines += ["```", ""]
    return lines


def api_pages(app, docname: str, source: list[str]) -> None:
    """Complete an API page: the top level's groups, or a subpackage's constants."""
    if not docname.startswith(API):
        return
    module = importlib.import_module(docname.removeprefix(API))
    if module.__name__ == "handgrad":
        source[0] += "\n".join(top_level_section(module))
    else:
        source[0] += "\n".join(constants_section(module))


def drop_namedtuple_field_docs(app, what, name, obj, options, lines: list[str]) -> None:
    """Drop the docstring ``NamedTuple`` gives each field ("Alias for field number N")."""
    if len(lines) == 1 and re.fullmatch(r"Alias for field number \d+", lines[0]):
        lines.clear()


def tidy_signature(app, what, name, obj, options, signature, return_annotation):
    """``ArrayLike`` inside a generic prints as ``TypeAliasForwardRef('ArrayLike')``: its name."""
    tidy = lambda text: text and re.sub(r"TypeAliasForwardRef\('(\w+)'\)", r"\1", text)
    return tidy(signature), tidy(return_annotation)


def outputs_out_of_the_tree(app) -> None:
    """myst-nb writes notebook outputs beside the output folder (the repository root for
    ``site/``); keep them in the doctree folder's parent, docs/_build."""
    folder = Path(app.doctreedir).parent / "jupyter_execute"
    app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=str(folder))


def drop_mathjax4_config(app) -> None:
    """myst-parser fills ``mathjax4_config``; MathJax 2 reads ``mathjax2_config`` only."""
    app.config.mathjax4_config = None


def copy_mathjax(app, exception) -> None:
    """MathJax into ``_static/mathjax``: all but the SVG output and the other languages."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.rmtree(target, ignore_errors=True)

    def skip(folder: str, names: list[str]) -> list[str]:
        rel = Path(folder).relative_to(MATHJAX).as_posix()
        if rel == "jax/output":
            return ["SVG"]
        return [n for n in names if n != "en"] if rel == "localization" else []

    shutil.copytree(MATHJAX, target, ignore=skip)


def copy_landing_page(app, exception) -> None:
    """Copy the landing page to ``index.html``, where the site opens."""
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir)
        shutil.copyfile(out / f"{app.config.root_doc}.html", out / "index.html")


def setup(app):
    app.connect("source-read", relative_links)
    app.connect("include-read", include_relative_links)
    app.connect("source-read", landing_page_toctree)
    app.connect("source-read", api_pages)
    app.connect("autodoc-process-docstring", drop_namedtuple_field_docs)
    app.connect("autodoc-process-signature", tidy_signature)
    app.connect("builder-inited", outputs_out_of_the_tree, priority=900)  # after myst-nb's
    app.connect("builder-inited", drop_mathjax4_config, priority=900)  # after myst-parser's
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", copy_landing_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
