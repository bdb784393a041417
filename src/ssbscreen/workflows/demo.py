"""The demo campaign: Li3InCl6-coated NCA in an Li6PS5Cl cell, system 1 of the seed study
(docs/campaigns.md)."""

from __future__ import annotations

from ssbscreen.potentials import DEFAULT_POTENTIAL
from ssbscreen.workflows.campaign import Campaign
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.references import ReferenceSpec

# cut-off 3.58 V vs Li-In, i.e. about 4.2 V vs Li/Li+ (Li-In at ~0.62 V vs Li/Li+)
CELL_VOLTAGE_V_VS_LI = 4.2
SYSTEM1_PHASES = ("Li3InCl6", "Li6PS5Cl", "NCA")


def system1_campaign(potential: str = DEFAULT_POTENTIAL) -> Campaign:
    """E_hull of the three phases, windows of the electrolytes, pair reactions at 0 V and 4.2 V."""
    coating, electrolyte, cathode = SYSTEM1_PHASES
    pairs = [(coating, electrolyte), (coating, cathode), (electrolyte, cathode)]
    return Campaign(
        hulls=list(SYSTEM1_PHASES),
        windows=[coating, electrolyte],
        reactions=[(a, b, v) for a, b in pairs for v in (None, CELL_VOLTAGE_V_VS_LI)],
        engine=MLIPEngine(potential=potential),
        reference=ReferenceSpec(source="offline", potential=potential),
    )
