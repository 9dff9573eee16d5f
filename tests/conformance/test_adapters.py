"""The peer adapters conform: no failures, and divergences only of the documented kinds.

Each test runs :func:`refpool.conformance.runner.run` over a stratified subset of
the catalogue (every k-th case, plus a few cases of every divergence the adapter
declares, so each kind is exercised), and a few derived cases for options the
catalogue only asks with ``return_indices=True`` or never asks.  It then checks

* ``report.ok`` (no failures);
* every known divergence carries only the adapter's documented reason strings,
  and is what the adapter declares for the case (with the case's dtype where
  ``known_divergence`` takes it);
* no passing case is declared a divergence: divergences are declared exactly
  where they change the result;
* every documented kind the catalogue can reach actually occurred.

The full catalogue runs in ``refpool conformance --against <peer>``.
"""

import dataclasses
import importlib
import importlib.util
import inspect
import os
import re
from collections import Counter

import pytest

from refpool.conformance import runner
from refpool.conformance.catalog import Case, catalog
from refpool.conformance.fieldspec import spec
from refpool.registry import OPERATORS

HERE = os.path.dirname(__file__)
DOCS = os.path.join(HERE, os.pardir, os.pardir, "docs")
POOLING = ["max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool"]


def _declared(adapter, case):
    check = getattr(adapter, "known_divergence", None)
    if check is None:
        return None
    extra = {"dtype": case.dtype} if "dtype" in inspect.signature(check).parameters else {}
    return check(case.op, case.kwargs, case.shape, **extra)


def _stratified(adapter, cases, every, per_reason=3):
    """Every ``every``-th case, topped up to ``per_reason`` cases of each declared reason."""
    picked = list(cases[::every])
    ids = {c.id for c in picked}
    count = Counter(_declared(adapter, c) for c in picked)
    for c in cases:
        reason = _declared(adapter, c)
        if reason and count[reason] < per_reason and c.id not in ids:
            picked.append(c)
            ids.add(c.id)
            count[reason] += 1
    return picked


def _derived(case, tag, **changes):
    return dataclasses.replace(case, id=f"{case.id}/derived:{tag}",
                               kwargs=dict(case.kwargs, **changes))


def _case(op, shape, kwargs, dtype="float32", seed=1, exact=False):
    name = ",".join(f"{k}={v.get('name') if isinstance(v, dict) else v}"
                    for k, v in kwargs.items())
    return Case(f"{op}/{'x'.join(map(str, shape))}/{name}/{dtype}/extra", op, tuple(shape),
                dtype, seed, dict(kwargs), False, exact)


def _check(report, adapter, reasons, exercised):
    """The assertions of the module docstring; returns the report's summary."""
    assert report.ok, report.format()
    seen = Counter()
    for o in report.outcomes:
        declared = _declared(adapter, o.case)
        if o.state == runner.KNOWN:
            parts = o.detail.split(" | ")
            assert set(parts) <= set(reasons), (o.case.id, o.detail)
            # declared for this very case (dtype included), not a failure in disguise
            assert declared and set(declared.split(" | ")) <= set(parts), (o.case.id, declared)
            seen.update(declared.split(" | "))
        elif o.state == runner.PASSED:
            assert declared is None, (o.case.id, declared)
    assert set(exercised) <= set(seen), set(exercised) - set(seen)
    return report.summary()


def _ranked(cases, *ranks):
    return [c for c in cases if len(c.shape) - 2 in ranks]


# --------------------------------------------------------------------------- torch
def test_torch_adapter():
    pytest.importorskip("torch")
    from refpool.conformance.adapters import torch as adapter
    others = [op for op in OPERATORS if op not in POOLING + ["interpolate"]]
    cases = (_stratified(adapter, catalog(POOLING), 8) + catalog(["interpolate"])
             + catalog(others)[::40])
    summary = _check(runner.run(adapter, cases=cases), adapter, adapter.REASONS,
                     [adapter.PADDING_LIMIT])
    assert summary["interpolate"]["passed"] == len(catalog(["interpolate"]))
    for op in others:
        if op in summary and op in adapter.LACKS:      # torch has none of them
            assert summary[op]["unsupported"] == sum(c.op == op for c in cases)


# --------------------------------------------------------------------------- e2cnn
def _e2cnn_extra_cases():
    """Cases the catalogue does not ask of a 2-D peer without indices."""
    two_d = _ranked(catalog(["max_pool", "adaptive_max_pool"]), 2)
    extra = [_derived(c, "no-indices", return_indices=False) for c in two_d[::6]]
    extra += [_derived(c, "no-indices", return_indices=False) for c in two_d
              if c.kwargs.get("ceil_mode") and c.kwargs.get("padding") == (0, 0)][:3]
    extra.append(_case("max_pool", (1, 2, 9, 9), dict(kernel_size=2, stride=1, padding=2,
                                                     dilation=3), exact=True))
    aa = [c for c in _ranked(catalog(["antialiased_max_pool"]), 2)
          if c.kwargs.get("dilation") == 1]
    extra += [_derived(c, "tuple-dilation", dilation=(1, 1)) for c in aa[:2]]
    extra.append(_case("induced_norm_pool", (2, 4, 5, 6),
                       dict(field_type=spec("C4 regular", ["cyclic", 4], ["regular"]))))
    for dtype in ("float32", "float64"):     # one field size: exportable group pooling
        extra.append(_case("group_pool", (2, 8, 5, 6),
                           dict(field_type=spec("C4 regular x2", ["cyclic", 4],
                                                ["regular", "regular"])), dtype, exact=True))
    return extra


