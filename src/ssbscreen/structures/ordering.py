"""Ordered representatives of partially occupied crystal structures by Ewald-energy minimisation.

A published structure with partial occupancies (Li/vacancy on 48h in Li6PS5Cl, Y/vacancy on 2d
in Li3YCl6, Ni/Co/Mn on 3a of layered cathodes) is turned into one ordered cell:

1. :func:`supercell_for_integral_occupancy` picks the smallest diagonal supercell in which every
   group of partially occupied sites holds an integer number of each species.
2. :func:`ewald_interaction_matrix` computes the pairwise Ewald matrix ``M`` (eV per e^2) of ALL
   candidate sites of that supercell once, so that the electrostatic energy of any neutral charge
   assignment ``q`` (e, vacancy = 0) is the quadratic form ``q @ M @ q``.
3. :func:`lowest_ewald_ordering` assigns species on each group (a group = sites with the same
   Wyckoff label and the same partial occupancy) and minimises ``q @ M @ q``: exhaustive
   enumeration of the charge arrangements when there are few of them, otherwise a seeded random
   start, greedy (steepest-descent) relaxation, simulated annealing with same-group swaps scored
   incrementally in O(1) (the field ``v = M q`` is updated in O(n) per accepted swap), and a final
   steepest descent over all swaps; the best of a few such runs (restarts) is kept.

Only charges enter the Ewald energy, so species of equal charge on one group (Ni3+/Co3+/Al3+ in
NCA) are indistinguishable to the search; they are placed afterwards on the sites of their charge
class by a deterministic farthest-point rule (minority species first, each species spread as far
from itself, then from the other minority species, as possible; ties go to the lowest site index).

Energies are in eV, charges in units of e, lengths in Angstrom.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Lattice, Species, Structure

__all__ = [
    "OrderingResult",
    "ewald_interaction_matrix",
    "lowest_ewald_ordering",
    "ordered_representative",
    "supercell_for_integral_occupancy",
]

VACANCY = "vacancy"
# A species count within this many atoms of an integer counts as integral (published
# occupancies such as 0.3333 or 0.1667 are rounded values of 1/3 and 1/6).
COUNT_TOL = 0.01
DEFAULT_N_SWEEPS = 1000
DEFAULT_N_RESTARTS = 4
DEFAULT_MAX_ENUMERATED = 20_000


@dataclass(frozen=True)
class OrderingResult:
    """Outcome of an ordering search.

    structure: ordered supercell (elements, no oxidation states, vacancies removed, Wyckoff labels
    kept); ewald_energy_ev: its Ewald energy (eV, whole supercell) with the given oxidation states;
    n_evaluated: number of assignments / swaps whose energy was evaluated; exhaustive: True when
    every charge arrangement was enumerated (the energy is then the global minimum);
    supercell: diagonal multipliers (na, nb, nc) of the input cell.
    """

    structure: Structure
    ewald_energy_ev: float
    n_evaluated: int
    exhaustive: bool
    supercell: tuple[int, int, int]


# --------------------------------------------------------------------------- Ewald matrix


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


# --------------------------------------------------------------------------- site groups


def _site_occupancy(site) -> dict[str, float]:
    """Element symbol -> occupancy of one site (oxidation states of the input are ignored)."""
    occ: dict[str, float] = {}
    for sp, amount in site.species.items():
        occ[sp.symbol] = occ.get(sp.symbol, 0.0) + float(amount)
    return occ


def _is_fixed(occ: dict[str, float]) -> bool:
    return len(occ) == 1 and abs(next(iter(occ.values())) - 1.0) < 1e-6


def _group_key(site) -> tuple:
    occ = _site_occupancy(site)
    return (site.label, tuple(sorted((el, round(x, 6)) for el, x in occ.items())))


def _partial_groups(structure: Structure) -> dict[tuple, list[int]]:
    """Partially occupied site groups of the cell: (label, occupancy) -> site indices."""
    groups: dict[tuple, list[int]] = {}
    for idx, site in enumerate(structure):
        if not _is_fixed(_site_occupancy(site)):
            groups.setdefault(_group_key(site), []).append(idx)
    return groups


def _is_integral(groups: dict[tuple, list[int]], n_cells: int) -> bool:
    for (_, occ), indices in groups.items():
        n_sites = len(indices) * n_cells
        counts = [n_sites * x for _, x in occ]
        if any(abs(c - round(c)) > COUNT_TOL for c in counts):
            return False
        if sum(round(c) for c in counts) > n_sites:
            return False
    return True


def _widths(lattice: Lattice, mult: tuple[int, int, int]) -> np.ndarray:
    """Perpendicular widths (Angstrom) of the supercell: distances between opposite faces."""
    m = lattice.matrix * np.array(mult)[:, None]
    vol = abs(np.linalg.det(m))
    return np.array(
        [vol / np.linalg.norm(np.cross(m[(k + 1) % 3], m[(k + 2) % 3])) for k in range(3)]
    )


def _most_isotropic(lattice: Lattice, n_cells: int) -> tuple[int, int, int]:
    best = None
    for a in range(1, n_cells + 1):
        if n_cells % a:
            continue
        for b in range(1, n_cells // a + 1):
            if (n_cells // a) % b:
                continue
            mult = (a, b, n_cells // a // b)
            w = _widths(lattice, mult)
            key = (round(w.max() / w.min(), 9), mult)
            if best is None or key < best:
                best = key
    return best[1]


def supercell_for_integral_occupancy(structure: Structure, max_atoms: int) -> tuple[int, int, int]:
    """Smallest diagonal supercell (try small multipliers, prefer near-cubic/near-isotropic,
    fewest atoms) in which every partially occupied site group gives an integer number of
    each species; raise ValueError with one clear sentence naming the phase composition, the
    number of atoms needed and the fix (raise max_atoms) if none fits within max_atoms.

    Atoms are counted after removing vacancies (N * sum of occupancies). Fewest atoms wins; among
    the factorisations (na, nb, nc) of that cell count the one with the smallest ratio of largest
    to smallest perpendicular width is taken (ties: smallest tuple).
    """
    groups = _partial_groups(structure)
    atoms_per_cell = structure.composition.num_atoms
    n_cells = 1
    while True:
        if _is_integral(groups, n_cells):
            break
        n_cells += 1
        if n_cells > 10_000:
            n_cells = None
            break
    formula = structure.composition.reduced_formula
    if n_cells is None:
        raise ValueError(
            f"Cannot order {formula}: no supercell of up to 10000 cells gives integer site "
            f"occupancies, so its occupancies must be rounded to simple fractions in the record."
        )
    n_atoms = round(n_cells * atoms_per_cell)
    if n_atoms > max_atoms:
        raise ValueError(
            f"Cannot order {formula} within max_atoms={max_atoms}: integer site occupancies need "
            f"a supercell of {n_cells} cells with {n_atoms} atoms; raise max_atoms to at least "
            f"{n_atoms}."
        )
    return _most_isotropic(structure.lattice, n_cells)


def _make_supercell(structure: Structure, mult: tuple[int, int, int]) -> Structure:
    """Diagonal supercell that keeps each site's label (pymatgen's would renumber them)."""
    shifts = np.array(list(itertools.product(*(range(m) for m in mult))), dtype=float)
    mult_arr = np.array(mult, dtype=float)
    species, coords, labels = [], [], []
    for site in structure:
        for shift in shifts:
            species.append(site.species)
            coords.append((site.frac_coords + shift) / mult_arr)
            labels.append(site.label)
    lattice = Lattice(structure.lattice.matrix * mult_arr[:, None], pbc=structure.lattice.pbc)
    return Structure(lattice, species, coords, labels=labels)


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class _Group:
    """One group of partially occupied supercell sites with its fixed species multiset."""

    label: str
    indices: np.ndarray  # supercell site indices
    counts: dict[str, int]  # species (or VACANCY) -> number of sites
    charges: dict[str, float]  # species (or VACANCY) -> charge (e)

    def charge_multiset(self) -> np.ndarray:
        return np.sort(
            np.concatenate([np.full(n, self.charges[sp]) for sp, n in self.counts.items()])
        )


@dataclass(frozen=True)
class _Problem:
    """Supercell, its Ewald matrix and the quadratic form restricted to the variable sites.

    E(q_var) = c0 + 2 b . q_var + q_var @ m_vv @ q_var, with q_var the charges on the
    concatenated group sites (``var`` = supercell indices in group order).
    """

    supercell: Structure
    mult: tuple[int, int, int]
    matrix: np.ndarray
    q_fixed: np.ndarray  # full-length charges, 0 on variable sites
    fixed_species: list[str | None]  # element per site, None on variable sites
    groups: list[_Group]
    var: np.ndarray
    group_slices: list[slice]
    m_vv: np.ndarray
    b: np.ndarray
    c0: float

    def energy(self, q_var: np.ndarray) -> float:
        return float(self.c0 + 2 * self.b @ q_var + q_var @ self.m_vv @ q_var)

    def energies(self, q_vars: np.ndarray) -> np.ndarray:
        """Energies of many assignments (rows), vectorised."""
        return self.c0 + 2 * q_vars @ self.b + np.einsum("ki,ki->k", q_vars @ self.m_vv, q_vars)

    def full_charges(self, q_var: np.ndarray) -> np.ndarray:
        q = self.q_fixed.copy()
        q[self.var] = q_var
        return q


def _build_problem(
    structure: Structure, oxidation_states: dict[str, float], max_atoms: int, eta: float | None
) -> _Problem:
    missing = sorted(
        {el for site in structure for el in _site_occupancy(site)} - set(oxidation_states)
    )
    if missing:
        raise ValueError(
            f"No oxidation state given for {', '.join(missing)} in "
            f"{structure.composition.reduced_formula}; add it to oxidation_states."
        )
    mult = supercell_for_integral_occupancy(structure, max_atoms)
    supercell = _make_supercell(structure, mult)
    n = len(supercell)

    q_fixed = np.zeros(n)
    fixed_species: list[str | None] = [None] * n
    for idx, site in enumerate(supercell):
        occ = _site_occupancy(site)
        if _is_fixed(occ):
            el = next(iter(occ))
            fixed_species[idx] = el
            q_fixed[idx] = float(oxidation_states[el])

    groups = []
    for (label, occ), indices in _partial_groups(supercell).items():
        n_sites = len(indices)
        counts = {el: round(n_sites * x) for el, x in occ}
        counts = {el: c for el, c in counts.items() if c > 0}
        n_vac = n_sites - sum(counts.values())
        if n_vac:
            counts[VACANCY] = n_vac
        charges = {el: float(oxidation_states[el]) for el in counts if el != VACANCY}
        charges[VACANCY] = 0.0
        groups.append(_Group(label, np.array(indices), counts, charges))

    total = q_fixed.sum() + sum(g.charges[sp] * c for g in groups for sp, c in g.counts.items())
    if abs(total) > 1e-6:
        raise ValueError(
            f"The ordered {structure.composition.reduced_formula} cell has net charge "
            f"{total:+.4f} e with oxidation states {oxidation_states}; fix the occupancies or "
            f"oxidation states."
        )

    var = np.concatenate([g.indices for g in groups]).astype(int) if groups else np.zeros(0, int)
    slices, start = [], 0
    for g in groups:
        slices.append(slice(start, start + len(g.indices)))
        start += len(g.indices)

    matrix = ewald_interaction_matrix(supercell, eta=eta)
    fixed = np.setdiff1d(np.arange(n), var)
    m_vv = matrix[np.ix_(var, var)]
    b = matrix[np.ix_(var, fixed)] @ q_fixed[fixed]
    c0 = float(q_fixed[fixed] @ matrix[np.ix_(fixed, fixed)] @ q_fixed[fixed])
    return _Problem(
        supercell, mult, matrix, q_fixed, fixed_species, groups, var, slices, m_vv, b, c0
    )


# --------------------------------------------------------------------------- exhaustive search


def _n_arrangements(values: np.ndarray) -> int:
    """Number of distinct permutations of a multiset of charges."""
    _, counts = np.unique(values, return_counts=True)
    total = math.factorial(len(values))
    for c in counts:
        total //= math.factorial(int(c))
    return total


def _multiset_permutations(values: np.ndarray) -> np.ndarray:
    """All distinct arrangements (rows) of a multiset of charges, in a deterministic order."""
    classes, counts = np.unique(values, return_counts=True)
    n = len(values)
    rows: list[np.ndarray] = []

    def place(k: int, free: tuple[int, ...], row: np.ndarray) -> None:
        if k == len(classes) - 1:
            row = row.copy()
            row[list(free)] = classes[k]
            rows.append(row)
            return
        for chosen in itertools.combinations(free, int(counts[k])):
            new = row.copy()
            new[list(chosen)] = classes[k]
            chosen_set = set(chosen)
            place(k + 1, tuple(i for i in free if i not in chosen_set), new)

    place(0, tuple(range(n)), np.zeros(n))
    return np.array(rows).reshape(len(rows), n)


def _exhaustive(problem: _Problem, chunk: int = 4096) -> tuple[np.ndarray, float, int]:
    """Evaluate every combination of the groups' charge arrangements; first minimum wins."""
    if not problem.groups:  # already ordered
        q_var = np.zeros(0)
        return q_var, problem.energy(q_var), 1
    per_group = [_multiset_permutations(g.charge_multiset()) for g in problem.groups]
    shape = tuple(len(a) for a in per_group)
    n_total = math.prod(shape)
    best_e, best_q = math.inf, None
    for start in range(0, n_total, chunk):
        flat = np.arange(start, min(start + chunk, n_total))
        idx = np.unravel_index(flat, shape)
        q_vars = np.concatenate([a[i] for a, i in zip(per_group, idx, strict=True)], axis=1)
        energies = problem.energies(q_vars)
        k = int(np.argmin(energies))
        if energies[k] < best_e - 1e-9:
            best_e, best_q = float(energies[k]), q_vars[k].copy()
    return best_q, problem.energy(best_q), n_total


