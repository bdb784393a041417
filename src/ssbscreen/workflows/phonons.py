"""Harmonic phonons of a phase with any engine: vibrational free energy, entropy, heat capacity.

Tight relaxation (the engine) -> supercell by a length criterion and phonopy finite
displacements (atomate2's jobs) -> forces on every displaced supercell -> force constants,
DOS, band structure and thermodynamics (atomate2's PhononBSDOSDoc) -> PhononDocument in eV per
atom. Forces come from batched calls where the potential has a batched predictor, in jobs
of about ``chunk_atoms`` atoms each whose outputs are keyed by their cells, so a rerun reuses
every finished chunk; else from atomate2's per-displacement static jobs (also the path for a
DFT engine on HPC). A document is keyed by the input structure and everything about the engine
and the settings, so the phonons of a phase are computed once and reused by every hull and
reaction that needs them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from atomate2.common.jobs.phonons import (
    generate_phonon_displacements,
    get_supercell_size,
    run_phonon_displacements,
)
from atomate2.common.schemas.phonons import PhononBSDOSDoc
from jobflow import CURRENT_JOB, Flow, Job, Maker, OnMissing, OutputReference, Response, job
from phonopy import Phonopy
from phonopy.phonon.band_structure import get_band_qpoints_and_path_connections
from pymatgen.core import Structure
from pymatgen.io.phonopy import (
    get_ph_bs_symm_line_from_dict,
    get_phonopy_structure,
    get_pmg_structure,
)
from pymatgen.io.vasp import Kpoints
from pymatgen.phonon.bandstructure import PhononBandStructureSymmLine
from pymatgen.phonon.dos import PhononDos
from ruamel.yaml import YAML

from ssbscreen.analysis.free_energy import structure_key
from ssbscreen.potentials import POTENTIALS, get_potential
from ssbscreen.schemas import PhononDocument, Provenance, content_key
from ssbscreen.store.queries import stored_jobs
from ssbscreen.workflows.engines import NO_FILES, MLIPEngine, PotentialStaticMaker
from ssbscreen.workflows.local import JOB_LOG

EV_IN_J_PER_MOL = 96485.33212  # 1 eV per particle = e * N_A J/mol
THZ_IN_EV = 4.135667696e-3  # h * 1 THz in eV
MESH_KPPA = 7000  # q-points per reciprocal atom of the thermodynamics mesh (atomate2's default)
KPATH_SCHEME = "latimer_munro"  # any cell setting; seekpath is not a dependency


def predicted_forces(potential: str, structures: list[Structure], batch_size: int) -> list:
    """Forces (eV/Angstrom) on all ``structures`` from the potential's batched predictions."""
    predictions = get_potential(potential).batched_predictor(structures, "ef", batch_size, None)
    return [np.asarray(p["f"], dtype=float) for p in predictions]


@job(data="structures")  # hundreds of large cells: kept out of the documents collection
def displaced_supercells(
    structure: Structure, supercell_matrix, displacement_a: float, symprec: float
) -> dict:
    """phonopy's displaced supercells of ``structure`` (displacement in Angstrom)."""
    displaced = generate_phonon_displacements.original(
        structure,
        supercell_matrix,
        displacement_a,
        True,
        symprec,
        None,
        KPATH_SCHEME,
        "forcefields",
    )
    return {"structures": displaced}


def displaced_cells_key(structures: list[Structure], phonon_key: str) -> str:
    """Key of the forces on exact ``structures`` (Cartesian coordinates to 1e-6 Angstrom) for
    the phonons keyed ``phonon_key`` (which fixes the potential and its version)."""
    cells = [
        (
            [site.species_string for site in s],
            np.round(s.lattice.matrix, 6).tolist(),
            np.round(s.cart_coords, 6).tolist(),
        )
        for s in structures
    ]
    return content_key("phonon forces", phonon_key, cells)


