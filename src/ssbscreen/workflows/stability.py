"""Relax -> static -> calculation document for one phase (any engine); hull and window jobs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from jobflow import Flow, JobStore, Maker, OnMissing, job
from pymatgen.core import Composition, Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ssbscreen.analysis.free_energy import free_energy_space
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.references import ReferenceSet, phase_entry
from ssbscreen.analysis.windows import electrochemical_window
from ssbscreen.schemas import (
    CalculationDocument,
    HullDocument,
    Provenance,
    WindowDocument,
    content_key,
)
from ssbscreen.store.queries import find_output
from ssbscreen.workflows.batched import relax_batch
from ssbscreen.workflows.engines import Engine, MLIPEngine
from ssbscreen.workflows.local import JOB_LOG
from ssbscreen.workflows.references import ReferenceSpec


def calculation_key(structure: Structure, provenance: Provenance) -> str:
    """Key of a calculation: the input structure (rounded) and everything about the engine."""
    sites = sorted(
        (site.species_string, *(round(float(x), 4) for x in site.frac_coords)) for site in structure
    )
    lattice = [round(float(x), 4) for x in structure.lattice.matrix.flat]
    return content_key("calculation", lattice, sites, provenance.model_dump())


def unfinished_reason(relax_output, static_output, max_steps: int | None = None) -> str | None:
    """Why atomate2 task documents (force field, VASP or CP2K) are not a finished result.

    A force-field relaxation that stopped before ``max_steps`` converged by the optimiser's own
    criterion (ASE's, on the cell filter's forces and stress); atomate2's
    ``is_force_converged`` re-checks the atoms' raw forces and can miss by a hair (alpha-Mn with
    CHGNet: 0.0504 eV/A after 19 steps at fmax 0.05), so it fails the relaxation only when the
    steps ran out. Every document says ``state`` ("successful" when the code finished and
    converged). None: the result can be used.
    """
    n_steps = getattr(getattr(relax_output, "output", None), "n_steps", None)
    ran_out = max_steps is None or n_steps is None or n_steps >= max_steps
    if getattr(relax_output, "is_force_converged", None) is False and ran_out:
        return "the relaxation did not reach the force threshold within max_steps"
    for document, stage in ((relax_output, "relaxation"), (static_output, "static calculation")):
        state = getattr(document, "state", None)
        state = getattr(state, "value", state)
        if state is not None and state != "successful":
            return f"the {stage} ended in state {state!r} (see the job's directory)"
    return None


def _document_inputs(
    engine: Engine, provenance: Provenance, structure: Structure, phase: str, key: str
) -> dict:
    """What the document jobs record of ``structure`` (``phase``, its calculation_key) and of
    the engine: the fields every CalculationDocument carries, and the entry parameters."""
    return {
        "key": key,
        "phase": phase,
        "formula": structure.composition.reduced_formula,
        "chemsys": structure.composition.chemical_system,
        "provenance": provenance.model_dump(),
        "n_atoms": len(structure),
        "entry_parameters": engine.entry_parameters(structure.composition),
    }


def _common(inputs: dict) -> dict:
    """The fields of a CalculationDocument, finished or failed, from ``_document_inputs``."""
    common = {k: v for k, v in inputs.items() if k != "entry_parameters"}
    return {**common, "provenance": Provenance(**inputs["provenance"])}


@job
def calculation_document(relax_output, static_output, inputs: dict) -> CalculationDocument:
    """Collect relax and static outputs into one document; a missing output is a failure.
    inputs: ``_document_inputs`` of the structure."""
    common = _common(inputs)
    if relax_output is None or static_output is None:
        stage = "relaxation" if relax_output is None else "static calculation"
        return CalculationDocument(
            state="failed", reason=f"the {stage} raised an error {JOB_LOG}", **common
        )
    reason = unfinished_reason(
        relax_output, static_output, inputs["provenance"].get("settings", {}).get("max_steps")
    )
    if reason is not None:
        return CalculationDocument(state="failed", reason=reason, **common)
    return _successful_document(
        static_output.output.structure,
        float(static_output.output.energy),
        inputs["entry_parameters"],
        common,
    )


@job
def relaxed_calculation_document(relaxed: dict, inputs: dict) -> CalculationDocument:
    """A CalculationDocument from one result of a batched relaxation (``relax_batch``)."""
    common = _common(inputs)
    if relaxed is None or relaxed["error"] is not None:
        reason = f"the batched relaxation raised an error {JOB_LOG}"
        return CalculationDocument(
            state="failed", reason=(relaxed or {}).get("error") or reason, **common
        )
    if not relaxed["converged"]:
        reason = "the relaxation did not reach the force threshold within max_steps"
        return CalculationDocument(state="failed", reason=reason, **common)
    return _successful_document(
        relaxed_structure(relaxed), relaxed["energy_ev"], inputs["entry_parameters"], common
    )


def _successful_document(
    structure: Structure, energy: float, entry_parameters: dict, common: dict
) -> CalculationDocument:
    """Document of a finished calculation: energy (eV) and the entry for the analysis."""
    entry = ComputedStructureEntry(
        structure,
        energy,
        parameters=entry_parameters,
        data={"phase": common["phase"], **common["provenance"].model_dump()},
        entry_id=f"ssbscreen-{common['key'][:12]}",
    )
    return CalculationDocument(
        state="successful",
        energy_ev=energy,
        energy_per_atom_ev=energy / len(structure),
        structure=structure,
        entry=entry,
        **common,
    )


@dataclass
class PhaseCalculationMaker(Maker):
    """Relax a phase, compute its energy and store a CalculationDocument."""

    name: str = "phase calculation"
    engine: Engine = field(default_factory=MLIPEngine)

    def make(self, structure: Structure, phase: str) -> Flow:
        """Flow whose output is the CalculationDocument of ``phase``."""
        self.engine.check_elements(structure)
        provenance = self.engine.provenance()
        jobs, static = self.engine.relax_and_static(structure, phase)
        key = calculation_key(structure, provenance)
        inputs = _document_inputs(self.engine, provenance, structure, phase, key)
        collect = calculation_document(jobs[0].output, static.output, inputs)
        collect.config.on_missing_references = OnMissing.NONE
        collect.name = f"{phase} document"
        return Flow([*jobs, collect], output=collect.output, name=f"{self.name} {phase}")


def relaxed_structure(result: dict) -> Structure:
    """The ``structure`` of a calculation (jobflow hands stored ones back as Structure or dict)."""
    structure = result["structure"]
    return Structure.from_dict(structure) if isinstance(structure, dict) else structure


def plain_document(document) -> dict | None:
    """A stored document as a plain dict (jobflow may hand over the pydantic model)."""
    if document is None or isinstance(document, dict):
        return document
    return document.model_dump()


@job
def hull_document(
    phase: str,
    calculation,
    reference_spec: dict,
    key: str,
    temperature_k: float | None = None,
    phonons: list | None = None,
    gas_pressures_bar: dict[str, float] | None = None,
) -> HullDocument:
    """Energy above hull of one phase against the reference set (free energies at T if given).

    phonons: phonon documents of every entry of the phase's system, when temperature_k is set.
    gas_pressures_bar: partial pressures (bar) of its gases at T, 1 bar for those not given.
    """
    reference, (entry,), provenance = phase_entries([phase], [calculation], reference_spec, False)
    space = free_energy_space(reference, [entry], phonons, temperature_k, gas_pressures_bar)
    result = hull_result(space.phases[0], space.reference)
    return HullDocument(
        key=key,
        phase=phase,
        formula=entry.composition.reduced_formula,
        e_above_hull_ev_per_atom=round(result.e_above_hull_ev_per_atom, 6),
        decomposition={k: round(v, 6) for k, v in result.decomposition.items()},
        provenance=provenance,
        **space.result_fields(),
    )


@job
def window_document(
    phase: str,
    calculation,
    reference_spec: dict,
    key: str,
    temperature_k: float | None = None,
    phonons: list | None = None,
    gas_pressures_bar: dict[str, float] | None = None,
) -> WindowDocument:
    """Electrochemical window of one phase vs Li/Li+ (free energies at T if given)."""
    reference, (entry,), provenance = phase_entries([phase], [calculation], reference_spec, True)
    space = free_energy_space(reference, [entry], phonons, temperature_k, gas_pressures_bar)
    window = electrochemical_window(space.phases[0], space.reference)
    return WindowDocument(
        key=key,
        phase=phase,
        formula=entry.composition.reduced_formula,
        reduction_v_vs_li=round_or_none(window.reduction_v_vs_li),
        oxidation_v_vs_li=round_or_none(window.oxidation_v_vs_li),
        reduction_products=window.reduction_products,
        oxidation_products=window.oxidation_products,
        provenance=provenance,
        **space.result_fields(),
    )


def phase_entries(phases, calculations, reference_spec, with_li):
    """Reference set (with Li when ``with_li``), entries of ``phases`` from their calculations
    (None: reference) and the result's provenance (the first calculation's, else the set's)."""
    spec = ReferenceSpec(**reference_spec)
    calculations = [plain_document(c) for c in calculations]
    elements = set().union(
        *(calculation_elements(p, c) for p, c in zip(phases, calculations, strict=True))
    )
    if with_li:
        elements.add("Li")
    reference = spec.load(elements)
    entries = [
        phase_entry(p, c, reference, spec.allow_mixing)
        for p, c in zip(phases, calculations, strict=True)
    ]
    provenance = result_provenance(next((c for c in calculations if c), None), reference)
    return reference, entries, provenance


