"""A screening campaign -> one jobflow Flow, skipping everything the store already holds.

A campaign names phases (library names, reference-set formulas or structure files) and asks
for hulls, windows, reactions of two or three phases and voltage scans. Phases not in the store
are relaxed with the engine; results already in the store (same key) are reused, so a re-run
computes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from jobflow import Flow, JobStore
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ssbscreen.analysis.free_energy import check_temperature
from ssbscreen.analysis.references import ReferenceSet, check_compatible
from ssbscreen.analysis.voltages import get_anode, voltage_vs_li
from ssbscreen.schemas import content_key
from ssbscreen.store.queries import find_output
from ssbscreen.structures.library import (
    UnknownPhaseError,
    check_phase_name,
    get_record,
    library_name,
    ordered_representative,
    phase_elements,
    read_structure_file,
)
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.interfaces import reaction_document, scan_document
from ssbscreen.workflows.local import run_flow_locally
from ssbscreen.workflows.references import ReferenceSpec
from ssbscreen.workflows.stability import (
    calculation_flows,
    calculation_key,
    hull_document,
    window_document,
)

# version of each result kind's analysis, part of its key: a stored result of an earlier one is
# computed again (2: reactions carry the mutual energy, scans' interface energies corrected)
RESULT_VERSIONS = {"hull": 1, "window": 1, "reaction": 2, "scan": 2}


@dataclass
class Campaign:
    """What to screen: phases, and the hulls, windows, reactions and scans wanted of them.

    reactions: (phase A, phase B[, phase C], voltage or None for the chemical reaction).
    scans: (phase A, phase B, from voltage, to voltage): reaction energies over a voltage range.
    voltage_reference: electrode the voltages are given against (Li, Li-In, Li4Ti5O12).
    max_atoms: largest ordered cell built for a disordered library phase.
    temperatures_k: also every result with free energies G = E + F_vib(T) at these (K); the
    phonons of every phase of their chemical systems are computed once (workflows/phonons.py).
    phonon_min_length_a: shortest lattice vector of the phonon supercells (Angstrom).
    gas_pressures_bar: partial pressures (bar) of O2, F2, Cl2, ideal gases at those
    temperatures above their boiling points; 1 bar for a gas not given.
    """

    hulls: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    reactions: list[tuple] = field(default_factory=list)
    scans: list[tuple[str, str, float, float]] = field(default_factory=list)
    voltage_reference: str = "Li"
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec)
    max_atoms: int = 100
    temperatures_k: list[float] = field(default_factory=list)
    phonon_min_length_a: float = 12.0
    gas_pressures_bar: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        """Library phases under their library spelling (``li3incl6`` is Li3InCl6); ValueError
        for a phase that is not a name (check_phase_name), an unknown voltage_reference or a
        temperature below 0 K."""
        get_anode(self.voltage_reference)
        for temperature_k in self.temperatures_k:
            check_temperature(temperature_k)
        self.hulls = [_phase(p) for p in self.hulls]
        self.windows = [_phase(p) for p in self.windows]
        self.reactions = [(*map(_phase, r[:-1]), r[-1]) for r in self.reactions]
        self.scans = [(_phase(a), _phase(b), *r) for a, b, *r in self.scans]

    @property
    def phases(self) -> list[str]:
        """Every phase the campaign touches, in first-use order."""
        mixtures = [r[:-1] for r in self.reactions] + [s[:2] for s in self.scans]
        names = [*self.hulls, *self.windows, *(p for m in mixtures for p in m)]
        return list(dict.fromkeys(names))

    def checked_reactions(self) -> list[tuple[tuple[str, ...], float | None, float | None]]:
        """(phases, voltage as given, V vs Li/Li+) of each reaction; ValueError on bad input."""
        checked = []
        for reaction in self.reactions:
            phases, voltage = tuple(reaction[:-1]), reaction[-1]
            if not 2 <= len(phases) <= 3:
                raise ValueError(
                    f"Reaction {list(reaction)} needs two or three phases and a voltage "
                    "(null for the chemical reaction), e.g. [Li3InCl6, Li6PS5Cl, 4.2]."
                )
            vs_li = None if voltage is None else voltage_vs_li(voltage, self.voltage_anode)
            checked.append((phases, voltage, vs_li))
        return checked

    @property
    def voltage_anode(self) -> str | None:
        """The anode the campaign's voltages are given against; None for Li metal."""
        return None if get_anode(self.voltage_reference).name == "Li" else self.voltage_reference


