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
import warnings

import numpy as np

from ._args import check_engine, check_out, is_cuda_array


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


def kernel(engine, family, name):
    """The function ``name`` of engine module ``refpool.engines.<engine>.<family>``."""
    module = importlib.import_module(f"refpool.engines.{engine}.{family}")
    return getattr(module, name)


class Launch:
    """One operator call: where it runs, its input there, and its outputs.

    Parameters
    ----------
    x : ndarray or CUDA array
        The validated input.
    engine : {"auto", "cpu", "cuda", "reference"}
    """

    def __init__(self, x, engine):
        engine = check_engine(engine)
        self.on_device = is_cuda_array(x)
        if engine == "auto":
            engine = "cuda" if self.on_device else "cpu"
        self.engine = engine
        self._host_outs = []
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
            self.x = x

    def output(self, shape, dtype, out=None, name="out"):
        """Allocate (or validate and adopt) an output array for the engine."""
        shape = tuple(int(s) for s in shape)
        dtype = np.dtype(dtype)
        if out is not None:
            check_out(out, shape, dtype, self.x if not self.on_device else None, name)
        if self.engine == "cuda":
            if out is not None and is_cuda_array(out):
                return _as_device_array(self._cuda, out)
            device_out = self._cuda.device_array(shape, dtype)
            self._host_outs.append((device_out, out))
            return device_out
        if out is not None:
            if is_cuda_array(out):
                raise TypeError(
                    f"{name} is a CUDA array but engine={self.engine!r} runs on the host; "
                    "pass a NumPy array or use engine='cuda'")
            return out
        return np.empty(shape, dtype)

    def run(self, family, name, *args):
        """Run the engine's kernel ``family.name`` on ``args`` (skipped for empty outputs)."""
        if any(int(np.prod(a.shape)) == 0 for a in args if hasattr(a, "shape")):
            return  # nothing to compute (N or C is zero); CUDA cannot launch an empty grid
        fn = kernel(self.engine, family, name)
        if self.engine == "cuda":
            # The simulator evaluates kernels with NumPy scalars, which warn on
            # inf - inf; on a GPU the same arithmetic is silent.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fn(*args)
        else:
            fn(*args)

    def result(self, array):
        """Hand an output back in the caller's currency (host or device)."""
        if self.engine != "cuda" or self.on_device:
            return array
        for device_out, host_out in self._host_outs:
            if device_out is array:
                if host_out is not None:
                    device_out.copy_to_host(host_out)
                    return host_out
                return device_out.copy_to_host()
        return array.copy_to_host()

