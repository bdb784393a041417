"""A screening campaign -> one jobflow Flow, skipping everything the store already holds.

A campaign names phases (library names, reference-set formulas or structure files) and asks
for hulls, windows and pair reactions. Phases not in the store are relaxed with the engine;
results already in the store (same key) are reused, so a re-run computes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from jobflow import Flow, JobStore, run_locally
from pymatgen.core import Composition, Structure

from ssbscreen.analysis.references import ReferenceSpec
from ssbscreen.schemas import content_key
from ssbscreen.store.queries import find_output
from ssbscreen.structures.library import (
    UnknownPhaseError,
    get_record,
    ordered_representative,
    read_structure_file,
)
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.interfaces import reaction_document
from ssbscreen.workflows.stability import (
    PhaseCalculationMaker,
    calculation_key,
    hull_document,
    window_document,
)


@dataclass
class Campaign:
    """What to screen: phases, and the hulls, windows and reactions wanted of them.

    reactions: (phase A, phase B, voltage in V vs Li/Li+ or None for the chemical reaction).
    max_atoms: largest ordered cell built for a disordered library phase.
    """

    hulls: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    reactions: list[tuple[str, str, float | None]] = field(default_factory=list)
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec)
    max_atoms: int = 100

    @property
    def phases(self) -> list[str]:
        """Every phase the campaign touches, in first-use order."""
        names = [*self.hulls, *self.windows, *(p for a, b, _ in self.reactions for p in (a, b))]
        return list(dict.fromkeys(names))


def phase_structure(phase: str, reference_formulas: set[str], max_atoms: int) -> Structure | None:
    """Structure to compute for ``phase``; None when it is a reference-set formula."""
    if phase.lower().endswith((".cif", ".json", "poscar", ".vasp")) or Path(phase).is_file():
        return read_structure_file(phase)
    try:
        get_record(phase)
    except UnknownPhaseError:
        try:
            formula = Composition(phase).reduced_formula
        except ValueError:
            formula = None
        if formula in reference_formulas:
            return None
        raise
    return ordered_representative(phase, max_atoms)


@dataclass
class CampaignPlan:
    """Jobs still to run and the keys of every result the campaign wants."""

    flow: Flow
    calculation_keys: dict[str, str]
    result_keys: dict[str, list[str]]

    @property
    def is_empty(self) -> bool:
        """True when the store already holds everything."""
        return not self.flow.jobs


def plan_campaign(campaign: Campaign, store: JobStore) -> CampaignPlan:
    """Build the Flow of what is missing from ``store``; raise ValueError on bad input first."""
    reference = campaign.reference.load(_campaign_elements(campaign))
    formulas = {e.composition.reduced_formula for e in reference.entries}
    provenance = campaign.engine.provenance()
    maker = PhaseCalculationMaker(engine=campaign.engine)
    spec = asdict(campaign.reference)

    structures = {p: phase_structure(p, formulas, campaign.max_atoms) for p in campaign.phases}
    for structure in structures.values():
        if structure is not None:
            campaign.engine.check_elements(structure)
            reference.in_chemsys({el.symbol for el in structure.composition.elements})
    store.connect()  # input is valid: only now touch the store

    jobs, calculations, calc_keys = [], {}, {}
    for phase, structure in structures.items():
        if structure is None:
            calculations[phase], calc_keys[phase] = None, f"reference:{reference.name}:{phase}"
            continue
        key = calculation_key(structure, provenance)
        calc_keys[phase] = key
        stored = find_output(store, "calculation", key)
        if stored is not None and stored["state"] == "successful":
            calculations[phase] = stored
        else:
            flow = maker.make(structure, phase)
            jobs.append(flow)
            calculations[phase] = flow.output

    result_keys: dict[str, list[str]] = {"hull": [], "window": [], "reaction": []}

    def add(kind, make_job, *key_parts):
        key = content_key(kind, *key_parts, reference.name, campaign.reference.allow_mixing)
        result_keys[kind].append(key)
        if find_output(store, kind, key) is None:
            job = make_job(key)
            job.name = f"{kind} {' '.join(str(p) for p in key_parts[::2])}"
            jobs.append(job)

    for kind, phases, make_document in (
        ("hull", campaign.hulls, hull_document),
        ("window", campaign.windows, window_document),
    ):
        for phase in phases:
            add(
                kind,
                lambda key, p=phase, m=make_document: m(p, calculations[p], spec, key),
                phase,
                calc_keys[phase],
            )
    for a, b, voltage in campaign.reactions:
        add(
            "reaction",
            lambda key, a=a, b=b, v=voltage: reaction_document(
                [a, b], [calculations[a], calculations[b]], v, spec, key
            ),
            f"{a}|{b}",
            [calc_keys[a], calc_keys[b]],
            voltage,
        )
    return CampaignPlan(Flow(jobs, name="ssbscreen campaign"), calc_keys, result_keys)


def _campaign_elements(campaign: Campaign) -> set[str]:
    """Elements named by the campaign's phases, for loading a chemical-system reference set."""
    elements: set[str] = {"Li"}
    for phase in campaign.phases:
        try:
            comp = Composition(get_record(phase).formula)
        except UnknownPhaseError:
            try:
                comp = Composition(phase)
            except ValueError:
                continue
        elements |= {el.symbol for el in comp.elements}
    return elements


def run_campaign(campaign: Campaign, store: JobStore) -> dict[str, list[dict]]:
    """Run what is missing with jobflow's run_locally; return the campaign's result documents."""
    plan = plan_campaign(campaign, store)
    if not plan.is_empty:
        run_locally(plan.flow, store=store, ensure_success=False, log=False)
    results = {}
    for kind, keys in plan.result_keys.items():
        results[kind] = [doc for key in keys if (doc := find_output(store, kind, key)) is not None]
    results["calculation"] = [
        doc
        for key in plan.calculation_keys.values()
        if (doc := find_output(store, "calculation", key)) is not None
    ]
    return results
