"""Which antialiasing filter keeps stride-2 pooling closest to rotation-equivariant?

Compares the Gaussian of ``antialiased_avg_pool(x, sigma, stride=2)`` (escnn/e2cnn) for
sigma 0.4 to 2.0 with the binomial filters of ``blur_pool(x, filt_size, stride=2)``
(antialiased-cnns) for sizes 1 to 7, on two kinds of input:

* ``smooth``: white noise low-passed by a Gaussian of standard deviation 2 input pixels
  (amplitude at the output Nyquist frequency pi/2: exp(-pi^2/2) = 0.7%);
* ``noise``: white noise, the worst case for aliasing.

Error metric, per filter, input kind and rotation angle theta:

    err(theta) = || f(T x) - T f(x) ||_D / || T f(x) ||_D

with ``T`` the rotation by theta of ``FieldType.transform`` (cubic spline, order 3, about
the array centre, zero fill), f the pooling, and ``|| . ||_D`` the L2 norm over the central
disk of radius 0.8 x the output half-size, summed over all seeds (``check_equivariance``'s
``rel_l2``).  Angles: 45 degrees (the non-grid rotation of C8) and 22.5 and 67.5 degrees
(the further non-grid rotations of C16); multiples of 90 degrees are exact grid
symmetries and are checked separately (``D4 exact``).

Centring: a stride-2 pooling samples input positions 2i + delta, delta = 0 for odd filter
sizes and 1/2 for even ones.  Rotating the output about its array centre is the same
rotation as the input's only when the sampling grid is centred on the input, which needs
an odd input size for delta = 0 and an even one for delta = 1/2.  Each filter is measured
on its centred size (65 or 64); the even binomials are also measured on the odd size (rows
marked "off-centre") to show what the half-pixel shift costs.

What each filter keeps, from its 1-D taps g in closed form (H(w) = sum_k g_k e^{-iwk}):

* ``H(pi/2)``: the magnitude of the response at the output Nyquist frequency;
* ``band``: (2/pi) int_0^{pi/2} |H|^2 dw = sum_jk g_j g_k sinc(pi (j-k) / 2), the share of a
  flat spectrum's energy below the output Nyquist that passes (1 = ideal low-pass);
* ``alias``: (2/pi) int_{pi/2}^{pi} |H|^2 dw, the share above it that passes and folds back;
* ``std``: the standard deviation of the taps, in input pixels.

Usage::

    python benchmarks/filter_study.py [--quick] [--json PATH] [--png PATH]

``--quick`` uses 16 seeds instead of 64 (well under a minute on two cores).  Prints the
table (copied into docs/filter_study.rst), writes the numbers as JSON and the plot as PNG.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing

import refpool  # noqa: E402
from refpool.equivariance import check_equivariance  # noqa: E402
from refpool.groups import dihedral, so2  # noqa: E402

SIGMAS = (0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0)
BINOMIAL_SIZES = (1, 2, 3, 4, 5, 6, 7)
C8_ANGLE = 45.0
C16_ANGLES = (22.5, 67.5)
ODD_SIZE, EVEN_SIZE = 65, 64
DISK = 0.8
SPLINE_ORDER = 3
SMOOTH_SIGMA = 2.0


# --------------------------------------------------------------------------- filters
def filter_cases(engine):
    """``(name, family, parameter, taps, fn, size, centred)`` for every filter studied."""
    cases = []
    for sigma in SIGMAS:
        taps = refpool.gaussian_taps(sigma, truncate=3.0)
        cases.append((f"gauss {sigma:g}", "gaussian", sigma, taps,
                      _gaussian_pool(sigma, engine), ODD_SIZE, True))
    for size in BINOMIAL_SIZES:
        taps = refpool.binomial_taps(size)
        fn = _binomial_pool(size, engine)
        centred = ODD_SIZE if size % 2 else EVEN_SIZE
        cases.append((f"binom {size}", "binomial", size, taps, fn, centred, True))
        if size % 2 == 0:
            cases.append((f"binom {size} off-centre", "binomial-off-centre", size, taps, fn,
                          ODD_SIZE, False))
    return cases


def _gaussian_pool(sigma, engine):
    def pool(a):
        return refpool.antialiased_avg_pool(a, sigma, 2, engine=engine)
    return pool


def _binomial_pool(size, engine):
    def pool(a):
        return refpool.blur_pool(a, size, 2, pad_type="reflect", engine=engine)
    return pool


def frequency_summary(taps):
    """``|H(pi/2)|``, band, alias and std of 1-D taps, in closed form (see the docstring)."""
    taps = np.asarray(taps, dtype=np.float64)
    k = np.arange(taps.size, dtype=np.float64)
    centre = float(np.dot(taps, k))
    std = math.sqrt(float(np.dot(taps, (k - centre) ** 2)))
    response = abs(complex(np.sum(taps * np.exp(-0.5j * math.pi * k))))
    m = k[:, None] - k[None, :]
    weight = np.outer(taps, taps)
    half = 0.5 * math.pi * m
    # (2/pi) int_0^{pi/2} cos(w m) dw = sin(pi m / 2) / (pi m / 2), and 1 for m = 0
    below = np.where(m == 0, 1.0, np.sin(half) / np.where(m == 0, 1.0, half))
    # (2/pi) int_{pi/2}^{pi} cos(w m) dw = (sin(pi m) - sin(pi m / 2)) / (pi m / 2)
    above = np.where(m == 0, 1.0,
                     (np.sin(math.pi * m) - np.sin(half)) / np.where(m == 0, 1.0, half))
    return {"taps": int(taps.size), "std": std, "H_half_nyquist": response,
            "band": float(np.sum(weight * below)), "alias": float(np.sum(weight * above))}


# --------------------------------------------------------------------------- inputs
def make_inputs(kind, size, seeds):
    rng = np.random.default_rng(1234 + size)
    x = rng.standard_normal((seeds, 1, size, size))
    if kind == "smooth":
        from scipy import ndimage
        x = ndimage.gaussian_filter(x, sigma=(0, 0, SMOOTH_SIGMA, SMOOTH_SIGMA))
    return x


# --------------------------------------------------------------------------- study
def measure(cases, seeds):
    rotations, mirrors = so2(), dihedral(4)
    rot_type = refpool.FieldType(rotations, [rotations.trivial_representation])
    grid_type = refpool.FieldType(mirrors, [mirrors.trivial_representation])
    angles = (C8_ANGLE,) + C16_ANGLES
    elements = [math.radians(a) for a in angles]
    inputs = {(kind, size): make_inputs(kind, size, seeds)
              for kind in ("smooth", "noise") for size in (ODD_SIZE, EVEN_SIZE)}
    rows = []
    for name, family, parameter, taps, fn, size, centred in cases:
        row = {"filter": name, "family": family, "parameter": parameter,
               "input_size": size, "centred": centred}
        row.update(frequency_summary(taps))
        grid = check_equivariance(fn, grid_type, grid_type, inputs["noise", size][:2])
        row["d4_exact"] = grid.ok
        row["d4_max_rel"] = grid.max_rel
        for kind in ("smooth", "noise"):
            report = check_equivariance(fn, rot_type, rot_type, inputs[kind, size],
                                        elements, disk=DISK, order=SPLINE_ORDER)
            errors = {a: r.rel_l2 for a, r in zip(angles, report)}
            row[f"{kind}_c8"] = errors[C8_ANGLE]
            row[f"{kind}_c16"] = float(np.mean([errors[a] for a in C16_ANGLES]))
            row[f"{kind}_by_angle"] = {f"{a:g}": e for a, e in errors.items()}
        rows.append(row)
    return rows


COLUMNS = (("filter", "filter", "{}"), ("taps", "taps", "{}"), ("std", "std", "{:.2f}"),
           ("H_half_nyquist", "H(pi/2)", "{:.3f}"), ("band", "band", "{:.3f}"),
           ("alias", "alias", "{:.3g}"), ("d4_exact", "D4 exact", "{}"),
           ("smooth_c8", "smooth 45", "{:.4f}"), ("smooth_c16", "smooth 22/67", "{:.4f}"),
           ("noise_c8", "noise 45", "{:.3f}"), ("noise_c16", "noise 22/67", "{:.3f}"))


def table(rows):
    """The rows as an RST simple table (also readable as plain text)."""
    def cell(value, fmt):
        return "yes" if value is True else "no" if value is False else fmt.format(value)

    cells = [[cell(row[key], fmt) for key, _, fmt in COLUMNS] for row in rows]
    header = [title for _, title, _ in COLUMNS]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(h.ljust(w) for h, w in zip(header, widths)), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    lines.append(rule)
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.6, 3.4), constrained_layout=True)
    styles = {"gaussian": ("C0", "o", "-", "Gaussian (sigma)"),
              "binomial": ("C1", "s", "-", "binomial (size), centred"),
              "binomial-off-centre": ("C3", "x", "none", "even binomial, off-centre")}
    for ax, kind, title in ((axes[0], "noise", "white noise"),
                            (axes[1], "smooth", f"smooth (low-passed, sigma {SMOOTH_SIGMA:g})")):
        for family, (color, marker, line, label) in styles.items():
            chosen = sorted((r for r in rows if r["family"] == family),
                            key=lambda r: r["band"])
            if not chosen:
                continue
            bands = [r["band"] for r in chosen]
            errors = [0.5 * (r[f"{kind}_c8"] + r[f"{kind}_c16"]) for r in chosen]
            ax.plot(bands, errors, color=color, marker=marker, linestyle=line, label=label,
                    markersize=5)
            if family != "binomial-off-centre" and kind == "noise":
                for r, b, e in zip(chosen, bands, errors):
                    ax.annotate(f"{r['parameter']:g}", (b, e), textcoords="offset points",
                                xytext=(3, 3), fontsize=7, color=color)
        ax.set_yscale("log")
        ax.set_xlabel("band kept (share of energy below pi/2 passed, 1-D)")
        ax.set_ylabel("relative L2 equivariance error")
        ax.set_title(title, fontsize="medium")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize="small")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


# =========================================================================== resampling
# ``--resampling``: the filters of down-, upsampling and a down-up round trip by 2,
# including the upfirdn designs (separable Kaiser-sinc, radial Kaiser-jinc) and adaptive
# polyphase sampling.  Each filter runs on its own grid: an even number of taps on the
# half-pixel grid (input 64, output o centred on input (o + 1/2) 2 - 1/2, interpolate's),
# an odd number on the sample grid (input 65, output o on input 2 o; upsampling gives
# 2 (n - 1) + 1 = 129 samples), so that rotations about the array centres agree.

RS_SIGMAS = (0.6, 1.0, 1.5)
RS_BINOMIALS = (2, 3, 4, 5, 6, 7)
RS_DESIGNS = ((8, 0.5), (16, 0.5), (24, 0.5), (24, 0.4))   # (numtaps, cutoff / Nyquist)
RS_ANGLES = (("C8 45", 45.0), ("C16 22.5", 22.5), ("1 deg", 1.0))
NATURAL = ("camera", "moon", "coins", "astronaut", "brick", "grass")


def _gauss_even(sigma):
    """Gaussian taps on the half-pixel grid: an even count 2 ceil(3 sigma), centred
    between the two middle taps, normalised to sum 1."""
    t = 2 * math.ceil(3 * sigma)
    k = np.arange(t) - (t - 1) / 2
    g = np.exp(-k ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _separable_kernel(taps, k=2):
    kernel = np.asarray(taps, float)
    for _ in range(k - 1):
        kernel = np.multiply.outer(kernel, taps)
    return kernel


def _pads(T, u, s, n_out, n):
    """upfirdn padding of a T-tap filter on its grid (even T: half-pixel; odd: sample)."""
    if u > 1:
        before = (T + u - 1) // 2 if T % 2 == 0 else (T - 1) // 2
    else:
        before = (T - s + 1) // 2 if T % 2 == 0 else (T - 1) // 2
    after = (n_out - 1) * s + T - before - n * u
    return before, after


def _resampler(f, direction, pad_type, engine):
    """``fn(x)`` resampling by 2 with the 1-D taps or 2-D kernel ``f`` on its grid."""
    f = np.asarray(f, float)
    T = f.shape[0]
    u, s = (2, 1) if direction == "up" else (1, 2)

    def fn(x):
        n = x.shape[-1]
        if direction == "up":
            n_out = n * 2 if (T % 2 == 0 or pad_type == "circular") else 2 * (n - 1) + 1
        else:
            n_out = n // 2 if (T % 2 == 0 or pad_type == "circular") else (n - 1) // 2 + 1
        pad = _pads(T, u, s, n_out, n)
        return refpool.upfirdn(x, f, u, s, (pad, pad), flip_filter=True, gain=u * u,
                               pad_type=pad_type, engine=engine)
    return fn


def resampling_cases():
    """``(name, family, filter array or None)`` of every filter of the resampling study."""
    cases = [("none", "none", np.ones(1))]
    for sigma in RS_SIGMAS:
        cases.append((f"gauss {sigma:g}", "gaussian", _gauss_even(sigma)))
    for size in RS_BINOMIALS:
        cases.append((f"binom {size}", "binomial", refpool.binomial_taps(size)))
    from refpool.kernels import lowpass_filter
    for numtaps, cutoff in RS_DESIGNS:
        cases.append((f"sinc {numtaps}/{cutoff:g}", "kaiser-sinc",
                      lowpass_filter(numtaps, cutoff, cutoff / 2, fs=2)))
        cases.append((f"jinc {numtaps}/{cutoff:g}", "kaiser-jinc",
                      lowpass_filter(numtaps, cutoff, cutoff / 2, fs=2, radial=True, ndim=2)))
    cases.append(("aps", "aps", None))
    cases.append(("aps + binom 3", "aps", refpool.binomial_taps(3)))
    return cases


def spectrum_summary(f, size=256):
    """The 2-D filter (separable taps expanded) on its fine grid, normalised to DC gain
    1: ``H(pi/2)`` along an axis and on the diagonal at the same radius (the output
    Nyquist of downsampling by 2, and the input Nyquist of upsampling: half the fine
    grid's Nyquist), ``band`` = mean |H|^2 over the coarse band [-pi/2, pi/2]^2 (1 is
    ideal) and ``alias`` = mean |H|^2 outside it (0 is ideal: what folds back when
    downsampling, the images left when upsampling)."""
    if f is None:
        return {"taps": float("nan"), "H_axis": float("nan"), "H_diag": float("nan"),
                "band": float("nan"), "alias": float("nan")}
    kernel = _separable_kernel(f) if np.ndim(f) == 1 else np.asarray(f, float)
    kernel = kernel / kernel.sum()
    c = (np.array(kernel.shape) - 1) / 2

    def response(w):
        i, j = np.indices(kernel.shape)
        return abs(np.sum(kernel * np.exp(-1j * (w[0] * (i - c[0]) + w[1] * (j - c[1])))))
    H = np.abs(np.fft.fft2(kernel, (size, size)))
    w = np.fft.fftfreq(size) * 2 * np.pi
    inside = (np.abs(w)[:, None] <= np.pi / 2) & (np.abs(w)[None, :] <= np.pi / 2)
    d = np.pi / 2 / math.sqrt(2)
    return {"taps": int(kernel.shape[0]), "H_axis": response((np.pi / 2, 0.0)),
            "H_diag": response((d, d)), "band": float(np.mean(H[inside] ** 2)),
            "alias": float(np.mean(H[~inside] ** 2))}


def resampling_inputs(seeds):
    """``{(kind, size): (N, 1, size, size)}`` for smooth, noise and natural inputs, each
    normalised to zero mean and unit variance per image."""
    from scipy import ndimage
    out = {}
    for size in (64, 65):
        rng = np.random.default_rng(4321 + size)
        noise = rng.standard_normal((seeds, 1, size, size))
        smooth = ndimage.gaussian_filter(noise, sigma=(0, 0, SMOOTH_SIGMA, SMOOTH_SIGMA))
        crops = []
        import skimage.data
        from skimage.color import rgb2gray
        for i in range(seeds):
            name = NATURAL[i % len(NATURAL)]
            image = getattr(skimage.data, name)()
            image = rgb2gray(image) if image.ndim == 3 else image / 255.0
            r = np.random.default_rng(i)
            top = int(r.integers(0, image.shape[0] - size))
            left = int(r.integers(0, image.shape[1] - size))
            crops.append(image[top:top + size, left:left + size])
        natural = np.asarray(crops, float)[:, None]
        for kind, x in (("smooth", smooth), ("noise", noise), ("natural", natural)):
            x = x - x.mean(axis=(2, 3), keepdims=True)
            out[kind, size] = x / x.std(axis=(2, 3), keepdims=True)
    return out


def _fourier_shift(y, dy, dx):
    """The periodic array ``y`` shifted by ``(dy, dx)`` samples (exact for a periodic
    band-limited signal; a whole-sample shift is a roll)."""
    ky = np.fft.fftfreq(y.shape[-2])[:, None]
    kx = np.fft.fftfreq(y.shape[-1])[None, :]
    phase = np.exp(-2j * np.pi * (ky * dy + kx * dx))
    return np.real(np.fft.ifft2(np.fft.fft2(y) * phase))


def shift_error(fn, x, ratio):
    """Circular-shift consistency: roll the periodic input by 1 sample along X and along
    the diagonal; per image, the smallest L2 distance between the output and the output
    of the unshifted input moved by any multiple of half an output sample within +-2 on
    each axis (the expected move is ``ratio`` samples: 1/2 down, 2 up, 1 for the round
    trip; adaptive polyphase sampling moves each image by its own whole samples),
    relative to the output's norm, over all images."""
    y = np.asarray(fn(x), float)
    errors = []
    for t in ((0, 1), (1, 1)):
        ys = np.asarray(fn(np.roll(x, t, axis=(2, 3))), float)
        moved = [_fourier_shift(y, a / 2, b / 2) for a in range(-4, 5) for b in range(-4, 5)]
        best = sum(min(np.sum((ys[n] - m[n]) ** 2) for m in moved) for n in range(len(x)))
        errors.append(math.sqrt(best) / np.linalg.norm(ys))
    return float(np.mean(errors))


