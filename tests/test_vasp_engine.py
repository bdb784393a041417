"""The VASP engine: input files at the seed study's settings, tested as atomate2 tests VASP.

No VASP and no POTCARs are needed: inputs are written with POTCAR.spec (symbols only) and
checked with atomate2's own checks against hand-written reference inputs in tests/data/vasp.
A whole campaign runs with VASP faked as atomate2 fakes it (the inputs are checked, then real
recorded outputs are copied in); the document path is also run on a recorded VASP run of ASE.
"""

import json
from pathlib import Path

import ase
import atomate2.vasp.jobs.base
import pytest
from atomate2.utils.testing.vasp import (
    _check_incar,
    _check_kpoints,
    _check_poscar,
    _check_potcar,
    monkeypatch_vasp,
)
from atomate2.vasp.files import write_vasp_input_set
from emmet.core.tasks import OutputDoc, TaskDoc
from emmet.core.vasp.task_valid import TaskState
from jobflow import CURRENT_JOB, JobStore
from maggma.stores import MemoryStore
from pymatgen.core import Lattice, Structure
from pymatgen.entries.computed_entries import ComputedEntry
from pymatgen.io.vasp import Incar, Kpoints, Vasprun
from pymatgen.io.vasp.sets import MPRelaxSet, VaspInputSet

from ssbscreen.analysis.references import ReferenceSet, phase_entry
from ssbscreen.schemas import MP_MODEL
from ssbscreen.workflows.campaign import Campaign, plan_campaign, run_campaign
from ssbscreen.workflows.engines import MP_HUBBARD_U_EV, STUDY_INCAR, VaspEngine
from ssbscreen.workflows.local import run_flow_locally
from ssbscreen.workflows.references import ReferenceSpec
from ssbscreen.workflows.stability import PhaseCalculationMaker, calculation_document

DATA = Path(__file__).parent / "data" / "vasp"
ASE_NACL_VASPRUN = Path(ase.__file__).parent / "test" / "testdata" / "vasp" / "vasprun_dfpt.xml"


@pytest.fixture
def potcar_spec(monkeypatch):
    """Write POTCAR.spec instead of licensed POTCARs (atomate2's test approach)."""
    original = VaspInputSet.get_input_set

    def get_input_set(self, *args, **kwargs):
        kwargs["potcar_spec"] = True
        return original(self, *args, **kwargs)

    monkeypatch.setattr(VaspInputSet, "get_input_set", get_input_set)
    monkeypatch.setattr(VaspInputSet, "nelect", property(lambda self: 0))


def licl() -> Structure:
    return Structure.from_file(DATA / "LiCl_relax" / "inputs" / "POSCAR")


def _written(maker, structure, directory) -> tuple[Incar, Kpoints, list[str]]:
    write_vasp_input_set(structure, maker.input_set_generator, directory=directory)
    return (
        Incar.from_file(directory / "INCAR"),
        Kpoints.from_file(directory / "KPOINTS"),
        (directory / "POTCAR.spec").read_text().split(),
    )


@pytest.mark.parametrize(("kind", "mesh"), [("relax", (7, 7, 7)), ("static", (9, 9, 9))])
def test_inputs_are_exactly_the_study_settings(kind, mesh, tmp_path, monkeypatch, potcar_spec):
    engine = VaspEngine()
    maker = engine.relax_maker() if kind == "relax" else engine.static_maker()
    incar, kpoints, potcars = _written(maker, licl(), tmp_path)
    reference = DATA / f"LiCl_{kind}"
    assert dict(incar) == dict(Incar.from_file(reference / "inputs" / "INCAR"))
    assert incar["ENCUT"] == 520 and incar["EDIFF"] == 1e-5 and incar["EDIFFG"] == -0.01
    assert "GGA" not in incar and "METAGGA" not in incar  # PBE from the PAW_PBE POTCARs
    assert kpoints.style == Kpoints.supported_modes.Gamma and tuple(kpoints.kpts[0]) == mesh
    assert potcars == ["Li_sv", "Cl"]  # Materials Project's POTCAR choices
    monkeypatch.chdir(tmp_path)  # atomate2's checks read ./INCAR etc.
    _check_incar(reference, None, None)
    _check_kpoints(reference)
    _check_poscar(reference)
    _check_potcar(reference)


