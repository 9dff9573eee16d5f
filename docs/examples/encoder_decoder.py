"""A rotation-equivariant encoder-decoder in plain NumPy, checked with check_equivariance.

The network works on regular fields of the rotation group C8 (eight channels per field, one
per rotation; a rotation by 45 degrees moves the image and rolls the eight channels):

    33x33  mix -> ReLU -> antialiased max pool (k=3, s=2, p=1)        -> 17x17
    17x17  mix -> ReLU -> antialiased avg pool (sigma=1, s=2)         ->  9x9
     9x9   mix -> ReLU -> bilinear up to 17x17, + skip -> mix -> ReLU
    17x17  bilinear up to 33x33, + skip -> group pooling              -> 33x33 invariant maps

"mix" is a 1x1 group convolution: a linear map between regular fields that commutes with
the channel roll.  Every spatial step was chosen so that its window grid is symmetric on
these sizes (odd sizes 33 -> 17 -> 9 for stride 2; align_corners=True maps 9 -> 17 -> 33
onto the same grid points), so the network is exactly equivariant, up to rounding, under
the rotations of C8 that map the grid onto itself (0, 90, 180, 270 degrees).  The other
four (45, 135, 225, 315 degrees) need interpolation on both sides of the check; their
error is measured inside a central disk, since a rotated square loses its corners.

Run it as a script to print the predicates and both tables:

    python docs/examples/encoder_decoder.py
"""

from __future__ import annotations

import numpy as np

import refpool
from refpool import FieldType
from refpool.equivariance import check_equivariance, exact_symmetries
from refpool.groups import cyclic

GROUP = cyclic(8)
ORDER = GROUP.order


# --------------------------------------------------------------------------- layers
def group_mix(x, weights, bias):
    r"""1x1 group convolution between regular C8 fields.

    ``y[o, i] = sum_f sum_k weights[o, f, k] * x[f, (i + k) mod 8] + bias[o]``: output
    channel ``i`` (rotation ``i``) sees the input channels relative to itself, so rolling
    the input channels rolls the output channels the same way.  The loops run over the
    relative offset ``k`` in a fixed order, so the sum is bitwise the same for a rotated
    input (a BLAS product could add in another order and differ by rounding).
    """
    n, channels = x.shape[:2]
    fields_in = channels // ORDER
    fields_out = weights.shape[0]
    x = x.reshape((n, fields_in, ORDER) + x.shape[2:])
    y = np.zeros((n, fields_out, ORDER) + x.shape[3:])
    for k in range(ORDER):
        shifted = np.roll(x, -k, axis=2)  # shifted[:, f, i] = x[:, f, (i + k) mod 8]
        for f in range(fields_in):
            y += weights[:, f, k][None, :, None, None, None] * shifted[:, f][:, None]
    y += bias[None, :, None, None, None]
    return y.reshape((n, fields_out * ORDER) + y.shape[3:])


def relu(x):
    return np.maximum(x, 0.0)


def regular_type(fields):
    return FieldType(GROUP, [GROUP.regular_representation] * fields)


def make_parameters(in_fields, width, seed=0):
    """Random weights for the four mixing layers (He-style scale)."""
    rng = np.random.default_rng(seed)
    shapes = {"enc0": (width, in_fields), "enc1": (width, width), "enc2": (width, width),
              "dec1": (width, width)}
    params = {}
    for name, (out_f, in_f) in shapes.items():
        scale = np.sqrt(2.0 / (in_f * ORDER))
        params[name] = (scale * rng.standard_normal((out_f, in_f, ORDER)),
                        0.1 * rng.standard_normal(out_f))
    return params


def encoder_decoder(x, params, engine="auto"):
    """The network: ``(N, 8 * in_fields, n, n)`` regular fields in, ``(N, width, n, n)``
    invariant maps out.  ``n`` must be of the form ``4m + 1`` (33, 17, ...)."""
    width = params["enc0"][0].shape[0]
    e0 = relu(group_mix(x, *params["enc0"]))                                        # n
    e1 = refpool.antialiased_max_pool(e0, 3, stride=2, padding=1, sigma=0.6,
                                      engine=engine)                                # (n+1)/2
    e1 = relu(group_mix(e1, *params["enc1"]))
    e2 = refpool.antialiased_avg_pool(e1, sigma=1.0, stride=2, engine=engine)       # (n+3)/4
    e2 = relu(group_mix(e2, *params["enc2"]))
    d1 = refpool.interpolate(e2, size=e1.shape[2:], mode="bilinear", align_corners=True,
                             engine=engine) + e1
    d1 = relu(group_mix(d1, *params["dec1"]))
    d0 = refpool.interpolate(d1, size=e0.shape[2:], mode="bilinear", align_corners=True,
                             engine=engine) + e0
    return refpool.group_pool(d0, regular_type(width), engine=engine)