def _direction_fns(name, family, f, engine, pad_type):
    """``{direction: fn}`` for down, up and round trip (down then up)."""
    if family == "aps":
        blur = None if f is None else 3

        def down(x):
            return refpool.aps_downsample(x, 2, blur=blur, engine=engine)

        def trip(x):
            y, phase = refpool.aps_downsample(x, 2, blur=blur, return_phase=True,
                                              engine=engine)
            return refpool.aps_upsample(y, phase, 2, blur=3, engine=engine)
        return {"down": down, "trip": trip}
    down, up = _resampler(f, "down", pad_type, engine), _resampler(f, "up", pad_type, engine)
    return {"down": down, "up": up, "trip": lambda x: up(down(x))}


def measure_resampling(seeds, engine="cpu"):
    rotations = so2()
    rot_type = refpool.FieldType(rotations, [rotations.trivial_representation])
    elements = [math.radians(a) for _, a in RS_ANGLES]
    inputs = resampling_inputs(seeds)
    rows = []
    for name, family, f in resampling_cases():
        odd = f is not None and np.shape(f)[0] % 2 == 1
        size = 65 if odd else 64
        spectrum = spectrum_summary(f if family != "aps" else None)
        fns = _direction_fns(name, family, f, engine, "zero")
        periodic = _direction_fns(name, family, f, engine, "circular")
        for direction, fn in fns.items():
            row = {"filter": name, "family": family, "direction": direction,
                   "input_size": size}
            row.update(spectrum)
            for kind in ("smooth", "noise", "natural"):
                x = inputs[kind, size if family != "aps" else 64]
                report = check_equivariance(fn, rot_type, rot_type, x, elements,
                                            disk=DISK, order=SPLINE_ORDER)
                for (label, _), r in zip(RS_ANGLES, report):
                    row[f"{kind} {label}"] = r.rel_l2
                ratio = {"down": 0.5, "up": 2.0, "trip": 1.0}[direction]
                row[f"{kind} shift"] = shift_error(periodic[direction], inputs[kind, 64],
                                                   ratio)
            rows.append(row)
    return rows


