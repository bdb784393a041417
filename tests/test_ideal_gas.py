"""O2, F2 and Cl2 as ideal gases: standard entropies and enthalpies against CODATA, the
pressure term, which phases are gases at which temperature, and their place in G(T) entries."""

import numpy as np
import pytest
from pymatgen.core import Composition

from ssbscreen.analysis.free_energy import (
    VibrationalFreeEnergy,
    free_energy_entries,
    imaginary_modes_thz,
    structure_key,
)
from ssbscreen.analysis.ideal_gas import (
    DIATOMIC_GASES,
    check_gas_pressures,
    gas_at,
    gas_free_energy_ev_per_atom,
    ideal_gas_thermo,
)
from ssbscreen.analysis.references import offline_reference_set

EV_IN_J_PER_MOL = 96485.33212
K_B_EV_PER_K = 8.617333262e-5

# CODATA key values for thermodynamics (J. D. Cox, D. D. Wagman and V. A. Medvedev, 1989):
# S(298.15 K, 1 bar) in J/(K mol) and H(298.15 K) - H(0) in kJ/mol
CODATA = {"O": (205.152, 8.680), "F": (202.791, 8.825), "Cl": (223.081, 9.181)}


@pytest.mark.parametrize("element", sorted(CODATA))
def test_standard_entropy_and_enthalpy_match_codata(element):
    thermo = ideal_gas_thermo(DIATOMIC_GASES[element])
    entropy = thermo.get_entropy(298.15, 1e5, verbose=False) * EV_IN_J_PER_MOL
    enthalpy = thermo.get_enthalpy(298.15, verbose=False) - thermo.get_ZPE_correction()
    assert entropy == pytest.approx(CODATA[element][0], abs=0.2)
    assert enthalpy * EV_IN_J_PER_MOL / 1000 == pytest.approx(CODATA[element][1], abs=0.03)


def test_gas_free_energy_falls_with_temperature_and_rises_with_pressure():
    oxygen = DIATOMIC_GASES["O"]
    g = [gas_free_energy_ev_per_atom(oxygen, t) for t in (253.0, 298.15, 333.0)]
    assert g[0] > g[1] > g[2]  # dG/dT = -S < 0
    # O2 at 298.15 K, 1 bar, without its zero-point energy: -0.27 eV per O atom, the value
    # tabulated from JANAF by K. Reuter and M. Scheffler, Phys. Rev. B 65, 035406 (2001)
    zpe = ideal_gas_thermo(oxygen).get_ZPE_correction() / 2
    assert g[1] - zpe == pytest.approx(-0.27, abs=0.005)
    # air's O2 partial pressure: G(p) - G(1 bar) = kT ln(p / 1 bar) per molecule
    in_air = gas_free_energy_ev_per_atom(oxygen, 298.15, pressure_bar=0.21)
    assert in_air - g[1] == pytest.approx(K_B_EV_PER_K * 298.15 * np.log(0.21) / 2, abs=1e-7)
    assert check_gas_pressures({"O2": 0.21, "Cl2": 1}) == {"O2": 0.21, "Cl2": 1.0}
    with pytest.raises(ValueError, match="The O2 pressure -1 bar is not a positive number"):
        check_gas_pressures({"O2": -1})
    with pytest.raises(ValueError, match="The Cl2 pressure low bar is not a positive number"):
        check_gas_pressures({"Cl2": "low"})
    with pytest.raises(ValueError, match="'N2' is not a gas with an ideal-gas model here"):
        check_gas_pressures({"N2": 1.0})


def test_which_phases_are_gases():
    assert gas_at(Composition("O2"), 298.0).element == "O"
    assert gas_at(Composition("Cl2"), 298.0).element == "Cl"
    assert gas_at(Composition("Cl2"), 200.0) is None  # below its 239 K boiling point
    assert gas_at(Composition("O2"), 0.0) is None
    assert gas_at(Composition("LiCl"), 298.0) is None
    assert gas_at(Composition("S"), 298.0) is None


def test_a_gas_entry_takes_the_ideal_gas_term_and_no_phonons():
    reference = offline_reference_set("chgnet")
    oxygen = reference.lowest_entry("O2")
    (at_298,) = free_energy_entries([oxygen], {}, 298.0)
    expected = gas_free_energy_ev_per_atom(DIATOMIC_GASES["O"], 298.0)
    assert at_298.energy_per_atom - oxygen.energy_per_atom == pytest.approx(expected, abs=1e-12)
    assert at_298.energy_adjustments[-1].name == "G_gas(298 K, 1 bar)"
    (in_air,) = free_energy_entries([oxygen], {}, 298.0, {"O2": 0.21})
    shift = K_B_EV_PER_K * 298.0 * np.log(0.21) / 2
    assert in_air.energy_per_atom - at_298.energy_per_atom == pytest.approx(shift, abs=1e-7)
    # below its boiling point O2 is the molecular crystal again: it needs phonons
    with pytest.raises(ValueError, match="No phonons for O2, needed for free energies at 80 K"):
        free_energy_entries([oxygen], {}, 80.0)
    unstable = VibrationalFreeEnergy(
        "O2", "O2", "CHGNet", np.array([0.0, 400.0]), np.zeros(2), True, -0.5
    )
    phonons = {structure_key(oxygen.structure): unstable}
    assert imaginary_modes_thz([oxygen], phonons, 298.0) == {}  # a gas has no phonon modes
    assert imaginary_modes_thz([oxygen], phonons, 80.0) == {"O2": -0.5}
