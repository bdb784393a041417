"""Reference sets from Materials Project structures: `references build --from materials-project`
against the loopback MP mock (recorded Li-Nb-O and Li-Cl thermo documents, no network), the
stored set `mp-chgnet` behind `--references`, and bad input."""

from __future__ import annotations

import contextlib
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from emmet.core.thermo import ThermoDoc
from mp_api_mock import DATA, FAKE_KEY, LICL_FILE, LINBO_FILE, MockMPServer
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.entries.computed_entries import ComputedEntry, ComputedStructureEntry

from ssbscreen.analysis.materials_project import fetch_mp_entries, hull_distances
from ssbscreen.analysis.windows import electrochemical_window
from ssbscreen.cli import main
from ssbscreen.potentials import get_potential
from ssbscreen.store import build_collection, build_job_store
from ssbscreen.store.jobstore import MP_CACHE_COLLECTION, REFERENCE_SETS_COLLECTION
from ssbscreen.store.reference_sets import set_entries, set_manifests, write_set
from ssbscreen.structures.library import UnknownPhaseError, get_record
from ssbscreen.workflows.campaign_file import read_campaign_file, screen_campaign
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.mp_reference_set import select_within_hull
from ssbscreen.workflows.references import ReferenceSpec, stored_reference_set

RECORDED = json.loads((DATA / LINBO_FILE).read_text())
ABOVE_DEFAULT_CUTOFF = {"mp-755894", "mp-1001790", "mp-976263", "mp-634965"}  # > 0.1 eV/atom
CHGNET = get_potential("chgnet").model_name  # the model of the sets built here


@pytest.fixture
def mp_server(monkeypatch):
    """The mock serving both recordings, with MP_API_KEY and MP_API_ENDPOINT pointing at it."""
    server = MockMPServer((LINBO_FILE, LICL_FILE)).start()
    monkeypatch.setenv("MP_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MP_API_ENDPOINT", server.endpoint)
    yield server
    server.stop()


def _counts(uri: str) -> dict[str, int]:
    """Documents in the outputs, the stored sets and the MP cache of the store at ``uri``."""
    counts = {}
    store = build_job_store(uri)
    store.connect()
    counts["outputs"] = store.count()
    store.close()
    for name in (REFERENCE_SETS_COLLECTION, MP_CACHE_COLLECTION):
        collection = build_collection(name, uri)
        collection.connect()
        counts[name] = collection.count()
        collection.close()
    return counts


# --- the recorded data and the mock ------------------------------------------------------


def test_recorded_li_nb_o_documents_have_the_api_shape():
    docs = [ThermoDoc.model_validate(d) for d in RECORDED["data"]]
    assert RECORDED["meta"]["total_doc"] == len(docs) == 15
    assert {d.thermo_type.value for d in docs} == {"GGA_GGA+U"}
    formulas = {d.formula_pretty for d in docs}
    assert {"Li", "O2", "Nb", "Li2O", "Li2O2", "Nb2O5", "NbO2", "NbO", "LiNbO3"} <= formulas
    for raw in RECORDED["data"]:
        entry = ComputedStructureEntry.from_dict(raw["entries"]["GGA"])
        assert entry.structure.composition.reduced_formula == raw["formula_pretty"]
        assert entry.data["material_id"] == raw["material_id"]
        n_oxide_o = entry.composition["O"] if entry.data["oxide_type"] == "oxide" else 0
        if n_oxide_o:  # MP2020 oxide correction, -0.687 eV per O (Wang et al. 2021)
            assert entry.correction == pytest.approx(-0.687 * n_oxide_o, abs=1e-6)