RS_COLUMNS = (("filter", "filter", "{}"), ("taps", "taps", "{}"),
              ("H_axis", "H(pi/2)", "{:.3f}"), ("H_diag", "diag", "{:.3f}"),
              ("band", "band", "{:.3f}"), ("alias", "alias", "{:.2e}"),
              ("smooth C8 45", "sm 45", "{:.4f}"), ("smooth 1 deg", "sm 1", "{:.4f}"),
              ("natural C8 45", "nat 45", "{:.3f}"), ("natural C16 22.5", "nat 22.5",
                                                       "{:.3f}"),
              ("natural 1 deg", "nat 1", "{:.3f}"), ("noise C8 45", "noise 45", "{:.3f}"),
              ("natural shift", "nat shift", "{:.3f}"), ("noise shift", "noise shift",
                                                         "{:.3f}"))


def resampling_table(rows, direction):
    chosen = [r for r in rows if r["direction"] == direction]

    def cell(value, fmt):
        if isinstance(value, float) and math.isnan(value):
            return "-"
        return fmt.format(value)
    cells = [[cell(row[key], fmt) for key, _, fmt in RS_COLUMNS] for row in chosen]
    header = [title for _, title, _ in RS_COLUMNS]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(h.ljust(w) for h, w in zip(header, widths)), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    lines.append(rule)
    return "\n".join(lines)


