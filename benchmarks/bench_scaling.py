"""Time against input size and thread count: where the cost of a call grows.

    python benchmarks/bench_scaling.py [--max-bytes 1073741824] [--threads 1 2]
                                       [--json results/scaling.json]
                                       [--plot results/scaling.png] [--only NAME ...]

For float32 inputs from 1 KiB to ``--max-bytes`` (powers of 4), each operator of
:data:`CASES` is timed with a preallocated output, with 1 and 2 threads, beside the
same-run memory floor (:mod:`_floor`: read the input once, write the output once,
same threads).  Reported per row: the time, the effective bandwidth (input + output
bytes over the time), the fraction of the floor, and the time per input element.
Small inputs show the per-call cost (flat time), large ones the bandwidth limit
(flat GB/s); the crossing is where a call starts to pay for its size.

Shapes: ``(1, 1, s, s)`` up to 512 x 512 elements, then ``(1, c, 512, 512)``
planes.  Each time is the median of as many calls as fit in about 0.2 s (at least
3).  Run it on a quiet machine; it allocates the input, the output and the floor's
buffers (about 3 x ``--max-bytes`` for the largest case).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

import refpool
from _floor import Floor
from _harness import meta, print_table, set_threads, write_json

CASES = [
    ("max_pool k2 s2", lambda x, out: refpool.max_pool(x, 2, out=out)),
    ("avg_pool k3 s2 p1", lambda x, out: refpool.avg_pool(x, 3, 2, 1, out=out)),
    ("adaptive_avg_pool 7x7", lambda x, out: refpool.adaptive_avg_pool(x, 7, out=out)),
    ("interpolate bilinear x2",
     lambda x, out: refpool.interpolate(x, scale_factor=2, mode="bilinear", out=out)),
    ("blur_pool f4 s2", lambda x, out: refpool.blur_pool(x, out=out)),
    ("pixel_shuffle r2", lambda x, out: refpool.pixel_shuffle(x, 2, out=out)),
]


def shape_of(nbytes):
    """A float32 ``(1, c, s, s)`` input of about ``nbytes`` bytes."""
    elements = max(nbytes // 4, 4)
    if elements <= 512 * 512:
        s = max(2, int(math.isqrt(elements)) // 2 * 2)
        return (1, 4, s // 2, s // 2) if elements >= 64 else (1, 4, 2, 2)
    return (1, 4 * (elements // (4 * 512 * 512)), 512, 512)


def median_ms(fn, budget_s=0.2):
    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-7)
    calls = max(3, min(2000, int(budget_s / once)))
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def run(args):
    rows = []
    sizes = []
    b = 1024
    while b <= args.max_bytes:
        sizes.append(b)
        b *= 4
    for nbytes in sizes:
        shape = shape_of(nbytes)
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        for name, op in CASES:
            if args.only and not any(o in name for o in args.only):
                continue
            y = op(x, None)
            if y.nbytes > 2 * args.max_bytes:
                continue
            out = np.empty_like(y)
            for threads in args.threads:
                set_threads(threads)
                floor = Floor(x, y.shape)
                ms = median_ms(lambda: op(x, out))
                floor_ms = median_ms(floor)
                moved = x.nbytes + y.nbytes
                rows.append({"case": name, "bytes": x.nbytes, "shape": "x".join(map(str, shape)),
                             "threads": threads, "ms": ms, "floor_ms": floor_ms,
                             "us": ms * 1e3, "floor_us": floor_ms * 1e3,
                             "of_floor": floor_ms / ms, "GB/s": moved / (ms * 1e-3) / 1e9,
                             "ns/element": ms * 1e6 / x.size})
        del x
    return rows


def plot(rows, path):
    import os

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = sorted({r["case"] for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for name in names:
        for threads, style in ((1, "--"), (2, "-")):
            sel = [r for r in rows if r["case"] == name and r["threads"] == threads]
            if not sel:
                continue
            label = f"{name}, {threads} thr"
            axes[0].loglog([r["bytes"] for r in sel], [r["ms"] for r in sel], style, label=label)
            axes[1].semilogx([r["bytes"] for r in sel], [r["GB/s"] for r in sel], style,
                             label=label)
    axes[0].set_xlabel("input bytes")
    axes[0].set_ylabel("ms per call")
    axes[1].set_xlabel("input bytes")
    axes[1].set_ylabel("GB/s (input + output)")
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-bytes", type=int, default=1 << 30)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", default=None)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    rows = run(args)
    print_table(rows, ["case", "bytes", "threads", "us", "floor_us", "of_floor", "GB/s",
                       "ns/element"])
    write_json(args.json, rows, meta(args.threads))
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
