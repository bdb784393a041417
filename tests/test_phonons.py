"""Phonons and free energies: limits and signs of F_vib, S, C_v; rock-salt LiCl is dynamically
stable with CHGNet; a reaction free energy at T is the 0 K energy plus the vibrational terms."""

import copy
import json
import warnings
from dataclasses import replace

import numpy as np
import pytest
from jobflow import run_locally
from pymatgen.io.ase import AseAtomsAdaptor

from ssbscreen.analysis.free_energy import (
    FREE_ENERGY_MODEL,
    VibrationalFreeEnergy,
    check_temperature,
    free_energy_entries,
    free_energy_space,
    phonons_by_structure,
    structure_key,
)
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.kinds import phonon_summary
from ssbscreen.analysis.reactions import most_negative_mixture_reaction
from ssbscreen.analysis.references import ReferenceSet, offline_reference_set
from ssbscreen.analysis.tables import render
from ssbscreen.analysis.voltages import get_anode, voltage_vs_li
from ssbscreen.cli import main
from ssbscreen.potentials import POTENTIALS, get_potential
from ssbscreen.schemas import content_key
from ssbscreen.store import build_job_store
from ssbscreen.store.queries import stored_outputs
from ssbscreen.workflows.campaign import RESULT_VERSIONS, Campaign, plan_campaign, run_campaign
from ssbscreen.workflows.local import run_flow_locally
from ssbscreen.workflows.phonons import PhasePhononMaker, predicted_forces

K_B_EV_PER_K = 8.617333e-5


@pytest.fixture(scope="module")
def reference():
    return offline_reference_set("chgnet")


