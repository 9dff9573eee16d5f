"""The wheel that ``pip install`` builds: what it holds, and that it installs and imports.

The source (``setup.cfg``, ``pyproject.toml``, ``README.md`` and ``refpool/``) is
copied to a temporary folder first, so building never writes ``build/`` or
``*.egg-info`` into the working tree.  The wheel is built without build isolation
(the installed setuptools; no download).
"""

import configparser
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

import refpool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
PACKAGE = os.path.join(ROOT, "refpool")


def _subpackages():
    """Every package under refpool/ (a folder with __init__.py), as 'refpool/a/b/'."""
    found = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        if "__init__.py" in files:
            found.append(os.path.relpath(folder, ROOT).replace(os.sep, "/") + "/")
    return sorted(found)


def _modules():
    found = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [os.path.relpath(os.path.join(folder, f), ROOT).replace(os.sep, "/")
                  for f in files if f.endswith(".py")]
    return sorted(found)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    shutil.copytree(PACKAGE, source / "refpool",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("refpool-*.whl"))
    assert len(wheels) == 1, os.listdir(out)
    return wheels[0]


def test_wheel_holds_every_module_subpackage_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "refpool/py.typed" in names
    packages = _subpackages()
    assert "refpool/dask/" in packages and "refpool/conformance/adapters/" in packages
    for package in packages:
        assert package + "__init__.py" in names, package
    missing = [m for m in _modules() if m not in names]
    assert not missing, missing


def test_wheel_metadata_version_and_entry_points(wheel):
    archive = zipfile.ZipFile(wheel)
    dist_info = f"refpool-{refpool.__version__}.dist-info"
    assert wheel.name.startswith(f"refpool-{refpool.__version__}-")
    metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert f"\nVersion: {refpool.__version__}\n" in metadata
    entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert "refpool = refpool.cli:main" in entry_points
    assert "refpool = refpool.conformance.plugin" in entry_points


def test_the_version_is_written_in_one_place():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    assert config["metadata"]["version"] == "attr: refpool._version.__version__"
    pattern = re.compile(r"""__version__\s*=\s*["']""")
    written = [m for m in _modules() if pattern.search(open(os.path.join(ROOT, m)).read())]
    assert written == ["refpool/_version.py"]
    literal = re.escape(refpool.__version__)
    hard_coded = [m for m in _modules() if m != "refpool/_version.py"
                  and re.search(rf"""["']{literal}["']""", open(os.path.join(ROOT, m)).read())]
    assert not hard_coded, hard_coded


def test_wheel_installs_and_imports_in_a_fresh_venv(wheel, tmp_path):
    """(slow) ``pip install --no-deps`` into a venv that sees the system's numpy, numba
    and scipy; the import must come from the venv, not from the working tree."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)], capture_output=True, text=True, env=clean,
        timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    check = ("import refpool, refpool.dask, refpool.conformance.adapters, refpool.registry\n"
             "import numpy as np\n"
             "print(refpool.__file__)\n"
             "print(refpool.__version__)\n"
             "print(refpool.max_pool(np.arange(16.0).reshape(1, 1, 4, 4), 2, "
             "engine='reference').ravel().tolist())\n")
    result = subprocess.run([str(python), "-c", check], capture_output=True, text=True,
                            cwd=tmp_path, env=clean, timeout=300)
    assert result.returncode == 0, result.stderr
    where, version, pooled = result.stdout.strip().splitlines()
    assert os.path.realpath(where).startswith(os.path.realpath(env_dir)), where
    assert version == refpool.__version__
    assert pooled == "[5.0, 7.0, 13.0, 15.0]"
    script = env_dir / "bin" / "refpool"
    if script.exists():
        ops = subprocess.run([str(script), "ops"], capture_output=True, text=True,
                             cwd=tmp_path, env=clean, timeout=300)
        assert ops.returncode == 0 and "max_pool" in ops.stdout, ops.stderr
