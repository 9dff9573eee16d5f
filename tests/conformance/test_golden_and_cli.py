"""Golden vectors on disk, the CLI, and the pytest plugin, end to end."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import refpool
from refpool.cli import main
from refpool.conformance.golden import read_golden


def test_golden_round_trip(tmp_path):
    assert main(["golden", str(tmp_path), "--ops", "adaptive_max_pool", "max_pool",
                 "--quiet"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format_version"] == 1 and manifest["refpool_version"] == refpool.__version__
    seen = 0
    for case, x, expected in read_golden(tmp_path):
        np.testing.assert_array_equal(x, case.make_input())
        result = getattr(refpool, case.op)(x, **case.call_kwargs(), engine="reference")
        if isinstance(result, tuple):
            for r, e in zip(result, expected):
                np.testing.assert_array_equal(r, e)
        else:
            np.testing.assert_array_equal(result, expected)
        seen += 1
    assert seen == len(manifest["cases"]) > 100
    # and the CPU engine conforms to the stored vectors
    assert main(["conformance", "--against", "cpu", "--golden", str(tmp_path), "--quiet"]) == 0


def test_conformance_cli_reports_and_exits_nonzero_on_failure(tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main(["conformance", "--against", "cpu", "--ops", "adaptive_avg_pool",
                 "--json", str(report), "--quiet"]) == 0
    data = json.loads(report.read_text())
    assert data["ok"] and data["summary"]["adaptive_avg_pool"]["failed"] == 0
    here = os.path.dirname(__file__)
    sys.path.insert(0, here)
    try:
        code = main(["conformance", "--against", "broken_adapters:FloorAdaptiveWindows",
                     "--ops", "adaptive_avg_pool", "--quiet"])
    finally:
        sys.path.remove(here)
    assert code == 1
    assert "failing case(s)" in capsys.readouterr().out


def test_ops_and_selfcheck_commands(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in ("max_pool", "avg_pool", "adaptive_max_pool", "adaptive_avg_pool"):
        assert name in out


def test_pytest_plugin_runs_one_test_per_case(tmp_path):
    (tmp_path / "adapter_with_bug.py").write_text(
        "import refpool\n"
        "def adaptive_max_pool(x, output_size, return_indices=False):\n"
        "    r = refpool.adaptive_max_pool(x, output_size, return_indices, engine='cpu')\n"
        "    if x.shape[-1] == 13:\n"
        "        r = (r[0] + 1, r[1]) if return_indices else r + 1\n"
        "    return r\n"
        "def adaptive_avg_pool(x, output_size):\n"
        "    raise NotImplementedError('not yet')\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "--refpool-adapter=adapter_with_bug", "--refpool-ops", "adaptive_max_pool",
         "adaptive_avg_pool"], cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    out = result.stdout
    assert result.returncode == 1, out
    # every adaptive_max_pool case ran; the avg ones were skipped as unsupported
    n_max = len(refpool.conformance.catalog.catalog(["adaptive_max_pool"]))
    n_avg = len(refpool.conformance.catalog.catalog(["adaptive_avg_pool"]))
    assert f"{n_avg} skipped" in out
    assert "adaptive_max_pool/2x3x13/" in out        # the failing ids say what failed
    failed = int(out.strip().splitlines()[-1].split(" failed")[0].split()[-1])
    passed = int(out.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    expected_failures = sum(1 for c in refpool.conformance.catalog.catalog(
        ["adaptive_max_pool"]) if c.shape[-1] == 13)
    assert failed == expected_failures > 0 and failed + passed == n_max


def test_selfcheck_passes_on_the_cpu_engine(capsys):
    assert main(["selfcheck", "--engines", "cpu", "--no-peers", "--quiet"]) == 0
    assert "selfcheck PASSED" in capsys.readouterr().out
