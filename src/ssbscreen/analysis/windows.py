"""Electrochemical stability windows vs Li/Li+ from the grand potential with Li open.

The phase (or, when it is metastable, its equilibrium decomposition) is followed as the Li
chemical potential mu_Li changes (PhaseDiagram.get_element_profile). The window is the range of
V = -(mu_Li - mu_Li(metal)) / e in which it neither takes up nor releases Li
(Richards et al., Chem. Mater. 28, 266 (2016); Zhu et al., ACS Appl. Mater. Interfaces 7, 23685
(2015)). ``window_in_space`` finds the same limits with the linear programs of a
ReactionSpace, built once for many phases.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.core import Element
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.hull import phase_diagram
from ssbscreen.analysis.reactions import ReactionResult, ReactionSpace
from ssbscreen.analysis.references import ReferenceSet

LI = Element("Li")
STABLE_TOLERANCE_EV = 1e-8  # per non-Li atom: a grand energy this close to the closed one is stable
MAX_SEARCH_V_VS_LI = 1000.0  # no Li released below this: no oxidation limit
MIN_WIDTH_V = 1e-6  # a narrower window is a single voltage: no window, as get_element_profile
MAX_NEWTON_STEPS = 100  # each step moves to another linear piece; there are far fewer


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


def window_in_space(space: ReactionSpace, entry: ComputedEntry) -> Window:
    """Window of ``entry`` from the Li-open linear programs of ``space``.

    With the entries electrochemical_window uses (the reference set of the phase's system + Li),
    the limits are the same. phi(V), the most negative reaction energy of the phase alone with
    Li open (eV per non-Li atom), is concave and piecewise linear in V, and equals the energy of
    its closed-system decomposition inside the window. Each limit is the root of the linear
    piece next to it: Newton steps from outside the window reach it in a few solves.
    """
    reduced = entry.composition.reduced_composition
    non_li_atoms = reduced.num_atoms - reduced[LI]  # per formula unit of the reaction
    closed = space.most_negative([entry]).reaction_energy_ev_per_atom * (
        reduced.num_atoms / non_li_atoms
    )

    def solve(voltage: float) -> tuple[float, float, ReactionResult]:
        """(energy below the closed decomposition, Li taken up per non-Li atom, result)."""
        result = space.most_negative([entry], voltage)
        li_taken = result.reactants.get("Li", 0.0) - result.products.get("Li", 0.0)
        gap = result.reaction_energy_ev_per_atom - closed
        return gap, li_taken / non_li_atoms, result

    def no_window() -> ValueError:
        formula = reduced.reduced_formula
        return ValueError(f"{formula} exchanges Li at every voltage; it has no window.")

    def limit(voltage: float, side: int) -> tuple[float, list[str]]:
        """The limit reached from ``voltage`` outside the window (side -1: below, +1: above)
        and the products of the piece next to it."""
        products: list[str] = []
        for _ in range(MAX_NEWTON_STEPS):
            gap, slope, result = solve(voltage)
            if gap >= -STABLE_TOLERANCE_EV:
                return voltage, products
            if slope * side >= 0:  # past the top of phi, still below: never stable
                raise no_window()
            voltage -= gap / slope
            products = sorted(set(result.products) - {"Li"})
        raise ValueError(f"The window of {reduced.reduced_formula} did not converge.")

    reduction, reduction_products = limit(0.0, -1)
    step = 1.0
    while solve(reduction + step)[0] >= -STABLE_TOLERANCE_EV:
        step *= 2
        if reduction + step > MAX_SEARCH_V_VS_LI:
            return Window(reduction, None, reduction_products, [])
    oxidation, oxidation_products = limit(reduction + step, 1)
    if oxidation - reduction < MIN_WIDTH_V:  # stable at one voltage only (e.g. LiMn2O4)
        raise no_window()
    return Window(reduction, oxidation, reduction_products, oxidation_products)
