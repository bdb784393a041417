"""Every shipped crystal record is well formed, charge balanced and in its space group."""

import pytest
from pymatgen.core import Composition
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.structures.records import load_records

RECORDS = [rec for set_name in ("library", "references") for rec in load_records(set_name).values()]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_record_builds_with_its_composition_and_charge_balance(record):
    structure = record.structure()
    assert structure.composition.fractional_composition.almost_equals(
        Composition(record.formula).fractional_composition, atol=1e-4
    ), f"{record.name}: cell {structure.composition.formula} != formula {record.formula}"
    assert abs(record.charge()) < 1e-6, f"{record.name} is not charge balanced"
    assert set(record.oxidation_states) == {str(el) for el in structure.composition.elements}
    assert record.source.get("reference"), f"{record.name} has no source"
    # no two atoms on top of each other (site-duplication or wrong setting)
    if len(structure) > 1:
        dist = structure.distance_matrix + 10 * __import__("numpy").eye(len(structure))
        assert dist.min() > 0.7, f"{record.name}: atoms closer than 0.7 A ({dist.min():.2f})"


@pytest.mark.parametrize("record", [r for r in RECORDS if r.is_ordered], ids=lambda r: r.name)
def test_ordered_record_has_published_space_group(record):
    structure = record.structure()
    number = SpacegroupAnalyzer(structure, symprec=0.01).get_space_group_number()
    assert number == record.spacegroup_number, f"{record.name}: found {number}"
