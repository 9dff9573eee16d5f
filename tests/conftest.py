"""Test-suite setup shared by every test module.

* CUDA kernels run on Numba's CUDA simulator unless the caller asks otherwise
  (``NUMBA_ENABLE_CUDASIM=0`` on a machine with a GPU).  The variable must be set
  before numba is imported, hence here.
* Hypothesis profiles: ``ci`` (derandomised, the default under CI=true) and
  ``dev``; choose with ``HYPOTHESIS_PROFILE``.
"""

import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
