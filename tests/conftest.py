"""Test-suite setup shared by every test module.

* CUDA kernels run on Numba's CUDA simulator unless the caller asks otherwise
  (``NUMBA_ENABLE_CUDASIM=0`` on a machine with a GPU).  The variable must be set
  before numba is imported, hence here.
* Hypothesis profiles: ``ci`` (derandomised, the default under CI=true) and
  ``dev``; choose with ``HYPOTHESIS_PROFILE``.
* The ``slow`` marker: the tests listed in :data:`SLOW` (minutes each on two
  cores) are marked here, so ``python -m pytest -m "not slow"`` is a quick run.
* The bounds-checked re-run (``tests/test_boundscheck.py``) runs a *sample* of
  the differential tests: :data:`BOUNDSCHECK_EXAMPLES` hypothesis examples per
  test instead of the profile's (``REFPOOL_BOUNDSCHECK_EXAMPLES=all`` for every
  example), and reports its progress on the terminal while it runs.
"""

import contextlib
import os
import threading
import time

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# --------------------------------------------------------------------------- slow tests
#: node ids (without parameters) of the slowest tests: each takes tens of seconds to
#: minutes on two cores (cold caches).  ``-m "not slow"`` leaves them out; CI runs them.
SLOW = {
    # the differential tests again, every CPU kernel recompiled with bounds checking
    "tests/test_boundscheck.py::test_cpu_differential_tests_pass_with_bounds_checking",
    # a local Dask cluster of worker processes
    "tests/test_dask_distributed.py",
    # the wheel installed into a fresh virtual environment
    "tests/test_packaging.py::test_wheel_installs_and_imports_in_a_fresh_venv",
    # lax.reduce_window over every general padding (tens of seconds of JAX compiles)
    "tests/test_pooling_dialects.py::test_general_padding_against_lax_reduce_window",
    # every adaptive size against every grid symmetry (tens of seconds)
    "tests/test_exact_symmetries.py::test_adaptive_predicates_are_tight",
    # full Sphinx builds of the docs
    "tests/test_docs.py::test_sphinx_builds_cleanly",
    "tests/test_first_hour.py::test_math_is_served_from_the_built_docs",
    # waits out the fuzzer's per-call timeout on purpose
    "tests/test_fuzz.py::test_a_hanging_call_is_detected",
}


def _is_slow(nodeid):
    path = nodeid.split("::", 1)[0]
    return nodeid.split("[", 1)[0] in SLOW or path in SLOW


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)
    # the bounds-checked re-run is the longest test (minutes of cold compiles in one
    # process): first in line, so that under ``pytest -n`` one worker starts it at once
    # while the others share the rest, instead of it starting late and running alone
    items.sort(key=lambda item: item.nodeid != BOUNDSCHECK_TEST)


# --------------------------------------------------------------------------- bounds-checked re-run
#: hypothesis examples per differential test in the bounds-checked re-run
BOUNDSCHECK_EXAMPLES = 8
BOUNDSCHECK_TEST = (
    "tests/test_boundscheck.py::test_cpu_differential_tests_pass_with_bounds_checking")
#: set by the parent run for the bounds-checked child run: where the child writes progress
PROGRESS_ENV = "REFPOOL_BOUNDSCHECK_PROGRESS"
SAMPLE_ENV = "REFPOOL_BOUNDSCHECK_EXAMPLES"

_IN_BOUNDSCHECK_CHILD = os.environ.get("NUMBA_BOUNDSCHECK") == "1" and PROGRESS_ENV in os.environ

if _IN_BOUNDSCHECK_CHILD and os.environ.get(SAMPLE_ENV, "") != "all":
    settings.register_profile(
        "boundscheck-sample", settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")),
        max_examples=int(os.environ.get(SAMPLE_ENV) or BOUNDSCHECK_EXAMPLES))
    settings.load_profile("boundscheck-sample")


def _progress(line):
    path = os.environ.get(PROGRESS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def pytest_collection_finish(session):
    if _IN_BOUNDSCHECK_CHILD:
        _progress(f"total {len(session.items)}")


def pytest_runtest_logreport(report):
    if _IN_BOUNDSCHECK_CHILD and (report.when == "call" or report.outcome != "passed"):
        _progress(f"done {report.outcome} {report.nodeid}")


class _ProgressRelay(threading.Thread):
    """Copies the child run's progress lines to the terminal while the parent test waits."""

    def __init__(self, config, path):
        super().__init__(daemon=True)
        self.config = config
        self.path = path
        self.stop = threading.Event()
        self.start_time = time.monotonic()
        self.total = None
        self.done = 0
        self.offset = 0

    def _say(self, text):
        capman = self.config.pluginmanager.getplugin("capturemanager")
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        if reporter is None:
            return
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            reporter.write_line(text)

    def _read(self):
        try:
            with open(self.path) as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return
        complete = chunk[:chunk.rfind("\n") + 1]
        self.offset += len(complete)
        for line in complete.splitlines():
            kind, _, rest = line.partition(" ")
            elapsed = time.monotonic() - self.start_time
            if kind == "total":
                self.start_time = time.monotonic()
                self.total = int(rest)
                self._say(f"  [bounds-checked re-run] {self.total} differential tests, "
                          f"{os.environ.get(SAMPLE_ENV) or BOUNDSCHECK_EXAMPLES} examples "
                          f"each (set {SAMPLE_ENV}=all for the whole suite)")
            elif kind == "done":
                self.done += 1
                outcome, _, nodeid = rest.partition(" ")
                self._say(f"  [bounds-checked re-run] {self.done}/{self.total or '?'} "
                          f"{elapsed:5.0f} s  {outcome:<7} {nodeid}")

    def run(self):
        while not self.stop.wait(1.0):
            self._read()
        self._read()


_relay = None


def pytest_configure(config):
    """In the process that owns the terminal (the only process, or the controller of
    ``pytest -n``, whose workers' output is not shown), relay the bounds-checked re-run's
    progress: the workers inherit the progress file's path through the environment."""
    global _relay
    if _IN_BOUNDSCHECK_CHILD or hasattr(config, "workerinput") or PROGRESS_ENV in os.environ:
        return
    import tempfile
    handle, path = tempfile.mkstemp(prefix="refpool-boundscheck-", suffix=".log")
    os.close(handle)
    os.environ[PROGRESS_ENV] = path        # the test copies os.environ into the child's
    _relay = _ProgressRelay(config, path)
    _relay.start()


def pytest_unconfigure(config):
    global _relay
    if _relay is None:
        return
    _relay.stop.set()
    _relay.join()
    os.environ.pop(PROGRESS_ENV, None)
    with contextlib.suppress(FileNotFoundError):
        os.remove(_relay.path)
    _relay = None
