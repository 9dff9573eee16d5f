"""Other frameworks' semantics over refpool's core operators.

refpool's top-level API speaks PyTorch's names and conventions.  A *dialect* is a
thin layer that takes another framework's operator by its own name, with its
argument names, defaults, layout, rounding and coordinate rules, maps them onto the
general core operators, and returns what that framework returns.  Dialects never
compute: every number comes from the core operators and their engines.

``refpool.dialects.onnx``
    One function per ONNX operator, named as the operator, taking the node's inputs
    positionally and its attributes as keywords with ONNX's names and defaults.
``refpool.dialects.tf``
    ``tf.nn`` pooling in NHWC layout with ``"SAME"``/``"VALID"`` padding;
    ``tf.image.resize`` and the v1 ``resize_*`` ops.
``refpool.dialects.jax``
    ``jax.image.resize`` and ``scale_and_translate`` over any axes.
``refpool.dialects.pil``, ``refpool.dialects.cv2``, ``refpool.dialects.skimage``
    The image resizes of Pillow (``Image.resize`` of float images), OpenCV
    (``cv2.resize``) and scikit-image (``transform.resize``/``rescale``), with
    their argument orders; nearest methods select each library's own pixels
    (their index arithmetic, :mod:`refpool.dialects._gather`).

Dialect modules are organised by the core family they map onto, like the engines
(``refpool/dialects/onnx/<family>.py``).
"""