@job(data="forces")
def batched_forces(
    structures: list[Structure], potential: str, batch_size: int, key: str, first: int = 0
) -> dict | OutputReference:
    """Forces (eV/Angstrom) on displaced supercells ``first``, ``first + 1``, ... from batched
    potential calls; when a job with the same ``key`` is stored whole, a reference to its
    output instead (resolved where read, so the forces are not stored again)."""
    store = CURRENT_JOB.store
    if store is not None:
        for stored in stored_jobs(store, "phonon_forces", key, complete=True):
            return OutputReference(stored["uuid"])  # the newest with all its data
    forces = predicted_forces(potential, structures, batch_size)
    return {
        "kind": "phonon_forces",
        "key": key,
        "displacement_number": list(range(first, first + len(forces))),
        "forces": [f.tolist() for f in forces],
        "uuids": [CURRENT_JOB.job.uuid] * len(forces),
        "dirs": [os.getcwd()] * len(forces),
    }


@job
def chunked_forces(
    structures: list[Structure], potential: str, batch_size: int, chunk_atoms: int, key: str
) -> Response:
    """Replaced by one batched_forces job per run of cells that together hold about
    ``chunk_atoms`` atoms; its output becomes the list of their outputs, in displacement
    order (joined where read, so the forces are stored once)."""
    chunks, start, atoms = [], 0, 0
    for i, structure in enumerate(structures):
        atoms += len(structure)
        if atoms >= chunk_atoms or i == len(structures) - 1:
            chunks.append((start, i + 1))
            start, atoms = i + 1, 0
    name = CURRENT_JOB.job.name
    jobs = []
    for start, stop in chunks:
        part = structures[start:stop]
        chunk = batched_forces(part, potential, batch_size, displaced_cells_key(part, key), start)
        chunk.config.expose_store = True
        chunk.name = f"{name} ({start + 1}-{stop} of {len(structures)})"
        jobs.append(chunk)
    return Response(replace=Flow(jobs, output=[chunk.output for chunk in jobs]))


def displacement_forces(forces: dict | list[dict | None] | None) -> list | None:
    """Forces per displaced cell, in displacement order, from atomate2's
    run_phonon_displacements output or from the consecutive outputs of batched_forces;
    None when an output is missing (its job failed)."""
    chunks = forces if isinstance(forces, list) else [forces]
    if any(chunk is None for chunk in chunks):
        return None
    return [cell for chunk in chunks for cell in chunk["forces"]]


