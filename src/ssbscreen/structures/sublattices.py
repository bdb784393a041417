"""Partially occupied sublattices of a cell: integral supercells and the ordering problem.

A published structure with partial occupancies is turned into a set of variable sites whose
species must be chosen (:class:`OrderingProblem`):

1. :func:`supercell_for_integral_occupancy` picks the smallest diagonal supercell in which every
   group of partially occupied sites (a group = sites with the same Wyckoff label and the same
   partial occupancy) holds an integer number of each species; when none fits within the atom
   budget (published occupancies such as 0.87538 or 0.07), the smallest one in which each
   element's total is an integer, with every group's count rounded to the nearest integer
   (:func:`rounded_counts`: each element's total kept, the largest remainders rounded up; ties
   give several roundings, all of which are ordered and ranked together).
2. :func:`build_problems` computes the Ewald interaction matrix of all sites of that supercell once
   and restricts the quadratic form to the variable sites, so that the Ewald energy of a charge
   assignment ``q_var`` of the variable sites is ``c0 + 2 b . q_var + q_var @ m_vv @ q_var``.
3. :meth:`OrderingProblem.ordered_structure` turns a charge assignment into an ordered Structure.
   Only charges enter the Ewald energy, so species of equal charge on one group (Ni3+/Co3+/Al3+
   in NCA) are placed on the sites of their charge class by a deterministic farthest-point rule
   (minority species first, each spread as far from itself, then from the other minority species,
   as possible; ties go to the lowest site index).

Energies are in eV, charges in units of e, lengths in Angstrom.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Lattice, Structure

from ssbscreen.structures.ewald import ewald_energies, ewald_interaction_matrix

__all__ = [
    "OrderingProblem",
    "build_problem",
    "build_problems",
    "rounded_counts",
    "rounding_deviation",
    "supercell_for_integral_occupancy",
]

VACANCY = "vacancy"
# A species count within this many atoms of an integer counts as integral (published
# occupancies such as 0.3333 or 0.1667 are rounded values of 1/3 and 1/6).
COUNT_TOL = 0.01


# --------------------------------------------------------------------------- site groups


def _site_occupancy(site) -> dict[str, float]:
    """Element symbol -> occupancy of one site (oxidation states of the input are ignored)."""
    occ: dict[str, float] = {}
    for sp, amount in site.species.items():
        occ[sp.symbol] = occ.get(sp.symbol, 0.0) + float(amount)
    return occ


def _is_fixed(occ: dict[str, float]) -> bool:
    return len(occ) == 1 and abs(next(iter(occ.values())) - 1.0) < 1e-6


def site_group_key(site) -> tuple:
    """The group of a site: its Wyckoff label and its partial occupancy."""
    occ = _site_occupancy(site)
    return (site.label, tuple(sorted((el, round(x, 6)) for el, x in occ.items())))


def _partial_groups(structure: Structure) -> dict[tuple, list[int]]:
    """Partially occupied site groups of the cell: (label, occupancy) -> site indices."""
    groups: dict[tuple, list[int]] = {}
    for idx, site in enumerate(structure):
        if not _is_fixed(_site_occupancy(site)):
            groups.setdefault(site_group_key(site), []).append(idx)
    return groups


GroupKey = tuple[str, tuple[tuple[str, float], ...]]


def rounded_counts(
    groups: dict[GroupKey, list[int]], n_cells: int
) -> tuple[list[dict[GroupKey, dict[str, int]]], float] | None:
    """Integer species counts of every group in ``n_cells`` cells, and the largest deviation
    (atoms) from the exact counts; None when an element's total is not an integer.

    Each element's groups are rounded down and the remaining atoms go to the groups with the
    largest remainders; remainders tied to 1e-6 give one rounding per choice. Roundings that put
    more atoms on a group than it has sites are dropped.
    """
    exact: dict[str, dict[GroupKey, float]] = {}
    for key, indices in groups.items():
        for el, x in key[1]:
            exact.setdefault(el, {})[key] = len(indices) * n_cells * x
    per_element: list[list[dict[GroupKey, int]]] = []
    for counts in exact.values():
        total = sum(counts.values())
        if abs(total - round(total)) > COUNT_TOL:
            return None
        floors = {key: math.floor(c + COUNT_TOL) for key, c in counts.items()}
        extra = round(total) - sum(floors.values())
        remainders = {key: counts[key] - floors[key] for key in counts}
        ranked = sorted(remainders, key=lambda key: -remainders[key])
        if extra == 0:
            per_element.append([floors])
            continue
        cut = remainders[ranked[extra - 1]]
        sure = [key for key in ranked if remainders[key] > cut + 1e-6]
        tied = [key for key in ranked if abs(remainders[key] - cut) <= 1e-6]
        per_element.append(
            [
                {key: floors[key] + (key in sure or key in chosen) for key in counts}
                for chosen in itertools.combinations(tied, extra - len(sure))
            ]
        )
    roundings = []
    for combination in itertools.product(*per_element):
        by_group: dict[GroupKey, dict[str, int]] = {key: {} for key in groups}
        for option, el in zip(combination, exact, strict=True):
            for key, count in option.items():
                by_group[key][el] = count
        if all(sum(by_group[key].values()) <= len(groups[key]) * n_cells for key in groups):
            roundings.append(by_group)
    if not roundings:
        return None
    deviation = max(
        abs(count - exact[el][key])
        for key, counts in roundings[0].items()
        for el, count in counts.items()
    )
    return roundings, deviation


def _anisotropy(lattice: Lattice, mult: tuple[int, int, int]) -> float:
    """Ratio of the largest to the smallest perpendicular width (distance between opposite
    faces) of the supercell."""
    m = lattice.matrix * np.array(mult)[:, None]
    vol = abs(np.linalg.det(m))
    w = np.array([vol / np.linalg.norm(np.cross(m[(k + 1) % 3], m[(k + 2) % 3])) for k in range(3)])
    return w.max() / w.min()


def _most_isotropic(lattice: Lattice, n_cells: int) -> tuple[int, int, int]:
    factorisations = [
        (a, b, n_cells // a // b)
        for a in range(1, n_cells + 1)
        for b in range(1, n_cells // a + 1)
        if n_cells % (a * b) == 0
    ]
    return min(factorisations, key=lambda mult: (round(_anisotropy(lattice, mult), 9), mult))


def supercell_for_integral_occupancy(structure: Structure, max_atoms: int) -> tuple[int, int, int]:
    """Smallest diagonal supercell (try small multipliers, prefer near-cubic/near-isotropic,
    fewest atoms) in which every partially occupied site group gives an integer number of
    each species; if none fits within max_atoms, the smallest one in which every element's
    total is an integer, its group counts rounded to the nearest integers (:func:`rounded_counts`;
    e.g. Li3YCl6's 6h Li 0.87538 -> 5 of 6 sites); raise ValueError with one clear sentence
    naming the phase composition, the number of atoms needed and the fix (raise max_atoms) if no
    cell fits.

    Atoms are counted after removing vacancies (N * sum of occupancies). Fewest atoms wins; among
    the factorisations (na, nb, nc) of that cell count the one with the smallest ratio of largest
    to smallest perpendicular width is taken (ties: smallest tuple).
    """
    groups = _partial_groups(structure)
    atoms_per_cell = structure.composition.num_atoms
    formula = structure.composition.reduced_formula
    rounded = exact = None
    for n_cells in range(1, 10_001):
        rounding = rounded_counts(groups, n_cells)
        if rounding is None:
            continue
        if rounding[1] <= COUNT_TOL:
            exact = n_cells
            break
        if rounded is None and n_cells * atoms_per_cell <= max_atoms + 1e-6:
            rounded = n_cells
    if exact is not None and exact * atoms_per_cell <= max_atoms + 1e-6:
        return _most_isotropic(structure.lattice, exact)
    if rounded is not None:
        return _most_isotropic(structure.lattice, rounded)
    if exact is None:
        raise ValueError(
            f"Cannot order {formula}: no supercell of up to 10000 cells gives integer site "
            f"occupancies, so its occupancies must be rounded to simple fractions in the record."
        )
    n_atoms = round(exact * atoms_per_cell)
    raise ValueError(
        f"Cannot order {formula} within max_atoms={max_atoms}: integer site occupancies need "
        f"a supercell of {exact} cells with {n_atoms} atoms; raise max_atoms to at least "
        f"{n_atoms}."
    )


def rounding_deviation(structure: Structure, supercell: tuple[int, int, int]) -> float:
    """Largest deviation (atoms) of the rounded group counts of `supercell` from the published
    occupancies (0 when they are integral there); inf when an element's total is not."""
    rounding = rounded_counts(_partial_groups(structure), math.prod(supercell))
    return math.inf if rounding is None else rounding[1]


def _checked_supercell(
    structure: Structure, supercell: tuple[int, int, int], max_atoms: int
) -> tuple[int, int, int]:
    """Validate an explicit supercell: three positive integers, integer element totals, size."""
    formula = structure.composition.reduced_formula
    mult = tuple(int(m) for m in supercell)
    if len(mult) != 3 or min(mult) < 1 or mult != tuple(supercell):
        raise ValueError(f"supercell must be three positive integers, got {supercell!r}.")
    n_cells = math.prod(mult)
    if rounded_counts(_partial_groups(structure), n_cells) is None:
        try:
            hint = f"such as {supercell_for_integral_occupancy(structure, 10**9)}"
        except ValueError:
            hint = "none exists for these occupancies"
        raise ValueError(
            f"The {mult} supercell of {formula} ({n_cells} cells) gives non-integer numbers of "
            f"atoms on its partially occupied sites; pass supercell=None to choose one "
            f"automatically or a supercell whose number of cells makes them integral ({hint})."
        )
    n_atoms = round(n_cells * structure.composition.num_atoms)
    if n_atoms > max_atoms:
        raise ValueError(
            f"The {mult} supercell of {formula} has {n_atoms} atoms, more than "
            f"max_atoms={max_atoms}; raise max_atoms to at least {n_atoms} or choose a smaller "
            f"supercell."
        )
    return mult


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
class SiteGroup:
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
class OrderingProblem:
    """Supercell, its Ewald matrix and the quadratic form restricted to the variable sites.

    E(q_var) = c0 + 2 b . q_var + q_var @ m_vv @ q_var, with q_var the charges on the
    concatenated group sites (``var`` = supercell indices in group order).
    """

    parent: Structure
    supercell: Structure
    mult: tuple[int, int, int]
    matrix: np.ndarray
    q_fixed: np.ndarray  # full-length charges, 0 on variable sites
    fixed_species: list[str | None]  # element per site, None on variable sites
    groups: list[SiteGroup]
    occupancy_changes: tuple[str, ...]  # e.g. "6h Li0.87538 -> Li0.9167" where rounded
    var: np.ndarray
    group_slices: list[slice]
    m_vv: np.ndarray
    b: np.ndarray
    c0: float

    def energy(self, q_var: np.ndarray) -> float:
        return float(self.c0 + 2 * self.b @ q_var + q_var @ self.m_vv @ q_var)

    def energies(self, q_vars: np.ndarray) -> np.ndarray:
        """Energies of many assignments (rows), vectorised."""
        q_vars = np.atleast_2d(q_vars)
        return self.c0 + 2 * q_vars @ self.b + ewald_energies(self.m_vv, q_vars)

    def n_assignments(self) -> int:
        """Number of distinct charge assignments (product of multinomials over the groups)."""
        return math.prod(_n_arrangements(g.charge_multiset()) for g in self.groups)

    def ordered_structure(self, q_var: np.ndarray) -> Structure:
        """Ordered supercell of a charge assignment: elements, vacancies removed, labels kept."""
        species = _species_for(self, q_var)
        keep = [k for k, sp in enumerate(species) if sp != VACANCY]
        sc = self.supercell
        return Structure(
            sc.lattice,
            [species[k] for k in keep],
            sc.frac_coords[keep],
            # unlabelled input sites carry their (disordered) species string as label: drop it
            labels=[None if sc[k].label == sc[k].species_string else sc[k].label for k in keep],
        )


def _n_arrangements(values: np.ndarray) -> int:
    """Number of distinct permutations of a multiset of charges."""
    _, counts = np.unique(values, return_counts=True)
    return math.factorial(len(values)) // math.prod(math.factorial(int(c)) for c in counts)


def _occupancy_text(occ: dict[str, float]) -> str:
    return "".join(f"{el}{x:.5g}" for el, x in sorted(occ.items()))


def build_problems(
    structure: Structure,
    oxidation_states: dict[str, float],
    max_atoms: int,
    eta: float | None = None,
    supercell: tuple[int, int, int] | None = None,
) -> list[OrderingProblem]:
    """The ordering problems of `structure` in `supercell` (None: chosen as
    :func:`supercell_for_integral_occupancy` does), one per rounding of the group counts (one
    when the occupancies are integral there); they share the supercell and its Ewald matrix."""
    missing = sorted(
        {el for site in structure for el in _site_occupancy(site)} - set(oxidation_states)
    )
    if missing:
        raise ValueError(
            f"No oxidation state given for {', '.join(missing)} in "
            f"{structure.composition.reduced_formula}; add it to oxidation_states."
        )
    if supercell is None:
        mult = supercell_for_integral_occupancy(structure, max_atoms)
    else:
        mult = _checked_supercell(structure, supercell, max_atoms)
    roundings, _ = rounded_counts(_partial_groups(structure), math.prod(mult))
    cell = _make_supercell(structure, mult)
    n = len(cell)

    occupancies = [_site_occupancy(site) for site in cell]
    fixed_species = [next(iter(occ)) if _is_fixed(occ) else None for occ in occupancies]
    q_fixed = np.array([0.0 if el is None else float(oxidation_states[el]) for el in fixed_species])
    cell_groups = _partial_groups(cell)
    var = np.array([idx for indices in cell_groups.values() for idx in indices], dtype=int)
    bounds = [0, *itertools.accumulate(len(indices) for indices in cell_groups.values())]
    slices = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
    matrix = ewald_interaction_matrix(cell, eta=eta)
    fixed = np.setdiff1d(np.arange(n), var)
    m_vv = matrix[np.ix_(var, var)]
    b = matrix[np.ix_(var, fixed)] @ q_fixed[fixed]
    c0 = float(q_fixed[fixed] @ matrix[np.ix_(fixed, fixed)] @ q_fixed[fixed])

    problems = []
    for rounding in roundings:
        groups, changes = [], []
        for key, indices in cell_groups.items():
            label, occ = key
            n_sites = len(indices)
            counts = {el: c for el, c in rounding[key].items() if c > 0}
            used = {el: c / n_sites for el, c in counts.items()}
            if any(abs(used.get(el, 0.0) - x) > 1e-6 for el, x in occ):
                changes.append(f"{label} {_occupancy_text(dict(occ))} -> {_occupancy_text(used)}")
            n_vac = n_sites - sum(counts.values())
            if n_vac:
                counts[VACANCY] = n_vac
            charges = {el: float(oxidation_states[el]) for el in counts if el != VACANCY}
            charges[VACANCY] = 0.0
            groups.append(SiteGroup(label, np.array(indices), counts, charges))
        total = q_fixed.sum() + sum(g.charges[sp] * c for g in groups for sp, c in g.counts.items())
        if abs(total) > 1e-6:
            raise ValueError(
                f"The ordered {structure.composition.reduced_formula} cell has net charge "
                f"{total:+.4f} e with oxidation states {oxidation_states}; fix the occupancies "
                f"or oxidation states."
            )
        problems.append(
            OrderingProblem(
                structure,
                cell,
                mult,
                matrix,
                q_fixed,
                fixed_species,
                groups,
                tuple(changes),
                var,
                slices,
                m_vv,
                b,
                c0,
            )
        )
    return problems


def build_problem(
    structure: Structure,
    oxidation_states: dict[str, float],
    max_atoms: int,
    eta: float | None = None,
    supercell: tuple[int, int, int] | None = None,
) -> OrderingProblem:
    """The first of :func:`build_problems` (the only one when the group counts are exact)."""
    return build_problems(structure, oxidation_states, max_atoms, eta, supercell)[0]


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


def _species_for(problem: OrderingProblem, q_var: np.ndarray) -> list[str | None]:
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
