"""Elemental gases (O2, F2, Cl2) as ideal gases at temperatures above their boiling points.

Above its normal boiling point an elemental gas enters a free-energy hull as a gas, not as its
molecular crystal: per atom, G(T, p) = E + ZPE + [H(T) - H(0)] - T S(T, p) at its partial
pressure p (1 bar unless given), with translational, rigid-rotor, harmonic-vibrational and spin
terms (ASE's IdealGasThermo) from experimental molecular constants. E is the energy of the
element's reference entry (the molecular solid), as in the 0 K hull; the potential's
condensation energy of that solid is not removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ase import Atoms
from ase.thermochemistry import IdealGasThermo
from pymatgen.core import Composition

EV_PER_WAVENUMBER = 1.239841984e-4  # h c * 1 cm^-1 in eV
PA_PER_BAR = 1e5
STANDARD_PRESSURE_BAR = 1.0


@dataclass(frozen=True)
class DiatomicGas:
    """Molecular constants of a homonuclear diatomic gas."""

    element: str
    bond_length_a: float  # r_e
    wavenumber_cm: float  # fundamental nu = omega_e - 2 omega_e x_e, cm^-1
    spin: float  # total spin of the electronic ground state
    boiling_point_k: float  # at 101.325 kPa


# r_e, omega_e and omega_e x_e: K. P. Huber and G. Herzberg, Constants of Diatomic Molecules
# (Van Nostrand Reinhold, 1979), as tabulated in the NIST Chemistry WebBook; ground states
# O2 X 3Sigma_g- (S = 1), F2 and Cl2 X 1Sigma_g+ (S = 0). Normal boiling points: CRC Handbook
# of Chemistry and Physics (97th ed., 2016).
DIATOMIC_GASES = {
    "O": DiatomicGas("O", 1.20752, 1580.19 - 2 * 11.98, 1.0, 90.19),
    "F": DiatomicGas("F", 1.41193, 916.64 - 2 * 11.236, 0.0, 85.03),
    "Cl": DiatomicGas("Cl", 1.9879, 559.72 - 2 * 2.675, 0.0, 239.11),
}


def check_gas_pressures(pressures: dict[str, float]) -> dict[str, float]:
    """Gas formula (O2, F2, Cl2) -> partial pressure (bar), checked; ValueError naming the
    first gas or pressure that is not one."""
    formulas = [f"{element}2" for element in DIATOMIC_GASES]
    checked = {}
    for formula, pressure in pressures.items():
        if formula not in formulas:
            raise ValueError(
                f"{formula!r} is not a gas with an ideal-gas model here; give partial pressures "
                f"of {', '.join(formulas)} (bar)."
            )
        try:
            checked[formula] = float(pressure)
        except (TypeError, ValueError):
            checked[formula] = float("nan")
        if not checked[formula] > 0:
            raise ValueError(
                f"The {formula} pressure {pressure} bar is not a positive number; give a partial "
                "pressure in bar (1 for the standard state)."
            )
    return checked


def partial_pressure_bar(formula: str, pressures: dict[str, float]) -> float:
    """Partial pressure (bar) of the gas ``formula`` in checked ``pressures``: as given, else the
    standard 1 bar."""
    return pressures.get(formula, STANDARD_PRESSURE_BAR)


def gas_at(composition: Composition, temperature_k: float) -> DiatomicGas | None:
    """The gas an elemental phase is at ``temperature_k`` (K), None for any other phase."""
    if len(composition.elements) != 1:
        return None
    gas = DIATOMIC_GASES.get(composition.elements[0].symbol)
    return gas if gas is not None and temperature_k > gas.boiling_point_k else None


def ideal_gas_thermo(gas: DiatomicGas) -> IdealGasThermo:
    """ASE's ideal-gas model of one molecule of ``gas`` (symmetry number 2)."""
    molecule = Atoms(2 * [gas.element], positions=[[0, 0, 0], [0, 0, gas.bond_length_a]])
    return IdealGasThermo(
        [gas.wavenumber_cm * EV_PER_WAVENUMBER],
        "linear",
        atoms=molecule,
        symmetrynumber=2,
        spin=gas.spin,
    )


def gas_free_energy_ev_per_atom(
    gas: DiatomicGas, temperature_k: float, pressure_bar: float = STANDARD_PRESSURE_BAR
) -> float:
    """ZPE + H(T) - H(0) - T S(T, p) of ``gas`` per atom (eV), the molecule's energy excluded."""
    thermo = ideal_gas_thermo(gas)
    return thermo.get_gibbs_energy(temperature_k, pressure_bar * PA_PER_BAR, verbose=False) / 2
