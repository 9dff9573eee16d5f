"""scikit-image's ``transform.resize`` and ``transform.rescale`` over refpool's core
operators.

Orders 0 (nearest) and 1 (linear), every ``mode``, ``cval``, ``clip``,
``preserve_range``, ``anti_aliasing`` and ``anti_aliasing_sigma``, with
scikit-image's names, defaults and dtype rules.  scikit-image is not a dependency:
the rules are read from its sources (and SciPy's ``ndimage``) and checked against
it (``tests/test_resize_dialects_pil_cv2_skimage.py``).
"""

from .resize import rescale, resize

__all__ = ["resize", "rescale"]
