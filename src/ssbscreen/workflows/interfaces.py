"""Interface jobs: reactions of two or three phases (chemical or at a voltage), voltage scans,
and coherent interfaces relaxed by the engine (work of adhesion, interface energy)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from jobflow import Flow, Maker, Response, job
from pymatgen.core import Structure

from ssbscreen.analysis.free_energy import free_energy_space
from ssbscreen.analysis.products import group_products
from ssbscreen.analysis.reactions import (
    NO_REACTION,
    most_negative_mixture_reaction,
    voltage_scan,
)
from ssbscreen.schemas import (
    InterfaceDocument,
    Provenance,
    ReactionDocument,
    ScanDocument,
    content_key,
)
from ssbscreen.structures.interfaces import (
    InterfaceCandidate,
    InterfaceLimits,
    Miller,
    coherent_interfaces,
    miller_in_cell,
    miller_index,
)
from ssbscreen.structures.library import (
    bulk_structure,
    get_record,
    ordered_representative,
    read_structure_file,
)
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.stability import (
    PhaseCalculationMaker,
    calculation_key,
    phase_entries,
    plain_document,
    relaxed_structure,
    round_or_none,
)


@job
def reaction_document(
    phases: list[str],
    calculations: list,
    voltage_v_vs_li: float | None,
    reference_spec: dict,
    key: str,
    voltage: float | None = None,
    voltage_reference: str = "Li",
    temperature_k: float | None = None,
    phonons: list | None = None,
    gas_pressures_bar: dict[str, float] | None = None,
) -> ReactionDocument:
    """Most negative reaction of two or three phases over all mixing fractions (eV/atom) and
    its mutual part; with free energies at ``temperature_k`` (K) when given."""
    reference, entries, provenance = phase_entries(
        phases, calculations, reference_spec, voltage_v_vs_li is not None
    )
    space = free_energy_space(reference, entries, phonons, temperature_k, gas_pressures_bar)
    result = most_negative_mixture_reaction(space.phases, space.reference, voltage_v_vs_li)
    mutual = result.mutual
    return ReactionDocument(
        key=key,
        phases=phases,
        voltage_v_vs_li=voltage_v_vs_li,
        voltage=voltage_v_vs_li if voltage is None else voltage,
        voltage_reference=voltage_reference,
        reaction_energy_ev_per_atom=round(result.reaction_energy_ev_per_atom, 6),
        mixing_fractions=[round(x, 6) for x in result.mixing_fractions],
        mixing_ratio=round(result.mixing_ratio, 6),
        products={k: round(v, 6) for k, v in result.products.items()},
        product_groups={}
        if result.reaction == NO_REACTION
        else group_products([p for p in result.products if p != "Li"]),
        reaction=result.reaction,
        mutual_reaction_energy_ev_per_atom=round(mutual.reaction_energy_ev_per_atom, 6),
        mutual_mixing_fractions=[round(x, 6) for x in mutual.mixing_fractions],
        mutual_mixing_ratio=round(mutual.mixing_ratio, 6),
        mutual_products={k: round(v, 6) for k, v in mutual.products.items()},
        mutual_reaction=mutual.reaction,
        provenance=provenance,
        **space.result_fields(),
    )


@job
def scan_document(
    phases: list[str],
    calculations: list,
    start_v_vs_li: float,
    stop_v_vs_li: float,
    reference_spec: dict,
    key: str,
    voltage_reference: str = "Li",
    temperature_k: float | None = None,
    phonons: list | None = None,
    gas_pressures_bar: dict[str, float] | None = None,
) -> ScanDocument:
    """Reaction energies of the phases from start to stop (V vs Li/Li+) and the onsets; with
    free energies at ``temperature_k`` (K) when given."""
    reference, entries, provenance = phase_entries(phases, calculations, reference_spec, True)
    space = free_energy_space(reference, entries, phonons, temperature_k, gas_pressures_bar)
    scan = voltage_scan(space.phases, space.reference, start_v_vs_li, stop_v_vs_li)
    return ScanDocument(
        key=key,
        phases=phases,
        voltage_reference=voltage_reference,
        voltages_v_vs_li=[round(v, 6) for v in scan.voltages_v_vs_li],
        reaction_energies_ev_per_atom=[round(e, 6) for e in scan.reaction_energies_ev_per_atom],
        interface_energies_ev_per_atom=[round(e, 6) for e in scan.interface_energies_ev_per_atom],
        onset_v_vs_li=round_or_none(scan.onset_v_vs_li),
        interface_onset_v_vs_li=round_or_none(scan.interface_onset_v_vs_li),
        provenance=provenance,
        **space.result_fields(),
    )


EV_PER_A2_IN_J_PER_M2 = 16.021766  # 1 eV/Angstrom^2 = 16.02 J/m^2


def surface_energy_j_per_m2(
    slab_energy_ev: float, n_atoms: int, bulk_energy_per_atom_ev: float, area_a2: float
) -> float:
    """sigma = (E_slab - N e_bulk) / 2A, the mean of the slab's two faces (J/m^2)."""
    excess_ev = slab_energy_ev - n_atoms * bulk_energy_per_atom_ev
    return excess_ev / (2 * area_a2) * EV_PER_A2_IN_J_PER_M2


