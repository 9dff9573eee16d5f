"""Windowed and adaptive pooling: refpool's CPU engine vs torch CPU vs a NumPy copy.

    python benchmarks/bench_pooling.py [--threads 2] [--json results/pooling.json]

For each case: refpool time with a preallocated output (``out=``) and with a
fresh one, torch's time at the same thread count, the speed-up, the effective
bandwidth (input + output bytes / time) and its fraction of NumPy's copy
bandwidth on the same input.
"""

from __future__ import annotations

import argparse

import numpy as np

import refpool
from _harness import copy_ms, gbps, meta, print_table, set_threads, timeit, torch_or_none, \
    write_json

SHAPES = [(16, 64, 128, 128), (1, 8, 1024, 1024)]
CASES = [
    ("max_pool k2 s2", lambda x, **o: refpool.max_pool(x, 2, 2, **o),
     lambda t, F: F.max_pool2d(t, 2, 2)),
    ("max_pool k3 s2 p1", lambda x, **o: refpool.max_pool(x, 3, 2, 1, **o),
     lambda t, F: F.max_pool2d(t, 3, 2, 1)),
    ("avg_pool k2 s2", lambda x, **o: refpool.avg_pool(x, 2, 2, **o),
     lambda t, F: F.avg_pool2d(t, 2, 2)),
    ("adaptive_avg_pool 7x7", lambda x, **o: refpool.adaptive_avg_pool(x, 7, **o),
     lambda t, F: F.adaptive_avg_pool2d(t, 7)),
    ("adaptive_max_pool 7x7", lambda x, **o: refpool.adaptive_max_pool(x, 7, **o),
     lambda t, F: F.adaptive_max_pool2d(t, 7)),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    torch = torch_or_none()
    rows = []
    for shape in SHAPES:
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        copy = copy_ms(x, args.repeat)
        copy_bw = gbps(2 * x.nbytes, copy)
        for name, ours, theirs in CASES:
            y = ours(x)
            out = np.empty_like(y)
            ms = timeit(lambda: ours(x, out=out), args.repeat)
            fresh = timeit(lambda: ours(x), args.repeat)
            bw = gbps(x.nbytes + y.nbytes, ms)
            row = {"case": name, "shape": "x".join(map(str, shape)), "refpool_ms": ms,
                   "fresh_out_ms": fresh, "GB/s": bw, "copy_GB/s": copy_bw,
                   "of_copy_bw": bw / copy_bw}
            if torch is not None:
                t = torch.from_numpy(x)
                F = torch.nn.functional
                tms = timeit(lambda: theirs(t, F), max(3, args.repeat // 3))
                row.update({"torch_ms": tms, "speedup": tms / ms})
            rows.append(row)
    print(f"threads={args.threads}")
    print_table(rows, ["case", "shape", "refpool_ms", "fresh_out_ms", "torch_ms", "speedup",
                       "GB/s", "copy_GB/s", "of_copy_bw"])
    write_json(args.json, rows, meta(args.threads))


if __name__ == "__main__":
    main()