def test_transition_metal_oxides_get_materials_project_u_values(tmp_path, potcar_spec):
    structure = Structure(
        Lattice.cubic(4.2),
        ["Li", "Ni", "O", "O"],
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    )
    engine = VaspEngine()
    incar, _, potcars = _written(engine.relax_maker(), structure, tmp_path)
    assert incar["LDAU"] is True and incar["LDAUTYPE"] == 2
    u_by_element = dict(zip(potcars, incar["LDAUU"], strict=True))
    assert u_by_element == {"Li_sv": 0, "Ni_pv": MP_HUBBARD_U_EV["Ni"], "O": 0}
    # what the entry records is what the INCAR applied, so MP2020 treats it as MP data
    assert engine.entry_parameters(structure.composition)["hubbards"] == {"Ni": 6.2}
    mp_u = MPRelaxSet.CONFIG["INCAR"]["LDAUU"]["O"]
    assert {el: mp_u[el] for el in MP_HUBBARD_U_EV} == MP_HUBBARD_U_EV


def test_neb_inputs_are_climbing_image_at_the_same_settings(tmp_path, potcar_spec):
    maker = VaspEngine().neb_maker()
    generator = maker.images_maker.input_set_generator
    generator.num_images = 3
    incar, kpoints, potcars = _written(maker.images_maker, licl(), tmp_path)
    assert {k: incar[k] for k in STUDY_INCAR} == STUDY_INCAR  # forces below 0.01 eV/A
    assert incar["IMAGES"] == 3 and incar["LCLIMB"] is True and incar["SPRING"] == -5
    assert incar["IBRION"] == 3 and incar["POTIM"] == 0 and incar["IOPT"] == 1
    assert incar["ISIF"] == 2 and incar["PREC"] == "Accurate"
    assert tuple(kpoints.kpts[0]) == (7, 7, 7) and sorted(potcars) == ["Cl", "Li_sv"]
    endpoint = maker.endpoint_relax_maker.input_set_generator
    assert endpoint.user_incar_settings["ISIF"] == 2  # end points keep the host's cell
    assert endpoint.user_incar_settings["EDIFFG"] == -0.01


def test_vasp_provenance_places_energies_on_the_materials_project_hull():
    prov = VaspEngine().provenance()
    assert prov.engine == "vasp" and prov.model == MP_MODEL == "PBE"
    assert prov.energy_corrections == "MP2020"
    assert prov.settings["incar"] == STUDY_INCAR
    assert prov.settings["kpoints_reciprocal_density"] == {"relax": 64, "static": 100}


def test_missing_vasp_executable_names_the_setting():
    with pytest.raises(ValueError, match="not on PATH; set ATOMATE2_VASP_CMD"):
        VaspEngine(vasp_cmd="vasp_std_not_installed").check_runnable()


def test_elements_without_an_mp_potcar_are_refused():
    with pytest.raises(ValueError, match="no POTCAR for Og"):
        VaspEngine().check_elements(Structure(Lattice.cubic(5), ["Og"], [[0, 0, 0]]))