def round_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def calculation_elements(phase: str, calculation: dict | None) -> set[str]:
    """Elements of a phase: from its calculation, else from its formula."""
    formula = calculation["formula"] if calculation else phase
    return {el.symbol for el in Composition(formula).elements}


def result_provenance(calculation: dict | None, reference: ReferenceSet) -> Provenance:
    """Provenance of a result: the phase's calculation, else the reference set's."""
    if calculation is not None:
        return Provenance(**calculation["provenance"])
    return Provenance(engine="reference", model=reference.model or reference.name, model_version="")


def calculation_flows(
    engine: Engine, named: list[tuple[Structure, str]], store: JobStore | None = None
) -> tuple[list, list]:
    """(flows to run, one calculation per structure: its stored document or a flow output).

    Finished calculations found in ``store`` (same key) are reused. An engine with
    ``structures_per_job`` (BatchedMLIPEngine) relaxes the others together, that many per job;
    any other engine gets one PhaseCalculationMaker flow per structure.
    """
    provenance = engine.provenance()
    if store is not None:
        store.connect()
    calculations: list = [None] * len(named)
    todo = []
    for i, (structure, name) in enumerate(named):
        key = calculation_key(structure, provenance)
        stored = None if store is None else find_output(store, "calculation", key)
        if stored is not None and stored["state"] == "successful":
            calculations[i] = stored
        else:
            todo.append((i, structure, name, key))
    per_job = engine.structures_per_job
    if per_job is None:
        maker = PhaseCalculationMaker(engine=engine)
        flows = []
        for i, structure, name, _ in todo:
            flows.append(maker.make(structure, name))  # checks the elements
            calculations[i] = flows[-1].output
        return flows, calculations
    for _, structure, _, _ in todo:
        engine.check_elements(structure)
    settings = asdict(engine)
    jobs = []
    for start in range(0, len(todo), per_job):
        chunk = todo[start : start + per_job]
        batch = relax_batch([structure for _, structure, _, _ in chunk], settings)
        batch.name = f"relax batch of {len(chunk)} ({chunk[0][2]} ...)"
        jobs.append(batch)
        for k, (i, structure, name, key) in enumerate(chunk):
            inputs = _document_inputs(engine, provenance, structure, name, key)
            document = relaxed_calculation_document(batch.output[k], inputs)
            document.config.on_missing_references = OnMissing.NONE
            document.name = f"{name} document"
            jobs.append(document)
            calculations[i] = document.output
    return jobs, calculations
