"""Screening matrix: coatings x cathodes x electrolytes x voltages in one call.

Every pair (coating|cathode, coating|electrolyte, cathode|electrolyte) and, on request, every
triple (cathode + coating + electrolyte) is solved once per voltage. The arrays of all phases
(one ``ReactionSpace``) are built once; each mixture's linear program, built once, is reused
for every voltage; the naive way builds a new PhaseDiagram and InterfacialReactivity for every
pair and voltage.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.reactions import ReactionResult, ReactionSpace
from ssbscreen.analysis.references import ReferenceSet


@dataclass(frozen=True)
class MatrixCell:
    """One reaction of the matrix: phase names, voltage (V vs Li/Li+, None: chemical), result."""

    phases: tuple[str, ...]
    voltage_v_vs_li: float | None
    result: ReactionResult


def mixtures(
    coatings: list[str], cathodes: list[str], electrolytes: list[str], triples: bool = True
) -> list[tuple[str, ...]]:
    """The pairs (and triples) a matrix screens, each once, in a stable order."""
    found: list[tuple[str, ...]] = []
    for coating in coatings:
        for cathode in cathodes:
            for electrolyte in electrolytes:
                wanted = [(coating, cathode), (coating, electrolyte), (cathode, electrolyte)]
                if triples:
                    wanted.append((cathode, coating, electrolyte))
                found += [m for m in wanted if m not in found and len(set(m)) == len(m)]
    return found


def screening_matrix(
    phases: dict[str, ComputedEntry],
    coatings: list[str],
    cathodes: list[str],
    electrolytes: list[str],
    voltages_v_vs_li: list[float | None],
    reference: ReferenceSet,
    triples: bool = True,
) -> list[MatrixCell]:
    """Most negative reactions of every mixture of the matrix at every voltage.

    phases: name -> entry of every coating, cathode and electrolyte.
    """
    missing = sorted(set(coatings + cathodes + electrolytes) - set(phases))
    if missing:
        raise ValueError(f"No entry given for {missing}; pass an entry for every phase named.")
    # one space for every phase: each mixture's program keeps only its own elements' entries
    members = list(dict.fromkeys(coatings + cathodes + electrolytes))
    space = ReactionSpace.of(reference, *(phases[name] for name in members))
    cells = []
    for mixture in mixtures(coatings, cathodes, electrolytes, triples):
        entries = [phases[name] for name in mixture]
        for voltage in voltages_v_vs_li:
            cells.append(MatrixCell(mixture, voltage, space.most_negative(entries, voltage)))
    return cells
