"""The registry of public operators.

Every public operator appears here once, with the family of its engine modules
and how its engines are compared.  The CLI (``refpool ops``), the conformance
catalogue, the engine adapters and the documentation read this registry.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("reference", "cpu", "cuda")


@dataclass(frozen=True)
class Operator:
    """One public operator.

    Attributes
    ----------
    name : str
        Public name, ``refpool.<name>``.
    family : str
        Public module and engine module name (``pooling``, ``antialiased``, ...).
    comparison : str
        ``"exact"``: engines agree bitwise (selection operators);
        ``"tolerance"``: within the per-dtype tolerance (linear operators);
        ``"mode"``: exact for the nearest modes of :func:`refpool.interpolate`,
        tolerance otherwise.
    field_type : str
        ``"none"``, ``"optional"`` (pointwise operators check permutation fields)
        or ``"required"`` (field-aware operators).
    """

    name: str
    family: str
    comparison: str
    field_type: str = "none"

    @property
    def function(self):
        import refpool
        return getattr(refpool, self.name)


OPERATORS = {op.name: op for op in (
    Operator("max_pool", "pooling", "exact", "optional"),
    Operator("avg_pool", "pooling", "tolerance"),
    Operator("adaptive_max_pool", "pooling", "exact", "optional"),
    Operator("adaptive_avg_pool", "pooling", "tolerance"),
    Operator("antialiased_avg_pool", "antialiased", "tolerance"),
    Operator("antialiased_max_pool", "antialiased", "tolerance", "optional"),
    Operator("blur_pool", "antialiased", "tolerance"),
    Operator("interpolate", "interpolate", "mode"),
    Operator("group_pool", "field_pooling", "exact", "required"),
    Operator("norm_pool", "field_pooling", "tolerance", "required"),
    Operator("induced_norm_pool", "field_pooling", "tolerance", "required"),
    Operator("norm_max_pool", "field_pooling", "exact", "required"),
)}
