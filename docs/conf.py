"""Sphinx configuration of the documentation site: ``make docs`` builds it into ``site/``.

The sources are the repository itself, so the README's links (``notebooks/…``, ``docs/…``,
``benchmarks/README.md``) resolve to the rendered pages: the build runs as
``sphinx-build -c docs . site``. Nothing is fetched, at build time or when a page is read: the
theme is furo (fully local) and MathJax 2.7 is served from ``_static/mathjax``. The hooks
(navigation, API pages, the MathJax copy) are in ``_ext/handgrad_site.py``; the links from
the plain-Markdown pages' backticked names to the API reference in ``_ext/handgrad_links.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "handgrad"
author = "the handgrad contributors"
copyright = "the handgrad contributors, MIT License"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
    "handgrad_site",
    "handgrad_links",
]

# The landing page is the README (its page is copied to index.html).
root_doc = "README"
include_patterns = ["README.md", "notebooks/*.ipynb", "docs/**", "benchmarks/README.md"]
# Folders pruned before Sphinx walks them (include_patterns filters files, not folders);
# ``configs`` is a symlink into src/.
exclude_patterns = [
    ".*",
    "site",
    "site-screenshots",
    "src",
    "tests",
    "configs",
    "build",
    "dist",
    "runs",
    "jupyter_execute",
    "docs/_build",
    "docs/_ext",
    "**/.ipynb_checkpoints",
]

# A fence without a language is shown as plain text (tables, outputs), not as Python.
highlight_language = "none"

# Notebooks are shown with their committed outputs, never re-executed.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The API reference: docstrings are Google style and carry the formulas.
autodoc_member_order = "bysource"  # a package's __all__ order: grouped by topic
autodoc_typehints = "signature"
autodoc_type_aliases = {
    "ArrayLike": "ArrayLike",  # its name, not its 10-member union
    # a NamedTuple field's annotation is read as written; these lead to the documented class
    "Column": "handgrad.check.verify.Column",
    "Variable": "handgrad.exercises.computational_graph.Variable",
    "Operator": "handgrad.exercises.computational_graph.Operator",
}
autodoc_preserve_defaults = True
add_module_names = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes:" as a field list: autodoc documents the fields themselves
# Every cross-reference must resolve: a wrong handgrad name fails the build. Names from outside
# the project have no target without intersphinx (which needs the network): only they are let be.
nitpicky = True
_OUTSIDE = (
    r"jax(lib)?(\..+)?",
    r"(numpy|np)\..+",
    r"(collections\.abc|typing|os|pathlib|optax|matplotlib)\..+",
    r"ArrayLike|Path|Figure",  # jax.typing.ArrayLike, pathlib.Path, matplotlib's Figure
)
nitpick_ignore_regex = [(r"py:.*", pattern) for pattern in _OUTSIDE]

html_theme = "furo"
html_title = "handgrad"
html_static_path = ["_static"]
html_css_files = ["mathjax-offline.css"]
html_favicon = "_static/favicon.svg"  # so that no browser asks the server for /favicon.ico
html_copy_source = False
html_show_sourcelink = False

# MathJax 2.7 from the site itself: jupyter-server-mathjax ships the combined TeX/MathML
# configuration, the HTML-CSS output and its STIX-Web fonts (no CommonHTML output, no TeX fonts).
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": False,
        # myst marks its sections tex2jax_ignore: only Sphinx's math elements are typeset
        "processClass": "tex2jax_process|mathjax_process|math|output_area",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        # its stand-in font for measuring is url('about:blank'), which browsers log as an error
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    "MathMenu": {"showRenderer": False},
    "menuSettings": {"zoom": "None"},
}
