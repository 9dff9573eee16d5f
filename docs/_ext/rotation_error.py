"""Sphinx extension: the error of every off-grid rotation method, generated at build.

A band-limited test image (a sum of plane waves, known in closed form) is rotated
about its centre by :func:`refpool.grid_sample` (each mode) and
:func:`refpool.map_coordinates` (spline orders 0 to 5, with the prefilter); each
output is compared with the closed form evaluated at the exact source point of each
output pixel, inside a central disk (radius 0.35 of the side, so every source point
lies well inside the input).  Writes ``_generated/rotation_error.rst``.  The numbers
come from the code at every build; :func:`table` is also what the tests read.
"""

import os

import numpy as np

SIDE = 64
ANGLES = (1.0, 22.5, 30.0, 45.0)
#: highest spatial frequency of the test image, in cycles per pixel (Nyquist: 0.5)
BANDS = (0.1, 0.25)


def _waves(band, count=6, seed=0):
    rng = np.random.default_rng(seed)
    radius = band * np.sqrt(rng.uniform(0.25, 1.0, count))
    angle = rng.uniform(0, 2 * np.pi, count)
    freq = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    amp = rng.uniform(0.5, 1.0, count)
    return freq, amp / amp.sum(), rng.uniform(0, 2 * np.pi, count)


def _signal(waves, X, Y):
    freq, amp, phase = waves
    arg = 2 * np.pi * (freq[:, 0, None, None] * X + freq[:, 1, None, None] * Y)
    return np.sum(amp[:, None, None] * np.cos(arg + phase[:, None, None]), axis=0)


def _methods():
    import refpool
    out = []
    for mode in ("nearest", "bilinear", "bicubic"):
        out.append((f"grid_sample {mode}",
                    lambda x, grid, coords, m=mode: refpool.grid_sample(x, grid, mode=m)))
    for order in range(6):
        out.append((f"map_coordinates order {order}",
                    lambda x, grid, coords, k=order: refpool.map_coordinates(x, coords,
                                                                           order=k)))
    return out


def table(side=SIDE, angles=ANGLES, bands=BANDS):
    """``{(method, band, angle): (max error, rms error)}`` inside the central disk,
    relative to the image's peak amplitude (1)."""
    import refpool
    c = (side - 1) / 2
    index = np.arange(side, dtype=np.float64)
    Y, X = np.meshgrid(index - c, index - c, indexing="ij")   # pixel centres, centred
    disk = X ** 2 + Y ** 2 <= (0.35 * side) ** 2
    results = {}
    for band in bands:
        waves = _waves(band)
        x = _signal(waves, X, Y)[None, None]
        for degrees in angles:
            a = np.deg2rad(degrees)
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            # output pixel p reads source point rot @ p (both centred, in pixels)
            SX = rot[0, 0] * X + rot[0, 1] * Y
            SY = rot[1, 0] * X + rot[1, 1] * Y
            exact = _signal(waves, SX, SY)
            theta = np.concatenate([rot, np.zeros((2, 1))], axis=1)[None]
            grid = refpool.affine_grid(theta, (1, 1, side, side))
            coords = np.stack([SY + c, SX + c])
            for name, method in _methods():
                err = (method(x, grid, coords)[0, 0] - exact)[disk]
                results[name, band, degrees] = (float(np.abs(err).max()),
                                                float(np.sqrt(np.mean(err ** 2))))
    return results


def generate(app):
    results = table()
    names = [name for name, _ in _methods()]
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - method"]
    for band in BANDS:
        for degrees in ANGLES:
            lines.append(f"     - {band:g} c/px, {degrees:g}°")
    for name in names:
        lines.append(f"   * - {name}")
        for band in BANDS:
            for degrees in ANGLES:
                worst, _ = results[name, band, degrees]
                lines.append(f"     - {worst:.1e}")
    os.makedirs(os.path.join(app.srcdir, "_generated"), exist_ok=True)
    with open(os.path.join(app.srcdir, "_generated", "rotation_error.rst"), "w") as f:
        f.write("\n".join(lines) + "\n")


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
