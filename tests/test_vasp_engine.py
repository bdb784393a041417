"""The VASP engine: input files at the seed study's settings, tested as atomate2 tests VASP.

No VASP and no POTCARs are needed: inputs are written with POTCAR.spec (symbols only) and
checked with atomate2's own checks against hand-written reference inputs in tests/data/vasp;
the document path is exercised with a real recorded VASP run that ships with ASE.
"""

import json
from pathlib import Path

import ase
import atomate2.vasp.jobs.base
import pytest
from atomate2.utils.testing.vasp import _check_incar, _check_kpoints, _check_poscar, _check_potcar
from atomate2.vasp.files import write_vasp_input_set
from emmet.core.tasks import OutputDoc, TaskDoc
from emmet.core.vasp.task_valid import TaskState
from jobflow import CURRENT_JOB, JobStore, run_locally
from maggma.stores import MemoryStore
from pymatgen.core import Lattice, Structure
from pymatgen.io.vasp import Incar, Kpoints, Vasprun
from pymatgen.io.vasp.sets import MPRelaxSet, VaspInputSet

from ssbscreen.analysis.references import MP_MODEL, ReferenceSet, ReferenceSpec, phase_entry
from ssbscreen.workflows.campaign import Campaign, run_campaign
from ssbscreen.workflows.engines import MP_HUBBARD_U_EV, STUDY_INCAR, VaspEngine
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


def test_whole_flow_writes_checked_inputs_and_records_a_failed_run(
    monkeypatch, tmp_path, potcar_spec
):
    """The flow runs as on a cluster, with VASP replaced by a check of its input files.

    There are no recorded VASP outputs of this cell, so the mocked VASP stops after the
    check; the campaign then records the phase as failed, with its reason, as for any crash.
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
        raise RuntimeError("no recorded VASP outputs for this cell")

    monkeypatch.setattr(atomate2.vasp.jobs.base, "run_vasp", run_vasp)
    monkeypatch.chdir(tmp_path)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    flow = PhaseCalculationMaker(engine=VaspEngine()).make(licl(), "LiCl")
    run_locally(flow, store=store, create_folders=True, ensure_success=False, log=False)
    assert checked == ["LiCl relax"]
    doc = store.query_one({"output.kind": "calculation"}, properties=["output"])["output"]
    assert doc["state"] == "failed" and "relaxation raised an error" in doc["reason"]
    assert doc["provenance"]["engine"] == "vasp" and doc["entry"] is None


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
    doc = calculation_document.original(
        task,
        task,
        phase="NaCl",
        key="k" * 64,
        provenance=engine.provenance().model_dump(),
        entry_parameters=engine.entry_parameters(structure.composition),
        n_atoms=len(structure),
        formula="NaCl",
        chemsys="Cl-Na",
    )
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
