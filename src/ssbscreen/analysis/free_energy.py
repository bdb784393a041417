"""Free energies G(T) = E + F_vib(T) of phases from their phonon documents.

Each entry of a hull, window or reaction gets its vibrational Helmholtz free energy at T
(harmonic, per atom, from PhononDocument) as an energy adjustment, so the existing hull, window
and reaction functions work unchanged on the adjusted entries. A phase without phonons is never
counted as F_vib = 0: it is named in a ValueError (harmonic approximation; the pV term and
thermal expansion are neglected for solids). O2, F2 and Cl2 above their boiling points are ideal
gases at given partial pressures instead (analysis/ideal_gas.py) and need no phonons.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from pymatgen.core import Structure
from pymatgen.entries.computed_entries import ComputedEntry, ConstantEnergyAdjustment

from ssbscreen.analysis.ideal_gas import (
    check_gas_pressures,
    gas_at,
    gas_free_energy_ev_per_atom,
    partial_pressure_bar,
)
from ssbscreen.analysis.references import ReferenceSet
from ssbscreen.schemas import content_key

# the free-energy model of results at a temperature; part of their store keys
FREE_ENERGY_MODEL = "harmonic phonons; O2, F2, Cl2 ideal gases above their boiling points"


def structure_key(structure: Structure) -> str:
    """Fingerprint of a structure (lattice and sites rounded to 1e-4) to find its phonons."""
    sites = sorted(
        (site.species_string, *(round(float(x), 4) for x in site.frac_coords)) for site in structure
    )
    lattice = [round(float(x), 4) for x in structure.lattice.matrix.flat]
    return content_key("structure", lattice, sites)


def check_temperature(temperature_k: float, max_temperature_k: float | None = None) -> None:
    """ValueError for a temperature that is not a finite number, below 0 K or above the computed
    grid (NaN compares false with everything, so each test is written to fail on it)."""
    if not 0 <= temperature_k < math.inf:
        raise ValueError(
            f"The temperature {temperature_k:g} K is not a finite temperature at or above "
            "absolute zero; give it in kelvin (e.g. 253 for -20 C, 298 for 25 C)."
        )
    if max_temperature_k is not None and not temperature_k <= max_temperature_k:
        raise ValueError(
            f"The temperature {temperature_k:g} K is above the computed phonon grid "
            f"(0 to {max_temperature_k:g} K); recompute the phonons with a higher "
            "max_temperature_k."
        )


@dataclass(frozen=True)
class VibrationalFreeEnergy:
    """F_vib(T) of one phase (eV/atom) on its temperature grid (K)."""

    phase: str
    formula: str
    model: str
    temperatures_k: np.ndarray
    free_energy_ev_per_atom: np.ndarray
    imaginary_modes: bool
    lowest_frequency_thz: float | None

    @classmethod
    def from_document(cls, doc: dict) -> VibrationalFreeEnergy:
        """From a successful PhononDocument (dict or model)."""
        doc = doc if isinstance(doc, dict) else doc.model_dump()
        return cls(
            phase=doc["phase"],
            formula=doc["formula"],
            model=doc["provenance"]["model"],
            temperatures_k=np.asarray(doc["temperatures_k"], dtype=float),
            free_energy_ev_per_atom=np.asarray(doc["free_energy_ev_per_atom"], dtype=float),
            imaginary_modes=bool(doc["imaginary_modes"]),
            lowest_frequency_thz=doc["lowest_frequency_thz"],
        )

    def at(self, temperature_k: float) -> float:
        """F_vib at ``temperature_k`` (eV/atom), linear between grid points."""
        check_temperature(temperature_k, float(self.temperatures_k[-1]))
        return float(np.interp(temperature_k, self.temperatures_k, self.free_energy_ev_per_atom))


def phonons_by_structure(documents: list) -> dict[str, VibrationalFreeEnergy]:
    """Structure key -> F_vib of the successful phonon documents; one model only."""
    documents = [d if isinstance(d, dict) else d.model_dump() for d in documents if d is not None]
    found = {
        d["structure_key"]: VibrationalFreeEnergy.from_document(d)
        for d in documents
        if d["state"] == "successful"
    }
    models = sorted({v.model for v in found.values()})
    if len(models) > 1:
        raise ValueError(
            f"Phonons from several models ({', '.join(models)}) were given; "
            "use the phonons of one model for one free-energy hull."
        )
    return found


def free_energy_entries(
    entries: list[ComputedEntry],
    phonons: dict[str, VibrationalFreeEnergy],
    temperature_k: float,
    gas_pressures_bar: dict[str, float] | None = None,
) -> list[ComputedEntry]:
    """Copies of ``entries`` with F_vib(T) * N_atoms added as an energy adjustment (eV), or
    for an elemental gas above its boiling point its ideal-gas ZPE + H(T) - H(0) - TS at its
    pressure (``gas_pressures_bar``: formula -> bar, 1 bar if not given).

    ValueError naming every phase without phonons; a warning for dynamically unstable ones
    (their imaginary modes are left out of F_vib).
    """
    check_temperature(temperature_k)
    gas_pressures_bar = check_gas_pressures(gas_pressures_bar or {})
    missing, unstable, adjusted = [], [], []
    for entry in entries:
        gas = gas_at(entry.composition, temperature_k)
        structure = getattr(entry, "structure", None)
        vib = None if structure is None else phonons.get(structure_key(structure))
        if gas is not None:
            pressure = partial_pressure_bar(entry.composition.reduced_formula, gas_pressures_bar)
            adjustment = ConstantEnergyAdjustment(
                gas_free_energy_ev_per_atom(gas, temperature_k, pressure)
                * entry.composition.num_atoms,
                name=f"G_gas({temperature_k:g} K, {pressure:g} bar)",
                description="Ideal gas: ZPE + H(T) - H(0) - TS",
            )
        elif vib is None:
            missing.append(entry.composition.reduced_formula)
            continue
        else:
            if vib.imaginary_modes:
                unstable.append(f"{vib.formula} ({vib.lowest_frequency_thz:.2f} THz)")
            adjustment = ConstantEnergyAdjustment(
                vib.at(temperature_k) * entry.composition.num_atoms,
                name=f"F_vib({temperature_k:g} K)",
                description="Harmonic vibrational free energy from phonons",
            )
        copied = copy.deepcopy(entry)
        copied.energy_adjustments.append(adjustment)
        adjusted.append(copied)
    if missing:
        names = ", ".join(sorted(set(missing)))
        raise ValueError(
            f"No phonons for {names}, needed for free energies at {temperature_k:g} K; "
            "compute them first (a campaign with temperatures, or --temperature, does)."
        )
    if unstable:
        warnings.warn(
            f"Imaginary modes in {', '.join(unstable)}: dynamically unstable with this "
            "potential; their F_vib at T leaves those modes out.",
            stacklevel=2,
        )
    return adjusted


def imaginary_modes_thz(
    entries: list[ComputedEntry], phonons: dict[str, VibrationalFreeEnergy], temperature_k: float
) -> dict[str, float]:
    """Phase -> lowest phonon frequency (THz) of the entries whose phonons at
    ``temperature_k`` have imaginary modes (dynamically unstable with the potential)."""
    found = (
        phonons.get(structure_key(e.structure))
        for e in entries
        if hasattr(e, "structure") and gas_at(e.composition, temperature_k) is None
    )
    return {v.phase: v.lowest_frequency_thz for v in found if v is not None and v.imaginary_modes}


class FreeEnergySpace(NamedTuple):
    """A chemical system at a temperature, its energies G(T) (see free_energy_space)."""

    reference: ReferenceSet
    phases: list[ComputedEntry]
    temperature_k: float | None  # None: the 0 K energies E
    imaginary_modes_thz: dict[str, float]  # phase -> lowest frequency, imaginary modes only
    ideal_gases_bar: dict[str, float]  # gas -> partial pressure, the gases of the system at T

    def result_fields(self) -> dict:
        """The StabilityResult fields of a result computed in this space, but provenance."""
        return {
            "temperature_k": self.temperature_k,
            "imaginary_modes_thz": self.imaginary_modes_thz,
            "ideal_gases_bar": self.ideal_gases_bar,
            "reference_set": self.reference.name,
        }


def free_energy_space(
    reference: ReferenceSet,
    phases: list[ComputedEntry],
    phonons: list | None,
    temperature_k: float | None,
    gas_pressures_bar: dict[str, float] | None = None,
) -> FreeEnergySpace:
    """Reference entries of the phases' chemical system (+ Li) and the phases, at T: the
    reference set restricted to that system and the phases with G(T) energies, its phases
    with imaginary modes and its elemental gases (``gas_pressures_bar``: formula -> bar).
    With ``temperature_k`` None: the reference set and the phases as they are (0 K)."""
    if temperature_k is None:
        return FreeEnergySpace(reference, list(phases), None, {}, {})
    gas_pressures_bar = check_gas_pressures(gas_pressures_bar or {})
    elements = {el.symbol for p in phases for el in p.composition.elements}
    if "Li" in reference.elements:
        elements.add("Li")
    by_structure = phonons_by_structure(phonons)
    space = reference.in_chemsys(elements)
    adjusted = free_energy_entries(
        [*space, *phases], by_structure, temperature_k, gas_pressures_bar
    )
    gases = {
        e.composition.reduced_formula
        for e in [*space, *phases]
        if gas_at(e.composition, temperature_k) is not None
    }
    return FreeEnergySpace(
        ReferenceSet(reference.name, tuple(adjusted[: len(space)]), reference.model),
        adjusted[len(space) :],
        temperature_k,
        imaginary_modes_thz([*space, *phases], by_structure, temperature_k),
        {gas: partial_pressure_bar(gas, gas_pressures_bar) for gas in sorted(gases)},
    )
