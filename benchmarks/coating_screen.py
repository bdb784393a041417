"""Coating screen vs the naive loop: every Li phase of the offline set between NCM811 and
Li6PS5Cl at one voltage.

Usage: python benchmarks/coating_screen.py [--n N] [--voltage 4.3] [--repeats 3] [--out FILE]

Both ways compute, for each candidate coating, its energy above hull, its electrochemical
window and its most negative reaction with the cathode and with the electrolyte, chemically and
at the voltage, on the shipped offline reference set (CHGNet; the set's own NCM811 and Li6PS5Cl
entries as cathode and electrolyte):
(a) ``coating_screen``: two ReactionSpaces built once, one linear program per mixture reused for
    both voltages, windows by Newton steps on the Li-open programs;
(b) naive: per candidate a PhaseDiagram for the hull, a PhaseDiagram and its element profile
    for the window, and per pair and voltage a new PhaseDiagram (+ GrandPotentialPhaseDiagram)
    and pymatgen InterfacialReactivity, most negative kink.
Each way is timed ``repeats`` times, the shortest counts. Prints JSON (and writes it with
--out): times, the ratio, the largest differences; fails (AssertionError) when an energy
differs by 1e-8 eV/atom or a window limit by 1e-6 V or more. ``measure`` gives the row of
``benchmarks/run_all.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import warnings
from pathlib import Path

from ssbscreen.analysis.coatings import coating_candidates, coating_screen
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.windows import electrochemical_window

CATHODE, ELECTROLYTE = "NCM811", "Li6PS5Cl"
ENERGY_TOLERANCE_EV_PER_ATOM = 1e-8
WINDOW_TOLERANCE_V = 1e-6


def _sibling(name: str):
    """The module of benchmarks/<name>.py, imported by file path (as run_all does)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# its naive reaction (new PhaseDiagram + InterfacialReactivity) and its timer, not copies
screening_matrix = _sibling("screening_matrix")


def naive_rows(candidates, cathode, electrolyte, reference, voltage) -> dict:
    """formula -> (E_hull, reduction, oxidation, four reaction energies), everything anew."""
    rows = {}
    for entry in candidates:
        try:
            window = electrochemical_window(entry, reference)
            limits = (window.reduction_v_vs_li, window.oxidation_v_vs_li)
        except ValueError:
            limits = (None, None)
        reactions = [
            min(screening_matrix.naive(entry, other, reference, v), 0.0)
            for other in (cathode, electrolyte)
            for v in (None, voltage)
        ]
        e_hull = hull_result(entry, reference).e_above_hull_ev_per_atom
        rows[entry.composition.reduced_formula] = (e_hull, *limits, *reactions)
    return rows


def compare(n: int | None, voltage: float, repeats: int = 3) -> dict:
    """Both ways for the first ``n`` candidates (None: all) at ``voltage`` (V vs Li): times (s),
    ratio, largest differences. AssertionError when they exceed the tolerances."""
    warnings.filterwarnings("ignore")
    reference = offline_reference_set("chgnet")
    named = {e.data.get("phase"): e for e in reference.entries}
    cathode, electrolyte = named[CATHODE], named[ELECTROLYTE]
    candidates = coating_candidates(reference, [cathode.composition, electrolyte.composition])
    candidates = candidates[:n]

    fast_s, screen = screening_matrix.shortest(
        lambda: coating_screen(cathode, electrolyte, candidates, reference, voltage), repeats
    )
    naive_s, slow = screening_matrix.shortest(
        lambda: naive_rows(candidates, cathode, electrolyte, reference, voltage), repeats
    )
    energy_diff = window_diff = 0.0
    for row in screen.rows:
        e_hull, reduction, oxidation, *reactions = slow[row.formula]
        mine = (
            row.e_above_hull_ev_per_atom,
            row.reaction_with_cathode_ev_per_atom,
            row.reaction_with_cathode_at_voltage_ev_per_atom,
            row.reaction_with_electrolyte_ev_per_atom,
            row.reaction_with_electrolyte_at_voltage_ev_per_atom,
        )
        theirs = (e_hull, *reactions)
        energy_diff = max(energy_diff, *(abs(a - b) for a, b in zip(mine, theirs, strict=True)))
        for a, b in ((row.reduction_v_vs_li, reduction), (row.oxidation_v_vs_li, oxidation)):
            assert (a is None) == (b is None), f"{row.formula}: window {a} vs {b}"
            window_diff = max(window_diff, 0.0 if a is None else abs(a - b))
    assert energy_diff < ENERGY_TOLERANCE_EV_PER_ATOM, f"energies differ by {energy_diff:.3e}"
    assert window_diff < WINDOW_TOLERANCE_V, f"window limits differ by {window_diff:.3e} V"
    return {
        "candidates": len(candidates),
        "voltage_v_vs_li": voltage,
        "screen_s": fast_s,
        "naive_s": naive_s,
        "speedup": naive_s / fast_s,
        "screen_s_per_100_candidates": 100 * fast_s / len(candidates),
        "repeats": repeats,
        "max_energy_difference_ev_per_atom": energy_diff,
        "max_window_difference_v": window_diff,
        "reference_set": reference.name,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }


def measure(quick: bool = False) -> list[dict]:
    """Suite row: every candidate at 4.3 V (quick: the first 10, one timing each)."""
    report = compare(10 if quick else None, 4.3, 1 if quick else 3)
    return [
        {
            "benchmark": "Coating screen",
            "case": f"{report['candidates']} Li phases between {CATHODE} and {ELECTROLYTE}, "
            "chemical and 4.3 V (hull, window, 4 reactions each)",
            "naive": "PhaseDiagram per hull and window, PhaseDiagram + InterfacialReactivity "
            "per pair and voltage",
            "naive_s": report["naive_s"],
            "fast_s": report["screen_s"],
            "ratio": report["speedup"],
            "check": f"max |dE| {report['max_energy_difference_ev_per_atom']:.1e} eV/atom, "
            f"|dV| {report['max_window_difference_v']:.1e} V",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="number of candidates (default: all)")
    parser.add_argument("--voltage", type=float, default=4.3, help="V vs Li/Li+")
    parser.add_argument("--repeats", type=int, default=3, help="timings per way (shortest)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = json.dumps(compare(args.n, args.voltage, args.repeats), indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
