"""OpenCV's ``cv2.resize`` of float images over refpool's core operators.

``resize(src, dsize, dst, fx, fy, interpolation)`` takes ``(H, W)`` or ``(H, W, C)``
float32/float64 arrays and keeps OpenCV's conventions: ``dsize`` is ``(width,
height)``, ``fx``/``fy`` apply when ``dsize`` is empty, and the ``INTER_*``
constants carry OpenCV's values.  OpenCV is not a dependency: the rules are read
from its sources and checked against opencv-python
(``tests/test_resize_dialects_pil_cv2_skimage.py``).
"""

from .resize import (INTER_AREA, INTER_CUBIC, INTER_LANCZOS4, INTER_LINEAR,
                     INTER_LINEAR_EXACT, INTER_NEAREST, INTER_NEAREST_EXACT, resize)

__all__ = ["resize", "INTER_NEAREST", "INTER_LINEAR", "INTER_CUBIC", "INTER_AREA",
           "INTER_LANCZOS4", "INTER_LINEAR_EXACT", "INTER_NEAREST_EXACT"]
