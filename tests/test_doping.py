"""Aliovalent doping: grammar, composition, neutrality, labels, Ewald ranking, errors."""

import itertools
from collections import Counter

import numpy as np
import pytest
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Structure

from ssbscreen.structures.doping import DopedCell, doped_cells
from ssbscreen.structures.library import bulk_structure, ordered_representative
from ssbscreen.structures.ordering import ewald_interaction_matrix
from ssbscreen.structures.substitution import Substitution

OX = {"Li": 1, "Y": 3, "Cl": -1}
IN = Substitution("In", 3, "Li", "Li", 2)


@pytest.fixture(scope="module")
def host() -> Structure:
    """Ordered Li3YCl6 cell (30 atoms): Li on 6h (5 of 6 sites) and 6g (4 of 6 sites), the
    published 0.875 and 0.625 rounded to one cell."""
    structure = ordered_representative("Li3YCl6", 100)
    labels = Counter((site.specie.symbol, site.label) for site in structure)
    assert labels[("Li", "6h")] == 5 and labels[("Li", "6g")] == 4
    return structure


@pytest.fixture(scope="module")
def in_cells(host) -> list[DopedCell]:
    return doped_cells(host, OX, IN, n=1000)


def decorated(cell: DopedCell, oxidation_states: dict[str, float]) -> Structure:
    structure = cell.structure.copy()
    structure.add_oxidation_state_by_element(oxidation_states)
    return structure


# --------------------------------------------------------------------------- Substitution


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3Li->In", Substitution("In", 3, "Li", "Li", 2)),
        ("2Li->Mg", Substitution("Mg", 2, "Li", "Li", 1)),
        ("Y->Zr+VLi", Substitution("Zr", 4, "Y", "Li", 1)),
        ("Y->Zr4++VLi", Substitution("Zr", 4, "Y", "Li", 1)),
        ("Y → Zr + 2V_Li", Substitution("Zr", 4, "Y", "Li", 2)),
        ("Li->Mg2++VLi", Substitution("Mg", 2, "Li", "Li", 1)),
        ("Li->Na+", Substitution("Na", 1, "Li")),
        ("Y->In", Substitution("In", 3, "Y")),
        ("Cl->O2-", Substitution("O", -2, "Cl")),
    ],
)
def test_parse(text, expected):
    parsed = Substitution.parse(text)
    assert parsed == expected
    assert Substitution.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("LiIn", "write it as"),
        ("2Li->Xx", "not an element symbol"),
        ("Li->Br", "give the dopant charge explicitly"),
        ("2Li->In+VY", "only one compensating species"),
    ],
)
def test_parse_errors(text, match):
    with pytest.raises(ValueError, match=match):
        Substitution.parse(text)


def test_charge_balance():
    for text in ("3Li->In", "2Li->Mg", "Y->Zr+VLi", "Y->In", "2Cl->O2-"):
        Substitution.parse(text).check_charge_balance(OX)
    with pytest.raises(ValueError, match=r"use 2 Li vacancies per dopant \('3Li->In3\+'\)"):
        Substitution.parse("2Li->In").check_charge_balance(OX)
    with pytest.raises(ValueError, match=r"use 1 Li vacancy per dopant \('Y->Zr4\+\+VLi'\)"):
        Substitution.parse("Y->Zr").check_charge_balance(OX)
    with pytest.raises(ValueError, match="interstitials"):
        Substitution("Li", 1, "Y").check_charge_balance({"Li": 1, "Y": 3})
    with pytest.raises(ValueError, match="add it to oxidation_states"):
        Substitution.parse("Y->Zr+VLi").check_charge_balance({"Y": 3})
    with pytest.raises(ValueError, match="vacancy_of"):
        Substitution("Zr", 4, "Y", None, 1)


# --------------------------------------------------------------------------- doped cells


def test_composition_neutrality_and_labels(host, in_cells):
    expected = host.composition - Composition("Li3") + Composition("In")
    for cell in in_cells:
        s = cell.structure
        assert s.is_ordered and cell.n_dopants == 1
        assert s.composition == expected
        charges = {**OX, "In": IN.dopant_charge}
        assert abs(sum(charges[site.specie.symbol] for site in s)) < 1e-9
        assert cell.dopant_sites == tuple(site.label for site in s if site.specie.symbol == "In")
        assert len(cell.vacancy_sites) == 2 and set(cell.vacancy_sites) <= {"6g", "6h"}
    energies = [c.ewald_energy_ev for c in in_cells]
    assert energies == sorted(energies)


def test_vacancy_labels_match_emptied_sites(host, in_cells):
    cell = in_cells[0]
    kept = {tuple(np.round(site.frac_coords, 6)) for site in cell.structure}
    emptied = [site.label for site in host if tuple(np.round(site.frac_coords, 6)) not in kept]
    assert tuple(sorted(emptied)) == cell.vacancy_sites


def test_ewald_energy_matches_pymatgen(in_cells):
    sample = [*in_cells[:3], in_cells[-1]]
    for cell in sample:
        reference = EwaldSummation(decorated(cell, {**OX, "In": 3})).total_energy
        assert cell.ewald_energy_ev == pytest.approx(reference, abs=1e-6)