def _phase(name: object) -> str:
    return library_name(check_phase_name(name))


def phase_structure(
    phase: str,
    reference_formulas: set[str],
    max_atoms: int,
    reuse_reference: bool = False,
    prefer_reference: bool = False,
    reference: ReferenceSet | None = None,
) -> Structure | None:
    """Structure to compute for ``phase``; None when it is a reference-set formula.

    reuse_reference: the reference set was computed with the campaign's model, so an ordered
    library phase it holds is not computed again: any for the offline set (made from the
    library's own records), and, given the set as ``reference`` (a stored set of MP
    structures), only where its lowest entry of the formula is the library's crystal.
    prefer_reference: the set is the user's own, whose entry answers for a library phase of
    its formula.
    """
    if phase.lower().endswith((".cif", ".json", "poscar", ".vasp")) or Path(phase).is_file():
        return read_structure_file(phase)
    try:
        record = get_record(phase)
    except UnknownPhaseError:
        try:
            formula = Composition(phase).reduced_formula
        except ValueError:
            formula = None
        if formula in reference_formulas:
            return None
        raise
    formula = Composition(record.formula).reduced_formula
    in_reference = phase == formula and formula in reference_formulas
    if in_reference and prefer_reference:
        return None
    same = reference is None or same_crystal(record.structure(), reference.lowest_entry(formula))
    if reuse_reference and record.is_ordered and in_reference and same:
        return None
    return ordered_representative(phase, max_atoms)


def same_crystal(structure: Structure, entry) -> bool:
    """Whether ``entry`` is a structure entry of the crystal ``structure`` (pymatgen's
    StructureMatcher at its default tolerances, cells reduced and volumes scaled)."""
    if not isinstance(entry, ComputedStructureEntry):
        return False
    return StructureMatcher().fit(structure, entry.structure)


@dataclass
class CampaignPlan:
    """Jobs still to run and the keys of every result the campaign wants.

    flow: its stages, in order: the calculations, the phonons of each phase, the results.
    """

    flow: Flow
    calculation_keys: dict[str, str]
    result_keys: dict[str, list[str]]

    @property
    def is_empty(self) -> bool:
        """True when the store already holds everything."""
        return not self.flow.jobs

    @property
    def n_jobs(self) -> int:
        """Number of jobs still to run, over all stages."""
        return sum(1 for _ in self.flow.iterflow())


