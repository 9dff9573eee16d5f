"""The onnxruntime peer adapter conforms: no failures, known divergences exactly where
declared, and its refusals of non-finite inputs are real.

The catalogue sample is stratified (every third case of each operator the adapter
implements, a few cases of every operator it lacks, topped up with cases of every
declared divergence), plus hand-written cases for the divergences the catalogue
cannot reach (``auto_pad=SAME_*`` with dilation or a stride longer than the window,
dilated windows of padding only) and for what the catalogue only asks with NaN
inputs or indices.  It runs in a few seconds; ``refpool conformance --against
onnxruntime`` runs the whole catalogue.
"""

import dataclasses
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import refpool  # noqa: E402
from refpool.conformance import runner  # noqa: E402
from refpool.conformance.adapters import onnxruntime as ort_adapter  # noqa: E402
from refpool.conformance.catalog import Case, catalog  # noqa: E402
from refpool.registry import OPERATORS  # noqa: E402

adapter = ort_adapter.adapter
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, os.pardir, os.pardir)
DOCS = os.path.join(ROOT, "docs")
IMPLEMENTED = [op for op in OPERATORS if op not in adapter.LACKS]


def _declared(case):
    return adapter.known_divergence(case.op, case.kwargs, case.shape, dtype=case.dtype)


def _case(op, shape, kwargs, dtype="float32", seed=7):
    name = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return Case(f"{op}/{'x'.join(map(str, shape))}/{name}/{dtype}/onnxruntime-extra", op,
                tuple(shape), dtype, seed, dict(kwargs), False,
                OPERATORS[op].comparison == "exact")


#: cases the catalogue does not hold: the divergences of auto_pad=SAME_* and of dilated
#: windows of padding only, their near misses (compared, and passing), and refusals
EXTRA = [
    # SAME without the dilation: 7 samples, kernel 2, stride 2, dilation 2
    _case("max_pool", (1, 2, 7), dict(kernel_size=2, stride=2, padding="same", dilation=2)),
    _case("max_pool", (1, 2, 7, 6), dict(kernel_size=(2, 3), stride=(2, 1),
                                         padding="same_lower", dilation=(2, 2),
                                         return_indices=True), "float64"),
    _case("avg_pool", (1, 2, 9), dict(kernel_size=3, stride=2, padding="same", dilation=2,
                                      count_include_pad=False)),
    _case("lp_pool", (1, 2, 8, 7), dict(norm_type=2.0, kernel_size=2, stride=1,
                                        padding="same", dilation=3, variant="onnx")),
    # a dilated SAME whose windows ONNX Runtime gets right (kernel 1): compared, passes
    _case("max_pool", (1, 2, 8), dict(kernel_size=1, stride=2, padding="same", dilation=3)),
    _case("avg_pool", (1, 2, 8), dict(kernel_size=(1,), stride=2, padding="same",
                                      dilation=3)),
    # a negative SAME padding (stride 3 > kernel 1): cropped where it is not refused
    _case("max_pool", (1, 2, 6), dict(kernel_size=1, stride=3, padding="same",
                                      return_indices=True)),
    _case("max_pool", (1, 2, 6), dict(kernel_size=1, stride=3, padding="same"), "float64"),
    _case("avg_pool", (1, 2, 3, 6), dict(kernel_size=1, stride=(1, 3), padding="same")),
    _case("lp_pool", (1, 1, 6, 6), dict(norm_type=1.0, kernel_size=1, stride=3,
                                        padding="same", variant="onnx")),
    _case("max_pool", (1, 2, 6), dict(kernel_size=1, stride=3, padding="same")),  # refused
    # windows of padding only (dilation): -FLT_MAX for -inf, 0 for NaN
    _case("max_pool", (1, 2, 1), dict(kernel_size=2, stride=2, padding=((1, 1),), dilation=2,
                                      return_indices=True)),
    _case("max_pool", (1, 2, 2, 5), dict(kernel_size=2, stride=1, padding=1,
                                         dilation=(3, 1)), "float64"),
    _case("avg_pool", (1, 2, 1), dict(kernel_size=2, stride=2, padding=((1, 1),), dilation=2,
                                      count_include_pad=False)),
    # ... where both give 0: compared, pass
    _case("avg_pool", (1, 2, 1), dict(kernel_size=2, stride=2, padding=((1, 1),), dilation=2,
                                      count_include_pad=True)),
    _case("lp_pool", (1, 2, 1), dict(norm_type=2.0, kernel_size=2, stride=2,
                                     padding=((1, 1),), dilation=2, variant="onnx")),
    # RoiAlign max on pixel centres next to a sample outside the image: max(0, v) in both
    _case("roi_align", (1, 2, 8, 4), dict(boxes=(((-3.0, -1.0, 5.0, 8.0),),),
                                          output_size=(1, 2), spatial_scale=2.0,
                                          sampling_ratio=2, aligned=True, reduction="max"),
          "float64"),
]


