"""Shared Ewald interaction matrix and vectorised scoring of many charge assignments.

The Ewald energy of point charges ``q`` (one per site, in e, total 0) on fixed sites is a
quadratic form ``q @ M @ q`` in the charges: the pairwise matrix ``M`` (eV per e^2) depends only
on the site positions, the lattice and the screening parameter ``eta``. It is computed once per
cell with pymatgen (:func:`ewald_interaction_matrix`), after which the energy of any number of
assignments is a batched matrix product (:func:`ewald_energies`) instead of one
``EwaldSummation`` per structure.

Energies are in eV, charges in units of e, ``eta`` in 1/Angstrom^2.
"""

from __future__ import annotations

import numpy as np
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Species, Structure

__all__ = ["ewald_energies", "ewald_interaction_matrix"]

# rows scored per matrix product: bounds the (chunk, n_sites) temporary to a few MB
DEFAULT_CHUNK = 8192


def ewald_interaction_matrix(structure: Structure, eta: float | None = None) -> np.ndarray:
    """Pairwise Ewald interaction matrix (eV per e^2) of all sites of `structure`, so that the
    electrostatic energy of charges q (in e, one per site, vacancy = 0, total charge 0) is
    q @ M @ q.

    Every site (whatever its occupancy) carries a unit charge; the matrix is pymatgen's
    ``EwaldSummation.total_energy_matrix`` (real + reciprocal + self terms, symmetric, no
    charged-cell term), so ``q @ M @ q`` equals ``EwaldSummation(cell with charges q).total_energy``
    for neutral q when the same ``eta`` (1/Angstrom^2) is used; with ``eta=None`` pymatgen's default
    for this (all-sites) cell is used, which differs from the default of the ordered cell only in
    the convergence error of the sums (below 1e-8 eV for the test cells).
    """
    unit = Structure(
        structure.lattice,
        [Species("H", 1)] * len(structure),
        structure.frac_coords,
        coords_are_cartesian=False,
    )
    matrix = np.array(EwaldSummation(unit, eta=eta).total_energy_matrix, dtype=float)
    return 0.5 * (matrix + matrix.T)


def ewald_energies(
    matrix: np.ndarray, charges_batch: np.ndarray, chunk: int = DEFAULT_CHUNK
) -> np.ndarray:
    """Ewald energies (eV) of many charge assignments at once: ``q_k @ M @ q_k`` for every row.

    Args:
        matrix: symmetric (n_sites, n_sites) interaction matrix from
            :func:`ewald_interaction_matrix` (or a block of it).
        charges_batch: (n_assignments, n_sites) charges in e (a single (n_sites,) assignment is
            treated as one row); each row should be neutral for the result to be an Ewald energy.
        chunk: rows per matrix product (memory bound only; the result does not depend on it).

    Returns:
        (n_assignments,) float64 energies. Computed as ``sum((Q @ M) * Q, axis=1)`` in float64,
        one BLAS matrix product per chunk of rows.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    charges = np.atleast_2d(np.asarray(charges_batch, dtype=np.float64))
    if charges.ndim != 2 or charges.shape[1] != matrix.shape[0]:
        raise ValueError(
            f"charges_batch has shape {np.shape(charges_batch)} but the matrix is "
            f"{matrix.shape[0]} x {matrix.shape[1]}; pass one row of {matrix.shape[0]} charges "
            f"per assignment."
        )
    out = np.empty(len(charges))
    for start in range(0, len(charges), max(int(chunk), 1)):
        block = charges[start : start + chunk]
        out[start : start + len(block)] = np.einsum("ki,ki->k", block @ matrix, block)
    return out
