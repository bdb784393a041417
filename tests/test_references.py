"""The offline reference set: provenance, recomputation, user entries, no silent mixing."""

import json

import pytest
from jobflow import JobStore
from maggma.stores import MemoryStore
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.references import (
    check_compatible,
    offline_reference_path,
    offline_reference_set,
    read_offline_file,
    user_reference_set,
)
from ssbscreen.schemas import Provenance
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.reference_set import build_reference_set, reference_records
from ssbscreen.workflows.references import ReferenceSpec

SHIPPED = ["chgnet", "sevennet-l3i5"]  # potentials whose offline set ships in the package


@pytest.mark.parametrize("potential", SHIPPED)
def test_shipped_file_records_model_settings_and_sources(potential):
    raw = read_offline_file(offline_reference_path(potential))
    provenance = MLIPEngine(potential=potential).provenance()
    assert raw["model"] == provenance.model
    assert raw["energy_corrections"] == provenance.energy_corrections
    assert raw["settings"] == provenance.settings
    assert raw["settings"]["fmax_ev_per_a"] > 0
    assert not raw["failed"], raw["failed"]
    records = reference_records()
    assert {row["phase"] for row in raw["entries"]} == set(records), (
        f"rebuild: ssbscreen references build --model {potential}"
    )
    for row in raw["entries"]:
        assert row["source"]["reference"]
        assert row["entry"]["energy"] < 0


@pytest.mark.slow
@pytest.mark.parametrize("potential", SHIPPED)
def test_recomputing_a_sample_agrees_with_the_shipped_file(tmp_path, potential):
    """Rebuild two phases with the same engine: same energies within 2 meV/atom."""
    raw = read_offline_file(offline_reference_path(potential))
    shipped = {row["phase"]: row["entry"] for row in raw["entries"]}
    settings = raw["settings"]
    engine = MLIPEngine(
        potential=potential,
        fmax_ev_per_a=settings["fmax_ev_per_a"],
        max_steps=settings["max_steps"],
    )
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    content = build_reference_set(engine, store, tmp_path / "refs.json.gz", only=["LiCl", "Li2O"])
    assert not content["failed"]
    for row in content["entries"]:
        old, new = shipped[row["phase"]], row["entry"]
        n_atoms = sum(site["species"][0]["occu"] for site in new["structure"]["sites"])
        assert new["energy"] / n_atoms == pytest.approx(old["energy"] / n_atoms, abs=2e-3)


def test_user_entries_are_used_as_given(tmp_path):
    entries = [ComputedEntry("Li", -1.9), ComputedEntry("Cl2", -3.6), ComputedEntry("LiCl", -7.5)]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([e.as_dict() for e in entries]))
    reference = user_reference_set(path)
    assert reference.name.startswith("user:mine.json@")
    assert reference.lowest_entry("LiCl").energy == -7.5  # no correction added
    assert ReferenceSpec.from_options(str(path), "chgnet").load().name == reference.name


def test_bad_user_file_is_one_sentence(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"not": "a list"}')
    with pytest.raises(ValueError, match=r"bad\.json"):
        user_reference_set(path)


def test_energies_of_different_models_are_not_mixed():
    reference = offline_reference_set("chgnet")
    other = Provenance(engine="mlip", model="SevenNet-7net-0", model_version="sevenn 0.13.0")
    with pytest.raises(ValueError, match="mix-engines"):
        check_compatible(reference, other)
    check_compatible(reference, other, allow_mixing=True)
    check_compatible(reference, MLIPEngine().provenance())


def test_missing_reference_set_names_the_build_command():
    with pytest.raises(ValueError, match="references build --model nosuchmodel"):
        offline_reference_set("nosuchmodel")


def test_uncovered_element_is_named():
    with pytest.raises(ValueError, match="Xe"):
        offline_reference_set("chgnet").in_chemsys({"Li", "Xe"})


def test_a_build_with_failed_phases_exits_1_naming_them(tmp_path, monkeypatch, capsys):
    """The file is written with the phases that succeeded; the failed ones are named and the
    exit status says the set is incomplete."""
    import ssbscreen.workflows.reference_set as reference_set
    from ssbscreen.cli import main

    def build(engine, store, out, only=None):
        out.write_text("{}")
        return {"entries": [{"phase": "LiCl"}], "failed": {"Li2O": "the relaxation diverged"}}

    monkeypatch.setattr(reference_set, "build_reference_set", build)
    out = tmp_path / "refs.json.gz"
    args = ["references", "build", "--only", "LiCl", "Li2O", "--out", str(out)]
    assert main([*args, "--store", f"embedded://{tmp_path / 'store'}"]) == 1
    captured = capsys.readouterr()
    assert f"wrote 1 entries to {out}" in captured.out
    assert "failed: Li2O: the relaxation diverged" in captured.err
    assert "warning: 1 phase(s) could not be computed" in captured.err
