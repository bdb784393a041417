"""How close the offline reference set is to the outside world: formation energies against
experimental enthalpies, windows against published DFT windows, Li+ percolation barriers against
measured activation energies (tables in benchmarks/data/, one source per value). Writes
results/fidelity_<model>.md and .json.

Usage: python benchmarks/fidelity.py [--model chgnet] [--out DIR] [--barriers STORE]

--barriers: also run the Li+ vacancy hops of the migration example (its hop selections, as a
user runs them) into STORE, computing only the bands the store lacks, and compare their
percolation barriers with the measured activation energies.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from ssbscreen.analysis.fidelity import (
    barrier_rows,
    formation_energy_rows,
    formation_summary,
    read_table,
    window_rows,
)
from ssbscreen.analysis.references import offline_reference_set

BENCH_DIR = Path(__file__).resolve().parent
ENTHALPIES = BENCH_DIR / "data" / "experimental_formation_enthalpies.csv"
WINDOWS = BENCH_DIR / "data" / "literature_windows.csv"
ACTIVATION_ENERGIES = BENCH_DIR / "data" / "measured_activation_energies.csv"
MIGRATION_EXAMPLE = BENCH_DIR.parent / "examples" / "migration_li_in_halides_lpscl.yaml"


def _v(value: float | None, digits: int = 2) -> str:
    return "none" if value is None else f"{value:.{digits}f}"


def markdown(name: str, formation: dict, rows, missing: list[str], windows) -> str:
    """The fidelity tables of one reference set as markdown."""
    lines = [
        f"# Fidelity of the reference set {name}",
        "",
        f"Formation energies of {formation['n']} phases against experimental standard enthalpies"
        f" (298.15 K): MAE {formation['mae_ev_per_atom']:.3f} eV/atom. On the"
        f" {formation['n_with_mp']} phases whose Materials Project entries pymatgen ships, MAE"
        f" {formation['mae_on_mp_subset_ev_per_atom']:.3f} eV/atom here against"
        f" {formation['mp_mae_ev_per_atom']:.3f} for MP's own PBE(+U)/MP2020 energies.",
        "",
        "| class | n | MAE (eV/atom) |",
        "|---|---|---|",
    ]
    for cls, stats in formation["mae_by_class_ev_per_atom"].items():
        lines.append(f"| {cls} | {stats['n']} | {stats['mae']:.3f} |")
    lines += [
        "",
        "| phase | class | computed (eV/atom) | MP (eV/atom) | experiment (eV/atom) | error |"
        " source |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: -abs(r.error_ev_per_atom)):
        mp = "" if row.mp_ev_per_atom is None else f"{row.mp_ev_per_atom:.3f}"
        lines.append(
            f"| {row.phase} | {row.chemistry_class} | {row.computed_ev_per_atom:.3f} | {mp} | "
            f"{row.experimental_ev_per_atom:.3f} | {row.error_ev_per_atom:+.3f} | {row.source} |"
        )
    if missing:
        lines += ["", f"Not in the set (no comparison): {', '.join(sorted(missing))}."]
    lines += [
        "",
        "Electrochemical windows (V vs Li/Li+), computed from the set and published (DFT):",
        "",
        "| phase | computed | published | delta red. | delta ox. | published in |",
        "|---|---|---|---|---|---|",
    ]
    for row in windows:
        lines.append(
            f"| {row.phase} | {_v(row.reduction_v_vs_li)} - {_v(row.oxidation_v_vs_li)} | "
            f"{row.published_reduction_v_vs_li:.2f} - {row.published_oxidation_v_vs_li:.2f} | "
            f"{_v(row.delta_reduction_v)} | {_v(row.delta_oxidation_v)} | {row.reference} |"
        )
    return "\n".join(lines) + "\n"


def li_migration_documents(model: str, store_uri: str) -> list[dict]:
    """Migration documents of the example's Li+ hops with ``model``, computing what the store
    lacks."""
    from ssbscreen.store import build_job_store, stored_outputs
    from ssbscreen.workflows.campaign_file import migration_flow, read_campaign_file
    from ssbscreen.workflows.local import run_flow_locally

    content = read_campaign_file(MIGRATION_EXAMPLE)
    hops = [hop for hop in content["migration"]["hops"] if hop["ion"] == "Li"]
    name = f"fidelity_li_barriers_{model}"
    content = {**content, "name": name, "model": model}
    content["migration"] = {**content["migration"], "hops": hops}
    store = build_job_store(store_uri)
    store.connect()
    run_flow_locally(migration_flow(content, store), store)  # the bands the store lacks
    return [doc for doc in stored_outputs(store, "migration") if doc["campaign"] == name]


def barrier_markdown(rows) -> str:
    """The barrier table as markdown."""
    lines = [
        "Li+ percolation barriers (eV) from the migration example's Li hops (bands that fail"
        " their checks left out) beside measured activation energies:",
        "",
        "| phase | lowest hop | 1D | 2D | 3D | measured Ea | 3D - measured | method |"
        " reference | left out (bands) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        left_out = ", ".join(f"{label} ({n})" for label, n in Counter(row.left_out).items())
        cells = [
            row.phase,
            *(_v(x, 3) for x in (row.lowest_hop_ev, row.barrier_1d_ev, row.barrier_2d_ev)),
            _v(row.barrier_3d_ev, 3),
            f"{row.measured_ea_ev:.2f}",
            _v(row.delta_ev, 3),
            row.method,
            row.reference,
            left_out or "-",
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="chgnet", help="potential of the offline set")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    parser.add_argument("--barriers", metavar="STORE", help="store URI for the Li+ NEB bands")
    args = parser.parse_args(argv)
    reference = offline_reference_set(args.model)
    rows, missing = formation_energy_rows(reference, read_table(ENTHALPIES))
    formation = formation_summary(rows)
    windows = window_rows(reference, read_table(WINDOWS))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(reference.name, formation, rows, missing, windows)
    barriers = []
    if args.barriers:
        documents = li_migration_documents(args.model, args.barriers)
        barriers = barrier_rows(documents, read_table(ACTIVATION_ENERGIES))
        text += "\n" + barrier_markdown(barriers)
    (out / f"fidelity_{args.model}.md").write_text(text)
    content = {
        "reference_set": reference.name,
        "formation": formation,
        "formation_rows": [asdict(row) for row in rows],
        "not_in_set": missing,
        "windows": [asdict(row) for row in windows],
        "barriers": [asdict(row) for row in barriers],
    }
    (out / f"fidelity_{args.model}.json").write_text(json.dumps(content, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