@pytest.fixture(scope="module")
def licl_store(tmp_path_factory, reference):
    """Embedded store holding the phonons of rock-salt LiCl (CHGNet, small supercell)."""
    store = build_job_store(f"embedded://{tmp_path_factory.mktemp('store') / 'ssbscreen_store'}")
    maker = PhasePhononMaker(min_length_a=8.0, fmax_ev_per_a=5e-3)
    flow = maker.make(reference.lowest_entry("LiCl").structure, "LiCl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_locally(flow, store=store, ensure_success=True, log=False)
    store.connect()
    return store


@pytest.fixture(scope="module")
def licl(licl_store):
    """Phonon document of rock-salt LiCl, as stored."""
    (doc,) = stored_outputs(licl_store, "phonon")
    return doc


@pytest.mark.slow
def test_displaced_supercells_are_kept_in_the_data_store(licl_store, licl):
    """The documents collection, scanned by every job, holds only a reference to the cells."""
    job = licl_store.docs_store.query_one({"name": "LiCl displacements"})
    assert set(job["output"]["structures"]) >= {"blob_uuid", "store"}
    (blob,) = licl_store.additional_stores["data"].query({"job_uuid": job["uuid"]})
    assert len(blob["data"]) == licl["n_displacements"] == 2  # rock salt: one per species


@pytest.mark.slow
def test_free_energy_limits_and_signs(licl):
    assert licl["state"] == "successful" and licl["formula"] == "LiCl"
    t = np.array(licl["temperatures_k"])
    f = np.array(licl["free_energy_ev_per_atom"])
    s = np.array(licl["entropy_ev_per_atom_k"])
    cv = np.array(licl["heat_capacity_ev_per_atom_k"])
    zpe = licl["zero_point_energy_ev_per_atom"]
    assert t[0] == 0 and zpe > 0
    assert f[0] == pytest.approx(zpe, rel=1e-4)  # F_vib(0 K) is the zero-point energy
    assert f[t == 10][0] == pytest.approx(zpe, abs=1e-5)  # and F_vib -> ZPE smoothly
    assert np.all(np.diff(f[t > 0]) < 0)  # dF/dT = -S < 0
    assert s[0] == pytest.approx(0, abs=1e-9) and np.all(s[t > 0] > 0)
    assert np.all(np.diff(s[t > 0]) > 0)
    assert np.all(cv < 3 * K_B_EV_PER_K) and cv[-1] > 0.9 * 3 * K_B_EV_PER_K  # Dulong-Petit
    # dF/dT = -S on the grid (units of F and S agree)
    middle = (t > 100) & (t < 500)
    assert np.gradient(f, t)[middle] == pytest.approx(-s[middle], rel=0.02)


@pytest.mark.slow
def test_rock_salt_licl_has_no_imaginary_modes(licl):
    assert licl["imaginary_modes"] is False
    assert licl["lowest_frequency_thz"] > -licl["settings"]["imaginary_tolerance_thz"]
    summary = phonon_summary(licl)
    assert summary["model"] == get_potential("chgnet").model_name
    assert summary["engine"] == "mlip"
    assert summary["free_energy_ev_per_atom"] == licl["free_energy_ev_per_atom"]


def _phonons_like(doc, entry, scale):
    """A phonon document for ``entry``: the LiCl curve scaled (a test input, not a result)."""
    fake = copy.deepcopy(doc)
    fake["structure_key"] = structure_key(entry.structure)
    fake["formula"] = fake["phase"] = entry.composition.reduced_formula
    fake["free_energy_ev_per_atom"] = [scale * x for x in doc["free_energy_ev_per_atom"]]
    return fake


@pytest.mark.slow
def test_reaction_free_energy_by_hand(licl, reference):
    """Li2O2 + 2 Li -> 2 Li2O: dG(T) = dE(0 K) + [6 f(Li2O) - 4 f(Li2O2) - 2 f(Li)] / 6."""
    li, li2o, li2o2 = (reference.lowest_entry(f) for f in ("Li", "Li2O", "Li2O2"))
    subset = ReferenceSet(reference.name, (li, li2o, li2o2), reference.model)
    phonons = [_phonons_like(licl, e, s) for e, s in ((li, 0.7), (li2o, 1.3), (li2o2, 1.1))]
    at_0k = most_negative_mixture_reaction([li2o2, li], subset)
    assert set(at_0k.products) == {"Li2O"}
    for temperature in (253.0, 298.0, 333.0):
        space = free_energy_space(subset, [li2o2, li], phonons, temperature)
        at_t = most_negative_mixture_reaction(space.phases, space.reference)
        f = {p["formula"]: VibrationalFreeEnergy.from_document(p).at(temperature) for p in phonons}
        by_hand = (
            at_0k.reaction_energy_ev_per_atom + (6 * f["Li2O"] - 4 * f["Li2O2"] - 2 * f["Li"]) / 6
        )
        assert set(at_t.products) == {"Li2O"}
        assert space.imaginary_modes_thz == {} and space.ideal_gases_bar == {}
        assert at_t.mixing_fractions == pytest.approx(at_0k.mixing_fractions)
        assert at_t.reaction_energy_ev_per_atom == pytest.approx(by_hand, abs=1e-9)


@pytest.mark.slow
def test_bad_temperatures_and_missing_phonons(licl, reference):
    with pytest.raises(ValueError, match="at or above absolute zero"):
        check_temperature(-20.0)
    vib = VibrationalFreeEnergy.from_document(licl)
    with pytest.raises(ValueError, match="above the computed phonon grid"):
        vib.at(licl["temperatures_k"][-1] + 50)
    lithium = reference.lowest_entry("Li")
    with pytest.raises(ValueError, match=r"No phonons for Li, LiCl, needed"):  # Cl2: a gas
        free_energy_space(reference, [lithium, reference.lowest_entry("LiCl")], [], 298.0)
    with pytest.raises(ValueError, match=r"No phonons for Cl2, Li, LiCl, needed"):  # below 239 K
        free_energy_space(reference, [lithium, reference.lowest_entry("LiCl")], [], 200.0)
    unstable = copy.deepcopy(licl)
    unstable.update(imaginary_modes=True, lowest_frequency_thz=-1.5)
    licl_entry = reference.lowest_entry("LiCl")
    with pytest.warns(UserWarning, match=r"Imaginary modes in LiCl \(-1.50 THz\)"):
        (adjusted,) = free_energy_entries([licl_entry], phonons_by_structure([unstable]), 298.0)
    assert adjusted.energy < licl_entry.energy  # still an answer: F_vib(298 K) < 0 for LiCl
    only_licl = ReferenceSet(reference.name, (licl_entry,), reference.model)
    with pytest.warns(UserWarning):
        space = free_energy_space(only_licl, [licl_entry], [unstable], 298.0)
    assert space.imaginary_modes_thz == {"LiCl": -1.5}


def test_tables_name_the_shown_phases_with_imaginary_modes():
    """A reaction row at T flags its unstable reactants and products, not the rest of the
    system; a row at 0 K has nothing to flag."""
    at_298 = {
        "phases": ["Li3InCl6", "Li6PS5Cl"],
        "voltage_v_vs_li": None,
        "reaction_energy_ev_per_atom": -0.0685,
        "mixing_fractions": [0.339, 0.661],
        "products": {"In2S3": 1.0, "Li3PS4": 2.0, "LiCl": 9.0},
        "product_groups": {},
        "temperature_k": 298.0,
        "imaginary_modes_thz": {"Li3InCl6": -1.28, "Li3PS4": -0.15, "Cl2": -0.51},
        "reference_set": "offline",
        "provenance": {"model": "CHGNet", "model_version": "0.3.0"},
    }
    at_0k = {**at_298, "temperature_k": None, "imaginary_modes_thz": {}}
    text = render("reaction", [at_298, at_0k])
    assert text.rstrip().endswith(
        "Imaginary phonon modes, left out of F_vib (dynamically unstable with this "
        "potential): Li3InCl6 (-1.28 THz), Li3PS4 (-0.15 THz)."
    )
    assert "Imaginary" not in render("reaction", [at_0k])
    assert "Imaginary" not in render("reaction", [at_298], fmt="csv")


@pytest.mark.slow
def test_batched_forces_match_the_ase_calculator(reference):
    from atomate2.forcefields.utils import ase_calculator

    structure = reference.lowest_entry("LiCl").structure * (2, 2, 2)
    structure.translate_sites([0], [0.01, 0.0, 0.0], frac_coords=False)
    batched = predicted_forces("chgnet", [structure, structure.copy()], batch_size=2)
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = ase_calculator("CHGNet")
    assert batched[0] == pytest.approx(atoms.get_forces(), abs=1e-4)
    assert batched[1] == pytest.approx(batched[0], abs=1e-6)


@pytest.mark.slow
def test_forces_in_chunks_are_kept_and_reused_by_a_rerun(tmp_path, reference, licl, monkeypatch):
    """One forces job per displaced cell (chunk_atoms=1): the same phonons as one job; a rerun
    of the whole flow on the same store evaluates the potential no more and stores no second
    copy of the forces; a chunk whose forces never reached the data store is recomputed."""
    calls = []
    chgnet = POTENTIALS["chgnet"]

    def counted(structures, task, batch_size, device):
        calls.append(len(structures))
        return chgnet.batched_predictor(structures, task, batch_size, device)

    monkeypatch.setitem(POTENTIALS, "chgnet", replace(chgnet, batched_predictor=counted))
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    maker = PhasePhononMaker(min_length_a=8.0, fmax_ev_per_a=5e-3, chunk_atoms=1)
    structure = reference.lowest_entry("LiCl").structure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_flow_locally(maker.make(structure, "LiCl"), store)
        assert calls == [1, 1]
        run_flow_locally(maker.make(structure, "LiCl"), store)
        assert calls == [1, 1]
        assert len(_stored_forces(store)) == 2  # the rerun's chunks refer to the first run's
        # as left by a run killed between jobflow's two writes (document, then data)
        (second,) = _stored_forces(store, "LiCl forces (2-2 of 2)")
        store.additional_stores["data"].remove_docs({"blob_uuid": second["forces"]["blob_uuid"]})
        run_flow_locally(maker.make(structure, "LiCl"), store)
    assert calls == [1, 1, 1]
    assert len(_stored_forces(store)) == 3
    names = {doc["name"] for doc in store.query({"name": {"$regex": "^LiCl forces"}})}
    # the replaced job and its chunks: the forces are stored once, by the chunks
    assert names == {"LiCl forces", "LiCl forces (1-1 of 2)", "LiCl forces (2-2 of 2)"}
    docs = [d["output"] for d in store.query({"output.kind": "phonon"})]
    assert len(docs) == 3 and all(d["state"] == "successful" for d in docs)
    for doc in docs:
        assert doc["key"] == licl["key"]
        assert doc["free_energy_ev_per_atom"] == pytest.approx(
            licl["free_energy_ev_per_atom"], abs=1e-5
        )


def _stored_forces(store, name: str = "") -> list[dict]:
    """Outputs holding forces (as data references) of the chunk jobs called ``name`` (all)."""
    query = {"output.kind": "phonon_forces", **({"name": name} if name else {})}
    return [d["output"] for d in store.query(query)]


@pytest.mark.slow
def test_one_static_job_per_displacement_gives_the_same_phonons(tmp_path, reference, licl):
    """atomate2's run_phonon_displacements (the path of DFT engines) feeds the same document."""
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    maker = PhasePhononMaker(min_length_a=8.0, fmax_ev_per_a=5e-3, batched=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_flow_locally(maker.make(reference.lowest_entry("LiCl").structure, "LiCl"), store)
    (doc,) = stored_outputs(store, "phonon")
    assert doc["state"] == "successful"
    assert doc["n_displacements"] == licl["n_displacements"]
    assert doc["free_energy_ev_per_atom"] == pytest.approx(
        licl["free_energy_ev_per_atom"], abs=1e-4
    )


@pytest.mark.slow
def test_a_failed_forces_chunk_names_its_exception(tmp_path, reference, monkeypatch):
    def broken(structures, task, batch_size, device):
        raise RuntimeError("the potential ran out of memory")

    chgnet = POTENTIALS["chgnet"]
    monkeypatch.setitem(POTENTIALS, "chgnet", replace(chgnet, batched_predictor=broken))
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    maker = PhasePhononMaker(min_length_a=8.0, fmax_ev_per_a=5e-3, chunk_atoms=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_flow_locally(maker.make(reference.lowest_entry("LiCl").structure, "LiCl"), store)
    (doc,) = stored_outputs(store, "phonon")
    assert doc["state"] == "failed"
    assert "LiCl forces: RuntimeError: the potential ran out of memory" in doc["reason"]


def test_campaign_plans_each_phase_phonons_once(tmp_path):
    """Two reactions in the Li-O space at three temperatures: one phonon flow per phase, none
    for O2 (an ideal gas above 90 K) unless a temperature is below its boiling point."""
    campaign = Campaign(
        reactions=[("Li2O2", "Li", None), ("Li2O", "Li2O2", None)],
        temperatures_k=[253.0, 298.0, 333.0],
    )
    plan = plan_campaign(campaign, build_job_store(f"embedded://{tmp_path / 'store'}"))
    phonon_flows = [j for j in plan.flow.jobs if j.name.startswith("phonons ")]
    assert sorted(f.name for f in phonon_flows) == [
        "phonons Li",
        "phonons Li2O",
        "phonons Li2O2",
    ]
    assert len(plan.result_keys["reaction"]) == 2 + 2 * 3
    # stages run one after the other: every phase's phonons are stored before the next starts
    # (all three are reference phases here: there is no calculations stage)
    stages = [stage.name for stage in plan.flow.jobs]
    assert stages == [*(f.name for f in phonon_flows), "results"]
    assert plan.n_jobs == sum(len(list(stage.iterflow())) for stage in plan.flow.jobs)
    cold = plan_campaign(
        Campaign(reactions=[("Li2O2", "Li", None)], temperatures_k=[80.0, 298.0]),
        build_job_store(f"embedded://{tmp_path / 'store'}"),
    )
    assert "phonons O2" in {j.name for j in cold.flow.jobs}
    # another O2 pressure: other results at T, the same at 0 K
    in_air = plan_campaign(
        Campaign(
            reactions=campaign.reactions,
            temperatures_k=campaign.temperatures_k,
            gas_pressures_bar={"O2": 0.21},
        ),
        build_job_store(f"embedded://{tmp_path / 'store'}"),
    )
    keys, air_keys = plan.result_keys["reaction"], in_air.result_keys["reaction"]
    assert keys[:2] == air_keys[:2] and not set(keys[2:]) & set(air_keys[2:])
    with pytest.raises(ValueError, match="at or above absolute zero"):
        plan_campaign(
            Campaign(reactions=[("Li2O2", "Li", None)], temperatures_k=[-5.0]),
            build_job_store(f"embedded://{tmp_path / 'store'}"),
        )


def test_campaign_keys_and_job_names_follow_the_stored_recipe(tmp_path):
    """Every result key at 0 K and at each temperature is the recipe results were stored under
    (content_key of kind, version, the kind's parts, [T, free-energy model,] reference set,
    mixing): a planner that changes them would lose every stored result. Checked against the
    planner before 0 K and temperatures shared one set of loops (byte-identical keys)."""
    campaign = Campaign(
        hulls=["Li3InCl6", "LiCl"],
        windows=["Li3InCl6"],
        reactions=[("Li3InCl6", "Li2O2", None), ("Li3InCl6", "LiCl", "Li2O", 0.5)],
        scans=[("Li3InCl6", "Li2O2", 0.1, 1.0)],
        voltage_reference="Li-In",
        temperatures_k=[80.0, 298.0],
        gas_pressures_bar={"O2": 0.21},
    )
    plan = plan_campaign(campaign, build_job_store(f"embedded://{tmp_path / 'store'}"))
    calc = plan.calculation_keys
    maker = PhasePhononMaker(engine=campaign.engine, min_length_a=campaign.phonon_min_length_a)
    model = (FREE_ENERGY_MODEL, [("O2", 0.21)], maker.settings)
    v = {voltage: voltage_vs_li(voltage, "Li-In") for voltage in (0.5, 0.1, 1.0)}
    anode, reference = get_anode("Li-In").name, campaign.reference.load({"Li", "In", "Cl", "O"})
    parts = {
        "hull": [(p, calc[p]) for p in campaign.hulls],
        "window": [("Li3InCl6", calc["Li3InCl6"])],
        "reaction": [
            ("Li3InCl6|Li2O2", [calc["Li3InCl6"], calc["Li2O2"]], None, anode),
            ("Li3InCl6|LiCl|Li2O", [calc[p] for p in ("Li3InCl6", "LiCl", "Li2O")], v[0.5], anode),
        ],
        "scan": [("Li3InCl6|Li2O2", [calc["Li3InCl6"], calc["Li2O2"]], [v[0.1], v[1.0]], anode)],
    }
    extras = [(), (80.0, model), (298.0, model)]
    for kind, kind_parts in parts.items():
        assert plan.result_keys[kind] == [
            content_key(kind, RESULT_VERSIONS[kind], *p, *extra, reference.name, False)
            for extra in extras
            for p in kind_parts
        ]
    names = [
        f"{kind} {' '.join(str(x) for x in (*p, *extra)[::2])}"
        for extra in extras
        for kind, kind_parts in parts.items()
        for p in kind_parts
    ]
    assert [job.name for job in plan.flow.jobs[-1].jobs] == names
    assert names[:4] == [
        "hull Li3InCl6",
        "hull LiCl",
        "window Li3InCl6",
        "reaction Li3InCl6|Li2O2 None",
    ]
    assert names[-1] == f"scan Li3InCl6|Li2O2 [{v[0.1]}, {v[1.0]}] 298.0"
    phonon_flows = [f for f in plan.flow.jobs if f.name.startswith("phonons ")]
    assert len(plan.result_keys["phonon"]) == len(phonon_flows) > 0


def test_tables_name_the_shown_ideal_gases():
    """A table at T ends naming the gases its rows show with their pressures (Cl2, in the
    system but not shown, is not named); a row label names a pressure other than 1 bar."""
    row = {
        "phases": ["Li3InCl6", "NCM90"],
        "voltage_v_vs_li": None,
        "reaction_energy_ev_per_atom": -0.022,
        "mixing_fractions": [0.429, 0.571],
        "products": {"In2O3": 1.0, "LiCl": 9.0, "O2": 0.5},
        "product_groups": {},
        "temperature_k": 298.0,
        "ideal_gases_bar": {"Cl2": 1.0, "O2": 0.21},
        "reference_set": "offline",
        "provenance": {"model": "CHGNet", "model_version": "0.3.0"},
    }
    text = render("reaction", [row])
    assert text.rstrip().endswith(
        "Ideal gases at the temperatures shown, not crystals: O2 (0.21 bar)."
    )
    assert "Ideal gases" not in render("reaction", [{**row, "ideal_gases_bar": {}}])
    # rows at other pressures are told apart; 1 bar, the default, goes unsaid
    assert "| Li3InCl6 \\| NCM90 at 298 K, O2 0.21 bar |" in text
    at_1_bar = render("reaction", [{**row, "ideal_gases_bar": {"Cl2": 1.0, "O2": 1.0}}])
    assert "| Li3InCl6 \\| NCM90 at 298 K |" in at_1_bar


@pytest.mark.slow
def test_a_campaign_reads_stored_and_new_phonons_together(tmp_path):
    """Li's phonons stored by one campaign, LiCl's computed by the next (Cl2 is a gas at 298 K):
    its hull at 298 K takes both (the stored document enters without its references to the
    data store)."""
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    run_campaign(Campaign(hulls=["Li"], temperatures_k=[298.0], phonon_min_length_a=6.0), store)
    stored = {d["key"] for d in stored_outputs(store, "phonon")}
    results = run_campaign(
        Campaign(hulls=["LiCl"], temperatures_k=[298.0], phonon_min_length_a=6.0), store
    )
    (hull,) = [h for h in results["hull"] if h["temperature_k"] == 298.0]
    assert hull["e_above_hull_ev_per_atom"] == 0.0  # LiCl is stable at 298 K as at 0 K
    assert set(hull["imaginary_modes_thz"]) <= {"Li", "LiCl"}
    phonons = stored_outputs(store, "phonon")
    assert {d["phase"] for d in phonons} == {"Li", "LiCl"}
    assert len(stored & {d["key"] for d in phonons}) == len(stored)  # Li's reused, not redone
    assert len(list(store.query({"output.kind": "phonon"}))) == len(phonons)


def test_campaign_phonon_supercells_follow_the_length_given(tmp_path):
    """phonon_min_length_a reaches atomate2's supercell job and keys the phonon documents and
    the results at T apart (a result from other phonons is another result); 0 K is shared."""
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    plans = {
        length: plan_campaign(
            Campaign(hulls=["LiCl"], temperatures_k=[298.0], phonon_min_length_a=length), store
        )
        for length in (10.0, 12.0)
    }
    for length, plan in plans.items():
        sizes = [j for j, _ in plan.flow.iterflow() if j.name.endswith(" supercell")]
        assert sizes and all(j.function_args[1] == length for j in sizes)
    assert set(plans[10.0].result_keys["phonon"]).isdisjoint(plans[12.0].result_keys["phonon"])
    (cold_10, warm_10), (cold_12, warm_12) = (p.result_keys["hull"] for p in plans.values())
    assert cold_10 == cold_12 and warm_10 != warm_12


@pytest.mark.slow
def test_less_oxygen_destabilises_a_peroxide(licl, reference):
    """Li2O2 -> Li2O + 1/2 O2 at 298 K: O2 is an ideal gas, so lowering its pressure from 1 to
    p bar lowers G(O2) by kT ln(p) / 2 per O atom, and Li2O2 (one O atom in four goes to O2)
    rises above the Li-O hull by a quarter of that once it decomposes."""
    li, li2o, li2o2, o2 = (reference.lowest_entry(f) for f in ("Li", "Li2O", "Li2O2", "O2"))
    subset = ReferenceSet(reference.name, (li, li2o, li2o2, o2), reference.model)
    phonons = [_phonons_like(licl, e, s) for e, s in ((li, 0.7), (li2o, 1.3), (li2o2, 1.1))]
    hulls = {}
    for pressure in (1e-20, 1e-30):
        space = free_energy_space(subset, [li2o2], phonons, 298.0, {"O2": pressure})
        assert space.ideal_gases_bar == {"O2": pressure}  # no phonons asked of O2
        hulls[pressure] = hull_result(space.phases[0], space.reference)
    for result in hulls.values():
        assert set(result.decomposition) == {"Li2O", "O2"}
        assert result.e_above_hull_ev_per_atom > 0
    by_hand = -K_B_EV_PER_K * 298.0 * np.log(1e-30 / 1e-20) / 2 / 4
    rise = hulls[1e-30].e_above_hull_ev_per_atom - hulls[1e-20].e_above_hull_ev_per_atom
    assert rise == pytest.approx(by_hand, rel=1e-4)


@pytest.mark.slow
def test_cli_hull_at_a_temperature_names_its_gases(tmp_path, capsys):
    """ssbscreen hull LiCl --temperature 298: phonons of Li and LiCl only (Cl2 boils at 239 K),
    LiCl on the hull, and the answer names Cl2 as an ideal gas at 1 bar."""
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["hull", "LiCl", "--temperature", "298", "--json", "--store", uri]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["temperature_k"] == 298.0
    assert out["e_above_hull_ev_per_atom"] == 0.0
    assert out["ideal_gases_bar"] == {"Cl2": 1.0}
    store = build_job_store(uri)
    store.connect()
    assert {d["phase"] for d in stored_outputs(store, "phonon")} == {"Li", "LiCl"}