def _without_specials(case, tag):
    return dataclasses.replace(case, id=f"{case.id}/derived:{tag}", specials=False)


def _sample():
    """The stratified catalogue sample, the derived cases and :data:`EXTRA`."""
    picked = []
    for op in OPERATORS:
        cases = catalog([op])
        picked += cases[::3] if op in IMPLEMENTED else cases[::40]
    ids = {c.id for c in picked}
    count = Counter(_declared(c) for c in picked)
    for c in catalog(IMPLEMENTED):
        reason = _declared(c)
        if reason and count[reason] < 3 and c.id not in ids:
            picked.append(c)
            ids.add(c.id)
            count[reason] += 1
    # the global maxima of the catalogue hold NaN (indices) or are float64 (values)
    picked += [_without_specials(c, "finite") for c in catalog(["adaptive_max_pool"])
               if c.kwargs.get("output_size") == 1][:4]
    picked += [_without_specials(c, "finite") for c in catalog(["global_max_pool"])
               if c.kwargs.get("return_indices")][::3]
    return picked + EXTRA


@pytest.fixture(scope="module")
def report():
    return runner.run(adapter, cases=_sample())


def test_no_failures_and_divergences_exactly_where_declared(report):
    assert report.ok, report.format()
    assert report.seconds < 60
    seen = Counter()
    for o in report.outcomes:
        declared = _declared(o.case)
        if o.state == runner.KNOWN:
            parts = o.detail.split(" | ")
            assert set(parts) <= set(ort_adapter.REASONS), (o.case.id, o.detail)
            assert declared and set(declared.split(" | ")) <= set(parts), (o.case.id, declared)
            seen.update(parts)
        elif o.state == runner.PASSED:
            assert declared is None, (o.case.id, declared)
    # every kind fires: the catalogue's RoiAlign max cases, EXTRA's window geometry
    assert set(seen) == set(ort_adapter.REASONS), set(ort_adapter.REASONS) - set(seen)


def test_every_implemented_operator_passes_cases_and_the_lacking_ones_are_unsupported(report):
    summary = report.summary()
    for op in IMPLEMENTED:
        assert summary[op]["passed"] > 0, (op, summary[op])
    for op in adapter.LACKS:
        assert summary[op]["passed"] == summary[op]["known-divergence"] == 0, op
        assert summary[op]["unsupported"] == sum(o.case.op == op for o in report.outcomes)


def test_extra_cases_end_as_planned(report):
    states = {o.case.id: (o.state, o.detail) for o in report.outcomes}
    got = [states[c.id][0] for c in EXTRA]
    assert got == ["known-divergence"] * 4 + ["passed"] * 2 + ["known-divergence"] * 4 \
        + ["unsupported"] + ["known-divergence"] * 3 + ["passed"] * 3, \
        [(c.id, states[c.id]) for c in EXTRA]
    assert "refuses a negative SAME padding" in states[EXTRA[10].id][1]


def test_sessions_are_cached_per_node(report):
    before = len(ort_adapter._SESSIONS)
    assert before < len(report.outcomes) / 2
    again = runner.run(adapter, cases=[o.case for o in report.outcomes
                                       if o.case.op in ("max_pool", "roi_align")])
    assert again.compared > 100
    assert len(ort_adapter._SESSIONS) == before          # every node was built already


# --------------------------------------------------------------------------- reproducers
def test_same_padding_without_the_dilation():
    x = np.array([[[3, 1, 4, 1, 5, 9, 2]]], np.float32)
    kw = dict(kernel_size=2, stride=2, padding="same", dilation=2)
    assert adapter.max_pool(x, **kw).ravel().tolist() == [4.0, 5.0, 5.0]
    assert refpool.max_pool(x, **kw).ravel().tolist() == [1.0, 1.0, 9.0, 9.0]
    assert adapter.known_divergence("max_pool", kw, x.shape) == ort_adapter.SAME_DILATION


def test_negative_same_padding_cropped_or_refused():
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 6)
    kw = dict(kernel_size=1, stride=3, padding="same")
    y, i = adapter.max_pool(x, **kw, return_indices=True)
    assert y.ravel().tolist() == [1.0, 4.0] and i.ravel().tolist() == [1, 4]
    assert refpool.max_pool(x, **kw).ravel().tolist() == [0.0, 3.0]
    assert adapter.avg_pool(x, **kw).ravel().tolist() == [1.0, 4.0]
    with pytest.raises(NotImplementedError, match="negative SAME"):
        adapter.max_pool(x, **kw)                # float32 without Indices: MLAS refuses
    assert adapter.known_divergence("max_pool", kw, x.shape, dtype="float32") is None
    assert adapter.known_divergence("max_pool", dict(kw, return_indices=True),
                                    x.shape) == ort_adapter.NEGATIVE_SAME


