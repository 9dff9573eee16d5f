"""Type aliases of the public API (shipped with ``py.typed``).

Arrays are typed loosely on purpose: refpool reads NumPy arrays, CUDA arrays of any
library (numba, CuPy, torch) and host arrays exposing ``__dlpack__`` or
``__array__``, and returns NumPy arrays for host input and numba device arrays for
CUDA input; no static type covers that family, so the aliases name the role.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence, Tuple, Union

#: an operator's input: a NumPy array, a CUDA array, or a host array-like
#: (``__dlpack__`` / ``__array__``: torch CPU tensors, JAX arrays)
ArrayIn = Any

#: an operator's result: a NumPy array (host input) or a numba device array (CUDA)
Array = Any

#: one value for every spatial axis, or one per axis
Size = Union[int, Sequence[int]]

#: the padding of the windowed poolings: an int, one per axis, per-axis
#: ``(before, after)`` pairs, or a name ("valid", "same", "same_lower")
Padding = Union[int, str, Sequence[Union[int, Tuple[int, int]]]]

#: a real value for every spatial axis, or one per axis
RealSize = Union[float, Sequence[float]]

#: the ``engine=`` argument
Engine = Literal["auto", "cpu", "cuda", "reference"]

#: a preallocated output (the ``out=`` argument); a pair for ``return_indices=True``
Out = Optional[Union[Array, Tuple[Array, Array]]]

#: a result, or ``(values, indices)`` with ``return_indices=True``
ArrayOrPair = Union[Array, Tuple[Array, Array]]

__all__ = ["ArrayIn", "Array", "Size", "Padding", "RealSize", "Engine", "Out", "ArrayOrPair",
           "Optional"]
