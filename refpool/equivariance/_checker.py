r"""Measure how far a function on feature fields is from being equivariant.

:func:`check_equivariance` runs any callable on arrays (a refpool operator, a pipeline of
them, or a torch/jax model behind a one-line wrapper) on an input and on transformed copies
of it, and compares

.. math:: \varepsilon_g = f(T^{\mathrm{in}}_g x) - T^{\mathrm{out}}_g f(x),
          \qquad T_g h(u) = \rho(g)\, h(g^{-1} u),

for every element :math:`g` of a sample of the group, with :math:`T_g` the field
transformation of :meth:`refpool.FieldType.transform`: an exact transpose/reversal of axes
for grid symmetries, spline interpolation otherwise.  The result is an
:class:`EquivarianceReport`, one :class:`ElementCheck` row per element.

Elements of the continuous groups :math:`SO(2)` and :math:`O(2)` are given by angles in
**radians** (``math.radians(30)``, not ``30``); positive angles turn counter-clockwise as
an image is displayed (row 0 at the top).  Each row names its element twice: in escnn's
notation (``D4[1,1]``) and in words (``mirror about the diagonal (transpose)``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import Callable, Iterable, Optional, Sequence, Tuple

import numpy as np

from ..fields import FieldType, _line_reversal
from ..groups import O2Group

__all__ = ["check_equivariance", "EquivarianceReport", "ElementCheck", "describe_element"]

#: Default relative tolerance per output precision: a few float32 ulps (a pipeline of several
#: rounded steps, summed in another order after a flip, differs by a handful of them), and a
#: few thousand float64 ulps.
_DEFAULT_RTOL = {4: 1e-6, 8: 1e-12}

#: Rotation angles sampled from SO(2) and O(2) when no elements are given: every 10 degrees,
#: which holds the four quarter turns (exact grid symmetries) and the C8 angles (45 degrees)
#: only through 0/90/180/270; other angles are interpolated.
_CONTINUOUS_SAMPLE_ANGLES = 36


@dataclasses.dataclass(frozen=True)
class ElementCheck:
    r"""The equivariance error under one group element.

    Attributes
    ----------
    element : refpool.groups.GroupElement
        The element, in escnn's notation when printed (``D4[1,1]``); :attr:`description`
        says what it does.
    angle : float
        Rotation angle of the element in radians, in :math:`[0, 2\pi)`.  For a reflection
        :math:`g = r_\theta f` (flip first, then rotate, escnn's convention) it is
        :math:`\theta`, not the angle of the mirror line (``D4[1,1]`` has angle
        :math:`\pi/2` and is the mirror about the diagonal); in 3D it is the angle of the
        rotation :math:`\det(M)\,M`.
    flip : bool
        Whether the element reverses orientation (:math:`\det M < 0`).
    is_grid_symmetry : bool
        Whether the element maps the pixel grid onto itself, so both transforms are exact.
    max_abs : float
        :math:`\max |\varepsilon_g|` over the compared region (all batch items and channels).
    max_rel : float
        ``max_abs / scale``.
    rel_l2 : float
        :math:`\lVert \varepsilon_g \rVert_2 / \lVert T_g f(x) \rVert_2` over the region.
    scale : float
        :math:`\max |T_g f(x)|` over the region, the reference for the relative errors.
    ok : bool
        ``max_abs <= atol + rtol * scale``.
    note : str
        Why the row failed outright (e.g. the two sides have different shapes), else ``""``.
    """

    element: object
    angle: float
    flip: bool
    is_grid_symmetry: bool
    max_abs: float
    max_rel: float
    rel_l2: float
    scale: float
    ok: bool
    note: str = ""

    @property
    def angle_degrees(self) -> float:
        return math.degrees(self.angle)

    @property
    def description(self) -> str:
        """The element in words: ``"identity"``, ``"rotation 90°"``, ``"mirror about the
        diagonal (transpose)"`` (see :func:`describe_element`)."""
        return describe_element(self.element)

    def to_dict(self) -> dict:
        """A JSON-serialisable dict (the element as its ``repr``; non-finite errors as
        strings ``"inf"``/``"nan"``)."""
        return {
            "element": repr(self.element),
            "description": self.description,
            "angle": self.angle,
            "angle_degrees": self.angle_degrees,
            "flip": self.flip,
            "is_grid_symmetry": self.is_grid_symmetry,
            "max_abs": _json_float(self.max_abs),
            "max_rel": _json_float(self.max_rel),
            "rel_l2": _json_float(self.rel_l2),
            "scale": _json_float(self.scale),
            "ok": self.ok,
            "note": self.note,
        }


class EquivarianceReport:
    """The result of :func:`check_equivariance`: one :class:`ElementCheck` per element.

    A report is a sequence of rows (``len``, indexing and iteration work) and prints as a
    table.  :attr:`grid` and :attr:`off_grid` are the sub-reports for the grid symmetries and
    for the interpolated elements, since the first should be exact and the second cannot be.

    Attributes
    ----------
    rows : tuple of ElementCheck
    name : str
        What was checked (the function's name).
    in_type, out_type : FieldType
    input_shape, output_shape : tuple of int
    dtype : numpy.dtype
        dtype of the function's output.
    atol, rtol : float
        The tolerances each row was judged by.
    disk : float or None
        The compared region (see :func:`check_equivariance`).
    order : int
        Spline order used for the elements that are not grid symmetries.
    """

    def __init__(self, rows: Sequence[ElementCheck], *, name: str, in_type: FieldType,
                 out_type: FieldType, input_shape: tuple, output_shape: tuple, dtype,
                 atol: float, rtol: float, disk: Optional[float], order: int):
        self.rows = tuple(rows)
        self.name = name
        self.in_type = in_type
        self.out_type = out_type
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)
        self.dtype = np.dtype(dtype)
        self.atol = atol
        self.rtol = rtol
        self.disk = disk
        self.order = order

    # --- sequence -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def _subset(self, keep) -> "EquivarianceReport":
        return EquivarianceReport(
            [r for r in self.rows if keep(r)], name=self.name, in_type=self.in_type,
            out_type=self.out_type, input_shape=self.input_shape,
            output_shape=self.output_shape, dtype=self.dtype, atol=self.atol, rtol=self.rtol,
            disk=self.disk, order=self.order)

    @property
    def grid(self) -> "EquivarianceReport":
        """The rows of the grid symmetries (exact transforms on both sides)."""
        return self._subset(lambda r: r.is_grid_symmetry)

    @property
    def off_grid(self) -> "EquivarianceReport":
        """The rows of the elements that need interpolation."""
        return self._subset(lambda r: not r.is_grid_symmetry)

    # --- summaries ------------------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """Whether every row is within tolerance (true for an empty report)."""
        return all(r.ok for r in self.rows)

    @property
    def worst(self) -> Optional[ElementCheck]:
        """The row with the largest relative error (then absolute error), or ``None`` if
        the report is empty."""
        if not self.rows:
            return None
        return max(self.rows, key=lambda r: (_sort_key(r.max_rel), _sort_key(r.max_abs)))

    @property
    def max_abs(self) -> float:
        """The largest absolute error over the rows (0 for an empty report)."""
        return max((r.max_abs for r in self.rows), default=0.0, key=_sort_key)

    @property
    def max_rel(self) -> float:
        """The largest relative error over the rows (0 for an empty report)."""
        return max((r.max_rel for r in self.rows), default=0.0, key=_sort_key)

    # --- display --------------------------------------------------------------------------
    def _region(self) -> str:
        if self.disk is None:
            return "whole output"
        return f"central disk, radius {self.disk:g} x half-size"

    def table(self) -> str:
        """The rows as a fixed-width text table: the element in escnn's notation and in
        words, then the angle (degrees; for a reflection :math:`r_\theta f` it is
        :math:`\theta`), flip, grid symmetry, the errors and the verdict."""
        header = ("element", "what it does", "angle", "flip", "grid", "max_abs", "max_rel",
                  "rel_l2", "ok")
        lines = []
        for r in self.rows:
            lines.append((repr(r.element), r.description, f"{r.angle_degrees:.1f}",
                          "yes" if r.flip else "no",
                          "yes" if r.is_grid_symmetry else "no", f"{r.max_abs:.3e}",
                          f"{r.max_rel:.3e}", f"{r.rel_l2:.3e}",
                          ("yes" if r.ok else "NO") + (f"  ({r.note})" if r.note else "")))
        widths = [max([len(h)] + [len(line[i]) for line in lines])
                  for i, h in enumerate(header[:-1])]
        widths.append(len(header[-1]))

        def fmt(cells):
            left = "  ".join(c.ljust(w) for c, w in zip(cells[:2], widths[:2]))
            right = "  ".join(c.rjust(w) for c, w in zip(cells[2:-1], widths[2:-1]))
            return f"{left}  {right}  {cells[-1]}".rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        return "\n".join([fmt(header), rule] + [fmt(line) for line in lines])

    def summary(self) -> str:
        """One paragraph: what was checked, where, and against which tolerance."""
        worst = self.worst
        verdict = "all within" if self.ok else \
            f"{sum(not r.ok for r in self.rows)} of {len(self.rows)} outside"
        text = (f"Equivariance of {self.name}: {_type_name(self.in_type)} -> "
                f"{_type_name(self.out_type)}\n"
                f"input {self.input_shape} -> output {self.output_shape} {self.dtype}\n"
                f"compared over the {self._region()}; spline order {self.order} off the grid\n"
                f"tolerance max_abs <= {self.atol:g} + {self.rtol:g} * max|T f(x)|: {verdict}")
        if worst is not None:
            text += (f"; worst {worst.element!r}, {worst.description} "
                     f"(max_rel {worst.max_rel:.3e})")
        return text

    def __str__(self) -> str:
        return self.summary() + "\n" + self.table()

    def __repr__(self) -> str:
        return (f"<EquivarianceReport {self.name}: {len(self.rows)} elements, "
                f"ok={self.ok}, max_rel={self.max_rel:.3e}>")

    def to_dict(self) -> dict:
        """A JSON-serialisable dict of the settings and the rows."""
        return {
            "name": self.name,
            "in_type": _type_name(self.in_type),
            "out_type": _type_name(self.out_type),
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "dtype": str(self.dtype),
            "atol": self.atol,
            "rtol": self.rtol,
            "disk": self.disk,
            "order": self.order,
            "ok": self.ok,
            "rows": [r.to_dict() for r in self.rows],
        }

    def plot(self, ax=None, metric: str = "max_rel"):
        """Plot the error against the rotation angle (needs matplotlib).

        Rotations are drawn as circles, reflections as triangles; grid symmetries are filled,
        interpolated elements hollow.  The y axis is symmetric-logarithmic, linear below the
        smallest non-zero error, so exact zeros stay visible.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is made if not given.
        metric : {"max_rel", "max_abs", "rel_l2"}
            Which error to plot.

        Returns
        -------
        matplotlib.axes.Axes
        """
        if metric not in ("max_rel", "max_abs", "rel_l2"):
            raise ValueError(f"metric must be 'max_rel', 'max_abs' or 'rel_l2', got {metric!r}")
        import matplotlib.pyplot as plt  # optional dependency: imported only when plotting

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for flip, marker, label in ((False, "o", "rotation"), (True, "^", "reflection")):
            for grid in (True, False):
                rows = [r for r in self.rows if r.flip == flip and r.is_grid_symmetry == grid]
                if not rows:
                    continue
                angles = [r.angle_degrees for r in rows]
                values = [getattr(r, metric) for r in rows]
                kind = "grid" if grid else "interpolated"
                ax.plot(angles, values, linestyle="none", marker=marker,
                        markerfacecolor=None if grid else "none",
                        color="C0" if not flip else "C1", label=f"{label}, {kind}")
        finite = [getattr(r, metric) for r in self.rows if math.isfinite(getattr(r, metric))]
        positive = [v for v in finite if v > 0]
        if positive:
            ax.set_yscale("symlog", linthresh=min(positive))
        ax.set_xlabel("rotation angle (degrees)")
        ax.set_ylabel(metric)
        ax.set_xlim(-10, 370)
        ax.set_xticks(range(0, 361, 45))
        ax.set_title(f"{self.name}: {_type_name(self.in_type)}", fontsize="medium")
        if self.rows:
            ax.legend(fontsize="small")
        return ax


