"""Ordered representatives of partially occupied crystal structures by Ewald-energy minimisation.

A published structure with partial occupancies (Li/vacancy on 48h in Li6PS5Cl, Y/vacancy on 2d
in Li3YCl6, Ni/Co/Mn on 3a of layered cathodes) is turned into ordered cells:

* :func:`lowest_ewald_ordering` / :func:`ordered_representative`: the one lowest ordering;
* :func:`lowest_orderings`: the N lowest symmetry-distinct orderings with search statistics.

The supercell and the restricted quadratic form ``E(q) = c0 + 2 b.q + q m_vv q`` come from
:mod:`ssbscreen.structures.sublattices`, the shared Ewald matrix and the vectorised scoring from
:mod:`ssbscreen.structures.ewald`, the annealing runs from :mod:`ssbscreen.structures.annealing`.

Search: when the number of charge assignments (product over the site groups of the multinomial
counts) is at most ``max_enumerated``, every assignment is enumerated and scored in vectorised
chunks (exact). Otherwise seeded annealing runs are made (see :mod:`annealing`); for
:func:`lowest_orderings` every assignment they visit below the current N-best threshold enters a
pool of symmetry-distinct assignments, and the pool is then completed by a best-first search:
all single swaps of each of the lowest pool members are scored and the new low ones added, until
the lowest members have all been expanded. ``n_evaluated`` counts every assignment scored.

Symmetry-distinct: two assignments related by an operation of the parent space group that maps
the supercell lattice onto itself (including the parent translations inside the supercell) are
the same ordering; each is reduced to a canonical form (the lexicographically smallest of its
images) so that images are dropped without building structures. The survivors are then checked
in energy order with pymatgen's ``StructureMatcher`` (default tolerances,
``attempt_supercell=False``) against the kept orderings of equal Ewald energy (to 1e-6 eV; equal
energy is necessary for equivalence), and the first N distinct are kept.

Energies are in eV, charges in units of e, lengths in Angstrom.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure

from ssbscreen.structures.annealing import anneal, swap_deltas
from ssbscreen.structures.canonical import Canonicaliser
from ssbscreen.structures.ewald import ewald_interaction_matrix
from ssbscreen.structures.sublattices import (
    OrderingProblem,
    build_problems,
    supercell_for_integral_occupancy,
)

__all__ = [
    "Ordering",
    "OrderingResult",
    "OrderingSearch",
    "ewald_interaction_matrix",
    "lowest_ewald_ordering",
    "lowest_orderings",
    "ordered_representative",
    "supercell_for_integral_occupancy",
]

DEFAULT_N_SWEEPS = 1000
DEFAULT_N_RESTARTS = 4
DEFAULT_MAX_ENUMERATED = 20_000
ENERGY_TOL = 1e-6  # eV: orderings closer in energy than this are compared with StructureMatcher
CHUNK = 4096


@dataclass(frozen=True)
class OrderingResult:
    """Outcome of an ordering search.

    structure: ordered supercell (elements, no oxidation states, vacancies removed, Wyckoff labels
    kept); ewald_energy_ev: its Ewald energy (eV, whole supercell) with the given oxidation states;
    n_evaluated: number of assignments / swaps whose energy was evaluated; exhaustive: True when
    every charge arrangement was enumerated (the energy is then the global minimum);
    supercell: diagonal multipliers (na, nb, nc) of the input cell; occupancy_changes: the
    published occupancies rounded to fit the supercell ("6h Li0.87538 -> Li0.91667"), if any.
    """

    structure: Structure
    ewald_energy_ev: float
    n_evaluated: int
    exhaustive: bool
    supercell: tuple[int, int, int]
    occupancy_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ordering:
    """One ordered supercell: elements (no oxidation states), vacancies removed, site.label =
    parent Wyckoff label; ewald_energy_ev: its Ewald energy (eV, whole supercell)."""

    structure: Structure
    ewald_energy_ev: float


@dataclass(frozen=True)
class OrderingSearch:
    """The N lowest symmetry-distinct orderings (sorted by energy) and the search statistics.

    n_evaluated: assignments scored; n_total: number of charge assignments of the supercell
    (None if too large to count); exhaustive: every assignment was scored, so the orderings are
    exactly the N lowest; supercell: diagonal multipliers (na, nb, nc) of the input cell;
    occupancy_changes: the published occupancies rounded to fit the supercell, if any (every
    tied rounding is searched and its orderings ranked with the others).
    """

    orderings: list[Ordering]
    n_evaluated: int
    n_total: int | None
    exhaustive: bool
    supercell: tuple[int, int, int]
    occupancy_changes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- enumeration


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


class _Enumeration:
    """Every assignment of the problem, addressed by a flat index (mixed radix over groups)."""

    def __init__(self, problem: OrderingProblem) -> None:
        self.per_group = [_multiset_permutations(g.charge_multiset()) for g in problem.groups]
        self.shape = tuple(len(a) for a in self.per_group)
        self.n_total = math.prod(self.shape)

    def rows(self, flat: np.ndarray) -> np.ndarray:
        if not self.per_group:
            return np.zeros((len(flat), 0))
        idx = np.unravel_index(flat, self.shape)
        return np.concatenate([a[i] for a, i in zip(self.per_group, idx, strict=True)], axis=1)

    def chunks(self, chunk: int = CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, self.n_total, chunk):
            flat = np.arange(start, min(start + chunk, self.n_total))
            yield flat, self.rows(flat)


def _exhaustive(problem: OrderingProblem) -> tuple[np.ndarray, float, int]:
    """Evaluate every combination of the groups' charge arrangements; first minimum wins."""
    enum = _Enumeration(problem)
    best_e, best_q = math.inf, None
    for _, q_vars in enum.chunks():
        energies = problem.energies(q_vars)
        k = int(np.argmin(energies))
        if energies[k] < best_e - 1e-9:
            best_e, best_q = float(energies[k]), q_vars[k].copy()
    return best_q, problem.energy(best_q), enum.n_total