def test_e2cnn_adapter():
    pytest.importorskip("e2cnn")
    from refpool.conformance.adapters import e2cnn as adapter
    fields = ["group_pool", "norm_pool", "induced_norm_pool"]
    picked = (_stratified(adapter, _ranked(catalog(), 2), 5) + _ranked(catalog(), 1, 3)[::60]
              + [c for c in _ranked(catalog(fields), 2) if c.op == "induced_norm_pool"]
              + _e2cnn_extra_cases())
    picked = list({c.id: c for c in picked}.values())
    summary = _check(runner.run(adapter, cases=picked), adapter, adapter.REASONS,
                     [adapter.DOUBLE_PADDING, adapter.IGNORES_CEIL_MODE,
                      adapter.TUPLE_DILATION, adapter.NORM_MAX_CEIL_MODE,
                      adapter.FLOAT32_OUTPUT, adapter.REGULAR_INDUCED,
                      adapter.MAX_POOL_PADDING])
    for op in OPERATORS:
        if op not in adapter.LACKS:
            assert summary[op]["passed"] > 0, op
    assert summary["blur_pool"]["unsupported"] == sum(c.op == "blur_pool" for c in picked)


def test_e2cnn_exported_modules():
    pytest.importorskip("e2cnn")
    from refpool.conformance.adapters import e2cnn
    adapter = e2cnn.exported
    ops = ["adaptive_avg_pool", "antialiased_max_pool", "interpolate", "avg_pool"]
    cases = _stratified(adapter, _ranked(catalog(ops), 2), 6) + _e2cnn_extra_cases()
    summary = _check(runner.run(adapter, cases=cases), adapter, e2cnn.REASONS,
                     [e2cnn.EXPORT_CEIL_MODE, e2cnn.EXPORT_SIZE, e2cnn.DOUBLE_PADDING])
    # MaxPoolChannels (GroupPooling's export) keeps float64; PointwiseAvgPool has no export
    assert summary["group_pool"]["passed"] == 2
    assert summary["avg_pool"]["passed"] == 0 < summary["avg_pool"]["unsupported"]


# --------------------------------------------------------------------------- antialiased-cnns
def test_antialiased_cnns_adapter():
    pytest.importorskip("antialiased_cnns")
    from refpool.conformance.adapters import antialiased_cnns as adapter
    others = [op for op in OPERATORS if op != "blur_pool"]
    cases = _stratified(adapter, catalog(["blur_pool"]), 3) + catalog(others)[::80]
    summary = _check(runner.run(adapter, cases=cases), adapter, [adapter.LARGE_FILTER],
                     [adapter.LARGE_FILTER])
    assert summary["blur_pool"]["passed"] > 60
    for op in others:
        if op in summary:
            assert summary[op]["passed"] == summary[op]["known-divergence"] == 0, op


# --------------------------------------------------------------------------- jax
def test_jax_adapter():
    pytest.importorskip("jax")
    from refpool.conformance.adapters import jax as adapter
    cases = (catalog(["max_pool"])[::70] + catalog(["avg_pool"])[::50]
             + [_derived(c, "no-indices", return_indices=False)
                for c in _ranked(catalog(["max_pool"]), 2, 3)[::40]]
             + _stratified(adapter, catalog(["interpolate"]), 20, per_reason=1)
             + catalog(["adaptive_avg_pool", "blur_pool", "group_pool"])[::40])
    summary = _check(runner.run(adapter, cases=cases), adapter, adapter.REASONS,
                     [adapter.AREA_OVERLAP, adapter.ANTIALIAS_OUTSIDE])
    for op in ("max_pool", "avg_pool", "interpolate"):
        assert summary[op]["passed"] >= 8, op


# --------------------------------------------------------------------------- docs
def _load_example():
    path = os.path.join(DOCS, "examples", "minimal_adapter.py")
    module_spec = importlib.util.spec_from_file_location("minimal_adapter", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module, path


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # inf - inf
def test_minimal_adapter_example_conforms_and_is_short():
    adapter, path = _load_example()
    with open(path) as f:
        source = f.read()
    code = re.sub(r'^""".*?"""\n', "", source, flags=re.S)
    assert len([line for line in code.splitlines() if line.strip()]) <= 20
    report = runner.run(adapter, ops=["adaptive_avg_pool", "adaptive_max_pool"])
    assert report.ok, report.format()
    summary = report.summary()
    assert summary["adaptive_avg_pool"]["passed"] == len(catalog(["adaptive_avg_pool"]))
    assert summary["adaptive_max_pool"]["unsupported"] == len(catalog(["adaptive_max_pool"]))


@pytest.mark.parametrize("name, peer", [("torch", "torch"), ("e2cnn", "e2cnn"),
                                        ("antialiased_cnns", "antialiased_cnns"),
                                        ("jax", "jax")])
def test_docs_list_every_divergence_reason(name, peer):
    pytest.importorskip(peer)
    adapter = importlib.import_module(f"refpool.conformance.adapters.{name}")
    with open(os.path.join(DOCS, "conformance.rst")) as f:
        text = " ".join(f.read().split())
    for reason in adapter.REASONS:
        assert " ".join(reason.split()) in text, reason