def check_equivariance(fn: Callable, in_type: FieldType, out_type: FieldType, x: np.ndarray,
                       elements: Optional[Iterable] = None, *, atol: Optional[float] = None,
                       rtol: Optional[float] = None, disk: Optional[float] = None,
                       order: int = 2, name: Optional[str] = None) -> EquivarianceReport:
    r"""Measure the equivariance error of ``fn`` under elements of a group.

    For every element :math:`g`,

    .. math:: \varepsilon_g = \mathrm{fn}\big(T^{\mathrm{in}}_g x\big)
              - T^{\mathrm{out}}_g\, \mathrm{fn}(x),

    where :math:`T_g h(u) = \rho(g)\, h(g^{-1} u)` is
    :meth:`FieldType.transform <refpool.FieldType.transform>` of ``in_type`` and
    ``out_type``: exact axis transposes and reversals for grid symmetries, spline
    interpolation of order ``order`` (zero fill) otherwise.  Both sides are compared in
    float64 over all batch items and channels, optionally only inside a central disk:

    .. math::
        \mathrm{max\_abs} = \max_{u \in D} |\varepsilon_g(u)|, \qquad
        \mathrm{max\_rel} = \frac{\mathrm{max\_abs}}{\max_{u \in D} |T_g \mathrm{fn}(x)(u)|},
        \qquad
        \mathrm{rel\_l2} = \frac{\lVert \varepsilon_g \rVert_{2,D}}
                                {\lVert T_g \mathrm{fn}(x) \rVert_{2,D}}.

    An element is within tolerance when
    :math:`\mathrm{max\_abs} \le \mathrm{atol} + \mathrm{rtol}\,\max_D |T_g \mathrm{fn}(x)|`.
    Positions where both sides hold the same NaN or the same infinity count as equal; a
    non-finite value on one side only is an infinite error.

    Parameters
    ----------
    fn : callable
        ``fn(array) -> array`` on ``(N, C, *spatial)`` arrays.  The output may be a NumPy
        array, anything :func:`numpy.asarray` accepts, a CUDA array with ``copy_to_host``
        (numba) or a torch tensor (moved to the host).
    in_type, out_type : FieldType
        Field types of the input and the output, of the same group.
    x : ndarray, shape (N, C, \*spatial), floating
        The input; ``C`` must equal ``in_type.size``.  Planar groups act on the last two
        spatial axes, or on a 1-D signal along X (identity and the mirror
        :math:`x \mapsto -x` only); the octahedral groups need three spatial axes.
    elements : iterable, optional
        Group elements (or their escnn parameters) to check.  Angles are in **radians**:
        an element of :math:`SO(2)` is an angle :math:`\theta`, one of :math:`O(2)` a pair
        ``(j, theta)`` meaning :math:`r_\theta f^j`; write ``math.radians(30)`` for 30
        degrees.  An angle outside :math:`[0, 2\pi]` is reduced modulo :math:`2\pi` with a
        ``UserWarning`` (which says so when it looks like degrees: an integer such as 30,
        45 or 90).  :math:`C_N` takes the integer ``k`` (rotation by :math:`2\pi k/N`),
        :math:`D_N` the pair ``(j, k)``.  Default: every element of a
        finite group; for :math:`SO(2)` the 36 rotations by multiples of 10 degrees, and for
        :math:`O(2)` those 36 rotations and the 36 reflections :math:`r_\theta f` at the same
        angles; on a 1-D signal, those of them that map the line onto itself.
    atol : float, optional
        Absolute tolerance, default 0.
    rtol : float, optional
        Tolerance relative to :math:`\max_D |T_g \mathrm{fn}(x)|`; default ``1e-6`` when
        ``fn`` returns float32 (or a smaller float), ``1e-12`` for float64.  Off-grid
        elements are interpolated, so they pass only with a tolerance of the size of the
        interpolation error; judge them with the returned numbers instead (see
        :attr:`EquivarianceReport.off_grid`).
    disk : float, optional
        Compare only inside a central disk (a ball for 3-D groups), given as a fraction
        :math:`0 < \mathrm{disk} \le 1` of the output's half-size: position :math:`u` counts
        when :math:`\sum_a (u_a - c_a)^2 \le (\mathrm{disk} \cdot h)^2`, with
        :math:`c_a = (n_a - 1)/2` the centre of spatial axis :math:`a` and
        :math:`h = \min_a (n_a - 1)/2` the distance from the centre to the nearest edge
        pixel, over the axes the group acts on (the last two or three; on a 1-D signal the
        disk is the central interval).  Off-grid rotations
        move the corners of a square out of the frame and fill them with zeros, so errors
        there say nothing about the function; ``disk=1`` drops the corners, smaller values
        also drop the border band that the function's own padding touches.  Being a
        fraction, the same value selects the same part of the image at every resolution in
        a pipeline.  ``None`` (default) compares everything.
    order : int
        Spline order (0 to 5) of the off-grid transforms; 2 is the peers' choice.  Grid
        symmetries are exact whatever the order.
    name : str, optional
        What the report calls ``fn``; default its qualified name.

    Returns
    -------
    EquivarianceReport
        One :class:`ElementCheck` per element, in the order given; printed, a table that
        names each element in escnn's notation and in words (``D4[1,1]``: ``mirror about
        the diagonal (transpose)``).

    Warns
    -----
    UserWarning
        If an angle given for :math:`SO(2)` or :math:`O(2)` lies outside
        :math:`[0, 2\pi]` (it is reduced modulo :math:`2\pi`), in particular one that
        looks like degrees.

    Raises
    ------
    TypeError
        If ``fn`` is not callable or a field type is not a :class:`~refpool.FieldType`.
    ValueError
        If the field types belong to different groups, ``x`` does not match ``in_type``, the
        output of ``fn`` does not match ``out_type``, an element is not in the group, or a
        tolerance, ``disk`` or ``order`` is out of range.

    Notes
    -----
    A row whose two sides have different shapes (e.g. a quarter turn of a non-square input
    through an operator whose output shape is not symmetric in the two axes) gets infinite
    errors and a note; the report then is not ``ok``.  ``fn`` is called once on ``x`` and
    once per element.

    Examples
    --------
    >>> import numpy as np, refpool
    >>> from refpool.groups import dihedral
    >>> G = dihedral(4)
    >>> scalars = refpool.FieldType(G, [G.trivial_representation])
    >>> x = np.random.default_rng(0).standard_normal((1, 1, 8, 8))
    >>> report = check_equivariance(lambda a: refpool.max_pool(a, 2), scalars, scalars, x)
    >>> report.ok, report.max_abs
    (True, 0.0)
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    for what, ft in (("in_type", in_type), ("out_type", out_type)):
        if not isinstance(ft, FieldType):
            raise TypeError(f"{what} must be a refpool.FieldType, got {type(ft).__name__}")
    group = in_type.group
    if out_type.group != group:
        raise ValueError(f"in_type and out_type must share a group, got {group.name} and "
                         f"{out_type.group.name}")
    x = _check_array(x, in_type, "x", "in_type")
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Integral) \
            or not 0 <= order <= 5:
        raise ValueError(f"order must be an integer spline order 0..5, got {order!r}")
    order = int(order)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be a string or None, got {name!r}")
    disk = _check_disk(disk)
    atol = 0.0 if atol is None else _check_tolerance(atol, "atol")
    elements = _resolve_elements(group, elements, line=(x.ndim == 3 and group.ndim == 2))

    y = _check_array(_to_host(fn(x)), out_type, "fn(x)", "out_type")
    if rtol is None:
        rtol = _DEFAULT_RTOL[8] if y.dtype.itemsize >= 8 else _DEFAULT_RTOL[4]
    else:
        rtol = _check_tolerance(rtol, "rtol")

    rows = []
    for g in elements:
        expected = out_type.transform(y, g, order=order)
        actual = _to_host(fn(in_type.transform(x, g, order=order)))
        rows.append(_compare(g, actual, expected, group.ndim, disk, atol, rtol))
    return EquivarianceReport(rows, name=name or _callable_name(fn), in_type=in_type,
                              out_type=out_type, input_shape=x.shape, output_shape=y.shape,
                              dtype=y.dtype, atol=atol, rtol=rtol, disk=disk, order=order)


# ------------------------------------------------------------------------------ helpers
def _to_host(a) -> np.ndarray:
    """A NumPy view or copy of an array from NumPy, numba.cuda, torch or anything array-like."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "copy_to_host"):  # numba device arrays (refpool's CUDA results)
        return a.copy_to_host()
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # torch tensors, on any device
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _min_spatial_axes(group) -> int:
    """How many spatial axes an array needs for ``group`` to act on it: none for the trivial
    group, one for a planar group (a 1-D signal along X), three for the octahedral ones."""
    if group.is_finite and group.order == 1:
        return 0
    return 1 if group.ndim == 2 else group.ndim


