"""Batched vs one-image-at-a-time evaluation of the same NEB band (CHGNet).

The band: a Li-vacancy hop in rock-salt LiCl (primitive cell x n^3), IDPP images. Both ways
evaluate the same images the same number of times; the energies (eV) and forces (eV/A) must
agree to 1e-4 (AssertionError otherwise). ``measure`` gives the row of benchmarks/run_all.py.
Run: python benchmarks/neb_batching.py [--images 7] [--repeats 5] [--multiples 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ssbscreen.structures.migration import end_points, idpp_band, vacancy_hops
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.neb import band_evaluator

TOLERANCE = 1e-4  # eV and eV/A, as tests/test_migration.py


def compare(images: int, repeats: int, multiples: int) -> dict:
    """Seconds per band evaluation of both ways, band size and the largest energy (eV) and
    force (eV/A) differences; AssertionError when either is ``TOLERANCE`` or more."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rock_salt = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.14), ["Li", "Cl"], [[0, 0, 0], [0.5, 0, 0]]
    )
    cell = rock_salt.get_primitive_structure() * ((multiples,) * 3)
    band = idpp_band(end_points(cell, vacancy_hops(cell, "Li", 4.0)[0]), images)
    atoms = [AseAtomsAdaptor.get_atoms(s) for s in band[1:-1]]
    engine = MLIPEngine()
    ways = {"one at a time": band_evaluator(engine, False), "batched": band_evaluator(engine)}
    timings, energies, forces = {}, {}, {}
    for name, evaluate in ways.items():
        evaluate(atoms)  # warm-up: model load, first graph
        start = time.perf_counter()
        for _ in range(repeats):
            energies[name], forces[name] = evaluate(atoms)
        timings[name] = (time.perf_counter() - start) / repeats
    d_energy = float(np.abs(energies["batched"] - energies["one at a time"]).max())
    d_force = max(
        float(np.abs(a - b).max())
        for a, b in zip(forces["batched"], forces["one at a time"], strict=True)
    )
    assert d_energy < TOLERANCE and d_force < TOLERANCE, (
        f"batched and one-at-a-time bands differ by {d_energy:.2e} eV, {d_force:.2e} eV/A "
        f"(tolerance {TOLERANCE:.0e})"
    )
    return {
        "images": len(atoms),
        "atoms": len(cell) - 1,
        "repeats": repeats,
        "timings_s": timings,
        "max_energy_difference_ev": d_energy,
        "max_force_difference_ev_per_a": d_force,
    }


def measure(quick: bool = False) -> list[dict]:
    """Suite row: 7 images of the 3x3x3 cell, 5 evaluations (quick: 2x2x2 cell, 2)."""
    repeats, multiples = (2, 2) if quick else (5, 3)
    result = compare(7, repeats, multiples)
    naive_s, fast_s = result["timings_s"]["one at a time"], result["timings_s"]["batched"]
    return [
        {
            "benchmark": "NEB band evaluation",
            "case": f"{result['images']} images x {result['atoms']} atoms (LiCl vacancy hop), "
            "s per band",
            "naive": "one image at a time (ASE calculator)",
            "naive_s": naive_s,
            "fast_s": fast_s,
            "ratio": naive_s / fast_s,
            "check": f"max |dE| {result['max_energy_difference_ev']:.1e} eV, "
            f"|dF| {result['max_force_difference_ev_per_a']:.1e} eV/A",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=7, help="intermediate images")
    parser.add_argument("--repeats", type=int, default=5, help="band evaluations timed")
    parser.add_argument("--multiples", type=int, default=3, help="primitive cell multiples")
    args = parser.parse_args()
    result = compare(args.images, args.repeats, args.multiples)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, CPU")
    print(
        f"band: {result['images']} images x {result['atoms']} atoms, "
        f"{args.repeats} evaluations each"
    )
    for name, seconds in result["timings_s"].items():
        print(f"  {name:14s} {seconds:.3f} s per band")
    ratio = result["timings_s"]["one at a time"] / result["timings_s"]["batched"]
    print(f"  ratio (one at a time / batched): {ratio:.2f}x")
    print(f"  largest energy difference: {result['max_energy_difference_ev']:.2e} eV")
    print(f"  largest force difference: {result['max_force_difference_ev_per_a']:.2e} eV/A")


if __name__ == "__main__":
    main()
