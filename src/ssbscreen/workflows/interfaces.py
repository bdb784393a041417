"""Interfacial reaction jobs: two or three phases, chemically or at a voltage; voltage scans."""

from __future__ import annotations

from jobflow import job

from ssbscreen.analysis.products import group_products
from ssbscreen.analysis.reactions import ReactionSpace, voltage_scan
from ssbscreen.analysis.references import ReferenceSpec, phase_entry
from ssbscreen.schemas import ReactionDocument, ScanDocument
from ssbscreen.workflows.stability import _as_dict, _elements, _provenance


def _phase_entries(phases, calculations, reference_spec, with_li):
    """Reference set and entries of ``phases`` from their calculations (None: reference)."""
    spec = ReferenceSpec(**reference_spec)
    calculations = [_as_dict(c) for c in calculations]
    elements = set().union(*(_elements(p, c) for p, c in zip(phases, calculations, strict=True)))
    if with_li:
        elements.add("Li")
    reference = spec.load(elements)
    entries = [
        phase_entry(p, c, reference, spec.allow_mixing)
        for p, c in zip(phases, calculations, strict=True)
    ]
    provenance = _provenance(next((c for c in calculations if c), None), reference)
    return reference, entries, provenance


@job
def reaction_document(
    phases: list[str],
    calculations: list,
    voltage_v_vs_li: float | None,
    reference_spec: dict,
    key: str,
    voltage: float | None = None,
    voltage_reference: str = "Li",
) -> ReactionDocument:
    """Most negative reaction of two or three phases over all mixing fractions (eV/atom)."""
    reference, entries, provenance = _phase_entries(
        phases, calculations, reference_spec, voltage_v_vs_li is not None
    )
    result = ReactionSpace.of(reference, *entries).most_negative(entries, voltage_v_vs_li)
    return ReactionDocument(
        key=key,
        phases=phases,
        voltage_v_vs_li=voltage_v_vs_li,
        voltage=voltage_v_vs_li if voltage is None else voltage,
        voltage_reference=voltage_reference,
        reaction_energy_ev_per_atom=round(result.reaction_energy_ev_per_atom, 6),
        mixing_fractions=[round(x, 6) for x in result.mixing_fractions],
        mixing_ratio=round(result.mixing_ratio, 6),
        products={k: round(v, 6) for k, v in result.products.items()},
        product_groups=group_products([p for p in result.products if p != "Li"]),
        reaction=result.reaction,
        reference_set=reference.name,
        provenance=provenance,
    )


@job
def scan_document(
    phases: list[str],
    calculations: list,
    start_v_vs_li: float,
    stop_v_vs_li: float,
    reference_spec: dict,
    key: str,
    voltage_reference: str = "Li",
) -> ScanDocument:
    """Reaction energies of the phases from start to stop (V vs Li/Li+) and the onsets."""
    reference, entries, provenance = _phase_entries(phases, calculations, reference_spec, True)
    scan = voltage_scan(entries, reference, start_v_vs_li, stop_v_vs_li)
    return ScanDocument(
        key=key,
        phases=phases,
        voltage_reference=voltage_reference,
        voltages_v_vs_li=[round(v, 6) for v in scan.voltages_v_vs_li],
        reaction_energies_ev_per_atom=[round(e, 6) for e in scan.reaction_energies_ev_per_atom],
        interface_energies_ev_per_atom=[round(e, 6) for e in scan.interface_energies_ev_per_atom],
        onset_v_vs_li=None if scan.onset_v_vs_li is None else round(scan.onset_v_vs_li, 4),
        interface_onset_v_vs_li=None
        if scan.interface_onset_v_vs_li is None
        else round(scan.interface_onset_v_vs_li, 4),
        reference_set=reference.name,
        provenance=provenance,
    )


EV_PER_A2_IN_J_PER_M2 = 16.021766  # 1 eV/Angstrom^2 = 16.02 J/m^2
