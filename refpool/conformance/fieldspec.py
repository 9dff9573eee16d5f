"""Field types as JSON data, so conformance cases stay plain data.

A spec is ``{"name": str, "group": [factory, *args], "representations": [rep, ...]}``
where ``factory`` is a :mod:`refpool.groups` factory (``"cyclic"``,
``"dihedral"``, ``"so2"``, ``"o2"``, ``"flip"``, ``"trivial"``, ``"octahedral"``)
and each ``rep`` is ``"trivial"``, ``"regular"``, ``["irrep", *id]``,
``["quotient", subgroup_id]`` or ``["induced", subgroup_id, ["irrep", *id]]``
(the last one inducing an irrep of the subgroup).
"""

from __future__ import annotations


def _tuplify(value):
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    if isinstance(value, dict) and set(value) == {"__tuple__"}:
        return tuple(_tuplify(v) for v in value["__tuple__"])
    return value


def _representation(group, spec):
    if spec == "trivial":
        return group.trivial_representation
    if spec == "regular":
        return group.regular_representation
    kind, *args = spec
    if kind == "irrep":
        return group.irrep(*_tuplify(args))
    if kind == "quotient":
        return group.quotient_representation(_tuplify(args[0]))
    if kind == "induced":
        subgroup_id = _tuplify(args[0])
        subgroup, _ = group.subgroup(subgroup_id)
        return group.induced_representation(subgroup_id, _representation(subgroup, args[1]))
    raise ValueError(f"unknown representation spec {spec!r}")


def field_type_from_spec(spec):
    """Build the :class:`refpool.FieldType` a spec describes."""
    from .. import groups
    from ..fields import FieldType
    factory, *args = spec["group"]
    group = getattr(groups, factory)(*[_tuplify(a) for a in args])
    return FieldType(group, [_representation(group, r) for r in spec["representations"]])


def spec(name, group, representations):
    """A field-type spec (plain data)."""
    return {"name": name, "group": list(group), "representations": list(representations)}
