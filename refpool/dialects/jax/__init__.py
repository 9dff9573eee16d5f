"""JAX's ``jax.image`` resizing over refpool's core operators.

``resize(image, shape, method, antialias, precision)`` and
``scale_and_translate(image, shape, spatial_dims, scale, translation, method,
antialias, precision)`` keep ``jax.image``'s names, defaults and layout: ``shape``
is the whole output shape, and every axis whose size changes (``resize``) or that
``spatial_dims`` names (``scale_and_translate``) is resampled, wherever it sits.
JAX is not a dependency: the rules are read from ``jax/_src/image/scale.py`` and
checked against it (``tests/test_resize_dialects_jax_tf.py``).
"""

from .resize import METHODS, resize, scale_and_translate

__all__ = ["resize", "scale_and_translate", "METHODS"]
