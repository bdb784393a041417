"""A campaign at temperatures: phonons of every phase its hulls, windows and reactions touch
(computed once, reused from the store), then those results with G(T) = E + F_vib(T)."""

from __future__ import annotations

from dataclasses import asdict

from jobflow import Job, JobStore, job
from pymatgen.core import Composition, Structure

from ssbscreen.analysis.free_energy import check_temperature, free_energy_space, structure_key
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.products import group_products
from ssbscreen.analysis.reactions import most_negative_mixture_reaction, voltage_scan
from ssbscreen.analysis.references import ReferenceSet
from ssbscreen.analysis.windows import electrochemical_window
from ssbscreen.schemas import HullDocument, ReactionDocument, ScanDocument, WindowDocument
from ssbscreen.store.queries import find_output
from ssbscreen.workflows.interfaces import _phase_entries
from ssbscreen.workflows.phonons import PhasePhononMaker
from ssbscreen.workflows.stability import _phase_on_reference, _provenance, _round


@job
def hull_document_at(phase, calculation, reference_spec, key, temperature_k, phonons):
    """Free-energy hull of one phase at ``temperature_k`` (K)."""
    calculation, reference, entry = _phase_on_reference(phase, calculation, reference_spec)
    reference, (entry,) = free_energy_space(reference, [entry], phonons, temperature_k)
    result = hull_result(entry, reference)
    return HullDocument(
        key=key,
        phase=phase,
        formula=entry.composition.reduced_formula,
        e_above_hull_ev_per_atom=round(result.e_above_hull_ev_per_atom, 6),
        decomposition={k: round(v, 6) for k, v in result.decomposition.items()},
        temperature_k=temperature_k,
        reference_set=reference.name,
        provenance=_provenance(calculation, reference),
    )


@job
def window_document_at(phase, calculation, reference_spec, key, temperature_k, phonons):
    """Electrochemical window of one phase vs Li/Li+ with free energies at ``temperature_k``."""
    calculation, reference, entry = _phase_on_reference(
        phase, calculation, reference_spec, extra_elements={"Li"}
    )
    reference, (entry,) = free_energy_space(reference, [entry], phonons, temperature_k)
    window = electrochemical_window(entry, reference)
    return WindowDocument(
        key=key,
        phase=phase,
        formula=entry.composition.reduced_formula,
        reduction_v_vs_li=_round(window.reduction_v_vs_li),
        oxidation_v_vs_li=_round(window.oxidation_v_vs_li),
        reduction_products=window.reduction_products,
        oxidation_products=window.oxidation_products,
        temperature_k=temperature_k,
        reference_set=reference.name,
        provenance=_provenance(calculation, reference),
    )


@job
def reaction_document_at(
    phases,
    calculations,
    voltage_v_vs_li,
    reference_spec,
    key,
    voltage,
    anode,
    temperature_k,
    phonons,
):
    """Most negative reaction free energy of two or three phases at ``temperature_k`` (eV/atom)."""
    reference, entries, provenance = _phase_entries(
        phases, calculations, reference_spec, voltage_v_vs_li is not None
    )
    reference, entries = free_energy_space(reference, entries, phonons, temperature_k)
    result = most_negative_mixture_reaction(entries, reference, voltage_v_vs_li)
    return ReactionDocument(
        key=key,
        phases=phases,
        voltage_v_vs_li=voltage_v_vs_li,
        voltage=voltage_v_vs_li if voltage is None else voltage,
        voltage_reference=anode,
        reaction_energy_ev_per_atom=round(result.reaction_energy_ev_per_atom, 6),
        mixing_fractions=[round(x, 6) for x in result.mixing_fractions],
        mixing_ratio=round(result.mixing_ratio, 6),
        products={k: round(v, 6) for k, v in result.products.items()},
        product_groups=group_products([p for p in result.products if p != "Li"]),
        reaction=result.reaction,
        temperature_k=temperature_k,
        reference_set=reference.name,
        provenance=provenance,
    )


