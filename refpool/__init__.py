"""refpool: ground-truth equivariant pooling, antialiased downsampling and upsampling.

NumPy arrays in, NumPy arrays out (CUDA arrays in, CUDA arrays out).  Every
operator runs on three engines (``reference``, ``cpu``, ``cuda``) chosen with
the ``engine=`` keyword.
"""

from ._version import __version__
from .pooling import adaptive_avg_pool, adaptive_max_pool, avg_pool, max_pool

__all__ = [
    "__version__",
    "max_pool", "avg_pool", "adaptive_max_pool", "adaptive_avg_pool",
]
