r"""Field types: how the channels of an ``(N, C, *spatial)`` array are grouped into fields.

A :class:`FieldType` is a group and an ordered list of representations; field ``i`` occupies
the channels ``fields[i]``, one field after the other.  A group element :math:`g` acts on a
field :math:`f` by

.. math:: f'(x) = \rho(g)\, f(g^{-1} x),

with :math:`\rho` the direct sum of the fields' representations.  Grid symmetries (quarter
turns, grid mirrors, the 48 voxel-grid symmetries) are applied exactly, by transposing and
reversing axes; any other element by spline interpolation.
"""

from __future__ import annotations

import numbers
from functools import cached_property
from typing import Any, Iterable, Iterator, Union

import numpy as np

from .groups import Group, Representation, directsum


class FieldType:
    """A group and the representations of the fields laid out along the channel axis.

    Parameters
    ----------
    group : refpool.groups.Group
    representations : Representation or iterable of Representation
        One per field, in channel order; all of ``group``.

    Attributes
    ----------
    group : Group
    representations : tuple of Representation
    size : int
        Total number of channels.
    fields : tuple of slice
        The channels of each field.
    """

    def __init__(self, group: Group, representations: Union[Representation, Iterable[Representation]]):
        if not isinstance(group, Group):
            raise TypeError(f"group must be a refpool.groups.Group, got {type(group).__name__}")
        if isinstance(representations, Representation):
            representations = (representations,)
        elif isinstance(representations, (str, bytes)) or not isinstance(representations,
                                                                          Iterable):
            raise TypeError(f"representations must be a refpool Representation or an iterable "
                            f"of them (one per field), got {type(representations).__name__}")
        representations = tuple(representations)
        if not representations:
            raise ValueError("representations must hold at least one representation")
        for i, rep in enumerate(representations):
            if not isinstance(rep, Representation):
                raise TypeError(f"representations[{i}] must be a refpool Representation, got "
                                f"{type(rep).__name__}")
            if rep.group != group:
                raise ValueError(f"representations[{i}] ({rep.name!r}) belongs to {rep.group.name}, "
                                 f"not to {group.name}")
        self.group = group
        self.representations = representations
        sizes = [r.size for r in representations]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.fields = tuple(slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:]))
        self.size = int(starts[-1])

    # --- structure ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.representations)

    def __iter__(self) -> Iterator[Representation]:
        return iter(self.representations)

    @cached_property
    def representation(self) -> Representation:
        """The direct sum of the fields' representations (acts on all ``size`` channels)."""
        return directsum(*self.representations, name=None if len(self) == 1 else
                         "+".join(r.name for r in self.representations))

    def __add__(self, other: "FieldType") -> "FieldType":
        if not isinstance(other, FieldType):
            return NotImplemented
        if other.group != self.group:
            raise ValueError(f"cannot concatenate field types of different groups: "
                             f"{self.group.name} and {other.group.name}")
        return FieldType(self.group, self.representations + other.representations)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldType):
            return NotImplemented
        return self.group == other.group and self.representations == other.representations

    def __hash__(self) -> int:
        return hash((self.group, self.representations))

    def __repr__(self) -> str:
        names = ", ".join(r.name for r in self.representations)
        return f"FieldType({self.group.name}: [{names}], size={self.size})"

    def restrict(self, subgroup_id: Any) -> "FieldType":
        """The same channels seen by the subgroup ``subgroup_id``."""
        subgroup, _ = self.group.subgroup(subgroup_id)
        return FieldType(subgroup, [self.group.restrict_representation(subgroup_id, r)
                                    for r in self.representations])

    # --- actions ------------------------------------------------------------------------
    def _check_input(self, x, min_spatial: int) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 2 + min_spatial:
            raise ValueError(f"x must have shape (N, C, *spatial) with at least {min_spatial} "
                             f"spatial axes, got shape {x.shape}")
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"x must be a floating-point array, got dtype {x.dtype}")
        if x.shape[1] != self.size:
            raise ValueError(f"x has {x.shape[1]} channels (axis 1) but the field type has size "
                             f"{self.size}")
        return x

    def _fibers64(self, x: np.ndarray, g) -> np.ndarray:
        """``rho(g)`` applied to every fiber, in float64 (fresh array)."""
        out = np.empty(x.shape, dtype=np.float64)
        n = x.shape[0]
        for rep, channels in zip(self.representations, self.fields):
            block = x[:, channels]
            if rep.is_permutation:
                # Gather instead of multiplying, so the result is exact and a NaN or inf in one
                # channel does not leak into others through 0 * inf.
                out[:, channels] = block[:, np.argsort(rep.permutation(g))]
            else:
                m = rep._matrix(g)
                pixels = int(np.prod(block.shape[2:], dtype=np.int64))
                flat = block.reshape(n, rep.size, pixels).astype(np.float64, copy=False)
                out[:, channels] = (m @ flat).reshape(block.shape)
        return out

    def transform_fibers(self, x: np.ndarray, g: Any) -> np.ndarray:
        r"""Apply :math:`\rho(g)` to the channels at every position (no spatial motion).

        Parameters
        ----------
        x : ndarray, shape (N, C, \*spatial)
            ``C`` must equal :attr:`size`.
        g : GroupElement or escnn parameter

        Returns
        -------
        ndarray
            Same shape and dtype as ``x`` (computed in float64, rounded once).
        """
        x = self._check_input(x, 0)
        g = self.group.element(g)
        return np.ascontiguousarray(self._fibers64(x, g).astype(x.dtype, copy=False))

    def _transform_line(self, x, g):
        # A 1-D signal lies along X: only the identity and the reflections that
        # reverse X (and keep Y) map it onto itself.
        x = self._check_input(x, 1)
        g = self.group.element(g)
        reverse = _line_reversal(g)
        if reverse is None:
            raise ValueError(f"x has one spatial axis, and {g} does not map a 1-D signal "
                             "(the X axis) onto itself; only the identity and the reflection "
                             "x -> -x do")
        y = self._fibers64(x, g)
        if reverse:
            y = y[..., ::-1]
        return np.ascontiguousarray(y.astype(x.dtype, copy=False))

    def transform(self, x: np.ndarray, g: Any, order: int = 2, *,
                  engine: str = "auto") -> np.ndarray:
        r"""The transformed field :math:`f'(u) = \rho(g) f(g^{-1} u)`.

        The group acts on the last ``group.ndim`` spatial axes (a planar group on a 3D array
        rotates about the Z axis, the first spatial axis).  If ``g`` maps the grid onto itself
        (see :attr:`GroupElement.axis_permutation`) the spatial part is an exact transpose and
        reversal of axes (a quarter turn of a non-square array changes its shape); otherwise it
        is spline interpolation of order ``order`` about the array centre ``(n - 1)/2`` with
        zero fill outside: :func:`refpool.affine_transform` with the exact float64 rotation,
        ``mode="constant"`` and the prefilter (the same numbers as
        ``scipy.ndimage.affine_transform``, which computed it before).

        Parameters
        ----------
        x : ndarray or CUDA array, shape (N, C, \*spatial)
            A CUDA array (``__cuda_array_interface__``) is transformed on the GPU (the
            fibre action by a CUDA kernel, the spatial part by the CUDA engine of
            :func:`refpool.map_coordinates`; a grid symmetry as an exact gather) and the
            result is a numba device array.
        g : GroupElement or escnn parameter
        order : int
            Spline order 0..5 for elements that are not grid symmetries.
        engine : {"auto", "cpu", "cuda", "reference"}
            The engine of the interpolation of a host array (``"auto"``: the CPU engine);
            CUDA arrays always run on the CUDA engine.

        Returns
        -------
        ndarray or numba device array
            Same dtype as ``x`` (computed in float64, rounded once).
        """
        from ._args import check_engine, is_cuda_array
        check_engine(engine)
        group = self.group
        acts_trivially = group.is_finite and group.order == 1
        if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Integral) \
                or not 0 <= order <= 5:
            raise ValueError(f"order must be an integer spline order 0..5, got {order!r}")
        if is_cuda_array(x):
            return self._transform_device(x, group.element(g), int(order), acts_trivially)
        if not acts_trivially and group.ndim == 2 and np.ndim(x) == 3:
            return self._transform_line(x, g)
        x = self._check_input(x, 0 if acts_trivially else group.ndim)
        g = group.element(g)
        y = self._fibers64(x, g)
        if not acts_trivially:
            y = _move_grid(y, g, int(order), engine)
        return np.ascontiguousarray(y.astype(x.dtype, copy=False))

    def _transform_device(self, x, g, order, acts_trivially):
        """:meth:`transform` of a CUDA array, on the GPU."""
        from numba import cuda
        from ._dispatch import _as_device_array, _cast
        from .engines.cuda._fibers import apply_fibers
        x = _as_device_array(cuda, x)
        if not x.is_c_contiguous():
            raise ValueError("x: a CUDA array must be C-contiguous")
        shape = tuple(int(n) for n in x.shape)
        d = 0 if acts_trivially else (1 if self.group.ndim == 2 and len(shape) == 3
                                      else self.group.ndim)
        if len(shape) < 2 + d:
            raise ValueError(f"x must have shape (N, C, *spatial) with at least {d} "
                             f"spatial axes, got shape {shape}")
        if np.dtype(x.dtype) not in (np.float32, np.float64):
            raise ValueError(f"x must be a float32 or float64 array, got dtype {x.dtype}")
        if shape[1] != self.size:
            raise ValueError(f"x has {shape[1]} channels (axis 1) but the field type has size "
                             f"{self.size}")
        N, C = shape[:2]
        pixels = int(np.prod(shape[2:], dtype=np.int64))
        y = cuda.device_array(shape, np.float64)
        if y.size:
            apply_fibers(x.reshape(N, C, pixels), y.reshape(N, C, pixels),
                         *self._fiber_tables(g))
        if d:
            if d == 1:
                reverse = _line_reversal(g)
                if reverse is None:
                    raise ValueError(f"{g} does not map a 1-D signal (the X axis) onto "
                                     "itself; only the identity and the reflection x -> -x do")
                y = _move_device(y, ((0,), (reverse,)), None, order)
            else:
                y = _move_device(y, g.axis_permutation, g.array_matrix, order)
        return y if np.dtype(x.dtype) == np.float64 else _cast(y, x.dtype)

    def _fiber_tables(self, g):
        """Per output channel: the source channel of a permutation representation (-1
        otherwise), and the first channel, count and matrix row of a linear one."""
        C = self.size
        width = max((rep.size for rep in self.representations), default=1)
        source = np.full(C, -1, np.int64)
        start = np.zeros(C, np.int64)
        count = np.zeros(C, np.int64)
        matrix = np.zeros((C, width), np.float64)
        for rep, channels in zip(self.representations, self.fields):
            s, k = channels.start, rep.size
            if rep.is_permutation:
                source[s:s + k] = s + np.argsort(rep.permutation(g))
            else:
                start[s:s + k] = s
                count[s:s + k] = k
                matrix[s:s + k, :k] = rep._matrix(g)
        return source, start, count, matrix


