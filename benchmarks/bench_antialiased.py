"""Antialiased pooling: refpool's CPU engine against the way the peers run it in torch.

Workload: float32 input of shape (16, 64, 128, 128), two threads for both sides
(``numba.set_num_threads(2)``, ``torch.set_num_threads(2)``).

========================  =====================================================
refpool                   peer (torch 2.13, CPU)
========================  =====================================================
antialiased_avg_pool      escnn/e2cnn PointwiseAvgPoolAntialiased: a depthwise
                          ``conv2d`` with the 2-D Gaussian, stride 2
antialiased_max_pool      escnn/e2cnn PointwiseMaxPoolAntialiased:
                          ``max_pool2d`` at stride 1, then that depthwise conv
blur_pool                 antialiased-cnns ``BlurPool`` (reflect pad + conv2d)
========================  =====================================================

Each timing is the median of ``--repeat`` calls after one warm-up call (which
also compiles the Numba kernels); refpool's and the peer's calls alternate, so
both see the same background load.  refpool writes into a preallocated ``out=``
array; the fresh-output time is reported too.  Prints a table of milliseconds
and speed-ups; ``--json PATH`` also writes the numbers as JSON.

Usage::

    python benchmarks/bench_antialiased.py [--repeat 7] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np

SHAPE = (16, 64, 128, 128)


def _median_ms(fns, repeat):
    """Median wall time (ms) of each function; the calls are interleaved so that
    every function sees the same background load."""
    for fn in fns:
        fn()                               # warm-up (and JIT compilation)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, t in zip(fns, times):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [1e3 * statistics.median(t) for t in times]


def _cases(x, torch, antialiased_cnns):
    import refpool

    F = torch.nn.functional
    xt = torch.from_numpy(x)
    channels = x.shape[1]

    def depthwise(kernel):
        k = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float32))
        return k[None, None].repeat(channels, 1, 1, 1)

    cases = []
    for label, sigma in (("sigma=2/3", 2 / 3), ("sigma=1.0", 1.0)):
        k = depthwise(refpool.gaussian_kernel(sigma, 2))
        pad = (k.shape[-1] - 1) // 2
        cases.append(dict(
            operator="antialiased_avg_pool", config=f"{label}, stride=2",
            refpool=lambda out, s=sigma: refpool.antialiased_avg_pool(x, s, 2, out=out),
            peer=lambda k=k, pad=pad: F.conv2d(xt, k, stride=2, padding=pad, groups=channels),
            peer_name="torch depthwise conv2d (escnn)", goal=5.0))

    k = depthwise(refpool.gaussian_kernel(0.6, 2, truncate=4.0))
    pad = (k.shape[-1] - 1) // 2          # escnn: padding + (fs-1)//2 with padding=0
    cases.append(dict(
        operator="antialiased_max_pool", config="kernel=2, stride=2, sigma=0.6",
        refpool=lambda out: refpool.antialiased_max_pool(x, 2, 2, out=out),
        peer=lambda: F.conv2d(F.max_pool2d(xt, 2, 1), k, stride=2, padding=pad,
                              groups=channels),
        peer_name="torch max_pool2d(stride 1) + conv2d (escnn)", goal=20.0))

    if antialiased_cnns is not None:
        blur = antialiased_cnns.BlurPool(channels, pad_type="reflect", filt_size=4, stride=2)
        peer, peer_name = (lambda: blur(xt)), "antialiased-cnns BlurPool"
    else:                                  # same computation, spelled out in torch
        k = depthwise(refpool.binomial_kernel(4, 2))
        peer = lambda: F.conv2d(F.pad(xt, (1, 2, 1, 2), mode="reflect"), k, stride=2,  # noqa: E731
                                groups=channels)
        peer_name = "torch reflect pad + conv2d (BlurPool not installed)"
    cases.append(dict(
        operator="blur_pool", config="filt_size=4, stride=2, reflect",
        refpool=lambda out: refpool.blur_pool(x, 4, 2, "reflect", out=out),
        peer=peer, peer_name=peer_name, goal=5.0))
    return cases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    import numba
    import torch
    try:
        import antialiased_cnns
    except ImportError:
        antialiased_cnns = None
    numba.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)

    x = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    rows = []
    with torch.no_grad():
        for case in _cases(x, torch, antialiased_cnns):
            out = np.empty_like(case["refpool"](None))
            ours, fresh, peer = _median_ms(
                [lambda c=case: c["refpool"](out), lambda c=case: c["refpool"](None),
                 case["peer"]], args.repeat)
            rows.append(dict(operator=case["operator"], config=case["config"],
                             refpool_ms=ours, refpool_fresh_out_ms=fresh,
                             peer=case["peer_name"], peer_ms=peer, speedup=peer / ours,
                             goal=case["goal"], meets_goal=peer / ours >= case["goal"]))

    head = (f"{'operator':22} {'config':32} {'refpool ms':>10} {'(fresh)':>8} "
            f"{'peer ms':>9} {'speed-up':>8} {'goal':>5}  peer")
    print(f"input float32 {SHAPE}, {args.threads} threads, median of {args.repeat}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['operator']:22} {r['config']:32} {r['refpool_ms']:10.2f} "
              f"{r['refpool_fresh_out_ms']:8.2f} {r['peer_ms']:9.2f} {r['speedup']:7.1f}x "
              f"{r['goal']:4.0f}x  {r['peer']}")
    if args.json:
        meta = dict(shape=SHAPE, dtype="float32", threads=args.threads, repeat=args.repeat,
                    python=sys.version.split()[0], numpy=np.__version__,
                    numba=numba.__version__, torch=torch.__version__,
                    machine=platform.machine(), processor=platform.processor())
        with open(args.json, "w") as fh:
            json.dump(dict(meta=meta, results=rows), fh, indent=2)
        print(f"wrote {args.json}")
    return rows


if __name__ == "__main__":
    main()
