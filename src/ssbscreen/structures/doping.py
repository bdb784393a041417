"""Aliovalent substitution with charge compensation, ranked by Ewald energy.

A dopant replaces a host cation (or anion) and the excess charge is compensated by vacancies,
e.g. 3 Li+ -> In3+ + 2 Li vacancies in Li3YCl6. :func:`doped_cells` places ``n_dopants`` such
defects in an ordered host cell and returns the symmetry-distinct arrangements with the lowest
Ewald energy:

1. The pairwise Ewald matrix ``M`` (eV per e^2) of the host with every site present is computed
   once; with host charges ``q0`` and field ``v0 = M q0`` a candidate that changes the charges of
   a few sites ``i`` by ``d_i`` (dopant: dopant charge minus host charge; vacancy: minus the host
   charge) has the energy ``q @ M @ q = q0 @ M @ q0 + 2 sum_i d_i v0_i + sum_ij d_i d_j M_ij``,
   evaluated for all candidates at once in batched numpy (exactly ``q @ M @ q``, without forming
   the full charge vectors).
2. When the number of candidates (dopant sites x compensating vacancy sites) is at most
   ``max_enumerated`` every one is scored. Otherwise a seeded simulated-annealing search is run
   separately for each assignment of dopant Wyckoff labels (e.g. In on 6g / In on 6h): role
   swaps (dopant <-> host site of the same label, vacancy <-> host site, dopant <-> vacancy)
   scored in O(1) with the field ``v = M q`` updated in O(n) per accepted move, a geometric
   temperature schedule, a few restarts and a final steepest descent; every configuration
   visited is kept as a candidate, so the result is the lowest found, not a proven minimum.
3. Candidates are sorted by energy and symmetry-equivalent cells removed: a candidate whose
   defect sites are the image of a kept cell under a symmetry operation of the host (site
   permutations from spglib) is a duplicate; any other candidate with the same energy (1e-6 eV)
   and the same defect-distance fingerprint as a kept cell is compared with pymatgen's
   StructureMatcher (attempt_supercell=False). Candidates of different energy are never
   compared.

Energies are in eV, charges in units of e, lengths in Angstrom.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.structures.ewald import ewald_interaction_matrix
from ssbscreen.structures.substitution import CHARGE_TOL, Substitution

__all__ = ["DopedCell", "doped_cells"]

ENERGY_TOL = 1e-6  # eV: candidates closer than this are compared for symmetry equivalence
DEFAULT_N_STEPS = 20_000  # annealing moves per restart
DEFAULT_N_RESTARTS = 4
_CHUNK = 50_000  # candidates scored per numpy batch


@dataclass(frozen=True)
class DopedCell:
    """One doped cell.

    structure: ordered cell (elements, no oxidation states, vacancies removed, site.label kept:
    the dopant sites keep the parent Wyckoff label); ewald_energy_ev: its Ewald energy (eV, whole
    cell) with the host oxidation states and the dopant charge; dopant_sites / vacancy_sites:
    parent Wyckoff label of each dopant / each emptied site (sorted); n_dopants: dopants in cell.
    """

    structure: Structure
    ewald_energy_ev: float
    dopant_sites: tuple[str, ...]
    vacancy_sites: tuple[str, ...]
    n_dopants: int


# --------------------------------------------------------------------------- checks


def _check_host(host: Structure, oxidation_states: dict[str, float], max_atoms: int) -> None:
    formula = host.composition.reduced_formula
    if not host.is_ordered:
        raise ValueError(
            f"The host {formula} has partial occupancies; order it first (e.g. with "
            "ssbscreen.structures.ordering.ordered_representative)."
        )
    if len(host) > max_atoms:
        raise ValueError(
            f"The host {formula} cell has {len(host)} atoms, more than max_atoms={max_atoms}; "
            f"use a smaller cell or raise max_atoms to at least {len(host)}."
        )
    missing = sorted({site.specie.symbol for site in host} - set(oxidation_states))
    if missing:
        raise ValueError(
            f"No oxidation state given for {', '.join(missing)} in {formula}; add it to "
            "oxidation_states."
        )
    total = sum(float(oxidation_states[site.specie.symbol]) for site in host)
    if abs(total) > CHARGE_TOL:
        raise ValueError(
            f"The host {formula} has net charge {total:+g} e with oxidation states "
            f"{oxidation_states}; fix the oxidation states."
        )


def _dopant_candidates(
    host: Structure, substitution: Substitution, sites: Sequence[str] | None
) -> np.ndarray:
    """Indices of the host sites that may take a dopant; ValueError for a bad label."""
    labels = [site.label for site in host]
    rep = substitution.replaces
    rep_labels = sorted(
        {lab for site, lab in zip(host, labels, strict=True) if site.specie.symbol == rep}
    )
    if not rep_labels:
        raise ValueError(
            f"The host {host.composition.reduced_formula} has no {rep} to replace; check the "
            "substitution."
        )
    if sites is None:
        wanted = set(rep_labels)
    else:
        wanted = set(sites)
        for label in sites:
            if label not in labels:
                raise ValueError(
                    f"The host has no site labelled {label!r}; its labels are "
                    f"{', '.join(sorted(set(labels)))}."
                )
            if label not in rep_labels:
                held = sorted(
                    {s.specie.symbol for s, lab in zip(host, labels, strict=True) if lab == label}
                )
                raise ValueError(
                    f"Sites {label!r} hold {', '.join(held)}, not {rep}; choose among the {rep} "
                    f"labels {', '.join(rep_labels)}."
                )
    return np.array(
        [i for i, site in enumerate(host) if site.specie.symbol == rep and labels[i] in wanted],
        dtype=int,
    )


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Problem:
    host: Structure
    labels: np.ndarray  # label per host site
    matrix: np.ndarray
    q0: np.ndarray
    v0: np.ndarray
    e0: float
    dop_idx: np.ndarray  # dopant candidate sites
    vac_idx: np.ndarray  # vacancy candidate sites (all sites of vacancy_of)
    n_dop: int  # dopants in the cell
    n_vac: int  # vacancies in the cell
    dopant_charge: float
    shared: bool  # vacancies are on sites of the replaced element

    @property
    def deltas(self) -> np.ndarray:
        """Charge change per column of a candidate row (dopant columns, then vacancies)."""
        d_dop = self.dopant_charge - self.q0[self.dop_idx[0]]
        d_vac = -self.q0[self.vac_idx[0]] if self.n_vac else 0.0
        return np.array([d_dop] * self.n_dop + [d_vac] * self.n_vac)

    def energies(self, rows: np.ndarray) -> np.ndarray:
        """q @ M @ q of each candidate row (sites of the dopants, then of the vacancies)."""
        d = self.deltas
        out = np.empty(len(rows))
        for start in range(0, len(rows), _CHUNK):
            idx = rows[start : start + _CHUNK]
            pair = self.matrix[idx[:, :, None], idx[:, None, :]]
            out[start : start + _CHUNK] = (
                self.e0 + 2 * (self.v0[idx] @ d) + np.einsum("kij,i,j->k", pair, d, d)
            )
        return out

    def n_candidates(self) -> int:
        free = len(self.vac_idx) - (self.n_dop if self.shared else 0)
        return math.comb(len(self.dop_idx), self.n_dop) * math.comb(free, self.n_vac)


def _combinations(n: int, r: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(n), r)), dtype=int).reshape(-1, r)


def _enumerate(problem: _Problem) -> np.ndarray:
    """Every candidate row: sorted dopant sites, then sorted vacancy sites."""
    dop_rows = problem.dop_idx[_combinations(len(problem.dop_idx), problem.n_dop)]
    if not problem.shared:
        vac_rows = problem.vac_idx[_combinations(len(problem.vac_idx), problem.n_vac)]
        return np.concatenate(
            [np.repeat(dop_rows, len(vac_rows), axis=0), np.tile(vac_rows, (len(dop_rows), 1))],
            axis=1,
        )
    pick = _combinations(len(problem.vac_idx) - problem.n_dop, problem.n_vac)
    blocks = []
    for dop in dop_rows:
        free = np.setdiff1d(problem.vac_idx, dop)
        blocks.append(np.concatenate([np.tile(dop, (len(pick), 1)), free[pick]], axis=1))
    return np.concatenate(blocks, axis=0)


# --------------------------------------------------------------------------- annealing


_HOST, _DOPANT, _VACANCY = 0, 1, 2


class _Annealer:
    """Role swaps on the defect sites with O(1) energy changes; records every visited state."""

    def __init__(self, problem: _Problem, rng: np.random.Generator) -> None:
        self.p = problem
        self.rng = rng
        self.diag = np.diag(problem.matrix).copy()
        n = len(problem.q0)
        self.is_dop_site = np.zeros(n, bool)
        self.is_dop_site[problem.dop_idx] = True
        self.is_vac_site = np.zeros(n, bool)
        self.is_vac_site[problem.vac_idx] = True
        self.codes = np.unique(problem.labels.astype(str), return_inverse=True)[1]
        self.visited: dict[tuple[int, ...], None] = {}  # insertion-ordered set of states

    def _charge(self, role: int, site: int) -> float:
        if role == _DOPANT:
            return self.p.dopant_charge
        return 0.0 if role == _VACANCY else float(self.p.q0[site])

    def _record(self, role: np.ndarray) -> None:
        dop, vac = np.flatnonzero(role == _DOPANT), np.flatnonzero(role == _VACANCY)
        self.visited[(*dop.tolist(), *vac.tolist())] = None

    def _delta(self, q, v, role, i, j) -> tuple[float, float, float]:
        """Energy change of swapping the roles of sites i and j, and their new charges."""
        qi_new, qj_new = self._charge(role[j], i), self._charge(role[i], j)
        a, b = qi_new - q[i], qj_new - q[j]
        m, d = self.p.matrix, self.diag
        de = 2 * (a * v[i] + b * v[j]) + a * a * d[i] + b * b * d[j] + 2 * a * b * m[i, j]
        return de, qi_new, qj_new

    def _apply(self, q, v, role, i, j, qi_new, qj_new) -> None:
        a, b = qi_new - q[i], qj_new - q[j]
        v += a * self.p.matrix[:, i] + b * self.p.matrix[:, j]
        q[i], q[j] = qi_new, qj_new
        role[i], role[j] = role[j], role[i]

    def _moves(self, role: np.ndarray, i: int) -> np.ndarray:
        """Sites j whose role can be swapped with the defect on i (dopants keep their label)."""
        same_label = self.codes == self.codes[i]
        if role[i] == _DOPANT:
            mask = self.is_dop_site & same_label & (role != _DOPANT)
            if not self.is_vac_site[i]:  # a vacancy cannot move onto i
                mask &= role != _VACANCY
        else:
            mask = self.is_vac_site & (role != _VACANCY)
            # a dopant may move onto i only if i is a dopant site of its label
            mask &= (role != _DOPANT) | (same_label & self.is_dop_site[i])
        return np.flatnonzero(mask)

    def run(self, dop_labels: tuple[str, ...], n_steps: int) -> None:
        p, rng = self.p, self.rng
        role = np.zeros(len(p.q0), dtype=int)
        for label in sorted(set(dop_labels)):
            pool = p.dop_idx[p.labels[p.dop_idx] == label]
            role[rng.choice(pool, dop_labels.count(label), replace=False)] = _DOPANT
        free = p.vac_idx[role[p.vac_idx] == _HOST]
        role[rng.choice(free, p.n_vac, replace=False)] = _VACANCY
        q = np.array([self._charge(r, s) for s, r in enumerate(role)])
        v = p.matrix @ q
        self._record(role)

        # temperature from the spread of single-move energy changes at the random start
        sample = [
            abs(self._delta(q, v, role, i, j)[0])
            for i in np.flatnonzero(role != _HOST)
            for j in self._moves(role, i)[:20]
        ]
        t_start = float(np.median(sample)) if sample else 0.0
        if t_start <= 0:
            return
        t_end = 1e-3 * t_start
        defects = np.flatnonzero(role != _HOST)
        for step in range(n_steps):
            temp = t_start * (t_end / t_start) ** (step / max(n_steps - 1, 1))
            i = int(defects[rng.integers(len(defects))])
            js = self._moves(role, i)
            if not len(js):
                continue
            j = int(js[rng.integers(len(js))])
            de, qi_new, qj_new = self._delta(q, v, role, i, j)
            if de <= 0 or rng.random() < math.exp(-de / temp):
                self._apply(q, v, role, i, j, qi_new, qj_new)
                defects = np.flatnonzero(role != _HOST)
                self._record(role)
        self._descend(q, v, role)

    def _descend(self, q, v, role) -> None:
        """Steepest descent from the current state over all role swaps."""
        while True:
            best = (-1e-10, None)
            for i in np.flatnonzero(role != _HOST):
                for j in self._moves(role, i):
                    de, qi_new, qj_new = self._delta(q, v, role, i, j)
                    if de < best[0]:
                        best = (de, (int(i), int(j), qi_new, qj_new))
            if best[1] is None:
                return
            self._apply(q, v, role, *best[1])
            self._record(role)


def _label_combinations(problem: _Problem) -> list[tuple[str, ...]]:
    """Every sorted tuple of dopant labels that fits the candidate sites."""
    labels, counts = np.unique(problem.labels[problem.dop_idx], return_counts=True)
    available = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    combos = itertools.combinations_with_replacement(sorted(available), problem.n_dop)
    return [c for c in combos if all(c.count(lab) <= available[lab] for lab in set(c))]


def _anneal(problem: _Problem, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    annealer = _Annealer(problem, rng)
    for combo in _label_combinations(problem):
        for _ in range(DEFAULT_N_RESTARTS):
            annealer.run(combo, DEFAULT_N_STEPS)
    rows = np.array(list(annealer.visited), dtype=int)
    # energies recomputed from scratch (no drift from the incremental updates)
    return rows, problem.energies(rows)


# --------------------------------------------------------------------------- deduplication


def _site_permutations(host: Structure, tol: float = 0.05) -> np.ndarray:
    """Site permutations (rows) induced by the host's symmetry operations (tol in Angstrom)."""
    ops = SpacegroupAnalyzer(host, symprec=0.01).get_symmetry_operations(cartesian=False)
    frac = host.frac_coords
    species = np.array([site.specie.symbol for site in host])
    perms = []
    for op in ops:
        image = op.operate_multi(frac)
        diff = image[:, None, :] - frac[None, :, :]
        diff -= np.round(diff)
        dist = np.linalg.norm(diff @ host.lattice.matrix, axis=-1)
        perm = np.argmin(dist, axis=1)
        if (
            dist[np.arange(len(frac)), perm].max() < tol
            and len(np.unique(perm)) == len(frac)
            and (species[perm] == species).all()
        ):
            perms.append(perm)
    return np.array(perms, dtype=int).reshape(-1, len(host))