def work_of_adhesion_j_per_m2(
    interface_energy_ev: float, film_energy_ev: float, substrate_energy_ev: float, area_a2: float
) -> float:
    """W_adh = (E_film + E_substrate - E_interface) / A of a cell with one interface (J/m^2)."""
    separation_ev = film_energy_ev + substrate_energy_ev - interface_energy_ev
    return separation_ev / area_a2 * EV_PER_A2_IN_J_PER_M2


@job
def interface_document(
    calculations: dict, description: dict, key: str, provenance: dict
) -> InterfaceDocument:
    """Work of adhesion and interface energy from the five calculations of one interface.

    calculations: role (interface, film_slab, substrate_slab, film_bulk, substrate_bulk) ->
    CalculationDocument; gamma_int = sigma_film + sigma_substrate - W_adh.
    """
    calculations = {role: plain_document(doc) for role, doc in calculations.items()}
    common = {
        "key": key,
        "provenance": Provenance(**provenance),
        "calculation_keys": {role: doc["key"] for role, doc in calculations.items() if doc},
        **description,
    }
    for role, doc in calculations.items():
        if doc is None or doc["state"] != "successful":
            why = doc["reason"] if doc else "its calculation did not run"
            return InterfaceDocument(
                state="failed", reason=f"{role.replace('_', ' ')}: {why}", **common
            )
    area = description["area_a2"]
    sigma_film, sigma_substrate = (
        surface_energy_j_per_m2(
            calculations[f"{part}_slab"]["energy_ev"],
            calculations[f"{part}_slab"]["n_atoms"],
            calculations[f"{part}_bulk"]["energy_per_atom_ev"],
            area,
        )
        for part in ("film", "substrate")
    )
    adhesion = work_of_adhesion_j_per_m2(
        *(calculations[role]["energy_ev"] for role in ("interface", "film_slab", "substrate_slab")),
        area,
    )
    return InterfaceDocument(
        state="successful",
        work_of_adhesion_j_per_m2=round(adhesion, 6),
        interface_energy_j_per_m2=round(sigma_film + sigma_substrate - adhesion, 6),
        film_surface_energy_j_per_m2=round(sigma_film, 6),
        substrate_surface_energy_j_per_m2=round(sigma_substrate, 6),
        **common,
    )


def bulk_cell(
    phase: str | Structure, miller: Miller, max_atoms: int
) -> tuple[str, Structure, Miller]:
    """(name, ordered cell, Miller index in that cell) of a library phase, file or Structure.

    A library phase's Miller index refers to its published cell (e.g. NCA (0, 0, 3), hexagonal).
    """
    if isinstance(phase, Structure) or Path(phase).is_file():
        structure = phase if isinstance(phase, Structure) else read_structure_file(phase)
        return structure.composition.reduced_formula, structure, miller
    name = get_record(phase).name
    cell = ordered_representative(name, max_atoms)
    return name, cell, miller_in_cell(miller, bulk_structure(name).lattice, cell.lattice)


def _plain(structure: Structure) -> Structure:
    """The structure without site properties (the builder's labels and Wyckoff tags)."""
    return Structure(structure.lattice, structure.species, structure.frac_coords)


def _hkl(miller: Miller) -> str:
    return "(" + " ".join(str(i) for i in miller) + ")"


