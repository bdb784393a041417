"""Interfacial reaction jobs: two phases, chemically or at a voltage vs Li/Li+."""

from __future__ import annotations

from jobflow import job

from ssbscreen.analysis.reactions import most_negative_reaction
from ssbscreen.analysis.references import ReferenceSpec, phase_entry
from ssbscreen.schemas import ReactionDocument
from ssbscreen.workflows.stability import _as_dict, _elements, _provenance


@job
def reaction_document(
    phases: list[str],
    calculations: list,
    voltage_v_vs_li: float | None,
    reference_spec: dict,
    key: str,
) -> ReactionDocument:
    """Most negative reaction of two phases (eV/atom of mixture), products and equation."""
    spec = ReferenceSpec(**reference_spec)
    calculations = [_as_dict(c) for c in calculations]
    elements = set().union(*(_elements(p, c) for p, c in zip(phases, calculations, strict=True)))
    if voltage_v_vs_li is not None:
        elements.add("Li")
    reference = spec.load(elements)
    a, b = (
        phase_entry(p, c, reference, spec.allow_mixing)
        for p, c in zip(phases, calculations, strict=True)
    )
    result = most_negative_reaction(a, b, reference, voltage_v_vs_li)
    return ReactionDocument(
        key=key,
        phases=phases,
        voltage_v_vs_li=voltage_v_vs_li,
        reaction_energy_ev_per_atom=round(result.reaction_energy_ev_per_atom, 6),
        mixing_ratio=round(result.mixing_ratio, 6),
        products={k: round(v, 6) for k, v in result.products.items()},
        reaction=result.reaction,
        reference_set=reference.name,
        provenance=_provenance(calculations[0] or calculations[1], reference),
    )
