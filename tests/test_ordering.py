"""Ewald-ordering of partially occupied cells: exact composition, neutrality, labels, energies."""

import dataclasses
import itertools
import time

import numpy as np
import pytest
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Element, Lattice, Structure

from ssbscreen.structures.ewald import ewald_energies
from ssbscreen.structures.ordering import (
    OrderingResult,
    OrderingSearch,
    ewald_interaction_matrix,
    lowest_ewald_ordering,
    lowest_orderings,
    ordered_representative,
    supercell_for_integral_occupancy,
)
from ssbscreen.structures.sublattices import (
    build_problem,
    build_problems,
    rounded_counts,
)

ROCKSALT_OX = {"Li": 1, "Mg": 2, "Cl": -1}
ARGYRODITE_OX = {"Li": 1, "P": 5, "S": -2, "Cl": -1}
NCA_OX = {"Li": 1, "Ni": 3, "Co": 3, "Al": 3, "O": -2}


def rocksalt_primitive() -> Structure:
    """Primitive rock-salt chloride, cation site Li 0.25 / Mg 0.375 / vacancy 0.375 (neutral)."""
    a = 5.13 / 2**0.5
    lattice = Lattice.from_parameters(a, a, a, 60, 60, 60)
    return Structure(
        lattice,
        [{"Li": 0.25, "Mg": 0.375}, "Cl"],
        [[0, 0, 0], [0.5, 0.5, 0.5]],
        labels=["4a", "4b"],
    )


def argyrodite() -> Structure:
    """Li6PS5Cl-type argyrodite (F-43m), Li half-occupying 48h; conventional cell, 52 atoms."""
    return Structure.from_spacegroup(
        "F-43m",
        Lattice.cubic(9.85),
        [{"Li": 0.5}, "P", "S", "S", "Cl"],
        [[0.1816, 0.1816, 0.0194], [0.5, 0.5, 0.5], [0.619, 0.619, 0.619], [0.25] * 3, [0, 0, 0]],
        labels=["48h", "4b", "16e", "4c", "4a"],
    )


def nca_like() -> Structure:
    """Layered LiMO2 (R-3m) with Ni/Co/Al (all 3+) sharing the 3b site."""
    return Structure.from_spacegroup(
        "R-3m",
        Lattice.hexagonal(2.87, 14.2),
        ["Li", {"Ni": 0.5, "Co": 0.25, "Al": 0.25}, "O"],
        [[0, 0, 0], [0, 0, 0.5], [0, 0, 0.25]],
        labels=["3a", "3b", "6c"],
    )


def ordered_with(structure: Structure, species: list[str | None]) -> Structure:
    """Ordered copy of `structure` with one element (or None = vacancy) per site."""
    keep = [k for k, sp in enumerate(species) if sp is not None]
    return Structure(
        structure.lattice,
        [species[k] for k in keep],
        structure.frac_coords[keep],
        labels=[structure[k].label for k in keep],
    )


def ewald_energy(structure: Structure, oxidation_states: dict, eta=None) -> float:
    decorated = structure.copy()
    decorated.add_oxidation_state_by_element(oxidation_states)
    return EwaldSummation(decorated, eta=eta).total_energy


def check_ordered(result: OrderingResult, disordered: Structure, oxidation_states: dict) -> None:
    """Exact composition, ordered, labels kept, neutral, energy equal to pymatgen's Ewald sum."""
    ordered = result.structure
    n_cells = int(np.prod(result.supercell))
    assert ordered.is_ordered
    expected = disordered.composition * n_cells
    assert ordered.composition.almost_equals(expected, atol=1e-8), ordered.composition
    assert all(float(amount).is_integer() for amount in ordered.composition.values()), (
        "non-integer counts"
    )
    charge = sum(oxidation_states[el.symbol] * n for el, n in ordered.composition.items())
    assert abs(charge) < 1e-8
    assert all(isinstance(sp, Element) for sp in ordered.species)  # no oxidation states
    # every atom sits on a site of the parent with the same element and Wyckoff label
    allowed = {(el.symbol, site.label) for site in disordered for el in site.species.elements}
    assert {(site.specie.symbol, site.label) for site in ordered} <= allowed
    assert abs(result.ewald_energy_ev - ewald_energy(ordered, oxidation_states)) < 1e-6


# ------------------------------------------------------------------------------- Ewald matrix


