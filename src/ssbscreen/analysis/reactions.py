"""Interfacial reaction energies of two phases, chemically and at a cell voltage.

pymatgen's InterfacialReactivity scans the mixing ratio x of A in x A + (1 - x) B (per atom,
compositions normalised to one atom) and reports the kinks of the reaction-energy curve; the
most negative kink is the most favourable reaction (Richards et al., Chem. Mater. 28, 266
(2016)). At a voltage V vs Li/Li+, Li is open with mu_Li = mu_Li(metal) - e V and the energies
are grand potentials (GrandPotentialInterfacialReactivity).
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.analysis.interface_reactions import (
    GrandPotentialInterfacialReactivity,
    InterfacialReactivity,
)
from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram
from pymatgen.core import Element
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.hull import phase_diagram
from ssbscreen.analysis.references import ReferenceSet


@dataclass(frozen=True)
class ReactionResult:
    """Most negative reaction: energy (eV/atom of mixture), ratio, products and equation."""

    reaction_energy_ev_per_atom: float
    mixing_ratio: float  # atomic fraction x of phase A
    products: dict[str, float]  # formula -> coefficient in the balanced reaction
    reactants: dict[str, float]  # formula -> coefficient (Li included when it is open)
    reaction: str


def _interfacial_reactivity(a, b, reference, voltage_v_vs_li):
    li_ref = reference.lowest_entry("Li")
    extra = [li_ref] if voltage_v_vs_li is not None and li_ref is not None else []
    pd = phase_diagram(reference, a, b, *extra)
    if voltage_v_vs_li is None:
        return InterfacialReactivity(
            a.composition, b.composition, pd, norm=True, use_hull_energy=False
        )
    if Element("Li") not in pd.elements:
        raise ValueError("A reaction at a voltage needs Li in the chemical system of the phases.")
    mu_li = pd.el_refs[Element("Li")].energy_per_atom - voltage_v_vs_li
    grand_pd = GrandPotentialPhaseDiagram(pd.all_entries, {Element("Li"): mu_li})
    return GrandPotentialInterfacialReactivity(
        a.composition,
        b.composition,
        grand_pd,
        pd_non_grand=pd,
        include_no_mixing_energy=True,
        norm=True,
        use_hull_energy=False,
    )


def most_negative_reaction(
    a: ComputedEntry,
    b: ComputedEntry,
    reference: ReferenceSet,
    voltage_v_vs_li: float | None = None,
) -> ReactionResult:
    """Most negative reaction of phases ``a`` and ``b`` (chemical, or at a voltage vs Li/Li+)."""
    reactivity = _interfacial_reactivity(a, b, reference, voltage_v_vs_li)
    _, x, energy, reaction, _ = min(reactivity.get_kinks(), key=lambda kink: kink[2])
    if energy > -1e-9:  # no reaction: the most negative point is an unmixed reactant
        formula = (a if x > 0.5 else b).composition.reduced_formula
        return ReactionResult(0.0, float(round(x)), {formula: 1.0}, {formula: 1.0}, "no reaction")
    products = {comp.reduced_formula: float(reaction.get_coeff(comp)) for comp in reaction.products}
    reactants = {
        comp.reduced_formula: -float(reaction.get_coeff(comp)) for comp in reaction.reactants
    }
    return ReactionResult(
        reaction_energy_ev_per_atom=float(energy),
        mixing_ratio=float(x),
        products=products,
        reactants=reactants,
        reaction=str(reaction),
    )
