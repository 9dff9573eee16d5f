"""Replayed calls: the per-call work of a small host call, done once per signature.

A call on a tiny array spends almost all its time in Python: argument
normalisation, validation, output-shape arithmetic, the launch bookkeeping.  None
of it depends on the input's values, only on its type, shape, strides and dtype
and on the other arguments.  So the first call of a signature runs the full path
while a recorder watches what the :class:`refpool._dispatch.Launch` does (the
kernels it runs, with which arguments, into which fresh outputs); the recording
becomes a *plan*, and the next call with the same signature replays it: allocate
the outputs, run the same kernels, return.  Validation stays complete: a plan
exists only for a signature whose full validation passed, and a signature that
raises is never recorded.

A call is recorded only when it is a plain case:

* ``x`` is exactly a ``numpy.ndarray`` (not a subclass, not a CUDA array), used by
  the engine as it is (no layout change, no dtype conversion, writeable);
* every other argument is hashable (so no index array, no grid) and keyed with its
  type (``2`` and ``2.0``, ``True`` and ``1`` validate differently and get
  different plans); an ``out=`` that is exactly a ``numpy.ndarray`` is keyed by its
  shape, dtype, strides and flags, and checked again on every replay by
  :func:`refpool._args.check_out` (whether it shares memory with ``x`` depends on
  the addresses, not on the signature);
* one launch, on the CPU or reference engine, whose kernels take only ``x``, the
  fresh outputs and values that the validation computed (specs, ints);
* the result is one of those outputs or a tuple of them.

Anything else runs the full path every time.  Operators that draw random numbers
are not decorated.  Plans are kept per signature (at most :data:`MAX_PLANS`; the
table is cleared when full), shared by all threads: a plan is immutable and a
replay allocates its own outputs.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

#: plans kept before the table is cleared (a long sweep of shapes must not grow it
#: without bound)
MAX_PLANS = 4096

_SCALARS = (int, float, bool, str, type(None))
_local = threading.local()
_plans = {}


def current_recorder():
    """The recorder watching this thread's call, or None."""
    return getattr(_local, "recorder", None)


#: argument types keyed as they are (with their type: ``True`` and ``1`` are equal
#: values that validate differently)
_PLAIN = frozenset((int, str, bool, type(None)))


def _argument_key(value):
    """A hashable key that tells apart values which compare equal but validate
    differently; raises TypeError for an unhashable value."""
    kind = type(value)
    if kind in _PLAIN:
        return kind, value
    if kind is tuple or kind is list:
        return kind, tuple([_argument_key(v) for v in value])
    if isinstance(value, (float, np.floating)):
        return kind, float(value).hex()          # -0.0 and 0.0 are different values
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError("complex arguments are not replayed")
    hash(value)
    return kind, value


def _out_key(out):
    if out is None:
        return None
    if type(out) is not np.ndarray:
        raise TypeError("only a plain ndarray out= is replayed")
    return (out.shape, out.dtype.str, out.strides, out.flags.writeable,
            out.flags.c_contiguous)


class _Recorder:
    """Watches one call's launch (see :class:`refpool._dispatch.Launch`)."""

    def __init__(self, x, out=None):
        self.x = x
        self.out = out
        self.usable = True
        self.launches = 0
        self.outputs = []          # (array, shape, dtype)
        self.runs = []             # (function, template, one_thread)

    def launch(self, engine, engine_input, caller_trivial):
        self.launches += 1
        if (self.launches > 1 or engine not in ("cpu", "reference")
                or engine_input is not self.x or not caller_trivial):
            self.usable = False

    def output(self, array, out):
        if type(array) is not np.ndarray or (out is not None and not (
                out is self.out and array is out and not self.outputs)):
            self.usable = False
            return
        self.outputs.append((array, array.shape, array.dtype))

    def run(self, function, args, one_thread):
        template = []
        for a in args:
            if isinstance(a, np.ndarray):
                if a is self.x:
                    template.append(("x", None))
                    continue
                slot = next((i for i, (o, _, _) in enumerate(self.outputs) if o is a), None)
                if slot is None:
                    self.usable = False
                    return
                template.append(("out", slot))
            elif hasattr(a, "__cuda_array_interface__"):
                self.usable = False
                return
            else:
                template.append(("value", a))
        self.runs.append((function, tuple(template), one_thread))

    def plan(self, result):
        if not self.usable or self.launches != 1:
            return None
        slots = {id(o): i for i, (o, _, _) in enumerate(self.outputs)}
        if isinstance(result, tuple):
            if not all(id(r) in slots for r in result):
                return None
            shape = tuple(slots[id(r)] for r in result)
        elif id(result) in slots:
            shape = slots[id(result)]
        else:
            return None
        caller_out = self.out is not None and bool(self.outputs) and \
            self.outputs[0][0] is self.out
        if (self.out is not None) != caller_out:
            return None
        return _Plan(tuple((s, d) for _, s, d in self.outputs), tuple(self.runs), shape,
                     caller_out)


@functools.lru_cache(maxsize=None)
def _replay_helpers():
    # imported on first replay (both modules import this one)
    from ._args import check_out
    from ._dispatch import _run_on_one_thread
    return check_out, _run_on_one_thread


class _Plan:
    """Outputs to allocate, kernels to run, and which outputs to return."""

    __slots__ = ("outputs", "runs", "result", "caller_out")

    def __init__(self, outputs, runs, result, caller_out):
        self.outputs, self.runs, self.result = outputs, runs, result
        self.caller_out = caller_out       # the first output is the caller's out

    def replay(self, x, out):
        check_out, _run_on_one_thread = _replay_helpers()
        outs = [np.empty(shape, dtype) for shape, dtype in self.outputs]
        if self.caller_out:
            shape, dtype = self.outputs[0]
            outs[0] = check_out(out, shape, dtype, x)
        for function, template, one_thread in self.runs:
            args = [x if kind == "x" else outs[v] if kind == "out" else v
                    for kind, v in template]
            if one_thread:
                _run_on_one_thread(function, args)
            else:
                function(*args)
        if isinstance(self.result, tuple):
            return tuple(outs[i] for i in self.result)
        return outs[self.result]


def _signature(x, args, kwargs):
    """The plan key of a call: ``x``'s layout and every other argument's
    :func:`_argument_key` (keywords in the caller's order: another order only
    records another plan)."""
    key = [x.shape, x.dtype, x.strides, x.flags.writeable]
    for value in args:
        key.append(_argument_key(value))
    for name, value in kwargs.items():
        key.append(name)              # a bare str: never equal to a positional's key
        key.append(_out_key(value) if name == "out" else _argument_key(value))
    return tuple(key)


def replayable(function):
    """Decorate a public operator ``function(x, ...)`` so that small host calls
    replay the plan of their signature (see the module docstring)."""

    @functools.wraps(function)
    def call(x, *args, **kwargs):
        if type(x) is not np.ndarray or current_recorder() is not None:
            return function(x, *args, **kwargs)
        out = kwargs.get("out")
        try:
            key = _signature(x, args, kwargs)
        except TypeError:                 # an unhashable argument: an array, a tuple out
            return function(x, *args, **kwargs)
        plans = _plans.setdefault(function, {})
        plan = plans.get(key)
        if plan is not None:
            return plan.replay(x, out)
        recorder = _Recorder(x, out)
        _local.recorder = recorder
        try:
            result = function(x, *args, **kwargs)
        finally:
            _local.recorder = None
        plan = recorder.plan(result)
        if plan is not None:
            if len(plans) >= MAX_PLANS:
                plans.clear()
            plans[key] = plan
        return result

    call.replays = True
    return call
