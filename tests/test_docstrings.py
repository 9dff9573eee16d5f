"""The docstrings of the public operators: runnable examples and filled-in shared paragraphs.

Every operator of the registry (and the field helpers ``invariant_field_type`` and
``subgroup_field_type``)
must carry an ``Examples`` section whose doctests print exactly what the code
prints, and no ``%(name)s`` placeholder of :mod:`refpool._docstrings` may be
left in a rendered docstring.
"""

import doctest
import inspect

import pytest

import refpool
from refpool import _docstrings
from refpool import registry
from refpool.registry import OPERATORS

#: public functions that are not operators but are documented with examples too
HELPERS = {"invariant_field_type": refpool.invariant_field_type,
           "subgroup_field_type": refpool.subgroup_field_type,
           "affine_grid": refpool.affine_grid}

DOCUMENTED = {**{name: op.function for name, op in OPERATORS.items()}, **HELPERS}

#: the modules whose public functions must all be documented here
#: the public module of every family (refpool/<family>.py)
OPERATOR_MODULES = tuple(f"refpool.{family}" for family in registry.FAMILIES)

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _doctests(function, name):
    """The doctests of ``function``'s own docstring (not of objects it contains)."""
    finder = doctest.DocTestFinder(recurse=False)
    return finder.find(function, name, globs={})


def _run(tests):
    """Run ``tests``; returns (failed, attempted, report)."""
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    return result.failed, result.attempted, "".join(report)


def test_every_function_of_the_operator_modules_is_documented_here():
    public = {name for name in refpool.__all__
              if callable(getattr(refpool, name))
              and getattr(getattr(refpool, name), "__module__", None) in OPERATOR_MODULES}
    assert public == set(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_operator_has_examples(name):
    doc = DOCUMENTED[name].__doc__
    assert doc is not None, f"{name} has no docstring"
    assert "\nExamples\n--------\n" in inspect.cleandoc(doc), f"{name} has no Examples section"
    examples = sum(len(test.examples) for test in _doctests(DOCUMENTED[name], name))
    assert examples >= 1, f"{name}'s Examples section holds no doctest"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_examples_print_what_the_code_prints(name):
    failed, attempted, report = _run(_doctests(DOCUMENTED[name], name))
    assert attempted >= 1, f"{name} has no doctest"
    assert failed == 0, report


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_shared_paragraphs_are_filled_in(name):
    doc = DOCUMENTED[name].__doc__
    assert _docstrings._PLACEHOLDER.search(doc) is None, doc


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_states_its_grid_equivariance(name):
    paragraph = _docstrings.FRAGMENTS["grid_equivariance"]
    lines = [line.strip() for line in OPERATORS[name].function.__doc__.splitlines()]
    assert "\n".join(lines).count(paragraph) == 1


def test_fill_docstring_indents_like_the_placeholder_line():
    fragments = {"item": "a : int\n    Count.\n\n    More."}
    doc = "Summary.\n\n    Parameters\n    ----------\n    %(item)s\n    b : float\n"
    assert _docstrings.fill_docstring(doc, fragments) == (
        "Summary.\n\n    Parameters\n    ----------\n"
        "    a : int\n        Count.\n\n        More.\n    b : float\n")


def test_fill_docstring_leaves_other_percent_signs_alone():
    doc = "50% of %d and %(s) stay; %(item)s"
    assert _docstrings.fill_docstring(doc, {"item": "x"}) == "50% of %d and %(s) stay; x"


def test_fill_docstring_refuses_an_unknown_placeholder():
    with pytest.raises(KeyError, match="no_such_paragraph"):
        _docstrings.fill_docstring("%(no_such_paragraph)s")


def test_fill_doc_skips_stripped_docstrings():
    def undocumented():
        pass

    assert _docstrings.fill_doc(undocumented) is undocumented
    assert undocumented.__doc__ is None


def test_docstrings_module_examples():
    failed, attempted, report = _run(doctest.DocTestFinder().find(_docstrings))
    assert attempted >= 1 and failed == 0, report
