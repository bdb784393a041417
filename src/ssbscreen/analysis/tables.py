"""Tables of stored result documents, as Markdown, CSV or LaTeX (computing nothing)."""

from __future__ import annotations

import csv
import io

COLUMNS = {
    "hull": ["phase", "formula", "E_hull (meV/atom)", "decomposition", "reference set", "model"],
    "window": [
        "phase",
        "formula",
        "reduction (V vs Li)",
        "oxidation (V vs Li)",
        "reference set",
        "model",
    ],
    "reaction": [
        "phases",
        "voltage (V vs Li)",
        "E_rxn (meV/atom)",
        "x (A)",
        "products",
        "reference set",
        "model",
    ],
    "doping": [
        "host",
        "dopant",
        "site",
        "defect energy (eV)",
        "E_hull (meV/atom)",
        "dG (eV)",
        "host + dopant (meV/atom)",
        "host + Li (meV/atom)",
        "reference set",
        "model",
    ],
}
TITLES = {
    "hull": "Energy above hull",
    "window": "Electrochemical stability windows",
    "reaction": "Most negative interfacial reactions",
    "doping": "Dopant sites, energies above hull and doping free energies",
}


def _number(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def _model(doc: dict) -> str:
    return doc["provenance"]["model"]


def table_rows(kind: str, documents: list[dict]) -> list[list[str]]:
    """Rows (strings) of one table kind from its documents, in a stable order."""
    if kind == "hull":
        rows = [
            [
                d["phase"],
                d["formula"],
                _number(d["e_above_hull_ev_per_atom"], 1000, 1),
                " + ".join(f"{v:.3g} {k}" for k, v in sorted(d["decomposition"].items())),
                d["reference_set"],
                _model(d),
            ]
            for d in documents
        ]
    elif kind == "window":
        rows = [
            [
                d["phase"],
                d["formula"],
                _number(d["reduction_v_vs_li"]),
                _number(d["oxidation_v_vs_li"]),
                d["reference_set"],
                _model(d),
            ]
            for d in documents
        ]
    elif kind == "reaction":
        rows = [
            [
                " | ".join(d["phases"]),
                "chemical" if d["voltage_v_vs_li"] is None else _number(d["voltage_v_vs_li"]),
                _number(d["reaction_energy_ev_per_atom"], 1000, 1),
                _number(d["mixing_ratio"], 1, 3),
                ", ".join(sorted(d["products"])),
                d["reference_set"],
                _model(d),
            ]
            for d in documents
        ]
    elif kind == "doping":
        rows = [
            [
                d["host"],
                d["dopant"],
                d["site_label"],
                _number(d["defect_energy_ev"], 1, 3),
                _number(d["e_above_hull_ev_per_atom"], 1000, 1),
                _number(d["reaction_free_energy_ev"], 1, 3),
                _number(d["host_reaction_with_dopant_ev_per_atom"], 1000, 1),
                _number(d["host_reaction_with_li_ev_per_atom"], 1000, 1),
                d["reference_set"],
                _model(d),
            ]
            for d in documents
        ]
    else:
        raise ValueError(f"Unknown table {kind!r}; choose one of {', '.join(COLUMNS)}.")
    return sorted(rows, key=lambda row: (row[0], row[1]))


def render(kind: str, documents: list[dict], fmt: str = "md") -> str:
    """One table as text in ``fmt`` ("md", "csv" or "latex")."""
    header, rows = COLUMNS[kind], table_rows(kind, documents)
    if fmt == "md":
        lines = [f"### {TITLES[kind]}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * len(header))
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["table", *header])
        writer.writerows([kind, *row] for row in rows)
        return buffer.getvalue()
    if fmt == "latex":
        escape = str.maketrans({"_": r"\_", "%": r"\%", "&": r"\&", "|": r"$|$"})
        lines = [
            f"% {TITLES[kind]}",
            r"\begin{tabular}{" + "l" * len(header) + "}",
            r"\hline",
            " & ".join(h.translate(escape) for h in header) + r" \\",
            r"\hline",
        ]
        lines += [" & ".join(c.translate(escape) for c in row) + r" \\" for row in rows]
        lines += [r"\hline", r"\end{tabular}"]
        return "\n".join(lines) + "\n"
    raise ValueError(f"Unknown table format {fmt!r}; choose md, csv or latex.")


def render_all(documents_by_kind: dict[str, list[dict]], fmt: str = "md") -> str:
    """All non-empty tables, one after the other (CSV: one file with a 'table' column)."""
    parts = [render(kind, docs, fmt) for kind, docs in documents_by_kind.items() if docs]
    return "\n".join(parts)
