"""Orderings and aliovalent doping as one Flow, with any engine (seed study system 5,
docs/doping.md).

enumerate the N lowest-Ewald orderings of a disordered host -> relax them -> take the lowest
relaxed ordering -> dope it (Ewald-ranked) -> relax the M lowest doped cells -> one
DopingDocument per dopant site (defect energies, E_hull, dG of the doping step).
Finished calculations found in the store (same key) are reused, never recomputed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from jobflow import CURRENT_JOB, Flow, JobStore, Maker, OnMissing, Response, job
from pymatgen.core import Composition, Structure

from ssbscreen.analysis.doping import doping_reaction_free_energy, site_energies
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.reactions import most_negative_reaction
from ssbscreen.analysis.references import phase_entry
from ssbscreen.schemas import DopingDocument, content_key
from ssbscreen.structures.doping import doped_cells
from ssbscreen.structures.library import get_record
from ssbscreen.structures.ordering import lowest_orderings
from ssbscreen.structures.substitution import Substitution
from ssbscreen.workflows.engines import MLIPEngine, mlip_engine_from_settings
from ssbscreen.workflows.references import ReferenceSpec
from ssbscreen.workflows.stability import calculation_flows, plain_document, relaxed_structure


@dataclass
class DopingStudyMaker(Maker):
    """The orderings -> doping -> relaxation study of one host and one substitution.

    supercell: multiples of the published cell for the orderings (the study: 1x1x2).
    sites: Wyckoff labels the dopant may take (None: every site of the replaced species).
    delta_mu_dopant_ev, delta_mu_li_ev: chemical potentials vs the elements (eV).
    ocv_v: open-circuit voltage of the cell (V).
    """

    name: str = "doping study"
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec)
    n_orderings: int = 25
    n_doped: int = 30
    n_dopants: int = 1
    supercell: tuple[int, int, int] | None = (1, 1, 2)
    sites: list[str] | None = None
    delta_mu_dopant_ev: float = -0.01
    delta_mu_li_ev: float = -3.8
    ocv_v: float = 2.82
    max_atoms: int = 200
    campaign: str = "doping"

    def make(self, host: str, substitution: str, store: JobStore | None = None) -> Flow:
        """Flow of the whole study; raises ValueError on bad input before anything runs.

        store: finished ordering relaxations found there are reused instead of recomputed.
        """
        record = get_record(host)
        rule = Substitution.parse(substitution)
        rule.check_charge_balance(record.oxidation_states)
        self.reference.load({el.symbol for el in Composition(record.formula)} | {rule.dopant, "Li"})
        search = lowest_orderings(
            record.structure(),
            record.oxidation_states,
            n=self.n_orderings,
            supercell=self.supercell,
            max_atoms=self.max_atoms,
        )
        flows, calculations = calculation_flows(
            self.engine,
            [(o.structure, f"{record.name} ordering {i}") for i, o in enumerate(search.orderings)],
            store,
        )
        dope = dope_lowest_ordering(
            calculations,
            [ordering.structure for ordering in search.orderings],
            record.name,
            substitution,
            record.oxidation_states,
            asdict(self),
            list(search.occupancy_changes),
        )
        dope.config.on_missing_references = OnMissing.NONE
        dope.config.expose_store = True  # finished doped cells in the store are reused
        return Flow([*flows, dope], output=dope.output, name=f"{self.name} {host} {substitution}")


def _study_from_settings(settings: dict) -> DopingStudyMaker:
    settings = dict(settings)
    settings["engine"] = mlip_engine_from_settings(settings["engine"])
    settings["reference"] = ReferenceSpec(**settings["reference"])
    return DopingStudyMaker(**settings)


@job
def dope_lowest_ordering(
    calculations: list,
    orderings: list[Structure],
    host: str,
    substitution: str,
    oxidation_states: dict[str, float],
    settings: dict,
    occupancy_changes: list[str] | None = None,
):
    """Dope the lowest relaxed ordering and relax the M lowest doped cells (a dynamic Flow).

    occupancy_changes: the host's published occupancies rounded to fit the supercell.
    """
    study = _study_from_settings(settings)
    calculations = [plain_document(c) for c in calculations]
    finished = [
        (c["energy_ev"], i) for i, c in enumerate(calculations) if c and c["state"] == "successful"
    ]
    if not finished:
        raise ValueError(f"No ordering of {host} relaxed successfully; see the failed documents.")
    _, lowest = min(finished)
    rule = Substitution.parse(substitution)
    cells = doped_cells(
        orderings[lowest],
        {**oxidation_states, rule.dopant: rule.dopant_charge},
        rule,
        n_dopants=study.n_dopants,
        sites=study.sites,
        n=study.n_doped,
        max_atoms=study.max_atoms,
    )
    named = [
        (cell.structure, f"{host} {rule.dopant} doped {i} ({cell.dopant_sites[0]})")
        for i, cell in enumerate(cells)
    ]
    jobs, doped_outputs = calculation_flows(study.engine, named, CURRENT_JOB.store)
    documents = doping_documents(
        calculations[lowest],
        doped_outputs,
        [list(cell.dopant_sites) for cell in cells],
        host,
        substitution,
        n_orderings=len(finished),
        failed_orderings=_failures("ordering", calculations),
        settings=settings,
        occupancy_changes=occupancy_changes or [],
    )
    documents.config.on_missing_references = OnMissing.NONE
    return Response(replace=Flow([*jobs, documents], output=documents.output))


@job
def doping_documents(
    pristine: dict,
    doped: list,
    dopant_sites: list[list[str]],
    host: str,
    substitution: str,
    n_orderings: int,
    failed_orderings: dict[str, str],
    settings: dict,
    occupancy_changes: list[str] | None = None,
) -> list[DopingDocument]:
    """One DopingDocument per dopant site: lowest relaxed doped cell there, E_hull, dG."""
    study = _study_from_settings(settings)
    rule = Substitution.parse(substitution)
    pristine = plain_document(pristine)
    doped = [plain_document(d) for d in doped]
    failed = {**failed_orderings, **_failures("doped", doped)}
    done = [
        (d, sites)
        for d, sites in zip(doped, dopant_sites, strict=True)
        if d and d["state"] == "successful"
    ]
    if not done:
        raise ValueError(f"No doped cell of {host} relaxed successfully: {failed}.")
    elements = {el.symbol for el in Composition(pristine["formula"])} | {rule.dopant, "Li"}
    reference = study.reference.load(elements)
    pristine_entry = phase_entry(host, pristine, reference, study.reference.allow_mixing)
    by_site: dict[str, tuple[float, dict]] = {}
    for doc, sites in done:
        label = "+".join(sorted(sites))
        if label not in by_site or doc["energy_ev"] < by_site[label][0]:
            by_site[label] = (doc["energy_ev"], doc)
    relative = site_energies({label: energy for label, (energy, _) in by_site.items()})
    pristine_li = _count(pristine, "Li")
    e_dopant = reference.elemental_energy_per_atom(rule.dopant)
    e_li = reference.elemental_energy_per_atom("Li")
    with_dopant = most_negative_reaction(
        pristine_entry, reference.lowest_entry(rule.dopant), reference
    )
    with_li = most_negative_reaction(pristine_entry, reference.lowest_entry("Li"), reference)
    pristine_hull = hull_result(pristine_entry, reference)
    provenance = study.engine.provenance()
    potentials = {
        "delta_mu_dopant_ev": study.delta_mu_dopant_ev,
        "delta_mu_li_ev": study.delta_mu_li_ev,
        "ocv_v": study.ocv_v,
    }
    documents = []
    for label, (energy, doc) in sorted(by_site.items()):
        entry = phase_entry(doc["phase"], doc, reference, study.reference.allow_mixing)
        n_li = pristine_li - _count(doc, "Li")
        n_dop = _count(doc, rule.dopant)
        key = content_key("doping", doc["key"], pristine["key"], settings, reference.name)
        reaction_free_energy_ev = doping_reaction_free_energy(
            energy, pristine["energy_ev"], n_dop, n_li, e_dopant, e_li, **potentials
        )
        documents.append(
            DopingDocument(
                key=key,
                campaign=study.campaign,
                host=host,
                dopant=rule.dopant,
                substitution=substitution,
                site_label=label,
                n_dopants=n_dop,
                defect_energy_ev=round(relative[label], 6),
                doped_energy_ev=energy,
                pristine_energy_ev=pristine["energy_ev"],
                e_above_hull_ev_per_atom=round(
                    hull_result(entry, reference).e_above_hull_ev_per_atom, 6
                ),
                pristine_e_above_hull_ev_per_atom=round(pristine_hull.e_above_hull_ev_per_atom, 6),
                reaction_free_energy_ev=round(reaction_free_energy_ev, 6),
                chemical_potentials=potentials,
                host_reaction_with_dopant_ev_per_atom=round(
                    with_dopant.reaction_energy_ev_per_atom, 6
                ),
                host_reaction_with_li_ev_per_atom=round(with_li.reaction_energy_ev_per_atom, 6),
                n_orderings_relaxed=n_orderings,
                n_doped_relaxed=len(done),
                occupancy_changes=occupancy_changes or [],
                failed=failed,
                reference_set=reference.name,
                provenance=provenance,
            )
        )
    return documents


def _count(calculation: dict, element: str) -> int:
    """Number of atoms of ``element`` in a calculated cell."""
    return round(relaxed_structure(calculation).composition[element])


def _failures(label: str, calculations: list) -> dict[str, str]:
    """Why each calculation without a successful result has none, by "label i"."""
    return {
        f"{label} {i}": (c or {}).get("reason") or "no result"
        for i, c in enumerate(calculations)
        if not c or c["state"] != "successful"
    }
