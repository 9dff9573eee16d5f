"""The command line as a new user meets it: every misuse is one line on stderr that
names the problem and the fix (no traceback), with exit status 2; a conformance run
that compares nothing does not pass; reports in JSON and JUnit XML.

Each case runs ``python -m refpool ...`` in a subprocess with a small ``--ops``
selection, so the whole module takes seconds.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from refpool.conformance import runner, selfcheck
from refpool.conformance.catalog import catalog
from refpool.registry import OPERATORS

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
CONFORMANCE_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance")

NOTHING_ADAPTER = '''
NAME = "nothing-yet"
def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
    raise NotImplementedError("not written yet")
'''


def refpool(*args, pythonpath=(), timeout=300):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), ROOT,
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "refpool", *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def one_line_error(result, command="conformance"):
    """The single stderr line of a misuse (exit status 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"refpool {command}: error: "), lines[0]
    return lines[0]


# --------------------------------------------------------------------------- bare command
def test_bare_refpool_prints_help_and_how_to_run_the_selfcheck():
    result = refpool(timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "usage: refpool" in out
    for command in ("ops", "selfcheck", "conformance", "golden"):
        assert command in out
    assert "refpool selfcheck" in out                 # how to start
    assert "selfcheck PASSED" not in out and "== cpu" not in out   # and it did not start it


# --------------------------------------------------------------------------- --against
def test_unknown_adapter_lists_the_builtin_ones_and_the_module_form():
    line = one_line_error(refpool("conformance", "--against", "nonexistent",
                                  "--ops", "max_pool", "--quiet"))
    assert "'nonexistent'" in line
    for name in runner.BUILTIN_ADAPTERS:
        assert name in line
    assert "module:object" in line


def test_missing_attribute_of_an_adapter_module_is_named(tmp_path):
    (tmp_path / "half_adapter.py").write_text("NAME = 'half'\n")
    line = one_line_error(refpool("conformance", "--against", "half_adapter:Adapter",
                                  "--ops", "max_pool", "--quiet", pythonpath=[tmp_path]))
    assert "Adapter" in line and "half_adapter" in line


def test_adapter_whose_own_import_fails_says_what_is_missing(tmp_path):
    (tmp_path / "needs_stuff.py").write_text("import refpool_no_such_dependency\n")
    line = one_line_error(refpool("conformance", "--against", "needs_stuff",
                                  "--ops", "max_pool", "--quiet", pythonpath=[tmp_path]))
    assert "refpool_no_such_dependency" in line and "pip install" in line


@pytest.mark.parametrize("peer, module", [("jax", "jax"), ("torch", "torch"),
                                          ("e2cnn", "e2cnn"),
                                          ("antialiased_cnns", "antialiased_cnns")])
def test_builtin_peer_without_its_library_says_which_pip_install(peer, module, tmp_path):
    # hide the peer library (if installed) behind a module that refuses to import
    (tmp_path / f"{module}.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name='{module}')\n")
    line = one_line_error(refpool("conformance", "--against", peer, "--ops", "max_pool",
                                  "--quiet", pythonpath=[tmp_path]))
    assert f"--against {peer}" in line
    assert runner.INSTALL_HINTS[module] in line


# --------------------------------------------------------------------------- --ops
def test_unknown_operator_lists_the_valid_names():
    line = one_line_error(refpool("conformance", "--against", "reference", "--ops",
                                  "max_pol", "--quiet"))
    assert "'max_pol'" in line
    for name in OPERATORS:
        assert name in line


# --------------------------------------------------------------------------- --golden
def test_golden_on_a_missing_folder(tmp_path):
    missing = tmp_path / "no-such-golden"
    line = one_line_error(refpool("conformance", "--against", "reference", "--golden",
                                  missing, "--quiet"))
    assert str(missing) in line and "no such folder" in line
    assert f"refpool golden {missing}" in line


def test_golden_on_a_folder_without_manifest(tmp_path):
    line = one_line_error(refpool("conformance", "--against", "reference", "--golden",
                                  tmp_path, "--quiet"))
    assert "manifest.json" in line and "refpool golden" in line


def test_golden_into_a_path_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "golden"
    line = one_line_error(refpool("golden", target, "--ops", "adaptive_max_pool",
                                  "--quiet"), command="golden")
    assert str(target) in line and "cannot write" in line
    assert "choose a folder" in line
    assert blocker.read_text() == "not a folder"


def test_golden_report_names_the_folder_it_compared_against(tmp_path):
    golden = tmp_path / "vectors"
    written = refpool("golden", golden, "--ops", "adaptive_max_pool", "--quiet")
    assert written.returncode == 0, written.stderr
    result = refpool("conformance", "--against", "reference", "--golden", golden, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"against the golden vectors in {golden}" in result.stdout
    assert "refpool reference" not in result.stdout
    n = len(catalog(["adaptive_max_pool"]))
    assert f"PASS - {n} cases: {n} compared, 0 unsupported" in result.stdout


# --------------------------------------------------------------------------- reports
def test_json_into_a_missing_folder(tmp_path):
    line = one_line_error(refpool("conformance", "--against", "reference", "--ops",
                                  "adaptive_avg_pool", "--json", tmp_path / "no" / "r.json",
                                  "--quiet"))
    assert "--json" in line and "does not exist" in line


def test_junit_report_has_one_testcase_per_case(tmp_path):
    path = tmp_path / "report.xml"
    result = refpool("conformance", "--against", "reference", "--ops", "adaptive_avg_pool",
                     "--junit", path, "--json", tmp_path / "r.json", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    suite = ET.parse(path).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(catalog(["adaptive_avg_pool"])) == int(suite.get("tests"))
    assert suite.get("failures") == suite.get("errors") == suite.get("skipped") == "0"
    assert {c.get("classname") for c in cases} == {"refpool.adaptive_avg_pool"}
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["compared"] == len(cases) and data["exit_code"] == 0


def test_junit_report_of_a_failing_adapter(tmp_path):
    path = tmp_path / "report.xml"
    result = refpool("conformance", "--against", "broken_adapters:FloorAdaptiveWindows",
                     "--ops", "adaptive_avg_pool", "--junit", path, "--quiet",
                     pythonpath=[CONFORMANCE_TESTS])
    assert result.returncode == 1, result.stdout + result.stderr
    suite = ET.parse(path).getroot().find("testsuite")
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert len(failed) == int(suite.get("failures")) > 0
    assert "failed" in result.stdout.strip().splitlines()[-2]


# --------------------------------------------------------------------------- nothing compared
def test_a_run_that_compares_nothing_does_not_pass(tmp_path):
    (tmp_path / "nothing_adapter.py").write_text(NOTHING_ADAPTER)
    junit = tmp_path / "report.xml"
    result = refpool("conformance", "--against", "nothing_adapter", "--ops", "max_pool",
                     "--junit", junit, "--quiet", pythonpath=[tmp_path])
    n = len(catalog(["max_pool"]))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL - {n} cases: 0 compared, {n} unsupported" in result.stdout
    assert "--allow-unsupported" in result.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("skipped")) == n and int(suite.get("failures")) == 1

    allowed = refpool("conformance", "--against", "nothing_adapter", "--ops", "max_pool",
                      "--allow-unsupported", "--quiet", pythonpath=[tmp_path])
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert f"PASS - {n} cases: 0 compared, {n} unsupported" in allowed.stdout


def test_report_counts_compared_cases():
    cases = catalog(["adaptive_max_pool"])[:3]
    report = runner.Report("x", [runner.Outcome(cases[0], runner.PASSED),
                                 runner.Outcome(cases[1], runner.UNSUPPORTED),
                                 runner.Outcome(cases[2], runner.KNOWN, detail="why")], 0.0)
    assert report.compared == 2 and report.exit_code == 0
    assert report.totals() == "3 cases: 2 compared (1 known divergences), 1 unsupported"
    nothing = runner.Report("x", [runner.Outcome(c, runner.UNSUPPORTED) for c in cases], 0.0)
    assert nothing.exit_code == 1 and not nothing.ok
    assert runner.Report("x", nothing.outcomes, 0.0, allow_unsupported=True).ok
    assert runner.Report("x", [], 0.0, allow_unsupported=True).exit_code == 2
    error = runner.Report("x", [runner.Outcome(cases[0], runner.ERROR, detail="bad")], 0.0)
    assert error.exit_code == 2
    root = ET.fromstring(runner.junit_xml(error).split("\n", 1)[1])
    assert root.get("errors") == "1"


# --------------------------------------------------------------------------- selfcheck, plugin
def test_selfcheck_counts_a_case_in_error_as_a_failure(monkeypatch, capsys):
    case = catalog(["adaptive_max_pool"])[0]

    def fake_run(adapter, cases=None, progress=None, **kwargs):
        return runner.Report(adapter, [runner.Outcome(case, runner.ERROR, detail="bad")], 0.0)
    monkeypatch.setattr(runner, "run", fake_run)
    assert selfcheck.run_selfcheck(engines=["cpu"], use_peers=False, progress=False) == 1
    assert "selfcheck FAILED (1 cases)" in capsys.readouterr().out


def test_plugin_fails_a_case_in_error(monkeypatch):
    from refpool.conformance import plugin
    case = catalog(["adaptive_max_pool"])[0]
    monkeypatch.setattr(runner, "run_case",
                        lambda adapter, case: runner.Outcome(case, runner.ERROR, detail="bad"))

    class Item:
        adapter = None
    Item.case = case
    with pytest.raises(plugin.ConformanceFailure):
        plugin.ConformanceItem.runtest(Item())


def test_plugin_reports_an_unknown_adapter_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "--refpool-adapter=nonexistent"], cwd=tmp_path, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 4, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "ERROR: --refpool-adapter 'nonexistent'" in out and "Traceback" not in out
