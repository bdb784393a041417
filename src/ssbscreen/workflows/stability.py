"""Relax -> static -> calculation document, for one phase, with any engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from jobflow import Flow, Maker, OnMissingReference, job
from pymatgen.core import Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ssbscreen.schemas import CalculationDocument, Provenance, content_key
from ssbscreen.workflows.engines import MLIPEngine


def calculation_key(structure: Structure, provenance: Provenance) -> str:
    """Key of a calculation: the input structure (rounded) and everything about the engine."""
    sites = sorted(
        (site.species_string, *(round(float(x), 4) for x in site.frac_coords)) for site in structure
    )
    lattice = [round(float(x), 4) for x in structure.lattice.matrix.flat]
    return content_key("calculation", lattice, sites, provenance.model_dump())


@job
def calculation_document(
    relax_output,
    static_output,
    phase: str,
    key: str,
    provenance: dict,
    entry_parameters: dict,
    n_atoms: int,
    formula: str,
    chemsys: str,
) -> CalculationDocument:
    """Collect relax and static outputs into one document; a missing output is a failure."""
    common = {
        "key": key,
        "phase": phase,
        "formula": formula,
        "chemsys": chemsys,
        "provenance": Provenance(**provenance),
        "n_atoms": n_atoms,
    }
    if relax_output is None or static_output is None:
        stage = "relaxation" if relax_output is None else "static calculation"
        return CalculationDocument(
            state="failed", reason=f"the {stage} raised an error (see the job log)", **common
        )
    if relax_output.is_force_converged is False:
        return CalculationDocument(
            state="failed",
            reason="the relaxation did not reach the force threshold within max_steps",
            **common,
        )
    structure = static_output.output.mol_or_struct
    energy = float(static_output.output.energy)
    entry = ComputedStructureEntry(
        structure,
        energy,
        parameters=entry_parameters,
        data={"phase": phase, **Provenance(**provenance).model_dump()},
        entry_id=f"ssbscreen-{key[:12]}",
    )
    return CalculationDocument(
        state="successful",
        energy_ev=energy,
        energy_per_atom_ev=energy / len(structure),
        structure=structure.as_dict(),
        entry=entry.as_dict(),
        **common,
    )


@dataclass
class PhaseCalculationMaker(Maker):
    """Relax a phase, compute its energy and store a CalculationDocument."""

    name: str = "phase calculation"
    engine: MLIPEngine = field(default_factory=MLIPEngine)

    def make(self, structure: Structure, phase: str) -> Flow:
        """Flow whose output is the CalculationDocument of ``phase``."""
        self.engine.check_elements(structure)
        provenance = self.engine.provenance()
        jobs, static = self.engine.relax_and_static(structure, phase)
        collect = calculation_document(
            jobs[0].output,
            static.output,
            phase=phase,
            key=calculation_key(structure, provenance),
            provenance=provenance.model_dump(),
            entry_parameters=self.engine.entry_parameters(structure.composition),
            n_atoms=len(structure),
            formula=structure.composition.reduced_formula,
            chemsys=structure.composition.chemical_system,
        )
        collect.config.on_missing_references = OnMissingReference.NONE
        collect.name = f"{phase} document"
        return Flow([*jobs, collect], output=collect.output, name=f"{self.name} {phase}")
