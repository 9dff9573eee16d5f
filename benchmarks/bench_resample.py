"""Every filter of :func:`refpool.resample`, x2 and x0.5, against the memory floor and
every peer (torch, JAX, TensorFlow, OpenCV, Pillow) on the same CPU.

    python benchmarks/bench_resample.py [--threads 2] [--repeat 7] [--shape 16,64,128,128]
                                        [--json results/resample.json] [--plot FILE]
                                        [--only NAME ...] [--peers torch jax ...]
                                        [--tol 1e-4] [--no-pin] [--quick]

One table (:data:`CASES`) drives the run: per filter and scale, the refpool call and,
for each peer, the peer's call that computes the same operation together with the
:func:`refpool.resample` arguments of that operation (the peer's dialect setting:
``refpool.dialects.jax``, ``.tf``, ``.cv2``, ``.pil``), or the reason the peer has
no such call.  The case's own refpool call is ``resample(x, scale=s, filter=f,
antialias=s < 1)`` (no antialias for ``nearest``); for each case:

* ``refpool_ms``: that call with a preallocated output (``out=``);
* ``floor_ms``: the same-run floor (:mod:`_floor`): a Numba kernel reading the input
  once and writing the output once, same threads, preallocated output;
* ``of_floor``: ``floor_ms / refpool_ms`` (goal: >= 0.5, a filtered operator);
* ``GB/s``: input + output bytes over ``refpool_ms``;
* ``fresh_ms``: the call allocating its output, as the peers do;
* ``<peer>_ms`` and ``<peer>_x``: the peer's time and ``peer_ms / refpool_ms`` of
  refpool's call with the peer's arguments, allocating (> 1: refpool is faster).
  Where the peer's arguments are the case's own, that is ``fresh_ms``; otherwise
  (each peer's nearest picks its own pixel; OpenCV has no antialias; torch's
  antialias, JAX, TensorFlow's ``ScaleAndTranslate`` methods and Pillow drop the
  taps outside the image instead of clamping them) the JSON keeps that call's time
  as ``<peer>_refpool_ms``.  ``cubic x0.5`` (Keys A=-3/4): no peer antialiases it
  (their antialiased bicubic is A=-1/2, the ``catmull_rom`` row), so torch, JAX
  (``cubic-pytorch``) and OpenCV are compared without antialias.

Check before time: each peer's output must agree with its refpool call to ``--tol``
times the input's range (max |difference|, kept as ``<peer>_err``), or the peer is
skipped with a printed note; this proves the comparison is like for like.  Every
pairing of the table agrees to float32 rounding (about ``1e-7`` of the range; the
peers evaluate coordinates in float32), while the nearest wrong pairings differ by
``2e-2`` to ``8e-2`` (Keys A=-3/4 against -1/2, lanczos3 against lanczos4, clamped
edge taps against dropped ones), so the default ``1e-4`` separates them.  Peers
get their own layout, prepared outside the timed region: torch NCHW
(``F.interpolate``), JAX NHWC (``jax.image.resize``, jitted, ``block_until_ready``),
TensorFlow NHWC (``tf.image.resize``, eager), OpenCV and Pillow a list of ``H x W``
planes (``cv2.resize`` per plane; ``Image.resize`` of mode ``"F"`` images per plane,
single-threaded as Pillow is).

Threads: Numba, torch (``set_num_threads``), OpenCV (``cv2.setNumThreads``) and
TensorFlow (intra-op pool) get ``--threads``; JAX has no such setting, so the process
is pinned to ``--threads`` CPUs before any peer is imported (``--no-pin`` to keep
every CPU; JAX then uses them all).  Times are medians of ``--repeat`` runs after
warm-up calls (which also compile); ``--quick`` runs a small shape with 3 repeats to
check the script, not to measure.  Measure on a quiet machine, more than once.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

SHAPE = (16, 64, 128, 128)
QUICK_SHAPE = (2, 4, 32, 32)
GOAL = 0.5                       # a filtered operator: half the memory floor
PEERS = ("torch", "jax", "tf", "cv2", "pil")


def _r(filter, **kw):
    """The :func:`refpool.resample` arguments of an operation (besides ``scale``)."""
    return dict(filter=filter, **kw)


#: the taps outside the image dropped and the rest renormalised (torch's antialias,
#: Pillow); JAX and TensorFlow's ``ScaleAndTranslate`` also zero the outputs outside
#: the input's cells (none at x2 and x0.5, but the dialect says so)
EXCL = dict(exclude_outside=True)
CELLS = dict(exclude_outside=True, extrapolate="cells")
AA = dict(antialias=True)

# nearest: which pixel each peer picks (they differ at x0.5: 2j or 2j + 1)
NN_TORCH = _r("nearest", coordinate_mode="asymmetric", nearest_mode="torch")
NN_HALF = _r("nearest", coordinate_mode="tf_half_pixel_for_nn", nearest_mode="floor")
NN_ASYM = _r("nearest", coordinate_mode="asymmetric", nearest_mode="floor")

_NO_TORCH = "torch: no such filter in F.interpolate"
_NO_JAX = "jax: no such method in jax.image.resize"
_NO_TF = "tf: no such method in tf.image.resize"
_NO_CV2 = "cv2: no such interpolation"
_NO_PIL = "pil: no such resample filter"
_KEYS_HALF = "Keys A=-1/2 (the catmull_rom row), not A=-3/4"


def _cubic_down():
    """Keys A=-3/4 at x0.5: no peer antialiases it (torch, JAX, TensorFlow and Pillow
    antialias only A=-1/2), so each peer that has it runs without antialias."""
    plain = _r("cubic")
    return {"torch": (dict(mode="bicubic", align_corners=False), plain),
            "jax": (dict(method="cubic-pytorch", antialias=False), plain),
            "tf": "tf: bicubic is " + _KEYS_HALF,
            "cv2": (dict(interpolation="INTER_CUBIC"), plain),
            "pil": "pil: BICUBIC is " + _KEYS_HALF}


#: filter, scale, {peer: (peer setting, refpool arguments of that operation) or the
#: reason the peer is left out}.  "same values": the peer's filter differs in name but
#: gives the same output at this scale (box x2 and area x2 replicate every pixel, box
#: x0.5 and area x0.5 average 2 x 2 blocks).
CASES = [
    ("nearest", 2.0, {
        "torch": (dict(mode="nearest"), NN_TORCH),
        "jax": (dict(method="nearest"), NN_HALF),
        "tf": (dict(method="nearest"), NN_HALF),
        "cv2": (dict(interpolation="INTER_NEAREST"), NN_ASYM),
        "pil": (dict(resample="NEAREST"), NN_HALF)}),
    ("nearest", 0.5, {
        "torch": (dict(mode="nearest"), NN_TORCH),
        "jax": (dict(method="nearest"), NN_HALF),
        "tf": (dict(method="nearest"), NN_HALF),
        "cv2": (dict(interpolation="INTER_NEAREST"), NN_ASYM),
        "pil": (dict(resample="NEAREST"), NN_HALF)}),
    ("box", 2.0, {
        "torch": (dict(mode="area"), _r("box")),                  # same values
        "jax": (dict(method="area"), _r("box")),                  # same values
        "tf": (dict(method="area"), _r("box")),                   # same values
        "cv2": (dict(interpolation="INTER_AREA"), _r("box")),     # same values
        "pil": (dict(resample="BOX"), _r("box", **AA, **EXCL))}),
    ("box", 0.5, {
        "torch": (dict(mode="area"), _r("box", **AA)),            # same values
        "jax": (dict(method="area"), _r("box", **AA)),            # same values
        "tf": (dict(method="area"), _r("box", **AA)),             # same values
        "cv2": (dict(interpolation="INTER_AREA"), _r("box", **AA)),  # same values
        "pil": (dict(resample="BOX"), _r("box", **AA, **EXCL))}),
    ("area", 2.0, {
        "torch": (dict(mode="area"), _r("area")),
        "jax": (dict(method="area"), _r("area", **CELLS)),
        "tf": (dict(method="area"), _r("area")),
        "cv2": (dict(interpolation="INTER_AREA"), _r("area", **EXCL)),
        "pil": (dict(resample="BOX"), _r("area"))}),              # same values
    ("area", 0.5, {
        "torch": (dict(mode="area"), _r("area")),
        "jax": (dict(method="area"), _r("area", **CELLS)),
        "tf": (dict(method="area"), _r("area")),
        "cv2": (dict(interpolation="INTER_AREA"), _r("area", **EXCL)),
        "pil": (dict(resample="BOX"), _r("area"))}),              # same values
    ("linear", 2.0, {
        "torch": (dict(mode="bilinear", align_corners=False), _r("linear")),
        "jax": (dict(method="linear"), _r("linear", **CELLS)),
        "tf": (dict(method="bilinear"), _r("linear")),
        "cv2": (dict(interpolation="INTER_LINEAR"), _r("linear")),
        "pil": (dict(resample="BILINEAR"), _r("linear", **AA, **EXCL))}),
    ("linear", 0.5, {
        "torch": (dict(mode="bilinear", align_corners=False, antialias=True),
                  _r("linear", **AA, **EXCL)),
        "jax": (dict(method="linear", antialias=True), _r("linear", **AA, **CELLS)),
        "tf": (dict(method="bilinear", antialias=True), _r("linear", **AA, **CELLS)),
        "cv2": (dict(interpolation="INTER_LINEAR"), _r("linear")),    # no antialias
        "pil": (dict(resample="BILINEAR"), _r("linear", **AA, **EXCL))}),
    ("cubic", 2.0, {
        "torch": (dict(mode="bicubic", align_corners=False), _r("cubic")),
        "jax": (dict(method="cubic-pytorch", antialias=False), _r("cubic")),
        "tf": "tf: bicubic is " + _KEYS_HALF,
        "cv2": (dict(interpolation="INTER_CUBIC"), _r("cubic")),
        "pil": "pil: BICUBIC is " + _KEYS_HALF}),
    ("cubic", 0.5, _cubic_down()),
    ("catmull_rom", 2.0, {
        # torch's antialiased bicubic is Keys A=-1/2, and upsampling does not widen it
        "torch": (dict(mode="bicubic", align_corners=False, antialias=True),
                  _r("catmull_rom", **EXCL)),
        "jax": (dict(method="cubic"), _r("catmull_rom", **CELLS)),
        # ResizeBicubic: Keys A=-1/2 read from a table of 1024 steps per pixel
        "tf": (dict(method="bicubic"), _r("catmull_rom", **EXCL)),
        "cv2": "cv2: INTER_CUBIC is Keys A=-3/4 (the cubic row)",
        "pil": (dict(resample="BICUBIC"), _r("catmull_rom", **AA, **EXCL))}),
    ("catmull_rom", 0.5, {
        "torch": (dict(mode="bicubic", align_corners=False, antialias=True),
                  _r("catmull_rom", **AA, **EXCL)),
        "jax": (dict(method="cubic", antialias=True), _r("catmull_rom", **AA, **CELLS)),
        "tf": (dict(method="bicubic", antialias=True), _r("catmull_rom", **AA, **CELLS)),
        "cv2": "cv2: INTER_CUBIC is Keys A=-3/4 (the cubic row)",
        "pil": (dict(resample="BICUBIC"), _r("catmull_rom", **AA, **EXCL))}),
    ("mitchell", 2.0, {
        "torch": _NO_TORCH, "jax": _NO_JAX,
        "tf": (dict(method="mitchellcubic"), _r("mitchell", **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("mitchell", 0.5, {
        "torch": _NO_TORCH, "jax": _NO_JAX,
        "tf": (dict(method="mitchellcubic", antialias=True), _r("mitchell", **AA, **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("gaussian", 2.0, {
        "torch": _NO_TORCH, "jax": _NO_JAX,
        "tf": (dict(method="gaussian"), _r("gaussian", **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("gaussian", 0.5, {
        "torch": _NO_TORCH, "jax": _NO_JAX,
        "tf": (dict(method="gaussian", antialias=True), _r("gaussian", **AA, **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("lanczos3", 2.0, {
        "torch": _NO_TORCH,
        "jax": (dict(method="lanczos3"), _r("lanczos3", **CELLS)),
        "tf": (dict(method="lanczos3"), _r("lanczos3", **CELLS)),
        "cv2": "cv2: only INTER_LANCZOS4 (the lanczos4 row)",
        "pil": (dict(resample="LANCZOS"), _r("lanczos3", **AA, **EXCL))}),
    ("lanczos3", 0.5, {
        "torch": _NO_TORCH,
        "jax": (dict(method="lanczos3", antialias=True), _r("lanczos3", **AA, **CELLS)),
        "tf": (dict(method="lanczos3", antialias=True), _r("lanczos3", **AA, **CELLS)),
        "cv2": "cv2: only INTER_LANCZOS4 (the lanczos4 row)",
        "pil": (dict(resample="LANCZOS"), _r("lanczos3", **AA, **EXCL))}),
    ("lanczos4", 2.0, {
        "torch": _NO_TORCH, "jax": _NO_JAX, "tf": _NO_TF,
        "cv2": (dict(interpolation="INTER_LANCZOS4"), _r("lanczos4")),
        "pil": "pil: LANCZOS has 3 lobes (the lanczos3 row)"}),
    ("lanczos4", 0.5, {
        "torch": _NO_TORCH, "jax": _NO_JAX, "tf": _NO_TF,
        "cv2": (dict(interpolation="INTER_LANCZOS4"), _r("lanczos4")),   # no antialias
        "pil": "pil: LANCZOS has 3 lobes (the lanczos3 row)"}),
    ("lanczos5", 2.0, {
        "torch": _NO_TORCH,
        "jax": (dict(method="lanczos5"), _r("lanczos5", **CELLS)),
        "tf": (dict(method="lanczos5"), _r("lanczos5", **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("lanczos5", 0.5, {
        "torch": _NO_TORCH,
        "jax": (dict(method="lanczos5", antialias=True), _r("lanczos5", **AA, **CELLS)),
        "tf": (dict(method="lanczos5", antialias=True), _r("lanczos5", **AA, **CELLS)),
        "cv2": _NO_CV2, "pil": _NO_PIL}),
    ("hamming", 2.0, {
        "torch": _NO_TORCH, "jax": _NO_JAX, "tf": _NO_TF, "cv2": _NO_CV2,
        "pil": (dict(resample="HAMMING"), _r("hamming", **AA, **EXCL))}),
    ("hamming", 0.5, {
        "torch": _NO_TORCH, "jax": _NO_JAX, "tf": _NO_TF, "cv2": _NO_CV2,
        "pil": (dict(resample="HAMMING"), _r("hamming", **AA, **EXCL))}),
]


def case_name(filt, scale):
    return f"{filt} x{scale:g}"


def own_arguments(filt, scale):
    """The case's own refpool call: antialiased when downsampling (not ``nearest``)."""
    return _r(filt, antialias=scale < 1 and filt != "nearest")


