"""The structure library: published space groups, compositions, charge balance, ordering."""

import json

import pytest
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Composition
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.cli import main
from ssbscreen.structures.library import (
    UnknownPhaseError,
    get_record,
    is_charge_balanced,
    ordered_representative,
    phase_elements,
    phase_names,
    read_structure_file,
)

MISSION_PHASES = {
    "Li3InCl6": ("Li3InCl6", 12),
    "Li3YCl6": ("Li3YCl6", 164),
    "Li6PS5Cl": ("Li6PS5Cl", 216),
    "NCM811": ("LiNi0.8Co0.1Mn0.1O2", 166),
    "NCM85": ("LiNi0.85Co0.1Mn0.05O2", 166),
    "NCM90": ("LiNi0.9Co0.05Mn0.05O2", 166),
    "NCA": ("LiNi0.8Co0.15Al0.05O2", 166),
    "LiNiO2": ("LiNiO2", 166),
    "LiCoO2": ("LiCoO2", 166),
    "LiNbO3": ("LiNbO3", 161),
    "HfO2": ("HfO2", 14),
    "LiF": ("LiF", 225),
    "Li3PO4": ("Li3PO4", 31),
    "Li4Ti5O12": ("Li4Ti5O12", 227),
    "Li": ("Li", 229),
    "In": ("In", 139),
    "LiIn": ("LiIn", 227),
}
DISORDERED = {"Li3InCl6", "Li3YCl6", "Li6PS5Cl", "NCM811", "NCM85", "NCM90", "NCA", "Li4Ti5O12"}


def test_library_has_every_mission_phase():
    assert set(MISSION_PHASES) <= set(phase_names())


@pytest.mark.parametrize("name", sorted(MISSION_PHASES))
def test_published_space_group_and_composition(name):
    formula, number = MISSION_PHASES[name]
    record = get_record(name)
    assert record.spacegroup_number == number
    structure = record.structure()
    assert structure.composition.fractional_composition.almost_equals(
        Composition(formula).fractional_composition, atol=1e-4
    )
    assert record.is_ordered == (name not in DISORDERED)
    if record.is_ordered:
        assert SpacegroupAnalyzer(structure, symprec=0.01).get_space_group_number() == number


@pytest.mark.parametrize("name", sorted(DISORDERED))
def test_ordered_representative_is_exact_neutral_and_lowest_of_samples(name):
    record = get_record(name)
    ordered = ordered_representative(name, max_atoms=100)
    assert ordered.is_ordered
    assert len(ordered) <= 100
    assert ordered.composition.fractional_composition.almost_equals(
        Composition(record.formula).fractional_composition, atol=1e-9
    )
    charges = [record.oxidation_states[site.specie.symbol] for site in ordered]
    assert sum(charges) == pytest.approx(0.0, abs=1e-6)
    # keeps the parent's Wyckoff labels
    parent_labels = {site["wyckoff"] for site in record.sites}
    assert {site.label for site in ordered} <= parent_labels


def test_ordered_representative_energy_matches_pymatgen_ewald():
    """The ordering's Ewald energy is that of pymatgen's EwaldSummation on the result."""
    from ssbscreen.structures.ordering import lowest_ewald_ordering

    record = get_record("Li3InCl6")
    result = lowest_ewald_ordering(record.structure(), record.oxidation_states, max_atoms=100)
    decorated = result.structure.copy()
    decorated.add_oxidation_state_by_element(record.oxidation_states)
    assert EwaldSummation(decorated).total_energy == pytest.approx(result.ewald_energy_ev, abs=1e-6)


def test_charge_balance_check():
    assert is_charge_balanced(Composition("Li3InCl6"))
    assert is_charge_balanced(Composition("Li10Ni8CoMnO20"))  # mixed-valence Ni
    assert is_charge_balanced(Composition("LiIn"))  # intermetallic
    assert not is_charge_balanced(Composition("LiCl2"))
    assert not is_charge_balanced(Composition("Li3S"))


def test_unknown_phase_suggests_close_names():
    with pytest.raises(UnknownPhaseError, match="Li3InCl6"):
        get_record("Li3InCl")


def test_malformed_and_unbalanced_cif(tmp_path):
    bad = tmp_path / "broken.cif"
    bad.write_text("data_x\n_cell_length_a 5\nloop_\n_atom_site_label\n")
    with pytest.raises(ValueError, match=r"broken\.cif"):
        read_structure_file(bad)
    from pymatgen.core import Lattice, Structure

    unbalanced = Structure(
        Lattice.cubic(4), ["Li", "Cl", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5], [0, 0.5, 0.5]]
    )
    path = tmp_path / "licl2.cif"
    unbalanced.to(filename=str(path))
    with pytest.raises(ValueError, match="not charge balanced"):
        read_structure_file(path)


def test_cli_structures_show_json_and_cif(tmp_path, capsys):
    cif = tmp_path / "lic.cif"
    assert main(["structures", "show", "Li3InCl6", "--json", "--cif", str(cif)]) == 0
    info = json.loads(capsys.readouterr().out)
    for key in (
        "name",
        "formula",
        "spacegroup_symbol",
        "spacegroup_number",
        "is_ordered",
        "source",
    ):
        assert key in info
    assert info["spacegroup_number"] == 12 and info["is_ordered"] is False
    assert cif.read_text().startswith("# generated using pymatgen")


def test_cli_unknown_phase_exits_2(capsys):
    assert main(["structures", "show", "Li3InCl"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean" in err and err.count("\n") == 1


def test_li3ycl6_is_the_published_disordered_structure():
    """OBELiX ei3: Y on 1a and over two 2d sites, Li/vacancy on 6h and 6g, exact composition."""
    record = get_record("Li3YCl6")
    assert record.lattice["a"] == pytest.approx(11.2093, abs=1e-3)
    assert record.lattice["c"] == pytest.approx(6.0469, abs=1e-3)
    occupancy = {}
    for site in record.sites:
        for element, x in site["species"].items():
            occupancy.setdefault((element, site["wyckoff"]), []).append(x)
    assert occupancy[("Y", "1a")] == [1.0]
    assert sorted(occupancy[("Y", "2d")]) == pytest.approx([0.434, 0.566], abs=1e-3)
    assert occupancy[("Li", "6h")] == pytest.approx([0.875], abs=1e-3)
    assert occupancy[("Li", "6g")] == pytest.approx([0.625], abs=1e-3)
    cell = record.structure()
    assert cell.composition.almost_equals(Composition("Li9Y3Cl18"), atol=1e-4)
    assert "OBELiX" in record.source["database"] and "CC-BY-4.0" in record.source["note"]


def test_phase_elements_of_records_formulas_and_files():
    """A library phase's elements come from its record (NCA is not a formula), a reference
    formula's from itself, anything else has none."""
    assert phase_elements("NCA") == {"Li", "Ni", "Co", "Al", "O"}
    assert phase_elements("li3incl6") == {"Li", "In", "Cl"}
    assert phase_elements("Li2O2") == frozenset({"Li", "O"})
    assert phase_elements("interface.cif") == frozenset()
