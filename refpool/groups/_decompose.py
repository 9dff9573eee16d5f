r"""Numerical decomposition of an orthogonal representation into irreps.

For each irrep :math:`\psi` of dimension :math:`d` the intertwiners
:math:`A \in \mathbb{R}^{n \times d}` with :math:`\rho(g) A = A \psi(g)` (for generators
:math:`g`) form a linear space: the null space of a stacked Sylvester system.  Its dimension
is :math:`m c`, the multiplicity :math:`m` times the dimension :math:`c` of the irrep's
commutant (1 for real-type irreps, 2 for the rotation irreps of :math:`C_N` and
:math:`SO(2)`, which are complex type).  Copies are taken one at a time: the intertwiner with
the largest component outside the copies already chosen is projected off them (the
orthogonal projector onto a subrepresentation commutes with :math:`\rho`, so the projection
is still an intertwiner) and scaled to an isometry (by Schur, :math:`A^T A` is a multiple of
the identity).  The isometries side by side form the orthogonal change of basis
:math:`Q` with :math:`\rho(g) = Q \left(\bigoplus_i \psi_i(g)\right) Q^T`.
"""

from __future__ import annotations

import numpy as np

# Singular values below this (relative to the number of stacked equations) count as zero.
_NULL_TOL = 1e-7
# For a continuous group, irreps above the maximum frequency are tried up to this one.
_MAX_EXTRA_FREQUENCY = 64


def _intertwiners(rho_mats, psi_mats, n: int, d: int):
    """A basis of ``{A : rho A = A psi}`` as a list of ``(n, d)`` arrays."""
    eye_n, eye_d = np.eye(n), np.eye(d)
    # Row-major vec: vec(rho A) = (rho kron I_d) vec(A), vec(A psi) = (I_n kron psi^T) vec(A).
    system = np.concatenate([np.kron(r, eye_d) - np.kron(eye_n, p.T)
                             for r, p in zip(rho_mats, psi_mats)], axis=0)
    _, singular, vt = np.linalg.svd(system, full_matrices=True)
    tol = _NULL_TOL * max(1.0, np.sqrt(len(rho_mats)))
    rank = int(np.sum(singular > tol))
    return [v.reshape(n, d) for v in vt[rank:]]


def _isotypic_copies(candidates, chosen, d: int):
    """Pick orthonormal copies of the irrep from the intertwiner space ``candidates``."""
    copies = []
    basis = list(chosen)
    while True:
        if basis:
            q = np.concatenate(basis, axis=1)
            projected = [a - q @ (q.T @ a) for a in candidates]
        else:
            projected = list(candidates)
        if not projected:
            break
        norms = [np.linalg.norm(a) for a in projected]
        best = int(np.argmax(norms))
        if norms[best] < 1e-6:
            break
        a = projected[best]
        scale = np.sqrt(np.trace(a.T @ a) / d)
        a = a / scale
        copies.append(a)
        basis.append(a)
    return copies


def decompose(representation):
    """Return ``(irrep_ids, change_of_basis)`` of ``representation`` (orthogonal)."""
    group = representation.group
    n = representation.size
    # The trivial group has no generators; its identity still fixes the sizes.
    probes = group._decomposition_elements() or (group.identity,)
    rho_mats = [representation._matrix(g) for g in probes]

    irreps = list(group.irreps)
    if not group.is_finite:
        # A restricted or induced representation may hold frequencies above the group's
        # nominal maximum; try higher ones until the space is filled.
        irreps += list(group._extra_irreps(_MAX_EXTRA_FREQUENCY))

    ids, isometries = [], []
    filled = 0
    for irrep in irreps:
        if filled == n:
            break
        psi_mats = [irrep._matrix(g) for g in probes]
        candidates = _intertwiners(rho_mats, psi_mats, n, irrep.size)
        if not candidates:
            continue
        copies = _isotypic_copies(candidates, isometries, irrep.size)
        for a in copies:
            ids.append(irrep.id)
            isometries.append(a)
            filled += irrep.size
    if filled != n:
        raise ValueError(f"could not decompose representation {representation.name!r} of "
                         f"{group.name} into irreps (found {filled} of {n} dimensions); it may not "
                         "be orthogonal")
    change_of_basis = np.concatenate(isometries, axis=1)
    # Check the result on every probe: rho(g) Q = Q (direct sum of psi_i(g)).
    for g, r in zip(probes, rho_mats):
        blocks = _block_diagonal([group.irrep(*i)._matrix(g) for i in ids])
        if not np.allclose(r @ change_of_basis, change_of_basis @ blocks, atol=1e-8):
            raise ValueError(f"decomposition of representation {representation.name!r} failed "
                             "to verify; it may not be orthogonal")
    return tuple(ids), change_of_basis


def _block_diagonal(blocks) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    p = 0
    for b in blocks:
        s = b.shape[0]
        out[p:p + s, p:p + s] = b
        p += s
    return out