# --------------------------------------------------------------------------- N-best search


class _Pool:
    """Best `capacity` symmetry-distinct assignments seen (offered by the annealing runs)."""

    def __init__(self, key: Callable[[np.ndarray], bytes], capacity: int) -> None:
        self.key, self.capacity = key, capacity
        self.entries: dict[bytes, tuple[float, np.ndarray]] = {}
        self.threshold = math.inf

    def add(self, q: np.ndarray, energy: float) -> None:
        key = self.key(q)
        if key not in self.entries:
            self.entries[key] = (float(energy), q.copy())
            if len(self.entries) >= 2 * self.capacity:
                self.prune()

    def prune(self) -> list[tuple[bytes, tuple[float, np.ndarray]]]:
        """Keep the `capacity` lowest; returns them sorted by energy."""
        items = sorted(self.entries.items(), key=lambda kv: kv[1][0])[: self.capacity]
        self.entries = dict(items)
        if len(items) >= self.capacity:
            self.threshold = items[-1][1][0]
        return items


def _expand(problem: OrderingProblem, pool: _Pool, max_expansions: int) -> int:
    """Best-first completion of the pool: score every single swap of its lowest unexpanded
    member and offer the ones below the threshold, until all the lowest are expanded."""
    expanded: set[bytes] = set()
    n_eval = 0
    while len(expanded) < max_expansions:
        todo = [(key, entry) for key, entry in pool.prune() if key not in expanded]
        if not todo:
            break
        key, (_, q) = todo[0]
        expanded.add(key)
        energy = problem.energy(q)
        v = problem.b + problem.m_vv @ q
        for sl in problem.group_slices:
            de = np.triu(swap_deltas(problem, q, v, sl), k=1)
            de[np.tril_indices_from(de)] = np.inf
            n_eval += int(np.isfinite(de).sum())
            for i, j in zip(*np.nonzero(energy + de < pool.threshold), strict=True):
                new = q.copy()
                a, b = sl.start + i, sl.start + j
                new[a], new[b] = q[b], q[a]
                pool.add(new, energy + float(de[i, j]))
    return n_eval


def _distinct(
    problem: OrderingProblem, candidates: Iterator[tuple[float, np.ndarray]], n: int
) -> list[Ordering]:
    """First `n` candidates (in energy order) not matched by StructureMatcher to a kept one of
    equal energy."""
    matcher = StructureMatcher(attempt_supercell=False)
    kept: list[Ordering] = []
    for energy, q in candidates:
        structure = problem.ordered_structure(q)
        if any(
            abs(energy - o.ewald_energy_ev) < ENERGY_TOL and matcher.fit(o.structure, structure)
            for o in kept
        ):
            continue
        kept.append(Ordering(structure, float(energy)))
        if len(kept) >= n:
            break
    return kept


def _enumerated_candidates(
    problem: OrderingProblem, canon: Canonicaliser
) -> Iterator[tuple[float, np.ndarray]]:
    """Every symmetry-distinct assignment in energy order (exhaustive enumeration)."""
    enum = _Enumeration(problem)
    energies = np.concatenate([problem.energies(q_vars) for _, q_vars in enum.chunks()])
    order = np.argsort(energies, kind="stable")
    seen: set[bytes] = set()
    for start in range(0, len(order), CHUNK):
        flat = order[start : start + CHUNK]
        q_vars = enum.rows(flat)
        for k, key in enumerate(canon.keys(q_vars)):
            if key not in seen:
                seen.add(key)
                yield float(energies[flat[k]]), q_vars[k]


