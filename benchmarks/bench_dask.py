"""Scale-out benchmark: pool a float32 input larger than 4 GiB on a Dask LocalCluster.

The input is built lazily, block by block, by the workers (never held in one
piece), pooled with :mod:`refpool.dask`, and every output block is dropped as soon
as it is computed, on a ``distributed.LocalCluster`` of worker processes (default:
2 workers, one thread and one Numba thread each).  Reported:

* wall time and throughput (input bytes / second) of the whole job, and of the
  same job without the pooling (every input block built, then dropped), run
  interleaved so that both see the same machine load;
* the workers' CPU seconds for both, hence the CPU cost of the pooling per GB,
  which other load on the machine does not distort;
* each worker's peak resident set (``VmHWM``, reset before every run);
* the in-memory CPU engine on a size that fits, with as many threads as there
  are workers: the operator alone, and building the same input in one array
  (:func:`build_in_memory`, blocks written in place) then pooling it; and the
  Dask pooling of that size with the input already held by the workers;
* a bitwise check of the Dask result against the in-memory call on that size.

Usage::

    python benchmarks/bench_dask.py                       # 17 x 16 x 2048 x 2048 (4.25 GiB)
    python benchmarks/bench_dask.py --shape 4 16 1024 1024 --json out.json   # quick

Memory: glibc hands blocks above ``MALLOC_MMAP_THRESHOLD_`` (at most 32 MiB) back
to the kernel when they are freed, and a fresh block costs a page fault per
4 KiB (about 1.3 us here, as much as the pooling itself).  The workers raise the
threshold so that blocks under 32 MiB are reused; larger chunks pay the faults
once per block, in the input's generation.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import print_table, write_json  # noqa: E402


# --------------------------------------------------------------------------- the input
@functools.lru_cache(maxsize=8)
def _tile(shape):
    """A random float32 tile over the spatial axes of a block (one per worker)."""
    return np.random.default_rng(12345).random(shape, dtype=np.float32) - np.float32(0.5)


def fill_block(out, where):
    """Write the input's block starting at ``where`` (one start per axis) into ``out``:
    a random spatial tile plus an offset per (n, c) plane and block position.
    Deterministic, and about as cheap as a memset, so that a job measures the
    pooling rather than the generator."""
    shape = out.shape
    planes = np.add.outer(np.arange(where[0], where[0] + shape[0]) * 7919,
                          np.arange(where[1], where[1] + shape[1]) * 104729)
    planes = planes + sum(s * (i + 1) * 1543 for i, s in enumerate(where[2:]))
    offsets = ((planes % 1009) / 1009.0 - 0.5).astype(np.float32)
    np.add(_tile(shape[2:]), offsets.reshape(shape[:2] + (1,) * (len(shape) - 2)), out=out)
    return out


def make_block(block_info=None):
    """One block of the lazy input (a Dask ``map_blocks`` function)."""
    info = block_info[None]
    out = np.empty(tuple(info["chunk-shape"]), np.float32)
    return fill_block(out, [start for start, _ in info["array-location"]])


def build_in_memory(shape, chunks, threads):
    """The same input as :func:`lazy_input`, built in one array the way a program
    whose data fits would: every block written in place, ``threads`` at a time."""
    from concurrent.futures import ThreadPoolExecutor
    x = np.empty(shape, np.float32)
    starts = [range(0, n, c) for n, c in zip(shape, chunks)]
    views = [(x[tuple(slice(a, a + c) for a, c in zip(where, chunks))], where)
             for where in itertools.product(*starts)]
    with ThreadPoolExecutor(threads) as pool:           # NumPy releases the GIL
        list(pool.map(lambda job: fill_block(*job), views))
    return x


def lazy_input(shape, chunks):
    import dask.array as da
    return da.map_blocks(make_block, chunks=da.core.normalize_chunks(chunks, shape),
                         dtype=np.float32, meta=np.empty((0,) * len(shape), np.float32),
                         name=f"bench-input-{'x'.join(map(str, shape))}-"
                              f"{'x'.join(map(str, chunks))}")


def _discard(block):
    return np.zeros((1,) * block.ndim)


# --------------------------------------------------------------------------- measurement
def _warm_up(op, args):
    """Load the compiled kernels in a worker (contiguous blocks and views)."""
    import refpool
    x = np.zeros((1, 2, 64, 64), np.float32)
    getattr(refpool, op)(x, *args)
    getattr(refpool, op)(x[:, :, 1:, 1:], *args)


def _cpu_seconds():
    """User + system CPU time of this process so far (all its threads)."""
    import psutil
    t = psutil.Process().cpu_times()
    return t.user + t.system


def _reset_peak():
    """Reset this process's peak resident set (Linux: 5 into clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss():
    """This process's peak resident set in bytes since the last reset (VmHWM).

    Not ``ru_maxrss``: that also counts the parent's resident set at the time the
    worker process was spawned (Linux carries it across fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def in_memory(op, args, shape, chunks, threads, repeat):
    """The in-memory CPU engine on a size that fits.

    Returns (wall s, CPU s) of the operator alone and the wall s of building the
    same input in memory (:func:`build_in_memory`) then pooling it (medians), and
    the input.
    """
    import numba

    import refpool
    numba.set_num_threads(threads)
    x = build_in_memory(shape, chunks, threads)
    fn = getattr(refpool, op)
    fn(x, *args)                                      # load the kernels
    walls, cpus, whole = [], [], []
    for _ in range(repeat):
        c, t = _cpu_seconds(), time.perf_counter()
        fn(x, *args)
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu_seconds() - c)
        t = time.perf_counter()
        fn(build_in_memory(shape, chunks, threads), *args)
        whole.append(time.perf_counter() - t)
    return float(np.median(walls)), float(np.median(cpus)), float(np.median(whole)), x


# --------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", type=int, nargs="+", default=[17, 16, 2048, 2048])
    ap.add_argument("--chunks", type=int, nargs="+", default=[1, 16, 1024, 2048],
                    help="input chunk shape (default 128 MiB slabs: H split in two)")
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
    from distributed import wait as distributed_wait

    import refpool
    import refpool.dask as rd

    shape, chunks, base_shape = tuple(a.shape), tuple(a.chunks), tuple(a.baseline_shape)
    nbytes = int(np.prod(shape)) * 4
    base_bytes = int(np.prod(base_shape)) * 4
    chunk_bytes = int(np.prod(chunks)) * 4
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MALLOC_MMAP_THRESHOLD_": str(1 << 25),         # glibc's largest
           "MALLOC_TRIM_THRESHOLD_": str(1 << 28)}
    print(f"input {shape} float32 = {nbytes / 2**30:.2f} GiB, chunks {chunks} "
          f"({chunk_bytes / 2**20:.0f} MiB), {a.op}{tuple(a.args)}, "
          f"{a.workers} workers x 1 thread", flush=True)

    base_wall, base_cpu, base_whole, x_small = in_memory(
        a.op, a.args, base_shape, chunks, a.workers, a.repeat)
    print(f"in-memory CPU engine, {a.workers} threads, {base_shape}: "
          f"{base_bytes / base_wall / 1e9:.2f} GB/s", flush=True)

    with dask.config.set({"distributed.worker.memory.target": 0.5,
                          "distributed.worker.memory.spill": 0.6}), \
            LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                         memory_limit=a.memory_limit, dashboard_address=None,
                         env=env) as cluster, Client(cluster) as client:
        fn = getattr(rd, a.op)
        client.run(_warm_up, a.op, a.args)
        x = lazy_input(shape, chunks)
        # every output block computed and dropped at once (nothing comes back), and
        # the same job without the pooling: every input block built and dropped
        gen, pooled = (da.map_blocks(_discard, y, chunks=tuple((1,) * len(c) for c in y.chunks),
                                     dtype=np.float64).sum() for y in (x, fn(x, *a.args)))
        jobs = [("generate", gen), (f"generate + {a.op}", pooled)]
        walls = {label: [] for label, _ in jobs}
        cpus = {label: [] for label, _ in jobs}
        peaks = {label: {} for label, _ in jobs}
        for _ in range(a.repeat):
            for label, graph in jobs:               # interleaved: the same machine load
                client.run(_reset_peak)
                cpu0 = sum(client.run(_cpu_seconds).values())
                t = time.perf_counter()
                graph.compute()
                walls[label].append(time.perf_counter() - t)
                cpus[label].append(sum(client.run(_cpu_seconds).values()) - cpu0)
                for w, v in client.run(_peak_rss).items():
                    peaks[label][w] = max(peaks[label].get(w, 0), v)
        # the pooling alone, on the in-memory size: the input held by the workers
        # (persisted), every output block dropped
        held = lazy_input(base_shape, chunks).persist()
        distributed_wait(held)
        fit = da.map_blocks(_discard, fn(held, *a.args),
                            chunks=tuple((1,) * len(c) for c in held.chunks),
                            dtype=np.float64).sum()
        fit.compute()
        fit_walls = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            fit.compute()
            fit_walls.append(time.perf_counter() - t)
        fit_wall = float(np.median(fit_walls))
        del held, fit
        # last, as it brings a result back: on the in-memory size, the Dask result is
        # the in-memory result, bitwise
        small = fn(lazy_input(base_shape, chunks), *a.args).compute()
        same = bool(np.array_equal(small, getattr(refpool, a.op)(x_small, *a.args),
                                   equal_nan=True))

    rows = []
    for label, _ in jobs:
        wall, cpu = float(np.median(walls[label])), float(np.median(cpus[label]))
        rows.append({"job": label, "wall s": round(wall, 3),
                     "GB/s": round(nbytes / wall / 1e9, 2), "worker CPU s": round(cpu, 2),
                     "peak RSS per worker (MiB)": " ".join(
                         f"{v / 2**20:.0f}" for v in peaks[label].values())})
    gen_wall, all_wall = rows[0]["wall s"], rows[1]["wall s"]
    base_rate = base_bytes / base_wall / 1e9
    base_whole_rate = base_bytes / base_whole / 1e9
    end_rate = nbytes / all_wall / 1e9
    pool_rate = nbytes / max(all_wall - gen_wall, 1e-9) / 1e9
    base_cpu_gb = base_cpu / base_bytes * 1e9
    pool_cpu_gb = (float(np.median(cpus[jobs[1][0]])) - float(np.median(cpus[jobs[0][0]]))) \
        / nbytes * 1e9
    worst = max(v for p in peaks.values() for v in p.values())

    print()
    print_table(rows, ["job", "wall s", "GB/s", "worker CPU s", "peak RSS per worker (MiB)"])
    print()
    print(f"in-memory CPU engine, {a.workers} threads, {base_shape}: operator alone "
          f"{base_rate:.2f} GB/s ({base_cpu_gb:.3f} CPU s/GB); building the input then "
          f"pooling it {base_whole_rate:.2f} GB/s")
    print(f"Dask, whole job: {end_rate:.2f} GB/s = {100 * end_rate / base_whole_rate:.0f} % of "
          f"the in-memory build + pool, {100 * end_rate / base_rate:.0f} % of the operator "
          "alone")
    fit_rate = base_bytes / fit_wall / 1e9
    print(f"Dask, the pooling alone on {base_shape} held by the workers: {fit_rate:.2f} GB/s "
          f"= {100 * fit_rate / base_rate:.0f} % of the in-memory operator")
    print(f"Dask, the pooling in the big job: {pool_cpu_gb:.3f} worker CPU s/GB (job minus "
          f"generate) = {100 * base_cpu_gb / pool_cpu_gb:.0f} % of the in-memory CPU "
          f"efficiency; by wall time (noisy) {pool_rate:.2f} GB/s")
    print(f"largest worker peak RSS (VmHWM) during the timed jobs: {worst / 2**20:.0f} MiB")
    print(f"Dask result on {base_shape} equals the in-memory call bitwise: {same}")
    write_json(a.json, rows, {
        "shape": shape, "chunks": chunks, "op": a.op, "args": a.args, "workers": a.workers,
        "input_GiB": nbytes / 2**30, "in_memory_GBps": base_rate,
        "in_memory_build_and_pool_GBps": base_whole_rate,
        "in_memory_cpu_s_per_GB": base_cpu_gb, "dask_job_GBps": end_rate,
        "dask_pooling_GBps": pool_rate, "dask_pooling_cpu_s_per_GB": pool_cpu_gb,
        "dask_pooling_held_input_GBps": fit_rate,
        "worker_peak_rss_MiB": {label: [v / 2**20 for v in p.values()]
                                for label, p in peaks.items()},
        "bitwise_equal_small": same})
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
