"""A disordered library phase is named by its nominal formula in tables and answers (issue 22),
not by the reduced formula of the ordered cell computed for it."""

import json

import pytest
from pymatgen.core import Composition

from ssbscreen.analysis.tables import nominal_names, render
from ssbscreen.structures.library import nominal_formula

NCA_ORDERED = "Li20AlCo3(Ni2O5)8"  # the reduced formula of NCA's 80-atom ordered cell
NCA_NOMINAL = "LiNi0.8Co0.15Al0.05O2"
PROVENANCE = {"engine": "mlip", "model": "CHGNet-0.3.0", "model_version": "chgnet 0.4.2"}


def _hull(phase, formula, decomposition):
    return {
        "kind": "hull",
        "phase": phase,
        "formula": formula,
        "e_above_hull_ev_per_atom": 0.0,
        "decomposition": decomposition,
        "reference_set": "offline-CHGNet-0.3.0-v2",
        "provenance": PROVENANCE,
        "temperature_k": None,
    }


@pytest.mark.parametrize(("phase", "nominal"), [("NCA", NCA_NOMINAL), ("nca", NCA_NOMINAL)])
def test_a_disordered_library_phase_has_its_records_formula(phase, nominal):
    assert nominal_formula(phase) == nominal
    # the name is honest: the ordered cell has the nominal composition, atom for atom
    ordered, named = Composition(NCA_ORDERED), Composition(nominal)
    assert ordered.fractional_composition.almost_equals(named.fractional_composition)


@pytest.mark.parametrize("phase", ["LiCoO2", "LiCl", "cell.cif"])
def test_ordered_phases_formulas_and_files_have_none(phase):
    assert nominal_formula(phase) is None


def test_the_hull_table_names_nca_by_its_nominal_formula():
    docs = [
        _hull("NCA", NCA_ORDERED, {NCA_ORDERED: 1.0}),
        _hull("LiCoO2", "LiCoO2", {"LiCoO2": 1.0}),
    ]
    for fmt in ("md", "csv", "latex"):
        table = render("hull", docs, fmt)
        assert NCA_NOMINAL in table and NCA_ORDERED not in table
        assert "LiCoO2" in table


def test_a_window_answer_names_the_phase_and_keeps_other_products():
    doc = {
        "kind": "window",
        "phase": "NCA",
        "formula": NCA_ORDERED,
        "reduction_products": [NCA_ORDERED, "Li2O"],
        "oxidation_products": ["NiO2", "CoO2"],
        "imaginary_modes_thz": {NCA_ORDERED: -0.3},
    }
    named = nominal_names(doc)
    assert named["formula"] == NCA_NOMINAL
    assert named["reduction_products"] == [NCA_NOMINAL, "Li2O"]
    assert named["oxidation_products"] == ["NiO2", "CoO2"]
    assert named["imaginary_modes_thz"] == {NCA_NOMINAL: -0.3}
    assert doc["formula"] == NCA_ORDERED  # the stored document is left as it is


def test_reaction_documents_keep_the_formulas_their_amounts_count():
    doc = {"kind": "reaction", "phases": ["NCA", "Li3PO4"], "products": {NCA_ORDERED: 0.5}}
    assert nominal_names(doc) == doc


def test_the_hull_answer_names_nca_by_its_nominal_formula(tmp_path, capsys, monkeypatch):
    """hull NCA --json with its stored hull document: the answer's decomposition names NCA."""
    from ssbscreen import cli

    stored = _hull("NCA", NCA_ORDERED, {NCA_ORDERED: 1.0})

    def run(campaign, store_uri):
        return {"hull": [stored], "calculation": []}, True

    monkeypatch.setattr(cli, "_run", run)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["hull", "NCA", "--json", "--store", f"embedded://{tmp_path / 's'}"]) == 0
    assert json.loads(capsys.readouterr().out)["decomposition"] == {NCA_NOMINAL: 1.0}
