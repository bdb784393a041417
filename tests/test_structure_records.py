"""Every shipped crystal record is well formed, charge balanced and in its space group."""

import json

import pytest
from pymatgen.core import Composition
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.structures.records import (
    UNTRACED,
    RecordError,
    has_locator,
    load_records,
    read_records,
    record_from_cif,
)

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


# ------------------------------------------------------------------ provenance and bad records


# Phases for which no public structure file could be read anywhere (each says what was
# searched); the list only ever shrinks.
FLAGGED = {
    "CoCl2",
    "CoSO4",
    "InCl3",
    "Li2NiO2",
    "LiAlO2",
    "LiCoPO4",
    "LiNiPO4",
    "LiYF4",
    "NbS2",
    "NiO2",
    "NiSO4",
    "Y2Ti2O7",
}


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_record_names_a_locator_or_is_a_listed_flagged_one(record):
    assert not UNTRACED.search(json.dumps(record.source)), f"{record.name} says it was recalled"
    note = record.source.get("note")  # what differs from the file, if anything
    assert isinstance(note, str) and note.strip(), f"{record.name} has no note"
    if record.name in FLAGGED:
        assert not has_locator(record.source) and "Searched" in record.untraced
    else:
        assert has_locator(record.source), f"{record.name}: no file, url or database + doi"


def test_every_library_phase_is_traced():
    assert not FLAGGED & set(load_records("library"))


GOOD = {
    "name": "LiCl",
    "formula": "LiCl",
    "spacegroup_symbol": "Fm-3m",
    "spacegroup_number": 225,
    "lattice": {"a": 5.13, "b": 5.13, "c": 5.13, "alpha": 90, "beta": 90, "gamma": 90},
    "sites": [
        {"wyckoff": "4a", "species": {"Li": 1.0}, "coords": [0, 0, 0]},
        {"wyckoff": "4b", "species": {"Cl": 1.0}, "coords": [0.5, 0.5, 0.5]},
    ],
    "oxidation_states": {"Li": 1, "Cl": -1},
    "source": {"reference": "a paper", "database": "COD 0000000", "doi": "10.0/x", "note": ""},
}


def _folder_with(tmp_path, **changes):
    record = json.loads(json.dumps(GOOD)) | changes
    (tmp_path / "LiCl.json").write_text(json.dumps(record))
    return tmp_path


def test_a_good_record_loads(tmp_path):
    assert list(read_records(_folder_with(tmp_path))) == ["LiCl"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": {"reference": "a paper", "note": ""}}, "does not say where its numbers"),
        ({"source": GOOD["source"] | {"note": "coordinates recalled"}}, "not read from"),
        ({"formula": "Li2Cl"}, "net charge"),
        ({"formula": "LiCl2", "oxidation_states": {"Li": 2, "Cl": -1}}, "give Li4 Cl4, not"),
        (
            {
                "sites": [
                    {"wyckoff": "4a", "species": {"Li": 0.5}, "coords": [0, 0, 0]},
                    {"wyckoff": "4b", "species": {"Cl": 1.0}, "coords": [0.5, 0.5, 0.5]},
                ]
            },
            "not LiCl",
        ),
    ],
    ids=["no-locator", "flagged", "not-neutral", "composition", "partial-occupancy"],
)
def test_a_bad_record_is_refused_in_one_sentence_naming_it(tmp_path, changes, message):
    with pytest.raises(RecordError, match=message) as err:
        read_records(_folder_with(tmp_path, **changes))
    text = str(err.value)
    assert "'LiCl'" in text and text.endswith(".") and ". " not in text.replace("e.g. ", "")


def test_cif_becomes_a_record_in_the_standard_setting(tmp_path):
    """A disordered CIF (Li3YCl6 as pymatgen writes it) round-trips: same space group,
    Wyckoff sites, occupancies and cell."""
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.io.cif import CifWriter

    from ssbscreen.structures.library import get_record

    original = get_record("Li3YCl6")
    path = tmp_path / "lyc.cif"
    CifWriter(original.structure()).write_file(path)
    made = record_from_cif(path, "Li3YCl6", original.oxidation_states, original.source)
    assert made["spacegroup_number"] == 164 and made["formula"] == "Li3YCl6"
    assert sorted(s["wyckoff"] for s in made["sites"]) == sorted(
        s["wyckoff"] for s in original.sites
    )
    occupancies = sorted(x for s in made["sites"] for x in s["species"].values())
    assert occupancies == pytest.approx(
        sorted(x for s in original.sites for x in s["species"].values()), abs=1e-6
    )
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "Li3YCl6.json").write_text(json.dumps(made))
    again = read_records(tmp_path / "out")["Li3YCl6"].structure()
    assert StructureMatcher().fit(again, original.structure())
