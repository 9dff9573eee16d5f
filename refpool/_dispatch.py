"""Engine selection and the movement of arrays between host and device.

A public operator validates its arguments with :mod:`refpool._args`, then opens a
:class:`Launch` for its input.  The launch decides which engine runs (``"auto"``
picks CUDA for CUDA arrays and the CPU engine for host arrays), moves the input
where that engine needs it, allocates or adopts the outputs, runs the engine's
kernel and hands back results of the kind the caller gave: host arrays for host
input, numba device arrays for CUDA input.

Engines live in ``refpool.engines.<engine>.<family>`` and are imported on first
use, so ``import refpool`` never imports Numba.
"""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np

from . import _args
from ._args import check_engine, check_out, check_output, is_cuda_array
from ._fastpath import current_recorder
from .engines._layout import thread_count_functions


#: calls whose largest array has fewer elements run the CPU engine on one thread:
#: entering a parallel region costs microseconds on a quiet machine and milliseconds
#: on a busy one (a worker thread that is not scheduled holds the whole call), while
#: this much work takes tens of microseconds on one core
SERIAL_BELOW = 2 ** 16


class EngineUnavailableError(RuntimeError):
    """The requested engine cannot run on this machine."""


def cuda_available() -> bool:
    """True when ``engine="cuda"`` can run: a usable GPU or the Numba CUDA simulator."""
    try:
        from numba import cuda
    except ImportError:  # pragma: no cover - numba is a hard dependency
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken driver counts as "not available"
        return False


def require_cuda():
    if not cuda_available():
        raise EngineUnavailableError(
            "engine='cuda' needs an NVIDIA GPU with a working CUDA driver (check "
            "`numba -s`), or Numba's CUDA simulator enabled by setting "
            "NUMBA_ENABLE_CUDASIM=1 before numba is imported")
    from numba import cuda
    return cuda


def _as_device_array(cuda, a):
    """A numba device array viewing ``a`` (CuPy, torch CUDA, numba arrays), no copy."""
    if hasattr(a, "copy_to_host"):           # already numba's (or the simulator's)
        return a
    return cuda.as_cuda_array(a)


