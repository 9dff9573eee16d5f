"""A complete conformance adapter: adaptive average pooling written in NumPy.

Run it with ``refpool conformance --against minimal_adapter --ops adaptive_avg_pool
adaptive_max_pool`` (with this directory on ``PYTHONPATH``), or with
``refpool.conformance.runner.run(minimal_adapter, ops=[...])``.
"""
import numpy as np

NAME = "minimal NumPy adapter"


def adaptive_avg_pool(x, output_size):
    spatial = x.shape[2:]
    sizes = output_size if isinstance(output_size, tuple) else (output_size,) * len(spatial)
    sizes = tuple(n if o is None else o for n, o in zip(spatial, sizes))
    y = np.empty(x.shape[:2] + sizes, dtype=x.dtype)
    for index in np.ndindex(*sizes):     # window [floor(i n / o), ceil((i + 1) n / o))
        window = tuple(slice(i * n // o, -(-(i + 1) * n // o))
                       for i, n, o in zip(index, spatial, sizes))
        y[(...,) + index] = x[(...,) + window].mean(axis=tuple(range(2, x.ndim)))
    return y


def adaptive_max_pool(x, output_size, return_indices=False):
    raise NotImplementedError("not written yet")     # reported as 'unsupported'


def known_divergence(op, kwargs, shape):
    return None                # or a short reason when a case hits a documented difference