# --------------------------------------------------------------------------- checks
def smooth_regular_field(batch, fields, size, seed=1, correlation=2.0):
    """Random regular fields, low-passed so that interpolating them is accurate: the
    off-grid error then measures the network, not the resampling of white noise."""
    from scipy import ndimage
    noise = np.random.default_rng(seed).standard_normal((batch, fields * ORDER, size, size))
    return ndimage.gaussian_filter(noise, sigma=(0, 0, correlation, correlation))


def predicted_grid_symmetries(size):
    """What the exactness predicates say about each spatial stage, on the sizes it sees.

    Returns a list of ``(stage, elements or None)``; ``None`` means that refpool has no
    predicate for that operator.  The pointwise steps (mixing, ReLU, the skip sums, group
    pooling) act on each pixel alone and commute with every grid symmetry.
    """
    half, quarter = (size + 1) // 2, (size + 3) // 4
    stages = [
        (f"antialiased_max_pool k=3 s=2 p=1 on {size}x{size}", refpool.antialiased_max_pool,
         (1, 1, size, size), dict(kernel_size=3, stride=2, padding=1, sigma=0.6)),
        (f"antialiased_avg_pool sigma=1 s=2 on {half}x{half}", refpool.antialiased_avg_pool,
         (1, 1, half, half), dict(sigma=1.0, stride=2)),
        (f"bilinear {quarter} -> {half}, align_corners", refpool.interpolate,
         (1, 1, quarter, quarter), dict(size=(half, half), mode="bilinear", align_corners=True)),
        (f"bilinear {half} -> {size}, align_corners", refpool.interpolate,
         (1, 1, half, half), dict(size=(size, size), mode="bilinear", align_corners=True)),
    ]
    verdicts = []
    for name, op, shape, kwargs in stages:
        try:
            verdicts.append((name, exact_symmetries(op, shape, **kwargs)))
        except ValueError:  # no predicate registered for this operator
            verdicts.append((name, None))
    return verdicts


def run(size=33, batch=2, in_fields=2, width=4, disk=0.8, seed=0, engine="auto",
        verbose=True):
    """Build the network, check it on C8, and return ``(grid_report, off_grid_report)``.

    Parameters
    ----------
    size : int
        Input height and width, ``4m + 1``.
    batch, in_fields, width : int
        Batch size, input regular fields, regular fields inside the network.
    disk : float
        Fraction of the half-size of the central disk the off-grid errors are taken in.
    seed : int
        Seed of the weights (the input uses ``seed + 1``).
    engine : str
        refpool engine for every operator (``"reference"`` needs no compilation).
    verbose : bool
        Print the predicates and both reports.
    """
    if size % 4 != 1:
        raise ValueError(f"size must be 4m + 1 so every stride-2 grid is symmetric, got {size}")
    params = make_parameters(in_fields, width, seed)
    in_type = regular_type(in_fields)
    out_type = refpool.invariant_field_type(regular_type(width))
    x = smooth_regular_field(batch, in_fields, size, seed + 1)

    def network(a):
        return encoder_decoder(a, params, engine)

    on_grid = [g for g in GROUP.elements if g.is_grid_symmetry]
    off_grid = [g for g in GROUP.elements if not g.is_grid_symmetry]
    # Exact up to rounding: the linear stages add the same terms in mirrored order.
    grid_report = check_equivariance(network, in_type, out_type, x, on_grid, rtol=1e-12,
                                     name="encoder_decoder")
    off_report = check_equivariance(network, in_type, out_type, x, off_grid, disk=disk,
                                    name="encoder_decoder")

    if verbose:
        print("Exactness predicates (grid symmetries of the square, D4):")
        for name, elements in predicted_grid_symmetries(size):
            verdict = ("no predicate" if elements is None else
                       f"{len(elements)} of 8" + (" (all)" if len(elements) == 8 else ""))
            print(f"  {name:45s} {verdict}")
        print()
        print(grid_report)
        print()
        print(off_report)
    return grid_report, off_report


if __name__ == "__main__":
    run()