def _line_reversal(g):
    """For a planar element acting on a 1-D signal (the X axis of the plane):
    whether it reverses the line, or None if it does not map the line onto itself."""
    exact = g.axis_permutation
    if exact is None:
        return None
    perm, reverse = exact
    if tuple(perm) != (0, 1) or reverse[0]:
        return None
    return bool(reverse[1])


def _move_grid(y: np.ndarray, g, order: int, engine: str = "auto") -> np.ndarray:
    """``y(A^{-1} u)`` over the last ``g.group.ndim`` axes of ``y`` (host float64)."""
    d = g.group.ndim
    lead = y.ndim - d
    exact = g.axis_permutation
    if exact is not None:
        perm, reverse = exact
        axes = tuple(range(lead)) + tuple(lead + p for p in perm)
        moved = y.transpose(axes)
        index = (Ellipsis,) + tuple(slice(None, None, -1) if r else slice(None) for r in reverse)
        return moved[index]
    from .spline import affine_transform

    inverse, offset = _rotation_about_centre(g.array_matrix, y.shape[lead:])
    planes = np.ascontiguousarray(y).reshape((-1, 1) + y.shape[lead:])
    out = affine_transform(planes, inverse, offset=offset, order=order, mode="constant",
                           cval=0.0, prefilter=True, engine=engine)
    return out.reshape(y.shape)