@dataclass
class InterfaceMaker(Maker):
    """Coherent interfaces of a film on a substrate relaxed by the engine, with their energies.

    Both bulk cells are relaxed first; the interfaces are cut from the relaxed cells. Interfaces
    and the separated film and substrate slabs are relaxed at fixed cell (positions only).
    max_interfaces: distinct termination pairs computed, fewest atoms first.
    terminations: only these (film, substrate) terminating planes, e.g. ``[("Li", "O2")]``
    (see ``coherent_interfaces``); None: every termination pair.
    max_bulk_atoms: largest ordered cell of a disordered library phase.
    """

    name: str = "coherent interface"
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    limits: InterfaceLimits = field(default_factory=InterfaceLimits)
    max_interfaces: int = 4
    terminations: list[tuple[str, str]] | None = None
    max_bulk_atoms: int = 100

    def make(
        self,
        substrate: str | Structure,
        film: str | Structure,
        substrate_miller: Miller,
        film_miller: Miller,
    ) -> Flow:
        """Flow whose output is the list of InterfaceDocuments, one per termination pair.

        Phases are library names, structure files or Structures; ValueError for bad input.
        """
        millers = (miller_index(film_miller, "film"), miller_index(substrate_miller, "substrate"))
        film_name, film_cell, film_hkl = bulk_cell(film, millers[0], self.max_bulk_atoms)
        sub_name, sub_cell, sub_hkl = bulk_cell(substrate, millers[1], self.max_bulk_atoms)
        for cell in (film_cell, sub_cell):
            self.engine.check_elements(cell)
        bulk_maker = PhaseCalculationMaker(engine=self.engine)
        provenance = self.engine.provenance()
        film_bulk = bulk_maker.make(film_cell, film_name)
        if calculation_key(sub_cell, provenance) == calculation_key(film_cell, provenance):
            sub_bulk, bulk_flows = film_bulk, [film_bulk]  # a homo-interface shares its bulk
        else:
            sub_bulk = bulk_maker.make(sub_cell, sub_name)
            bulk_flows = [film_bulk, sub_bulk]
        build = self.interfaces(
            film_bulk.output,
            sub_bulk.output,
            names=(film_name, sub_name),
            millers=millers,
            cell_millers=(film_hkl, sub_hkl),
        )
        build.name = f"{film_name} {_hkl(millers[0])} on {sub_name} {_hkl(millers[1])}"
        return Flow([*bulk_flows, build], output=build.output, name=f"{self.name} {build.name}")

    @job
    def interfaces(
        self,
        film_bulk,
        substrate_bulk,
        names: tuple[str, str],
        millers: tuple[Miller, Miller],
        cell_millers: tuple[Miller, Miller],
    ):
        """Cut the interfaces from the relaxed bulk cells and relax them.

        names, millers (as given) and cell_millers (in the bulk cells) are (film, substrate)
        pairs. Replaced by the relaxations and one InterfaceDocument job per interface; a failed
        bulk relaxation or no fitting interface gives one failed document instead.
        """
        bulk = {
            "film_bulk": plain_document(film_bulk),
            "substrate_bulk": plain_document(substrate_bulk),
        }
        slab_maker = PhaseCalculationMaker(engine=replace(self.engine, relax_cell=False))
        provenance = slab_maker.engine.provenance().model_dump()
        label = f"{names[0]} {_hkl(millers[0])} on {names[1]} {_hkl(millers[1])}"
        common = {
            "film": names[0],
            "substrate": names[1],
            "film_miller": millers[0],
            "substrate_miller": millers[1],
        }

        def failed(reason: str) -> list[InterfaceDocument]:
            keys = {role: doc["key"] for role, doc in bulk.items()}
            return [
                InterfaceDocument(
                    key=content_key("interface", common, keys),
                    state="failed",
                    reason=reason,
                    calculation_keys=keys,
                    provenance=Provenance(**provenance),
                    **common,
                )
            ]

        for role, doc in bulk.items():
            if doc["state"] != "successful":
                return failed(f"{role.replace('_', ' ')}: {doc['reason']}")
        try:
            candidates = coherent_interfaces(
                relaxed_structure(bulk["substrate_bulk"]),
                relaxed_structure(bulk["film_bulk"]),
                cell_millers[1],
                cell_millers[0],
                self.limits,
                names=(f"{names[0]} {tuple(millers[0])}", f"{names[1]} {tuple(millers[1])}"),
                terminations=self.terminations,
            )[: self.max_interfaces]
        except ValueError as exc:
            return failed(str(exc))
        jobs, documents = [], []
        for i, candidate in enumerate(candidates):
            parts = {
                "interface": candidate.interface,
                "film_slab": candidate.film_slab,
                "substrate_slab": candidate.substrate_slab,
            }
            flows = {
                role: slab_maker.make(_plain(s), f"{label} #{i} {role.replace('_', ' ')}")
                for role, s in parts.items()
            }
            keys = {
                role: calculation_key(_plain(s), slab_maker.engine.provenance())
                for role, s in parts.items()
            }
            document = interface_document(
                {**{role: f.output for role, f in flows.items()}, **bulk},
                {**common, **_description(candidate)},
                key=content_key("interface", keys, {r: d["key"] for r, d in bulk.items()}),
                provenance=provenance,
            )
            document.name = f"{label} #{i} document"
            jobs.extend(flows.values())
            documents.append(document)
        flow = Flow([*jobs, *documents], output=[d.output for d in documents], name=label)
        return Response(replace=flow)


def _description(candidate: InterfaceCandidate) -> dict:
    """Document fields that describe one interface cell."""
    return {
        "film_termination": candidate.film_termination,
        "substrate_termination": candidate.substrate_termination,
        "n_atoms": candidate.n_atoms,
        "area_a2": round(candidate.area_a2, 4),
        "strain_percent": round(candidate.strain_percent, 4),
    }
