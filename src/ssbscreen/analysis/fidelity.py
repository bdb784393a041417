"""Fidelity of a reference set against the outside world.

- Formation energies (eV/atom, from the set's own elemental entries) against experimental
  standard enthalpies of formation at 298.15 K (kJ/mol per formula unit, converted with
  1 eV = 96.485332 kJ/mol; the difference between H(298 K) and E(0 K) is ignored, as in
  the MP2020 fit: Wang et al., Sci. Rep. 11, 15496 (2021)).
- Electrochemical windows (V vs Li/Li+) computed with :func:`electrochemical_window` against
  published DFT windows.
- Li+ percolation barriers (eV) from NEB migration documents against measured activation
  energies of Li+ conduction.

The tables are plain CSV files (``benchmarks/data/``), one source and locator per value; nothing
here is fitted to them. Beside each computed formation energy stands, where pymatgen ships it,
the Materials Project's own (PBE/PBE+U with MP2020 corrections, from the MP entries in
pymatgen's ``calc_compounds.json.gz``, the compounds the MP2020 scheme was fitted on): an error
shared by both is DFT's or the correction's, one the potential alone has is the potential's.
"""

from __future__ import annotations

import csv
import gzip
import json
import statistics
import warnings
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from monty.json import MontyDecoder
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition

from ssbscreen.analysis.migration import counts_in_network, edge_barrier_ev, percolation
from ssbscreen.analysis.references import ReferenceSet, apply_mp2020
from ssbscreen.analysis.windows import electrochemical_window

KJ_PER_MOL_PER_EV = 96.485332  # CODATA 2018: N_A e (J/mol per V) / 1000


def read_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV table with a header line."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def chemistry_class(formula: str) -> str:
    """Class of a compound by its anions: sulfate, phosphate, oxide, sulfide, chloride,
    fluoride, phosphide, or metal (elements and intermetallics)."""
    elements = {el.symbol for el in Composition(formula).elements}
    if {"S", "O"} <= elements:
        return "sulfate"
    if {"P", "O"} <= elements:
        return "phosphate"
    for anion, name in (("O", "oxide"), ("S", "sulfide"), ("Cl", "chloride"), ("F", "fluoride")):
        if anion in elements:
            return name
    if "P" in elements and len(elements) > 1:
        return "phosphide"
    return "metal"


@cache
def mp_reference_set() -> ReferenceSet:
    """The Materials Project entries pymatgen ships (calc_compounds.json.gz), MP2020-corrected."""
    path = resources.files("pymatgen.analysis.compatibility") / "calc_compounds.json.gz"
    with gzip.open(str(path), "rt") as handle:
        raw = json.load(handle)
    with warnings.catch_warnings():  # noble-gas entries: "No Pauling electronegativity"
        warnings.simplefilter("ignore", UserWarning)
        entries = apply_mp2020([MontyDecoder().process_decoded(row) for row in raw.values()])
    return ReferenceSet("materials_project (pymatgen calc_compounds)", tuple(entries), "PBE")


def formation_energy_per_atom(reference: ReferenceSet, phase: str) -> float | None:
    """Formation energy (eV/atom) of the lowest entry of ``phase`` from the set's own lowest
    elemental entries; None when the set lacks the phase or one of its elements."""
    entry = reference.lowest_entry(phase)
    if entry is None:
        return None
    elements = {el.symbol for el in entry.composition.elements}
    if any(reference.lowest_entry(el) is None for el in elements):
        return None
    return float(PhaseDiagram(reference.in_chemsys(elements)).get_form_energy_per_atom(entry))


@dataclass(frozen=True)
class FormationRow:
    """One phase: computed, Materials Project (None if not shipped) and experimental formation
    energies (eV/atom), and where the experimental one comes from."""

    phase: str
    chemistry_class: str
    computed_ev_per_atom: float
    experimental_ev_per_atom: float
    error_ev_per_atom: float  # computed - experimental
    mp_ev_per_atom: float | None
    source: str
    locator: str


def formation_energy_rows(
    reference: ReferenceSet, table: list[dict[str, str]]
) -> tuple[list[FormationRow], list[str]]:
    """Computed vs experimental formation energies of the table's phases that the set holds,
    and the phases it does not hold."""
    rows, missing = [], []
    for row in table:
        computed = formation_energy_per_atom(reference, row["phase"])
        if computed is None:
            missing.append(row["phase"])
            continue
        n_atoms = Composition(row["formula_unit"]).num_atoms
        experimental = float(row["dHf_kJ_per_mol"]) / KJ_PER_MOL_PER_EV / n_atoms
        rows.append(
            FormationRow(
                phase=row["phase"],
                chemistry_class=chemistry_class(row["phase"]),
                computed_ev_per_atom=float(computed),
                experimental_ev_per_atom=experimental,
                error_ev_per_atom=float(computed) - experimental,
                mp_ev_per_atom=formation_energy_per_atom(mp_reference_set(), row["phase"]),
                source=row["source"],
                locator=row["locator"],
            )
        )
    return rows, missing


