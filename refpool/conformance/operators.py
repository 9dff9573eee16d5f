"""The registry of public operators: what each is, how it is compared, samples.

Every public operator appears here once.  The CLI (``refpool ops``,
``refpool selfcheck``), the conformance catalogue and the documentation tables
read this registry, so a new operator becomes visible everywhere by one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINES = ("reference", "cpu", "cuda")


@dataclass(frozen=True)
class Operator:
    """One public operator.

    Attributes
    ----------
    name : str
        Public name, ``refpool.<name>``.
    exact : bool
        Engines must agree bitwise (selection operators: max, nearest, indices);
        otherwise within the per-dtype tolerance.
    samples : tuple of (input shape, kwargs)
        A few representative calls, used by ``refpool selfcheck``.
    needs_field_type : bool
        The operator takes a ``field_type`` positional argument (built by the
        catalogue from the sample's ``field`` entry).
    """

    name: str
    exact: bool
    samples: tuple = field(default_factory=tuple)
    needs_field_type: bool = False

    @property
    def function(self):
        import refpool
        return getattr(refpool, self.name)


OPERATORS = {op.name: op for op in (
    Operator("max_pool", True, (
        ((2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
        ((2, 3, 7, 8), dict(kernel_size=2, ceil_mode=True)),
        ((1, 2, 9), dict(kernel_size=3, stride=2, dilation=2, padding=1, ceil_mode=True)),
        ((1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2))),
    )),
    Operator("avg_pool", False, (
        ((2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1)),
        ((2, 3, 7, 8), dict(kernel_size=2, ceil_mode=True, count_include_pad=False)),
        ((1, 2, 9), dict(kernel_size=3, stride=2, padding=1, divisor_override=2)),
        ((1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True)),
    )),
    Operator("adaptive_max_pool", True, (
        ((2, 3, 9, 10), dict(output_size=(4, 3), return_indices=True)),
        ((1, 2, 7), dict(output_size=5)),
        ((1, 2, 5, 6, 7), dict(output_size=(2, 3, 4))),
    )),
    Operator("adaptive_avg_pool", False, (
        ((2, 3, 9, 10), dict(output_size=(4, 3))),
        ((1, 2, 7), dict(output_size=5)),
        ((1, 2, 5, 6, 7), dict(output_size=(2, 3, 4))),
    )),
)}
