"""Pillow's ``Image.resize`` of float (mode ``"F"``) images over refpool's core operators.

``resize(image, size, resample, box, reducing_gap)`` takes the image as a 2-D
float32 array ``(height, width)`` and keeps PIL's argument order and conventions:
``size`` is ``(width, height)`` and ``box`` is ``(left, upper, right, lower)``.
The filter constants carry ``PIL.Image.Resampling``'s names and values.  Pillow is
not a dependency: the rules are read from its sources and checked against it
(``tests/test_resize_dialects_pil_cv2_skimage.py``).
"""

from .resize import (BICUBIC, BILINEAR, BOX, HAMMING, LANCZOS, MKS2013, MKS2021, NEAREST,
                     resize)

__all__ = ["resize", "NEAREST", "BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS",
           "MKS2013", "MKS2021"]