class _Deduplicator:
    """Keeps symmetry-distinct candidates, visited in ascending energy."""

    def __init__(self, problem: _Problem, substitution: Substitution) -> None:
        self.p = problem
        self.sub = substitution
        self.perms = _site_permutations(problem.host)
        self.dist = problem.host.distance_matrix
        self.matcher = StructureMatcher(attempt_supercell=False, primitive_cell=False, scale=False)
        self.seen: set[tuple] = set()
        self.kept: list[tuple[float, tuple, Structure]] = []  # energy, fingerprint, structure

    def _key(self, dop: np.ndarray, vac: np.ndarray) -> tuple:
        return (tuple(sorted(dop.tolist())), tuple(sorted(vac.tolist())))

    def _fingerprint(self, dop: np.ndarray, vac: np.ndarray) -> tuple:
        sites = np.concatenate([dop, vac])
        kinds = [0] * len(dop) + [1] * len(vac)
        pairs = sorted(
            (kinds[a] + kinds[b], round(float(self.dist[sites[a], sites[b]]), 3))
            for a, b in itertools.combinations(range(len(sites)), 2)
        )
        labels = self.p.labels
        return (tuple(sorted(labels[dop])), tuple(sorted(labels[vac])), tuple(pairs))

    def structure(self, dop: np.ndarray, vac: np.ndarray) -> Structure:
        host = self.p.host
        species = [site.specie.symbol for site in host]
        for i in dop:
            species[i] = self.sub.dopant
        keep = np.setdiff1d(np.arange(len(host)), vac)
        return Structure(
            host.lattice,
            [species[i] for i in keep],
            host.frac_coords[keep],
            labels=[host[i].label for i in keep],
        )

    def add(self, row: np.ndarray, energy: float) -> Structure | None:
        """The candidate's structure if it is new, None if equivalent to a kept one."""
        dop, vac = row[: self.p.n_dop], row[self.p.n_dop :]
        if self._key(dop, vac) in self.seen:
            return None
        fingerprint = self._fingerprint(dop, vac)
        structure = self.structure(dop, vac)
        near = itertools.takewhile(lambda k: energy - k[0] <= ENERGY_TOL, reversed(self.kept))
        duplicate = any(fp == fingerprint and self.matcher.fit(structure, s) for _, fp, s in near)
        self._mark(dop, vac)
        if duplicate:
            return None
        self.kept.append((energy, fingerprint, structure))
        return structure

    def _mark(self, dop: np.ndarray, vac: np.ndarray) -> None:
        for perm in self.perms:
            self.seen.add(self._key(perm[dop], perm[vac]))
        self.seen.add(self._key(dop, vac))


