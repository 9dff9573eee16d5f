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

A golden run (:func:`refpool.conformance.golden.iter_golden`) has a fifth:

``error``
    the case could not be run: its stored arrays could not be read (a damaged
    or missing archive, a checksum mismatch, a shape or dtype that disagrees
    with the manifest) or the manifest entry is bad (an unknown operator).

A case is *compared* when the adapter returned an output that was compared with
the expected one (``passed``, ``failed`` or ``known-divergence``).

:attr:`Report.exit_code` sums a run up for the command line: 0 when every case
passed (known divergences and unsupported cases allowed) and at least one case
was compared, 1 when a case failed or when no case was compared (every case
unsupported; allowed with ``allow_unsupported=True``), 2 when the run could not
be completed (a case in ``error``, or no case at all).
"""

from __future__ import annotations

import functools
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
ERROR = "error"
STATES = (PASSED, FAILED, KNOWN, UNSUPPORTED, ERROR)
#: the states of a case whose output was compared with the expected one
COMPARED = (PASSED, FAILED, KNOWN)

#: exit codes of ``refpool conformance`` (see :attr:`Report.exit_code`)
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class ConformanceError(ValueError):
    """A conformance run that cannot be carried out (unknown operators, bad golden files)."""


@functools.lru_cache(maxsize=1)
def known_operators():
    """The operators of :data:`refpool.registry.OPERATORS` (a frozenset of names); the
    catalogue has cases for every one of them (``tests/test_registry.py``)."""
    from ..registry import OPERATORS
    return frozenset(OPERATORS)


def check_ops(ops):
    """``ops`` as a list of operator names; :class:`ConformanceError` naming ``ops`` for an
    empty selection or an unknown name (a typo must not run zero cases and pass).  The
    message lists the valid names, those of :data:`refpool.registry.OPERATORS`."""
    if ops is None:
        return None
    if isinstance(ops, str):
        ops = [ops]
    ops = list(dict.fromkeys(ops))
    if not ops:
        raise ConformanceError("ops: no operators selected")
    known = known_operators()
    unknown = [op for op in ops if op not in known]
    if unknown:
        raise ConformanceError(f"ops: unknown operator(s) {', '.join(map(repr, unknown))}; "
                               f"valid operators: {', '.join(sorted(known))} "
                               f"(refpool ops describes them)")
    return ops

#: names accepted by ``--against`` besides ``module:object`` paths
BUILTIN_ADAPTERS = {
    "cpu": "refpool.conformance.adapters.engine:cpu",
    "cuda": "refpool.conformance.adapters.engine:cuda",
    "reference": "refpool.conformance.adapters.engine:reference",
    "torch": "refpool.conformance.adapters.torch",
    "e2cnn": "refpool.conformance.adapters.e2cnn",
    "antialiased_cnns": "refpool.conformance.adapters.antialiased_cnns",
    "jax": "refpool.conformance.adapters.jax",
    "onnxruntime": "refpool.conformance.adapters.onnxruntime",
}


#: how to install what a builtin adapter imports (by the name of the missing module)
INSTALL_HINTS = {
    "torch": "pip install torch",
    "e2cnn": "pip install --no-deps e2cnn",
    "antialiased_cnns": "pip install --no-deps antialiased-cnns",
    "jax": "pip install jax",
    "jaxlib": "pip install jax",
    "onnxruntime": "pip install onnxruntime onnx",
    "onnx": "pip install onnx",
    "numba_cuda": "pip install numba-cuda",
}


def load_adapter(spec):
    """An adapter from a builtin name, ``package.module`` or ``package.module:object``."""
    if not isinstance(spec, str):
        return spec
    spec = BUILTIN_ADAPTERS.get(spec, spec)
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def open_adapter(spec, option="--against"):
    """:func:`load_adapter`, with a one-line :class:`ConformanceError` that says what to do
    when the adapter cannot be loaded: the builtin names and the ``module:object`` form for
    a name that is neither, the ``pip install`` for a missing peer library, the missing
    attribute for a bad ``:object``.  ``option`` names the setting in the message."""
    try:
        return load_adapter(spec)
    except ImportError as exc:
        raise ConformanceError(_explain_import_error(spec, exc, option)) from exc
    except AttributeError as exc:
        raise ConformanceError(f"{option} {spec!r}: {exc}; give module:object with an "
                               "object the module defines") from exc


def _explain_import_error(spec, exc, option):
    builtin = spec in BUILTIN_ADAPTERS
    module_name = BUILTIN_ADAPTERS.get(spec, spec).partition(":")[0]
    missing = getattr(exc, "name", None)
    if not builtin and (missing is None or missing == module_name
                        or module_name.startswith(missing + ".")):
        return (f"{option} {spec!r}: no builtin adapter and no importable module of that "
                f"name; builtin adapters: {', '.join(BUILTIN_ADAPTERS)}; or your own as "
                f"module or module:object (importable, e.g. on PYTHONPATH: "
                f"{option} mypkg.refpool_adapter:Adapter)")
    top = (missing or "").partition(".")[0]
    hint = INSTALL_HINTS.get(top, f"pip install {top}" if top else "install it")
    if builtin:
        return (f"{option} {spec}: the {spec} adapter needs {top or 'a module'}, which "
                f"cannot be imported ({exc}); install it: {hint}")
    return (f"{option} {spec!r}: importing {module_name} failed: {exc}; install what it "
            f"needs (e.g. {hint}) or fix the module")


def adapter_name(adapter):
    return getattr(adapter, "NAME", getattr(adapter, "__name__", type(adapter).__name__))


@dataclass
class Outcome:
    case: object
    state: str
    error: float = 0.0
    detail: str = ""
    #: wall time of the case (adapter call, reference and comparison), for JUnit reports
    seconds: float = 0.0


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


def run_case(adapter, case, expected=None, x=None):
    """Run one case through ``adapter``.

    ``x`` is the input (default: regenerated from the case's seed, ``case.make_input()``);
    a golden run passes the stored input.  ``expected`` defaults to the reference
    engine's output on ``x``.  The adapter gets a copy of ``x``.
    """
    start = time.perf_counter()
    outcome = _run_case(adapter, case, expected, x)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _run_case(adapter, case, expected, x):
    import refpool
    fn = getattr(adapter, case.op, None)
    if fn is None:
        return Outcome(case, UNSUPPORTED, detail="adapter has no such operator")
    if x is None:
        x = case.make_input()
    kwargs = case.call_kwargs()
    if expected is None:
        expected = getattr(refpool, case.op)(x, **kwargs, engine="reference")
    known = _known(adapter, case)
    try:
        actual = fn(x.copy(), **kwargs)
    except NotImplementedError as exc:
        return Outcome(case, UNSUPPORTED, detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - any crash of the adapter is a result
        state = KNOWN if known else FAILED
        return Outcome(case, state, float("inf"),
                       known or f"{type(exc).__name__}: {exc}")
    # linear operators: the error bound is relative to the terms summed (compare.py)
    result = compare(actual, expected, case.exact, call=(case.op, x, kwargs))
    if result.ok:
        return Outcome(case, PASSED, result.max_abs_error)
    if known:
        return Outcome(case, KNOWN, result.max_abs_error, known)
    return Outcome(case, FAILED, result.max_abs_error, result.detail)


def _listed(outcomes, title, most):
    """Report lines listing up to ``most`` outcomes under ``title`` (none when empty)."""
    if not outcomes:
        return []
    lines = ["", f"{len(outcomes)} {title}:"]
    lines += [f"  {o.case.id}: {o.detail}" for o in outcomes[:most]]
    if len(outcomes) > most:
        lines.append(f"  ... and {len(outcomes) - most} more (see --json)")
    return lines


class Report:
    """Per-operator counts, worst errors and the failing cases of one run.

    ``against`` says what the adapter was compared with (default: the reference
    engine; a golden run names its directory).  ``allow_unsupported`` lets a run in
    which no case was compared (every case unsupported) pass.
    """

    def __init__(self, adapter, outcomes, seconds, *, against=None, allow_unsupported=False):
        self.adapter = adapter_name(adapter)
        self.outcomes = outcomes
        self.seconds = seconds
        self.against = against or "the refpool reference engine"
        self.allow_unsupported = bool(allow_unsupported)

    def count(self, *states):
        """How many cases ended in one of ``states``."""
        return sum(o.state in states for o in self.outcomes)

    @property
    def compared(self):
        """How many cases had their output compared (passed, failed or known divergence)."""
        return self.count(*COMPARED)

    @property
    def ok(self):
        """Whether the run compared something and every case passed (known divergences and
        unsupported cases allowed)."""
        return self.exit_code == EXIT_PASSED

    @property
    def exit_code(self):
        """0: every case passed and at least one was compared; 1: a case failed, or no case
        was compared (every case unsupported) and ``allow_unsupported`` is false; 2: the
        run could not be completed (a case in ``error``, or no case ran).  2 wins over 1."""
        if not self.outcomes or any(o.state == ERROR for o in self.outcomes):
            return EXIT_ERROR
        if any(o.state == FAILED for o in self.outcomes):
            return EXIT_FAILED
        if self.compared == 0 and not self.allow_unsupported:
            return EXIT_FAILED
        return EXIT_PASSED

    def summary(self):
        table = OrderedDict()
        for o in self.outcomes:
            row = table.setdefault(o.case.op, {**{s: 0 for s in STATES}, "worst_error": 0.0})
            row[o.state] += 1
            if o.state in (PASSED, FAILED) and o.error != float("inf"):
                row["worst_error"] = max(row["worst_error"], o.error)
        return table

    def to_json(self):
        return {"adapter": self.adapter, "against": self.against,
                "refpool_version": __version__,
                "seconds": round(self.seconds, 3), "ok": self.ok,
                "exit_code": self.exit_code,
                "cases": len(self.outcomes), "compared": self.compared,
                "allow_unsupported": self.allow_unsupported,
                "summary": self.summary(),
                "failures": [{"id": o.case.id, "error": o.error, "detail": o.detail}
                             for o in self.outcomes if o.state == FAILED],
                "errors": [{"id": o.case.id, "detail": o.detail}
                           for o in self.outcomes if o.state == ERROR],
                "known_divergences": [{"id": o.case.id, "reason": o.detail}
                                      for o in self.outcomes if o.state == KNOWN]}

    def totals(self):
        """The closing line's counts: ``"741 cases: 0 compared, 741 unsupported"``, with
        the failed, known-divergence and error counts where there are any."""
        compared = f"{self.compared} compared"
        parts = [f"{self.count(s)} {label}" for s, label in
                 ((FAILED, "failed"), (KNOWN, "known divergences")) if self.count(s)]
        if parts:
            compared += f" ({', '.join(parts)})"
        text = f"{len(self.outcomes)} cases: {compared}, {self.count(UNSUPPORTED)} unsupported"
        if self.count(ERROR):
            text += f", {self.count(ERROR)} could not be run"
        return text

    def format(self, max_failures=20):
        lines = [f"conformance of {self.adapter} against {self.against} "
                 f"(refpool {__version__})", ""]
        errors = [o for o in self.outcomes if o.state == ERROR]
        header = (f"{'operator':<24}{'passed':>8}{'failed':>8}{'known':>8}{'unsupp.':>9}"
                  + (f"{'errors':>8}" if errors else "") + f"{'worst error':>14}")
        lines += [header, "-" * len(header)]
        for op, row in self.summary().items():
            lines.append(f"{op:<24}{row[PASSED]:>8}{row[FAILED]:>8}{row[KNOWN]:>8}"
                         f"{row[UNSUPPORTED]:>9}" + (f"{row[ERROR]:>8}" if errors else "")
                         + f"{row['worst_error']:>14.3g}")
        failures = [o for o in self.outcomes if o.state == FAILED]
        lines += _listed(failures, "failing case(s)", max_failures)
        lines += _listed(errors, "case(s) could not be run", max_failures)
        reasons = OrderedDict()
        for o in self.outcomes:
            if o.state == KNOWN:
                reasons[o.detail] = reasons.get(o.detail, 0) + 1
        if reasons:
            lines += ["", "known divergences:"]
            lines += [f"  {n:>4} x {reason}" for reason, n in reasons.items()]
        verdict = {EXIT_PASSED: "PASS", EXIT_FAILED: "FAIL", EXIT_ERROR: "ERROR"}[self.exit_code]
        if not self.outcomes:
            lines += ["", f"{verdict} (no cases ran) - 0 cases in {self.seconds:.1f} s"]
            return "\n".join(lines)
        if self.compared == 0 and not errors:
            lines += ["", "nothing was compared: the adapter supports none of these cases"
                      + (" (allowed by --allow-unsupported)" if self.allow_unsupported else
                         "; choose operators it implements with --ops, or pass "
                         "--allow-unsupported to accept this")]
        lines += ["", f"{verdict} - {self.totals()} in {self.seconds:.1f} s"]
        return "\n".join(lines)


def run(adapter, cases=None, ops=None, progress=None, allow_unsupported=False):
    """Run ``cases`` (default: the whole catalogue, or the cases of ``ops``).

    Raises :class:`ConformanceError` naming ``ops`` when ``ops`` holds an unknown
    operator name.  A run of no cases has ``exit_code`` 2 and is not ``ok``; a run in
    which every case was unsupported has ``exit_code`` 1 unless ``allow_unsupported``.
    """
    adapter = load_adapter(adapter)
    if cases is None:
        cases = catalog(check_ops(ops))
    outcomes = []
    start = time.perf_counter()
    for i, case in enumerate(cases):
        outcomes.append(run_case(adapter, case))
        if progress:
            progress(i + 1, len(cases), case)
    return Report(adapter, outcomes, time.perf_counter() - start,
                  allow_unsupported=allow_unsupported)


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


def junit_xml(report):
    """The report as JUnit XML (a string): one ``testsuite`` per run, one ``testcase`` per
    case (``classname`` ``refpool.<operator>``, ``name`` the case id), with ``failure``
    for a failed case, ``error`` for a case that could not be run and ``skipped`` for an
    unsupported case or a known divergence.  A run that compared nothing without
    ``allow_unsupported`` gets one extra failing testcase, so that CI tools that read
    only the XML do not count it as a pass."""
    import xml.etree.ElementTree as ET
    outcomes = list(report.outcomes)
    suite = ET.Element("testsuite", name=f"refpool conformance: {report.adapter}",
                       timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"),
                       time=f"{report.seconds:.3f}")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="against",
                  value=report.against)
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"refpool.{o.case.op}",
                             name=o.case.id, time=f"{o.seconds:.6f}")
        if o.state == FAILED:
            message = o.detail.splitlines()[0] if o.detail else "failed"
            ET.SubElement(case, "failure", message=message,
                          type="mismatch").text = (f"{o.detail}\nmax abs error: {o.error}")
        elif o.state == ERROR:
            ET.SubElement(case, "error", message=o.detail or "could not be run",
                          type="could-not-run").text = o.detail
        elif o.state == UNSUPPORTED:
            ET.SubElement(case, "skipped", message=f"unsupported: {o.detail}",
                          type="unsupported")
        elif o.state == KNOWN:
            ET.SubElement(case, "skipped", message=f"known divergence: {o.detail}",
                          type="known-divergence")
    failures = report.count(FAILED)
    if outcomes and report.compared == 0 and not report.allow_unsupported \
            and not report.count(ERROR):
        case = ET.SubElement(suite, "testcase", classname="refpool", name="something-compared",
                             time="0")
        ET.SubElement(case, "failure", type="nothing-compared",
                      message="no case was compared: every case is unsupported")
        failures += 1
    suite.set("tests", str(len(suite.findall("testcase"))))
    suite.set("failures", str(failures))
    suite.set("errors", str(report.count(ERROR)))
    suite.set("skipped", str(report.count(UNSUPPORTED, KNOWN)))
    root = ET.Element("testsuites", name="refpool conformance")
    root.append(suite)
    for attr in ("tests", "failures", "errors", "skipped", "time"):
        root.set(attr, suite.get(attr))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(report, path):
    """Write :func:`junit_xml` of ``report`` to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(junit_xml(report) + "\n")
