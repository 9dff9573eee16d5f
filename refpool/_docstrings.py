"""Docstring paragraphs shared by the public operators, and the decorator that fills them in.

A public operator's docstring names a shared paragraph with a ``%(name)s``
placeholder on a line of its own (or at the end of a line); :func:`fill_doc`
replaces it when the module is imported, so ``help()``, Sphinx and the doctests
all see the finished text::

    @fill_doc
    def avg_pool(x, kernel_size, ...):
        r'''Average pooling over 1, 2 or 3 spatial axes.

        %(grid_equivariance)s

        Parameters
        ----------
        %(x_param)s
        ...
        '''

Every line of a paragraph after its first is indented like the line that holds
the placeholder, so a paragraph written flush left here lands at the right depth
of a numpydoc section.  Operator-specific sentences stay in each docstring.
A placeholder naming no paragraph is an error at import time, and no other ``%``
in a docstring is touched (no ``%%`` escaping is needed).
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["FRAGMENTS", "fill_doc", "fill_docstring"]


def _paragraph(text):
    """A fragment as written below: dedented, without its surrounding blank lines."""
    return textwrap.dedent(text).strip("\n")


#: The shared paragraphs, by placeholder name.
FRAGMENTS = {
    # -- summary ---------------------------------------------------------------------
    "grid_equivariance": _paragraph("""
        Exactly equivariant to the grid symmetries (``flip()`` in 1-D, ``dihedral(4)`` in 2-D,
        ``octahedral()`` in 3-D) that :func:`refpool.exact_symmetries` lists for the call;
        the conditions are tabulated in :doc:`/equivariance`.
        """),

    # -- Parameters ------------------------------------------------------------------
    "x_param": _paragraph("""
        x : array, shape ``(N, C, *spatial)`` (other layouts: ``ndim``), float16, float32 or float64
            Input with one to three spatial axes: a NumPy or CUDA array, or any host
            array exposing ``__dlpack__`` or ``__array__`` (torch CPU tensors, JAX
            arrays), read without a copy where it allows.  float16 is computed in
            float32 (float64 by the reference engine) and rounded once.
        """),
    "x_select_param": _paragraph("""
        x : array, shape ``(N, C, *spatial)`` (other layouts: ``ndim``), float or integer
            Input with one to three spatial axes: a NumPy or CUDA array, or any host
            array exposing ``__dlpack__`` or ``__array__`` (torch CPU tensors, JAX
            arrays), read without a copy where it allows.  float16 is computed in
            float32 (float64 by the reference engine) and rounded once; integer
            dtypes (``uint8`` images, label maps) give the exact result in ``x``'s
            dtype (64-bit integers within :math:`\\pm 2^{53}`).
        """),
    "x_field_param": _paragraph("""
        x : array, shape ``(N, C, *spatial)`` (other layouts: ``ndim``), float16, float32 or float64
            Input with one to three spatial axes, read as for :func:`refpool.avg_pool`;
            ``C`` must equal ``field_type.size``.
        """),
    "field_type_pointwise_param": _paragraph("""
        field_type : FieldType, optional
            When given, checked: its size must equal the number of channels ``C`` and
            every representation must be a permutation representation (the operator
            acts channel by channel, so it commutes only with channel permutations).
        """),
    "window_padding_param": _paragraph("""
        padding : int, tuple, or {"valid", "same", "same_lower"}
            Implicit padding (:math:`-\\infty` for maxima, zeros for sums).  An int
            or one int per axis pads both sides by :math:`p` within PyTorch's limit
            (below); a tuple of per-axis ``(before, after)`` pairs
            (:math:`p, p' \\ge 0`, any size; ints may mix in) pads each side as
            given, as ONNX ``pads`` and ``lax.reduce_window`` do; ``"valid"`` is no
            padding; ``"same"`` gives :math:`o = \\lceil n/s \\rceil` with total
            padding :math:`\\max((o-1)s + d(k-1) + 1 - n, 0)`, its larger half after
            the input (TensorFlow's ``"SAME"``, ONNX ``SAME_UPPER``);
            ``"same_lower"`` puts the larger half before it (ONNX ``SAME_LOWER``).
        """),
    "padding_only_windows": _paragraph("""
        **Windows of padding only** (possible only with ``(before, after)`` pairs
        wider than the window): a maximum over no input element is
        :math:`-\\infty` with index ``-1``; an average is :math:`0/D` with the
        padding counted (``0``) and :math:`0/0` = NaN without it.  PyTorch and ONNX
        Runtime refuse such padding; ONNX's reference evaluator pads maxima with NaN.
        """),
    "layout_params": _paragraph("""
        ndim : int, optional
            The number of spatial axes, 1 to 3.  Default: ``x.ndim - 2``, i.e.
            ``x`` is ``(N, C, *spatial)``.  Given, the last ``ndim`` axes are spatial
            and the axis before them, if any, holds the channels: ``(H, W)``,
            ``(C, H, W)`` and ``(*batch, C, H, W)`` with any number of batch axes all
            work with ``ndim=2``; the result keeps the caller's leading axes.
        channels_last : bool
            The channel axis is the last one: ``(N, *spatial, C)``, or with ``ndim``,
            ``(*spatial, C)`` and ``(*batch, *spatial, C)`` (host arrays).  The input
            is copied once to channels-first and the result returned channels-last
            (C-contiguous); ``out`` is in the caller's layout.
        """),
    "engine_param": _paragraph("""
        engine : {"auto", "cpu", "cuda", "reference"}
            Where the result is computed: ``"reference"`` is plain NumPy in float64
            (the oracle the other engines are tested against), ``"cpu"`` runs
            compiled Numba kernels and ``"cuda"`` runs on the GPU (host input is
            copied there and the result copied back).  ``"auto"`` runs CUDA arrays on
            the GPU and host arrays on the CPU engine.
        """),
    "out_param": _paragraph("""
        out : ndarray or CUDA array, optional
            Preallocated output with the shape and dtype of the result (see
            Returns; in the caller's layout and ``x``'s dtype); the result is written
            into it.  A NumPy ``out`` must be
            writeable, C-contiguous and must not share memory with ``x``.
        """),

    # -- Returns ---------------------------------------------------------------------
    "invariant_returns": _paragraph("""
        y : array, shape ``(N, F, *spatial)``, dtype of ``x``
            One invariant channel per field, ``F = len(field_type)``; the output field
            type is :func:`invariant_field_type` (one trivial field per input field).
        """),

    # -- Raises ----------------------------------------------------------------------
    "raises_common": _paragraph("""
        TypeError
            If ``x`` is not an array (nor exposes ``__dlpack__`` or ``__array__``),
            ``x`` or ``out`` is an ndarray subclass with semantics refpool would
            ignore (``np.ma.MaskedArray``, ``np.matrix``), ``x`` has a dtype the
            operator cannot compute exactly (integers for an operator computing new
            values: the message says what to pass), ``out`` is not a NumPy or CUDA
            array, or ``out`` is a CUDA array while a host engine runs.
        ValueError
            If ``x`` does not have one to three non-empty spatial axes (as read with
            ``ndim`` and ``channels_last``), an integer
            argument exceeds :math:`2^{62}` in absolute value, ``out`` breaks the
            conditions stated for it (it may share memory neither with ``x`` nor
            with the other output), ``engine`` is not one of the four names, or
            another argument breaks the rules stated under Parameters.
        refpool.SizeLimitError
            (a ValueError and a MemoryError) If an argument makes a grid larger
            than :math:`2^{53}` elements per (N, C) plane, or the output larger
            than this machine's memory; the message names the argument.
        refpool._dispatch.EngineUnavailableError
            If ``engine="cuda"`` and neither a GPU nor Numba's CUDA simulator is
            available.
        """),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def fill_docstring(docstring, fragments=None):
    """Replace every ``%(name)s`` of ``docstring`` by the paragraph ``fragments[name]``.

    Parameters
    ----------
    docstring : str
    fragments : dict of str to str, optional
        Paragraphs by name; defaults to :data:`FRAGMENTS`.

    Returns
    -------
    str
        The docstring with each paragraph's second and later lines indented like
        the line holding its placeholder.

    Raises
    ------
    KeyError
        If a placeholder names no paragraph.

    Examples
    --------
    >>> print(fill_docstring("Intro.\\n\\n    %(p)s\\n", {"p": "a : int\\n    Count."}))
    Intro.
    <BLANKLINE>
        a : int
            Count.
    <BLANKLINE>
    """
    fragments = FRAGMENTS if fragments is None else fragments

    def substitute(match):
        name = match.group(1)
        if name not in fragments:
            raise KeyError(f"docstring placeholder %({name})s names no shared paragraph; "
                           f"known: {', '.join(sorted(fragments))}")
        line_start = docstring.rfind("\n", 0, match.start()) + 1
        line = docstring[line_start:match.start()]
        indent = line[:len(line) - len(line.lstrip())]
        first, *rest = fragments[name].split("\n")
        return "\n".join([first] + [indent + r if r else r for r in rest])

    return _PLACEHOLDER.sub(substitute, docstring)


def fill_doc(function):
    """Decorator: fill the ``%(name)s`` placeholders of ``function.__doc__`` from
    :data:`FRAGMENTS` (a no-op when docstrings are stripped, ``python -OO``)."""
    if function.__doc__ is not None:
        function.__doc__ = fill_docstring(function.__doc__)
    return function