# --------------------------------------------------------------------------- heuristic search


def _swap_deltas(problem: _Problem, q: np.ndarray, v: np.ndarray, sl: slice) -> np.ndarray:
    """Energy change of swapping every pair (i, j) of one group (inf where charges are equal)."""
    qg, vg = q[sl], v[sl]
    mg = problem.m_vv[sl, sl]
    d = np.diag(mg)
    delta = qg[None, :] - qg[:, None]  # q_j - q_i
    de = 2 * delta * (vg[:, None] - vg[None, :]) + delta**2 * (d[:, None] + d[None, :] - 2 * mg)
    return np.where(np.abs(delta) > 1e-12, de, np.inf)


def _apply_swap(problem: _Problem, q: np.ndarray, v: np.ndarray, i: int, j: int) -> None:
    delta = q[j] - q[i]
    v += delta * (problem.m_vv[:, i] - problem.m_vv[:, j])
    q[i], q[j] = q[j], q[i]


def _steepest_descent(problem: _Problem, q: np.ndarray, v: np.ndarray) -> int:
    """Apply the best swap over all groups until none lowers the energy; returns evaluations."""
    n_eval = 0
    while True:
        best = (-1e-10, None)
        for sl in problem.group_slices:
            de = _swap_deltas(problem, q, v, sl)
            n_eval += int(np.isfinite(de).sum()) // 2
            if de.size:
                k = int(np.argmin(de))
                if de.flat[k] < best[0]:
                    i, j = np.unravel_index(k, de.shape)
                    best = (float(de.flat[k]), (sl.start + int(i), sl.start + int(j)))
        if best[1] is None:
            return n_eval
        _apply_swap(problem, q, v, *best[1])


