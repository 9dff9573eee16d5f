"""The Sphinx site builds without warnings (every page, every autodoc target)."""

import os
import subprocess
import sys

import pytest

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")


def test_sphinx_builds_cleanly(tmp_path):
    pytest.importorskip("sphinx")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         DOCS, str(tmp_path / "html")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
