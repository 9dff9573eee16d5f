"""refpool: ground-truth equivariant pooling, antialiased downsampling and upsampling.

NumPy arrays in, NumPy arrays out (CUDA arrays in, CUDA arrays out).  Every
operator runs on three engines (``reference``, ``cpu``, ``cuda``) chosen with
the ``engine=`` keyword.
"""

from ._version import __version__
from ._args import SizeLimitError
from . import groups
from .fields import FieldType
from .equivariance import check_equivariance, exact_symmetries
from .pooling import (adaptive_avg_pool, adaptive_max_pool, avg_pool, fractional_max_pool,
                      global_avg_pool, global_lp_pool, global_max_pool, lp_pool, max_pool)
from .interpolate import interpolate, resample
from .kernels import binomial_kernel, binomial_taps, gaussian_kernel, gaussian_taps
from .antialiased import antialiased_avg_pool, antialiased_max_pool, blur_pool
from .field_pooling import (group_pool, induced_norm_pool, invariant_field_type,
                            max_pool_channels, norm_max_pool, norm_pool, subgroup_field_type,
                            subgroup_pool)
from .shuffle import depth_to_space, pixel_shuffle, pixel_unshuffle, space_to_depth
from .unpooling import max_unpool
from .region_pooling import roi_align, roi_pool
from .sampling import affine_grid, grid_sample
from .upfirdn import filtered_downsample, filtered_upsample, upfirdn
from .spline import affine_transform, map_coordinates, rotate
from .polyphase import aps_downsample, aps_upsample
from .pipeline import (Pipeline, compose, equivariant_sizes, merge, nearest_equivariant_size,
                       pointwise, skip)

__all__ = [
    "__version__", "SizeLimitError", "groups", "FieldType", "exact_symmetries", "check_equivariance",
    "max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
    "fractional_max_pool", "global_max_pool", "global_avg_pool", "global_lp_pool",
    "interpolate",
    "resample",
    "gaussian_taps", "gaussian_kernel", "binomial_taps", "binomial_kernel",
    "antialiased_avg_pool", "antialiased_max_pool", "blur_pool",
    "group_pool", "norm_pool", "induced_norm_pool", "norm_max_pool", "invariant_field_type",
    "subgroup_pool", "subgroup_field_type", "max_pool_channels",
    "pixel_shuffle", "pixel_unshuffle", "depth_to_space", "space_to_depth",
    "max_unpool",
    "roi_pool", "roi_align",
    "grid_sample", "affine_grid",
    "upfirdn", "filtered_upsample", "filtered_downsample",
    "map_coordinates", "affine_transform", "rotate",
    "aps_downsample", "aps_upsample",
    "Pipeline", "compose", "merge", "skip", "pointwise", "equivariant_sizes",
    "nearest_equivariant_size",
]