def harmonic_phonons(structure: Structure, supercell_matrix, forces: list, settings: dict) -> dict:
    """Force constants -> thermodynamics per atom, DOS and band structure (phonopy).

    Translational invariance is imposed on the force constants (the acoustic modes of a
    potential's float32 forces are otherwise not zero at Gamma). Thermodynamics are mesh sums
    (mesh of atomate2's default density); phonopy gives them per primitive cell in kJ/mol and
    J/K/mol, converted here to eV/atom and eV/K/atom.
    """
    phonon = Phonopy(
        get_phonopy_structure(structure),
        supercell_matrix,
        primitive_matrix="auto",
        symprec=settings["symprec"],
    )
    phonon.generate_displacements(distance=settings["displacement_a"])
    phonon.forces = np.asarray(forces, dtype=float)
    phonon.produce_force_constants()
    phonon.symmetrize_force_constants()
    primitive = get_pmg_structure(phonon.primitive)
    mesh = Kpoints.automatic_density(primitive, kppa=MESH_KPPA, force_gamma=True).kpts[0]
    phonon.run_mesh(mesh, is_gamma_center=True)
    step = settings["temperature_step_k"]
    phonon.run_thermal_properties(t_min=0, t_max=settings["max_temperature_k"], t_step=step)
    thermal = phonon.get_thermal_properties_dict()
    phonon.run_total_dos()
    total_dos = phonon.get_total_dos_dict()
    kpoints, path = PhononBSDOSDoc.get_kpath(primitive, KPATH_SCHEME, settings["symprec"])
    qpoints, connections = get_band_qpoints_and_path_connections(path, npoints=51)
    phonon.run_band_structure(qpoints, path_connections=connections)
    with tempfile.TemporaryDirectory() as folder:
        band_file = Path(folder) / "band.yaml"
        phonon.write_yaml_band_structure(filename=str(band_file))
        bands = get_ph_bs_symm_line_from_dict(
            YAML(typ="safe").load(band_file.read_text()), labels_dict=kpoints
        )
    n_prim = len(phonon.primitive)
    mesh_frequencies = phonon.get_mesh_dict()["frequencies"]
    weights = phonon.get_mesh_dict()["weights"]
    hbar_omega_ev = np.clip(mesh_frequencies, 0, None) * THZ_IN_EV  # modes, weighted over q
    zpe = 0.5 * np.sum(weights[:, None] * hbar_omega_ev) / weights.sum() / n_prim
    return {
        "temperatures_k": thermal["temperatures"].tolist(),
        "free_energy_ev_per_atom": (thermal["free_energy"] * 1000 / EV_IN_J_PER_MOL / n_prim),
        "entropy_ev_per_atom_k": thermal["entropy"] / EV_IN_J_PER_MOL / n_prim,
        "heat_capacity_ev_per_atom_k": thermal["heat_capacity"] / EV_IN_J_PER_MOL / n_prim,
        "zero_point_energy_ev_per_atom": float(zpe),
        "lowest_frequency_thz": float(min(np.min(bands.bands), mesh_frequencies.min())),
        "phonon_dos": PhononDos(total_dos["frequency_points"], total_dos["total_dos"]),
        "phonon_bandstructure": bands,
    }


@job(data=[PhononDos, PhononBandStructureSymmLine])
def phonon_document(
    phase: str,
    key: str,
    input_structure: Structure,
    provenance: dict,
    settings: dict,
    static_output,
    supercell_matrix: list | None,
    forces: dict | list[dict] | None,
) -> PhononDocument:
    """PhononDocument of a relaxed structure from the forces on its displaced supercells."""
    input_key = structure_key(input_structure) if input_structure is not None else ""
    common = {"key": key, "phase": phase, "structure_key": input_key, "settings": settings}
    common["provenance"] = Provenance(**provenance)
    forces = displacement_forces(forces)
    if static_output is None or supercell_matrix is None or forces is None:
        stage = "relaxation or static" if static_output is None else "displaced-force"
        return PhononDocument(
            state="failed",
            formula=phase,
            reason=f"the {stage} calculation raised an error {JOB_LOG}",
            **common,
        )
    structure = static_output.output.mol_or_struct
    result = harmonic_phonons(structure, supercell_matrix, forces, settings)
    for name in ("free_energy_ev_per_atom", "entropy_ev_per_atom_k", "heat_capacity_ev_per_atom_k"):
        result[name] = [float(x) for x in result[name]]
    return PhononDocument(
        state="successful",
        formula=structure.composition.reduced_formula,
        n_atoms=len(structure),
        supercell_matrix=np.rint(supercell_matrix).astype(int).tolist(),
        n_displacements=len(forces),
        energy_per_atom_ev=float(static_output.output.energy) / len(structure),
        imaginary_modes=result["lowest_frequency_thz"] < -settings["imaginary_tolerance_thz"],
        structure=structure,
        **result,
        **common,
    )


