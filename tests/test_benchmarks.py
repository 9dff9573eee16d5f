"""The benchmarks compare like with like: each torch formulation timed beside a
refpool call computes the same thing (benchmarks/bench_floor.py), and the
floor kernel reads and writes what it claims (benchmarks/_floor.py)."""

import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_floor  # noqa: E402
from _floor import Floor  # noqa: E402

X = np.random.default_rng(3).standard_normal((2, 4, 16, 16)).astype(np.float32)
TORCH_CASES = [c for c in bench_floor.CASES if c[3] is not None]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_the_torch_formulation_computes_the_refpool_call(case):
    name, _, ours, theirs = case
    expected = theirs(torch.from_numpy(X.copy()), torch.nn.functional).numpy()
    got = ours(X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    out = np.empty_like(got)
    assert ours(X, out=out) is out
    np.testing.assert_array_equal(out, got)


def test_the_floor_reads_every_input_word_and_writes_every_output_word():
    x = np.zeros((2, 3, 8, 8), np.float32)
    x[1, 2, 7, 7] = 1.0                  # the largest word sits in the last plane
    floor = Floor(x, (2, 3, 4, 4))
    floor.out[...] = np.nan
    floor()
    assert not np.isnan(floor.out).any()
    assert floor.nbytes == x.nbytes + floor.out.nbytes
    # the last part's words reach the last part's outputs
    assert floor.out.reshape(6, -1)[-1].view(np.uint32).max() == np.float32(1).view(np.uint32)


def test_bench_resample_quick_run_times_every_case_against_every_peer_it_lists(tmp_path):
    """A tiny run of benchmarks/bench_resample.py: a row per case of its table with
    finite times, and every peer call the table pairs with a refpool call passed
    the script's check (agreed to 1e-4 of the input's range) and was timed."""
    import json
    import math
    import subprocess

    import bench_resample

    path = tmp_path / "resample.json"
    here = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")
    subprocess.run([sys.executable, "bench_resample.py", "--quick", "--shape", "1,2,16,16",
                    "--repeat", "1", "--no-pin", "--json", str(path)],
                   cwd=here, check=True, timeout=180, capture_output=True)
    result = json.loads(path.read_text())
    rows = result["rows"]
    assert [r["case"] for r in rows] == [bench_resample.case_name(f, s)
                                         for f, s, _ in bench_resample.CASES]
    assert result["meta"]["shape"] == [1, 2, 16, 16]
    for row, (_, _, peers) in zip(rows, bench_resample.CASES):
        for key in ("refpool_ms", "floor_ms", "of_floor", "GB/s", "fresh_ms"):
            assert math.isfinite(row[key]) and row[key] > 0, (row["case"], key)
        for peer, entry in peers.items():
            skip = row.get(f"{peer}_skip")
            if skip is not None and skip.startswith(f"{peer}: not installed"):
                continue
            if isinstance(entry, str):
                assert skip == entry
            else:
                assert skip is None, skip
                assert row[f"{peer}_err"] <= 1e-4 * row["input_range"], (row["case"], peer)
                assert math.isfinite(row[f"{peer}_x"]) and row[f"{peer}_x"] > 0
