"""The CP2K engine: real PBE calculations of LiCl with Debian's cp2k, through atomate2's Makers.

The integration test runs CP2K for real (skipped with the reason when it is not installed):
apt-get install cp2k cp2k-data.
"""

import shutil

import numpy as np
import pytest
from atomate2.cp2k.sets.core import StaticSetGenerator
from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore
from pymatgen.core import Lattice, Structure
from pymatgen.io.cp2k.inputs import Cp2kInput
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ssbscreen.analysis.references import ReferenceSet, check_compatible, phase_entry
from ssbscreen.workflows.engines import Cp2kEngine, cp2k_data_dir, engine_from_name
from ssbscreen.workflows.stability import PhaseCalculationMaker

needs_data = pytest.mark.skipif(
    cp2k_data_dir() is None,
    reason="CP2K's basis and pseudopotential files are missing (apt-get install cp2k-data)",
)
needs_cp2k = pytest.mark.skipif(
    shutil.which(Cp2kEngine().command) is None or cp2k_data_dir() is None,
    reason="CP2K is not installed (apt-get install cp2k cp2k-data)",
)


def rocksalt_licl(a=5.13):
    """Conventional rock-salt LiCl (8 atoms); measured a = 5.13 Angstrom."""
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), ["Li", "Cl"], [[0, 0, 0], [0.5] * 3]
    )


def small_engine(**settings):
    """Settings that keep a test run short: Gamma point, 250 Ry, closed shell."""
    return Cp2kEngine(
        cutoff_ry=250,
        rel_cutoff_ry=40,
        kpoint_density=None,
        eps_default=1e-10,
        eps_pgf_orb=1e-8,
        spin_polarized=False,
        relax_cell=False,
        **settings,
    )


def test_factory_builds_each_engine_and_refuses_unknown_names():
    assert engine_from_name("cp2k").provenance().engine == "cp2k"
    assert engine_from_name("VASP").provenance().engine == "vasp"
    assert engine_from_name("mlip", "sevennet").potential == "sevennet"
    with pytest.raises(ValueError, match="choose one of mlip, mlip-batched, vasp, cp2k"):
        engine_from_name("gaussian")


def test_missing_executable_is_one_sentence_naming_the_setting():
    engine = Cp2kEngine(cp2k_cmd="cp2k-not-installed.psmp")
    with pytest.raises(ValueError, match="ATOMATE2_CP2K_CMD") as info:
        engine.check_runnable()
    message = str(info.value)
    assert "cp2k-not-installed.psmp" in message and message.count(". ") == 0
    with pytest.raises(ValueError, match="mpi-code-missing is not on PATH"):
        Cp2kEngine(cp2k_cmd="mpirun -n 2 mpi-code-missing").check_runnable()


def test_cp2k_energies_never_carry_mp2020_corrections():
    prov = Cp2kEngine().provenance()
    assert prov.energy_corrections == "none"
    assert prov.model == "PBE/GTH/DZVP-MOLOPT-SR-GTH"
    assert prov.model != engine_from_name("vasp").provenance().model
    assert Cp2kEngine().entry_parameters(rocksalt_licl().composition)["hubbards"] == {}


@needs_data
def test_pseudopotential_valence_matches_the_basis_set():
    chosen = Cp2kEngine().basis_and_potential(["Li", "Cl", "O"])
    assert chosen["Li"]["potential"] == "GTH-PBE-q3"  # 1s2 2s1 semicore: 3 electrons
    assert chosen["Cl"]["potential"] == "GTH-PBE-q7"
    assert chosen["O"]["potential"] == "GTH-PBE-q6"
    assert chosen["basis_filenames"] == ["BASIS_MOLOPT"]
    with pytest.raises(ValueError, match=r"no DZVP-MOLOPT-XX-GTH basis .* for Cl, Li"):
        Cp2kEngine(basis="DZVP-MOLOPT-XX-GTH").check_elements(rocksalt_licl())


