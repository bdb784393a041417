"""Doping thermodynamics: reaction free energy of a doping step and dopant site energies.

The doping step of Li3YCl6 by In from a Li-In anode (system 5 of the seed study, docs/doping.md) is

    host + n_dop M(anode) -> doped host + n_Li Li(cathode) + n_Li e(external circuit)

    dG = (E_doped - E_pristine) - n_dop * mu_M + n_Li * mu_Li - n_Li * e * OCV

with absolute chemical potentials mu = E(element, per atom) + delta_mu, delta_mu given
relative to the elemental reference (the study: delta_mu_In = -0.01 eV vs In metal,
delta_mu_Li = -3.8 eV vs Li metal, OCV = 2.82 V).
"""

from __future__ import annotations


def doping_reaction_free_energy(
    e_doped_ev: float,
    e_pristine_ev: float,
    n_dopants: int,
    n_li_removed: int,
    e_dopant_element_ev_per_atom: float,
    e_li_metal_ev_per_atom: float,
    delta_mu_dopant_ev: float,
    delta_mu_li_ev: float,
    ocv_v: float,
) -> float:
    """dG of the doping step (eV per cell); negative: doping is favourable."""
    mu_dopant = e_dopant_element_ev_per_atom + delta_mu_dopant_ev
    mu_li = e_li_metal_ev_per_atom + delta_mu_li_ev
    return (
        (e_doped_ev - e_pristine_ev)
        - n_dopants * mu_dopant
        + n_li_removed * mu_li
        - n_li_removed * ocv_v
    )


def site_energies(lowest_energy_by_site_ev: dict[str, float]) -> dict[str, float]:
    """Lowest relaxed energy with the dopant on each site, relative to the lowest overall (eV)."""
    lowest = min(lowest_energy_by_site_ev.values())
    return {site: energy - lowest for site, energy in lowest_energy_by_site_ev.items()}
