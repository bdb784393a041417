"""Vibrational free energy vs phonon supercell size: what a shorter supercell costs in accuracy.

For each phase (offline CHGNet reference structures), the phonon flow runs with supercell
vectors >= each length given; prints F_vib (meV/atom) at 0 (the zero-point energy), 253, 298
and 333 K, the atom-force evaluations each length needs, and the largest change of F_vib
against the longest length.

Usage: python benchmarks/phonon_supercell_convergence.py [FORMULA ...] [--lengths 10 12]
"""

import argparse
import warnings

import numpy as np
from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore
from pymatgen.core import Structure

from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.workflows.phonons import PhasePhononMaker

PHASES = ["LiCl", "Li2S", "NiS2", "InCl3", "In2O3", "Li3PO4"]
TEMPERATURES_K = (0, 253, 298, 333)


def free_energies(
    structure: Structure, formula: str, min_length_a: float
) -> tuple[list[float], int]:
    """F_vib (meV/atom) at TEMPERATURES_K and the atom-force evaluations of the phonon flow."""
    flow = PhasePhononMaker(min_length_a=min_length_a).make(structure, formula)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    responses = run_locally(flow, store=store, ensure_success=True, log=False)
    document = responses[flow.output.uuid][1].output
    document = document if isinstance(document, dict) else document.model_dump()
    t, f = np.array(document["temperatures_k"]), np.array(document["free_energy_ev_per_atom"])
    n_atoms = len(structure) * round(abs(np.linalg.det(document["supercell_matrix"])))
    supercells = store.query_one({"name": f"{formula} displacements"}, load=True)
    n_displaced = len(supercells["output"]["structures"])
    return [1000 * float(np.interp(temp, t, f)) for temp in TEMPERATURES_K], n_displaced * n_atoms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phases", nargs="*", default=PHASES)
    parser.add_argument("--lengths", type=float, nargs="+", default=[10.0, 12.0])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    lengths = sorted(args.lengths)
    reference = offline_reference_set("chgnet")
    header = " | ".join(f"F_vib({t} K)" for t in TEMPERATURES_K)
    print(
        f"| phase | >= L (A) | atom-force evaluations | {header} (meV/atom) | change vs "
        f"{lengths[-1]:g} A at 253-333 K |"
    )
    print("|---" * (5 + len(TEMPERATURES_K) - 1) + "|")
    for formula in args.phases:
        structure = reference.lowest_entry(formula).structure
        rows = {length: free_energies(structure, formula, length) for length in lengths}
        longest = np.array(rows[lengths[-1]][0])
        for length, (values, cost) in rows.items():
            change = np.abs(np.array(values) - longest)[1:].max()
            cells = " | ".join(f"{v:.2f}" for v in values)
            print(f"| {formula} | {length:g} | {cost} | {cells} | {change:.2f} |", flush=True)


if __name__ == "__main__":
    main()