@job
def scan_document_at(phases, calculations, start, stop, reference_spec, key, anode, t_k, phonons):
    """Reaction free energies over a voltage range (V vs Li/Li+) at ``t_k`` (K)."""
    reference, entries, provenance = _phase_entries(phases, calculations, reference_spec, True)
    reference, entries = free_energy_space(reference, entries, phonons, t_k)
    scan = voltage_scan(entries, reference, start, stop)
    return ScanDocument(
        key=key,
        phases=phases,
        voltage_reference=anode,
        voltages_v_vs_li=[round(v, 6) for v in scan.voltages_v_vs_li],
        reaction_energies_ev_per_atom=[round(e, 6) for e in scan.reaction_energies_ev_per_atom],
        interface_energies_ev_per_atom=[round(e, 6) for e in scan.interface_energies_ev_per_atom],
        onset_v_vs_li=_round(scan.onset_v_vs_li),
        interface_onset_v_vs_li=_round(scan.interface_onset_v_vs_li),
        temperature_k=t_k,
        reference_set=reference.name,
        provenance=provenance,
    )


def _elements(phase: str, structure) -> set[str]:
    """Elements of a campaign phase: its structure, else its reference-set formula."""
    composition = Composition(phase) if structure is None else structure.composition
    return {el.symbol for el in composition.elements}


def plan_temperatures(
    campaign,
    store: JobStore,
    reference: ReferenceSet,
    structures,
    calculations,
    calc_keys,
    add,
    reactions,
    scans,
    anode: str,
) -> tuple[list, list[str]]:
    """Temperature jobs of a campaign (through plan_campaign's ``add``) and the phonon flows
    they need that the store lacks; returns (phonon flows, phonon document keys).

    Every entry of each result's chemical system (+ Li) gets phonons; a phase's phonons are
    computed once per plan and reused from the store afterwards.
    """
    maker = PhasePhononMaker(engine=campaign.engine)
    for temperature_k in campaign.temperatures_k:
        check_temperature(temperature_k, maker.max_temperature_k)
    spec = asdict(campaign.reference)
    flows: list[Job] = []
    outputs: dict = {}

    def phonon(source_key: str, structure, name: str):
        key = maker.key(source_key)
        if key not in outputs:
            stored = find_output(store, "phonon", key)
            if stored is not None and stored["state"] == "successful":
                outputs[key] = stored
            else:
                flow = maker.make(structure, name, source_key)
                flows.append(flow)
                outputs[key] = flow.output
        return outputs[key]

    def space(phases) -> list:
        """Phonon documents (or their references) of every entry of the phases' system."""
        elements = set().union(*(_elements(p, structures[p]) for p in phases)) | {"Li"}
        found = [
            phonon(structure_key(e.structure), e.structure, e.composition.reduced_formula)
            for e in reference.in_chemsys(elements & reference.elements)
            if getattr(e, "structure", None) is not None
        ]
        for p in phases:
            if structures[p] is not None:
                calc = calculations[p]
                structure = (
                    Structure.from_dict(calc["structure"])
                    if isinstance(calc, dict)
                    else calc.structure
                )
                found.append(phonon(calc_keys[p], structure, p))
        return found

    for t in campaign.temperatures_k:
        for kind, phases, make in (
            ("hull", campaign.hulls, hull_document_at),
            ("window", campaign.windows, window_document_at),
        ):
            for phase in phases:
                add(
                    kind,
                    lambda key, p=phase, m=make, t=t: m(
                        p, calculations[p], spec, key, t, space([p])
                    ),
                    phase,
                    calc_keys[phase],
                    t,
                )
        for phases, voltage, vs_li in reactions:
            add(
                "reaction",
                lambda key, p=phases, v=voltage, u=vs_li, t=t: reaction_document_at(
                    list(p), [calculations[n] for n in p], u, spec, key, v, anode, t, space(p)
                ),
                "|".join(phases),
                [calc_keys[n] for n in phases],
                vs_li,
                anode,
                t,
            )
        for a, b, start, stop in scans:
            add(
                "scan",
                lambda key, a=a, b=b, s=start, e=stop, t=t: scan_document_at(
                    [a, b],
                    [calculations[a], calculations[b]],
                    s,
                    e,
                    spec,
                    key,
                    anode,
                    t,
                    space([a, b]),
                ),
                f"{a}|{b}",
                [calc_keys[a], calc_keys[b]],
                [start, stop],
                anode,
                t,
            )
    return flows, list(outputs)
