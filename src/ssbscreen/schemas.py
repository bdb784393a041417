"""Pydantic documents written to the store, one per result kind.

Every document carries ``kind`` (what it is, used to query), the engine and model that
produced the energies it depends on, and ``key``: a hash of everything that determines it,
so a re-run finds finished work instead of recomputing it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pymatgen.core import Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry
from pymatgen.phonon.bandstructure import PhononBandStructureSymmLine
from pymatgen.phonon.dos import PhononDos

# Model name of Materials Project's GGA(+U) energies (PBE, PAW, MP POTCARs and U values): a
# phase computed with the VASP engine at MP's settings carries it and may join an MP hull.
MP_MODEL = "PBE"


def content_key(*parts: Any) -> str:
    """Stable SHA-256 hex digest of JSON-serialisable parts (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Provenance(BaseModel):
    """Which engine, model and settings produced the energies."""

    engine: str = Field(description="Engine name, e.g. 'mlip' or 'vasp'.")
    model: str = Field(description="Model (potential) name, e.g. 'CHGNet'.")
    model_version: str = Field(description="Version of the package that provides the model.")
    energy_corrections: str = Field(
        "none", description="'MP2020': apply MP2020 corrections to these energies; 'none': as is."
    )
    settings: dict[str, Any] = Field(default_factory=dict)


class CalculationDocument(BaseModel):
    """A relaxed + static calculation of one phase."""

    kind: Literal["calculation"] = "calculation"
    key: str
    phase: str
    formula: str
    chemsys: str
    state: Literal["successful", "failed"]
    reason: str | None = None
    provenance: Provenance
    n_atoms: int
    energy_ev: float | None = None
    energy_per_atom_ev: float | None = None
    structure: Structure | None = Field(None, description="Relaxed structure.")
    entry: ComputedStructureEntry | None = Field(None, description="Uncorrected entry.")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class StabilityResult(BaseModel):
    """Fields of every hull, window, reaction and scan: the temperature of its free energies
    and what was special there, its reference set and provenance."""

    temperature_k: float | None = Field(
        None, description="Free energies G = E + F_vib at this temperature (K); None: E only."
    )
    imaginary_modes_thz: dict[str, float] = Field(
        default_factory=dict,
        description="At temperature_k: phases of the system with imaginary phonon modes -> "
        "lowest frequency (THz); their F_vib leaves those modes out.",
    )
    ideal_gases_bar: dict[str, float] = Field(
        default_factory=dict,
        description="At temperature_k: elemental gases of the system, taken as ideal gases "
        "instead of crystals -> partial pressure (bar).",
    )
    reference_set: str
    provenance: Provenance


class HullDocument(StabilityResult):
    """Energy above the convex hull and decomposition of one phase."""

    kind: Literal["hull"] = "hull"
    key: str
    phase: str
    formula: str
    e_above_hull_ev_per_atom: float
    decomposition: dict[str, float] = Field(description="Product formula -> fraction.")


class WindowDocument(StabilityResult):
    """Electrochemical stability window vs Li/Li+ (grand potential, Li open)."""

    kind: Literal["window"] = "window"
    key: str
    phase: str
    formula: str
    reduction_v_vs_li: float | None = Field(description="Below this the phase takes up Li.")
    oxidation_v_vs_li: float | None = Field(description="Above this the phase releases Li.")
    reduction_products: list[str] = Field(default_factory=list)
    oxidation_products: list[str] = Field(default_factory=list)


class ReactionDocument(StabilityResult):
    """Most negative reaction of two or three phases, chemically or at a voltage."""

    kind: Literal["reaction"] = "reaction"
    key: str
    phases: list[str]
    voltage_v_vs_li: float | None = Field(description="None for the chemical (closed) reaction.")
    voltage: float | None = Field(None, description="The voltage as given, vs voltage_reference.")
    voltage_reference: str = Field("Li", description="Electrode the voltage was given against.")
    reaction_energy_ev_per_atom: float = Field(
        description="Per atom of the reactant mixture (per non-Li atom at a voltage)."
    )
    mixing_fractions: list[float] = Field(description="Atomic fraction of each phase, in order.")
    mixing_ratio: float = Field(description="Atomic fraction x of the first phase.")
    products: dict[str, float] = Field(description="Product formula -> amount in the reaction.")
    product_groups: dict[str, list[str]] = Field(
        default_factory=dict, description="Species group (PO_x, SO_x, P-S-P, Li2S) -> products."
    )
    reaction: str
    mutual_reaction_energy_ev_per_atom: float | None = Field(
        None,
        description="Beyond each phase's own decomposition at the same conditions (pymatgen's "
        "include_no_mixing_energy=False), per atom as reaction_energy_ev_per_atom; None in "
        "documents stored before it was recorded.",
    )
    mutual_mixing_fractions: list[float] | None = Field(
        None, description="Atomic fraction of each phase at the mutual energy's minimum."
    )
    mutual_mixing_ratio: float | None = Field(
        None, description="Atomic fraction x of the first phase at the mutual minimum."
    )
    mutual_products: dict[str, float] | None = Field(
        None, description="Product formula -> amount at the mutual minimum."
    )
    mutual_reaction: str | None = None


class ScanDocument(StabilityResult):
    """Reaction energies of a mixture over a voltage range and the onset of reaction."""

    kind: Literal["scan"] = "scan"
    key: str
    phases: list[str]
    voltage_reference: str = "Li"
    voltages_v_vs_li: list[float]
    reaction_energies_ev_per_atom: list[float] = Field(
        description="With each phase's own decomposition, eV per non-Li atom of the mixture."
    )
    interface_energies_ev_per_atom: list[float] = Field(
        description="Mutual reaction energies: what mixing adds to the phases' own "
        "decomposition, eV per non-Li atom."
    )
    onset_v_vs_li: float | None = Field(description="First voltage of the scan with a reaction.")
    interface_onset_v_vs_li: float | None = Field(
        description="First voltage of the scan at which the phases react with each other."
    )


class DopingDocument(BaseModel):
    """One dopant site of a doping study: energies of the lowest relaxed cell with it there."""

    kind: Literal["doping"] = "doping"
    key: str
    campaign: str
    host: str
    dopant: str
    substitution: str
    site_label: str = Field(description="Parent Wyckoff site of the dopant, e.g. '6g'.")
    n_dopants: int
    defect_energy_ev: float = Field(description="Relative to the lowest doped cell overall.")
    doped_energy_ev: float
    pristine_energy_ev: float
    e_above_hull_ev_per_atom: float = Field(description="Doped cell, in its chemical space.")
    pristine_e_above_hull_ev_per_atom: float
    reaction_free_energy_ev: float = Field(description="dG of the doping step, per cell.")
    chemical_potentials: dict[str, float] = Field(
        description="delta_mu_dopant_ev, delta_mu_li_ev (vs the elements) and ocv_v."
    )
    host_reaction_with_dopant_ev_per_atom: float
    host_reaction_with_li_ev_per_atom: float
    n_orderings_relaxed: int
    n_doped_relaxed: int
    occupancy_changes: list[str] = Field(
        default_factory=list,
        description="Published occupancies rounded to fit the supercell, e.g. '6h Li0.875 -> "
        "Li0.91667'.",
    )
    failed: dict[str, str] = Field(default_factory=dict, description="Phase -> reason.")
    reference_set: str
    provenance: Provenance


class InterfaceDocument(BaseModel):
    """A coherent film/substrate interface: work of adhesion and interface energy (J/m^2)."""

    kind: Literal["interface"] = "interface"
    key: str
    film: str
    substrate: str
    film_miller: tuple[int, int, int] = Field(description="In the film's published/given cell.")
    substrate_miller: tuple[int, int, int]
    state: Literal["successful", "failed"]
    reason: str | None = None
    film_termination: str | None = Field(
        None, description="pymatgen label of the film plane at the interface."
    )
    substrate_termination: str | None = None
    n_atoms: int | None = None
    area_a2: float | None = Field(None, description="In-plane area of the cell (Angstrom^2).")
    strain_percent: float | None = Field(None, description="Largest principal film strain (%).")
    work_of_adhesion_j_per_m2: float | None = Field(
        None, description="(E_film_slab + E_substrate_slab - E_interface) / A; > 0: adhesion."
    )
    interface_energy_j_per_m2: float | None = Field(
        None, description="sigma_film + sigma_substrate - W_adh."
    )
    film_surface_energy_j_per_m2: float | None = Field(
        None, description="(E_slab - N e_bulk) / 2A of the strained film slab."
    )
    substrate_surface_energy_j_per_m2: float | None = None
    calculation_keys: dict[str, str] = Field(
        default_factory=dict, description="Role (interface, film_slab, ...) -> calculation key."
    )
    provenance: Provenance


class BandChecks(BaseModel):
    """Whether a relaxed NEB band can be trusted (see ``ssbscreen.analysis.migration``)."""

    maxima_images: list[int] = Field(description="Images at a maximum of the profile.")
    intermediate_minima: list[str] = Field(
        default_factory=list, description="Minima between maxima, named (site, image, eV)."
    )
    one_maximum: bool = Field(description="One maximum per step of the path.")
    ends_mismatch_ev: float = Field(
        description="Barrier minus reverse barrier, minus the relaxed end points' difference."
    )
    ends_consistent: bool
    image_spacing_a: list[float] = Field(description="Smallest and largest image spacing.")
    under_resolved: bool = Field(description="Saddle beside an end point, or uneven images.")
    rerun_n_images: int | None = Field(None, description="Images per step of the finer rerun.")
    coarse_barrier_ev: float | None = Field(None, description="Barrier of the first band.")
    trusted: bool
    flags: list[str] = Field(default_factory=list, description="What failed, in words.")


class MigrationDocument(BaseModel):
    """A climbing-image NEB of one hop: barrier, energy profile and saddle (eV, Angstrom)."""

    kind: Literal["migration"] = "migration"
    key: str
    campaign: str | None = None
    host: str
    host_formula: str
    ion: str
    mechanism: Literal["vacancy", "interstitial"]
    path_label: str = Field(description="Site kinds along the path, e.g. 'Li 3f-Li 3e'.")
    hop_length_a: float
    multiplicity: int = Field(description="Symmetry-equivalent copies of the hop in the cell.")
    equivalent_paths: list[list[list[float]]] = Field(
        default_factory=list, description="[start, end] fractional positions of every copy."
    )
    state: Literal["successful", "failed"]
    reason: str | None = None
    converged: bool = False
    barrier_ev: float | None = Field(None, description="Highest image minus the start.")
    reverse_barrier_ev: float | None = Field(None, description="Highest image minus the end.")
    reaction_energy_ev: float | None = Field(None, description="End minus start.")
    energies_ev: list[float] = Field(default_factory=list, description="Relative to the start.")
    reaction_coordinate_a: list[float] = Field(
        default_factory=list, description="Cumulative path length of the images (Angstrom)."
    )
    saddle_index: int | None = None
    saddle_frac_coords: list[float] | None = Field(None, description="Moving ion at the saddle.")
    endpoint_energies_ev: list[float] = Field(
        default_factory=list, description="Total energies of the relaxed start and end cells."
    )
    band_endpoint_energies_ev: list[float] = Field(
        default_factory=list, description="The same cells evaluated as the ends of the band."
    )
    n_images: int
    n_steps: int | None = None
    max_force_ev_per_a: float | None = Field(None, description="Largest NEB force at the end.")
    checks: BandChecks | None = None
    cell_charge: float = 0.0
    n_atoms: int
    images: list[Structure] = Field(
        default_factory=list, description="Final band; kept in the additional (data) store."
    )
    provenance: Provenance


class PhononDocument(BaseModel):
    """Harmonic phonons of one phase (finite displacements, phonopy) and its vibrational
    thermodynamics per atom on a temperature grid; DOS and band structure go to the data store."""

    kind: Literal["phonon"] = "phonon"
    key: str
    phase: str
    formula: str
    structure_key: str = Field(description="Fingerprint of the input structure (its entry's).")
    state: Literal["successful", "failed"]
    reason: str | None = None
    provenance: Provenance
    settings: dict[str, Any] = Field(default_factory=dict, description="Phonon settings.")
    n_atoms: int | None = Field(None, description="Atoms in the relaxed cell.")
    supercell_matrix: list[list[int]] | None = None
    n_displacements: int | None = None
    energy_per_atom_ev: float | None = Field(None, description="Static energy, tight relaxation.")
    temperatures_k: list[float] = Field(default_factory=list)
    free_energy_ev_per_atom: list[float] = Field(
        default_factory=list, description="Vibrational Helmholtz free energy F_vib(T), eV/atom."
    )
    entropy_ev_per_atom_k: list[float] = Field(default_factory=list)
    heat_capacity_ev_per_atom_k: list[float] = Field(default_factory=list, description="C_v.")
    zero_point_energy_ev_per_atom: float | None = None
    lowest_frequency_thz: float | None = Field(
        None, description="Lowest frequency on the band path; negative: imaginary."
    )
    imaginary_modes: bool | None = Field(
        None, description="A mode below -imaginary_tolerance_thz: dynamically unstable."
    )
    structure: Structure | None = Field(None, description="Tightly relaxed structure.")
    phonon_dos: PhononDos | None = None
    phonon_bandstructure: PhononBandStructureSymmLine | None = None
