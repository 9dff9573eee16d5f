"""``refpool fuzz``: a fixed-seed sample runs clean, and the fuzzer finds what it must.

The sample runs in one crash-isolated worker batch.  The tests that break an engine
on purpose run in-process (``isolate=False``) so that ``monkeypatch`` reaches the
engine; the crash and hang tests break it inside the worker through
``worker_setup`` (functions of this module, imported by the worker).
"""

import dataclasses
import os
import time

import numpy as np
import pytest

from refpool import registry
from refpool.conformance import fuzz

TESTS = os.path.dirname(os.path.abspath(__file__))


def _findings(report, kind):
    return [f for f in report.findings if f["kind"] == kind]


# --------------------------------------------------------------------------- the sample
def test_fixed_seed_sample_has_no_findings():
    """300 valid and 100 invalid calls in one worker batch: nothing but KNOWN defects."""
    report = fuzz.run(calls=300, invalid=100, seed=20240611, batch=400, workers=1)
    assert report.counts["valid_calls"] == 300
    assert report.counts["invalid_calls"] == 100
    assert report.ok, report.format()
    assert report.exit_code == 0
    assert set(report.per_op) == set(registry.OPERATORS)


@pytest.mark.cuda
def test_fixed_seed_sample_on_the_cuda_engine():
    report = fuzz.run(calls=40, invalid=10, seed=7, engines=("cpu", "cuda"), isolate=False)
    assert report.ok, report.format()


def test_calls_are_deterministic_and_round_trip_through_json():
    first = list(fuzz.plan(60, 20, seed=5))
    again = list(fuzz.plan(60, 20, seed=5))
    assert [c.to_json() for c in first] == [c.to_json() for c in again]
    assert sum(not c.valid for c in first) == 20
    for call in first:
        copy = fuzz.Call.from_json(call.to_json())
        if call.valid:
            a, b = call.make_input(), copy.make_input()
            assert a.shape == b.shape and a.dtype == b.dtype
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("layout", list(fuzz.LAYOUTS))
def test_layouts_keep_the_values(layout):
    x = fuzz.make_values((2, 3, 4, 5), "float32", "specials", 1)
    y = fuzz.with_layout(x, layout, seed=3)
    assert np.array_equal(x.view(np.uint32), np.ascontiguousarray(y).view(np.uint32))
    flags = {"F": not y.flags.c_contiguous, "negative": min(y.strides) < 0,
             "strided": not y.flags.c_contiguous, "readonly": not y.flags.writeable,
             "unaligned": not y.flags.aligned, "C": y.flags.c_contiguous}
    assert flags[layout]


# --------------------------------------------------------------------------- generators
def test_every_registered_operator_has_a_generator():
    fuzz.check_generators()
    assert set(fuzz.GENERATORS) == set(registry.OPERATORS)


def test_a_registered_operator_without_a_generator_fails_loudly(monkeypatch):
    row = dataclasses.replace(registry.OPERATORS["avg_pool"], name="fancy_pool")
    monkeypatch.setitem(registry.OPERATORS, "fancy_pool", row)
    with pytest.raises(fuzz.FuzzError, match="no fuzz generator .*fancy_pool"):
        fuzz.check_generators()
    with pytest.raises(fuzz.FuzzError, match="fancy_pool"):
        fuzz.run(calls=1, invalid=0, isolate=False)


def test_a_parameter_without_a_kind_fails_loudly(monkeypatch):
    gen = fuzz.GENERATORS["avg_pool"]
    params = {k: v for k, v in gen.params.items() if k != "divisor_override"}
    monkeypatch.setitem(fuzz.GENERATORS, "avg_pool", fuzz.Generator(gen.valid, params))
    with pytest.raises(fuzz.FuzzError, match="divisor_override"):
        fuzz.check_generators()


# --------------------------------------------------------------------------- it finds bugs
def _patch_cpu(monkeypatch, family, name, wrapper):
    module = __import__(f"refpool.engines.cpu.{family}", fromlist=[name])
    original = getattr(module, name)
    monkeypatch.setattr(module, name, wrapper(original))


def test_a_wrong_result_is_a_mismatch(monkeypatch):
    def wrapper(original):
        def avg_pool(x, out, *args):
            original(x, out, *args)
            out[...] = out * (1 + 1e-3)          # about 1000 ulp in float64 and 8 in float32
        return avg_pool
    _patch_cpu(monkeypatch, "pooling", "avg_pool", wrapper)
    report = fuzz.run(calls=30, invalid=0, seed=1, ops=["avg_pool"], isolate=False)
    bad = _findings(report, "mismatches")
    assert bad and all(f["op"] == "avg_pool" and f["engine"] == "cpu" for f in bad)
    assert report.exit_code == 1
    assert "magnitude-relative" in " ".join(f["detail"] for f in bad)


def test_a_signed_zero_of_an_exact_operator_is_a_mismatch(monkeypatch):
    def wrapper(original):
        def max_pool(x, out, *args):
            original(x, out, *args)
            out[out == 0] = -out[out == 0]       # flips the sign of every zero
        return max_pool
    _patch_cpu(monkeypatch, "pooling", "max_pool", wrapper)
    report = fuzz.run(calls=60, invalid=0, seed=2, ops=["max_pool"], isolate=False)
    details = [f["detail"] for f in _findings(report, "mismatches")]
    assert any("signed zeros differ" in d for d in details)


