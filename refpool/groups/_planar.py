"""Rotation and reflection matrices, and the change from physical to array coordinates.

Physical coordinates follow escnn: ``(X, Y)`` in 2D and ``(X, Y, Z)`` in 3D, right-handed,
a positive planar rotation turning X towards Y.  An array's spatial axes read, in order,
``(-Y, X)`` in 2D (rows grow downwards) and ``(-Z, -Y, X)`` in 3D, so a positive rotation is
counter-clockwise as displayed.
"""

from __future__ import annotations

import math

import numpy as np

TWO_PI = 2.0 * math.pi

# A cosine or sine this close to -1, 0 or 1 is taken to be exact: it only happens for an
# angle within a few ulp of a multiple of pi/2, which was meant to be that multiple.
_SNAP = 1e-14

# (cos, sin) of the four quarter turns, exactly.
_QUARTER_TURNS = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))

# Maps physical coordinates to array coordinates: ``u = J @ p``.  Both are orthogonal, so
# ``J.T`` maps back.
_PHYSICAL_TO_ARRAY = {
    2: np.array([[0.0, -1.0],
                 [1.0, 0.0]]),
    3: np.array([[0.0, 0.0, -1.0],
                 [0.0, -1.0, 0.0],
                 [1.0, 0.0, 0.0]]),
}


def _snap(value: float) -> float:
    nearest = round(value)
    if nearest in (-1, 0, 1) and abs(value - nearest) <= _SNAP:
        return float(nearest)
    return float(value)


def rotation_from_cos_sin(c: float, s: float) -> np.ndarray:
    """The 2x2 rotation matrix ``[[c, -s], [s, c]]``."""
    return np.array([[c, -s], [s, c]], dtype=np.float64)


def psi(angle: float) -> np.ndarray:
    """Rotation by ``angle`` from plain ``cos``/``sin``, as the peers compute their irreps."""
    return rotation_from_cos_sin(math.cos(angle), math.sin(angle))


def psi_chi(angle: float, flip: int) -> np.ndarray:
    r"""``psi(angle) @ diag(1, (-1)^flip)``, the 2D irreps of :math:`D_N` and :math:`O(2)`."""
    c, s = math.cos(angle), math.sin(angle)
    f = -1.0 if flip else 1.0
    return np.array([[c, -f * s], [s, f * c]], dtype=np.float64)


def turn_matrix(m: int, n: int) -> np.ndarray:
    r"""Rotation by :math:`2\pi m / n`, exact when that is a multiple of a quarter turn.

    The angle is reduced modulo a full turn in integer arithmetic first, so large ``m`` costs
    no accuracy.
    """
    m %= n
    if (4 * m) % n == 0:
        return rotation_from_cos_sin(*_QUARTER_TURNS[(4 * m) // n])
    return psi(TWO_PI * m / n)


def rotation_matrix(theta: float) -> np.ndarray:
    """Rotation by ``theta``; quarter turns (up to a few ulp) come out exact."""
    return rotation_from_cos_sin(_snap(math.cos(theta)), _snap(math.sin(theta)))


def reflection_matrix(axis: float) -> np.ndarray:
    r"""Reflection across the line through the origin at angle ``axis`` from the X axis.

    .. math:: F_\beta = R(\beta)\,\mathrm{diag}(1, -1)\,R(-\beta)
              = \begin{pmatrix}\cos 2\beta & \sin 2\beta\\ \sin 2\beta & -\cos 2\beta\end{pmatrix}
    """
    c, s = _snap(math.cos(2.0 * axis)), _snap(math.sin(2.0 * axis))
    return np.array([[c, s], [s, -c]], dtype=np.float64)


def physical_to_array(matrix: np.ndarray) -> np.ndarray:
    """Rewrite a linear map of physical coordinates in array coordinates (``J M J^T``)."""
    d = matrix.shape[0]
    j = _PHYSICAL_TO_ARRAY[d]
    return j @ matrix @ j.T


def signed_permutation(matrix: np.ndarray, tol: float = 1e-9):
    """Read a (nearly) signed permutation matrix acting on array coordinates.

    Returns ``(perm, reverse)`` such that the transformed array ``y(u) = x(A^{-1} u)`` is
    ``x`` with its spatial axes reordered so that output axis ``b`` is input axis
    ``perm[b]``, then reversed where ``reverse[b]``; or ``None`` when ``matrix`` is not
    within ``tol`` of a signed permutation.
    """
    rounded = np.rint(matrix)
    if not np.all(np.abs(matrix - rounded) <= tol):
        return None
    magnitude = np.abs(rounded)
    if not (np.all(magnitude.sum(axis=0) == 1) and np.all(magnitude.sum(axis=1) == 1)
            and np.all((magnitude == 0) | (magnitude == 1))):
        return None
    # A^{-1} = A^T, so the input coordinate along axis a is sum_b A[b, a] u_b: row b of A
    # names the input axis that output axis b reads, and its sign whether it runs backwards.
    perm = tuple(int(np.flatnonzero(row)[0]) for row in magnitude)
    reverse = tuple(bool(rounded[b, perm[b]] < 0) for b in range(len(perm)))
    return perm, reverse


def reduce_angle(theta: float) -> float:
    """``theta`` modulo a full turn, in ``[0, 2 pi)``."""
    reduced = math.fmod(theta, TWO_PI)
    if reduced < 0.0:
        reduced += TWO_PI
    # fmod is exact, but adding a full turn to a tiny negative remainder can round up to
    # exactly 2 pi, which is the same element as 0.
    if reduced >= TWO_PI:
        reduced = 0.0
    return reduced + 0.0  # turns -0.0 into 0.0


def angles_close(a: float, b: float, tol: float = 1e-9) -> bool:
    """Whether two angles agree modulo a full turn (to ``tol`` radians)."""
    d = math.fmod(abs(a - b), TWO_PI)
    return min(d, TWO_PI - d) <= tol


def canonical_axis(axis) -> float:
    """A reflection axis, reduced modulo pi (axes ``beta`` and ``beta + pi`` are one line)."""
    try:
        value = float(axis)
    except (TypeError, ValueError):
        raise ValueError(f"axis must be a real number (an angle in radians), got {axis!r}") from None
    if not math.isfinite(value) or isinstance(axis, bool):
        raise ValueError(f"axis must be a finite angle in radians, got {axis!r}")
    reduced = math.fmod(value, math.pi)
    if reduced < 0.0:
        reduced += math.pi
    if reduced >= math.pi or math.isclose(reduced, math.pi, rel_tol=0.0, abs_tol=1e-12):
        reduced = 0.0
    return reduced + 0.0