def _same_call(a, b, scale):
    """Whether two :func:`refpool.resample` argument sets are the same call at
    ``scale`` (a default equals its absence; ``antialias`` does nothing when
    upsampling or with ``area``), so that one timing serves both."""
    defaults = dict(antialias=False, exclude_outside=False)
    a, b = dict(defaults, **a), dict(defaults, **b)
    if scale >= 1 or a["filter"] == "area":
        a["antialias"] = b["antialias"] = False
    return a == b


# ---------------------------------------------------------------------------  peers
# Each peer: ``prepare(x)`` (NCHW float32 -> the peer's layout, untimed), ``call(p,
# setting, scale, size)`` -> a callable running the peer once, and ``to_nchw(result,
# x_shape)`` -> the result as an NCHW NumPy array (for the check).


class _Torch:
    def __init__(self, threads):
        import torch
        torch.set_num_threads(threads)
        self.torch = torch

    def prepare(self, x):
        return self.torch.from_numpy(x)

    def call(self, t, setting, scale, size):
        F = self.torch.nn.functional
        return lambda: F.interpolate(t, scale_factor=scale, **setting)

    def to_nchw(self, y, shape):
        return y.numpy()


class _Jax:
    def __init__(self, threads):
        import jax
        import jax.numpy as jnp
        self.jax, self.jnp = jax, jnp

    def prepare(self, x):
        return self.jnp.asarray(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))

    def call(self, xj, setting, scale, size):
        jax = self.jax
        shape = (xj.shape[0],) + tuple(size) + (xj.shape[3],)
        f = jax.jit(lambda a: jax.image.resize(a, shape, **setting))
        return lambda: f(xj).block_until_ready()

    def to_nchw(self, y, shape):
        return np.asarray(y).transpose(0, 3, 1, 2)