class _Borrowed:
    """Holds a read-only host array and presents it through ``__array_interface__``
    with the read-only flag cleared (see :func:`engine_host_input`)."""

    __slots__ = ("__array_interface__", "_owner")

    def __init__(self, a):
        interface = dict(a.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface
        self._owner = a          # keeps the memory alive as long as the view lives


def engine_host_input(x, engine):
    """The form in which a validated host input reaches a host engine, never a copy.

    * ndarray subclasses accepted by :func:`refpool._args.check_input` are viewed as
      plain ndarrays (``np.asarray``).
    * For the Numba engine (``"cpu"``) a read-only array is viewed through a
      writeable-flagged alias of the same memory: Numba types read-only arrays as a
      distinct type, so passing them as they are compiles every kernel a second time
      (tens of seconds each).  NumPy cannot set ``writeable=True`` on a view of
      read-only memory, hence the ``__array_interface__`` alias.  It is safe because
      the engines only read their input, and :func:`refpool._args.check_out` refuses
      every ``out`` that shares memory with it.
    """
    a = np.asarray(x)
    if engine == "cpu" and not a.flags.writeable and a.size:
        a = np.asarray(_Borrowed(a))
    return a


class Caller:
    """The caller's input and the ``(N, C, *spatial)`` array the operator computes on.

    Built by every public operator before it validates anything else: reads
    array-likes (:func:`refpool._args.as_array`), checks the layout and dtype
    (:func:`refpool._args.caller_layout`), and holds ``x``, the input as the engines
    see it: a view of the caller's array when only leading axes merge, a copy when the
    channels move or the dtype widens.  :class:`Launch` validates a caller's ``out``
    in the caller's layout and dtype, and :meth:`restore` hands each result back in
    them (float16 rounded once, integers exact).

    Parameters
    ----------
    x : array-like
        The caller's input.
    ndim, channels_last : see :func:`refpool._args.caller_layout`.
    engine : str
        The ``engine=`` argument (the reference engine widens float16 to float64).
    op : str
        The operator's name, for messages.
    integers : bool
        The operator selects elements, so integer dtypes are exact.
    """

    def __init__(self, x, ndim=None, channels_last=False, engine="auto", *, op,
                 integers=False):
        x = _args.as_array(x)
        if isinstance(x, np.ndarray):
            _args.check_host_array_type(x, "x")
        check_engine(engine)
        self.original = x
        self.layout = layout = _args.caller_layout(x, ndim, channels_last, engine, op,
                                                   integers=integers)
        if layout.reshaped:
            x = to_canonical(x, layout.canonical_shape(x.shape), layout.channels_last)
        if layout.converted:
            x = _cast(x, layout.compute)
        self.x = x

    @property
    def trivial(self):
        return not (self.layout.reshaped or self.layout.converted)

    def restore(self, result, value, out=None):
        """``result`` (``(N, C, *spatial)``, compute dtype if ``value`` else its own) in
        the caller's layout and dtype, written into the caller's ``out`` when given."""
        layout = self.layout
        if value and layout.converted:
            result = _cast(result, layout.storage)
        if layout.reshaped:
            shape = layout.caller_shape(result.shape)
            if layout.channels_last:
                result = np.ascontiguousarray(np.moveaxis(result, 1, -1)).reshape(shape)
            else:
                result = result.reshape(shape)
        if out is None:
            return result
        if is_cuda_array(out):
            from numba import cuda
            target = _as_device_array(cuda, out)
            if is_cuda_array(result):
                target.copy_to_device(result)
            else:
                target.copy_to_device(np.ascontiguousarray(result))
        elif is_cuda_array(result):
            result.copy_to_host(np.asarray(out))
        else:
            np.copyto(np.asarray(out), result)
        return out


def to_canonical(a, shape, channels_last, name="x"):
    """``a`` (caller layout) as ``(N, C, *spatial)`` of ``shape``: a view when only
    leading axes merge, a contiguous copy when the channel axis moves (host only);
    ``name`` names ``a`` in the error for a non-contiguous CUDA array."""
    if channels_last:
        n, c, *spatial = shape
        return np.ascontiguousarray(np.moveaxis(a.reshape((n, *spatial, c)), -1, 1))
    if isinstance(a, np.ndarray):
        return a.reshape(shape)
    from numba import cuda
    a = _as_device_array(cuda, a)
    if not a.is_c_contiguous():
        raise ValueError(f"{name}: a CUDA array given with ndim= must be C-contiguous")
    return a.reshape(shape)


def _cast(a, dtype):
    """``a`` converted to ``dtype`` on its side (host, or device by a CUDA kernel)."""
    if not is_cuda_array(a):
        return np.asarray(a).astype(dtype)
    from .engines.cuda._convert import cast
    from numba import cuda
    return cast(_as_device_array(cuda, a), dtype)


def kernel(engine, family, name):
    """The function ``name`` of engine module ``refpool.engines.<engine>.<family>``."""
    module = importlib.import_module(f"refpool.engines.{engine}.{family}")
    return getattr(module, name)


class Launch:
    """One operator call: where it runs, its input there, and its outputs.

    Parameters
    ----------
    x : ndarray or CUDA array
        The validated input, ``(N, C, *spatial)``.
    engine : {"auto", "cpu", "cuda", "reference"}
    caller : Caller, optional
        The caller's input when ``x`` is its canonical form (``Caller.x``): outputs
        are then validated and returned in the caller's layout and dtype.
    """

    def __init__(self, x, engine, caller=None):
        engine = check_engine(engine)
        self._caller = None if caller is None or caller.trivial else caller
        self._restores = {}        # id(engine array) -> (is a value output, caller's out)
        self._caller_outs = []     # (name, caller's out) already validated
        self.on_device = is_cuda_array(x)
        if engine == "auto":
            engine = "cuda" if self.on_device else "cpu"
        self.engine = engine
        self._input = x            # the caller's array: outs must not overlap it
        self._host_outs = []
        self._adopted = []         # (name, caller's out, array the engine fills)
        self._outputs = []         # every array handed out by `output`
        if engine == "cuda":
            cuda = require_cuda()
            self._cuda = cuda
            if self.on_device:
                self.x = _as_device_array(cuda, x)
            else:
                self.x = cuda.to_device(np.ascontiguousarray(x))
        elif self.on_device:
            # A host engine was asked for explicitly: bring the data over once.
            from numba import cuda
            self.x = _as_device_array(cuda, x).copy_to_host()
        else:
            self.x = engine_host_input(x, engine)
        self._recorder = current_recorder()
        if self._recorder is not None:
            self._recorder.launch(engine, self.x, self._caller is None)

    def output(self, shape, dtype, out=None, name="out"):
        """Allocate (or validate and adopt) an output array for the engine.

        A caller's ``out`` must not share memory with the input or with another
        output of the same call (host and device arrays alike).  A fresh array is
        checked by :func:`refpool._args.check_output` before it is allocated; a ``shape``
        from :func:`refpool._args.with_channels` names the argument its size comes from.
        """
        dtype = np.dtype(dtype)
        if self._caller is not None:
            return self._caller_output(shape, dtype, out, name)
        if out is not None:
            shape = tuple(int(s) for s in shape)
            check_out(out, shape, dtype, self._input, name,
                      others=[(n, o) for n, o, _ in self._adopted])
            target = self._adopt(out, name)
        else:
            self._check_allocation(shape, dtype)
            shape = tuple(int(s) for s in shape)
            target = None
        if self.engine == "cuda":
            if target is not None and is_cuda_array(out):
                return self._handed(target)
            device_out = self._cuda.device_array(shape, dtype)
            self._host_outs.append((device_out, target))
            return self._handed(device_out)
        if target is not None:
            if is_cuda_array(out):
                raise TypeError(
                    f"{name} is a CUDA array but engine={self.engine!r} runs on the host; "
                    "pass a NumPy array or use engine='cuda'")
            if self._recorder is not None:
                self._recorder.output(target, out)
            return self._handed(target)
        fresh = self._handed(np.empty(shape, dtype))
        if self._recorder is not None:
            self._recorder.output(fresh, out)
        return fresh

    def _caller_output(self, shape, dtype, out, name):
        """An engine output for a caller whose layout or dtype differs: the caller's
        ``out`` is validated in the caller's shape and dtype (before any kernel runs),
        the engine fills a fresh array, and :meth:`result` restores it into ``out``."""
        layout = self._caller.layout
        value = dtype == layout.compute
        if out is not None:
            caller_dtype = layout.storage if value else dtype
            check_out(out, layout.caller_shape(shape), caller_dtype, self._caller.original,
                      name, others=self._caller_outs)
            self._caller_outs.append((name, out))
        caller, self._caller = self._caller, None
        try:
            array = self.output(shape, dtype)
        finally:
            self._caller = caller
        self._restores[id(array)] = (value, out)
        return array

    def _adopt(self, out, name):
        """The array the engine fills for the caller's ``out`` (a plain-ndarray view of
        a host out, a numba view of a device out)."""
        if is_cuda_array(out):
            target = _as_device_array(self._cuda, out) if self.engine == "cuda" else out
        else:
            target = np.asarray(out)
        self._adopted.append((name, out, target))
        return target

    def _handed(self, array):
        self._outputs.append(array)
        return array

    def _check_allocation(self, shape, dtype):
        """Refuse an output too large to allocate, naming what made it large: the
        argument its :class:`refpool._args.Extent` names, or ``x``
        (:func:`refpool._args.check_output`)."""
        # device outputs live in GPU memory; host outputs (and the host copy of a CUDA
        # result for host input) must fit this machine's memory
        on_host = not (self.engine == "cuda" and self.on_device)
        check_output(shape, tuple(self._input.shape), dtype, host=on_host)

    def run(self, family, name, *args):
        """Run the engine's kernel ``family.name`` on ``args``.

        Skipped when every output is empty (``N`` or ``C`` is zero; CUDA cannot
        launch an empty grid).  An empty array beside a non-empty output would leave
        that output uninitialised: validation refuses such calls (empty spatial
        axes), and reaching this point with one is an internal error.
        """
        if any(_size(a) == 0 for a in args if hasattr(a, "shape")):
            if all(_size(o) == 0 for o in self._outputs):
                return
            raise RuntimeError(
                f"refpool internal error: {family}.{name} was given an empty array but "
                "has a non-empty output; the operator's validation must refuse this call")
        fn = kernel(self.engine, family, name)
        one_thread = self.engine == "cpu" and max(
            (_size(a) for a in args if hasattr(a, "shape")), default=0) < SERIAL_BELOW
        if self._recorder is not None:
            self._recorder.run(fn, args, one_thread)
        if one_thread:
            _run_on_one_thread(fn, args)
        elif self.engine == "cuda":
            # The simulator evaluates kernels with NumPy scalars, which warn on
            # inf - inf; on a GPU the same arithmetic is silent.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fn(*args)
        else:
            fn(*args)

    def result(self, array):
        """Hand an output back in the caller's currency (host or device), layout and
        dtype."""
        handed = self._result(array)
        if self._caller is None:
            return handed
        value, out = self._restores[id(array)]
        return self._caller.restore(handed, value, out)

    def _result(self, array):
        if self.engine != "cuda" or self.on_device:
            for _, out, target in self._adopted:
                if target is array and not is_cuda_array(out):
                    return out          # the caller's own host out (maybe a subclass)
            return array
        for device_out, host_out in self._host_outs:
            if device_out is array:
                if host_out is not None:
                    device_out.copy_to_host(host_out)
                    for _, out, target in self._adopted:
                        if target is host_out:
                            return out
                    return host_out
                return device_out.copy_to_host()
        return array.copy_to_host()


def _run_on_one_thread(fn, args):
    """Run a Numba kernel with one thread: its parallel loops run in the calling thread.
    Numba's thread count is per calling thread, so concurrent calls do not interfere."""
    get_threads, set_threads = thread_count_functions()
    threads = get_threads()
    if threads == 1:
        fn(*args)
        return
    set_threads(1)
    try:
        fn(*args)
    finally:
        set_threads(threads)


def _size(a):
    if type(a) is np.ndarray:
        return a.size
    return math.prod(int(n) for n in a.shape)