@needs_data
def test_input_file_has_pbe_the_basis_and_the_grid_settings(tmp_path):
    engine = Cp2kEngine(cutoff_ry=400, rel_cutoff_ry=45, kpoint_density=64)
    structure = rocksalt_licl().get_primitive_structure()
    generator = engine.input_set_generator(StaticSetGenerator, structure)
    generator.get_input_set(structure).write_input(tmp_path)
    inp = Cp2kInput.from_file(tmp_path / "cp2k.inp")
    dft = inp["FORCE_EVAL"]["DFT"]
    assert inp["GLOBAL"]["RUN_TYPE"].values[0] == "ENERGY_FORCE"
    assert "PBE" in dft["XC"]["XC_FUNCTIONAL"].subsections
    assert dft["MGRID"]["CUTOFF"].values[0] == 400
    assert dft["MGRID"]["REL_CUTOFF"].values[0] == 45
    assert dft["POTENTIAL_FILE_NAME"].values[0] == "GTH_POTENTIALS"
    assert dft["KPOINTS"]  # a k-point mesh (not Gamma only) at this density
    text = (tmp_path / "cp2k.inp").read_text()
    assert "POTENTIAL GTH-PBE-q3" in text and "POTENTIAL GTH-PBE-q7" in text
    assert text.count("BASIS_SET DZVP-MOLOPT-SR-GTH") == 2


@pytest.mark.slow
@needs_cp2k
def test_cp2k_computes_a_real_pbe_energy_of_licl(tmp_path, monkeypatch):
    """Relax (ions) and static of rock-salt LiCl with CP2K; the document holds its energy."""
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.chdir(tmp_path)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    engine = small_engine()
    flow = PhaseCalculationMaker(engine=engine).make(rocksalt_licl(), "LiCl")
    run_locally(flow, store=store, create_folders=True, ensure_success=True, log=False)

    doc = store.query_one({"output.kind": "calculation"}, properties=["output"])["output"]
    assert doc["state"] == "successful", doc["reason"]
    static = store.query_one({"name": "LiCl static"}, properties=["output"])["output"]
    relax = store.query_one({"name": "LiCl relax"}, properties=["output"])["output"]

    # the document stores exactly what CP2K computed in the static run
    assert doc["energy_ev"] == pytest.approx(static["output"]["energy"], abs=1e-8)
    assert static["state"] == relax["state"] == "successful"
    energy_per_atom = doc["energy_per_atom_ev"]
    assert np.isfinite(energy_per_atom)
    # valence-only (GTH) total energy: about -11.29 Hartree per LiCl atom, i.e. -307 eV
    assert -340 < energy_per_atom < -280
    # ion positions fixed by symmetry: forces vanish, the structure stays rock salt
    forces = np.array(static["output"]["forces"])
    assert np.abs(forces).max() < 0.01
    relaxed = Structure.from_dict(doc["structure"])
    assert SpacegroupAnalyzer(relaxed).get_space_group_symbol() == "Fm-3m"
    assert relaxed.composition.reduced_formula == "LiCl"
    # the relaxation started from the same structure the static used
    assert relax["output"]["energy"] == pytest.approx(doc["energy_ev"], abs=1e-3)

    prov = doc["provenance"]
    assert prov["engine"] == "cp2k" and prov["settings"]["cutoff_ry"] == 250
    assert doc["entry"]["parameters"]["run_type"] == "GGA"

    # a CP2K energy never sits on a hull of another engine's energies
    mlip_set = ReferenceSet("offline-CHGNet-0.3.0-v2", (), model="CHGNet-0.3.0")
    with pytest.raises(ValueError, match="computed with PBE/GTH/DZVP-MOLOPT-SR-GTH"):
        phase_entry("LiCl", doc, mlip_set)
    mp_set = ReferenceSet("materials_project", (), model="PBE")
    with pytest.raises(ValueError, match="reference set 'materials_project'"):
        check_compatible(mp_set, engine.provenance())
    own_set = ReferenceSet("user:cp2k.json", (), model=prov["model"])
    entry = phase_entry("LiCl", doc, own_set)
    assert entry.energy == pytest.approx(doc["energy_ev"])  # no correction added
