"""Equivariance made explicit: exactness predicates and a checker.

:func:`exact_symmetries` answers, from an operator's documented geometry, under
which grid symmetries it is exactly equivariant for a given input shape.
:func:`exact_shifts` answers the same for circular shifts (``np.roll``).
:func:`exact_symmetries_of_linear` answers it for any affine, channel-wise call
(the resize dialects) from the call's matrix, measured with delta images.
:func:`check_equivariance` measures the equivariance error of any callable.
"""

from ._checker import ElementCheck, EquivarianceReport, check_equivariance, describe_element
from .rules import exact_symmetries, grid_group
from .linear import exact_symmetries_of_linear
from .shifts import ExactShift, exact_shifts

__all__ = ["exact_symmetries", "exact_symmetries_of_linear", "exact_shifts", "ExactShift", "grid_group", "check_equivariance", "EquivarianceReport",
           "ElementCheck", "describe_element"]
