"""Every benchmark of issue 19 in one command, results in one folder.

    python benchmarks/run_all.py [--out benchmarks/results] [--threads 2] [--quick]

Runs, in this order, each as its own process (so one's memory and threads do not
disturb the next):

1. ``bench_floor.py``: every operator on float32 ``(16, 64, 128, 128)`` and
   ``(1, 8, 1024, 1024)`` against the same-run memory floor and torch
   (``floor.json``, ``floor.png``), then on float64 (``floor64.json``; issue 19:
   float64 within 2x float32's time, the ratio printed at the end);
2. ``bench_floor.py --small``: the per-call cost on ``(1, 1, 8, 8)`` against torch's,
   on the machine as it is (``small.json``) and with one competing process per
   core (``small_busy.json``);
3. ``bench_scaling.py``: time against input size (1 KiB to 1 GiB) and thread count
   (``scaling.json``, ``scaling.png``);
4. ``bench_resample.py``: every filter of ``refpool.resample`` at x2 and x0.5 on
   float32 ``(16, 64, 128, 128)`` against the same-run memory floor and each peer's
   call for the same operation (torch, JAX, TensorFlow, OpenCV, Pillow), each
   checked against refpool's before it is timed (``resample.json``,
   ``resample.png``).

``--quick`` shrinks every run (fewer repeats, 64 MiB largest input, a small resample
shape) to check the scripts, not to measure.  Measure on a quiet machine and more
than once: the tables print the median, the JSON files keep the best run too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    repeat = ["--repeat", "3"] if args.quick else []
    calls = ["--calls", "50"] if args.quick else []
    cores = os.cpu_count() or 1
    runs = [
        ["bench_floor.py", "--threads", str(args.threads), "--json", f"{out}/floor.json",
         "--plot", f"{out}/floor.png"] + repeat,
        ["bench_floor.py", "--dtype", "float64", "--threads", str(args.threads),
         "--json", f"{out}/floor64.json"] + repeat,
        ["bench_floor.py", "--small", "--threads", str(args.threads),
         "--json", f"{out}/small.json"] + calls,
        ["bench_floor.py", "--small", "--threads", str(args.threads), "--busy", str(cores),
         "--json", f"{out}/small_busy.json"] + calls,
        ["bench_scaling.py", "--json", f"{out}/scaling.json", "--plot", f"{out}/scaling.png"]
        + (["--max-bytes", str(64 << 20)] if args.quick else []),
        ["bench_resample.py", "--threads", str(args.threads), "--json", f"{out}/resample.json",
         "--plot", f"{out}/resample.png"] + (["--quick"] if args.quick else []),
    ]
    status = 0
    for run in runs:
        print("$ python benchmarks/" + " ".join(run), flush=True)
        status |= subprocess.call([sys.executable, os.path.join(HERE, run[0])] + run[1:],
                                  cwd=HERE)
    _float64_ratios(out)
    return status


def _float64_ratios(out):
    """Print each case's float64 time over its float32 time (goal: at most 2)."""
    import json
    try:
        with open(f"{out}/floor.json") as f32, open(f"{out}/floor64.json") as f64:
            single, double = json.load(f32)["rows"], json.load(f64)["rows"]
    except (OSError, KeyError, ValueError):
        return
    ms = {(r["case"], r["shape"]): r["refpool_ms"] for r in single}
    print("float64 time / float32 time (out= given, goal <= 2):")
    for r in double:
        key = (r["case"], r["shape"])
        if key in ms:
            print(f"  {r['case']:30s} {r['shape']:15s} {r['refpool_ms'] / ms[key]:5.2f}")


if __name__ == "__main__":
    sys.exit(main())