def _anneal_once(
    problem: _Problem, rng: np.random.Generator, n_sweeps: int
) -> tuple[np.ndarray, float, int]:
    """One seeded run: random start, greedy relaxation, annealing, final steepest descent."""
    if not problem.groups:
        return np.zeros(0), problem.c0, 1
    q = np.concatenate([rng.permutation(g.charge_multiset()) for g in problem.groups])
    v = problem.b + problem.m_vv @ q
    n_eval = _steepest_descent(problem, q, v)  # greedy start

    # only sites of groups holding two or more different charges can move
    group_of = np.concatenate(
        [np.full(sl.stop - sl.start, k) for k, sl in enumerate(problem.group_slices)]
    )
    movable = [len(np.unique(q[sl])) > 1 for sl in problem.group_slices]
    mobile = np.flatnonzero(np.array([movable[k] for k in group_of], dtype=bool))
    energy = problem.energy(q)
    best_q, best_e = q.copy(), energy
    if len(mobile) == 0 or n_sweeps <= 0:
        return best_q, best_e, n_eval

    # temperature: geometric from 0.3 x (median uphill swap of the relaxed start) / ln 2 down to
    # 3 % of that (tuned on the Li6PS5Cl 48h sublattice: hotter or longer runs gain nothing)
    uphill = np.concatenate(
        [
            de[np.isfinite(de) & (de > 0)]
            for de in (_swap_deltas(problem, q, v, sl) for sl in problem.group_slices)
        ]
    )
    t_start = 0.3 * float(np.median(uphill)) / math.log(2) if uphill.size else 1e-3
    t_end = t_start * 0.03
    positions = [np.arange(sl.start, sl.stop) for sl in problem.group_slices]
    diag = np.diag(problem.m_vv).copy()
    m_vv = problem.m_vv
    n_moves = len(mobile)
    for sweep in range(n_sweeps):
        temp = t_start * (t_end / t_start) ** (sweep / max(n_sweeps - 1, 1))
        picks = rng.integers(0, n_moves, size=n_moves)
        partners = rng.random(n_moves)
        thresholds = -temp * np.log(rng.random(n_moves) + 1e-300)  # accept if dE < threshold
        for t in range(n_moves):
            i = int(mobile[picks[t]])
            pos = positions[group_of[i]]
            qi = q[i]
            cand = pos[q[pos] != qi]
            j = int(cand[int(partners[t] * len(cand))])
            delta = q[j] - qi
            de = 2 * delta * (v[i] - v[j]) + delta * delta * (diag[i] + diag[j] - 2 * m_vv[i, j])
            n_eval += 1
            if de <= 0 or de < thresholds[t]:
                v += delta * (m_vv[:, i] - m_vv[:, j])
                q[i], q[j] = q[j], qi
                energy += de
                if energy < best_e - 1e-9:
                    best_e, best_q = energy, q.copy()
    q = best_q.copy()
    v = problem.b + problem.m_vv @ q
    n_eval += _steepest_descent(problem, q, v)
    return q, problem.energy(q), n_eval


