"""Tables of stored result documents, as Markdown, CSV or LaTeX (computing nothing)."""

from __future__ import annotations

import csv
import html
import io

from ssbscreen.analysis.ideal_gas import STANDARD_PRESSURE_BAR
from ssbscreen.analysis.migration import checks_cell, percolation
from ssbscreen.analysis.reactions import NO_REACTION, is_one_phase
from ssbscreen.structures.library import nominal_formula

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
        "E_mutual (meV/atom)",
        "worst point",
        "mixing fractions",
        "products",
        "species groups",
        "reference set",
        "model",
    ],
    "scan": [
        "phases",
        "scan (V vs Li)",
        "onset (V vs Li)",
        "interface onset (V vs Li)",
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
    "migration": [
        "host",
        "ion",
        "mechanism",
        "path",
        "hop (A)",
        "barrier (eV)",
        "reverse barrier (eV)",
        "converged",
        "checks",
        "model",
    ],
    "percolation": ["host", "ion", "1D (eV)", "2D (eV)", "3D (eV)", "left out (not converged)"],
    "coating": [
        "rank",
        "coating",
        "E_hull (meV/atom)",
        "window (V vs Li)",
        "+ cathode (meV/atom)",
        "+ electrolyte (meV/atom)",
        "+ cathode at V, mutual (meV/non-Li atom)",
        "+ electrolyte at V, mutual (meV/non-Li atom)",
        "fails",
    ],
}
TITLES = {
    "hull": "Energy above hull",
    "window": "Electrochemical stability windows",
    "reaction": "Most negative interfacial reactions",
    "scan": "Voltage scans: where reaction sets in",
    "doping": "Dopant sites, energies above hull and doping free energies",
    "migration": "Migration barriers (climbing-image NEB)",
    "percolation": "Lowest barrier at which hops connect into 1D, 2D and 3D networks",
    "coating": "Coatings ranked: filters passed first, then the worse chemical reaction energy",
}


