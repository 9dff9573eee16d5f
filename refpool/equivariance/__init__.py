"""Equivariance made explicit: exactness predicates and a checker.

:func:`exact_symmetries` answers, from an operator's documented geometry, under
which grid symmetries it is exactly equivariant for a given input shape.
:func:`check_equivariance` measures the equivariance error of any callable.
"""

from ._checker import ElementCheck, EquivarianceReport, check_equivariance, describe_element
from .rules import exact_symmetries, grid_group

__all__ = ["exact_symmetries", "grid_group", "check_equivariance", "EquivarianceReport",
           "ElementCheck", "describe_element"]
