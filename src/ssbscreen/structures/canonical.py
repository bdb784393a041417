"""Symmetry-canonical forms of charge assignments of an ordering problem.

Two assignments of the variable sites related by an operation of the parent space group that
maps the supercell lattice onto itself (combined with the parent translations inside the
supercell) describe the same ordering. :func:`site_permutations` lists the permutations of the
variable sites these operations induce, and :class:`Canonicaliser` reduces an assignment to the
lexicographically smallest of its images, so that images can be dropped by comparing bytes.
"""

from __future__ import annotations

import itertools

import numpy as np
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.structures.sublattices import OrderingProblem, site_group_key

__all__ = ["Canonicaliser", "site_permutations"]


def site_permutations(problem: OrderingProblem, tol: float = 0.1) -> np.ndarray:
    """Permutations (rows) of the variable sites induced by the parent's space-group operations
    that map the supercell lattice onto itself, times the parent translations in the supercell.

    Row p maps variable position k to perm[p, k]; ``q[perm[p]]`` is an assignment equivalent to
    ``q``. Operations that do not map every site onto a site of the same group are skipped.
    """
    parent, mult = problem.parent, np.array(problem.mult)
    n_var = len(problem.var)
    identity = np.arange(n_var)[None, :]
    try:
        ops = SpacegroupAnalyzer(parent).get_symmetry_operations()
    except Exception:  # spglib can fail on odd cells: fall back to translations only
        ops = []
    frac = parent.frac_coords
    keys = [site_group_key(site) for site in parent]
    shifts = np.array(list(itertools.product(*(range(m) for m in mult))), dtype=int)
    radix = np.array([mult[1] * mult[2], mult[2], 1])
    n_shifts = len(shifts)
    pos_of = np.full(len(problem.supercell), -1)
    pos_of[problem.var] = np.arange(n_var)
    perms = [identity[0]]
    for op in ops:
        rot = np.round(op.rotation_matrix).astype(int)
        # the operation must map the supercell lattice diag(mult) onto itself
        if np.any((rot * mult[None, :]) % mult[:, None]):
            continue
        img = frac @ rot.T + op.translation_vector
        diff = img[:, None, :] - frac[None, :, :]
        cart = (diff - np.round(diff)) @ parent.lattice.matrix
        target = np.argmin(np.linalg.norm(cart, axis=2), axis=1)
        ok = np.linalg.norm(cart[np.arange(len(frac)), target], axis=1) < tol
        if not ok.all() or len(set(target)) != len(frac):
            continue
        if any(keys[a] != keys[b] for a, b in enumerate(target)):
            continue
        lat = np.round(img - frac[target]).astype(int)  # lattice offset of each image
        for extra in shifts:
            # site (a, s) -> (target[a], lat[a] + R s + extra mod mult)
            u = (lat[:, None, :] + shifts @ rot.T + extra) % mult
            new = target[:, None] * n_shifts + u @ radix
            full = new.reshape(-1)
            perms.append(pos_of[full[problem.var]])
    perms = np.unique(np.array(perms), axis=0)
    return perms if (perms >= 0).all() else identity


class Canonicaliser:
    """Canonical form of assignments: the lexicographically smallest image under `perms`."""

    def __init__(self, problem: OrderingProblem) -> None:
        self.perms = site_permutations(problem)
        self.n_ops = len(self.perms)
        self.values = np.unique(np.concatenate([g.charge_multiset() for g in problem.groups]))

    def keys(self, q_vars: np.ndarray) -> list[bytes]:
        codes = np.searchsorted(self.values, np.asarray(q_vars) - 1e-9).astype(np.int8)
        out = []
        for start in range(0, len(codes), 512):
            images = codes[start : start + 512][:, self.perms]  # (k, ops, n_var)
            alive = np.ones(images.shape[:2], dtype=bool)
            for c in range(images.shape[2]):
                col = np.where(alive, images[:, :, c], np.int8(127))
                alive &= col == col.min(axis=1, keepdims=True)
            rows = images[np.arange(len(images)), alive.argmax(axis=1)]
            out.extend(row.tobytes() for row in rows)
        return out

    def key(self, q_var: np.ndarray) -> bytes:
        return self.keys(q_var[None, :])[0]
