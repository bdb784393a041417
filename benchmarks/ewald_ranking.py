"""Ewald ranking of many orderings: shared-matrix vectorised scoring vs one EwaldSummation each.

Usage: python benchmarks/ewald_ranking.py [--n 10000] [--subset 300] [--out FILE]

Builds the Li3YCl6 library cell in the 1x1x2 supercell of the published study (66 sites with
the half-occupied Li sites, 60 atoms per ordering), draws `--n` random valid Li/vacancy
assignments (seeded) and scores them (a) with the interaction matrix computed once and
``ewald_energies`` (batched q @ M @ q in float64) and (b) with pymatgen's
``EwaldSummation(structure with oxidation states).total_energy`` per structure, with the same
screening parameter eta in both. (b) is timed on `--subset` structures and its per-structure
time extrapolated to `--n` (the output says so); it is also run on 1000 structures when the
subset timing predicts under 60 s. Prints JSON (and writes it with --out): absolute and
per-structure times, the speed-up, the largest energy difference on the compared structures,
and the machine; fails (AssertionError) when the energies differ by 1e-8 eV or more.
``measure`` gives the row of ``benchmarks/run_all.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Species, Structure

from ssbscreen.structures.ewald import ewald_energies, ewald_interaction_matrix
from ssbscreen.structures.library import get_record
from ssbscreen.structures.sublattices import build_problem

PHASE, SUPERCELL = "Li3YCl6", (1, 1, 2)
TOLERANCE_EV = 1e-8  # largest energy difference accepted between the two ways


def random_charges(problem, n: int, seed: int) -> np.ndarray:
    """(n, n_sites) charges of `n` random valid assignments (each group's multiset permuted)."""
    rng = np.random.default_rng(seed)
    charges = np.tile(problem.q_fixed, (n, 1))
    for group in problem.groups:
        multiset = group.charge_multiset()
        charges[:, group.indices] = rng.permuted(np.tile(multiset, (n, 1)), axis=1)
    return charges


def decorated(problem, charges: np.ndarray, symbol_of: dict[float, str]) -> Structure:
    """Ordered supercell with oxidation states for one charge row (vacancies removed)."""
    sc = problem.supercell
    species, coords = [], []
    for k, q in enumerate(charges):
        el = problem.fixed_species[k] or symbol_of.get(round(q, 9))
        if el is not None:
            species.append(Species(el, q))
            coords.append(sc[k].frac_coords)
    return Structure(sc.lattice, species, coords)


def compare(n: int, subset: int, seed: int = 0, recheck_1000: bool = True) -> dict:
    """Both ways on ``n`` seeded orderings (pymatgen on ``subset`` of them, and on 1000 when
    ``recheck_1000`` and that is predicted under 60 s): times (s), speed-ups, energy difference
    (eV). AssertionError when the energies differ by ``TOLERANCE_EV`` or more."""
    record = get_record(PHASE)
    problem = build_problem(record.structure(), record.oxidation_states, 200, None, SUPERCELL)
    n_sites = len(problem.supercell)
    # pymatgen's default eta of the all-sites cell, used for the matrix AND every structure
    unit = Structure(problem.supercell.lattice, ["H"] * n_sites, problem.supercell.frac_coords)
    eta = float(EwaldSummation(unit.copy(site_properties={"charge": [1.0] * n_sites})).eta)
    charges = random_charges(problem, n, seed)
    # variable-site charges -> element (Li3YCl6: only Li/vacancy vary)
    symbol_of = {
        round(g.charges[sp], 9): sp for g in problem.groups for sp in g.counts if sp != "vacancy"
    }

    start = time.perf_counter()
    matrix = ewald_interaction_matrix(problem.supercell, eta=eta)
    t_matrix = time.perf_counter() - start
    ewald_energies(matrix, charges[:64])  # warm-up (BLAS threads)
    start = time.perf_counter()
    fast = ewald_energies(matrix, charges)
    t_score = time.perf_counter() - start
    t_fast = t_matrix + t_score

    def pymatgen_energies(rows: np.ndarray) -> tuple[np.ndarray, float, float]:
        t_build = time.perf_counter()
        structures = [decorated(problem, q, symbol_of) for q in rows]
        t_build = time.perf_counter() - t_build
        start = time.perf_counter()
        energies = np.array([EwaldSummation(s, eta=eta).total_energy for s in structures])
        return energies, time.perf_counter() - start, t_build

    slow, t_subset, t_build = pymatgen_energies(charges[:subset])
    per_structure = t_subset / subset
    max_diff = float(np.abs(slow - fast[:subset]).max())
    n_atoms = len(decorated(problem, charges[0], symbol_of))
    result = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores",
        "cell": f"{PHASE} {SUPERCELL} supercell: {n_sites} sites in the all-sites cell, "
        f"{n_atoms} atoms per ordering",
        "atoms_per_ordering": n_atoms,
        "n_orderings": n,
        "n_distinct_assignments_of_cell": problem.n_assignments(),
        "eta_per_A2": eta,
        "fast_matrix_s": t_matrix,
        "fast_scoring_s": t_score,
        "fast_total_s": t_fast,
        "fast_per_structure_s": t_fast / n,
        "pymatgen_timed_on": subset,
        "pymatgen_subset_s": t_subset,
        "pymatgen_per_structure_s": per_structure,
        "pymatgen_structure_building_per_structure_s (not counted)": t_build / subset,
        "pymatgen_total_s": per_structure * n,
        "pymatgen_total_is": f"extrapolated from {subset} structures to {n}",
        "speedup_total": per_structure * n / t_fast,
        "speedup_scoring_only": per_structure * n / t_score,
        "compared_structures": subset,
        "max_abs_energy_difference_ev": max_diff,
    }
    if recheck_1000 and per_structure * 1000 < 60 and n >= 1000:
        slow_1000, t_1000, _ = pymatgen_energies(charges[:1000])
        diff_1000 = float(np.abs(slow_1000 - fast[:1000]).max())
        result.update(
            {
                "pymatgen_1000_s": t_1000,
                "pymatgen_1000_per_structure_s": t_1000 / 1000,
                "pymatgen_total_from_1000_s": t_1000 / 1000 * n,
                "speedup_total_from_1000": t_1000 / 1000 * n / t_fast,
                "compared_structures": 1000,
                "max_abs_energy_difference_ev": max(max_diff, diff_1000),
            }
        )
    diff = result["max_abs_energy_difference_ev"]
    assert diff < TOLERANCE_EV, (
        f"Ewald energies differ by {diff:.3e} eV (tolerance {TOLERANCE_EV:.0e} eV) "
        f"on {result['compared_structures']} orderings"
    )
    return result


def measure(quick: bool = False) -> list[dict]:
    """Suite row: 10^4 orderings (quick: 10^3, pymatgen timed on 30 and not re-run on 1000)."""
    n, subset = (1000, 30) if quick else (10_000, 300)
    result = compare(n, subset, recheck_1000=not quick)
    timed_on = 1000 if "pymatgen_total_from_1000_s" in result else subset
    naive_s = result.get("pymatgen_total_from_1000_s", result["pymatgen_total_s"])
    return [
        {
            "benchmark": "Ewald ranking",
            "case": f"{n:,} orderings, {PHASE} 1x1x2 cell ({result['atoms_per_ordering']} atoms)",
            "naive": f"pymatgen EwaldSummation each (timed on {timed_on}"
            + (", extrapolated)" if timed_on < n else ")"),
            "naive_s": naive_s,
            "fast_s": result["fast_total_s"],
            "ratio": naive_s / result["fast_total_s"],
            "check": f"max |dE| {result['max_abs_energy_difference_ev']:.1e} eV "
            f"on {result['compared_structures']}",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="random orderings to score")
    parser.add_argument("--subset", type=int, default=300, help="orderings scored by pymatgen")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = compare(args.n, args.subset, args.seed)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