class _Tf:
    def __init__(self, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        self.tf = tf

    def prepare(self, x):
        return self.tf.constant(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))

    def call(self, xt, setting, scale, size):
        tf = self.tf
        return lambda: tf.image.resize(xt, size, **setting)

    def to_nchw(self, y, shape):
        return y.numpy().transpose(0, 3, 1, 2)


class _Cv2:
    def __init__(self, threads):
        import cv2
        cv2.setNumThreads(threads)
        self.cv2 = cv2

    def prepare(self, x):
        return [np.ascontiguousarray(p) for p in x.reshape((-1,) + x.shape[2:])]

    def call(self, planes, setting, scale, size):
        cv2 = self.cv2
        flag = getattr(cv2, setting["interpolation"])
        dsize = (size[1], size[0])                          # OpenCV's (width, height)
        return lambda: [cv2.resize(p, dsize, interpolation=flag) for p in planes]

    def to_nchw(self, y, shape):
        return np.stack(y).reshape(shape[:2] + y[0].shape)


class _Pil:
    def __init__(self, threads):
        from PIL import Image
        self.Image = Image

    def prepare(self, x):
        return [self.Image.fromarray(np.ascontiguousarray(p))      # mode "F"
                for p in x.reshape((-1,) + x.shape[2:])]

    def call(self, images, setting, scale, size):
        resample = getattr(self.Image.Resampling, setting["resample"])
        wh = (size[1], size[0])                             # PIL's (width, height)
        return lambda: [im.resize(wh, resample=resample) for im in images]

    def to_nchw(self, y, shape):
        return np.stack([np.asarray(im) for im in y]).reshape(
            shape[:2] + (y[0].height, y[0].width))


