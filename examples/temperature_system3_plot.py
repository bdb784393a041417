"""Reaction free energy vs temperature of system 3 from the store (computes nothing).

Usage: python examples/temperature_system3_plot.py [OUT.png] [--store URI]
"""

import argparse

from ssbscreen.analysis.plots import plot_reaction_free_energies
from ssbscreen.store import build_job_store
from ssbscreen.store.queries import stored_outputs

SYSTEM3 = {"Li3InCl6", "NCM90", "Li6PS5Cl"}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("out", nargs="?", default="system3_free_energies.png")
parser.add_argument("--store", help="store URI (default: $SSBSCREEN_STORE or ./ssbscreen_store)")
args = parser.parse_args()
store = build_job_store(args.store)
store.connect()
reactions = [d for d in stored_outputs(store, "reaction") if set(d["phases"]) <= SYSTEM3]
if not reactions:
    raise SystemExit(
        "No system-3 reactions in the store; "
        "run examples/temperature_system3_li3incl6_ncm90_lpscl.yaml first."
    )
print(f"wrote {plot_reaction_free_energies(reactions, args.out)}")
