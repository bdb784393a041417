"""Displaced-supercell forces: one batched CHGNet call vs atomate2's per-displacement jobs.

Both paths get the same phonopy displacements of one phase (default LiCl, supercell vectors
>= 12 Angstrom); prints the wall time of each, the speed-up and the largest force difference,
which must stay below 1e-4 eV/A (AssertionError otherwise). ``measure`` gives the row of
benchmarks/run_all.py.

Usage: python benchmarks/phonon_batching.py [FORMULA] [--min-length 12]
"""

import argparse
import time
import warnings

import numpy as np
from atomate2.common.jobs.phonons import get_supercell_size
from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore

from ssbscreen.analysis.free_energy import structure_key
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.workflows.phonons import PhasePhononMaker, displaced_supercells, predicted_forces

TOLERANCE_EV_PER_A = 1e-4  # as tests/test_phonons.py (batched vs the ASE calculator)


def compare(formula: str, min_length: float) -> dict:
    """Seconds of both ways on the displaced supercells of ``formula`` (vectors >= min_length
    Angstrom) and their largest force difference (eV/A); AssertionError beyond the tolerance."""
    warnings.filterwarnings("ignore")
    structure = offline_reference_set("chgnet").lowest_entry(formula).structure
    matrix = get_supercell_size.original(structure, min_length, None, True)
    supercells = displaced_supercells.original(structure, matrix, 0.01, 1e-3)
    structures = supercells["structures"]
    predicted_forces("chgnet", structures[:1], 1)  # load the model once, outside both timings

    start = time.perf_counter()
    batched = predicted_forces("chgnet", structures, batch_size=8)
    batched_s = time.perf_counter() - start

    maker = PhasePhononMaker(batched=False)
    key = maker.key(structure_key(structure))
    forces_job = maker.forces_job(structures, matrix, structure, key)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    start = time.perf_counter()
    run_locally(forces_job, store=store, ensure_success=True, log=False)
    looped_s = time.perf_counter() - start
    looped = store.get_output(forces_job.uuid, load=True)["forces"]

    difference = max(np.abs(np.asarray(a) - b).max() for a, b in zip(looped, batched, strict=True))
    assert difference < TOLERANCE_EV_PER_A, (
        f"batched and per-displacement forces differ by {difference:.2e} eV/A "
        f"(tolerance {TOLERANCE_EV_PER_A:.0e})"
    )
    return {
        "displacements": len(structures),
        "atoms": len(structures[0]),
        "batched_s": batched_s,
        "looped_s": looped_s,
        "max_force_difference_ev_per_a": float(difference),
    }


def measure(quick: bool = False) -> list[dict]:
    """Suite row: LiCl, supercell vectors >= 12 Angstrom (quick: >= 5 Angstrom)."""
    min_length = 5.0 if quick else 12.0
    result = compare("LiCl", min_length)
    return [
        {
            "benchmark": "Phonon forces",
            "case": f"LiCl, {result['displacements']} displaced supercells of "
            f"{result['atoms']} atoms (>= {min_length:g} A)",
            "naive": "atomate2 static job per displacement",
            "naive_s": result["looped_s"],
            "fast_s": result["batched_s"],
            "ratio": result["looped_s"] / result["batched_s"],
            "check": f"max |dF| {result['max_force_difference_ev_per_a']:.1e} eV/A",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("formula", nargs="?", default="LiCl")
    parser.add_argument("--min-length", type=float, default=12.0)
    args = parser.parse_args()
    result = compare(args.formula, args.min_length)
    print(
        f"{args.formula}: {result['displacements']} displaced supercells of {result['atoms']} atoms"
    )
    print(f"batched: {result['batched_s']:.2f} s, per displacement: {result['looped_s']:.2f} s")
    print(
        f"speed-up: {result['looped_s'] / result['batched_s']:.1f}x, "
        f"largest force difference {result['max_force_difference_ev_per_a']:.2e} eV/A"
    )


if __name__ == "__main__":
    main()
