"""pytest plugin: run refpool's conformance catalogue against your implementation.

Installed with refpool (entry point ``pytest11``).  Inert unless asked::

    pytest --refpool-adapter=mypkg.refpool_adapter [--refpool-ops max_pool avg_pool]

adds one test per catalogue case, with ids such as
``refpool::max_pool/2x3x7/kernel_size=3,stride=2,padding=1,dilation=1,ceil_mode=True/float32``.
Known divergences declared by the adapter are reported as xfail, operators it
lacks (``NotImplementedError``) as skipped; failed cases, and cases that could not be
run (the ``error`` state), fail.  An adapter that cannot be loaded or an unknown
operator in ``--refpool-ops`` stops the session with a one-line usage error.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("refpool", "refpool conformance")
    group.addoption("--refpool-adapter", default=None, metavar="MODULE[:OBJECT]",
                    help="run refpool's conformance catalogue against this adapter")
    group.addoption("--refpool-ops", nargs="+", default=None, metavar="OP",
                    help="only the cases of these operators")


class ConformanceItem(pytest.Item):
    def __init__(self, *, case, adapter, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.adapter = adapter

    def runtest(self):
        from .runner import PASSED, KNOWN, UNSUPPORTED, run_case
        outcome = run_case(self.adapter, self.case)
        if outcome.state == UNSUPPORTED:
            pytest.skip(f"unsupported: {outcome.detail}")
        if outcome.state == KNOWN:
            pytest.xfail(f"known divergence: {outcome.detail}")
        if outcome.state != PASSED:          # failed, or error: could not be run
            raise ConformanceFailure(outcome)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ConformanceFailure):
            o = excinfo.value.outcome
            return (f"{o.case.id}\n  kwargs: {o.case.kwargs}\n  input: shape {o.case.shape}, "
                    f"{o.case.dtype}, seed {o.case.seed}"
                    f"{', with NaN/inf' if o.case.specials else ''}\n  {o.detail}")
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"refpool::{self.case.id}"


class ConformanceFailure(AssertionError):
    def __init__(self, outcome):
        super().__init__(outcome.detail)
        self.outcome = outcome


class ConformanceCollector(pytest.Collector):
    def __init__(self, *, adapter, ops, **kwargs):
        super().__init__(**kwargs)
        self.adapter = adapter
        self.ops = ops

    def collect(self):
        from .catalog import catalog
        for case in catalog(self.ops):
            yield ConformanceItem.from_parent(self, name=case.id, case=case,
                                              adapter=self.adapter)


def pytest_collection_modifyitems(session, config, items):
    spec = config.getoption("--refpool-adapter")
    if not spec:
        return
    from .runner import ConformanceError, check_ops, open_adapter
    try:
        ops = check_ops(config.getoption("--refpool-ops"))
        adapter = open_adapter(spec, option="--refpool-adapter")
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    collector = ConformanceCollector.from_parent(session, name="refpool", adapter=adapter,
                                                 ops=ops)
    items.extend(collector.collect())
