"""Ewald-ordering of partially occupied cells: exact composition, neutrality, labels, energies."""

import itertools
import time

import numpy as np
import pytest
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Element, Lattice, Structure

from ssbscreen.structures.ordering import (
    OrderingResult,
    ewald_interaction_matrix,
    lowest_ewald_ordering,
    ordered_representative,
    supercell_for_integral_occupancy,
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
