"""Every operator against the memory floor of its call, and against torch.

    python benchmarks/bench_floor.py [--threads 2] [--repeat 9] [--json results/floor.json]
                                     [--plot results/floor.png] [--dtype float64] [--small]
                                     [--only NAME ...]

One table (:data:`CASES`) drives the run.  For each case and input shape:

* ``refpool_ms``: refpool's CPU engine with a preallocated output (``out=``);
* ``floor_ms``: the same-run floor (:mod:`_floor`): a minimal Numba kernel reading
  the input once and writing the output once, parallel over planes, same threads,
  preallocated output;
* ``of_floor``: ``floor_ms / refpool_ms``, the fraction of the memory limit reached;
* ``GB/s``: input + output bytes over ``refpool_ms``;
* ``torch_ms`` and ``vs_torch`` (torch time / refpool time) where torch has the
  operator, both calls allocating their output.

The goals (issue 19): memory-bound operators at >= 80 % of the floor, filtered ones
at >= 50 %; ``goal`` says which applies.  ``--small`` measures the per-call cost on a
``(1, 1, 8, 8)`` float32 input instead, against torch's.  Times are medians of
``--repeat`` runs after warm-up calls (which also compile); on a shared machine
run it quiet and more than once, and report the spread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import refpool
from _floor import Floor
from _harness import (gbps, meta, print_table, set_threads, timing_stats, timings,
                      torch_or_none, write_json)

SHAPES = [(16, 64, 128, 128), (1, 8, 1024, 1024)]

#: memory-bound operators (goal 0.8 of the floor) and filtered ones (0.5)
MEMORY, FILTERED = 0.8, 0.5


def _unpool_args(x):
    y, idx = refpool.max_pool(x, 2, return_indices=True)
    return y, idx


#: name, goal, refpool call ``f(x, out=None)``, torch call ``g(t, F)`` or None,
#: input preparation ``prep(x)`` (default: identity)
CASES = [
    ("max_pool k2 s2", MEMORY, lambda x, out=None: refpool.max_pool(x, 2, 2, out=out),
     lambda t, F: F.max_pool2d(t, 2, 2)),
    ("max_pool k3 s2 p1", MEMORY, lambda x, out=None: refpool.max_pool(x, 3, 2, 1, out=out),
     lambda t, F: F.max_pool2d(t, 3, 2, 1)),
    ("avg_pool k2 s2", MEMORY, lambda x, out=None: refpool.avg_pool(x, 2, 2, out=out),
     lambda t, F: F.avg_pool2d(t, 2, 2)),
    ("avg_pool k3 s2 same", MEMORY,
     lambda x, out=None: refpool.avg_pool(x, 3, 2, "same", out=out), None),
    ("lp_pool p2 k2 s2", MEMORY, lambda x, out=None: refpool.lp_pool(x, 2, 2, 2, out=out),
     lambda t, F: F.lp_pool2d(t, 2, 2, 2)),
    ("adaptive_avg_pool 7x7", MEMORY,
     lambda x, out=None: refpool.adaptive_avg_pool(x, 7, out=out),
     lambda t, F: F.adaptive_avg_pool2d(t, 7)),
    ("adaptive_max_pool 7x7", MEMORY,
     lambda x, out=None: refpool.adaptive_max_pool(x, 7, out=out),
     lambda t, F: F.adaptive_max_pool2d(t, 7)),
    ("global_avg_pool", MEMORY, lambda x, out=None: refpool.adaptive_avg_pool(x, 1, out=out),
     lambda t, F: F.adaptive_avg_pool2d(t, 1)),
    ("interpolate nearest x2", MEMORY,
     lambda x, out=None: refpool.interpolate(x, scale_factor=2, out=out),
     lambda t, F: F.interpolate(t, scale_factor=2)),
    ("interpolate bilinear x2", MEMORY,
     lambda x, out=None: refpool.interpolate(x, scale_factor=2, mode="bilinear", out=out),
     lambda t, F: F.interpolate(t, scale_factor=2, mode="bilinear")),
    ("pixel_shuffle r2", MEMORY, lambda x, out=None: refpool.pixel_shuffle(x, 2, out=out),
     lambda t, F: F.pixel_shuffle(t, 2)),
    ("pixel_unshuffle r2", MEMORY, lambda x, out=None: refpool.pixel_unshuffle(x, 2, out=out),
     lambda t, F: F.pixel_unshuffle(t, 2)),
    ("interpolate bicubic x2", FILTERED,
     lambda x, out=None: refpool.interpolate(x, scale_factor=2, mode="bicubic", out=out),
     lambda t, F: F.interpolate(t, scale_factor=2, mode="bicubic")),
    ("antialiased_avg_pool s1 st2", FILTERED,
     lambda x, out=None: refpool.antialiased_avg_pool(x, 1.0, 2, out=out), None),
    ("antialiased_max_pool k2 s2", FILTERED,
     lambda x, out=None: refpool.antialiased_max_pool(x, 2, 2, out=out), None),
    ("blur_pool f4 s2", FILTERED, lambda x, out=None: refpool.blur_pool(x, out=out), None),
    ("upfirdn up2 12 taps", FILTERED,
     lambda x, out=None: refpool.upfirdn(x, _TAPS12, up=2, padding=((6, 5), (6, 5)), gain=4,
                                         out=out),
     lambda t, F: _torch_upfirdn(t, F)),
    ("grid_sample bilinear rot", FILTERED,
     lambda x, out=None: refpool.grid_sample(x, _rotation_grid(x), out=out),
     lambda t, F: F.grid_sample(t, _torch_grid(t), align_corners=False)),
]


#: a 12-tap Kaiser-windowed low-pass (StyleGAN3's upsampling filter shape)
_TAPS12 = refpool.kernels.lowpass_filter(12, cutoff=0.25, width=0.25, fs=1.0).astype(np.float32)
_GRIDS = {}


def _rotation_grid(x, degrees=30.0):
    """The sampling grid of a rotation by ``degrees`` about the centre, for x's shape."""
    key = (x.shape[0], x.shape[2], x.shape[3], x.dtype.str)
    if key not in _GRIDS:
        a = np.deg2rad(degrees)
        theta = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0]])
        theta = np.broadcast_to(theta, (x.shape[0], 2, 3))
        _GRIDS[key] = refpool.affine_grid(theta, (x.shape[0], 1) + x.shape[2:]).astype(
            x.dtype)
    return _GRIDS[key]


