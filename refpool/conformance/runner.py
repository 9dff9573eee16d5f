"""Run the catalogue against an adapter and summarise.

Each case ends in one of four states:

``passed``
    the adapter's output matches the reference within the case's tolerance;
``failed``
    it does not (or the adapter raised an unexpected error);
``known-divergence``
    it does not, but the adapter declared the case a documented divergence
    (SPEC.md §8, e.g. escnn's double padding);
``unsupported``
    the adapter raised ``NotImplementedError``.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from .._version import __version__
from .catalog import catalog
from .compare import compare

PASSED, FAILED, KNOWN, UNSUPPORTED = "passed", "failed", "known-divergence", "unsupported"
STATES = (PASSED, FAILED, KNOWN, UNSUPPORTED)

#: names accepted by ``--against`` besides ``module:object`` paths
BUILTIN_ADAPTERS = {
    "cpu": "refpool.conformance.adapters.engine:cpu",
    "cuda": "refpool.conformance.adapters.engine:cuda",
    "reference": "refpool.conformance.adapters.engine:reference",
    "torch": "refpool.conformance.adapters.torch",
    "e2cnn": "refpool.conformance.adapters.e2cnn",
    "antialiased_cnns": "refpool.conformance.adapters.antialiased_cnns",
    "jax": "refpool.conformance.adapters.jax",
}


def load_adapter(spec):
    """An adapter from a builtin name, ``package.module`` or ``package.module:object``."""
    if not isinstance(spec, str):
        return spec
    spec = BUILTIN_ADAPTERS.get(spec, spec)
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def adapter_name(adapter):
    return getattr(adapter, "NAME", getattr(adapter, "__name__", type(adapter).__name__))


@dataclass
class Outcome:
    case: object
    state: str
    error: float = 0.0
    detail: str = ""


def _known(adapter, case):
    check = getattr(adapter, "known_divergence", None)
    if check is None:
        return None
    import inspect
    try:
        accepts_dtype = "dtype" in inspect.signature(check).parameters
    except (TypeError, ValueError):
        accepts_dtype = False
    if accepts_dtype:
        return check(case.op, case.kwargs, case.shape, dtype=case.dtype)
    return check(case.op, case.kwargs, case.shape)


def run_case(adapter, case, expected=None):
    """Run one case through ``adapter``; ``expected`` defaults to the reference engine."""
    import refpool
    x = case.make_input()
    kwargs = case.call_kwargs()
    if expected is None:
        expected = getattr(refpool, case.op)(x, **kwargs, engine="reference")
    fn = getattr(adapter, case.op, None)
    if fn is None:
        return Outcome(case, UNSUPPORTED, detail="adapter has no such operator")
    known = _known(adapter, case)
    try:
        actual = fn(x.copy(), **kwargs)
    except NotImplementedError as exc:
        return Outcome(case, UNSUPPORTED, detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - any crash of the adapter is a result
        state = KNOWN if known else FAILED
        return Outcome(case, state, float("inf"),
                       known or f"{type(exc).__name__}: {exc}")
    result = compare(actual, expected, case.exact)
    if result.ok:
        return Outcome(case, PASSED, result.max_abs_error)
    if known:
        return Outcome(case, KNOWN, result.max_abs_error, known)
    return Outcome(case, FAILED, result.max_abs_error, result.detail)


class Report:
    """Per-operator counts, worst errors and the failing cases of one run."""

    def __init__(self, adapter, outcomes, seconds):
        self.adapter = adapter_name(adapter)
        self.outcomes = outcomes
        self.seconds = seconds

    @property
    def ok(self):
        return not any(o.state == FAILED for o in self.outcomes)

    def summary(self):
        table = OrderedDict()
        for o in self.outcomes:
            row = table.setdefault(o.case.op, {**{s: 0 for s in STATES}, "worst_error": 0.0})
            row[o.state] += 1
            if o.state in (PASSED, FAILED) and o.error != float("inf"):
                row["worst_error"] = max(row["worst_error"], o.error)
        return table

    def to_json(self):
        return {"adapter": self.adapter, "refpool_version": __version__,
                "seconds": round(self.seconds, 3), "ok": self.ok,
                "summary": self.summary(),
                "failures": [{"id": o.case.id, "error": o.error, "detail": o.detail}
                             for o in self.outcomes if o.state == FAILED],
                "known_divergences": [{"id": o.case.id, "reason": o.detail}
                                      for o in self.outcomes if o.state == KNOWN]}

    def format(self, max_failures=20):
        lines = [f"conformance of {self.adapter} against the refpool reference "
                 f"(refpool {__version__})", ""]
        header = f"{'operator':<24}{'passed':>8}{'failed':>8}{'known':>8}{'unsupp.':>9}" \
                 f"{'worst error':>14}"
        lines += [header, "-" * len(header)]
        for op, row in self.summary().items():
            lines.append(f"{op:<24}{row[PASSED]:>8}{row[FAILED]:>8}{row[KNOWN]:>8}"
                         f"{row[UNSUPPORTED]:>9}{row['worst_error']:>14.3g}")
        failures = [o for o in self.outcomes if o.state == FAILED]
        if failures:
            lines += ["", f"{len(failures)} failing case(s):"]
            for o in failures[:max_failures]:
                lines.append(f"  {o.case.id}: {o.detail}")
            if len(failures) > max_failures:
                lines.append(f"  ... and {len(failures) - max_failures} more (see --json)")
        reasons = OrderedDict()
        for o in self.outcomes:
            if o.state == KNOWN:
                reasons[o.detail] = reasons.get(o.detail, 0) + 1
        if reasons:
            lines += ["", "known divergences:"]
            lines += [f"  {n:>4} x {reason}" for reason, n in reasons.items()]
        lines += ["", f"{'PASS' if self.ok else 'FAIL'} - {len(self.outcomes)} cases "
                      f"in {self.seconds:.1f} s"]
        return "\n".join(lines)


def run(adapter, cases=None, ops=None, progress=None):
    """Run ``cases`` (default: the whole catalogue, or the cases of ``ops``)."""
    adapter = load_adapter(adapter)
    cases = catalog(ops) if cases is None else cases
    outcomes = []
    start = time.perf_counter()
    for i, case in enumerate(cases):
        outcomes.append(run_case(adapter, case))
        if progress:
            progress(i + 1, len(cases), case)
    return Report(adapter, outcomes, time.perf_counter() - start)


def progress_bar(stream=sys.stderr, width=30):
    """A dependency-free progress bar callback for :func:`run`."""
    tty = hasattr(stream, "isatty") and stream.isatty()
    redraws = 200

    def update(done, total, case):
        # redraw in place on a terminal; elsewhere (CI logs) print every 10 %
        every = max(1, total // (redraws if tty else 10))
        if done != total and done % every:
            return
        filled = int(width * done / total)
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {case.op:<22}"
        stream.write(("\r" + bar) if tty else (bar.rstrip() + "\n"))
        if tty and done == total:
            stream.write("\n")
        stream.flush()
    return update


def write_json(report, path):
    with open(path, "w") as f:
        json.dump(report.to_json(), f, indent=2)
