"""The case catalogue: size, coverage, determinism, serialisation."""

import json

import numpy as np

from refpool.conformance.catalog import Case, catalog
from refpool.registry import OPERATORS


def test_catalogue_is_large_deterministic_and_uniquely_named():
    a, b = catalog(), catalog()
    assert len(a) >= 1000
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    assert len({c.seed for c in a}) == len(a)


def test_every_registered_operator_has_cases_and_both_dtypes():
    cases = catalog()
    for name in OPERATORS:
        mine = [c for c in cases if c.op == name]
        assert mine, name
        assert {c.dtype for c in mine} == {"float32", "float64"}, name


def test_edge_cases_from_the_spec_are_present():
    ids = [c.id for c in catalog(["max_pool", "avg_pool"])]
    # the ceil-mode drop of SPEC section 1, and NaN/inf inputs
    assert any(i.startswith("max_pool/1x1x5/kernel_size=2,stride=2,padding=1,ceil_mode=True")
               for i in ids)
    assert any(c.specials for c in catalog(["max_pool"]))


def test_case_json_round_trip_and_input_regeneration():
    for case in catalog()[::97]:
        again = Case.from_json(json.loads(json.dumps(case.to_json())))
        assert again == case and again.kwargs == case.kwargs
        np.testing.assert_array_equal(again.make_input(), case.make_input())


def test_exact_operators_have_zero_tolerance():
    for case in catalog()[::50]:
        tol = case.tolerance
        assert (tol["rtol"] == 0) == case.exact
