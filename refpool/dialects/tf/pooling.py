"""``tf.nn.max_pool`` and ``tf.nn.avg_pool`` over :func:`refpool.max_pool` and
:func:`refpool.avg_pool`.

TensorFlow's rules, as refpool reads them:

* ``"SAME"``: :math:`o = \\lceil n / s \\rceil`, total padding
  :math:`\\max((o-1)s + k - n, 0)`, the larger half after the input (refpool's
  ``padding="same"``); ``"VALID"``: no padding, :math:`o = \\lceil (n - k + 1)/s
  \\rceil`.
* ``avg_pool`` divides by the number of input elements in the window: the padding
  never counts (refpool's ``count_include_pad=False``).
* ``max_pool`` pads with :math:`-\\infty`.
* Explicit padding (``max_pool`` only, as in TensorFlow): a list of ``N + 2`` pairs
  in the layout of ``data_format``, ``[0, 0]`` on the batch and channel axes.
"""

from __future__ import annotations

import numbers

from ... import _args
from ...pooling import avg_pool as _avg_pool
from ...pooling import max_pool as _max_pool

__all__ = ["max_pool", "avg_pool"]

#: data formats by rank: channels last, channels first
DATA_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _layout(input, data_format):
    x = _args.as_array(input, "input")
    rank = len(x.shape) - 2
    if rank not in DATA_FORMATS:
        raise ValueError(f"input must have 3 to 5 axes (N, spatial..., C), got shape "
                         f"{tuple(x.shape)}")
    last, first = DATA_FORMATS[rank]
    if data_format is None:
        data_format = last
    if data_format not in (last, first):
        raise ValueError(f"data_format must be {last!r} or {first!r} for a {rank}-D pooling, "
                         f"got {data_format!r}")
    return x, rank, data_format == last


def _per_axis(value, rank, channels_last, name):
    """``ksize``/``strides``: an int, ``rank`` ints, or ``rank + 2`` ints with 1 on the
    batch and channel axes."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return _args.per_axis(int(value), rank, name, minimum=1)
    values = tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None:
        raise TypeError(f"{name} must be an int or a list of ints, got {value!r}")
    if len(values) == 1:
        values = values * rank
    elif len(values) == rank + 2:
        outer = (values[0], values[-1]) if channels_last else values[:2]
        if tuple(outer) != (1, 1):
            raise ValueError(f"{name} must be 1 on the batch and channel axes, got {value!r}")
        values = values[1:-1] if channels_last else values[2:]
    return _args.per_axis(values, rank, name, minimum=1)


def _padding(padding, rank, channels_last, explicit_ok):
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"padding must be 'SAME' or 'VALID'"
                             + (" or a list of pairs" if explicit_ok else "")
                             + f", got {padding!r}")
        return padding.lower()
    if not explicit_ok:
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    pairs = [tuple(p) for p in padding]
    if len(pairs) != rank + 2 or any(len(p) != 2 for p in pairs):
        raise ValueError(f"explicit padding must be {rank + 2} pairs, got {padding!r}")
    outer = (pairs[0], pairs[-1]) if channels_last else tuple(pairs[:2])
    if any(p != (0, 0) for p in outer):
        raise ValueError("explicit padding must be [0, 0] on the batch and channel axes, "
                         f"got {padding!r}")
    return tuple(pairs[1:-1] if channels_last else pairs[2:])


def max_pool(input, ksize, strides, padding, data_format=None, name=None, *,
             engine="auto"):
    """``tf.nn.max_pool``: ``-inf`` padding; ``padding`` ``"SAME"``, ``"VALID"`` or
    explicit pairs (``name`` is accepted and ignored, as an op name).

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import tf
    >>> x = np.arange(5.0).reshape(1, 5, 1)                   # NWC
    >>> tf.max_pool(x, 2, 2, "SAME")[0, :, 0].tolist()
    [1.0, 3.0, 4.0]
    """
    x, rank, last = _layout(input, data_format)
    k = _per_axis(ksize, rank, last, "ksize")
    s = _per_axis(strides, rank, last, "strides")
    return _max_pool(x, k, s, _padding(padding, rank, last, True), ndim=rank,
                     channels_last=last, engine=engine)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None, *,
             engine="auto"):
    """``tf.nn.avg_pool``: the mean of the window's input elements (padding never
    counts); ``padding`` ``"SAME"`` or ``"VALID"``.

    Examples
    --------
    >>> import numpy as np
    >>> from refpool.dialects import tf
    >>> x = np.arange(5.0).reshape(1, 5, 1)
    >>> tf.avg_pool(x, 2, 2, "SAME")[0, :, 0].tolist()
    [0.5, 2.5, 4.0]
    """
    x, rank, last = _layout(input, data_format)
    k = _per_axis(ksize, rank, last, "ksize")
    s = _per_axis(strides, rank, last, "strides")
    return _avg_pool(x, k, s, _padding(padding, rank, last, False),
                     count_include_pad=False, ndim=rank, channels_last=last, engine=engine)