def _anneal(
    problem: _Problem, rng: np.random.Generator, n_sweeps: int, n_restarts: int
) -> tuple[np.ndarray, float, int]:
    """Best of `n_restarts` independent annealing runs drawn from one seeded generator."""
    best_q, best_e, n_eval = None, math.inf, 0
    for _ in range(max(n_restarts, 1)):
        q, energy, n = _anneal_once(problem, rng, n_sweeps)
        n_eval += n
        if energy < best_e - 1e-9:
            best_q, best_e = q, energy
    return best_q, best_e, n_eval


# --------------------------------------------------------------------------- species placement


def _farthest_point(sites: list[int], counts: dict[str, int], dist: np.ndarray) -> dict[int, str]:
    """Place species of equal charge on `sites` (supercell indices): minority species first,
    each site chosen to maximise (distance to the same species, distance to the other minority
    species placed so far); the most abundant species fills the rest. Deterministic."""
    order = sorted(counts, key=lambda sp: (counts[sp], sp))
    free = list(sites)
    placed_any: list[int] = []
    out: dict[int, str] = {}
    for sp in order[:-1]:
        own: list[int] = []
        for _ in range(counts[sp]):
            best_key, best_site = None, None
            for s in free:
                d_own = min((dist[s, o] for o in own), default=math.inf)
                d_any = min((dist[s, o] for o in placed_any), default=math.inf)
                key = (d_own, d_any, -s)
                if best_key is None or key > best_key:
                    best_key, best_site = key, s
            own.append(best_site)
            placed_any.append(best_site)
            free.remove(best_site)
            out[best_site] = sp
    for s in free:
        out[s] = order[-1]
    return out


