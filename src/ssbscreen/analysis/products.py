"""Reaction products grouped as surface spectroscopy (XPS) reports them.

XPS of sulfide electrolytes at oxide cathodes reports phosphate (PO_x), sulfate (SO_x),
bridging P-S-P thiophosphate and Li2S signals (e.g. system 2 of the seed study,
docs/campaigns.md). A product joins the group of the bonds it contains: P and O -> PO_x; S and
O without P -> SO_x; a thiophosphate with fewer than four S per P (PS4 units share S: P2S7,
P4S10) -> P-S-P; Li2S -> Li2S.
"""

from __future__ import annotations

from pymatgen.core import Composition

GROUPS = ("PO_x", "SO_x", "P-S-P", "Li2S")


def product_group(formula: str) -> str | None:
    """The XPS group of a product formula, or None when it belongs to none."""
    comp = Composition(formula)
    p, s, o = comp["P"], comp["S"], comp["O"]
    if p and o:
        return "PO_x"
    if s and o:
        return "SO_x"
    if p and s and s / p < 4:
        return "P-S-P"
    if comp.reduced_formula == "Li2S":
        return "Li2S"
    return None


def group_products(products: list[str]) -> dict[str, list[str]]:
    """Group -> sorted product formulas in it (groups without products are left out)."""
    groups: dict[str, list[str]] = {}
    for formula in sorted(products):
        group = product_group(formula)
        if group is not None:
            groups.setdefault(group, []).append(formula)
    return groups