@dataclass(frozen=True)
class WindowRow:
    """Computed and published window of one phase (V vs Li/Li+); delta = computed - published."""

    phase: str
    reduction_v_vs_li: float | None
    oxidation_v_vs_li: float | None
    published_reduction_v_vs_li: float
    published_oxidation_v_vs_li: float
    delta_reduction_v: float | None
    delta_oxidation_v: float | None
    reference: str
    locator: str


def _difference(computed: float | None, published: float) -> float | None:
    return None if computed is None else computed - published


def window_rows(reference: ReferenceSet, table: list[dict[str, str]]) -> list[WindowRow]:
    """The window of each phase of the table, computed from ``reference``, beside the
    published one; ValueError naming a phase the set does not hold."""
    rows = []
    for row in table:
        entry = reference.lowest_entry(row["phase"])
        if entry is None:
            raise ValueError(f"The reference set {reference.name!r} has no {row['phase']}.")
        window = electrochemical_window(entry, reference)
        low, high = float(row["reduction_v_vs_li"]), float(row["oxidation_v_vs_li"])
        rows.append(
            WindowRow(
                phase=row["phase"],
                reduction_v_vs_li=window.reduction_v_vs_li,
                oxidation_v_vs_li=window.oxidation_v_vs_li,
                published_reduction_v_vs_li=low,
                published_oxidation_v_vs_li=high,
                delta_reduction_v=_difference(window.reduction_v_vs_li, low),
                delta_oxidation_v=_difference(window.oxidation_v_vs_li, high),
                reference=row["reference"],
                locator=row["locator"],
            )
        )
    return rows


def formation_summary(rows: list[FormationRow], n_worst: int = 5) -> dict:
    """Mean absolute error (eV/atom) overall and per chemistry class, and the worst phases."""
    by_class: dict[str, list[float]] = {}
    for row in rows:
        by_class.setdefault(row.chemistry_class, []).append(abs(row.error_ev_per_atom))
    worst = sorted(rows, key=lambda row: -abs(row.error_ev_per_atom))[:n_worst]
    with_mp = [row for row in rows if row.mp_ev_per_atom is not None]
    return {
        "n": len(rows),
        "mae_ev_per_atom": statistics.fmean(abs(r.error_ev_per_atom) for r in rows),
        "n_with_mp": len(with_mp),
        "mae_on_mp_subset_ev_per_atom": statistics.fmean(abs(r.error_ev_per_atom) for r in with_mp),
        "mp_mae_ev_per_atom": statistics.fmean(
            abs(r.mp_ev_per_atom - r.experimental_ev_per_atom) for r in with_mp
        ),
        "mae_by_class_ev_per_atom": {
            name: {"n": len(errors), "mae": statistics.fmean(errors)}
            for name, errors in sorted(by_class.items())
        },
        "worst": [asdict(row) for row in worst],
    }


@dataclass(frozen=True)
class BarrierRow:
    """Computed percolation barriers (eV) of an ion in a host beside one measured activation
    energy; delta_ev = 3D percolation barrier - measured (None without a 3D network)."""

    phase: str
    ion: str
    lowest_hop_ev: float | None
    barrier_1d_ev: float | None
    barrier_2d_ev: float | None
    barrier_3d_ev: float | None
    left_out: tuple[str, ...]
    measured_ea_ev: float
    method: str
    reference: str
    delta_ev: float | None


def barrier_rows(documents: list[dict], table: list[dict[str, str]]) -> list[BarrierRow]:
    """Each measured row (``measured_activation_energies.csv``) of a host whose Li hops the
    migration documents hold, beside the percolation barriers computed from them; a pellet's
    activation energy is compared with the 3D network, the path a long-range current takes."""
    li_docs = [d for d in documents if d["ion"] == "Li"]
    networks = {p.host: p for p in percolation(li_docs)}
    rows = []
    for row in table:
        network = networks.get(row["phase"])
        if network is None:
            continue
        trusted = [
            edge_barrier_ev(d)
            for d in li_docs
            if d["host"] == row["phase"] and counts_in_network(d)
        ]
        measured = float(row["ea_ev"])
        rows.append(
            BarrierRow(
                phase=row["phase"],
                ion="Li",
                lowest_hop_ev=min(trusted, default=None),
                barrier_1d_ev=network.barrier_1d_ev,
                barrier_2d_ev=network.barrier_2d_ev,
                barrier_3d_ev=network.barrier_3d_ev,
                left_out=network.excluded,
                measured_ea_ev=measured,
                method=row["method"],
                reference=row["reference"],
                delta_ev=_difference(network.barrier_3d_ev, measured),
            )
        )
    return rows
