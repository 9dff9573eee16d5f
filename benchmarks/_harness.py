"""Timing helpers shared by the benchmark scripts (not part of the package).

Times are the median of ``repeat`` runs after a warm-up call (which also
compiles).  Effective bandwidth counts the bytes the operator must move at least
once: the input read and the output written.
"""

from __future__ import annotations

import json
import os
import platform
import time

import numpy as np


def set_threads(n):
    """Use ``n`` threads in Numba and, when present, torch."""
    import numba
    numba.set_num_threads(n)
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass


def timing_stats(fn, repeat=15, warmup=2):
    """(median, best, worst) in ms of ``repeat`` calls after ``warmup`` calls; the
    best is the least disturbed run on a shared machine, best to worst the spread."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return (float(np.median(times)) * 1e3, float(np.min(times)) * 1e3,
            float(np.max(times)) * 1e3)


def timings(fn, repeat=15, warmup=2):
    """(median, best) in ms (:func:`timing_stats`)."""
    return timing_stats(fn, repeat, warmup)[:2]


def timeit(fn, repeat=15, warmup=2):
    """The median in ms (:func:`timings`)."""
    return timings(fn, repeat, warmup)[0]


def copy_ms(x, repeat=15):
    """The bandwidth yardstick: NumPy copying the input's bytes into a warm buffer."""
    dst = np.empty_like(x)
    return timeit(lambda: np.copyto(dst, x), repeat)


def gbps(nbytes, ms):
    return nbytes / (ms * 1e-3) / 1e9


def torch_or_none():
    try:
        import torch
        return torch
    except ImportError:
        return None


def write_json(path, rows, meta):
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=2)


def meta(threads):
    import numba
    return {"threads": threads, "machine": platform.machine(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__,
            "torch": getattr(torch_or_none(), "__version__", None),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")}


def print_table(rows, columns):
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths)))


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)
