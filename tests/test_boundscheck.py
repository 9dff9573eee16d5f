"""Run the CPU differential tests again with ``NUMBA_BOUNDSCHECK=1``.

Numba kernels do not check bounds by default, so an off-by-one would read
garbage or crash silently.  With bounds checking on, every out-of-bounds access
in a CPU kernel raises IndexError, so the differential tests fail loudly.  The
variable must be set before numba compiles anything, hence a subprocess (with
its own kernel cache, so the checked kernels never mix with the fast ones).
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.skipif(os.environ.get("NUMBA_BOUNDSCHECK") == "1",
                    reason="already running under bounds checking")
def test_cpu_differential_tests_pass_with_bounds_checking():
    # a plain serial child: no pytest-xdist worker identity leaks into it
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(NUMBA_BOUNDSCHECK="1",
               NUMBA_CACHE_DIR=os.path.join(HERE, os.pardir, ".pytest_cache",
                                            "numba-boundscheck"),
               HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "-m", "differential and not cuda", HERE],
        capture_output=True, text=True, env=env, cwd=os.path.join(HERE, os.pardir))
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, tail
    assert " passed" in result.stdout, tail
