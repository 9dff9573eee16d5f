"""Scale-out benchmark: pool a float32 input larger than 4 GiB on a Dask LocalCluster.

The input is built lazily, block by block, by the workers (never held in one
piece), pooled with :mod:`refpool.dask` and reduced to a checksum, end to end,
on a ``distributed.LocalCluster`` of worker processes (default: 2 workers, one
thread each, one Numba thread each).  Reported:

* end-to-end throughput (input bytes / wall time), and the time of the same
  pipeline without the pooling (every block generated, then dropped) to show
  what the pooling itself costs;
* each worker's peak memory: the peak resident set of the worker process over
  its whole life (``ru_maxrss``), and the largest RSS sampled every 20 ms
  during the pooled run;
* the in-memory CPU engine's throughput on a size that fits (the same
  operator on the same number of threads), and the ratio;
* a bitwise check of the Dask result against the in-memory call on that size.

Usage::

    python benchmarks/bench_dask.py                       # 17 x 16 x 2048 x 2048 (4.25 GiB)
    python benchmarks/bench_dask.py --shape 4 16 1024 1024 --json out.json   # quick

Worker memory tuning: glibc returns freed blocks above ``MALLOC_MMAP_THRESHOLD_``
to the kernel, and every fresh block then costs a page fault per 4 KiB (about
1.3 us here, as much as the pooling); the workers set the threshold above the
chunk size so that freed chunks are reused.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import print_table, write_json  # noqa: E402


@functools.lru_cache(maxsize=8)
def _tile(shape):
    """A random float32 tile over the spatial axes of a block (one per worker)."""
    return np.random.default_rng(12345).random(shape, dtype=np.float32) - np.float32(0.5)


def make_block(block_info=None):
    """One block of the lazy input: a random spatial tile plus an offset per (n, c)
    plane and block position.  Deterministic, and about as cheap to build as a
    memset, so that the pipeline measures the pooling rather than the generator."""
    info = block_info[None]
    shape = tuple(info["chunk-shape"])
    where = [start for start, _ in info["array-location"]]
    n0, c0 = where[0], where[1]
    planes = np.add.outer(np.arange(n0, n0 + shape[0]) * 7919,
                          np.arange(c0, c0 + shape[1]) * 104729)
    planes = planes + sum(s * (i + 1) * 1543 for i, s in enumerate(where[2:]))
    offsets = ((planes % 1009) / 1009.0 - 0.5).astype(np.float32)
    out = np.empty(shape, np.float32)
    np.add(_tile(shape[2:]), offsets.reshape(shape[:2] + (1,) * (len(shape) - 2)), out=out)
    return out


def lazy_input(shape, chunks):
    import dask.array as da
    return da.map_blocks(make_block, chunks=da.core.normalize_chunks(chunks, shape),
                         dtype=np.float32, meta=np.empty((0,) * len(shape), np.float32),
                         name=f"bench-input-{'x'.join(map(str, shape))}-"
                              f"{'x'.join(map(str, chunks))}")


def _discard(block):
    return np.zeros((1,) * block.ndim)


def _worker_peak():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _start_sampler(dask_worker=None):
    import threading

    import psutil
    proc = psutil.Process()
    state = {"peak": proc.memory_info().rss, "run": True}

    def sample():
        while state["run"]:
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    dask_worker._refpool_sampler = state


def _stop_sampler(dask_worker=None):
    state = dask_worker._refpool_sampler
    state["run"] = False
    return state["peak"]


def _cpu_seconds():
    """User + system CPU time of this process so far (all its threads)."""
    import psutil
    t = psutil.Process().cpu_times()
    return t.user + t.system


def in_memory(op, args, shape, chunks, threads, repeat):
    """The in-memory CPU engine on a size that fits: (wall s, CPU s, input) per call."""
    import numba

    import refpool
    numba.set_num_threads(threads)
    x = lazy_input(shape, chunks).compute(scheduler="threads")
    fn = getattr(refpool, op)
    fn(x, *args)                                      # compile / warm up
    walls, cpus = [], []
    for _ in range(repeat):
        c, t = _cpu_seconds(), time.perf_counter()
        fn(x, *args)
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu_seconds() - c)
    return float(np.median(walls)), float(np.median(cpus)), x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", type=int, nargs="+", default=[17, 16, 2048, 2048])
    ap.add_argument("--chunks", type=int, nargs="+", default=[1, 16, 1024, 1024],
                    help="input chunk shape (default 64 MiB)")
    ap.add_argument("--baseline-shape", type=int, nargs="+", default=[2, 16, 2048, 2048],
                    help="in-memory comparison size (default 512 MiB)")
    ap.add_argument("--op", default="max_pool")
    ap.add_argument("--args", type=int, nargs="*", default=[3, 2, 1],
                    help="positional arguments after x (default: kernel 3, stride 2, pad 1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GiB",
                    help="per-worker limit handed to distributed (spilling starts at 60%%)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    import refpool
    import refpool.dask as rd

    shape, chunks, base_shape = tuple(a.shape), tuple(a.chunks), tuple(a.baseline_shape)
    nbytes = int(np.prod(shape)) * 4
    base_bytes = int(np.prod(base_shape)) * 4
    chunk_bytes = int(np.prod(chunks)) * 4
    # one Numba thread per worker; freed chunks reused rather than unmapped and
    # faulted in again (glibc caps the mmap threshold at 32 MiB: larger chunks
    # stay mmapped)
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MALLOC_MMAP_THRESHOLD_": str(min(chunk_bytes + 4096, 1 << 25)),
           "MALLOC_TRIM_THRESHOLD_": str(4 * chunk_bytes)}
    print(f"input {shape} float32 = {nbytes / 2**30:.2f} GiB, chunks {chunks} "
          f"({chunk_bytes / 2**20:.0f} MiB), {a.op}{tuple(a.args)}, "
          f"{a.workers} workers x 1 thread", flush=True)

    # the in-memory CPU engine on a size that fits, as many threads as workers
    base_wall, base_cpu, x_small = in_memory(a.op, a.args, base_shape, chunks, a.workers,
                                             a.repeat)
    print(f"in-memory CPU engine, {a.workers} threads, {base_shape}: "
          f"{base_bytes / base_wall / 1e9:.2f} GB/s ({base_cpu / base_bytes * 1e9:.3f} "
          f"CPU s per GB)", flush=True)

    with dask.config.set({"distributed.worker.memory.target": 0.5,
                          "distributed.worker.memory.spill": 0.6}), \
            LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                         memory_limit=a.memory_limit, dashboard_address=None,
                         env=env) as cluster, Client(cluster) as client:
        fn = getattr(rd, a.op)
        # the Dask result on the in-memory size is the in-memory result, bitwise
        small = fn(lazy_input(base_shape, chunks), *a.args).compute()
        same = bool(np.array_equal(small, getattr(refpool, a.op)(x_small, *a.args),
                                   equal_nan=True))
        del small, x_small

        x = lazy_input(shape, chunks)
        # every output block is computed and dropped at once (nothing comes back),
        # and the same without the pooling: every input block built and dropped
        gen, pooled = (da.map_blocks(_discard, y, chunks=tuple((1,) * len(c) for c in y.chunks),
                                     dtype=np.float64).sum() for y in (x, fn(x, *a.args)))
        rows = []
        for label, graph in (("generate", gen), (f"generate + {a.op}", pooled)):
            walls, cpus, peaks = [], [], {}
            for _ in range(a.repeat):
                client.run(_start_sampler)
                cpu0 = sum(client.run(_cpu_seconds).values())
                t = time.perf_counter()
                graph.compute()
                walls.append(time.perf_counter() - t)
                cpus.append(sum(client.run(_cpu_seconds).values()) - cpu0)
                for w, v in client.run(_stop_sampler).items():
                    peaks[w] = max(peaks.get(w, 0), v)
            wall, cpu = float(np.median(walls)), float(np.median(cpus))
            rows.append({"pipeline": label, "wall s": round(wall, 2),
                         "GB/s": round(nbytes / wall / 1e9, 2),
                         "worker CPU s": round(cpu, 2),
                         "peak RSS per worker (MiB)": " ".join(
                             f"{v / 2**20:.0f}" for v in peaks.values())})
            print(rows[-1], flush=True)
        lifetime = client.run(_worker_peak)

    base_rate = base_bytes / base_wall / 1e9
    end_rate = nbytes / (rows[1]["wall s"]) / 1e9
    pool_wall = rows[1]["wall s"] - rows[0]["wall s"]
    pool_rate = nbytes / max(pool_wall, 1e-9) / 1e9
    # CPU seconds per GB: robust to other load on the machine
    base_cpu_gb = base_cpu / base_bytes * 1e9
    pool_cpu_gb = (rows[1]["worker CPU s"] - rows[0]["worker CPU s"]) / nbytes * 1e9
    print()
    print_table(rows, ["pipeline", "wall s", "GB/s", "worker CPU s",
                       "peak RSS per worker (MiB)"])
    print()
    print(f"in-memory CPU engine ({a.workers} threads): {base_rate:.2f} GB/s, "
          f"{base_cpu_gb:.3f} CPU s/GB")
    print(f"Dask end to end (input generated on the fly): {end_rate:.2f} GB/s = "
          f"{100 * end_rate / base_rate:.0f} % of in-memory")
    print(f"Dask pooling alone (end to end minus generate): {pool_rate:.2f} GB/s = "
          f"{100 * pool_rate / base_rate:.0f} % of in-memory; {pool_cpu_gb:.3f} CPU s/GB = "
          f"{100 * base_cpu_gb / pool_cpu_gb:.0f} % of in-memory CPU efficiency")
    print("worker peak RSS over its whole life (ru_maxrss): " + ", ".join(
        f"{v / 2**20:.0f} MiB" for v in lifetime.values()))
    print(f"Dask result on {base_shape} equals the in-memory call bitwise: {same}")
    write_json(a.json, rows, {
        "shape": shape, "chunks": chunks, "op": a.op, "args": a.args, "workers": a.workers,
        "input_GiB": nbytes / 2**30, "in_memory_GBps": base_rate,
        "in_memory_cpu_s_per_GB": base_cpu_gb, "end_to_end_GBps": end_rate,
        "pooling_only_GBps": pool_rate, "pooling_only_cpu_s_per_GB": pool_cpu_gb,
        "worker_peak_rss_MiB": [v / 2**20 for v in lifetime.values()],
        "bitwise_equal_small": same})
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
