"""Coating screen: every Li-containing phase of a reference set as a coating between a cathode
and an electrolyte, as computational coating screens do it (Y. Xiao et al., "Computational
screening of cathode coatings for solid-state batteries", Joule 3, 1252 (2019); Y. Zhu, X. He
and Y. Mo, ACS Appl. Mater. Interfaces 7, 23685 (2015), J. Mater. Chem. A 4, 3253 (2016)).

Each candidate gets its energy above hull, its electrochemical window (V vs Li/Li+) and the most
negative reaction with the cathode and with the electrolyte, chemically and at the cell voltage
(Li open). Two ReactionSpaces are built once for all candidates: the reference set alone for
each candidate's own stability (as ``hull`` and ``window`` put a phase on the set), and the
screening matrix's space, the set plus the cathode and electrolyte, for the reactions (as
``react``); each mixture's linear program serves both of its voltages.

The ranking is RANKING_RULE. The chemical energies decide it. At the voltage each pair's total
energy includes the cathode's and the electrolyte's own decomposition (as ``react``), the same
for every coating that reacts less than they decompose; the mutual energy at the voltage (what
mixing adds to the phases' own decomposition there, pymatgen's include_no_mixing_energy=False)
is what the coating does to its neighbours, so it breaks the ties.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pymatgen.core import Composition
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.reactions import ReactionSpace
from ssbscreen.analysis.references import ReferenceSet
from ssbscreen.analysis.screening import screening_matrix
from ssbscreen.analysis.windows import window_in_space

FILTERS = ("e_above_hull", "window")  # the names a row's failed_filters uses
RANKING_RULE = (
    "candidates that pass both filters (E_hull <= the limit; reduction limit <= V <= oxidation "
    "limit) first, then the rest; within each group by the worse (more negative) of the two "
    "chemical reaction energies (with the cathode, with the electrolyte), least negative first; "
    "ties (energies equal to 1e-6 eV/atom) by the worse of the two mutual energies at the "
    "voltage (beyond the phases' own decomposition there), then by formula"
)
TIE_DIGITS = 6  # energies are ranked rounded to 1e-6 eV/atom: the LP's round-off is no rank
CATHODE, ELECTROLYTE = "cathode", "electrolyte"  # their keys in the matrix (never a formula)


@dataclass(frozen=True)
class CoatingRow:
    """One candidate coating.

    phase: the reference entry's phase name (its formula when the entry has none).
    Reaction energies: most negative over all mixing ratios, eV/atom of the mixture; at the
    voltage eV per non-Li atom, in total and mutual (beyond each phase's own decomposition at
    the voltage). Window limits in V vs Li/Li+, None when the phase has no window.
    failed_filters: the FILTERS it does not pass.
    """

    phase: str
    formula: str
    e_above_hull_ev_per_atom: float
    reduction_v_vs_li: float | None
    oxidation_v_vs_li: float | None
    reaction_with_cathode_ev_per_atom: float
    reaction_with_electrolyte_ev_per_atom: float
    reaction_with_cathode_at_voltage_ev_per_atom: float
    reaction_with_electrolyte_at_voltage_ev_per_atom: float
    mutual_with_cathode_at_voltage_ev_per_atom: float
    mutual_with_electrolyte_at_voltage_ev_per_atom: float
    failed_filters: tuple[str, ...]

    @property
    def passes(self) -> bool:
        """True when the candidate passes every filter."""
        return not self.failed_filters

    def as_dict(self) -> dict:
        """The row as JSON values, rounded as result documents are (eV to 1e-6, V to 1e-4)."""
        volts = {"reduction_v_vs_li", "oxidation_v_vs_li"}
        row = {}
        for key, value in asdict(self).items():
            if isinstance(value, float):
                value = round(value, 4 if key in volts else 6)
            row[key] = list(value) if isinstance(value, tuple) else value
        return row | {"passes": self.passes}

    @property
    def rank_key(self) -> tuple:
        """Sort key of RANKING_RULE: smaller is better."""
        chemical = min(
            self.reaction_with_cathode_ev_per_atom, self.reaction_with_electrolyte_ev_per_atom
        )
        at_voltage = min(
            self.mutual_with_cathode_at_voltage_ev_per_atom,
            self.mutual_with_electrolyte_at_voltage_ev_per_atom,
        )
        return (
            not self.passes,
            -round(chemical, TIE_DIGITS),
            -round(at_voltage, TIE_DIGITS),
            self.formula,
        )


@dataclass(frozen=True)
class CoatingScreen:
    """Ranked rows, best first, and the bare cathode | electrolyte reaction (eV/atom; at the
    voltage eV per non-Li atom) that a coating keeps apart."""

    voltage_v_vs_li: float
    max_e_above_hull_ev_per_atom: float
    rows: tuple[CoatingRow, ...]
    cathode_electrolyte_ev_per_atom: float
    cathode_electrolyte_at_voltage_ev_per_atom: float


def coating_candidates(reference: ReferenceSet, excluded: list[Composition]) -> list[ComputedEntry]:
    """Lowest-energy entry of every Li-containing formula of the set, but elemental Li and the
    ``excluded`` compositions (the cathode and the electrolyte)."""
    excluded = [c.fractional_composition for c in excluded]
    lowest: dict[str, ComputedEntry] = {}
    for entry in reference.entries:
        composition = entry.composition.fractional_composition
        if "Li" not in composition or len(composition.elements) == 1:
            continue
        if any(composition.almost_equals(c, rtol=0, atol=1e-6) for c in excluded):
            continue
        formula = entry.composition.reduced_formula
        if formula not in lowest or entry.energy_per_atom < lowest[formula].energy_per_atom:
            lowest[formula] = entry
    return [lowest[formula] for formula in sorted(lowest)]


def coating_screen(
    cathode: ComputedEntry,
    electrolyte: ComputedEntry,
    candidates: list[ComputedEntry],
    reference: ReferenceSet,
    voltage_v_vs_li: float,
    max_e_above_hull_ev_per_atom: float = 0.05,
) -> CoatingScreen:
    """Rank ``candidates`` (entries of ``reference``) as coatings between ``cathode`` and
    ``electrolyte`` at ``voltage_v_vs_li``; see the module docstring for the rule."""
    if not candidates:
        raise ValueError(f"The reference set {reference.name!r} gives no candidate coating.")
    stability = ReactionSpace.of(reference, *candidates)
    names = [c.composition.reduced_formula for c in candidates]
    phases = dict(zip(names, candidates, strict=True)) | {
        CATHODE: cathode,
        ELECTROLYTE: electrolyte,
    }
    voltages = [None, voltage_v_vs_li]
    cells = screening_matrix(
        phases, names, [CATHODE], [ELECTROLYTE], voltages, reference, triples=False
    )
    energy = {
        (cell.phases, cell.voltage_v_vs_li): cell.result.reaction_energy_ev_per_atom
        for cell in cells
    }
    mutual = {
        cell.phases: cell.result.mutual.reaction_energy_ev_per_atom
        for cell in cells
        if cell.voltage_v_vs_li is not None
    }
    rows = []
    for name, entry in zip(names, candidates, strict=True):
        # its decomposition energy (<= 0), as a positive E_hull (0.0, never -0.0, when stable)
        e_hull = abs(stability.most_negative([entry]).reaction_energy_ev_per_atom)
        try:
            window = window_in_space(stability, entry)
            reduction, oxidation = window.reduction_v_vs_li, window.oxidation_v_vs_li
        except ValueError:  # stable at no voltage
            reduction, oxidation = None, None
        upper = float("inf") if oxidation is None else oxidation
        within = reduction is not None and reduction <= voltage_v_vs_li <= upper
        passed = {"e_above_hull": e_hull <= max_e_above_hull_ev_per_atom, "window": within}
        rows.append(
            CoatingRow(
                phase=str(entry.data.get("phase") or name),
                formula=name,
                e_above_hull_ev_per_atom=e_hull,
                reduction_v_vs_li=reduction,
                oxidation_v_vs_li=oxidation,
                reaction_with_cathode_ev_per_atom=energy[(name, CATHODE), None],
                reaction_with_electrolyte_ev_per_atom=energy[(name, ELECTROLYTE), None],
                reaction_with_cathode_at_voltage_ev_per_atom=energy[
                    (name, CATHODE), voltage_v_vs_li
                ],
                reaction_with_electrolyte_at_voltage_ev_per_atom=energy[
                    (name, ELECTROLYTE), voltage_v_vs_li
                ],
                mutual_with_cathode_at_voltage_ev_per_atom=mutual[name, CATHODE],
                mutual_with_electrolyte_at_voltage_ev_per_atom=mutual[name, ELECTROLYTE],
                failed_filters=tuple(f for f in FILTERS if not passed[f]),
            )
        )
    return CoatingScreen(
        voltage_v_vs_li=voltage_v_vs_li,
        max_e_above_hull_ev_per_atom=max_e_above_hull_ev_per_atom,
        rows=tuple(sorted(rows, key=lambda row: row.rank_key)),
        cathode_electrolyte_ev_per_atom=energy[(CATHODE, ELECTROLYTE), None],
        cathode_electrolyte_at_voltage_ev_per_atom=energy[(CATHODE, ELECTROLYTE), voltage_v_vs_li],
    )