_PEER_CLASSES = {"torch": _Torch, "jax": _Jax, "tf": _Tf, "cv2": _Cv2, "pil": _Pil}


def load_peers(names, threads):
    """``{name: peer or the reason it is missing}``."""
    peers = {}
    for name in names:
        try:
            peers[name] = _PEER_CLASSES[name](threads)
        except ImportError as e:
            peers[name] = f"{name}: not installed ({e})"
    return peers


def _pin(threads):
    """Keep the process on ``threads`` of its CPUs (JAX has no thread setting)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > threads:
        os.sched_setaffinity(0, cpus[:threads])
    return sorted(os.sched_getaffinity(0))


# -----------------------------------------------------------------------------  run


def _selected(args):
    for filt, scale, peer_table in CASES:
        name = case_name(filt, scale)
        if args.only and not any(o in name for o in args.only):
            continue
        yield filt, scale, name, peer_table


def run(args, peers):
    import refpool
    from _floor import Floor
    from _harness import gbps, timings

    x = np.random.default_rng(0).standard_normal(args.shape, dtype=np.float32)
    span = float(x.max() - x.min())
    tol = args.tol * span
    prepared = {n: p.prepare(x) for n, p in peers.items() if not isinstance(p, str)}
    floors = {}
    rows, notes = [], []
    for filt, scale, name, peer_table in _selected(args):
        own = own_arguments(filt, scale)

        def ours(out=None, kw=own):
            return refpool.resample(x, scale=scale, out=out, **kw)

        y = ours()
        out = np.empty_like(y)
        if y.shape not in floors:
            floors[y.shape] = Floor(x, y.shape)
        floor = floors[y.shape]
        # alternate the operator and its floor so both see the same machine state
        ms, best = timings(lambda: ours(out=out), args.repeat)
        floor_ms, _ = timings(floor, args.repeat)
        fresh_ms, _ = timings(ours, args.repeat)
        row = {"case": name, "filter": filt, "scale": scale,
               "shape": "x".join(map(str, args.shape)), "refpool_ms": ms, "best_ms": best,
               "floor_ms": floor_ms, "of_floor": floor_ms / ms, "goal": GOAL,
               "GB/s": gbps(floor.nbytes, ms), "fresh_ms": fresh_ms,
               "input_range": span}
        for peer_name in peers:
            entry = peer_table.get(peer_name, f"{peer_name}: not in the table")
            peer = peers[peer_name]
            if isinstance(peer, str):
                entry = peer
            if isinstance(entry, str):
                row[f"{peer_name}_skip"] = entry
                continue
            setting, kw = entry
            call = peer.call(prepared[peer_name], setting, scale, y.shape[2:])
            expected = y if kw == own else ours(kw=kw)
            got = peer.to_nchw(call(), x.shape)
            got_shape = got.shape
            # float32 differences: exact enough for a bound of 1e-4 of the range,
            # and no float64 copy of a 256 MiB output
            err = (float(np.abs(got - expected).max()) if got_shape == expected.shape
                   else float("inf"))
            del got
            row[f"{peer_name}_setting"] = _describe(setting)
            row[f"{peer_name}_err"] = err
            if not err <= tol:
                reason = (f"{peer_name}: {_describe(setting)} differs from resample("
                          f"{_describe(kw)}) by {err:.3g} > {tol:.3g} (shape "
                          f"{got_shape} vs {expected.shape})")
                row[f"{peer_name}_skip"] = reason
                notes.append(f"{name}: {reason}")
                continue
            if _same_call(kw, own, scale):
                ref_ms = fresh_ms
            else:
                ref_ms, _ = timings(lambda: ours(kw=kw), args.repeat)
                row[f"{peer_name}_refpool_ms"] = ref_ms
            peer_ms, _ = timings(call, args.repeat)
            row[f"{peer_name}_ms"] = peer_ms
            row[f"{peer_name}_x"] = peer_ms / ref_ms
        rows.append(row)
        print(f"  {name}: {ms:.2f} ms, {floor_ms / ms:.2f} of the floor", flush=True)
    return rows, notes


def _describe(d):
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def _plot(rows, peer_names, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(max(8, 0.5 * len(rows)), 8), sharex=True)
    i = np.arange(len(rows))
    ax0.bar(i, [r["of_floor"] for r in rows],
            color=["tab:blue" if r["of_floor"] >= GOAL else "tab:red" for r in rows])
    ax0.axhline(GOAL, color="k", lw=1)
    ax0.set_ylabel("fraction of the memory floor")
    width = 0.8 / max(1, len(peer_names))
    for k, p in enumerate(peer_names):
        ax1.bar(i - 0.4 + (k + 0.5) * width, [r.get(f"{p}_x", np.nan) for r in rows], width,
                label=p)
    ax1.axhline(1.0, color="k", lw=1)
    ax1.set_yscale("log")
    ax1.set_ylabel("peer ms / refpool ms")
    ax1.legend(fontsize=8)
    ax1.set_xticks(i)
    ax1.set_xticklabels([r["case"] for r in rows], rotation=90, fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)


def _shape(text):
    shape = tuple(int(v) for v in text.replace("x", ",").split(","))
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"--shape needs N,C,H,W, got {text!r}")
    return shape


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=None, help="default 7 (3 with --quick)")
    parser.add_argument("--shape", type=_shape, default=None,
                        help=f"N,C,H,W (default {','.join(map(str, SHAPE))})")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "results", "resample.json"))
    parser.add_argument("--plot", default=None)
    parser.add_argument("--only", nargs="*", default=None, help="cases whose name contains")
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS)
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="the check's bound on |peer - refpool|, times the input's range")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="do not pin the process to --threads CPUs")
    parser.add_argument("--quick", action="store_true",
                        help=f"shape {QUICK_SHAPE} and 3 repeats: checks the script")
    args = parser.parse_args(argv)
    if args.shape is None:
        args.shape = QUICK_SHAPE if args.quick else SHAPE
    if args.repeat is None:
        args.repeat = 3 if args.quick else 7
    cpus = _pin(args.threads) if args.pin else None
    # the peers (JAX above all) size their thread pools when first imported
    from _harness import meta, print_table, set_threads, write_json
    set_threads(args.threads)
    peers = load_peers(args.peers, args.threads)
    print(f"float32 {args.shape}, {args.threads} threads"
          + (f" (pinned to CPUs {cpus})" if cpus else "") + f", median of {args.repeat}",
          flush=True)
    rows, notes = run(args, peers)
    columns = ["case", "refpool_ms", "floor_ms", "of_floor", "GB/s", "fresh_ms"]
    for p in args.peers:
        columns += [f"{p}_ms", f"{p}_x"]
    print_table(rows, columns)
    skipped = {}
    for r in rows:
        for p in args.peers:
            if f"{p}_skip" in r and f"{p}_err" not in r:
                skipped.setdefault(r[f"{p}_skip"], []).append(r["case"])
    if skipped:
        print("\nno peer call (left out):")
        for reason, cases in skipped.items():
            print(f"  {reason}: {', '.join(cases)}")
    if notes:
        print("\nfailed the check (skipped):")
        for n in notes:
            print("  " + n)
    info = dict(meta(args.threads), shape=list(args.shape), repeat=args.repeat, tol=args.tol,
                input_range=rows[0]["input_range"] if rows else None,
                pinned_cpus=cpus, peers={p: _version(p) for p in args.peers})
    write_json(args.json, rows, info)
    if args.plot:
        _plot(rows, args.peers, args.plot)
    return 0


def _version(name):
    module = {"tf": "tensorflow", "pil": "PIL"}.get(name, name)
    mod = sys.modules.get(module)
    return getattr(mod, "__version__", None)


if __name__ == "__main__":
    sys.exit(main())
