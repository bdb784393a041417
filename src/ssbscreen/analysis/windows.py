"""Electrochemical stability windows vs Li/Li+ from the grand potential with Li open.

The phase (or, when it is metastable, its equilibrium decomposition) is followed as the Li
chemical potential mu_Li changes (PhaseDiagram.get_element_profile). The window is the range of
V = -(mu_Li - mu_Li(metal)) / e in which it neither takes up nor releases Li
(Richards et al., Chem. Mater. 28, 266 (2016); Zhu et al., ACS Appl. Mater. Interfaces 7, 23685
(2015)).
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.core import Element
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.hull import phase_diagram
from ssbscreen.analysis.references import ReferenceSet

LI = Element("Li")


@dataclass(frozen=True)
class Window:
    """Reduction and oxidation limits (V vs Li/Li+).

    reduction_v_vs_li is 0 for a phase stable against Li metal; oxidation_v_vs_li is None when
    no Li can be released (no upper limit within the Li-open grand potential).
    """

    reduction_v_vs_li: float | None
    oxidation_v_vs_li: float | None
    reduction_products: list[str]
    oxidation_products: list[str]


def electrochemical_window(entry: ComputedEntry, reference: ReferenceSet) -> Window:
    """Window of ``entry`` in the Li-open grand potential of its chemical system (+ Li)."""
    li_ref = reference.lowest_entry("Li")
    if li_ref is None:
        raise ValueError(f"The reference set {reference.name!r} has no Li metal entry.")
    pd = phase_diagram(reference, entry, li_ref)
    mu_li_metal = pd.el_refs[LI].energy_per_atom
    profile = pd.get_element_profile(LI, entry.composition)
    # rows run from Li metal (highest mu_Li) downwards; each holds the equilibrium products and
    # the Li taken up per formula unit (evolution > 0) below the row's chempot (its upper bound)
    stable_rows = [i for i, row in enumerate(profile) if abs(row["evolution"]) < 1e-6]
    if not stable_rows:
        raise ValueError(
            f"{entry.composition.reduced_formula} exchanges Li at every voltage; it has no window."
        )
    first, last = stable_rows[0], stable_rows[-1]
    reduction = max(0.0, -(profile[first]["chempot"] - mu_li_metal))
    oxidation = -(profile[last + 1]["chempot"] - mu_li_metal) if last + 1 < len(profile) else None

    def names(row):
        return sorted({e.composition.reduced_formula for e in row["entries"]})

    return Window(
        reduction_v_vs_li=float(reduction),
        oxidation_v_vs_li=None if oxidation is None else float(oxidation),
        reduction_products=names(profile[first - 1]) if first > 0 else [],
        oxidation_products=names(profile[last + 1]) if last + 1 < len(profile) else [],
    )