def _torch_grid(t):
    import torch
    return torch.from_numpy(_rotation_grid(t.numpy()))


def _torch_upfirdn(t, F):
    """upfirdn up=2 as torch computes it: a transposed convolution inserts the zeros,
    then the separable 12-tap filter runs as two depthwise convolutions."""
    import torch
    c = t.shape[1]
    f = torch.from_numpy((_TAPS12 * 2).astype(t.numpy().dtype))
    z = torch.zeros(1, 1, 2, 2, dtype=t.dtype)
    z[0, 0, 0, 0] = 1
    up = F.conv_transpose2d(t.reshape(-1, 1, *t.shape[2:]), z, stride=2)
    up = up.reshape(t.shape[0], c, *up.shape[2:])
    up = F.pad(up, (6, 5, 6, 5))
    up = F.conv2d(up, f.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(up, f.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _floor_case(x, y):
    return Floor(x, y.shape)


#: the input of the in-cache timing: 1 MiB of float32, half per core's 1 MiB L2
IN_CACHE_SHAPE = (1, 16, 128, 128)


def _in_cache_ms_per_element(ours, x):
    """The operator's time per input element when its input and output stay in the
    cache (a ``(1, 16, 128, 128)`` input called again and again): the cost of its
    instructions alone.  ``floor_ms / size`` over it (``compute_bound``) is the
    fraction of the memory floor this kernel could reach if memory were free: when
    ``of_floor`` is close to it, the instruction mix is the bound, not memory."""
    xs = np.random.default_rng(1).standard_normal(IN_CACHE_SHAPE).astype(x.dtype)
    outs = np.empty_like(ours(xs))
    return timings(lambda: ours(xs, out=outs), 25, warmup=5)[0] / xs.size


def _run_large(args, torch):
    rows = []
    for shape in SHAPES:
        x = np.random.default_rng(0).standard_normal(shape, dtype=args.dtype)
        for name, goal, ours, theirs in CASES:
            if args.only and not any(o in name for o in args.only):
                continue
            y = ours(x)
            out = np.empty_like(y)
            floor = _floor_case(x, y)
            # alternate the operator and its floor so both see the same machine state
            ms, best, worst = timing_stats(lambda: ours(x, out=out), args.repeat)
            floor_ms, _ = timings(floor, args.repeat)
            row = {"case": name, "shape": "x".join(map(str, shape)), "dtype": args.dtype,
                   "refpool_ms": ms, "best_ms": best, "worst_ms": worst,
                   "spread": (worst - best) / ms, "floor_ms": floor_ms,
                   "of_floor": floor_ms / ms, "goal": goal, "GB/s": gbps(floor.nbytes, ms),
                   "compute_bound": floor_ms / x.size / _in_cache_ms_per_element(ours, x)}
            if torch is not None and theirs is not None:
                t = torch.from_numpy(x)
                fresh_ms, _ = timings(lambda: ours(x), max(3, args.repeat // 2))
                tms, _ = timings(lambda: theirs(t, torch.nn.functional),
                                 max(3, args.repeat // 2))
                row.update({"fresh_ms": fresh_ms, "torch_ms": tms, "vs_torch": tms / fresh_ms})
            rows.append(row)
    return rows


def _per_call_us(fn, calls):
    fn()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6


def _run_small(args, torch):
    x1 = np.random.default_rng(0).standard_normal((1, 1, 8, 8), dtype=np.float32)
    rows = []
    for name, _, ours, theirs in CASES:
        if args.only and not any(o in name for o in args.only):
            continue
        # the channel shuffles need r**2 channels: (1, 4, 8, 8) for them
        x = np.repeat(x1, 4, axis=1) if "shuffle" in name else x1
        y = ours(x)
        out = np.empty_like(y)
        row = {"case": name, "refpool_us": _per_call_us(lambda: ours(x), args.calls),
               "refpool_out_us": _per_call_us(lambda: ours(x, out=out), args.calls)}
        if torch is not None and theirs is not None:
            t = torch.from_numpy(x)
            row["torch_us"] = _per_call_us(lambda: theirs(t, torch.nn.functional), args.calls)
            row["ratio"] = row["refpool_us"] / row["torch_us"]
        rows.append(row)
    return rows


def _plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['case']}\n{r['shape']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(8, 0.45 * len(rows)), 5))
    ax.bar(range(len(rows)), [r["of_floor"] for r in rows],
           color=["tab:blue" if r["of_floor"] >= r["goal"] else "tab:red" for r in rows])
    for i, r in enumerate(rows):
        ax.plot([i - 0.4, i + 0.4], [r["goal"]] * 2, color="k", lw=1)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_ylabel("fraction of the memory floor (floor ms / refpool ms)")
    ax.set_ylim(0, 1.2)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--calls", type=int, default=300, help="calls per --small timing")
    parser.add_argument("--json", default=None)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                        help="input dtype of the large cases (float64: issue 19 asks for "
                             "at most 2x float32's time)")
    parser.add_argument("--small", action="store_true",
                        help="per-call cost on a (1, 1, 8, 8) input instead")
    parser.add_argument("--only", nargs="*", default=None, help="cases whose name contains")
    parser.add_argument("--busy", type=int, default=0,
                        help="competing processes spinning during the run (one per core "
                             "shows what a tiny call costs on a busy machine)")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    torch = torch_or_none()
    spinners = _spin(args.busy)
    try:
        return _main(args, torch)
    finally:
        for p in spinners:
            p.terminate()


def _burn():
    while True:
        pass


def _spin(count):
    import multiprocessing
    procs = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(count)]
    for p in procs:
        p.start()
    return procs


def _main(args, torch):
    if args.small:
        rows = _run_small(args, torch)
        busy = f", {args.busy} competing processes" if args.busy else ""
        print(f"per-call cost, float32 (1, 1, 8, 8), {args.threads} threads{busy}, best of 5 x "
              f"{args.calls} calls")
        print_table(rows, ["case", "refpool_us", "refpool_out_us", "torch_us", "ratio"])
    else:
        rows = _run_large(args, torch)
        print(f"{args.dtype}, {args.threads} threads, median of {args.repeat}")
        print_table(rows, ["case", "shape", "refpool_ms", "spread", "floor_ms", "of_floor",
                           "goal", "compute_bound", "GB/s", "fresh_ms", "torch_ms",
                           "vs_torch"])
        if args.plot:
            _plot(rows, args.plot)
    write_json(args.json, rows, dict(meta(args.threads), busy=args.busy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
