"""Displaced-supercell forces: one batched CHGNet call vs atomate2's per-displacement jobs.

Both paths get the same phonopy displacements of one phase (default LiCl, supercell vectors
>= 12 Angstrom); prints the wall time of each, the speed-up and the largest force difference.

Usage: python benchmarks/phonon_batching.py [FORMULA] [--min-length 12]
"""

import argparse
import time
import warnings

import numpy as np
from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore

from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.workflows.phonons import PhasePhononMaker, chgnet_forces, displaced_supercells

warnings.filterwarnings("ignore")
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("formula", nargs="?", default="LiCl")
parser.add_argument("--min-length", type=float, default=12.0)
args = parser.parse_args()

structure = offline_reference_set("chgnet").lowest_entry(args.formula).structure
supercells = displaced_supercells.original(structure, args.min_length, None, 0.01, 1e-3)
structures = supercells["structures"]
print(f"{args.formula}: {len(structures)} displaced supercells of {len(structures[0])} atoms")
chgnet_forces(structures[:1], 1)  # load the model once, outside both timings

start = time.perf_counter()
batched = chgnet_forces(structures, batch_size=8)
batched_s = time.perf_counter() - start

maker = PhasePhononMaker(batched=False)
forces_job = maker.forces_job(structures, supercells["supercell_matrix"], structure)
store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
start = time.perf_counter()
run_locally(forces_job, store=store, ensure_success=True, log=False)
looped_s = time.perf_counter() - start
looped = store.get_output(forces_job.uuid, load=True)["forces"]

difference = max(np.abs(np.asarray(a) - b).max() for a, b in zip(looped, batched, strict=True))
print(f"batched: {batched_s:.2f} s, per displacement: {looped_s:.2f} s")
print(f"speed-up: {looped_s / batched_s:.1f}x, largest force difference {difference:.2e} eV/A")
