"""The fidelity benchmark: its tables carry a source per value, and its numbers are computed."""

from pathlib import Path

import pytest
from pymatgen.core import Composition
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.fidelity import (
    KJ_PER_MOL_PER_EV,
    barrier_rows,
    chemistry_class,
    formation_energy_rows,
    formation_summary,
    read_table,
    window_rows,
)
from ssbscreen.analysis.references import ReferenceSet, offline_reference_set
from ssbscreen.analysis.windows import electrochemical_window

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
ENTHALPIES = read_table(DATA / "experimental_formation_enthalpies.csv")
WINDOWS = read_table(DATA / "literature_windows.csv")


def test_enthalpy_table_has_fifty_phases_each_with_a_source_and_locator():
    assert len(ENTHALPIES) >= 50
    assert len({row["phase"] for row in ENTHALPIES}) == len(ENTHALPIES)
    for row in ENTHALPIES:
        assert row["source"] and row["locator"], row["phase"]
        assert float(row["dHf_kJ_per_mol"]) < 0  # every phase forms from its elements
        # the formula unit is the phase's composition, scaled
        assert (
            Composition(row["formula_unit"]).reduced_formula
            == Composition(row["phase"]).reduced_formula
        )


def test_window_table_cites_each_value():
    assert {"Li6PS5Cl", "Li3InCl6", "Li3YCl6", "Li3PO4", "LiNbO3", "LiF", "LiCl", "Li2S"} <= {
        row["phase"] for row in WINDOWS
    }
    for row in WINDOWS:
        assert row["reference"] and row["doi"] and row["locator"], row["phase"]
        assert 0 <= float(row["reduction_v_vs_li"]) < float(row["oxidation_v_vs_li"])


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("Li2SO4", "sulfate"),
        ("Li3PO4", "phosphate"),
        ("LiNbO3", "oxide"),
        ("Li6PS5Cl", "sulfide"),
        ("Li3YCl6", "chloride"),
        ("LiF", "fluoride"),
        ("Ni2P", "phosphide"),
        ("AlNi3", "metal"),
        ("Li", "metal"),
    ],
)
def test_chemistry_class(formula, expected):
    assert chemistry_class(formula) == expected


def test_formation_energy_is_computed_from_the_sets_own_elements():
    """LiCl at -4 eV/atom below Li and Cl2 -> -4 eV/atom; experiment converted per atom."""
    reference = ReferenceSet(
        "toy",
        (
            ComputedEntry("Li", -2.0),
            ComputedEntry("Cl2", -4.0),
            ComputedEntry("LiCl", -2.0 - 2.0 - 8.0),
        ),
    )
    table = [
        {
            "phase": "LiCl",
            "formula_unit": "LiCl",
            "dHf_kJ_per_mol": str(-2 * 4.0 * KJ_PER_MOL_PER_EV),
            "source": "toy",
            "locator": "here",
        },
        {
            "phase": "LiF",
            "formula_unit": "LiF",
            "dHf_kJ_per_mol": "-616",
            "source": "",
            "locator": "",
        },
    ]
    rows, missing = formation_energy_rows(reference, table)
    assert missing == ["LiF"]
    (row,) = rows
    assert row.computed_ev_per_atom == pytest.approx(-4.0)
    assert row.experimental_ev_per_atom == pytest.approx(-4.0)
    assert row.error_ev_per_atom == pytest.approx(0.0, abs=1e-9)
    assert formation_summary(rows)["mae_by_class_ev_per_atom"] == {
        "chloride": {"n": 1, "mae": pytest.approx(0.0, abs=1e-9)}
    }


def test_windows_of_the_fidelity_table_are_computed_not_typed():
    reference = offline_reference_set("chgnet")
    rows = window_rows(reference, WINDOWS)
    assert [row.phase for row in rows] == [row["phase"] for row in WINDOWS]
    for row, published in zip(rows, WINDOWS, strict=True):
        window = electrochemical_window(reference.lowest_entry(row.phase), reference)
        assert row.reduction_v_vs_li == window.reduction_v_vs_li
        assert row.oxidation_v_vs_li == window.oxidation_v_vs_li
        assert row.published_oxidation_v_vs_li == float(published["oxidation_v_vs_li"])
        if row.oxidation_v_vs_li is not None:
            assert row.delta_oxidation_v == pytest.approx(
                row.oxidation_v_vs_li - row.published_oxidation_v_vs_li
            )


def test_materials_project_column_is_the_mp_scale():
    """MP's own Li2O and LiF (pymatgen's shipped entries, MP2020) sit within 0.05 eV/atom of
    the experimental enthalpies of the table, and a phase MP lacks there gets no value."""
    from ssbscreen.analysis.fidelity import formation_energy_per_atom, mp_reference_set

    by_phase = {row["phase"]: row for row in ENTHALPIES}
    for phase in ("Li2O", "LiF"):
        row = by_phase[phase]
        experiment = (
            float(row["dHf_kJ_per_mol"])
            / KJ_PER_MOL_PER_EV
            / Composition(row["formula_unit"]).num_atoms
        )
        assert formation_energy_per_atom(mp_reference_set(), phase) == pytest.approx(
            experiment, abs=0.05
        )
    assert formation_energy_per_atom(mp_reference_set(), "Li6PS5Cl") is None


def _hop(host, label, barrier, shift, trusted=True):
    return {
        "host": host,
        "ion": "Li",
        "path_label": label,
        "state": "successful",
        "converged": True,
        "barrier_ev": barrier,
        "reverse_barrier_ev": barrier,
        "equivalent_paths": [[[0, 0, 0], shift]],
        "checks": {"trusted": trusted, "flags": [] if trusted else ["2 maxima"]},
    }


def test_barriers_stand_beside_each_measured_activation_energy_of_their_host():
    measured = [
        {"phase": "Li3InCl6", "ea_ev": "0.31", "method": "impedance", "reference": "brief"},
        {"phase": "Li3YCl6", "ea_ev": "0.39", "method": "impedance", "reference": "paper"},
        {"phase": "LiCl", "ea_ev": "0.5", "method": "impedance", "reference": "none computed"},
    ]
    documents = [
        _hop("Li3InCl6", "a", 0.20, [1, 0, 0]),
        _hop("Li3InCl6", "b", 0.30, [0, 1, 0]),
        _hop("Li3InCl6", "c", 0.40, [0, 0, 1]),
        _hop("Li3InCl6", "d", 0.05, [0, 0, 1], trusted=False),  # fails its checks
        _hop("Li3YCl6", "e", 0.25, [0, 0, 1]),
        {**_hop("Li3YCl6", "In", 0.9, [1, 0, 0]), "ion": "In"},  # not a Li+ hop
    ]
    rows = {row.phase: row for row in barrier_rows(documents, measured)}
    assert set(rows) == {"Li3InCl6", "Li3YCl6"}  # no Li hops of LiCl: no row
    lic = rows["Li3InCl6"]
    assert (lic.lowest_hop_ev, lic.barrier_1d_ev, lic.barrier_3d_ev) == (0.20, 0.20, 0.40)
    assert lic.delta_ev == pytest.approx(0.40 - 0.31)
    assert lic.left_out == ("d",)
    lyc = rows["Li3YCl6"]
    assert (lyc.barrier_1d_ev, lyc.barrier_2d_ev, lyc.delta_ev) == (0.25, None, None)