# --------------------------------------------------------------------------- public entry point


def doped_cells(
    host: Structure,
    oxidation_states: dict[str, float],
    substitution: Substitution,
    n_dopants: int = 1,
    sites: Sequence[str] | None = None,
    n: int = 30,
    max_atoms: int = 300,
    max_enumerated: int = 200_000,
    seed: int = 0,
    dopant_sites_in_separate_results: bool = True,
) -> list[DopedCell]:
    """The n lowest-Ewald, symmetry-distinct doped cells of an ORDERED host (its sites carry
    Wyckoff labels in site.label): n_dopants dopants on sites of `replaces` (restricted to the
    Wyckoff labels in `sites` if given, e.g. ["6g"] or ["6h"]; None = all), each with its
    compensating vacancies on sites of `vacancy_of` (any label).

    Args:
        host: ordered cell whose site labels are the parent Wyckoff labels.
        oxidation_states: element -> formal charge (e) of the host elements.
        substitution: the dopant, its charge and its compensating vacancies.
        n_dopants: dopants in the cell (each brings substitution.n_vacancies vacancies).
        sites: Wyckoff labels of `replaces` sites the dopants may take; None = all.
        n: number of lowest symmetry-distinct cells returned.
        max_atoms: largest host cell accepted (atoms).
        max_enumerated: score every candidate when there are at most this many, else anneal.
        seed: seed of the annealing search (unused when every candidate is enumerated).
        dopant_sites_in_separate_results: when True and `sites` is None, the lowest cell of each
            dopant-label combination (e.g. In on 6g, In on 6h; for n_dopants=2 also one on 6g and
            one on 6h) that is not among the n lowest is appended after them, so the workflow
            gets "the lowest cell with the dopant on each site" from one call.

    Returns the cells sorted by Ewald energy (eV, whole cell): the n lowest, then the appended
    per-label lowest ones (all at least as high as the n-th). Deterministic for a given seed.
    """
    _check_host(host, oxidation_states, max_atoms)
    substitution.check_charge_balance(oxidation_states)
    if n_dopants < 1:
        raise ValueError(
            f"n_dopants must be at least 1, got {n_dopants}; ask for one or more dopants."
        )
    dop_idx = _dopant_candidates(host, substitution, sites)
    shared = substitution.n_vacancies > 0 and substitution.vacancy_of == substitution.replaces
    vac_el = substitution.vacancy_of if substitution.n_vacancies else None
    vac_idx = np.array(
        [i for i, site in enumerate(host) if vac_el and site.specie.symbol == vac_el], dtype=int
    )
    n_vac = n_dopants * substitution.n_vacancies
    where = f" on {', '.join(sites)}" if sites is not None else ""
    if n_dopants > len(dop_idx):
        raise ValueError(
            f"{n_dopants} dopants do not fit on the {len(dop_idx)} {substitution.replaces} "
            f"sites{where} of the host; use fewer dopants or a larger host cell."
        )
    free = len(vac_idx) - (n_dopants if shared else 0)
    if n_vac > free:
        raise ValueError(
            f"{n_dopants} dopants need {n_vac} {vac_el} vacancies but only {free} {vac_el} sites "
            "are left; use fewer dopants or a larger host cell."
        )

    q0 = np.array([float(oxidation_states[site.specie.symbol]) for site in host])
    matrix = ewald_interaction_matrix(host)
    v0 = matrix @ q0
    problem = _Problem(
        host=host,
        labels=np.array([site.label for site in host], dtype=object),
        matrix=matrix,
        q0=q0,
        v0=v0,
        e0=float(q0 @ v0),
        dop_idx=dop_idx,
        vac_idx=vac_idx,
        n_dop=n_dopants,
        n_vac=n_vac,
        dopant_charge=float(substitution.dopant_charge),
        shared=shared,
    )
    if problem.n_candidates() <= max_enumerated:
        rows = _enumerate(problem)
        energies = problem.energies(rows)
    else:
        rows, energies = _anneal(problem, seed)

    order = np.argsort(energies, kind="stable")
    dedup = _Deduplicator(problem, substitution)
    cells: list[DopedCell] = []

    def cell(k: int, structure: Structure) -> DopedCell:
        dop, vac = rows[k][:n_dopants], rows[k][n_dopants:]
        return DopedCell(
            structure=structure,
            ewald_energy_ev=float(energies[k]),
            dopant_sites=tuple(sorted(problem.labels[dop])),
            vacancy_sites=tuple(sorted(problem.labels[vac])),
            n_dopants=n_dopants,
        )

    for k in order:
        if len(cells) >= n:
            break
        structure = dedup.add(rows[k], float(energies[k]))
        if structure is not None:
            cells.append(cell(k, structure))

    if dopant_sites_in_separate_results and sites is None:
        have = {c.dopant_sites for c in cells}
        missing = set(_label_combinations(problem)) - have
        for k in order:
            if not missing:
                break
            labels = tuple(sorted(problem.labels[rows[k][:n_dopants]]))
            if labels in missing:
                missing.discard(labels)
                cells.append(cell(k, dedup.structure(rows[k][:n_dopants], rows[k][n_dopants:])))
    return sorted(cells, key=lambda c: c.ewald_energy_ev)
