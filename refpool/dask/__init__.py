r"""refpool's spatial operators on Dask arrays, chunked in space, with identical results.

``refpool.dask.max_pool(x, ...)`` takes a :class:`dask.array.Array` of layout
``(N, C, *spatial)`` and returns one, lazily, with the names, keywords and
defaults of the top-level operator.  The result equals the in-memory call
``refpool.max_pool(x.compute(), ...)`` for every chunking of ``x``: bitwise for
the selection operators (max pooling and its indices, norm max pooling, group
pooling, nearest interpolation), within the documented tolerance of linear
operators otherwise (and usually bitwise too).

How a call is cut into tasks (``docs/scaleout.rst`` states the rule of every
operator):

1. *Output chunks follow input chunks.*  Per spatial axis, output chunk ``i``
   starts at the first output whose input footprint starts in input chunk ``i``
   (so output chunk boundaries follow the stride).  Batch and channel chunks
   are kept (field operators move channel boundaries to field boundaries).
2. *Exact halos.*  The outputs ``[a, b)`` of an axis read a known input range,
   the operator's halo rule (:func:`refpool._geometry.window_input_range`,
   :func:`~refpool._geometry.adaptive_input_range`,
   :func:`~refpool._geometry.taps_input_range`), clipped to the input; what falls
   outside is padding.  Each task gets its input chunk and thin strips of the
   neighbouring chunks (slices: no copy).  Input chunks that own no output, or
   whose outputs read past a neighbour (chunks smaller than the halo), are
   merged with a neighbour first: the only rechunking, and only when needed.
3. *In-memory calls with adjusted arguments.*  Inside a task the outputs of
   each axis split into the run that reads only the task's chunk and the seams
   before and after it.  The run is computed by the public in-memory operator
   on the whole chunk (contiguous, no copy), the seams on small regions
   assembled from the chunk and the strips; every call gets arguments that make
   its result an exact slice of the whole-array result (padding only where the
   region meets the true border, explicit padding cells past the input's right
   end, whole leading outputs dropped to realign a stride, the divisors of the
   whole-array geometry, flat indices mapped back to the whole array).

The package mirrors the operator families of :mod:`refpool.registry`:

=================================  =================================================
module                             contents
=================================  =================================================
``refpool.dask._planning``         input checks (``_prepare``), the per-axis rules
                                   shared by several families, axis planning, halo
                                   strips, ``_apply``
``refpool.dask._blocks``           a task's input (``_Sources``), the ``_Block``
                                   base and the helpers shared by the blocks
``refpool.dask.pooling``           max_pool, avg_pool, lp_pool, adaptive_max_pool,
                                   adaptive_avg_pool, global_max_pool, global_avg_pool,
                                   global_lp_pool; fractional_max_pool (chunked over
                                   N and C only)
``refpool.dask.antialiased``       antialiased_avg_pool, antialiased_max_pool,
                                   blur_pool
``refpool.dask.interpolate``       interpolate, resample
``refpool.dask.field_pooling``     group_pool, norm_pool, induced_norm_pool,
                                   norm_max_pool, subgroup_pool, max_pool_channels
``refpool.dask.shuffle``           pixel_shuffle, pixel_unshuffle, depth_to_space,
                                   space_to_depth (no halo: block-aligned chunks)
``refpool.dask.unpooling``         max_unpool (no halo: chunked over N and C only)
``refpool.dask.region_pooling``    roi_pool, roi_align (boxes read anywhere: chunked
                                   over C only)
``refpool.dask.sampling``          grid_sample (chunked over N and C only, grid whole)
``refpool.dask.upfirdn``           upfirdn, filtered_upsample, filtered_downsample
                                   (chunked over N and C only)
``refpool.dask.spline``            map_coordinates, affine_transform, rotate
                                   (chunked over N and C only)
``refpool.dask.polyphase``         aps_downsample, aps_upsample (chunked over N only)
=================================  =================================================

Every public function is re-exported here: ``refpool.dask.<name>`` is
``refpool.dask.<family>.<name>``.  ``import refpool`` never imports this
package: Dask is an optional dependency, imported by ``import refpool.dask``.
"""

from __future__ import annotations

import importlib

try:                  # the optional dependency, checked before any submodule needs it
    importlib.import_module("dask.array")
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "refpool.dask needs Dask: pip install 'dask[array]' (and 'distributed' for a "
        "cluster), or pip install 'refpool[dask]'") from exc

from ..registry import OPERATORS as _OPERATORS
from .antialiased import antialiased_avg_pool, antialiased_max_pool, blur_pool
from .field_pooling import (group_pool, induced_norm_pool, max_pool_channels, norm_max_pool,
                            norm_pool, subgroup_pool)
from .interpolate import interpolate, resample
from .pooling import (adaptive_avg_pool, adaptive_max_pool, avg_pool, fractional_max_pool,
                      global_avg_pool, global_lp_pool, global_max_pool, lp_pool, max_pool)
from .shuffle import depth_to_space, pixel_shuffle, pixel_unshuffle, space_to_depth
from .unpooling import max_unpool
from .region_pooling import roi_align, roi_pool
from .sampling import grid_sample
from .upfirdn import filtered_downsample, filtered_upsample, upfirdn
from .spline import affine_transform, map_coordinates, rotate
from .polyphase import aps_downsample, aps_upsample

#: the public functions, named and ordered as :data:`refpool.registry.OPERATORS`
__all__ = [op.name for op in _OPERATORS.values()]

_EXPORTED = {f.__name__ for f in (
    max_pool, avg_pool, lp_pool, adaptive_max_pool, adaptive_avg_pool, fractional_max_pool,
    global_max_pool, global_avg_pool, global_lp_pool, antialiased_avg_pool,
    antialiased_max_pool, blur_pool, interpolate, resample, group_pool, norm_pool,
    induced_norm_pool, norm_max_pool, subgroup_pool, max_pool_channels, pixel_shuffle,
    pixel_unshuffle, depth_to_space,
    space_to_depth, max_unpool, roi_pool, roi_align, grid_sample, upfirdn,
    aps_downsample, aps_upsample, filtered_upsample, filtered_downsample, map_coordinates, affine_transform, rotate)}
if _EXPORTED != set(__all__):  # pragma: no cover - a registry row without its wrapper
    raise ImportError(f"refpool.dask re-exports {sorted(_EXPORTED)} but the registry "
                      f"lists {__all__}")
