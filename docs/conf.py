"""Sphinx configuration for refpool's documentation."""

import importlib
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

project = "refpool"
author = "refpool developers"
copyright = "2026, refpool developers"

from refpool import __version__ as release  # noqa: E402

version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "symmetry_table",
    "rotation_error",
    "resize_table",
]

# Math renders without a network: sphinx-mathjax-offline (in the "docs" and "test"
# extras) ships MathJax 3 and copies it to _build/html/_static/mathjax, and points
# mathjax_path there.  Without it, Sphinx's default loads MathJax from a CDN.
try:
    importlib.import_module("sphinx-mathjax-offline")
except ImportError:
    print("docs/conf.py: sphinx-mathjax-offline is not installed, so the built pages load "
          "MathJax from the network; pip install -e '.[docs]' serves it from the docs",
          file=sys.stderr)
else:
    extensions.append("sphinx-mathjax-offline")
napoleon_numpy_docstring = True
napoleon_google_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
nitpicky = False
# numpydoc types such as "shape (size,)" can name attributes of several classes;
# an ambiguous cross-reference there is harmless
suppress_warnings = ["ref.python"]