def _species_for(problem: _Problem, q_var: np.ndarray) -> list[str | None]:
    """Species (VACANCY on empty sites) of every supercell site for a charge assignment."""
    species = list(problem.fixed_species)
    dist = None
    for g, sl in zip(problem.groups, problem.group_slices, strict=True):
        qg = q_var[sl]
        by_charge: dict[float, dict[str, int]] = {}
        for sp, c in g.counts.items():
            by_charge.setdefault(round(g.charges[sp], 9), {})[sp] = c
        for charge, counts in by_charge.items():
            sites = [int(g.indices[k]) for k in np.flatnonzero(np.abs(qg - charge) < 1e-8)]
            if len(counts) == 1:
                for s in sites:
                    species[s] = next(iter(counts))
                continue
            if dist is None:
                dist = problem.supercell.distance_matrix
            for s, sp in _farthest_point(sites, counts, dist).items():
                species[s] = sp
    return species


# --------------------------------------------------------------------------- public entry points


def lowest_ewald_ordering(
    structure: Structure,
    oxidation_states: dict[str, float],
    max_atoms: int = 100,
    seed: int = 0,
    n_sweeps: int = DEFAULT_N_SWEEPS,
    max_enumerated: int = DEFAULT_MAX_ENUMERATED,
    eta: float | None = None,
    n_restarts: int = DEFAULT_N_RESTARTS,
) -> OrderingResult:
    """Lowest-Ewald-energy ordered supercell of a partially occupied `structure`.

    Args:
        structure: the (partially occupied) cell; site labels identify Wyckoff positions.
        oxidation_states: element -> formal charge (e), may be an average (Ni 2.875).
        max_atoms: largest ordered cell allowed (atoms, vacancies excluded).
        seed: seed of the random generator of the annealing runs.
        n_sweeps: annealing sweeps per run (one sweep = one attempted swap per mobile site).
        max_enumerated: enumerate every charge arrangement when there are at most this many.
        eta: Ewald screening parameter (1/Angstrom^2); pymatgen's default for the all-sites
            supercell when None.
        n_restarts: independent annealing runs; the lowest energy is kept.

    Deterministic for a given seed.
    """
    problem = _build_problem(structure, oxidation_states, max_atoms, eta)
    n_total = math.prod(_n_arrangements(g.charge_multiset()) for g in problem.groups)
    if n_total <= max_enumerated:
        q_var, energy, n_eval = _exhaustive(problem)
        exhaustive = True
    else:
        q_var, energy, n_eval = _anneal(problem, np.random.default_rng(seed), n_sweeps, n_restarts)
        exhaustive = False

    species = _species_for(problem, q_var)
    keep = [k for k, sp in enumerate(species) if sp != VACANCY]
    sc = problem.supercell
    ordered = Structure(
        sc.lattice,
        [species[k] for k in keep],
        sc.frac_coords[keep],
        # unlabelled input sites carry their (disordered) species string as label: drop it
        labels=[None if sc[k].label == sc[k].species_string else sc[k].label for k in keep],
    )
    return OrderingResult(ordered, float(energy), int(n_eval), exhaustive, problem.mult)


def ordered_representative(
    structure: Structure,
    oxidation_states: dict[str, float],
    max_atoms: int = 100,
    seed: int = 0,
    n_sweeps: int = DEFAULT_N_SWEEPS,
) -> Structure:
    """Charge-balanced ordered cell with the exact average composition and the lowest Ewald
    energy found: builds the supercell, assigns species on each group of partially occupied
    sites (a group = symmetry-equivalent sites sharing one partial occupancy, e.g. Li/vacancy on
    48h in Li6PS5Cl, Y/vacancy on 2d in Li3YCl6, Ni/Co/Mn on 3a of layered cathodes), and
    minimises the Ewald energy with the shared interaction matrix. Returns an ordered Structure
    without oxidation states whose sites keep their Wyckoff label (`site.label`, as produced by
    Structure.from_spacegroup(..., labels=...)). Deterministic for a given seed.

    See :func:`lowest_ewald_ordering` for the parameters and the search statistics.
    """
    return lowest_ewald_ordering(
        structure, oxidation_states, max_atoms=max_atoms, seed=seed, n_sweeps=n_sweeps
    ).structure
