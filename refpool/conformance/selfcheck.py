"""``refpool selfcheck``: every operator, every available engine, a few cases."""

from __future__ import annotations

import importlib

import numpy as np

from .compare import compare, make_input
from .operators import OPERATORS


def _peer_adapter():
    try:
        return importlib.import_module("refpool.conformance.adapters.torch")
    except ImportError:
        return None


def _engines(requested):
    from .._dispatch import cuda_available
    engines = ["cpu", "cuda"] if requested is None else list(requested)
    status = {}
    for engine in engines:
        status[engine] = engine == "cpu" or cuda_available()
    return status


def _call(op, shape, kwargs, x, engine):
    return op.function(x, **kwargs, engine=engine)


def run_selfcheck(engines=None, use_peers=True, out=None):
    """Run the sample cases of every operator; print a table; return an exit code."""
    status = _engines(engines)
    peer = _peer_adapter() if use_peers else None
    columns = [e for e, ok in status.items()] + (["torch"] if peer else [])
    header = f"{'operator':<24}{'cases':>6}  " + "".join(f"{c:<22}" for c in columns)
    print(header, file=out)
    print("-" * len(header), file=out)
    failures = 0
    for op in OPERATORS.values():
        cells = {c: [0, 0, 0.0, ""] for c in columns}   # passed, total, worst, note
        for i, (shape, kwargs) in enumerate(op.samples):
            for dtype in (np.float32, np.float64):
                x = make_input(shape, dtype, seed=1000 + i, specials=op.exact)
                expected = _call(op, shape, kwargs, x, "reference")
                for engine, available in status.items():
                    cell = cells[engine]
                    if not available:
                        cell[3] = "unavailable"
                        continue
                    result = compare(_call(op, shape, kwargs, x, engine), expected, op.exact)
                    cell[0] += result.ok
                    cell[1] += 1
                    cell[2] = max(cell[2], result.max_abs_error)
                if peer is not None:
                    cell = cells["torch"]
                    fn = getattr(peer, op.name, None)
                    if fn is None or peer.known_divergence(op.name, kwargs, shape):
                        continue
                    try:
                        got = fn(x, **kwargs)
                    except NotImplementedError:
                        continue
                    result = compare(got, expected, op.exact)
                    cell[0] += result.ok
                    cell[1] += 1
                    cell[2] = max(cell[2], result.max_abs_error)
        row = f"{op.name:<24}{2 * len(op.samples):>6}  "
        for c in columns:
            passed, total, worst, note = cells[c]
            if note and total == 0:
                text = note
            elif total == 0:
                text = "n/a"
            else:
                text = f"{passed}/{total} ok, err {worst:.1e}"
                failures += total - passed
            row += f"{text:<22}"
        print(row, file=out)
    print(f"\n{'all engines agree with the reference' if failures == 0 else f'{failures} FAILED'}"
          f" ({', '.join(e for e, ok in status.items() if ok)}"
          f"{', torch' if peer else ''})", file=out)
    return 1 if failures else 0