def test_ternary_request_is_one_thermo_query_for_seven_systems(tmp_path):
    server = MockMPServer((LINBO_FILE,)).start()
    cache = build_collection(MP_CACHE_COLLECTION, f"embedded://{tmp_path / 'store'}")
    try:
        entries = fetch_mp_entries(["Li", "Nb", "O"], FAKE_KEY, cache, server.endpoint)
        (request,) = server.thermo_requests()
    finally:
        server.stop()
    query = parse_qs(urlsplit(request).query)
    systems = {"Li", "Nb", "O", "Li-Nb", "Li-O", "Nb-O", "Li-Nb-O"}
    assert set(query["chemsys"][0].split(",")) == systems
    assert query["thermo_types"] == ["GGA_GGA+U"]
    assert {e.data["material_id"] for e in entries} == {d["material_id"] for d in RECORDED["data"]}
    # the hull rebuilt from the served entries is the one the documents were built on
    distances = hull_distances(entries)
    recorded = {d["material_id"]: d["energy_above_hull"] for d in RECORDED["data"]}
    for entry in entries:
        assert distances[entry.entry_id] == pytest.approx(
            recorded[entry.data["material_id"]], abs=1e-6
        )


@pytest.mark.parametrize(
    ("within", "left_out"),
    [
        (0.1, ABOVE_DEFAULT_CUTOFF),
        (0.2, ABOVE_DEFAULT_CUTOFF - {"mp-755894"}),  # Pnma Li2O, 0.118
        (0.0, ABOVE_DEFAULT_CUTOFF | {"mp-776896", "mp-557057"}),  # 0.054, 0.0003
    ],
)
def test_hull_cutoff_keeps_phases_within_it(within, left_out):
    entries = [ComputedStructureEntry.from_dict(d["entries"]["GGA"]) for d in RECORDED["data"]]
    kept, excluded = select_within_hull(entries, within)
    assert set(excluded) == left_out
    assert all(distance > within for distance in excluded.values())
    assert all(distance <= within for _, distance in kept.values())
    assert set(kept) | set(excluded) == {d["material_id"] for d in RECORDED["data"]}
    stable = {mid for mid, (_, distance) in kept.items() if distance == 0}
    assert {"mp-3731", "mp-1960", "mp-12957", "mp-75", "mp-1018134"} <= stable