def test_quadratic_form_equals_pymatgen_ewald_sum():
    cell = rocksalt_primitive() * (2, 2, 2)  # 8 cation sites: Li 2, Mg 3, vacancy 3
    eta = 0.25
    matrix = ewald_interaction_matrix(cell, eta=eta)
    assert matrix.shape == (16, 16)
    assert np.allclose(matrix, matrix.T)
    cations = [k for k, site in enumerate(cell) if site.label.startswith("4a")]
    rng = np.random.default_rng(7)
    for _ in range(4):
        occupants = list(rng.permutation(["Li"] * 2 + ["Mg"] * 3 + [None] * 3))
        species = ["Cl"] * len(cell)
        for k, sp in zip(cations, occupants, strict=True):
            species[k] = sp
        q = np.array([0.0 if sp is None else ROCKSALT_OX[sp] for sp in species])
        assert abs(q.sum()) < 1e-12
        ordered = ordered_with(cell, species)
        assert abs(q @ matrix @ q - ewald_energy(ordered, ROCKSALT_OX, eta=eta)) < 1e-8
        # with default screening parameters (different for the two cells) only the
        # convergence error of the sums remains
        q_default = q @ ewald_interaction_matrix(cell) @ q
        assert abs(q_default - ewald_energy(ordered, ROCKSALT_OX)) < 1e-6


# ------------------------------------------------------------------------------- supercells


def test_supercell_is_smallest_and_most_isotropic():
    assert supercell_for_integral_occupancy(rocksalt_primitive(), 100) == (2, 2, 2)
    conventional = rocksalt_primitive().to_conventional()
    assert supercell_for_integral_occupancy(conventional, 100) == (1, 1, 2)
    assert supercell_for_integral_occupancy(argyrodite(), 100) == (1, 1, 1)
    assert supercell_for_integral_occupancy(nca_like(), 100) == (2, 2, 1)


def test_supercell_error_names_formula_atoms_and_fix():
    with pytest.raises(ValueError, match=r"Li0.25Mg0.375Cl1.*13 atoms.*raise max_atoms") as err:
        supercell_for_integral_occupancy(rocksalt_primitive(), max_atoms=10)
    message = str(err.value)
    assert message.endswith(".") and ". " not in message  # one sentence
    with pytest.raises(ValueError, match="raise max_atoms"):
        ordered_representative(rocksalt_primitive(), ROCKSALT_OX, max_atoms=10)


def test_bad_oxidation_states_are_rejected():
    with pytest.raises(ValueError, match="net charge"):
        lowest_ewald_ordering(rocksalt_primitive(), {"Li": 1, "Mg": 3, "Cl": -1})
    with pytest.raises(ValueError, match="No oxidation state given for Mg"):
        lowest_ewald_ordering(rocksalt_primitive(), {"Li": 1, "Cl": -1})


# ------------------------------------------------------------------------------- searches


def brute_force_minimum(structure: Structure, mult, oxidation_states) -> float:
    """Lowest Ewald energy over every arrangement of the cation multiset (independent code)."""
    cell = structure * mult
    unit = Structure(
        cell.lattice,
        ["H"] * len(cell),
        cell.frac_coords,
        site_properties={"charge": [1.0] * len(cell)},
    )
    matrix = EwaldSummation(unit).total_energy_matrix
    cations = [k for k, site in enumerate(cell) if site.label.startswith("4a")]
    q = np.array([-1.0] * len(cell))
    best = np.inf
    for arrangement in set(itertools.permutations([1.0] * 2 + [2.0] * 3 + [0.0] * 3)):
        q[cations] = arrangement
        best = min(best, q @ matrix @ q)
    return best


def test_exhaustive_search_finds_brute_force_minimum():
    structure = rocksalt_primitive()
    result = lowest_ewald_ordering(structure, ROCKSALT_OX)
    assert result.exhaustive
    assert result.n_evaluated == 560  # 8! / (2! 3! 3!)
    assert result.supercell == (2, 2, 2)
    check_ordered(result, structure, ROCKSALT_OX)
    truth = brute_force_minimum(structure, (2, 2, 2), ROCKSALT_OX)
    assert abs(result.ewald_energy_ev - truth) < 1e-6
    # the annealing path finds it too
    annealed = lowest_ewald_ordering(structure, ROCKSALT_OX, max_enumerated=0, n_sweeps=200)
    assert not annealed.exhaustive
    assert annealed.n_evaluated > 0
    assert abs(annealed.ewald_energy_ev - truth) < 1e-6
    check_ordered(annealed, structure, ROCKSALT_OX)