def main_resampling(args):
    seeds = args.seeds or (4 if args.quick else 8)
    start = time.perf_counter()
    rows = measure_resampling(seeds, "cpu" if args.engine == "reference" else args.engine)
    elapsed = time.perf_counter() - start
    print(f"resampling by 2: {seeds} images per kind; inputs 64x64 (even taps, half-pixel "
          f"grid; APS) / 65x65 (odd taps, sample grid); disk {DISK:g}, spline order "
          f"{SPLINE_ORDER}; relative L2 errors")
    for direction, title in (("down", "downsampling"), ("up", "upsampling"),
                             ("trip", "down-up round trip")):
        print(f"\n{title}\n")
        print(resampling_table(rows, direction))
    print(f"({elapsed:.1f} s)")
    if args.json:
        meta = {"seeds": seeds, "disk": DISK, "spline_order": SPLINE_ORDER,
                "angles": dict(RS_ANGLES), "natural": list(NATURAL),
                "python": platform.python_version(), "numpy": np.__version__,
                "seconds": elapsed, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        path = args.json.replace("filter_study.json", "resampling_study.json")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 seeds instead of 64")
    parser.add_argument("--resampling", action="store_true",
                        help="the resampling study (down, up, round trip; upfirdn designs "
                             "and APS) instead of the pooling one")
    parser.add_argument("--seeds", type=int, default=None, help="number of random inputs")
    parser.add_argument("--engine", default="reference",
                        help="refpool engine (default: reference, no compilation)")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "filter_study.json"),
                        help="where to write the numbers ('' to skip)")
    parser.add_argument("--png", default=os.path.join(HERE, os.pardir, "docs", "_static",
                                                      "filter_study.png"),
                        help="where to write the plot ('' to skip)")
    args = parser.parse_args(argv)
    if args.resampling:
        main_resampling(args)
        return
    seeds = args.seeds or (16 if args.quick else 64)

    start = time.perf_counter()
    rows = measure(filter_cases(args.engine), seeds)
    elapsed = time.perf_counter() - start
    print(f"stride 2, {seeds} seeds, inputs {ODD_SIZE}x{ODD_SIZE} (odd filters) / "
          f"{EVEN_SIZE}x{EVEN_SIZE} (even filters), disk {DISK:g}, spline order "
          f"{SPLINE_ORDER}; errors are relative L2 (smooth: 4 decimals)")
    print(table(rows))
    print(f"({elapsed:.1f} s)")
    if args.json:
        meta = {"seeds": seeds, "odd_size": ODD_SIZE, "even_size": EVEN_SIZE, "disk": DISK,
                "spline_order": SPLINE_ORDER, "smooth_sigma": SMOOTH_SIGMA,
                "angles": {"c8": C8_ANGLE, "c16": list(C16_ANGLES)}, "engine": args.engine,
                "python": platform.python_version(), "numpy": np.__version__,
                "seconds": elapsed, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)
    if args.png:
        plot(rows, args.png)


if __name__ == "__main__":
    main()