def test_a_vasp_crash_is_recorded_as_a_failed_calculation(monkeypatch, tmp_path, potcar_spec):
    """VASP replaced by a check of its input files that then crashes, as VASP can.

    The phase is recorded as failed, with its reason, and nothing else is lost.
    """
    checked = []

    def run_vasp(*args, **kwargs):
        name = CURRENT_JOB.job.name
        reference = DATA / {"LiCl relax": "LiCl_relax"}[name]
        _check_incar(reference, None, None)
        _check_kpoints(reference)
        _check_poscar(reference)
        _check_potcar(reference)
        checked.append(name)
        raise RuntimeError("VASP crashed")

    monkeypatch.setattr(atomate2.vasp.jobs.base, "run_vasp", run_vasp)
    monkeypatch.chdir(tmp_path)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    flow = PhaseCalculationMaker(engine=VaspEngine()).make(licl(), "LiCl")
    run_flow_locally(flow, store, create_folders=True)
    assert checked == ["LiCl relax"]
    doc = store.query_one({"output.kind": "calculation"}, properties=["output"])["output"]
    assert doc["state"] == "failed"
    assert doc["reason"].endswith(
        "relaxation raised an error (LiCl relax: RuntimeError: VASP crashed)"
    )
    assert doc["provenance"]["engine"] == "vasp" and doc["entry"] is None


@pytest.fixture
def mock_vasp(monkeypatch):
    """atomate2's fake VASP: check the written inputs, then copy the recorded outputs in."""
    yield from monkeypatch_vasp(monkeypatch, DATA)


def test_recorded_vasp_runs_go_through_parsing_documents_and_the_hull(
    mock_vasp, monkeypatch, tmp_path
):
    """A campaign on diamond Si with VASP faked by recorded real PBE runs (tests/data/vasp).

    Every input file the engine writes is checked against the hand-written study settings;
    atomate2 parses the recorded vasprun.xml and OUTCAR into task documents, and the campaign
    turns them into a calculation document and a hull.
    """
    cif = tmp_path / "Si.cif"
    Structure.from_file(DATA / "Si_relax" / "inputs" / "POSCAR").to(filename=str(cif))
    mock_vasp({f"{cif} relax": "Si_relax", f"{cif} static": "Si_static"})
    monkeypatch.setattr(VaspEngine, "check_runnable", lambda self: None)  # VASP is faked
    monkeypatch.chdir(tmp_path)

    # reference set: the recorded relaxation's first ionic step, i.e. the unrelaxed 5.40 A
    # cell at the same settings; the relaxation lowered the energy from there
    relax_run = Vasprun(DATA / "Si_relax" / "outputs" / "vasprun.xml.gz", parse_potcar_file=False)
    first, last = relax_run.ionic_steps[0], relax_run.ionic_steps[-1]
    assert last["e_0_energy"] < first["e_0_energy"] < 0
    start = ComputedEntry(relax_run.initial_structure.composition, first["e_0_energy"])
    references = tmp_path / "si_start.json"
    references.write_text(json.dumps([start.as_dict()]))

    campaign = Campaign(
        hulls=[str(cif)],
        engine=VaspEngine(),
        # a user file has no model label: its PBE entries are accepted explicitly
        reference=ReferenceSpec("file", "vasp", str(references), allow_mixing=True),
    )
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    results = run_campaign(campaign, store)

    (calculation,) = results["calculation"]
    assert calculation["state"] == "successful", calculation.get("reason")
    assert calculation["provenance"]["engine"] == "vasp"
    static_run = Vasprun(DATA / "Si_static" / "outputs" / "vasprun.xml.gz", parse_potcar_file=False)
    assert calculation["energy_ev"] == pytest.approx(static_run.final_energy, abs=1e-6)
    assert calculation["energy_ev"] / 2 == pytest.approx(-5.41027, abs=1e-5)  # eV/atom
    relaxed = Structure.from_dict(calculation["structure"])
    assert relaxed.get_space_group_info()[0] == "Fd-3m"
    a = relaxed.get_primitive_structure().lattice.abc[0] * 2**0.5  # conventional cubic cell
    assert a == pytest.approx(5.4654, abs=1e-3)
    assert 0 < a / 5.431 - 1 < 0.015  # PBE overestimates Si's 5.431 A by under 1.5 %

    (hull,) = results["hull"]
    # the relaxed phase lies below the reference hull by its relaxation energy (-9.3 meV/atom)
    depth = (static_run.final_energy - first["e_0_energy"]) / 2
    assert hull["e_above_hull_ev_per_atom"] == pytest.approx(depth, abs=1e-6)
    assert hull["e_above_hull_ev_per_atom"] < 0
    assert hull["decomposition"] == {"Si": 1.0}  # stable: it is its own product
    assert hull["provenance"]["engine"] == "vasp"
    assert plan_campaign(campaign, store).is_empty  # a rerun computes nothing


