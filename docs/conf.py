"""Sphinx configuration of queuesim's book: the notebooks (with their committed outputs) and the reference.

Build it with ``make book`` (``sphinx-build -c docs . build/book``): the source is the
repository itself, restricted by ``include_patterns`` to the pages of ``docs/``, the
notebooks and two READMEs, so links between them work both on GitHub and in the book.
The notebooks are never executed here: what the book shows is what is committed,
which nbval checks in ``make test``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.pop("REDIS_URL", None)  # autodoc imports the package: never against a real server

project = "queuesim"
author = "queuesim developers"
copyright = "queuesim developers"  # Sphinx reads this name

extensions = [
    "myst_nb",  # Markdown (MyST) pages and notebooks as pages
    "sphinx.ext.autodoc",  # the API reference, from the docstrings
    "sphinx.ext.napoleon",  # docstrings in Google style (Args:, Returns:, Raises:)
]

root_doc = "docs/index"
include_patterns = ["docs/**", "notebooks/*.ipynb", "notebooks/README.md", "bench/README.md"]
exclude_patterns = ["docs/_root/**", "docs/_static/**", "docs/conf.py", "**/.ipynb_checkpoints"]

# notebooks: show the committed outputs, never run them
nb_execution_mode = "off"
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the path table of 00_start_here) link like pages
myst_heading_anchors = 3  # links like task12_stock.ipynb#a-simpy-primer
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.header"]  # notebooks start at "#", sections may skip to "###"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "sphinx_book_theme"
# the book's title is the specification's: its first line, "# queuesim — the exercises"
html_title = (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
html_context = {"default_mode": "light"}  # no "invalid theme mode" console error on a first visit
html_favicon = "_static/favicon.svg"
html_theme_options = {
    # one search box, the sidebar's: pydata-sphinx-theme 0.20 also puts one in a header bar above it
    "navbar_persistent": [],
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_static_path = ["_static"]  # relative to docs/
html_extra_path = ["_root"]  # index.html at the top of the site, pointing to docs/index.html
html_show_sourcelink = False
html_last_updated_fmt = None
