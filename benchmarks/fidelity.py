"""How close the offline reference set is to the outside world: formation energies against
experimental enthalpies, windows against published DFT windows (tables in benchmarks/data/,
one source per value). Writes results/fidelity_<model>.md and .json.

Usage: python benchmarks/fidelity.py [--model chgnet] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from ssbscreen.analysis.fidelity import (
    formation_energy_rows,
    formation_summary,
    read_table,
    window_rows,
)
from ssbscreen.analysis.references import offline_reference_set

BENCH_DIR = Path(__file__).resolve().parent
ENTHALPIES = BENCH_DIR / "data" / "experimental_formation_enthalpies.csv"
WINDOWS = BENCH_DIR / "data" / "literature_windows.csv"


def _v(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="chgnet", help="potential of the offline set")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    args = parser.parse_args(argv)
    reference = offline_reference_set(args.model)
    rows, missing = formation_energy_rows(reference, read_table(ENTHALPIES))
    formation = formation_summary(rows)
    windows = window_rows(reference, read_table(WINDOWS))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(reference.name, formation, rows, missing, windows)
    (out / f"fidelity_{args.model}.md").write_text(text)
    content = {
        "reference_set": reference.name,
        "formation": formation,
        "formation_rows": [asdict(row) for row in rows],
        "not_in_set": missing,
        "windows": [asdict(row) for row in windows],
    }
    (out / f"fidelity_{args.model}.json").write_text(json.dumps(content, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
