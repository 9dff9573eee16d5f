"""Golden vectors: the reference engine's answers on the catalogue, on disk.

Layout of a golden directory (format version 1)::

    manifest.json      {"format_version": 1, "refpool_version": ..., "cases": [...]}
    <op>.npz           one NumPy .npz archive per operator

Each manifest case holds the case's metadata (``id``, ``op``, ``shape``,
``dtype``, ``seed``, ``kwargs``, ``specials``, ``exact``, ``tolerance``) plus
``file`` (the archive, a plain name inside the directory), ``arrays``: the
archive member names of the case's ``input`` and of its ``outputs`` (one, or two
for ``return_indices``), and ``sha256``: for each of those names, the SHA-256
of its ``<name>.npy`` member, the bytes stored in the archive.  An ``.npz`` is a
zip of ``.npy`` files, readable from any language (the ``.npy`` header is a
short ASCII dict giving dtype, order and shape).  Inputs are stored so that
consumers need not reproduce NumPy's random generator; in tuples, keyword
values are encoded as ``{"__tuple__": [...]}``.

Reading never unpickles (``allow_pickle=False``) and turns every problem with
the files into a :class:`GoldenError` naming the file (and the case): a missing,
truncated or non-zip archive, an unreadable ``.npy`` member, a checksum
mismatch, a member missing from its archive, a stored array whose shape or dtype
disagrees with the manifest, a ``file`` outside the directory, a manifest that
is not JSON or lists no cases.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._version import __version__
from .catalog import Case, catalog
from .compare import TOLERANCE
from .runner import ConformanceError, check_ops, known_operators

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class GoldenError(ConformanceError):
    """A golden directory, archive or case that cannot be read.

    Attributes
    ----------
    path : str or None
        The file at fault (``manifest.json`` or an archive).
    case_id : str or None
        The case at fault, when the problem is one case's.
    """

    def __init__(self, message, path=None, case_id=None):
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)
        self.case_id = case_id


# --------------------------------------------------------------------------- writing
def _npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_golden(directory, cases=None, progress=None):
    """Compute the reference outputs of ``cases`` and write them to ``directory``.

    Returns the manifest (a dict).  Raises ``ValueError`` naming ``cases`` when there
    is nothing to write.
    """
    import refpool
    cases = catalog() if cases is None else list(cases)
    if not cases:
        raise ValueError("cases: no cases to write (an empty golden directory would "
                         "check nothing)")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    archives = {}
    counters = {}
    entries = []
    for i, case in enumerate(cases):
        x = case.make_input()
        result = getattr(refpool, case.op)(x, **case.call_kwargs(), engine="reference")
        outputs = result if isinstance(result, tuple) else (result,)
        store = archives.setdefault(case.op, {})
        counters[case.op] = counters.get(case.op, 0) + 1
        key = f"c{counters[case.op]:05d}"
        members = {f"{key}_input": _npy_bytes(x)}
        names = []
        for j, out in enumerate(outputs):
            members[f"{key}_output{j}"] = _npy_bytes(np.asarray(out))
            names.append(f"{key}_output{j}")
        store.update(members)
        entry = case.to_json()
        entry.update(file=f"{case.op}.npz", arrays={"input": f"{key}_input", "outputs": names},
                     sha256={name: hashlib.sha256(data).hexdigest()
                             for name, data in members.items()})
        entries.append(entry)
        if progress:
            progress(i + 1, len(cases), case)
    for op, members in archives.items():
        # The same layout as np.savez_compressed: deflated "<name>.npy" members.
        path = os.path.join(directory, f"{op}.npz")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(f"{name}.npy", data)
    manifest = {"format_version": FORMAT_VERSION, "refpool_version": __version__,
                "generator": "refpool golden", "cases": entries}
    with open(os.path.join(directory, MANIFEST), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


# --------------------------------------------------------------------------- reading
def load_manifest(directory):
    """The checked manifest of a golden directory (a dict); :class:`GoldenError` if it
    cannot be read, is not a format-1 manifest or lists no cases."""
    path = os.path.join(os.fspath(directory), MANIFEST)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise GoldenError(f"{path}: cannot read the golden manifest ({exc.strerror or exc})",
                          path) from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldenError(f"{path}: not a valid JSON golden manifest ({exc})", path) from None
    if not isinstance(manifest, dict):
        raise GoldenError(f"{path}: a golden manifest is a JSON object, got "
                          f"{type(manifest).__name__}", path)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise GoldenError(f"{path}: unsupported golden format {version!r} (this refpool reads "
                          f"format {FORMAT_VERSION})", path)
    entries = manifest.get("cases")
    if not isinstance(entries, list):
        raise GoldenError(f"{path}: \"cases\" must be a list of cases, got "
                          f"{type(entries).__name__}", path)
    if not entries:
        raise GoldenError(f"{path}: the manifest lists no cases; an empty golden directory "
                          "checks nothing", path)
    return manifest


@dataclass
class GoldenCase:
    """One case of a golden directory, as :func:`iter_golden` yields it.

    Either ``error`` is ``None`` and ``input``/``expected`` hold the stored arrays
    (``expected`` a tuple for two outputs), or ``error`` is the :class:`GoldenError`
    that kept this case from being read (``case`` then holds whatever the manifest
    said: at least an id and an operator name).
    """

    case: Case
    input: Optional[np.ndarray] = None
    expected: Any = None
    error: Optional[GoldenError] = None


def _entry_label(entry, index):
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return entry["id"]
    return f"#{index}"


def _placeholder(entry, index):
    """A Case standing for a manifest entry that could not be read, for the report."""
    op = entry.get("op") if isinstance(entry, dict) else None
    return Case(_entry_label(entry, index), op if isinstance(op, str) else "?", (), "?", 0)


def _inside(directory, name):
    """The path of ``name`` if it is a plain relative path inside ``directory``, else None."""
    if not isinstance(name, str) or not name or "\x00" in name:
        return None
    if os.path.isabs(name) or os.path.splitdrive(name)[0]:
        return None
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return None
    root = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, path]) != root or path == root:
        return None
    return path


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


class _Archive:
    """One ``.npz`` archive, opened on first use; every failure is a GoldenError."""

    def __init__(self, path, label):
        self.path = path
        self.label = label
        self._zip = None
        self._error = None

    def _open(self):
        if self._zip is None and self._error is None:
            try:
                self._zip = zipfile.ZipFile(self.path)
            except FileNotFoundError:
                self._error = f"{self.label}: golden archive not found"
            except zipfile.BadZipFile as exc:
                self._error = (f"{self.label}: not a valid .npz archive (a damaged or truncated "
                               f"zip file: {exc})")
            except (OSError, ValueError, EOFError) as exc:
                self._error = f"{self.label}: cannot open the golden archive ({exc})"
        if self._error is not None:
            raise GoldenError(self._error, self.path)
        return self._zip

    def read(self, name, case_id, checksum=None):
        archive = self._open()
        member = f"{name}.npy"
        where = f"{self.label}, array {name!r} of case {case_id}"
        try:
            data = archive.read(member)
        except KeyError:
            raise GoldenError(f"{where}: no member {member!r} in the archive", self.path,
                              case_id) from None
        except Exception as exc:  # noqa: BLE001 - zlib.error, BadZipFile (CRC), EOFError, ...
            raise GoldenError(f"{where}: the archive is damaged ({type(exc).__name__}: {exc})",
                              self.path, case_id) from None
        if checksum is not None and hashlib.sha256(data).hexdigest() != checksum:
            raise GoldenError(f"{where}: sha256 checksum mismatch (the stored array differs "
                              "from the one the manifest was written with)", self.path, case_id)
        buffer = io.BytesIO(data)
        try:
            version = np.lib.format.read_magic(buffer)
            header_reader = _HEADER_READERS.get(version)
            if header_reader is not None:
                dtype = header_reader(buffer)[2]
                if dtype.hasobject:
                    raise GoldenError(f"{where}: holds pickled (object) data, which golden "
                                      "files never contain; refused", self.path, case_id)
            buffer.seek(0)
            return np.lib.format.read_array(buffer, allow_pickle=False)
        except GoldenError:
            raise
        except Exception as exc:  # noqa: BLE001 - any malformed .npy member
            raise GoldenError(f"{where}: not a valid .npy array ({type(exc).__name__}: {exc})",
                              self.path, case_id) from None

    def close(self):
        if self._zip is not None:
            self._zip.close()


def _check_ops(ops, manifest_ops, path):
    """Validated ``ops`` (a set) or None for all; ConformanceError naming ``ops`` for an
    unknown operator, GoldenError for one without cases in the manifest."""
    wanted = check_ops(ops)
    if wanted is None:
        return None
    missing = [op for op in wanted if op not in manifest_ops]
    if missing:
        raise GoldenError(f"{path}: no cases of {', '.join(map(repr, missing))} in the golden "
                          f"manifest (it has {', '.join(sorted(manifest_ops)) or 'none'})", path)
    return set(wanted)


def _shape_of(value):
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        return None
    return tuple(value)


def _read_entry(directory, entry, index, archives):
    """``GoldenCase`` for one manifest entry; raises GoldenError for a per-case problem."""
    manifest = os.path.join(directory, MANIFEST)
    label = _entry_label(entry, index)
    if not isinstance(entry, dict):
        raise GoldenError(f"{manifest}: case {label} is not a JSON object", manifest, label)
    op = entry.get("op")
    if not isinstance(op, str) or op not in known_operators():
        raise GoldenError(f"{manifest}: case {label} names an unknown operator {op!r}",
                          manifest, label)
    try:
        case = Case.from_json(entry)
    except Exception as exc:  # noqa: BLE001 - missing keys, wrong types
        raise GoldenError(f"{manifest}: case {label} is malformed ({type(exc).__name__}: {exc})",
                          manifest, label) from None
    try:
        case.call_kwargs()
    except Exception as exc:  # noqa: BLE001 - a bad field-type spec, ...
        raise GoldenError(f"{manifest}: case {label} has bad kwargs ({type(exc).__name__}: "
                          f"{exc})", manifest, label) from None
    shape = _shape_of(entry.get("shape"))
    if shape is None:
        raise GoldenError(f"{manifest}: case {label} has a bad shape {entry.get('shape')!r} "
                          "(a list of non-negative integers)", manifest, label)
    try:
        dtype = np.dtype(case.dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype not in TOLERANCE:
        raise GoldenError(f"{manifest}: case {label} has a bad dtype {entry.get('dtype')!r} "
                          "('float32' or 'float64')", manifest, label)
    name = entry.get("file")
    path = _inside(directory, name)
    if path is None:
        raise GoldenError(f"{manifest}: case {label} has file {name!r}, which is not a plain "
                          "file name inside the golden directory (absolute paths and '..' are "
                          "refused)", manifest, label)
    arrays = entry.get("arrays")
    if (not isinstance(arrays, dict) or not isinstance(arrays.get("input"), str)
            or not isinstance(arrays.get("outputs"), list) or not arrays["outputs"]
            or not all(isinstance(n, str) for n in arrays["outputs"])):
        raise GoldenError(f"{manifest}: case {label} has malformed \"arrays\" {arrays!r} "
                          "(expected {\"input\": name, \"outputs\": [name, ...]})",
                          manifest, label)
    names = [arrays["input"]] + list(arrays["outputs"])
    checksums = entry.get("sha256")
    if checksums is not None and (not isinstance(checksums, dict) or not all(
            isinstance(checksums.get(n), str) for n in names)):
        raise GoldenError(f"{manifest}: case {label} has malformed \"sha256\" checksums "
                          "(expected one hex digest per array name)", manifest, label)
    archive = archives.get(path)
    if archive is None:
        archive = archives[path] = _Archive(path, os.path.join(directory, name))
    loaded = [archive.read(n, label, None if checksums is None else checksums[n])
              for n in names]
    x, outputs = loaded[0], tuple(loaded[1:])
    if x.shape != shape or x.dtype != dtype:
        raise GoldenError(f"{archive.label}: the stored input of case {label} has shape "
                          f"{x.shape} and dtype {x.dtype}, but the manifest says shape {shape} "
                          f"and dtype {dtype}", path, label)
    for n, out in zip(arrays["outputs"], outputs):
        if out.dtype.kind not in "iu" and out.dtype not in TOLERANCE:
            raise GoldenError(f"{archive.label}: output {n!r} of case {label} has dtype "
                              f"{out.dtype}; golden outputs are float32, float64 or integer "
                              "indices", path, label)
    expected = outputs if len(outputs) > 1 else outputs[0]
    return GoldenCase(case, x, expected)


def iter_golden(directory, ops=None):
    """The cases of a golden directory, one :class:`GoldenCase` each, in manifest order.

    The manifest is read and checked at once: :class:`GoldenError` if it is unusable
    or ``ops`` names an operator with no cases in it, ``ConformanceError`` (the base
    class of GoldenError, a ``ValueError``) naming ``ops`` if ``ops`` holds an unknown
    operator.
    Archives are opened lazily, only those of the selected ``ops``; a problem with one
    case (its archive damaged or missing, a member missing, a checksum mismatch, a
    shape or dtype that disagrees with the manifest, an unknown operator) is reported
    in that case's ``error`` and the iteration goes on.
    """
    directory = os.fspath(directory)
    manifest = load_manifest(directory)
    entries = manifest["cases"]
    manifest_ops = {e.get("op") for e in entries
                    if isinstance(e, dict) and isinstance(e.get("op"), str)}
    wanted = _check_ops(ops, manifest_ops, os.path.join(directory, MANIFEST))
    return _iterate(directory, entries, wanted)


def _iterate(directory, entries, wanted):
    archives = {}
    try:
        for index, entry in enumerate(entries):
            if wanted is not None and (not isinstance(entry, dict)
                                       or not isinstance(entry.get("op"), str)
                                       or entry["op"] not in wanted):
                continue
            try:
                yield _read_entry(directory, entry, index, archives)
            except GoldenError as exc:
                yield GoldenCase(_placeholder(entry, index), error=exc)
    finally:
        for archive in archives.values():
            archive.close()


def read_golden(directory, ops=None):
    """Yield ``(case, input, expected)`` from a golden directory.

    Strict: the first problem raises :class:`GoldenError` (see :func:`iter_golden`
    for a reader that reports problems case by case).  ``ops`` selects operators;
    only their archives are opened, and an unknown name raises ``ConformanceError``
    (a ``ValueError``) naming ``ops``.
    """
    for item in iter_golden(directory, ops):
        if item.error is not None:
            raise item.error
        yield item.case, item.input, item.expected
