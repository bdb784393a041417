"""Screening matrix vs the naive loop: K coatings x a cathode x an electrolyte x voltages.

Usage: python benchmarks/screening_matrix.py [--k 20] [--voltages 0 1 2.5 3.5 4.2] [--repeats 3]
       [--out FILE]

Both ways compute the most negative reaction of every pair (coating|cathode,
coating|electrolyte, cathode|electrolyte) at every voltage, on the shipped offline reference
set (CHGNet), with reference phases as coatings and the library's NCM811 and Li6PS5Cl
(Ewald-ordered cells, CHGNet single-point energies) as cathode and electrolyte:
(a) ``screening_matrix``: one ReactionSpace per chemical system, one linear program per pair
    and voltage;
(b) naive: a new PhaseDiagram (+ GrandPotentialPhaseDiagram at a voltage) and pymatgen
    InterfacialReactivity per pair and voltage, most negative kink.
Each way is timed ``repeats`` times, the shortest counts (as ``timeit``: the others carry
the noise of the machine). Prints JSON (and writes it with --out): times, the ratio, the
largest energy difference, and the time of the triples the matrix adds (the naive way has no
triple); fails (AssertionError)
when the energies differ by 1e-8 eV/atom or more. ``measure`` gives the row of
``benchmarks/run_all.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

from pymatgen.analysis.interface_reactions import (
    GrandPotentialInterfacialReactivity,
    InterfacialReactivity,
)
from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram, PhaseDiagram
from pymatgen.core import Element
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.hull import elements_of
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.screening import mixtures, screening_matrix
from ssbscreen.structures.library import ordered_representative

COATINGS = [
    "LiF", "LiNbO3", "Li3PO4", "HfO2", "Li2O", "Al2O3", "LiAlO2", "TiO2", "Li2TiO3", "Y2O3",
    "LiYF4", "AlF3", "YF3", "AlPO4", "LiCl", "YPO4", "Li4Ti5O12", "Y2Ti2O7", "LiCoPO4", "MnO2",
    "Li2MnO3", "LiMnPO4", "Li2SO4", "Li3NbO4",
]  # fmt: skip
CATHODE, ELECTROLYTE = "NCM811", "Li6PS5Cl"
TOLERANCE_EV_PER_ATOM = 1e-8  # largest reaction energy difference accepted (as the tests)


def single_point_entry(name: str) -> ComputedEntry:
    """CHGNet energy of the ordered library cell of ``name`` (no relaxation)."""
    from chgnet.model import CHGNet

    structure = ordered_representative(name, 100)
    energy = CHGNet.load(verbose=False).predict_structure(structure)["e"] * len(structure)
    return ComputedEntry(structure.composition, float(energy), entry_id=name)


def naive(a, b, reference, voltage):
    """Most negative reaction energy the way a script would: everything built anew."""
    pd = PhaseDiagram([*reference.in_chemsys(elements_of(a, b) | {"Li"}), a, b])
    if voltage is None:
        reactivity = InterfacialReactivity(
            a.composition, b.composition, pd, norm=True, use_hull_energy=False
        )
    else:
        mu_li = pd.el_refs[Element("Li")].energy_per_atom - voltage
        grand = GrandPotentialPhaseDiagram(pd.all_entries, {Element("Li"): mu_li})
        reactivity = GrandPotentialInterfacialReactivity(
            a.composition,
            b.composition,
            grand,
            pd_non_grand=pd,
            include_no_mixing_energy=True,
            norm=True,
            use_hull_energy=False,
        )
    return min(kink[2] for kink in reactivity.get_kinks())


def shortest(run, repeats: int) -> tuple[float, object]:
    """(shortest wall time in s, result) of ``repeats`` calls of ``run``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def compare(k: int, voltages: list[float], repeats: int = 3) -> dict:
    """Both ways for ``k`` coatings at ``voltages`` (V vs Li), each the shortest of ``repeats``
    runs: times (s), ratio, largest energy difference (eV/atom). AssertionError when it is
    ``TOLERANCE_EV_PER_ATOM`` or more."""
    warnings.filterwarnings("ignore")
    reference = offline_reference_set("chgnet")
    coatings = [f for f in COATINGS if reference.lowest_entry(f) is not None][:k]
    phases = {f: reference.lowest_entry(f) for f in coatings}
    phases |= {name: single_point_entry(name) for name in (CATHODE, ELECTROLYTE)}

    def matrix(triples: bool):
        return screening_matrix(
            phases, coatings, [CATHODE], [ELECTROLYTE], voltages, reference, triples=triples
        )

    def loop():
        return {
            (pair, v): naive(phases[pair[0]], phases[pair[1]], reference, v)
            for pair in mixtures(coatings, [CATHODE], [ELECTROLYTE], triples=False)
            for v in voltages
        }

    fast_s, cells = shortest(lambda: matrix(False), repeats)
    naive_s, slow = shortest(loop, repeats)
    triples_s, with_triples = shortest(lambda: matrix(True), repeats)

    diff = max(
        abs(c.result.reaction_energy_ev_per_atom - min(slow[(c.phases, c.voltage_v_vs_li)], 0.0))
        for c in cells
    )
    assert diff < TOLERANCE_EV_PER_ATOM, (
        f"screening matrix and naive reaction energies differ by {diff:.3e} eV/atom "
        f"(tolerance {TOLERANCE_EV_PER_ATOM:.0e}) over {len(cells)} pair reactions"
    )
    return {
        "coatings": len(coatings),
        "voltages_v_vs_li": voltages,
        "pair_reactions": len(cells),
        "matrix_s": fast_s,
        "naive_s": naive_s,
        "speedup": naive_s / fast_s,
        "repeats": repeats,
        "max_energy_difference_ev_per_atom": diff,
        "with_triples_reactions": len(with_triples),
        "with_triples_s": triples_s,
        "reference_set": reference.name,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }


def measure(quick: bool = False) -> list[dict]:
    """Suite row: 20 coatings at 5 voltages (quick: 5 coatings at 0 and 4.2 V)."""
    k, voltages = (5, [0.0, 4.2]) if quick else (20, [0.0, 1.0, 2.5, 3.5, 4.2])
    report = compare(k, voltages)
    return [
        {
            "benchmark": "Screening matrix",
            "case": f"{report['coatings']} coatings x {CATHODE} x {ELECTROLYTE}, "
            f"{len(voltages)} voltages ({report['pair_reactions']} pair reactions)",
            "naive": "new PhaseDiagram + InterfacialReactivity per pair and voltage",
            "naive_s": report["naive_s"],
            "fast_s": report["matrix_s"],
            "ratio": report["speedup"],
            "check": f"max |dE| {report['max_energy_difference_ev_per_atom']:.1e} eV/atom",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=20, help="number of coatings")
    parser.add_argument("--voltages", type=float, nargs="+", default=[0.0, 1.0, 2.5, 3.5, 4.2])
    parser.add_argument("--repeats", type=int, default=3, help="timings per way (shortest)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = json.dumps(compare(args.k, args.voltages, args.repeats), indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
