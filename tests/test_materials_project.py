"""Materials Project entries through mp-api against a local mock of the MP REST API (no network).

The mock serves recorded responses from tests/data/mp_api/ (see the README there): the
``/heartbeat`` document and ``/materials/thermo/`` documents of Li, Cl2 and LiCl.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from emmet.core.thermo import ThermoDoc
from mp_api_mock import DATA, FAKE_KEY, MockMPServer
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition
from pymatgen.entries.compatibility import MaterialsProject2020Compatibility

from ssbscreen.analysis.materials_project import fetch_mp_entries
from ssbscreen.store import build_collection

LICL_EXP_EFORM = -2.12  # eV/atom, -408.3 kJ/mol (NIST-JANAF) / 2 atoms


@pytest.fixture
def mp_server():
    server = MockMPServer().start()
    yield server
    server.stop()


@pytest.fixture
def cache(tmp_path):
    store = build_collection("mp_entries", f"embedded://{tmp_path / 'store'}")
    store.connect()
    yield store
    store.close()


def _by_formula(entries):
    return {e.composition.reduced_formula: e for e in entries}


def test_recorded_responses_have_the_api_shape():
    heartbeat = json.loads((DATA / "heartbeat.json").read_text())
    assert {"db_version", "access_controlled_batch_ids", "version"} <= set(heartbeat)
    page = json.loads((DATA / "materials_thermo_Cl-Li.json").read_text())
    assert page["meta"]["total_doc"] == len(page["data"]) == 3
    docs = [ThermoDoc.model_validate(d) for d in page["data"]]
    assert {str(d.material_id) for d in docs} == {"mp-135", "mp-22848", "mp-22905"}
    assert {d.thermo_type.value for d in docs} == {"GGA_GGA+U"}


def test_fetch_licl_physics(mp_server, cache):
    entries = fetch_mp_entries(["Li", "Cl"], FAKE_KEY, cache=cache, endpoint=mp_server.endpoint)

    # one thermo query for every subsystem, GGA/GGA+U (MP2020) thermo type only
    (request,) = mp_server.thermo_requests()
    query = parse_qs(urlsplit(request).query)
    assert set(query["chemsys"][0].split(",")) == {"Li", "Cl", "Cl-Li"}
    assert query["thermo_types"] == ["GGA_GGA+U"]

    phases = _by_formula(entries)
    assert set(phases) == {"Li", "Cl2", "LiCl"}
    assert all(e.data["reference_set"] == "materials_project" for e in entries)

    licl = phases["LiCl"]
    names = [adj.name for adj in licl.energy_adjustments]
    assert "MP2020 anion correction (Cl)" in names
    assert licl.correction == pytest.approx(-0.614, abs=1e-3)  # eV per Cl
    assert phases["Li"].correction == 0 and phases["Cl2"].correction == 0
    redone = MaterialsProject2020Compatibility(check_potcar=False).process_entries(
        [e.copy() for e in entries]
    )  # the served correction is exactly what pymatgen's MP2020 scheme gives
    assert _by_formula(redone)["LiCl"].correction == pytest.approx(licl.correction)

    pd = PhaseDiagram(entries)
    e_form = pd.get_form_energy_per_atom(licl)
    assert e_form < 0
    assert e_form == pytest.approx(LICL_EXP_EFORM, abs=0.1)  # MP2020 is fitted to experiment
    for formula in ("Li", "Cl2", "LiCl"):
        assert pd.get_e_above_hull(phases[formula]) == pytest.approx(0.0, abs=1e-8)
    assert pd.get_hull_energy_per_atom(Composition("Li2Cl")) > pd.get_hull_energy_per_atom(
        Composition("LiCl")
    )


def test_cache_answers_without_network(mp_server, cache, tmp_path, monkeypatch):
    first = fetch_mp_entries(["Li", "Cl"], FAKE_KEY, cache=cache, endpoint=mp_server.endpoint)
    mp_server.stop()  # nothing answers on that port any more
    monkeypatch.delenv("MP_API_KEY", raising=False)

    fresh = build_collection("mp_entries", f"embedded://{tmp_path / 'store'}")  # new connection
    again = fetch_mp_entries(["Cl", "Li"], None, cache=fresh, endpoint=mp_server.endpoint)
    assert [e.entry_id for e in again] == [e.entry_id for e in first]
    assert [e.energy for e in again] == pytest.approx([e.energy for e in first])
    assert all(e.data["reference_set"] == "materials_project" for e in again)

    only_li = fetch_mp_entries(["Li"], None, cache=fresh, endpoint=mp_server.endpoint)
    assert [e.composition.reduced_formula for e in only_li] == ["Li"]
    assert len(mp_server.thermo_requests()) == 1

    manifest = fresh.query_one({"kind": "manifest"})
    assert manifest["chemsys"] == "Cl-Li" and manifest["n_entries"] == 3
    assert manifest["retrieved"][:4].isdigit() and manifest["db_version"] == "2025.09.25"
    stored = fresh.query_one({"kind": "entry", "chemsys": "Cl-Li"})
    assert stored["entry"]["@class"] == "ComputedStructureEntry"
    fresh.close()


def test_missing_api_key_is_a_clear_error(cache, monkeypatch):
    monkeypatch.delenv("MP_API_KEY", raising=False)
    with pytest.raises(ValueError, match="MP_API_KEY"):
        fetch_mp_entries(["Li", "Cl"], None, cache=cache, endpoint="http://127.0.0.1:9/")


def test_bad_element_is_a_clear_error():
    with pytest.raises(ValueError, match="not an element symbol"):
        fetch_mp_entries(["Li", "Xx"], FAKE_KEY)


@pytest.mark.slow
def test_cache_on_mongodb(mp_server, mongo_uri):
    store = build_collection("mp_entries_test", mongo_uri)
    fetch_mp_entries("Li-Cl", FAKE_KEY, cache=store, endpoint=mp_server.endpoint)
    mp_server.stop()
    again = fetch_mp_entries(
        ["Li", "Cl"], None, cache=build_collection("mp_entries_test", mongo_uri)
    )
    assert {e.composition.reduced_formula for e in again} == {"Li", "Cl2", "LiCl"}


def test_cli_hull_uses_materials_project_when_key_is_set(mp_server, tmp_path, monkeypatch, capsys):
    """With MP_API_KEY set, `ssbscreen hull` takes its hull from the Materials Project."""
    from ssbscreen.cli import main

    monkeypatch.setenv("MP_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MP_API_ENDPOINT", mp_server.endpoint)
    monkeypatch.delenv("SSBSCREEN_STORE", raising=False)
    store = f"embedded://{tmp_path / 'store'}"
    assert main(["hull", "LiCl", "--json", "--store", store]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["reference_set"] == "materials_project"
    assert answer["e_above_hull_ev_per_atom"] == pytest.approx(0.0, abs=1e-9)
    assert answer["decomposition"] == {"LiCl": 1.0}
