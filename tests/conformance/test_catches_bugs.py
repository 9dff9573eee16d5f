"""The conformance runner fails exactly the cases a bug affects, and passes the rest."""

import numpy as np
import pytest

from refpool.conformance import runner
from refpool.conformance.catalog import catalog

import broken_adapters  # noqa: E402  (tests/conformance is on sys.path via rootdir conftest)


def _states(adapter, ops):
    report = runner.run(adapter, ops=ops)
    return {o.case.id: o.state for o in report.outcomes}, report


def _axis_windows(n, k, s, p, ceil_mode, count_include_pad, shift):
    """(in-bounds positions, divisor) of every window along one axis, walking the
    windows by hand; ``shift`` moves the padding one step to the right (the bug,
    which also counts its explicit zero padding in the divisor)."""
    left = p - shift
    length = n + 2 * p
    starts = []
    start = 0
    while start + k <= length:
        starts.append(start)
        start += s
    if ceil_mode and starts and starts[-1] + k < length and start < length - (p if not shift
                                                                               else 0):
        starts.append(start)
    windows = []
    for st in starts:
        taps = [q for q in range(st, st + k) if q < length]
        inside = tuple(q - left for q in taps if 0 <= q - left < n)
        counted = len(taps) if (count_include_pad or shift) else len(inside)
        windows.append((inside, counted))
    return windows


def _off_by_one_changes(case):
    nd = len(case.shape) - 2
    kw = case.kwargs
    k = np.broadcast_to(kw["kernel_size"], (nd,))
    s = np.broadcast_to(kw["stride"] if kw.get("stride") is not None else kw["kernel_size"],
                        (nd,))
    p = np.broadcast_to(kw.get("padding", 0), (nd,))
    if not np.any(p > 0):
        return False
    cip = kw.get("count_include_pad", True)
    ceil = kw.get("ceil_mode", False)
    for n, ki, si, pi in zip(case.shape[2:], k, s, p):
        good = _axis_windows(n, ki, si, pi, ceil, cip, 0)
        bad = _axis_windows(n, ki, si, pi, ceil, cip, 1 if pi > 0 else 0)
        if kw.get("divisor_override") is not None:
            good = [w for w, _ in good]
            bad = [w for w, _ in bad]
        if good != bad:
            return True
    return False


def test_off_by_one_padding_fails_exactly_the_cases_whose_windows_move():
    states, report = _states(broken_adapters.OffByOnePadding(), ["avg_pool"])
    cases = catalog(["avg_pool"])
    predicted = {c.id for c in cases if _off_by_one_changes(c)}
    failed = {cid for cid, s in states.items() if s == runner.FAILED}
    assert predicted and failed == predicted
    assert all(s == runner.PASSED for cid, s in states.items() if cid not in predicted)
    assert not report.ok


def test_floor_adaptive_windows_fail_exactly_when_o_does_not_divide_n():
    states, _ = _states(broken_adapters.FloorAdaptiveWindows(), ["adaptive_avg_pool"])
    predicted = set()
    for c in catalog(["adaptive_avg_pool"]):
        spatial = c.shape[2:]
        o = np.broadcast_to(np.array(c.kwargs["output_size"], dtype=object), (len(spatial),))
        if any(oi is not None and n % oi for n, oi in zip(spatial, o)):
            predicted.add(c.id)
    failed = {cid for cid, s in states.items() if s == runner.FAILED}
    assert predicted and failed == predicted
    assert len(states) > len(predicted)
