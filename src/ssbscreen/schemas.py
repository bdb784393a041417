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


class HullDocument(BaseModel):
    """Energy above the convex hull and decomposition of one phase."""

    kind: Literal["hull"] = "hull"
    key: str
    phase: str
    formula: str
    e_above_hull_ev_per_atom: float
    decomposition: dict[str, float] = Field(description="Product formula -> fraction.")
    reference_set: str
    provenance: Provenance


class WindowDocument(BaseModel):
    """Electrochemical stability window vs Li/Li+ (grand potential, Li open)."""

    kind: Literal["window"] = "window"
    key: str
    phase: str
    formula: str
    reduction_v_vs_li: float | None = Field(description="Below this the phase takes up Li.")
    oxidation_v_vs_li: float | None = Field(description="Above this the phase releases Li.")
    reduction_products: list[str] = Field(default_factory=list)
    oxidation_products: list[str] = Field(default_factory=list)
    reference_set: str
    provenance: Provenance


class ReactionDocument(BaseModel):
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
    reference_set: str
    provenance: Provenance


class ScanDocument(BaseModel):
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
        description="What mixing adds to the phases' own decomposition, eV per non-Li atom."
    )
    onset_v_vs_li: float | None = Field(description="First voltage of the scan with a reaction.")
    interface_onset_v_vs_li: float | None = Field(
        description="First voltage of the scan at which the phases react with each other."
    )
    reference_set: str
    provenance: Provenance


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