def plan_campaign(campaign: Campaign, store: JobStore) -> CampaignPlan:
    """Build the Flow of what is missing from ``store``; raise ValueError on bad input first."""
    reactions = campaign.checked_reactions()
    vs = campaign.voltage_anode
    scans = [(a, b, voltage_vs_li(s, vs), voltage_vs_li(e, vs)) for a, b, s, e in campaign.scans]
    for (a, b, start, stop), (*_, low, high) in zip(campaign.scans, scans, strict=True):
        if not low < high:
            raise ValueError(
                f"The scan of {a} | {b} runs from {start:g} to {stop:g} V; give the lower "
                f"voltage first (from {stop:g} to {start:g})."
            )
    reference = campaign.reference.load({"Li"}.union(*map(phase_elements, campaign.phases)))
    formulas = {e.composition.reduced_formula for e in reference.entries}
    provenance = campaign.engine.provenance()
    spec = asdict(campaign.reference)

    source = campaign.reference.source
    stored_same_model = source == "stored" and reference.model == provenance.model
    reuse = stored_same_model or (
        source == "offline" and campaign.reference.potential == campaign.engine.potential
    )
    stored_set = reference if stored_same_model else None
    structures = {
        p: phase_structure(p, formulas, campaign.max_atoms, reuse, source == "file", stored_set)
        for p in campaign.phases
    }
    computed = [(s, phase) for phase, s in structures.items() if s is not None]
    for structure, _ in computed:
        campaign.engine.check_elements(structure)
        reference.in_chemsys({el.symbol for el in structure.composition.elements})
    if computed and reference.model is not None:  # a set that names its model: refuse now
        check_compatible(reference, provenance, campaign.reference.allow_mixing)
    store.connect()  # input is valid: only now touch the store

    calc_keys = {
        phase: f"reference:{reference.name}:{phase}"
        if structure is None
        else calculation_key(structure, provenance)
        for phase, structure in structures.items()
    }
    calculation_jobs, outputs = calculation_flows(campaign.engine, computed, store)
    jobs: list = []  # the result documents
    calculations = dict.fromkeys(structures)
    calculations.update({phase: out for (_, phase), out in zip(computed, outputs, strict=True)})

    result_keys: dict[str, list[str]] = {"hull": [], "window": [], "reaction": [], "scan": []}
    phonons = None
    if campaign.temperatures_k:
        from ssbscreen.workflows.free_energy import CampaignPhonons

        phonons = CampaignPhonons(campaign, store, reference, structures, calculations, calc_keys)

    def add(kind, temperature_k, phases, make_job, *key_parts):
        """The result of ``kind`` of ``phases`` at 0 K (temperature_k None) or at a temperature,
        its key made of the phases ("A|B"), key_parts (and the temperature and free-energy
        model); its job, ``make_job(key=key, ...)``, unless the store holds it."""
        key_parts = ("|".join(phases), *key_parts)
        if temperature_k is not None:
            key_parts = (*key_parts, temperature_k, phonons.model)
        key = content_key(
            kind, RESULT_VERSIONS[kind], *key_parts, reference.name, campaign.reference.allow_mixing
        )
        result_keys[kind].append(key)
        if find_output(store, kind, key) is None:
            at = {}
            if temperature_k is not None:
                at = {
                    "temperature_k": temperature_k,
                    "phonons": phonons.phonons_for(phases, temperature_k),
                    "gas_pressures_bar": phonons.gas_pressures_bar,
                }
            job = make_job(key=key, **at)
            job.name = f"{kind} {' '.join(str(p) for p in key_parts[::2])}"
            jobs.append(job)

    anode = get_anode(campaign.voltage_reference).name
    for t in [None, *campaign.temperatures_k]:
        for kind, phases, make_document in (
            ("hull", campaign.hulls, hull_document),
            ("window", campaign.windows, window_document),
        ):
            for phase in phases:
                document = partial(make_document, phase, calculations[phase], spec)
                add(kind, t, [phase], document, calc_keys[phase])
        for phases, voltage, vs_li in reactions:
            document = partial(
                reaction_document,
                list(phases),
                [calculations[n] for n in phases],
                vs_li,
                spec,
                voltage=voltage,
                voltage_reference=anode,
            )
            add("reaction", t, phases, document, [calc_keys[n] for n in phases], vs_li, anode)
        for a, b, start, stop in scans:
            calcs = [calculations[a], calculations[b]]
            document = partial(
                scan_document, [a, b], calcs, start, stop, spec, voltage_reference=anode
            )
            add("scan", t, [a, b], document, [calc_keys[a], calc_keys[b]], [start, stop], anode)
    stages = [Flow(calculation_jobs, name="calculations")] if calculation_jobs else []
    if phonons is not None:
        stages += phonons.flows
        result_keys["phonon"] = phonons.keys
    if jobs:
        stages.append(Flow(jobs, name="results"))
    return CampaignPlan(Flow(stages, name="ssbscreen campaign"), calc_keys, result_keys)


def run_campaign(
    campaign: Campaign, store: JobStore, plan: CampaignPlan | None = None
) -> dict[str, list[dict]]:
    """Run what is missing, stage by stage, on this machine; return the result documents by
    kind, and under "failures" each job that raised: {"job": its name, "reason": the last
    line of its exception}.

    plan: the campaign's plan_campaign(campaign, store), its engine already checked runnable
    when it has jobs; None: planned and checked here.
    """
    if plan is None:
        plan = plan_campaign(campaign, store)
        if not plan.is_empty:
            campaign.engine.check_runnable()  # e.g. VASP not on PATH: name the setting to fix
    # stage by stage: each phase's phonons are stored whole before the next phase starts, so
    # an interrupted campaign loses at most the stage it was in
    causes: dict[str, str] = {}
    for stage in plan.flow.jobs:
        causes |= run_flow_locally(
            stage,
            store,
            create_folders=campaign.engine.runs_in_folders,
            allow_external_references=True,  # outputs of earlier stages, from the store
        )
    results = {"failures": [{"job": job, "reason": reason} for job, reason in causes.items()]}
    wanted = {**plan.result_keys, "calculation": list(plan.calculation_keys.values())}
    for kind, keys in wanted.items():
        results[kind] = [doc for key in keys if (doc := find_output(store, kind, key)) is not None]
    return results