def _check_array(a, field_type: FieldType, what: str, type_name: str) -> np.ndarray:
    a = np.asarray(a)
    group = field_type.group
    spatial = _min_spatial_axes(group)
    if a.ndim < 2 + spatial:
        raise ValueError(f"{what} must have shape (N, C, *spatial) with at least {spatial} "
                         f"spatial axes for {group.name}, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"{what} must be a floating-point array, got dtype {a.dtype}")
    if a.shape[1] != field_type.size:
        raise ValueError(f"{what} has {a.shape[1]} channels (axis 1) but {type_name} has size "
                         f"{field_type.size}")
    return a


def _check_tolerance(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_disk(disk) -> Optional[float]:
    if disk is None:
        return None
    if isinstance(disk, (bool, np.bool_)) or not isinstance(disk, numbers.Real) \
            or not 0.0 < float(disk) <= 1.0:
        raise ValueError(f"disk must be a fraction of the half-size in (0, 1], or None; "
                         f"got {disk!r}")
    return float(disk)


def _resolve_elements(group, elements, line: bool) -> Tuple:
    if elements is None:
        if group.is_finite:
            default = group.elements
        else:
            angles = [2.0 * math.pi * i / _CONTINUOUS_SAMPLE_ANGLES
                      for i in range(_CONTINUOUS_SAMPLE_ANGLES)]
            if isinstance(group, O2Group):
                default = tuple(group.element((j, a)) for j in (0, 1) for a in angles)
            else:
                default = tuple(group.element(a) for a in angles)
        if line:
            # A 1-D signal lies along X: only the elements mapping that line onto itself
            # (the identity and the mirror x -> -x) can act on it.
            default = tuple(g for g in default if _line_reversal(g) is not None)
        return default
    if isinstance(elements, (str, bytes)) or not isinstance(elements, Iterable):
        raise ValueError(f"elements must be an iterable of elements of {group.name}, got "
                         f"{elements!r}")
    elements = tuple(elements)
    resolved = tuple(group.element(e) for e in elements)  # ValueError for a foreign element
    if not resolved:
        raise ValueError("elements must hold at least one group element")
    _warn_about_angles(group, elements)
    return resolved


def _given_angle(group, e):
    """The angle (radians) written in the parameter ``e`` of an element of the continuous
    planar group ``group``, or ``None`` when ``e`` is already an element (or no angle)."""
    if hasattr(e, "group") and hasattr(e, "value"):
        return None
    if isinstance(group, O2Group):
        try:
            e = tuple(e)[1]
        except (TypeError, IndexError):
            return None
    return float(e) if isinstance(e, numbers.Real) and not isinstance(e, (bool, np.bool_)) \
        else None


def _warn_about_angles(group, elements):
    """Warn once per call about angles of SO(2)/O(2) outside [0, 2 pi], which are most
    likely degrees (30, 45, 90) or meant modulo a full turn."""
    if group.is_finite or group.ndim != 2:
        return
    outside = []
    for e in elements:
        angle = _given_angle(group, e)
        if angle is not None and math.isfinite(angle) \
                and not -1e-9 <= angle <= 2.0 * math.pi + 1e-9:
            outside.append(angle)
    if not outside:
        return
    shown = ", ".join(f"{a:g}" for a in outside[:6]) + (", ..." if len(outside) > 6 else "")
    degrees = [a for a in outside if a == round(a) and abs(a) > 2.0 * math.pi]
    if degrees:
        hint = (f"these look like degrees: elements of {group.name} are angles in radians, "
                f"so write math.radians({degrees[0]:g}) = "
                f"{math.radians(degrees[0]):.6g} for {degrees[0]:g} degrees")
    else:
        hint = "angles are used modulo 2*pi"
    warnings.warn(f"check_equivariance: element angle(s) {shown} of {group.name} lie outside "
                  f"[0, 2*pi) radians; {hint}", UserWarning, stacklevel=4)


def _degrees(radians: float) -> str:
    value = round(math.degrees(radians) % 360.0, 4)
    return f"{0.0 if value == 360.0 else value:g}\N{DEGREE SIGN}"


# Mirror lines of the plane, by their angle from the X axis in degrees (physical
# coordinates; an array shows X to the right and Y up, so the line at 135 degrees runs
# from the top-left to the bottom-right pixel: the main diagonal of the array).
_MIRROR_NAMES = {
    0.0: "mirror about the horizontal axis (up-down flip)",
    45.0: "mirror about the anti-diagonal",
    90.0: "mirror about the vertical axis (left-right flip)",
    135.0: "mirror about the diagonal (transpose)",
}
_AXIS_NAMES = {(1, 0, 0): "x", (0, 1, 0): "y", (0, 0, 1): "z"}


def _axis_name(axis) -> str:
    """The name of a rotation axis whose first non-zero component is positive."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.abs(axis).max()
    nonzero = np.abs(axis[np.abs(axis) > 1e-9]).min()
    scaled = axis / nonzero
    if np.allclose(scaled, np.round(scaled), atol=1e-6):
        key = tuple(int(v) for v in np.round(scaled))
        return _AXIS_NAMES.get(key) or "(" + ", ".join(map(str, key)) + ")"
    return "(" + ", ".join(f"{v:.3g}" for v in axis) + ")"


def _rotation_axis(r: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle - math.pi) > 1e-6:
        return np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    b = r + np.eye(3)  # a half turn: every column of R + I lies along the axis
    return b[:, int(np.argmax(np.linalg.norm(b, axis=0)))]


def describe_element(g) -> str:
    r"""A group element in words, for people reading a report.

    Planar elements (the images' axes: rows grow downwards, positive angles turn
    counter-clockwise as displayed): ``"identity"``, ``"rotation 90°"``, and for
    reflections the mirror line: ``"mirror about the vertical axis (left-right flip)"``,
    ``"... horizontal axis (up-down flip)"``, ``"mirror about the diagonal (transpose)"``,
    ``"mirror about the anti-diagonal"`` or ``"mirror about the line at 30°"`` (from the
    horizontal, counter-clockwise).  In 3D (physical axes x, y, z): ``"rotation 120° about
    (1, 1, 1)"``, ``"mirror across the plane normal to z"``, ``"point inversion"``, or
    ``"point inversion after rotation 90° about z"``.

    >>> from refpool.groups import dihedral
    >>> [describe_element(g) for g in dihedral(4).elements[4:6]]
    ['mirror about the vertical axis (left-right flip)', 'mirror about the diagonal (transpose)']
    """
    m = np.asarray(g.matrix, dtype=np.float64)
    flip = bool(np.linalg.det(m) < 0)
    if m.shape == (2, 2):
        if not flip:
            angle = math.atan2(m[1, 0], m[0, 0])
            if abs(math.remainder(angle, 2.0 * math.pi)) < 1e-9:
                return "identity"
            return f"rotation {_degrees(angle)}"
        # a reflection across the line at phi: [[cos 2phi, sin 2phi], [sin 2phi, -cos 2phi]]
        phi = round(math.degrees(math.atan2(m[0, 1], m[0, 0]) / 2.0) % 180.0, 4) % 180.0
        return _MIRROR_NAMES.get(phi, f"mirror about the line at {phi:g}\N{DEGREE SIGN}")
    rotation = -m if flip else m
    angle = math.acos(min(1.0, max(-1.0, (np.trace(rotation) - 1.0) / 2.0)))
    if angle < 1e-9:
        return "point inversion" if flip else "identity"
    vector = _rotation_axis(rotation, angle)
    if vector[np.argmax(np.abs(vector) > 1e-9)] < 0:     # name the axis pointing "up":
        vector = -vector                                # the same turn, the other way
        angle = 2.0 * math.pi - angle
    axis = _axis_name(vector)
    if flip and abs(angle - math.pi) < 1e-6:
        return f"mirror across the plane normal to {axis}"
    text = f"rotation {_degrees(angle)} about {axis}"
    return f"point inversion after {text}" if flip else text


def _angle_and_flip(g) -> Tuple[float, bool]:
    """The rotation angle (radians, [0, 2 pi)) and orientation reversal of ``g``."""
    m = g.matrix
    flip = bool(np.linalg.det(m) < 0)
    if m.shape[0] == 2:
        if flip:
            # g = r_theta f with f the group's mirror: r_theta = g f (f is its own inverse).
            axis = getattr(g.group, "axis", math.pi / 2)
            c, s = math.cos(2 * axis), math.sin(2 * axis)
            m = m @ np.array([[c, s], [s, -c]])
        angle = math.atan2(m[1, 0], m[0, 0])
    else:
        rotation = -m if flip else m  # in 3-D, -I reverses orientation and commutes
        angle = math.acos(min(1.0, max(-1.0, (np.trace(rotation) - 1.0) / 2.0)))
    angle %= 2.0 * math.pi
    if angle >= 2.0 * math.pi - 1e-12:
        angle = 0.0
    return angle, flip


def _disk_mask(shape: tuple, group_ndim: int, disk: float) -> np.ndarray:
    """Boolean mask over the last ``group_ndim`` axes of ``shape``, broadcastable to it."""
    axes = shape[-group_ndim:]
    half = min((n - 1) / 2.0 for n in axes)
    radius = disk * half
    grids = np.meshgrid(*[np.arange(n) - (n - 1) / 2.0 for n in axes], indexing="ij")
    # The tiny slack keeps pixels exactly on the circle inside despite rounding.
    return sum(g * g for g in grids) <= radius * radius * (1 + 1e-12) + 1e-12


def _compare(g, actual: np.ndarray, expected: np.ndarray, group_ndim: int,
             disk: Optional[float], atol: float, rtol: float) -> ElementCheck:
    angle, flip = _angle_and_flip(g)
    grid = g.is_grid_symmetry
    if actual.shape != expected.shape:
        inf = math.inf
        return ElementCheck(g, angle, flip, grid, inf, inf, inf, math.nan, False,
                            f"shape {actual.shape} != {expected.shape}")
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    if disk is not None:
        # The group moves its last ``group_ndim`` axes; a 1-D signal has only one of them,
        # and the disk becomes a central interval.
        acted_on = min(group_ndim, a.ndim - 2)
        if acted_on < 1:
            raise ValueError(f"disk needs spatial axes in the output, got shape {a.shape}")
        mask = np.broadcast_to(_disk_mask(a.shape, acted_on, disk), a.shape)
        a, b = a[mask], b[mask]
    with np.errstate(invalid="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        diff = np.where(same, 0.0, np.abs(a - b))
    diff[np.isnan(diff)] = math.inf  # a NaN on one side only
    finite_b = np.where(np.isfinite(b), np.abs(b), 0.0)
    scale = float(finite_b.max()) if finite_b.size else 0.0
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = _ratio(max_abs, scale)
    with np.errstate(over="ignore", invalid="ignore"):
        rel_l2 = _ratio(float(np.sqrt(np.sum(diff * diff))),
                        float(np.sqrt(np.sum(finite_b * finite_b))))
    ok = max_abs <= atol + rtol * scale
    return ElementCheck(g, angle, flip, grid, max_abs, max_rel, rel_l2, scale, bool(ok))


def _ratio(num: float, den: float) -> float:
    if num == 0.0:
        return 0.0
    return num / den if den > 0.0 else math.inf


def _sort_key(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _json_float(value: float):
    return value if math.isfinite(value) else str(value)


def _callable_name(fn) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return name if name else type(fn).__name__


def _type_name(field_type: FieldType) -> str:
    names = [r.name for r in field_type.representations]
    # Long regular-field stacks print as "16 x regular" rather than sixteen names.
    if len(set(names)) == 1 and len(names) > 1:
        listed = f"{len(names)} x {names[0]}"
    else:
        listed = ", ".join(names)
    return f"{field_type.group.name} [{listed}]"
