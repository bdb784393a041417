"""Batched vs one-image-at-a-time evaluation of the same NEB band (CHGNet).

The band: a Li-vacancy hop in rock-salt LiCl (primitive cell x n^3), IDPP images. Both ways
evaluate the same images the same number of times; the energies must agree.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=7, help="intermediate images")
    parser.add_argument("--repeats", type=int, default=5, help="band evaluations timed")
    parser.add_argument("--multiples", type=int, default=3, help="primitive cell multiples")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rock_salt = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.14), ["Li", "Cl"], [[0, 0, 0], [0.5, 0, 0]]
    )
    cell = rock_salt.get_primitive_structure() * ((args.multiples,) * 3)
    band = idpp_band(end_points(cell, vacancy_hops(cell, "Li", 4.0)[0]), args.images)
    atoms = [AseAtomsAdaptor.get_atoms(s) for s in band[1:-1]]
    engine = MLIPEngine()
    ways = {"one at a time": band_evaluator(engine, False), "batched": band_evaluator(engine)}
    timings, energies = {}, {}
    for name, evaluate in ways.items():
        evaluate(atoms)  # warm-up: model load, first graph
        start = time.perf_counter()
        for _ in range(args.repeats):
            energies[name], _ = evaluate(atoms)
        timings[name] = (time.perf_counter() - start) / args.repeats
    diff = float(np.abs(energies["batched"] - energies["one at a time"]).max())
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, CPU")
    print(f"band: {len(atoms)} images x {len(cell) - 1} atoms, {args.repeats} evaluations each")
    for name, seconds in timings.items():
        print(f"  {name:14s} {seconds:.3f} s per band")
    ratio = timings["one at a time"] / timings["batched"]
    print(f"  ratio (one at a time / batched): {ratio:.2f}x")
    print(f"  largest energy difference: {diff:.2e} eV")


if __name__ == "__main__":
    main()