@pytest.mark.skipif(not ASE_NACL_VASPRUN.is_file(), reason="ASE's VASP test data is missing")
def test_a_recorded_vasp_run_becomes_a_corrected_mp_compatible_entry():
    """Real VASP output (NaCl, PBE, from ASE's test data) through the document and analysis."""
    # atomate2 parses a directory with TaskDoc.from_directory, which needs the OUTCAR this
    # recording lacks (and emmet's TaskDoc.from_vasprun fails on a missing OUTCAR), so the
    # TaskDoc is filled from the parsed vasprun.xml: final structure, energy and convergence
    run = Vasprun(ASE_NACL_VASPRUN, parse_potcar_file=False)
    structure = run.final_structure
    task = TaskDoc(
        state=TaskState.SUCCESS if run.converged else TaskState.FAILED,
        structure=structure,
        output=OutputDoc(
            structure=structure,
            energy=run.final_energy,
            energy_per_atom=run.final_energy / len(structure),
        ),
    )
    assert run.potcar_symbols == ["PAW_PBE Na 08Apr2002", "PAW_PBE Cl 06Sep2000"]
    engine = VaspEngine()
    inputs = {
        "phase": "NaCl",
        "key": "k" * 64,
        "provenance": engine.provenance().model_dump(),
        "entry_parameters": engine.entry_parameters(structure.composition),
        "n_atoms": len(structure),
        "formula": "NaCl",
        "chemsys": "Cl-Na",
    }
    doc = calculation_document.original(task, task, inputs)
    assert doc.state == "successful"
    assert doc.energy_ev == pytest.approx(-6.74587304)  # VASP's final energy in the file
    assert doc.structure.composition.reduced_formula == "NaCl"
    calculation = doc.model_dump()

    mp_like = ReferenceSet("materials_project", (), model=MP_MODEL)
    entry = phase_entry("NaCl", calculation, mp_like)
    # MP2020 chloride correction, -0.614 eV per Cl (Wang et al., Sci. Rep. 11, 15496 (2021))
    assert entry.energy - doc.energy_ev == pytest.approx(-0.614, abs=1e-3)
    mlip_set = ReferenceSet("offline-CHGNet-0.3.0-v2", (), model="CHGNet-0.3.0")
    with pytest.raises(ValueError, match="computed with PBE"):
        phase_entry("NaCl", calculation, mlip_set)


def test_campaign_for_a_missing_vasp_stops_before_computing(tmp_path):
    """Bad input: VASP is not installed where the campaign runs -> one sentence, nothing run."""
    recorded = json.loads(
        (Path(__file__).parent / "data" / "mp_api" / "materials_thermo_Cl-Li.json").read_text()
    )
    references = tmp_path / "mp_li_cl.json"
    references.write_text(json.dumps([doc["entries"]["GGA"] for doc in recorded["data"]]))
    cif = tmp_path / "LiCl.cif"
    licl().to(filename=str(cif))
    campaign = Campaign(
        hulls=[str(cif)],
        engine=VaspEngine(vasp_cmd="vasp_std_not_installed"),
        reference=ReferenceSpec("file", "vasp", str(references)),
    )
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    with pytest.raises(
        ValueError, match=r"^The vasp engine runs `vasp_std_not_installed`.*ATOMATE2_VASP_CMD"
    ):
        run_campaign(campaign, store)
    assert store.count() == 0