@dataclass
class PhasePhononMaker(Maker):
    """Phonons of one phase -> PhononDocument (the engine relaxes and computes the forces).

    min_length_a / max_length_a: supercell lattice vectors at least / at most this (Angstrom).
    displacement_a: finite displacement (Angstrom); fmax_ev_per_a: force threshold of the tight
    relaxation before the displacements (eV/Angstrom). Thermodynamics from 0 to
    max_temperature_k in steps of temperature_step_k (K). imaginary_tolerance_thz: modes below
    minus this flag a dynamically unstable structure. batched: batched force calls where the
    potential allows it (batch_size structures per graph batch), in jobs of about chunk_atoms
    atoms each (a rerun reuses every finished one).
    """

    name: str = "phonons"
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    min_length_a: float = 12.0
    max_length_a: float | None = None
    displacement_a: float = 0.01
    fmax_ev_per_a: float = 1e-3
    symprec: float = 1e-3
    max_temperature_k: int = 600
    temperature_step_k: int = 5
    imaginary_tolerance_thz: float = 0.1
    batched: bool = True
    batch_size: int = 8
    chunk_atoms: int = 20_000

    @property
    def settings(self) -> dict:
        """Everything that changes the phonons (recorded and part of the key)."""
        names = (
            "min_length_a",
            "max_length_a",
            "displacement_a",
            "fmax_ev_per_a",
            "symprec",
            "max_temperature_k",
            "temperature_step_k",
            "imaginary_tolerance_thz",
        )
        return {name: getattr(self, name) for name in names}

    def key(self, source_key: str) -> str:
        """Key of the phonon document of a structure (its fingerprint or calculation key)."""
        return content_key(
            "phonon", source_key, self.engine.provenance().model_dump(), self.settings
        )

    def make(self, structure: Structure, phase: str, source_key: str | None = None) -> Flow:
        """Flow whose output is the PhononDocument of ``structure``.

        source_key: what keys the document (default: the structure's fingerprint); needed
        when ``structure`` is the output of an earlier job (e.g. a calculation's key).
        """
        if isinstance(structure, Structure):
            self.engine.check_elements(structure)
            source_key = source_key or structure_key(structure)
        if source_key is None:
            raise ValueError(
                f"The phonons of {phase} need a source_key (e.g. its calculation key)."
            )
        tight = replace(self.engine, fmax_ev_per_a=self.fmax_ev_per_a)
        jobs, static = tight.relax_and_static(structure, f"{phase} phonon")
        relaxed = static.output.output.mol_or_struct
        # atomate2's job: all lattice vectors >= min_length_a, preferring 90 degree angles
        matrix = get_supercell_size(relaxed, self.min_length_a, self.max_length_a, True)
        matrix.name = f"{phase} supercell"
        supercells = displaced_supercells(relaxed, matrix.output, self.displacement_a, self.symprec)
        supercells.name = f"{phase} displacements"
        key = self.key(source_key)
        forces = self.forces_job(supercells.output["structures"], matrix.output, relaxed, key)
        forces.name = f"{phase} forces"
        collect = phonon_document(
            phase,
            key,
            structure,
            self.engine.provenance().model_dump(),
            self.settings,
            static.output,
            matrix.output,
            forces.output,
        )
        collect.config.on_missing_references = OnMissing.NONE
        collect.name = f"{phase} phonon document"
        steps = [*jobs, matrix, supercells, forces, collect]
        return Flow(steps, output=collect.output, name=f"{self.name} {phase}")

    def forces_job(self, structures, supercell_matrix, relaxed, key: str) -> Job:
        """Forces on the displaced ``structures``: batched jobs of about chunk_atoms atoms
        where the potential allows it, else atomate2's run_phonon_displacements (one static
        job per displacement). ``key``: the phonon document's key."""
        potential = self.engine.potential
        spec = POTENTIALS.get(potential)  # None: not a potential of the registry (a DFT code)
        if self.batched and spec is not None and spec.batched_predictor is not None:
            return chunked_forces(structures, potential, self.batch_size, self.chunk_atoms, key)
        static = PotentialStaticMaker(
            potential=potential, relax_kwargs=NO_FILES, ionic_step_data=("energy",)
        )
        return run_phonon_displacements(structures, relaxed, supercell_matrix, phonon_maker=static)
