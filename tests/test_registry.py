"""The registry parity test: every piece of every operator exists, and nothing else.

``refpool.registry.OPERATORS`` holds one row per public operator.  Each test
below checks one item of the "adding an operator" checklist of
``docs/architecture.rst``, so forgetting a piece fails here, naming it.
"""

import importlib
import inspect
import os
import re

import pytest

import refpool
from refpool import registry
from refpool.conformance.catalog import catalog
from refpool.equivariance.rules import Rule
from refpool.registry import ENGINES, OPERATORS

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")
ROWS = list(OPERATORS.values())
IDS = [op.name for op in ROWS]

#: public names of refpool that are not operators (they take no ``engine=``)
NOT_OPERATORS = {"__version__", "SizeLimitError", "groups", "FieldType", "exact_symmetries", "check_equivariance",
                 "gaussian_taps", "gaussian_kernel", "binomial_taps", "binomial_kernel",
                 # grid_sample's grid builder: a small NumPy matrix product (refpool.sampling)
                 "affine_grid",
                 "invariant_field_type", "subgroup_field_type",
                 # pipelines of operators (refpool.pipeline)
                 "Pipeline", "compose", "merge", "skip", "pointwise", "equivariant_sizes",
                 "nearest_equivariant_size"}


def _parameters(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def _public_entry_points(module):
    """Functions a module defines itself with a public name (its engine entry points)."""
    return {name for name, value in vars(module).items()
            if inspect.isfunction(value) and not name.startswith("_")
            and value.__module__ == module.__name__}


# --------------------------------------------------------------------------- the table
def test_rows_are_well_formed():
    for op in ROWS:
        assert op.family in registry.FAMILIES
        assert op.comparison in registry.COMPARISONS, op.name
        assert op.field_type in registry.FIELD_TYPE_RULES, op.name
        assert op.entry_points and len(set(op.entry_points)) == len(op.entry_points), op.name
    assert ENGINES == ("reference", "cpu", "cuda")
    from refpool._args import ENGINE_CHOICES
    assert set(ENGINE_CHOICES) == set(ENGINES) | {"auto"}


def test_every_public_operator_is_registered():
    """A public callable taking ``engine=`` is an operator and has a row; every other
    public name is declared not to be one."""
    for name in refpool.__all__:
        value = getattr(refpool, name)
        takes_engine = callable(value) and not inspect.isclass(value) and \
            "engine" in inspect.signature(value).parameters
        if takes_engine:
            assert name in OPERATORS, f"refpool.{name} takes engine= but has no registry row"
        else:
            assert name in NOT_OPERATORS, f"refpool.{name}: register it or list it here"
    for op in ROWS:
        assert op.name in refpool.__all__, op.name
        assert getattr(refpool, op.name) is op.function, op.name
        assert op.function.__module__ == f"refpool.{op.family}", op.name


# --------------------------------------------------------------------------- engines
@pytest.mark.parametrize("family", registry.FAMILIES)
def test_engines_define_the_same_entry_points(family):
    """reference, cpu and cuda modules of a family define exactly the entry points of
    its rows, with the same parameters."""
    expected = {e for op in registry.for_family(family) for e in op.entry_points}
    modules = {engine: importlib.import_module(f"refpool.engines.{engine}.{family}")
               for engine in ENGINES}
    for engine, module in modules.items():
        defined = _public_entry_points(module)
        assert defined >= expected, (engine, family, sorted(expected - defined))
        assert defined <= expected, (f"refpool.engines.{engine}.{family} defines entry points "
                                     f"no registry row names: {sorted(defined - expected)}")
    for name in expected:
        signatures = {engine: _parameters(getattr(module, name))
                      for engine, module in modules.items()}
        assert signatures["cpu"] == signatures["reference"], (family, name, signatures)
        assert signatures["cuda"] == signatures["reference"], (family, name, signatures)


def test_public_modules_call_only_registered_entry_points():
    """Every ``launch.run(family, entry_point, ...)`` of the public modules names a
    registered entry point of that family."""
    registered = {(op.family, e) for op in ROWS for e in op.entry_points}
    root = os.path.dirname(refpool.__file__)
    calls = set()
    for family in registry.FAMILIES:
        with open(os.path.join(root, f"{family}.py")) as f:
            calls |= set(re.findall(r'launch\.run\("(\w+)", "(\w+)"', f.read()))
    assert calls and calls <= registered, sorted(calls - registered)


# --------------------------------------------------------------------------- rules, docs
@pytest.mark.parametrize("op", ROWS, ids=IDS)
def test_every_operator_has_an_exactness_rule(op):
    assert issubclass(op.rule, Rule) and op.rule is not Rule, op.name
    assert len(op.condition) > 20, f"{op.name}: its rule states no condition"
    case = catalog([op.name])[0]
    held = refpool.exact_symmetries(op.name, case.shape, **case.call_kwargs())
    assert held, f"{op.name}: not even the identity holds for {case.id}"


@pytest.mark.parametrize("op", ROWS, ids=IDS)
def test_every_operator_has_a_docs_entry(op):
    with open(os.path.join(DOCS, f"{op.docs_page}.rst")) as f:
        text = f.read()
    assert f".. autofunction:: refpool.{op.name}\n" in text, (op.name, op.docs_page)


# --------------------------------------------------------------------------- catalogue
@pytest.mark.parametrize("op", ROWS, ids=IDS)
def test_every_operator_has_catalogue_cases(op):
    cases = catalog([op.name])
    assert len(cases) >= 10, op.name
    assert any(c.dtype == "float32" for c in cases) and any(c.dtype == "float64" for c in cases)
    exact = {c.exact for c in cases}
    assert exact == {op.comparison == "exact"} or op.comparison == "mode", (op.name, exact)
    if op.field_type == "required":
        assert all("field_type" in c.kwargs for c in cases), op.name


def test_catalogue_covers_only_registered_operators():
    assert {c.op for c in catalog()} == set(OPERATORS)


# --------------------------------------------------------------------------- dask
@pytest.mark.parametrize("op", ROWS, ids=IDS)
def test_every_operator_has_a_dask_wrapper(op):
    pytest.importorskip("dask")
    import refpool.dask
    wrapper = op.dask_function
    assert getattr(refpool.dask, op.name) is wrapper
    assert op.name in refpool.dask.__all__
    assert [p[0] for p in _parameters(wrapper)] == [p[0] for p in _parameters(op.function)]


# --------------------------------------------------------------------------- adapters
PEER_ADAPTERS = {"torch": "torch", "e2cnn": "e2cnn", "antialiased_cnns": "antialiased_cnns",
                 "jax": "jax", "onnxruntime": "onnxruntime"}


@pytest.mark.parametrize("name", sorted(PEER_ADAPTERS))
def test_every_adapter_implements_or_declares_every_operator(name):
    """A builtin peer adapter implements an operator as a method with the operator's
    arguments, or lists it in ``LACKS`` (and then raises NotImplementedError)."""
    pytest.importorskip(PEER_ADAPTERS[name])
    import numpy as np
    module = importlib.import_module(f"refpool.conformance.adapters.{name}")
    adapter = module.adapter
    implemented = {n for n in OPERATORS if callable(getattr(type(adapter), n, None))}
    lacking = set(adapter.LACKS)
    assert not implemented & lacking, f"{name}: both implemented and lacking: " \
                                      f"{sorted(implemented & lacking)}"
    assert implemented | lacking == set(OPERATORS), \
        f"{name} adapter neither implements nor lacks {sorted(set(OPERATORS) - implemented - lacking)}"
    assert not lacking - set(OPERATORS), sorted(lacking - set(OPERATORS))
    for op in implemented:
        # the operator's arguments, in its order; optional ones the peer has no
        # notion of (field_type=) may be left out
        public = [p for p in _parameters(OPERATORS[op].function) if p[0] not in ("engine", "out")]
        mine = [p[0] for p in _parameters(getattr(adapter, op))]
        required = [p[0] for p in public if p[2] is inspect.Parameter.empty]
        assert mine == [p[0] for p in public if p[0] in mine], (name, op, mine)
        assert set(required) <= set(mine), (name, op, mine)
    for op in lacking:
        with pytest.raises(NotImplementedError, match=op):
            getattr(module, op)(np.zeros((1, 1, 4, 4), np.float32))


def test_engine_adapters_cover_every_operator():
    from refpool.conformance.adapters import engine
    for adapter in (engine.cpu, engine.cuda, engine.reference):
        for op in OPERATORS:
            assert callable(getattr(adapter, op)), (adapter.NAME, op)
        with pytest.raises(AttributeError):
            adapter.not_an_operator
