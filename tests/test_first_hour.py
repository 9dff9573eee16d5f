"""The first hour of a new user: the docs page runs as written, its math renders
offline, and check_equivariance speaks radians and names its elements in words."""

import doctest
import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import refpool
from refpool.equivariance import _checker
from refpool.groups import cyclic, dihedral, o2, octahedral, so2

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs")
PAGE = os.path.join(DOCS, "first_hour.rst")


def test_first_hour_page_runs_as_written():
    result = doctest.testfile(PAGE, module_relative=False, report=True,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 20
    assert result.failed == 0


def test_first_hour_page_is_in_the_toctree():
    with open(os.path.join(DOCS, "index.rst")) as f:
        toctree = f.read().split(".. toctree::", 1)[1]
    assert re.search(r"^\s+first_hour\s*$", toctree, re.M)


def test_math_is_served_from_the_built_docs(tmp_path):
    pytest.importorskip("sphinx")
    try:
        __import__("importlib").import_module("sphinx-mathjax-offline")
    except ImportError:
        pytest.skip("sphinx-mathjax-offline is not installed (pip install -e '.[docs]')")
    out = tmp_path / "html"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", DOCS,
                             str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (out / "first_hour.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert mathjax == ["_static/mathjax/tex-chtml.js"], scripts
    assert not [s for s in scripts if re.match(r"(https?:)?//", s)], scripts
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


# --------------------------------------------------------------------------- element names
@pytest.mark.parametrize("group, value, words", [
    (dihedral(4), (0, 0), "identity"),
    (dihedral(4), (0, 1), "rotation 90°"),
    (dihedral(4), (1, 0), "mirror about the vertical axis (left-right flip)"),
    (dihedral(4), (1, 1), "mirror about the diagonal (transpose)"),
    (dihedral(4), (1, 2), "mirror about the horizontal axis (up-down flip)"),
    (dihedral(4), (1, 3), "mirror about the anti-diagonal"),
    (dihedral(8), (1, 1), "mirror about the line at 112.5°"),
    (cyclic(3), 1, "rotation 120°"),
    (so2(), math.radians(30), "rotation 30°"),
    (o2(), (1, 0.0), "mirror about the vertical axis (left-right flip)"),
])
def test_elements_in_words(group, value, words):
    assert _checker.describe_element(group.element(value)) == words


def test_named_mirrors_act_as_their_names_say():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    square = np.arange(9.0).reshape(1, 1, 3, 3)
    G = dihedral(4)
    ft = refpool.FieldType(G, [G.trivial_representation])
    assert np.array_equal(ft.transform(x, G.element((1, 0))), x[..., ::-1])     # left-right
    assert np.array_equal(ft.transform(x, G.element((1, 2))), x[..., ::-1, :])  # up-down
    assert np.array_equal(ft.transform(square, G.element((1, 1))),
                          square.transpose(0, 1, 3, 2))                          # transpose


def test_three_dimensional_elements_in_words():
    words = {_checker.describe_element(g) for g in octahedral().elements}
    assert len(words) == 48
    assert {"identity", "point inversion", "rotation 90° about z",
            "rotation 120° about (1, 1, 1)", "mirror across the plane normal to x"} <= words


def test_report_table_names_elements_in_words():
    G = dihedral(4)
    ft = refpool.FieldType(G, [G.trivial_representation])
    x = np.random.default_rng(0).standard_normal((1, 1, 8, 8))
    report = refpool.check_equivariance(lambda a: refpool.max_pool(a, 2), ft, ft, x)
    row = [line for line in report.table().splitlines() if line.startswith("D4[1,1]")]
    assert len(row) == 1 and "mirror about the diagonal (transpose)" in row[0]
    assert report[5].to_dict()["description"] == "mirror about the diagonal (transpose)"


def test_describe_element_doctest():
    tests = doctest.DocTestFinder(recurse=False).find(
        _checker.describe_element, globs={"describe_element": _checker.describe_element})
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# --------------------------------------------------------------------------- radians
def _so2_check(elements, group=None):
    G = group or so2()
    ft = refpool.FieldType(G, [G.trivial_representation])
    x = np.zeros((1, 1, 5, 5))
    return refpool.check_equivariance(lambda a: a, ft, ft, x, elements=elements)


@pytest.mark.parametrize("angle", [30, 45, 90, 180.0])
def test_angles_that_look_like_degrees_warn(angle):
    with pytest.warns(UserWarning, match=r"look like degrees.*math\.radians"):
        _so2_check([angle])


def test_o2_pairs_with_degrees_warn():
    with pytest.warns(UserWarning, match="look like degrees"):
        _so2_check([(1, 45)], group=o2())


def test_angles_outside_a_turn_warn_and_are_reduced():
    with pytest.warns(UserWarning, match=r"outside \[0, 2\*pi\)"):
        report = _so2_check([-math.pi / 2])
    assert report[0].description == "rotation 270°"


def test_radians_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _so2_check([0.0, math.radians(30), math.pi, 2 * math.pi, so2().element(100.0)])
        _so2_check([(0, 1.0), (1, math.pi / 2)], group=o2())
        _so2_check(None)
        G = cyclic(8)                     # integers of finite groups are not angles
        ft = refpool.FieldType(G, [G.trivial_representation])
        refpool.check_equivariance(lambda a: a, ft, ft, np.zeros((1, 1, 5, 5)),
                                   elements=[0, 2, 7])


def test_check_equivariance_documents_radians():
    doc = refpool.check_equivariance.__doc__
    assert "radians" in doc and "math.radians(30)" in doc
    assert "radians" in _checker.__doc__
