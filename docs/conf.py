"""Sphinx configuration of the hyperspy-symmetry documentation.

Build with ``make docs`` or
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

Nothing is downloaded (no intersphinx), the notebooks are rendered with their stored
outputs (not executed), and TensorFlow is never imported: the one module
that imports Keras at import time (``models.architectures``) is documented with Keras
mocked. The CLI reference is generated from :func:`hyperspy_symmetry.cli.build_parser`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # document the source tree next to this folder
    sys.path.insert(0, str(ROOT))

# Keep TensorFlow's C++ start-up messages quiet if anything did import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import hyperspy_symmetry  # noqa: E402

project = "hyperspy-symmetry"
author = "hyperspy-symmetry developers"
copyright = "hyperspy-symmetry developers"
release = hyperspy_symmetry.__version__
version = release

extensions = [
    "myst_nb",  # MyST Markdown (it includes myst_parser) and the notebooks with their outputs
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
templates_path: list[str] = []

# -- Markdown (MyST) ----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3  # the pages link to "#section" anchors, as GitHub renders them

# -- Notebooks (myst-nb) ------------------------------------------------------------------
# The notebooks in docs/notebooks are committed with their outputs (run at full size) and
# rendered as they are: building the docs runs no model. tests/test_notebooks.py runs them.
nb_execution_mode = "off"
nb_output_stderr = "remove"  # progress bars and library warnings

# -- API reference ------------------------------------------------------------------------
autosummary_generate = False  # summary tables only; the members are on the module pages
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's "Parameters" sections give the types
autodoc_mock_imports = ["keras", "tensorflow"]  # models.architectures imports Keras
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"hyperspy-symmetry {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
}
html_show_sourcelink = False


# -- directives ---------------------------------------------------------------------------


def _subcommands(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


class CliHelp(Directive):
    """``.. cli-help::``: the ``--help`` text of ``hyperspy-symmetry`` and of every
    sub-command, one section per command, generated from the argparse parser."""

    has_content = False

    def _section(self, words: list[str], parser):
        section = nodes.section(ids=[nodes.make_id("cli " + " ".join(words[1:]))])
        section += nodes.title(text=" ".join(words))
        text = parser.format_help().rstrip()
        section += nodes.literal_block(text, text, language="text")
        for name, sub in _subcommands(parser):
            section += self._section(words + [name], sub)
        return section

    def run(self):
        from hyperspy_symmetry.cli import PROG, build_parser

        old = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "92"  # fixed width: the same text on every machine
        try:
            parser = build_parser()
            parser.prog = PROG
            top = self._section([PROG], parser)
        finally:
            if old is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = old
        return [top]


def _defining_module(obj) -> str | None:
    obj = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    return getattr(obj, "__module__", None)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """On class pages, list only what this package defines, not HyperSpy's own methods
    (the signal classes are documented with ``:inherited-members:`` so that what a mixin
    of this package adds shows up)."""
    if what == "class":
        module = _defining_module(obj)
        if module is not None and not module.startswith("hyperspy_symmetry"):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    directives.register_directive("cli-help", CliHelp)
    return {"parallel_read_safe": True}
