"""Golden vectors: the reference engine's answers on the catalogue, on disk.

Layout of a golden directory (format version 1)::

    manifest.json      {"format_version": 1, "refpool_version": ..., "cases": [...]}
    <op>.npz           one NumPy .npz archive per operator

Each manifest case holds the case's metadata (``id``, ``op``, ``shape``,
``dtype``, ``seed``, ``kwargs``, ``specials``, ``exact``, ``tolerance``) plus
``file`` (the archive) and ``arrays``: the archive member names of the case's
``input`` and of its ``outputs`` (one, or two for ``return_indices``).  An
``.npz`` is a zip of ``.npy`` files, readable from any language (the ``.npy``
header is a short ASCII dict giving dtype, order and shape).  Inputs are stored
so that consumers need not reproduce NumPy's random generator; in tuples,
keyword values are encoded as ``{"__tuple__": [...]}``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .._version import __version__
from .catalog import Case, catalog

FORMAT_VERSION = 1


def write_golden(directory, cases=None, progress=None):
    """Compute the reference outputs of ``cases`` and write them to ``directory``."""
    import refpool
    cases = catalog() if cases is None else cases
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
        store[f"{key}_input"] = x
        names = []
        for j, out in enumerate(outputs):
            store[f"{key}_output{j}"] = np.asarray(out)
            names.append(f"{key}_output{j}")
        entry = case.to_json()
        entry.update(file=f"{case.op}.npz", arrays={"input": f"{key}_input", "outputs": names})
        entries.append(entry)
        if progress:
            progress(i + 1, len(cases), case)
    for op, arrays in archives.items():
        np.savez_compressed(os.path.join(directory, f"{op}.npz"), **arrays)
    manifest = {"format_version": FORMAT_VERSION, "refpool_version": __version__,
                "generator": "refpool golden", "cases": entries}
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def read_golden(directory):
    """Yield ``(case, input, expected)`` from a golden directory."""
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported golden format {manifest.get('format_version')!r}")
    opened = {}
    for entry in manifest["cases"]:
        archive = opened.get(entry["file"])
        if archive is None:
            archive = opened[entry["file"]] = np.load(os.path.join(directory, entry["file"]))
        outputs = tuple(archive[name] for name in entry["arrays"]["outputs"])
        expected = outputs if len(outputs) > 1 else outputs[0]
        yield Case.from_json(entry), archive[entry["arrays"]["input"]], expected