def test_an_engine_writing_into_its_input_is_reported(monkeypatch):
    def wrapper(original):
        def blur_pool(x, out, *args):
            original(x, out, *args)
            if x.size:
                x[(0,) * x.ndim] = 42.0           # the caller's memory
        return blur_pool
    _patch_cpu(monkeypatch, "antialiased", "blur_pool", wrapper)
    report = fuzz.run(calls=20, invalid=0, seed=3, ops=["blur_pool"], isolate=False)
    modified = _findings(report, "modified_inputs")
    assert modified and all(f["engine"] == "cpu" for f in modified)


def test_an_error_that_does_not_name_the_argument_is_unclear(monkeypatch):
    from refpool import _args

    def check_bool(value, name):
        if not isinstance(value, bool):
            raise ValueError("bad flag")          # does not say which
        return value
    monkeypatch.setattr(_args, "check_bool", check_bool)
    report = fuzz.run(calls=0, invalid=150, seed=4, ops=["max_pool", "avg_pool"],
                      isolate=False)
    unclear = _findings(report, "unclear_errors")
    assert unclear and all("bad flag" in f["detail"] for f in unclear)


def test_an_accepted_invalid_call_is_reported(monkeypatch):
    from refpool import _args
    monkeypatch.setattr(_args, "check_bool", lambda value, name: bool(value))
    report = fuzz.run(calls=0, invalid=150, seed=4, ops=["max_pool", "avg_pool"],
                      isolate=False)
    assert _findings(report, "accepted_invalid")


def test_known_defects_are_reported_apart():
    known = [fuzz.Known("everything", "matches every finding", lambda f, c: True)]
    # a mismatch injected through a KNOWN-free run and one that knows it
    finding = {"kind": "mismatches", "engine": "cpu", "op": "avg_pool", "index": 0,
               "detail": "infinities differ"}
    call = fuzz.make_call(0, 0, ["avg_pool"], True)
    assert fuzz.classify(finding, call, known) == "everything"
    assert fuzz.classify(finding, call, []) is None
    for entry in fuzz.KNOWN:
        assert entry.name and entry.description


# --------------------------------------------------------------------------- isolation
def _abort_in_blur_pool():
    """Worker setup: the CPU blur_pool aborts the process."""
    import refpool.engines.cpu.antialiased as module

    def blur_pool(*args):
        os.abort()
    module.blur_pool = blur_pool


def _hang_in_blur_pool():
    """Worker setup: the CPU blur_pool never returns."""
    import refpool.engines.cpu.antialiased as module

    def blur_pool(*args):
        time.sleep(3600)
    module.blur_pool = blur_pool


def _with_tests_on_path(monkeypatch):
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", TESTS + (os.pathsep + path if path else ""))


def _planned(calls, seed, ops):
    return [c for c in fuzz.plan(calls, 0, seed, ops)]


def test_a_crashing_call_is_isolated_and_named(monkeypatch):
    _with_tests_on_path(monkeypatch)
    ops = ["avg_pool", "blur_pool"]
    planned = _planned(8, 11, ops)
    culprits = [c.index for c in planned if c.op == "blur_pool"]
    assert 1 <= len(culprits) < len(planned)
    report = fuzz.run(calls=8, invalid=0, seed=11, ops=ops, batch=8,
                      worker_setup="test_fuzz:_abort_in_blur_pool", timeout=120)
    crashes = _findings(report, "crashes")
    assert sorted(f["index"] for f in crashes) == culprits
    assert all(f["engine"] == "worker" and "alone" in f["detail"] for f in crashes)
    assert report.counts["valid_calls"] == 8            # the other calls still ran
    assert report.counts["mismatches"] == 0


def test_a_hanging_call_is_detected(monkeypatch):
    _with_tests_on_path(monkeypatch)
    report = fuzz.run(calls=1, invalid=0, seed=12, ops=["blur_pool"],
                      worker_setup="test_fuzz:_hang_in_blur_pool", timeout=3)
    hangs = _findings(report, "hangs")
    assert [f["index"] for f in hangs] == [0]
    assert "no progress" in hangs[0]["detail"]
    assert report.counts["valid_calls"] == 1 and report.exit_code == 1


def test_the_command_line_writes_a_json_report(tmp_path):
    from refpool.cli import main
    path = tmp_path / "fuzz.json"
    code = main(["fuzz", "--calls", "20", "--invalid", "10", "--seed", "3", "--in-process",
                 "--quiet", "--json", str(path)])
    import json
    data = json.loads(path.read_text())
    assert code == (0 if data["ok"] else 1)
    assert data["counts"]["valid_calls"] == 20 and data["counts"]["invalid_calls"] == 10
    for entry in data["findings"] + data["known"]:
        call = fuzz.Call.from_json(entry["call_json"])
        assert entry["op"] == call.op and "run_call" in entry["reproducer"]