def test_window_of_padding_only():
    x = np.array([[[5.0]]], np.float32)
    kw = dict(kernel_size=2, stride=2, padding=((1, 1),), dilation=2)
    y, i = adapter.max_pool(x, **kw, return_indices=True)
    assert y.item() == np.float32(-3.4028235e38) and i.item() == -1
    assert refpool.max_pool(x, **kw).item() == -np.inf
    assert adapter.avg_pool(x, **kw, count_include_pad=False).item() == 0.0
    assert np.isnan(refpool.avg_pool(x, **kw, count_include_pad=False).item())


def test_roi_align_max_takes_the_largest_corner_term():
    x = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    kw = dict(boxes=np.array([[0, 0.0, 0.0, 1.0, 1.0]]), output_size=1, sampling_ratio=1,
              reduction="max")
    assert adapter.roi_align(x, **kw).item() == 0.75           # max(0, .25, .5, .75)
    assert refpool.roi_align(x, **kw).item() == 1.5            # the bilinear sample
    assert adapter.known_divergence("roi_align", kw, x.shape) == ort_adapter.ROI_ALIGN_MAX


def test_max_roi_pool_non_finite_bins_are_refused(monkeypatch):
    x = np.full((1, 1, 4, 4), -np.inf, np.float32)
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = 5.0
    kw = dict(boxes=[np.array([[0.0, 0.0, 3.0, 3.0]])], output_size=2)
    with pytest.raises(NotImplementedError, match="MaxRoiPool skips NaN"):
        adapter.roi_pool(x, **kw)
    monkeypatch.setattr(ort_adapter, "_refuse_max_nonfinite", lambda *a, **k: None)
    raw = adapter.roi_pool(x, **kw)[0, 0]
    mine = refpool.roi_pool(x, **kw)[0, 0]
    assert raw[0, 1] == np.float32(-3.4028235e38) and mine[0, 1] == -np.inf
    assert not np.isnan(raw[0, 0]) and np.isnan(mine[0, 0])
    assert raw[1, 1] == mine[1, 1] == 5.0


def test_refusals_of_non_finite_inputs_are_real(report, monkeypatch):
    """Run the refused cases without the refusal: each kind is a real difference, and
    without indices (where the refusal checks the value) every refused case differs."""
    refused = [o.case for o in report.outcomes if o.state == runner.UNSUPPORTED
               and o.detail in ort_adapter.REFUSALS]
    kinds = Counter(o.detail for o in report.outcomes if o.state == runner.UNSUPPORTED
                    and o.detail in ort_adapter.REFUSALS)
    assert set(kinds) == set(ort_adapter.REFUSALS), kinds
    monkeypatch.setattr(ort_adapter, "_refuse_max_nonfinite", lambda *a, **k: None)
    monkeypatch.setattr(ort_adapter, "_refuse_nonfinite_terms", lambda *a, **k: None)
    raw = runner.run(adapter, cases=refused)
    differs = Counter()
    for case, o in zip(refused, raw.outcomes):
        reason = next(r.detail for r in report.outcomes if r.case.id == case.id)
        assert o.state != runner.UNSUPPORTED, (case.id, o.detail)
        if o.state != runner.PASSED:
            differs[reason] += 1
        elif reason != ort_adapter.ZERO_WEIGHT_TERMS:
            assert case.kwargs.get("return_indices"), case.id
    assert set(differs) == set(ort_adapter.REFUSALS), differs


# --------------------------------------------------------------------------- CLI and docs
def _refpool(*args, pythonpath=()):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), ROOT,
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "refpool", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_runs_against_onnxruntime():
    result = _refpool("conformance", "--against", "onnxruntime", "--ops", "max_pool",
                      "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conformance of onnxruntime" in result.stdout
    assert "PASS - " in result.stdout


@pytest.mark.parametrize("module, hint", [("onnxruntime", "pip install onnxruntime"),
                                          ("onnx", "pip install onnx")])
def test_cli_without_the_library_names_the_pip_install(module, hint, tmp_path):
    # hide the library behind a module that refuses to import
    (tmp_path / f"{module}.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name='{module}')\n")
    result = _refpool("conformance", "--against", "onnxruntime", "--ops", "max_pool",
                      "--quiet", pythonpath=[tmp_path])
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "--against onnxruntime" in lines[0] and hint in lines[0], lines[0]


def test_docs_list_every_reason_word_for_word():
    with open(os.path.join(DOCS, "conformance.rst")) as f:
        text = " ".join(f.read().split())
    for reason in ort_adapter.REASONS + ort_adapter.REFUSALS:
        assert " ".join(reason.split()) in text, reason