def test_all_distinct_energies_found_without_duplicates(host, in_cells):
    """Brute force: every energy level of the 9 x C(8, 2) candidates appears, none twice as the
    same structure."""
    matrix = ewald_interaction_matrix(host)
    q0 = np.array([OX[site.specie.symbol] for site in host], dtype=float)
    li = [i for i, site in enumerate(host) if site.specie.symbol == "Li"]
    levels = set()
    for d in li:
        for vacancies in itertools.combinations([i for i in li if i != d], 2):
            q = q0.copy()
            q[d] = 3
            q[list(vacancies)] = 0
            levels.add(round(float(q @ matrix @ q), 5))
    assert {round(c.ewald_energy_ev, 5) for c in in_cells} == levels
    matcher = StructureMatcher(attempt_supercell=False)
    for a, b in itertools.combinations(in_cells, 2):
        if abs(a.ewald_energy_ev - b.ewald_energy_ev) < 1e-6:
            assert not matcher.fit(a.structure, b.structure)


def test_sites_restriction(host):
    for label in ("6g", "6h"):
        cells = doped_cells(host, OX, IN, sites=[label], n=5)
        assert cells and all(c.dopant_sites == (label,) for c in cells)


def test_lowest_cell_for_each_dopant_site_is_appended(host):
    cells = doped_cells(host, OX, IN, n=1)
    assert [c.dopant_sites for c in cells] == [("6h",), ("6g",)]
    lowest_6g = doped_cells(host, OX, IN, sites=["6g"], n=1)[0]
    assert cells[1].ewald_energy_ev == pytest.approx(lowest_6g.ewald_energy_ev, abs=1e-9)
    only_n = doped_cells(host, OX, IN, n=1, dopant_sites_in_separate_results=False)
    assert len(only_n) == 1


def test_zr_on_y_with_li_vacancy_two_dopants(host):
    sub = Substitution.parse("Y->Zr+VLi")
    cells = doped_cells(host, OX, sub, n_dopants=2, n=5)
    expected = host.composition - Composition("Y2Li2") + Composition("Zr2")
    combos = {c.dopant_sites for c in cells}
    assert combos == {("1a", "2d"), ("2d", "2d")}  # one 1a site: (1a, 1a) cannot occur
    for cell in cells:
        assert cell.structure.composition == expected and cell.n_dopants == 2
        assert len(cell.vacancy_sites) == 2
        reference = EwaldSummation(decorated(cell, {**OX, "Zr": 4})).total_energy
        assert cell.ewald_energy_ev == pytest.approx(reference, abs=1e-6)


def test_annealing_matches_enumeration(host):
    """Forcing the seeded search (max_enumerated tiny) finds the same lowest cells."""
    sub = Substitution.parse("2Li->Mg")
    enumerated = doped_cells(host, OX, sub, n_dopants=2, n=5)
    annealed = doped_cells(host, OX, sub, n_dopants=2, n=5, max_enumerated=10, seed=1)
    assert [round(c.ewald_energy_ev, 6) for c in annealed] == [
        round(c.ewald_energy_ev, 6) for c in enumerated
    ]
    expected = host.composition - Composition("Li4") + Composition("Mg2")
    assert all(c.structure.composition == expected for c in annealed)


# --------------------------------------------------------------------------- errors


def test_errors(host):
    with pytest.raises(ValueError, match=r"'3Li->In3\+'"):
        doped_cells(host, OX, Substitution.parse("2Li->In"))
    with pytest.raises(
        ValueError, match="no site labelled '8c'; its labels are 1a, 2d, 6g, 6h, 6i"
    ):
        doped_cells(host, OX, IN, sites=["8c"])
    with pytest.raises(ValueError, match="'6i' hold Cl, not Li; choose among the Li labels 6g, 6h"):
        doped_cells(host, OX, IN, sites=["6i"])
    with pytest.raises(ValueError, match="5 dopants do not fit on the 4 Li sites on 6g"):
        doped_cells(host, OX, IN, n_dopants=5, sites=["6g"])
    with pytest.raises(ValueError, match="need 8 Li vacancies but only 5 Li sites are left"):
        doped_cells(host, OX, IN, n_dopants=4)
    with pytest.raises(ValueError, match="raise max_atoms to at least 30"):
        doped_cells(host, OX, IN, max_atoms=20)
    with pytest.raises(ValueError, match="order it first"):
        doped_cells(bulk_structure("Li3YCl6"), OX, IN)
    with pytest.raises(ValueError, match="No oxidation state given for Cl"):
        doped_cells(host, {"Li": 1, "Y": 3}, IN)
    with pytest.raises(ValueError, match="net charge"):
        doped_cells(host, {"Li": 1, "Y": 3, "Cl": -2}, IN)
    with pytest.raises(ValueError, match="no Mg to replace"):
        doped_cells(host, {**OX, "Mg": 2}, Substitution("Zn", 2, "Mg"))
    with pytest.raises(ValueError, match="n_dopants must be at least 1"):
        doped_cells(host, OX, IN, n_dopants=0)