def lowest_orderings(
    structure: Structure,
    oxidation_states: dict[str, float],
    n: int = 25,
    supercell: tuple[int, int, int] | None = None,
    max_atoms: int = 200,
    seed: int = 0,
    max_enumerated: int = 200_000,
    *,
    n_restarts: int = 24,
    n_sweeps: int = 150,
    eta: float | None = None,
) -> OrderingSearch:
    """The `n` lowest-Ewald-energy, symmetry-distinct ordered supercells of `structure`.

    Args:
        structure: the (partially occupied) cell; site labels identify Wyckoff positions.
        oxidation_states: element -> formal charge (e), may be an average (Ni 2.875).
        n: number of orderings wanted; fewer are returned when fewer distinct ones exist.
        supercell: diagonal multipliers of `structure` (the Li3YCl6 study: (1, 1, 2)); it must
            make every partial occupancy integral. None: the smallest integral supercell.
        max_atoms: largest ordered cell allowed (atoms, vacancies excluded).
        seed: seed of the annealing runs (used only when not exhaustive).
        max_enumerated: enumerate every assignment when there are at most this many.
        n_restarts, n_sweeps: annealing runs and sweeps per run of the non-exhaustive search.
        eta: Ewald screening parameter (1/Angstrom^2); pymatgen's default for the all-sites
            supercell when None.

    Raises ValueError (one sentence with the fix) when the supercell does not make the
    occupancies integral, holds more than max_atoms atoms, or the cell cannot be neutral.
    Deterministic for a given seed.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    problems = build_problems(structure, oxidation_states, max_atoms, eta, supercell)
    searches = [
        _search(problem, n, seed, max_enumerated, n_restarts, n_sweeps) for problem in problems
    ]
    orderings = sorted(
        (o for search in searches for o in search.orderings), key=lambda o: o.ewald_energy_ev
    )[:n]
    return OrderingSearch(
        orderings,
        sum(search.n_evaluated for search in searches),
        sum(search.n_total for search in searches),
        all(search.exhaustive for search in searches),
        problems[0].mult,
        tuple(change for problem in problems for change in problem.occupancy_changes),
    )


def _search(
    problem: OrderingProblem,
    n: int,
    seed: int,
    max_enumerated: int,
    n_restarts: int,
    n_sweeps: int,
) -> OrderingSearch:
    """The `n` lowest symmetry-distinct orderings of one problem (one rounding)."""
    n_total = problem.n_assignments()
    if not problem.groups:
        q = np.zeros(0)
        ordering = Ordering(problem.ordered_structure(q), problem.energy(q))
        return OrderingSearch([ordering], 1, 1, True, problem.mult)
    canon = Canonicaliser(problem)
    if n_total <= max_enumerated:
        orderings = _distinct(problem, _enumerated_candidates(problem, canon), n)
        return OrderingSearch(orderings, n_total, n_total, True, problem.mult)

    capacity = max(2 * n, n + 10)
    pool = _Pool(canon.key, capacity)
    rng = np.random.default_rng(seed)
    _, _, n_eval = anneal(problem, rng, n_sweeps, n_restarts, pool)
    n_eval += _expand(problem, pool, max_expansions=20 * capacity)
    entries = pool.prune()
    q_vars = np.array([q for _, (_, q) in entries])
    energies = problem.energies(q_vars)  # exact, not the running sums of the annealing
    order = np.argsort(energies, kind="stable")
    candidates = ((float(energies[k]), q_vars[k]) for k in order)
    orderings = _distinct(problem, candidates, n)
    return OrderingSearch(orderings, n_eval, n_total, False, problem.mult)


# --------------------------------------------------------------------------- one ordering


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
    best, n_total_eval, exhaustive = None, 0, True
    for problem in build_problems(structure, oxidation_states, max_atoms, eta):
        if problem.n_assignments() <= max_enumerated:
            q_var, energy, n_eval = _exhaustive(problem)
        else:
            rng = np.random.default_rng(seed)
            q_var, energy, n_eval = anneal(problem, rng, n_sweeps, n_restarts)
            exhaustive = False
        n_total_eval += n_eval
        if best is None or energy < best[1] - 1e-9:
            best = (problem, energy, q_var)
    problem, energy, q_var = best
    ordered = problem.ordered_structure(q_var)
    return OrderingResult(
        ordered,
        float(energy),
        int(n_total_eval),
        exhaustive,
        problem.mult,
        problem.occupancy_changes,
    )


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
