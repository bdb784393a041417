"""A campaign at temperatures: phonons of every phase its hulls, windows and reactions touch
(computed once, reused from the store; none for elemental gases above their boiling points),
then those results with G(T) = E + F_vib(T)."""

from __future__ import annotations

from dataclasses import asdict

from jobflow import Job, JobStore
from pymatgen.core import Composition, Structure

from ssbscreen.analysis.free_energy import FREE_ENERGY_MODEL, check_temperature, structure_key
from ssbscreen.analysis.ideal_gas import check_gas_pressures, gas_at
from ssbscreen.analysis.references import ReferenceSet
from ssbscreen.store.queries import find_output, without_stored_data
from ssbscreen.workflows.interfaces import reaction_document, scan_document
from ssbscreen.workflows.phonons import PhasePhononMaker
from ssbscreen.workflows.stability import hull_document, window_document


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

    Every entry of each result's chemical system (+ Li) gets phonons, except elemental gases
    above their boiling points; a phase's phonons are computed once per plan and reused from
    the store afterwards.
    """
    maker = PhasePhononMaker(engine=campaign.engine, min_length_a=campaign.phonon_min_length_a)
    for temperature_k in campaign.temperatures_k:
        check_temperature(temperature_k, maker.max_temperature_k)
    spec = asdict(campaign.reference)
    gases = check_gas_pressures(campaign.gas_pressures_bar)
    # part of every result key: results from other phonons or pressures are other results
    model = (FREE_ENERGY_MODEL, sorted(gases.items()), maker.settings)
    flows: list[Job] = []
    outputs: dict = {}

    def phonon(source_key: str, structure, name: str):
        key = maker.key(source_key)
        if key not in outputs:
            stored = find_output(store, "phonon", key)
            if stored is not None and stored["state"] == "successful":
                # free energies only: jobflow decodes the values of a job input that also
                # holds references, and a data reference does not decode
                outputs[key] = without_stored_data(stored)
            else:
                flow = maker.make(structure, name, source_key)
                flows.append(flow)
                outputs[key] = flow.output
        return outputs[key]

    def space(phases, temperature_k: float) -> list:
        """Phonon documents (or their references) of the phases' system at ``temperature_k``."""
        elements = set().union(*(_elements(p, structures[p]) for p in phases)) | {"Li"}
        found = [
            phonon(structure_key(e.structure), e.structure, e.composition.reduced_formula)
            for e in reference.in_chemsys(elements & reference.elements)
            if getattr(e, "structure", None) is not None
            and gas_at(e.composition, temperature_k) is None
        ]
        for p in phases:
            if structures[p] is None or gas_at(structures[p].composition, temperature_k):
                continue
            calc = calculations[p]
            structure = (
                Structure.from_dict(calc["structure"]) if isinstance(calc, dict) else calc.structure
            )
            found.append(phonon(calc_keys[p], structure, p))
        return found

    for t in campaign.temperatures_k:
        for kind, phases, make in (
            ("hull", campaign.hulls, hull_document),
            ("window", campaign.windows, window_document),
        ):
            for phase in phases:
                add(
                    kind,
                    lambda key, p=phase, m=make, t=t: m(
                        p,
                        calculations[p],
                        spec,
                        key,
                        temperature_k=t,
                        phonons=space([p], t),
                        gas_pressures_bar=gases,
                    ),
                    phase,
                    calc_keys[phase],
                    t,
                    model,
                )
        for phases, voltage, vs_li in reactions:
            add(
                "reaction",
                lambda key, p=phases, v=voltage, u=vs_li, t=t: reaction_document(
                    list(p),
                    [calculations[n] for n in p],
                    u,
                    spec,
                    key,
                    v,
                    anode,
                    temperature_k=t,
                    phonons=space(p, t),
                    gas_pressures_bar=gases,
                ),
                "|".join(phases),
                [calc_keys[n] for n in phases],
                vs_li,
                anode,
                t,
                model,
            )
        for a, b, start, stop in scans:
            add(
                "scan",
                lambda key, a=a, b=b, s=start, e=stop, t=t: scan_document(
                    [a, b],
                    [calculations[a], calculations[b]],
                    s,
                    e,
                    spec,
                    key,
                    anode,
                    temperature_k=t,
                    phonons=space([a, b], t),
                    gas_pressures_bar=gases,
                ),
                f"{a}|{b}",
                [calc_keys[a], calc_keys[b]],
                [start, stop],
                anode,
                t,
                model,
            )
    return flows, list(outputs)