# --- bad input: one sentence, exit 2, nothing written, nothing downloaded ------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--chemsys", "Li,Nb,O"], ["--chemsys 'Li,Nb,O'", "Cl-In-Li"]),
        (["--chemsys", "Li-Xx-O"], ["--chemsys 'Li-Xx-O'"]),
        (["--chemsys", "Li-Og"], ["does not cover Og", "--model"]),  # Z = 118 > CHGNet's 94
        (["--chemsys", "Li-Nb-O", "--model", "mace"], ["'mace'", "chgnet"]),
        (["--chemsys", "Li-Nb-O", "--within", "-0.05"], ["--within -0.05", "0.1"]),
        (["--chemsys", "Li-Nb-O", "--within", "nan"], ["--within nan"]),
        (["--chemsys", "Li-Nb-O", "--within", "inf"], ["--within inf"]),
        ([], ["needs --chemsys"]),
        (["--chemsys", "Li-O", "--only", "LiCl"], ["--only and --out"]),
    ],
)
def test_bad_build_input_is_refused_before_any_work(mp_server, tmp_path, capsys, args, needles):
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["references", "build", "--from", "materials-project", *args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    for needle in needles:
        assert needle in err, err
    assert FAKE_KEY not in err
    assert not mp_server.thermo_requests()  # nothing was downloaded
    assert set(_counts(uri).values()) == {0}


def test_build_without_api_key_says_how_to_set_it(mp_server, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MP_API_KEY")
    uri = f"embedded://{tmp_path / 'store'}"
    args = ["references", "build", "--from", "materials-project", "--chemsys", "Li-Nb-O"]
    assert main([*args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert "MP_API_KEY" in err and "export MP_API_KEY=" in err and "\n" not in err
    assert not mp_server.thermo_requests()
    assert set(_counts(uri).values()) == {0}


def test_unreachable_api_is_one_sentence_without_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MP_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MP_API_ENDPOINT", "http://127.0.0.1:9/")  # nothing listens there
    uri = f"embedded://{tmp_path / 'store'}"
    args = ["references", "build", "--from", "materials-project", "--chemsys", "Li-O"]
    assert main([*args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert "Materials Project API did not answer" in err and "\n" not in err
    assert FAKE_KEY not in err
    assert _counts(uri)["outputs"] == 0


# --- stored sets behind --references, without relaxing anything --------------------------


def _write_small_set(uri: str, name: str = "mp-test", corrections: str = "none", extra=()):
    """A stored set of Li, O2 and Li2O (energies per atom in eV, made up for the test)."""
    rows = []
    for formula, energy_per_atom, mid in (
        ("Li", -1.9, "mp-1"),
        ("O2", -4.9, "mp-2"),
        ("Li2O", -4.9, "mp-3"),
        *extra,
    ):
        comp = Composition(formula)
        parameters = {"run_type": "GGA", "is_hubbard": False, "hubbards": {}}
        energy = energy_per_atom * comp.num_atoms
        entry = ComputedEntry(comp, energy, parameters=parameters, data={"material_id": mid})
        provenance = {
            "engine": "mlip",
            "model": CHGNET,
            "model_version": "chgnet 0.4.2",
            "energy_corrections": corrections,
            "settings": {},
        }
        rows.append(
            {
                "material_id": mid,
                "formula": comp.reduced_formula,
                "chemsys": comp.chemical_system,
                "calculation_key": f"key-{mid}",
                "provenance": provenance,
                "entry": entry.as_dict(),
            }
        )
    sets = build_collection(REFERENCE_SETS_COLLECTION, uri)
    sets.connect()
    write_set(sets, name, rows, {"chemsys": "Li-O"})
    sets.close()


def test_references_value_is_a_file_or_a_stored_set(tmp_path, monkeypatch):
    uri = f"embedded://{tmp_path / 'store'}"
    monkeypatch.setenv("SSBSCREEN_STORE", uri)
    _write_small_set(uri)
    spec = ReferenceSpec.from_options("mp-test", "chgnet")
    assert (spec.source, spec.name) == ("stored", "mp-test")
    reference = spec.load({"Li", "O"})
    assert reference.name.startswith("mp-test@") and reference.model == CHGNET
    li2o = reference.lowest_entry("Li2O")
    diagram = PhaseDiagram(reference.entries)
    assert diagram.get_e_above_hull(li2o) == pytest.approx(0.0)
    assert diagram.get_form_energy_per_atom(li2o) < 0

    path = tmp_path / "mine.json"
    path.write_text(json.dumps([e.as_dict() for e in reference.entries]))
    assert ReferenceSpec.from_options(str(path), "chgnet").source == "file"

    # a campaign file names it the same way, resolved in the same place
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text("references: mp-test\nscreen: {hulls: [Li2O]}\n")
    assert screen_campaign(read_campaign_file(campaign)).reference == spec

    # the set grows: results keyed by its name are not reused for the bigger set
    _write_small_set(uri, extra=(("Li2O2", -4.95, "mp-4"),))
    assert stored_reference_set("mp-test").name != reference.name


def test_stored_set_of_a_raw_gga_model_gets_the_mp2020_corrections(tmp_path):
    uri = f"embedded://{tmp_path / 'store'}"
    _write_small_set(uri, corrections="MP2020")
    sets = build_collection(REFERENCE_SETS_COLLECTION, uri)
    reference = stored_reference_set("mp-test", sets)
    assert reference.lowest_entry("Li2O").correction == pytest.approx(-0.687, abs=1e-6)
    assert reference.lowest_entry("Li").correction == 0


def test_unknown_references_name_lists_the_stored_sets(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["hull", "Li2O", "--references", "mp-nothing", "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert "'mp-nothing' is neither a file nor a reference set" in err and "none yet" in err
    assert "\n" not in err
    _write_small_set(uri)
    assert main(["hull", "Li2O", "--references", "mp-nothing", "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert "the store holds mp-test" in err and "\n" not in err
    assert _counts(uri)["outputs"] == 0


def test_unknown_set_in_a_campaign_file_is_named_with_the_file(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    path = tmp_path / "campaign.yaml"
    path.write_text("references: mp-nothing\nscreen: {hulls: [Li2O]}\n")
    assert main(["run", str(path), "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert str(path) in err and "references: 'mp-nothing' is neither" in err and "\n" not in err


def test_stored_set_is_listed_with_its_material_ids(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    _write_small_set(uri)
    assert main(["references", "list", "--set", "mp-test", "--json", "--store", uri]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["reference_set"].startswith("mp-test@")
    assert {(r["formula"], r["material_id"]) for r in listed["entries"]} == {
        ("Li", "mp-1"),
        ("O2", "mp-2"),
        ("Li2O", "mp-3"),
    }


def test_a_set_is_never_built_by_two_model_versions(mp_server, tmp_path, capsys):
    """mp-chgnet holds energies of another chgnet version: refused, nothing downloaded."""
    uri = f"embedded://{tmp_path / 'store'}"
    _write_small_set(uri, name="mp-chgnet")  # its provenance: chgnet 0.4.2, no settings
    args = ["references", "build", "--from", "materials-project", "--chemsys", "Li-O"]
    assert main([*args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert f"'mp-chgnet' holds energies of {CHGNET}" in err and "--store" in err
    assert "\n" not in err
    assert not mp_server.thermo_requests()
    assert _counts(uri)["outputs"] == 0


def test_another_models_phase_is_refused_before_anything_runs(tmp_path, capsys):
    """--model sevennet with a CHGNet set: refused up front unless --mix-engines."""
    uri = f"embedded://{tmp_path / 'store'}"
    _write_small_set(uri)
    cif = tmp_path / "Li2O.cif"
    lattice = Lattice.cubic(4.62)
    Structure.from_spacegroup("Fm-3m", lattice, ["Li", "O"], [[0.25] * 3, [0, 0, 0]]).to(
        filename=str(cif)
    )
    args = ["hull", str(cif), "--model", "sevennet", "--references", "mp-test", "--store", uri]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "SevenNet-7net-0" in err and CHGNET in err and "--mix-engines" in err
    assert "\n" not in err
    assert _counts(uri)["outputs"] == 0


# --- the real build: relaxations with CHGNet, once for the module --------------------------

LI_NB_O_ARGS = ["--chemsys", "Li-Nb-O", "--within", "0"]  # only MP's hull: a short test
LI_O = {"mp-1018134", "mp-135", "mp-12957", "mp-1960", "mp-841"}  # within 0.1 of Li-O's hull


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Li-O (default cutoff), then Li-Nb-O (cutoff 0) into one store's set mp-chgnet, through
    the CLI, with the mock serving the Li-Nb-O and Li-Cl recordings."""
    mp = pytest.MonkeyPatch()
    server = MockMPServer((LINBO_FILE, LICL_FILE), lifetime_s=3600).start()
    mp.setenv("MP_API_KEY", FAKE_KEY)
    mp.setenv("MP_API_ENDPOINT", server.endpoint)
    uri = f"embedded://{tmp_path_factory.mktemp('mpset') / 'store'}"
    build = ["references", "build", "--from", "materials-project", "--store", uri]
    runs, entries = [], []
    for args in (["--chemsys", "Li-O"], LI_NB_O_ARGS):
        capture = io.StringIO()
        with contextlib.redirect_stdout(capture):
            rc = main([*build, *args])
        runs.append((rc, capture.getvalue()))
        entries.append({d["material_id"]: d for d in stored_entries(uri)})
    yield {"uri": uri, "server": server, "runs": runs, "entries": entries}
    server.stop()
    mp.undo()


def stored_entries(uri: str) -> list[dict]:
    sets = build_collection(REFERENCE_SETS_COLLECTION, uri)
    sets.connect()
    docs = set_entries(sets, "mp-chgnet")
    sets.close()
    return docs


def _stored_set(uri: str):
    return stored_reference_set("mp-chgnet", build_collection(REFERENCE_SETS_COLLECTION, uri))


def _calculations(uri: str) -> int:
    store = build_job_store(uri)
    store.connect()
    n = store.count({"output.kind": "calculation"})
    store.close()
    return n


@pytest.mark.slow
def test_build_stores_the_set_with_its_provenance(built):
    (rc_lio, out_lio), (rc_linbo, out_linbo) = built["runs"]
    assert (rc_lio, rc_linbo) == (0, 0)
    recorded = {d["material_id"]: d for d in RECORDED["data"]}
    # default cutoff 0.1 in Li-O: Pnma Li2O (0.118) and LiO3 (0.222) left out
    assert set(built["entries"][0]) == LI_O and "5 computed now, 0 reused" in out_lio
    assert "left out" not in out_lio  # what was left out goes to stderr, the answer to stdout
    on_hull = {mid for mid, d in recorded.items() if d["energy_above_hull"] == 0}
    assert set(built["entries"][1]) == LI_O | on_hull
    assert "(5 computed now, 4 reused)" in out_linbo  # Li, O2, Li2O, Li2O2 were there
    provenance = MLIPEngine().provenance()
    for mid, doc in built["entries"][1].items():
        assert doc["provenance"]["model"] == provenance.model == CHGNET
        assert doc["provenance"]["model_version"] == provenance.model_version
        entry = ComputedStructureEntry.from_dict(doc["entry"])
        assert entry.data["material_id"] == mid
        assert entry.composition.reduced_formula == doc["formula"]
        assert entry.energy_per_atom < 0
    sets = build_collection(REFERENCE_SETS_COLLECTION, built["uri"])
    sets.connect()
    manifests = {m["chemsys"]: m for m in set_manifests(sets, "mp-chgnet")}
    sets.close()
    assert set(manifests) == {"Li-O", "Li-Nb-O"}
    assert manifests["Li-O"]["within_ev_per_atom"] == 0.1
    assert set(manifests["Li-O"]["excluded"]) == {"mp-755894", "mp-1001790"}
    assert manifests["Li-Nb-O"]["within_ev_per_atom"] == 0
    left_out = ABOVE_DEFAULT_CUTOFF | {"mp-776896", "mp-557057", "mp-135"}  # 0.054, 3e-4, 5e-3
    assert set(manifests["Li-Nb-O"]["excluded"]) == left_out
    assert not any(m["failed"] for m in manifests.values())


@pytest.mark.slow
def test_second_system_adds_to_the_set_and_one_hull_spans_them(built):
    reference = _stored_set(built["uri"])
    assert reference.model == CHGNET and len(reference.entries) == len(built["entries"][1])
    diagram = PhaseDiagram(reference.entries)
    for entry in reference.entries:  # nothing below the hull of the whole set
        assert diagram.get_e_above_hull(entry) >= -1e-9
    for entry in diagram.stable_entries:
        assert diagram.get_e_above_hull(entry) == pytest.approx(0.0, abs=1e-9)
    stable = {e.composition.reduced_formula for e in diagram.stable_entries}
    assert {"Li", "O2", "Nb", "Li2O", "LiNbO3"} <= stable
    for formula in ("Li2O", "LiNbO3", "NbO"):  # oxides form from the elements
        assert diagram.get_form_energy_per_atom(reference.lowest_entry(formula)) < -1.0
    # bcc Li (mp-135, from the Li-O build) sits a few meV/atom above the R-3m Li
    bcc = next(e for e in reference.entries if e.data["material_id"] == "mp-135")
    assert 0 < diagram.get_e_above_hull(bcc) < 0.02


@pytest.mark.slow
def test_rerun_computes_nothing(built):
    uri = built["uri"]
    before, requests = _calculations(uri), len(built["server"].thermo_requests())
    build = ["references", "build", "--from", "materials-project", "--store", uri]
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        assert main([*build, *LI_NB_O_ARGS]) == 0
    assert "(0 computed now, 9 reused)" in capture.getvalue()
    assert "--references mp-chgnet" in capture.getvalue()
    assert _calculations(uri) == before
    assert len(built["server"].thermo_requests()) == requests  # answered from the cache


def _is_library_phase(formula: str) -> bool:
    try:
        get_record(formula)
    except UnknownPhaseError:
        return False
    return True


def _answer(capsys, *args) -> dict:
    capsys.readouterr()
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_hull_from_the_stored_set_puts_its_stable_phases_at_zero(built, capsys):
    uri = built["uri"]
    reference = _stored_set(uri)
    diagram = PhaseDiagram(reference.entries)
    stable = {e.composition.reduced_formula for e in diagram.stable_entries}
    from_the_set = sorted(f for f in stable if not _is_library_phase(f))
    assert {"O2", "Nb", "Li2O", "Li2O2"} <= set(from_the_set)
    n = _calculations(uri)
    for formula in from_the_set:  # formulas of the set: answered from it, nothing relaxed
        answer = _answer(
            capsys, "hull", formula, "--references", "mp-chgnet", "--json", "--store", uri
        )
        assert answer["e_above_hull_ev_per_atom"] == pytest.approx(0.0, abs=1e-9), formula
        assert answer["decomposition"] == {formula: 1.0}
        assert answer["reference_set"] == reference.name and answer["model"] == CHGNET
    assert _calculations(uri) == n


@pytest.mark.slow
def test_window_of_linbo3_from_the_stored_set(built, capsys):
    """LiNbO3 of the library is the set's crystal (mp-3731 relaxed with the same model): the
    answer comes from the set's entry, nothing is relaxed, and it sits on the set's hull."""
    uri = built["uri"]
    n = _calculations(uri)
    args = ("--references", "mp-chgnet", "--json", "--store", uri)
    window = _answer(capsys, "window", "LiNbO3", *args)
    reference = _stored_set(uri)
    assert window["reference_set"] == reference.name and window["model"] == CHGNET
    own = electrochemical_window(reference.lowest_entry("LiNbO3"), reference)
    assert window["reduction_v_vs_li"] == pytest.approx(own.reduction_v_vs_li, abs=1e-4)
    assert window["oxidation_v_vs_li"] == pytest.approx(own.oxidation_v_vs_li, abs=1e-4)
    assert 0 < window["reduction_v_vs_li"] < window["oxidation_v_vs_li"]
    hull = _answer(capsys, "hull", "LiNbO3", *args)
    assert hull["e_above_hull_ev_per_atom"] == pytest.approx(0.0, abs=1e-9)
    assert _calculations(uri) == n
    # the library's bcc Li is not the set's lowest Li (R-3m, mp-1018134): it is relaxed, and
    # lands where the set's own bcc Li (mp-135) is
    li = _answer(capsys, "hull", "Li", *args)
    assert _calculations(uri) == n + 1
    bcc = next(e for e in reference.entries if e.data["material_id"] == "mp-135")
    expected = PhaseDiagram(reference.entries).get_e_above_hull(bcc)
    assert li["e_above_hull_ev_per_atom"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.slow
def test_stored_set_refuses_another_models_phases(built, capsys):
    uri = built["uri"]
    n = _calculations(uri)
    args = ["hull", "LiNbO3", "--model", "sevennet", "--references", "mp-chgnet", "--store", uri]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "--mix-engines" in err and "SevenNet-7net-0" in err and "\n" not in err
    assert _calculations(uri) == n


@pytest.mark.slow
def test_campaign_file_names_the_stored_set(built, tmp_path, capsys):
    path = tmp_path / "campaign.yaml"
    path.write_text("name: mp-set\nreferences: mp-chgnet\nscreen: {hulls: [NbO2, Li2O2]}\n")
    capsys.readouterr()
    assert main(["run", str(path), "--store", built["uri"]]) == 0
    out = capsys.readouterr().out
    assert "mp-chgnet@" in out and "NbO2" in out and "Li2O2" in out
