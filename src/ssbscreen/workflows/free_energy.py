"""A campaign at temperatures: the phonons of every phase its hulls, windows, reactions and
scans touch (computed once, reused from the store; none for elemental gases above their boiling
points), which plan_campaign hands its results at temperatures for G(T) = E + F_vib(T)."""

from __future__ import annotations

from jobflow import Job, JobStore
from pymatgen.core import Composition, Structure

from ssbscreen.analysis.free_energy import FREE_ENERGY_MODEL, check_temperature, structure_key
from ssbscreen.analysis.ideal_gas import check_gas_pressures, gas_at
from ssbscreen.analysis.references import ReferenceSet
from ssbscreen.store.queries import find_output, without_stored_data
from ssbscreen.workflows.phonons import PhasePhononMaker


def _elements(phase: str, structure) -> set[str]:
    """Elements of a campaign phase: its structure, else its reference-set formula."""
    composition = Composition(phase) if structure is None else structure.composition
    return {el.symbol for el in composition.elements}


class CampaignPhonons:
    """The phonon documents a campaign's results at temperatures need, each phase's computed
    once per plan (a flow of ``flows``) or reused from the store.

    Every entry of a result's chemical system (+ Li) gets phonons, except elemental gases above
    their boiling points. ``model`` is part of every result key at a temperature: results from
    other phonons or gas pressures are other results.
    """

    def __init__(
        self,
        campaign,
        store: JobStore,
        reference: ReferenceSet,
        structures,
        calculations,
        calc_keys,
    ):
        self.maker = PhasePhononMaker(
            engine=campaign.engine, min_length_a=campaign.phonon_min_length_a
        )
        for temperature_k in campaign.temperatures_k:
            check_temperature(temperature_k, self.maker.max_temperature_k)
        self.gas_pressures_bar = check_gas_pressures(campaign.gas_pressures_bar)
        self.model = (
            FREE_ENERGY_MODEL,
            sorted(self.gas_pressures_bar.items()),
            self.maker.settings,
        )
        self.flows: list[Job] = []
        self._outputs: dict = {}
        self._store, self._reference = store, reference
        self._structures, self._calculations, self._calc_keys = structures, calculations, calc_keys

    @property
    def keys(self) -> list[str]:
        """Keys of the phonon documents planned so far."""
        return list(self._outputs)

    def _phonon(self, source_key: str, structure, name: str):
        key = self.maker.key(source_key)
        if key not in self._outputs:
            stored = find_output(self._store, "phonon", key)
            if stored is not None and stored["state"] == "successful":
                # free energies only: jobflow decodes the values of a job input that also
                # holds references, and a data reference does not decode
                self._outputs[key] = without_stored_data(stored)
            else:
                flow = self.maker.make(structure, name, source_key)
                self.flows.append(flow)
                self._outputs[key] = flow.output
        return self._outputs[key]

    def phonons_for(self, phases, temperature_k: float) -> list:
        """Phonon documents (or their references) of the phases' system at ``temperature_k``."""
        structures = self._structures
        elements = set().union(*(_elements(p, structures[p]) for p in phases)) | {"Li"}
        found = [
            self._phonon(structure_key(e.structure), e.structure, e.composition.reduced_formula)
            for e in self._reference.in_chemsys(elements & self._reference.elements)
            if getattr(e, "structure", None) is not None
            and gas_at(e.composition, temperature_k) is None
        ]
        for p in phases:
            if structures[p] is None or gas_at(structures[p].composition, temperature_k):
                continue
            calc = self._calculations[p]
            structure = (
                Structure.from_dict(calc["structure"]) if isinstance(calc, dict) else calc.structure
            )
            found.append(self._phonon(self._calc_keys[p], structure, p))
        return found
