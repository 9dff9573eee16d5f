"""Golden vectors: damaged files, hostile manifests, stored inputs and exit codes.

Every test works on a fresh copy of a small golden directory (two operators,
written once per module with the reference engine) and runs it against the
``reference`` adapter, which needs no compilation.
"""

import hashlib
import io
import json
import os
import shutil
import zipfile

import numpy as np
import pytest

import refpool
from refpool.cli import main
from refpool.conformance import runner
from refpool.conformance.catalog import catalog
from refpool.conformance.golden import GoldenError, iter_golden, read_golden, write_golden

OPS = ["adaptive_max_pool", "group_pool"]
RAW_ERRORS = (zipfile.BadZipFile, EOFError, KeyError, OSError)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    directory = tmp_path_factory.mktemp("golden")
    write_golden(directory, catalog(OPS))
    return directory


@pytest.fixture
def golden(pristine, tmp_path):
    directory = tmp_path / "golden"
    shutil.copytree(pristine, directory)
    return directory


# --------------------------------------------------------------------------- helpers
def load_manifest(d):
    return json.loads((d / "manifest.json").read_text())


def save_manifest(d, manifest):
    (d / "manifest.json").write_text(json.dumps(manifest))


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def rewrite_archive(d, file, replace=None, drop=(), update_checksums=True):
    """Rewrite ``d/file`` with members replaced (``{name: bytes}``) or dropped; by
    default the manifest's checksums follow, as a careful forger would do."""
    replace = replace or {}
    with zipfile.ZipFile(d / file) as z:
        members = {info.filename: z.read(info.filename) for info in z.infolist()}
    for name, data in replace.items():
        members[f"{name}.npy"] = data
    for name in drop:
        del members[f"{name}.npy"]
    with zipfile.ZipFile(d / file, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for member, data in members.items():
            z.writestr(member, data)
    if update_checksums and replace:
        manifest = load_manifest(d)
        for entry in manifest["cases"]:
            for name, data in replace.items():
                if entry["file"] == file and name in entry["sha256"]:
                    entry["sha256"][name] = hashlib.sha256(data).hexdigest()
        save_manifest(d, manifest)


def first_entry(d, op, predicate=lambda e: True):
    return next(e for e in load_manifest(d)["cases"] if e["op"] == op and predicate(e))


def conformance(d, *extra, against="reference"):
    return main(["conformance", "--against", against, "--golden", str(d), "--quiet", *extra])


def strict_error(d, **kwargs):
    """The GoldenError that read_golden raises (reading every case)."""
    with pytest.raises(GoldenError) as info:
        for _ in read_golden(d, **kwargs):
            pass
    assert isinstance(info.value, ValueError) and not isinstance(info.value, RAW_ERRORS)
    return info.value


def n_cases(op):
    return len(catalog([op]))


# --------------------------------------------------------------------------- baseline
def test_pristine_directory_passes_and_is_plain_npz(golden, capsys):
    assert conformance(golden) == 0
    assert "PASS" in capsys.readouterr().out
    manifest = load_manifest(golden)
    entry = manifest["cases"][0]
    names = [entry["arrays"]["input"]] + entry["arrays"]["outputs"]
    assert sorted(entry["sha256"]) == sorted(names)
    with zipfile.ZipFile(golden / entry["file"]) as z:
        for name in names:
            assert entry["sha256"][name] == hashlib.sha256(z.read(f"{name}.npy")).hexdigest()
    # still an ordinary .npz that NumPy reads without pickles
    with np.load(golden / entry["file"], allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive[entry["arrays"]["input"]],
                                      catalog(OPS)[0].make_input())


# --------------------------------------------------------------------------- (a) damage
def damage_truncate(d):
    data = (d / "group_pool.npz").read_bytes()
    (d / "group_pool.npz").write_bytes(data[: len(data) // 2])


def damage_random_bytes(d):
    (d / "group_pool.npz").write_bytes(np.random.default_rng(0).bytes(4096))


def damage_empty_file(d):
    (d / "group_pool.npz").write_bytes(b"")


def damage_missing_archive(d):
    os.remove(d / "group_pool.npz")


def damage_missing_member(d):
    rewrite_archive(d, "group_pool.npz", drop=[first_entry(d, "group_pool")["arrays"]["input"]])


def damage_member_random_bytes(d):
    name = first_entry(d, "group_pool")["arrays"]["outputs"][0]
    rewrite_archive(d, "group_pool.npz", replace={name: np.random.default_rng(1).bytes(300)})


def damage_member_truncated_npy(d):
    entry = first_entry(d, "group_pool")
    with zipfile.ZipFile(d / "group_pool.npz") as z:
        data = z.read(entry["arrays"]["input"] + ".npy")
    rewrite_archive(d, "group_pool.npz", replace={entry["arrays"]["input"]: data[:-10]})


def damage_corrupt_compressed_data(d):
    data = bytearray((d / "group_pool.npz").read_bytes())
    data[200:260] = np.random.default_rng(2).bytes(60)
    (d / "group_pool.npz").write_bytes(bytes(data))


ARCHIVE_DAMAGE = [damage_truncate, damage_random_bytes, damage_empty_file,
                  damage_missing_archive, damage_missing_member, damage_member_random_bytes,
                  damage_member_truncated_npy, damage_corrupt_compressed_data]


@pytest.mark.parametrize("damage", ARCHIVE_DAMAGE, ids=lambda f: f.__name__[7:])
def test_damaged_archive_is_a_clear_error_naming_the_file(golden, damage, capsys):
    damage(golden)
    error = strict_error(golden)
    assert "group_pool.npz" in str(error) and error.path.endswith("group_pool.npz")
    assert "pickle" not in str(error)
    # the command line reports the damaged cases, runs the others, and exits 2
    assert conformance(golden) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "group_pool.npz" in out.out and "could not be run" in out.out
    report = {item.case.id: item.error for item in iter_golden(golden)}
    assert all(report[c.id] is None for c in catalog(["adaptive_max_pool"]))


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", "\xff\xfe", '{"cases": []}',
                                  '{"format_version": 1}', '{"format_version": 1, "cases": 3}',
                                  '{"format_version": 2, "cases": [{}]}'],
                         ids=["bad-json", "empty", "list", "bad-utf8", "no-version",
                              "no-cases", "cases-not-list", "other-version"])
def test_bad_manifest_is_a_clear_error_naming_it(golden, text, capsys):
    (golden / "manifest.json").write_bytes(text.encode("latin-1"))
    error = strict_error(golden)
    assert "manifest.json" in str(error)
    assert conformance(golden) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "Traceback" not in err


def test_missing_manifest(tmp_path, capsys):
    error = strict_error(tmp_path)
    assert "manifest.json" in str(error)
    assert conformance(tmp_path) == 2


def test_object_arrays_are_refused_without_unpickling(golden):
    name = first_entry(golden, "group_pool")["arrays"]["input"]
    rewrite_archive(golden, "group_pool.npz",
                    replace={name: npy(np.array([1, "a"], dtype=object), allow_pickle=True)})
    error = strict_error(golden)
    assert "pickled (object) data" in str(error) and "group_pool.npz" in str(error)


# --------------------------------------------------------------------------- (b) --ops
def test_only_the_selected_archives_are_opened(golden, capsys):
    damage_random_bytes(golden)
    cases = list(read_golden(golden, ops=["adaptive_max_pool"]))
    assert len(cases) == n_cases("adaptive_max_pool")
    assert {case.op for case, _, _ in cases} == {"adaptive_max_pool"}
    assert conformance(golden, "--ops", "adaptive_max_pool") == 0
    assert "PASS" in capsys.readouterr().out


# --------------------------------------------------------------------------- (c) inputs
def test_a_zeroed_stored_input_is_used_and_fails(golden, capsys):
    entry = first_entry(golden, "adaptive_max_pool")
    with zipfile.ZipFile(golden / entry["file"]) as z:
        x = np.lib.format.read_array(io.BytesIO(z.read(entry["arrays"]["input"] + ".npy")))
    rewrite_archive(golden, entry["file"], replace={entry["arrays"]["input"]:
                                                    npy(np.zeros_like(x))})
    assert conformance(golden, "--ops", "adaptive_max_pool") == 1
    out = capsys.readouterr().out
    assert f"1 failing case(s):\n  {entry['id']}:" in out


def test_the_stored_input_not_the_seed_decides(golden):
    """Replace a case's input and outputs consistently: only a run that feeds the stored
    input to the adapter can pass."""
    manifest = load_manifest(golden)
    entries = [e for e in manifest["cases"] if e["op"] == "group_pool"][:3]
    for entry in entries:
        with zipfile.ZipFile(golden / entry["file"]) as z:
            x = np.lib.format.read_array(io.BytesIO(z.read(entry["arrays"]["input"] + ".npy")))
        case = next(c for c in catalog(["group_pool"]) if c.id == entry["id"])
        x = np.ascontiguousarray(-x[..., ::-1])
        out = refpool.group_pool(x, **case.call_kwargs(), engine="reference")
        rewrite_archive(golden, entry["file"], replace={entry["arrays"]["input"]: npy(x),
                                                        entry["arrays"]["outputs"][0]: npy(out)})
    assert conformance(golden, "--ops", "group_pool") == 0
    # and run_case takes the input it is given
    item = next(iter_golden(golden, ops=["group_pool"]))
    assert not np.array_equal(item.input, item.case.make_input())
    outcome = runner.run_case(runner.load_adapter("reference"), item.case,
                              expected=item.expected, x=item.input)
    assert outcome.state == runner.PASSED


# --------------------------------------------------------------------------- (d) nothing to run
def test_empty_case_list_does_not_pass(golden, capsys):
    manifest = load_manifest(golden)
    manifest["cases"] = []
    save_manifest(golden, manifest)
    assert "no cases" in str(strict_error(golden))
    assert conformance(golden) == 2
    assert "no cases" in capsys.readouterr().err


def test_unknown_operator_in_the_manifest_is_an_error(golden, capsys):
    manifest = load_manifest(golden)
    manifest["cases"][0]["op"] = "max_poool"
    save_manifest(golden, manifest)
    assert "max_poool" in str(strict_error(golden))
    assert conformance(golden) == 2
    out = capsys.readouterr().out
    assert "max_poool" in out and "1 case(s) could not be run" in out


@pytest.mark.parametrize("golden_run", [True, False], ids=["golden", "catalogue"])
def test_typo_in_ops_is_an_error(golden, golden_run, capsys):
    extra = ("--golden", str(golden)) if golden_run else ()
    assert main(["conformance", "--against", "reference", "--ops", "max_pol", "--quiet",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert "ops" in err and "max_pol" in err
    with pytest.raises(runner.ConformanceError, match="ops.*max_pol"):
        runner.run("reference", ops=["max_pol"])
    with pytest.raises(ValueError, match="ops.*max_pol"):
        list(read_golden(golden, ops=["max_pol"]))


def test_operator_without_cases_in_the_manifest_is_an_error(golden, capsys):
    assert conformance(golden, "--ops", "avg_pool") == 2
    assert "avg_pool" in capsys.readouterr().err


def test_golden_command_refuses_unknown_ops_and_writes_nothing(tmp_path, capsys):
    assert main(["golden", str(tmp_path / "g"), "--ops", "max_pol", "--quiet"]) == 2
    assert "max_pol" in capsys.readouterr().err
    assert not (tmp_path / "g" / "manifest.json").exists()
    with pytest.raises(ValueError, match="cases"):
        write_golden(tmp_path / "h", cases=[])


def test_a_run_of_no_cases_is_not_ok():
    report = runner.run("reference", cases=[])
    assert not report.ok and report.exit_code == 2
    assert "no cases ran" in report.format()


# --------------------------------------------------------------------------- (e) paths, checksums
@pytest.mark.parametrize("where", ["../outside/adaptive_max_pool.npz", "ABSOLUTE",
                                   "sub/../../outside/adaptive_max_pool.npz", "", ".", None])
def test_file_must_stay_inside_the_golden_directory(golden, tmp_path, where, capsys):
    outside = tmp_path / "outside"
    shutil.copytree(golden, outside)          # a perfectly valid archive, but elsewhere
    if where == "ABSOLUTE":
        where = str(outside / "adaptive_max_pool.npz")
    manifest = load_manifest(golden)
    manifest["cases"][0]["file"] = where
    save_manifest(golden, manifest)
    error = strict_error(golden)
    assert repr(where) in str(error) and manifest["cases"][0]["id"] in str(error)
    assert conformance(golden) == 2
    out = capsys.readouterr().out
    assert "1 case(s) could not be run" in out


def test_symlink_out_of_the_directory_is_refused(golden, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(golden, outside)
    os.remove(golden / "group_pool.npz")
    os.symlink(outside / "group_pool.npz", golden / "group_pool.npz")
    assert "inside the golden directory" in str(strict_error(golden))


def test_checksum_mismatch_names_the_case_and_the_file(golden, capsys):
    entry = first_entry(golden, "group_pool")
    name = entry["arrays"]["outputs"][0]
    with zipfile.ZipFile(golden / "group_pool.npz") as z:
        out = np.lib.format.read_array(io.BytesIO(z.read(name + ".npy")))
    out = out.copy()
    out.reshape(-1)[0] = 12345.0
    rewrite_archive(golden, "group_pool.npz", replace={name: npy(out)}, update_checksums=False)
    error = strict_error(golden)
    assert "sha256" in str(error) and entry["id"] in str(error)
    assert "group_pool.npz" in str(error) and error.case_id == entry["id"]
    assert conformance(golden) == 2
    assert "sha256" in capsys.readouterr().out


def test_manifests_without_checksums_are_still_read(golden):
    manifest = load_manifest(golden)
    for entry in manifest["cases"]:
        del entry["sha256"]
    save_manifest(golden, manifest)
    assert sum(1 for _ in read_golden(golden)) == len(manifest["cases"])


# --------------------------------------------------------------------------- (f) one bad case
@pytest.mark.parametrize("field, value", [("shape", [2, 3, 99]), ("dtype", "float33"),
                                          ("dtype", "float16"), ("shape", "abc"),
                                          ("seed", None), ("arrays", {"input": 3}),
                                          ("op", ["max_pool"]), ("sha256", "abc"),
                                          ("kwargs", {"output_size": 2,
                                                      "field_type": {"name": "broken"}})])
def test_one_bad_case_is_reported_and_the_run_continues(golden, field, value, tmp_path):
    manifest = load_manifest(golden)
    bad = manifest["cases"][1]
    if value is None:
        del bad[field]
    else:
        bad[field] = value
    save_manifest(golden, manifest)
    items = list(iter_golden(golden))
    assert len(items) == len(manifest["cases"])
    errors = [item for item in items if item.error is not None]
    assert [item.case.id for item in errors] == [bad["id"]]
    assert isinstance(errors[0].error, GoldenError)
    report_path = tmp_path / "report.json"
    assert conformance(golden, "--json", str(report_path)) == 2
    report = json.loads(report_path.read_text())
    assert report["exit_code"] == 2 and not report["ok"]
    assert [e["id"] for e in report["errors"]] == [bad["id"]]
    summary = report["summary"]
    assert summary["adaptive_max_pool"]["passed"] == n_cases("adaptive_max_pool") - 1
    assert summary["group_pool"]["passed"] == n_cases("group_pool")


def test_an_entry_that_is_not_an_object_is_reported_by_position(golden):
    manifest = load_manifest(golden)
    manifest["cases"][2] = 5
    save_manifest(golden, manifest)
    errors = [item for item in iter_golden(golden) if item.error is not None]
    assert [item.case.id for item in errors] == ["#2"]
    assert "manifest.json" in str(errors[0].error)
    assert sum(1 for _ in iter_golden(golden, ops=["group_pool"])) == n_cases("group_pool")


# --------------------------------------------------------------------------- (g) exit codes
BUGGY_ADAPTER = """
import refpool
NAME = "buggy"
def adaptive_max_pool(x, output_size, return_indices=False):
    r = refpool.adaptive_max_pool(x, output_size, return_indices, engine="reference")
    return (r[0] + 1, r[1]) if return_indices else r + 1
def group_pool(x, field_type):
    return refpool.group_pool(x, field_type, engine="reference")
"""


def test_exit_codes(golden, tmp_path, monkeypatch, capsys):
    (tmp_path / "golden_buggy_adapter.py").write_text(BUGGY_ADAPTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert conformance(golden) == 0
    assert conformance(golden, against="golden_buggy_adapter") == 1
    # a case that cannot be run outranks failures
    damage_missing_member(golden)
    assert conformance(golden, against="golden_buggy_adapter") == 2
    assert conformance(golden, "--ops", "adaptive_max_pool", against="golden_buggy_adapter") == 1
    # an adapter that cannot be imported
    assert conformance(golden, against="no_such_module_for_refpool_tests") == 2
    assert "no_such_module_for_refpool_tests" in capsys.readouterr().err


def test_exit_codes_are_documented_in_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["conformance", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "exit status" in out
    for code in ("0  every case passed", "1  at least one case failed",
                 "2  the run could not be completed"):
        assert code in out
    docs = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs",
                        "conformance.rst")
    with open(docs) as f:
        text = f.read()
    assert "exit status" in text and "2 wins over 1" in text
