"""Phase diagrams, energy above hull and decomposition products."""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.references import ReferenceSet


def elements_of(*entries: ComputedEntry) -> set[str]:
    """Union of the element symbols of ``entries``."""
    return {el.symbol for e in entries for el in e.composition.elements}


def phase_diagram(reference: ReferenceSet, *phases: ComputedEntry) -> PhaseDiagram:
    """Phase diagram of the chemical system of ``phases``: reference entries plus the phases."""
    elements = elements_of(*phases)
    return PhaseDiagram([*reference.in_chemsys(elements), *phases])


@dataclass(frozen=True)
class HullResult:
    """Energy above hull (eV/atom; negative: below the reference hull) and decomposition."""

    e_above_hull_ev_per_atom: float
    decomposition: dict[str, float]  # product formula -> molar fraction (per atom)


def hull_result(entry: ComputedEntry, reference: ReferenceSet) -> HullResult:
    """E_hull of ``entry`` against ``reference`` and the products it decomposes into."""
    pd = PhaseDiagram(reference.in_chemsys(elements_of(entry)))
    decomposition, e_hull = pd.get_decomp_and_e_above_hull(entry, allow_negative=True)
    if e_hull < 0:
        # below the reference hull: stable, the decomposition is the phase itself
        decomposition = {entry: 1.0}
    products: dict[str, float] = {}
    for product, fraction in decomposition.items():
        formula = product.composition.reduced_formula
        products[formula] = products.get(formula, 0.0) + float(fraction)
    return HullResult(float(e_hull), products)
