"""TensorFlow's ``tf.nn`` pooling over refpool's core operators.

Names, argument order and defaults are ``tf.nn``'s: ``input`` in ``NHWC`` (the
channels last; ``data_format="NCHW"`` and its 1-D/3-D spellings for channels
first), ``ksize`` and ``strides`` as an int, one int per spatial axis, or ``N + 2``
ints with 1 for the batch and channel axes, and ``padding`` ``"VALID"``,
``"SAME"`` or explicit per-axis pairs.  TensorFlow is not a dependency: these
functions reproduce its documented semantics, checked against
``jax.lax.reduce_window`` (the same XLA windowing).

``tf.image.resize`` and the v1 ``resize_*`` ops: :mod:`refpool.dialects.tf.resize`.
"""

from .pooling import avg_pool, max_pool
from .resize import resize, resize_area, resize_bicubic, resize_bilinear, resize_nearest_neighbor

__all__ = ["max_pool", "avg_pool", "resize", "resize_bilinear", "resize_nearest_neighbor",
           "resize_bicubic", "resize_area"]