def _rotation_about_centre(a, spatial):
    """``(matrix, offset)`` of the pull map ``u -> A^{-1} (u - c) + c`` about the
    array centre ``c = (n - 1) / 2`` (``A`` orthogonal: ``A^{-1} = A^T``)."""
    inverse = np.asarray(a, dtype=np.float64).T     # a view: the product below is the
    centre = (np.array(spatial, dtype=np.float64) - 1.0) / 2.0   # one computed before
    return inverse, centre - inverse @ centre


def _move_device(y, exact, a, order):
    """:func:`_move_grid` of a C-contiguous float64 device array: an exact gather
    (:func:`refpool.map_coordinates` at integer points, order 0) for a grid
    symmetry ``exact = (perm, reverse)``, else :func:`refpool.affine_transform`."""
    from .spline import affine_transform, map_coordinates
    d = len(exact[0]) if exact is not None else a.shape[0]
    shape = tuple(int(n) for n in y.shape)
    lead, spatial = shape[:-d], shape[-d:]
    planes = y.reshape((int(np.prod(lead, dtype=np.int64)), 1) + spatial)
    if exact is not None:
        perm, reverse = exact
        out_spatial = tuple(spatial[p] for p in perm)
        grids = np.meshgrid(*(np.arange(n, dtype=np.float64) for n in out_spatial),
                            indexing="ij")
        coords = np.empty((d,) + out_spatial)
        for b in range(d):
            n = spatial[perm[b]]
            coords[perm[b]] = (n - 1.0) - grids[b] if reverse[b] else grids[b]
        out = map_coordinates(planes, coords, order=0, mode="nearest", engine="cuda")
    else:
        out_spatial = spatial
        inverse, offset = _rotation_about_centre(a, spatial)
        out = affine_transform(planes, inverse, offset=offset, order=order, mode="constant",
                               cval=0.0, prefilter=True, engine="cuda")
    return out.reshape(lead + out_spatial)
