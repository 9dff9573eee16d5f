"""The public API carries type hints (PEP 561: refpool ships ``py.typed``)."""

import inspect
import os
import typing

import refpool
from refpool import registry


def _public_callables():
    for name in refpool.__all__:
        value = getattr(refpool, name)
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            for attr, member in vars(value).items():
                if inspect.isfunction(member) and (not attr.startswith("_")
                                                   or attr == "__init__"):
                    yield f"{name}.{attr}", member


def test_every_public_function_is_annotated():
    missing = []
    for name, fn in _public_callables():
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.name != "self"]
        hints = typing.get_type_hints(fn)           # also fails on unresolvable names
        missing += [f"{name}({p.name})" for p in params if p.name not in hints]
        if fn.__name__ != "__init__" and "return" not in hints:
            missing.append(f"{name} -> ?")
    assert not missing, missing


def test_operators_share_the_layout_and_engine_annotations():
    for op in registry.OPERATORS.values():
        hints = typing.get_type_hints(op.function)
        assert hints["engine"] == typing.get_type_hints(refpool.max_pool)["engine"]
        assert hints["ndim"] == typing.Optional[int], op.name
        assert hints["channels_last"] is bool, op.name


def test_py_typed_marker_is_shipped():
    assert os.path.exists(os.path.join(os.path.dirname(refpool.__file__), "py.typed"))