def test_argyrodite_is_ordered_fast_and_below_random_assignments():
    structure = argyrodite()
    assert len(structure) == 76
    start = time.perf_counter()
    result = lowest_ewald_ordering(structure, ARGYRODITE_OX, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, f"ordering Li6PS5Cl took {elapsed:.1f} s"
    assert not result.exhaustive
    assert result.supercell == (1, 1, 1)
    assert len(result.structure) == 52
    assert result.structure.composition.reduced_formula == "Li6PS5Cl"
    check_ordered(result, structure, ARGYRODITE_OX)
    assert {site.label for site in result.structure if site.specie.symbol == "Li"} == {"48h"}
    # no Li pair on the short (1.9 A) 48h-48h distance
    li = [k for k, site in enumerate(result.structure) if site.specie.symbol == "Li"]
    dist = result.structure.distance_matrix[np.ix_(li, li)] + 10 * np.eye(len(li))
    assert dist.min() > 2.0

    matrix = ewald_interaction_matrix(structure)
    q = np.array([ARGYRODITE_OX[site.species.elements[0].symbol] for site in structure], float)
    sites_48h = [k for k, site in enumerate(structure) if site.label == "48h"]
    rng = np.random.default_rng(1)
    for _ in range(50):
        q[sites_48h] = rng.permutation([1.0] * 24 + [0.0] * 24)
        assert result.ewald_energy_ev <= q @ matrix @ q + 1e-9


def test_same_seed_gives_same_structure():
    kwargs = {"seed": 3, "n_sweeps": 100, "n_restarts": 1}
    first = lowest_ewald_ordering(argyrodite(), ARGYRODITE_OX, **kwargs)
    second = lowest_ewald_ordering(argyrodite(), ARGYRODITE_OX, **kwargs)
    assert first.ewald_energy_ev == second.ewald_energy_ev
    assert first.n_evaluated == second.n_evaluated
    assert first.structure == second.structure
    assert [s.label for s in first.structure] == [s.label for s in second.structure]


def test_equal_charge_species_are_spread_deterministically():
    structure = nca_like()
    result = lowest_ewald_ordering(structure, NCA_OX)
    assert result.exhaustive  # one charge arrangement: every 3b site holds a 3+ ion
    check_ordered(result, structure, NCA_OX)
    ordered = result.structure
    assert ordered.composition.as_dict() == {"Li": 12, "Ni": 6, "Co": 3, "Al": 3, "O": 24}
    for element in ("Al", "Co"):
        idx = [k for k, site in enumerate(ordered) if site.specie.symbol == element]
        dist = ordered.distance_matrix[np.ix_(idx, idx)] + 100 * np.eye(len(idx))
        assert dist.min() > 5.0, f"{element} clustered"
    again = ordered_representative(structure, NCA_OX)
    assert again == ordered


# ------------------------------------------------------------------------------- N lowest


def li3ycl6():
    from ssbscreen.structures.library import get_record

    record = get_record("Li3YCl6")
    return record.structure(), record.oxidation_states


def check_search(search: OrderingSearch, disordered: Structure, oxidation_states: dict) -> None:
    """Every ordering exact, neutral, labelled; energies exact and sorted; pairwise distinct."""
    energies = [o.ewald_energy_ev for o in search.orderings]
    assert energies == sorted(energies)
    for ordering in search.orderings:
        result = OrderingResult(ordering.structure, ordering.ewald_energy_ev, 1, True, (1, 1, 1))
        check_ordered(
            dataclasses.replace(result, supercell=search.supercell), disordered, oxidation_states
        )
    matcher = StructureMatcher(attempt_supercell=False)
    for a, b in itertools.combinations(search.orderings, 2):
        assert not matcher.fit(a.structure, b.structure)


def test_ewald_energies_batch_equals_pymatgen_on_sample():
    structure, ox = li3ycl6()
    problem = build_problem(structure, ox, 200, supercell=(1, 1, 2))
    eta = 0.1
    matrix = ewald_interaction_matrix(problem.supercell, eta=eta)
    rng = np.random.default_rng(0)
    rows = np.tile(problem.q_fixed, (5, 1))
    for row in rows:
        for group in problem.groups:
            row[group.indices] = rng.permutation(group.charge_multiset())
    fast = ewald_energies(matrix, rows)
    assert fast.shape == (5,)
    for row, energy in zip(rows, fast, strict=True):
        species = list(problem.fixed_species)
        for group in problem.groups:
            element = next(sp for sp in group.counts if sp != "vacancy")
            for k in group.indices:
                species[k] = element if row[k] else None
        ordered = ordered_with(problem.supercell, species)
        assert len(ordered) == 60
        assert abs(energy - ewald_energy(ordered, ox, eta=eta)) < 1e-8
        assert abs(energy - ewald_energies(matrix, row)[0]) < 1e-9
    with pytest.raises(ValueError, match="one row of 70 charges"):
        ewald_energies(matrix, rows[:, :10])


def test_lowest_orderings_exhaustive_equals_brute_force():
    structure = rocksalt_primitive()
    search = lowest_orderings(structure, ROCKSALT_OX, n=1000)
    assert search.exhaustive
    assert search.n_total == search.n_evaluated == 560  # 8! / (2! 3! 3!)
    assert search.supercell == (2, 2, 2)
    assert len(search.orderings) == 7  # every symmetry-distinct ordering, fewer than n
    check_search(search, structure, ROCKSALT_OX)

    # brute force over every arrangement (independent code): same energy levels, same minimum
    cell = structure * (2, 2, 2)
    matrix = ewald_interaction_matrix(cell)
    cations = [k for k, site in enumerate(cell) if site.label.startswith("4a")]
    arrangements = np.array(sorted(set(itertools.permutations([1.0] * 2 + [2.0] * 3 + [0.0] * 3))))
    assert len(arrangements) == 560
    charges = np.full((560, len(cell)), -1.0)
    charges[:, cations] = arrangements
    brute = np.einsum("ki,ij,kj->k", charges, matrix, charges)
    levels = np.unique(np.round(brute, 6))
    assert np.allclose(
        np.unique(np.round([o.ewald_energy_ev for o in search.orderings], 6)), levels
    )
    assert abs(search.orderings[0].ewald_energy_ev - brute.min()) < 1e-8
    # completeness on a sample: each brute-force ordering is one of the returned ones
    matcher = StructureMatcher(attempt_supercell=False)
    for k in np.random.default_rng(0).choice(560, size=12, replace=False):
        species = ["Cl"] * len(cell)
        for site, q in zip(cations, arrangements[k], strict=True):
            species[site] = {1.0: "Li", 2.0: "Mg", 0.0: None}[q]
        ordered = ordered_with(cell, species)
        assert any(
            abs(o.ewald_energy_ev - brute[k]) < 1e-6 and matcher.fit(o.structure, ordered)
            for o in search.orderings
        )
    # the n lowest are the head of the full list; the annealing path finds the same orderings
    head = lowest_orderings(structure, ROCKSALT_OX, n=3)
    assert [o.ewald_energy_ev for o in head.orderings] == [
        o.ewald_energy_ev for o in search.orderings[:3]
    ]
    annealed = lowest_orderings(structure, ROCKSALT_OX, n=1000, max_enumerated=0, n_restarts=2)
    assert not annealed.exhaustive and annealed.n_total == 560 and annealed.n_evaluated > 0
    assert np.allclose(
        [o.ewald_energy_ev for o in annealed.orderings],
        [o.ewald_energy_ev for o in search.orderings],
    )


def test_lowest_orderings_in_explicit_supercell():
    """The published Li3YCl6 (Li/vacancy on 6h and 6g, Y/vacancy on two 2d sites) in the study's
    1x1x2 cell: occupancies rounded to the cell (named), every assignment scored, orderings
    exact, neutral and distinct, the lowest the brute-force minimum."""
    structure, ox = li3ycl6()
    search = lowest_orderings(structure, ox, n=5, supercell=(1, 1, 2), max_enumerated=400_000)
    assert search.supercell == (1, 1, 2)
    # C(4,2) C(4,2) on the two 2d sites, 11 of 12 on 6h, 7 of 12 on 6g
    assert search.exhaustive and search.n_evaluated == search.n_total == 6 * 6 * 12 * 792
    assert sorted(search.occupancy_changes) == [
        "2d Y0.43408 -> Y0.5",
        "2d Y0.56592 -> Y0.5",
        "6g Li0.62462 -> Li0.58333",
        "6h Li0.87538 -> Li0.91667",
    ]
    assert len(search.orderings) == 5
    for ordering in search.orderings:
        cell = ordering.structure
        assert cell.composition.as_dict() == {"Li": 18, "Y": 6, "Cl": 36}
        labels = [(site.specie.symbol, site.label) for site in cell]
        assert labels.count(("Li", "6h")) == 11 and labels.count(("Li", "6g")) == 7
        assert labels.count(("Y", "2d")) == 4 and labels.count(("Y", "1a")) == 2
    check_search(search, structure, ox)
    (problem,) = build_problems(structure, ox, 200, supercell=(1, 1, 2))
    enumeration = problem.n_assignments()
    assert enumeration == search.n_total
    rows = []
    y_a, y_b = [g for g in problem.groups if g.label == "2d"]
    li_h = next(g for g in problem.groups if g.label == "6h")
    li_g = next(g for g in problem.groups if g.label == "6g")
    variable = np.concatenate([y_a.indices, y_b.indices, li_h.indices, li_g.indices])
    for ya in itertools.combinations(y_a.indices, 2):
        for yb in itertools.combinations(y_b.indices, 2):
            for lh in itertools.combinations(li_h.indices, 11):
                base = problem.q_fixed.copy()
                base[variable] = 0.0
                base[list(ya) + list(yb)] = 3.0
                base[list(lh)] = 1.0
                for lg in itertools.combinations(li_g.indices, 7):
                    row = base.copy()
                    row[list(lg)] = 1.0
                    rows.append(row)
    assert len(rows) == enumeration
    brute = ewald_energies(problem.matrix, np.array(rows))
    assert abs(search.orderings[0].ewald_energy_ev - brute.min()) < 1e-8


def test_lowest_orderings_rejects_bad_supercells():
    with pytest.raises(ValueError, match=r"non-integer.*supercell=None") as err:
        lowest_orderings(rocksalt_primitive(), ROCKSALT_OX, supercell=(1, 1, 2))
    message = str(err.value)
    assert message.endswith(".") and ". " not in message  # one sentence
    with pytest.raises(ValueError, match=r"13 atoms.*raise max_atoms"):
        lowest_orderings(rocksalt_primitive(), ROCKSALT_OX, supercell=(2, 2, 2), max_atoms=10)
    with pytest.raises(ValueError, match=r"13 atoms.*raise max_atoms"):
        lowest_orderings(rocksalt_primitive(), ROCKSALT_OX, max_atoms=10)


def test_lowest_orderings_by_annealing_on_argyrodite():
    structure = argyrodite()
    search = lowest_orderings(structure, ARGYRODITE_OX, n=4, n_restarts=6, n_sweeps=100)
    assert not search.exhaustive
    assert search.n_total == 32247603683100  # C(48, 24)
    assert search.n_evaluated > 10_000
    assert len(search.orderings) == 4
    check_search(search, structure, ARGYRODITE_OX)
    again = lowest_orderings(structure, ARGYRODITE_OX, n=4, n_restarts=6, n_sweeps=100)
    assert [o.structure for o in again.orderings] == [o.structure for o in search.orderings]


def test_tied_roundings_are_all_searched():
    """Li 0.75 / 0.25 on two groups of 2 sites in one cell: 1.5 and 0.5 Li round to (2, 0) or
    (1, 1) Li; both roundings are ordered and ranked together."""
    lattice = Lattice.cubic(5.13)
    structure = Structure(
        lattice,
        [{"Li": 0.75}, {"Li": 0.75}, {"Li": 0.25}, {"Li": 0.25}, "Cl", "Cl"],
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5], [0.5, 0.5, 0.5], [0, 0, 0.5]],
        labels=["a", "a", "b", "b", "c", "c"],
    )
    groups = {("a", (("Li", 0.75),)): [0, 1], ("b", (("Li", 0.25),)): [2, 3]}
    counts, deviation = rounded_counts(groups, 1)
    assert deviation == pytest.approx(0.5)
    assert sorted(sorted(c["Li"] for c in r.values()) for r in counts) == [[0, 2], [1, 1]]
    problems = build_problems(structure, {"Li": 1, "Cl": -1}, 20, supercell=(1, 1, 1))
    assert len(problems) == 2
    search = lowest_orderings(structure, {"Li": 1, "Cl": -1}, n=10, supercell=(1, 1, 1))
    energies = [o.ewald_energy_ev for o in search.orderings]
    assert energies == sorted(energies)
    assert search.n_total == sum(p.n_assignments() for p in problems)
    assert all(o.structure.composition.as_dict() == {"Li": 2, "Cl": 2} for o in search.orderings)