def _number(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def _model(doc: dict) -> str:
    return doc["provenance"]["model"]


def _voltage(doc: dict) -> str:
    if doc["voltage_v_vs_li"] is None:
        return "chemical"
    text = _number(doc["voltage_v_vs_li"])
    anode = doc.get("voltage_reference", "Li")
    return text if anode == "Li" else f"{text} ({_number(doc['voltage'])} vs {anode})"


def _groups(doc: dict, observed: list[str] | None) -> str:
    """Species groups of the products, marked seen / not seen against ``observed``."""
    parts = []
    for group, formulas in sorted(doc.get("product_groups", {}).items()):
        mark = "" if observed is None else (" seen" if group in observed else " not seen")
        parts.append(f"{group} ({', '.join(formulas)}){mark}")
    return "; ".join(parts) or "-"


def nominal_names(doc: dict) -> dict:
    """A hull or window document of a disordered library phase with the ordered cell's formula
    replaced by the phase's nominal formula (structures.library.nominal_formula) wherever it
    names the phase: ``formula``, the decomposition (atomic fractions), the window's products
    and imaginary modes. Amounts per formula unit (reaction products, equations) keep the
    formula they count. Other documents are returned as they are."""
    nominal = nominal_formula(doc.get("phase", "")) if "formula" in doc else None
    ordered = doc.get("formula")
    if nominal is None or nominal == ordered:
        return doc

    def named(formulas):
        if isinstance(formulas, dict):
            return {nominal if k == ordered else k: v for k, v in formulas.items()}
        return [nominal if f == ordered else f for f in formulas]

    renamed = {**doc, "formula": nominal}
    for field in ("decomposition", "reduction_products", "oxidation_products"):
        if field in doc:
            renamed[field] = named(doc[field])
    if doc.get("imaginary_modes_thz"):
        renamed["imaginary_modes_thz"] = named(doc["imaginary_modes_thz"])
    return renamed


def table_rows(
    kind: str, documents: list[dict], observed: list[str] | None = None
) -> list[list[str]]:
    """Rows (strings) of one table kind from its documents, in a stable order.

    observed: species groups seen in experiment (reaction table: products marked seen or not).
    """
    if kind == "hull":
        rows = [
            [
                d["phase"],
                d["formula"],
                _number(d["e_above_hull_ev_per_atom"], 1000, 1),
                " + ".join(f"{v:.3g} {k}" for k, v in sorted(d["decomposition"].items())),
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
            ]
            for d in documents
        ]
    elif kind == "reaction":
        rows = [_reaction_row(d, observed) for d in documents]
    elif kind == "scan":
        rows = [
            [
                " | ".join(d["phases"]),
                f"{_number(d['voltages_v_vs_li'][0])} to {_number(d['voltages_v_vs_li'][-1])}",
                _number(d["onset_v_vs_li"], 1, 3),
                _number(d["interface_onset_v_vs_li"], 1, 3),
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
            ]
            for d in documents
        ]
    elif kind == "migration":
        rows = [
            [
                d["host"],
                d["ion"],
                d["mechanism"],
                d["path_label"],
                _number(d["hop_length_a"]),
                _number(d["barrier_ev"], 1, 3),
                _number(d["reverse_barrier_ev"], 1, 3),
                "yes" if d["converged"] else f"no ({d['reason'] or 'band not converged'})",
                checks_cell(d),
                _model(d),
            ]
            for d in documents
        ]
        return sorted(rows, key=lambda row: (row[0], row[1], row[3]))
    elif kind == "percolation":
        rows = [
            [
                p.host,
                p.ion,
                _number(p.barrier_1d_ev, 1, 3),
                _number(p.barrier_2d_ev, 1, 3),
                _number(p.barrier_3d_ev, 1, 3),
                ", ".join(p.excluded) or "-",
            ]
            for p in percolation(documents)
        ]
        return rows
    elif kind == "coating":  # rows of a coating screen, kept in their rank order
        return [
            [
                str(d["rank"]),
                d["phase"] if d["phase"] == d["formula"] else f"{d['phase']} ({d['formula']})",
                _number(d["e_above_hull_ev_per_atom"], 1000, 1),
                f"{_number(d['reduction_v_vs_li'])} - {_number(d['oxidation_v_vs_li'])}",
                _number(d["reaction_with_cathode_ev_per_atom"], 1000, 1),
                _number(d["reaction_with_electrolyte_ev_per_atom"], 1000, 1),
                _number(d["mutual_with_cathode_at_voltage_ev_per_atom"], 1000, 1),
                _number(d["mutual_with_electrolyte_at_voltage_ev_per_atom"], 1000, 1),
                ", ".join(d["failed_filters"]) or "-",
            ]
            for d in documents
        ]
    else:
        raise ValueError(f"Unknown table {kind!r}; choose one of {', '.join(COLUMNS)}.")
    for row, d in zip(rows, documents, strict=True):  # free energies at T: "LiCl at 298 K"
        if d.get("temperature_k") is not None:
            # gases not at 1 bar: "Li3InCl6 | NCM90 at 298 K, O2 0.21 bar"
            gases = "".join(
                f", {gas} {bar:g} bar"
                for gas, bar in sorted((d.get("ideal_gases_bar") or {}).items())
                if bar != STANDARD_PRESSURE_BAR
            )
            row[0] = f"{row[0]} at {d['temperature_k']:g} K{gases}"
    provenance = [[d["reference_set"], _model(d)] for d in documents]
    rows = [row + tail for row, tail in zip(rows, provenance, strict=True)]
    return sorted(rows, key=lambda row: (row[0], row[1]))


REACTION_LEGEND = (
    "E_mutual: the reaction energy beyond each phase's own decomposition at the same voltage "
    "(or chemically), what the phases do to each other (pymatgen's include_no_mixing_energy="
    "False; '-': not recorded). Worst point 'X alone': E_rxn is phase X decomposing by itself, "
    "not a reaction between the phases."
)


def _worst_point(doc: dict) -> str:
    """'X alone' when the most negative reaction is one phase by itself, else 'mixture'."""
    fractions = doc["mixing_fractions"]
    if not is_one_phase(fractions):
        return "mixture"
    return f"{doc['phases'][fractions.index(max(fractions))]} alone"


def _reaction_row(doc: dict, observed: list[str] | None) -> list[str]:
    """Phases, voltage, energies (total and mutual), worst point, mixing fractions, products and
    groups of a reaction; a mixture that does not react has no worst fraction and no products
    ("no reaction")."""
    reacts = doc.get("reaction") != NO_REACTION
    fractions = " : ".join(_number(x, 1, 3) for x in doc.get("mixing_fractions", []))
    return [
        " | ".join(doc["phases"]),
        _voltage(doc),
        _number(doc["reaction_energy_ev_per_atom"], 1000, 1),
        _number(doc.get("mutual_reaction_energy_ev_per_atom"), 1000, 1),
        _worst_point(doc) if reacts else "-",
        fractions if reacts else "-",
        ", ".join(sorted(doc["products"])) if reacts else NO_REACTION,
        _groups(doc, observed) if reacts else "-",
    ]


def _shown_phases(kind: str, doc: dict) -> set[str]:
    """Phases and products a row of ``kind`` names."""
    if kind == "reaction":
        return {*doc["phases"], *doc["products"]}
    if kind == "hull":
        return {doc["phase"], doc["formula"], *doc["decomposition"]}
    if kind == "window":
        products = [*doc["reduction_products"], *doc["oxidation_products"]]
        return {doc["phase"], doc["formula"], *products}
    return set(doc.get("phases", []))


def _shown(kind: str, documents: list[dict], field: str) -> dict[str, float]:
    """The items of each document's phase -> value ``field`` whose phase its row shows."""
    found: dict[str, float] = {}
    for doc in documents:
        shown = _shown_phases(kind, doc)
        found.update({k: v for k, v in (doc.get(field) or {}).items() if k in shown})
    return dict(sorted(found.items()))


def imaginary_modes_note(kind: str, documents: list[dict]) -> str:
    """A sentence naming the phases shown in the rows at a temperature whose phonons have
    imaginary modes (their lowest frequency, THz), or "" when there are none."""
    found = _shown(kind, documents, "imaginary_modes_thz")
    if not found:
        return ""
    listed = ", ".join(f"{phase} ({thz:.2f} THz)" for phase, thz in found.items())
    return (
        f"Imaginary phonon modes, left out of F_vib (dynamically unstable with this "
        f"potential): {listed}."
    )


def ideal_gases_note(kind: str, documents: list[dict]) -> str:
    """A sentence naming the gases shown in the rows at a temperature, taken as ideal gases
    (their partial pressures, bar), or "" when there are none."""
    found = _shown(kind, documents, "ideal_gases_bar")
    if not found:
        return ""
    listed = ", ".join(f"{gas} ({bar:g} bar)" for gas, bar in found.items())
    return f"Ideal gases at the temperatures shown, not crystals: {listed}."


def render(
    kind: str, documents: list[dict], fmt: str = "md", observed: list[str] | None = None
) -> str:
    """One table as text in ``fmt`` ("md", "csv", "latex" or "html": every cell escaped);
    markdown and HTML end with notes on the phases with imaginary phonon modes and the ideal
    gases of the rows at a temperature. A disordered library phase is named by its nominal
    formula (nominal_names)."""
    documents = [nominal_names(d) for d in documents]
    header, rows = COLUMNS[kind], table_rows(kind, documents, observed)
    notes = [imaginary_modes_note(kind, documents), ideal_gases_note(kind, documents)]
    notes = ([REACTION_LEGEND] if kind == "reaction" else []) + [n for n in notes if n]
    if fmt == "md":
        lines = [f"### {TITLES[kind]}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * len(header))
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        for note in notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"
    if fmt == "html":
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        lines = [f"<h3>{html.escape(TITLES[kind])}</h3>", f"<table><tr>{cells}</tr>"]
        for row in rows:
            lines.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        lines.append("</table>")
        lines += [f"<p class=note>{html.escape(note)}</p>" for note in notes]
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
    raise ValueError(f"Unknown table format {fmt!r}; choose md, csv, latex or html.")


def render_all(
    documents_by_kind: dict[str, list[dict]], fmt: str = "md", observed: list[str] | None = None
) -> str:
    """All non-empty tables, one after the other (CSV: one file with a 'table' column)."""
    parts = [render(kind, docs, fmt, observed) for kind, docs in documents_by_kind.items() if docs]
    return "\n".join(parts)
