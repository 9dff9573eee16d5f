"""``refpool selfcheck``: the conformance catalogue through every available engine.

The CPU engine runs the whole catalogue; the CUDA engine runs all of it on a
GPU, and a stratified subset (every ``simulator_stride``-th case of each
operator) on Numba's CUDA simulator, which executes one Python thread per CUDA
thread.  torch, when installed, runs the whole catalogue as a peer.

The selfcheck fails (exit status 1) when a case fails or could not be run
(``failed`` or ``error``).
"""

from __future__ import annotations

import importlib
import os

from . import runner
from .catalog import catalog


def simulator_active():
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _subset(cases, stride):
    by_op = {}
    for case in cases:
        by_op.setdefault(case.op, []).append(case)
    return [c for group in by_op.values() for c in group[::stride]]


def run_selfcheck(engines=None, use_peers=True, out=None, simulator_stride=8,
                  progress=True):
    from .._dispatch import cuda_available
    cases = catalog()
    targets = []
    for engine in engines or ("cpu", "cuda"):
        if engine == "cuda":
            if not cuda_available():
                print("cuda: unavailable (no GPU and NUMBA_ENABLE_CUDASIM not set)", file=out)
                continue
            label = "cuda (simulator)" if simulator_active() else "cuda"
            subset = _subset(cases, simulator_stride) if simulator_active() else cases
            targets.append((label, engine, subset))
        else:
            targets.append((engine, engine, cases))
    if use_peers:
        try:
            importlib.import_module("torch")
            targets.append(("torch", "torch", cases))
        except ImportError:
            print("torch: not installed, peer comparison skipped", file=out)
    failures = 0
    summary = []
    for label, adapter, subset in targets:
        print(f"\n== {label}: {len(subset)} cases against the reference engine", file=out)
        report = runner.run(adapter, cases=subset,
                            progress=runner.progress_bar() if progress else None)
        print(report.format(max_failures=10), file=out)
        # a case that could not be run counts as a failure: nothing was checked there
        failures += report.count(runner.FAILED, runner.ERROR)
        summary.append((label, report))
    print("\n== summary", file=out)
    for label, report in summary:
        counts = {s: sum(o.state == s for o in report.outcomes) for s in runner.STATES}
        print(f"{label:<18} " + "  ".join(f"{counts[s]} {s}" for s in runner.STATES), file=out)
    print("selfcheck " + ("PASSED" if failures == 0 else f"FAILED ({failures} cases)"),
          file=out)
    return 1 if failures else 0
