"""Tables of stored result documents, as Markdown, CSV or LaTeX (computing nothing); what
each kind's table holds is its entry in analysis.kinds.RESULT_KINDS."""

from __future__ import annotations

import csv
import html
import io

from ssbscreen.analysis.kinds import RESULT_KINDS
from ssbscreen.structures.library import nominal_formula


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
    result_kind = RESULT_KINDS.get(kind)
    if result_kind is None or result_kind.rows is None:
        tables = ", ".join(k for k, r in RESULT_KINDS.items() if r.rows)
        raise ValueError(f"Unknown table {kind!r}; choose one of {tables}.")
    return result_kind.rows(documents, observed)


# the notes under a table, by the document field (phase -> value) they list: the sentence
# before the list and how one item is written
NOTES = {
    "imaginary_modes_thz": (
        "Imaginary phonon modes, left out of F_vib (dynamically unstable with this potential)",
        "{} ({:.2f} THz)",
    ),
    "ideal_gases_bar": ("Ideal gases at the temperatures shown, not crystals", "{} ({:g} bar)"),
}


def table_notes(kind: str, documents: list[dict]) -> list[str]:
    """Sentences naming the phases shown in the rows at a temperature whose phonons have
    imaginary modes (their lowest frequency, THz), and the gases taken as ideal gases (their
    partial pressures, bar); none for a field no shown phase has."""
    sentences = []
    for field, (sentence, item) in NOTES.items():
        found: dict[str, float] = {}
        for doc in documents:
            shown = RESULT_KINDS[kind].shown(doc)
            found.update({k: v for k, v in (doc.get(field) or {}).items() if k in shown})
        if found:
            listed = ", ".join(item.format(k, v) for k, v in sorted(found.items()))
            sentences.append(f"{sentence}: {listed}.")
    return sentences


def render(
    kind: str, documents: list[dict], fmt: str = "md", observed: list[str] | None = None
) -> str:
    """One table as text in ``fmt`` ("md", "csv", "latex" or "html": every cell escaped);
    markdown and HTML end with notes on the phases with imaginary phonon modes and the ideal
    gases of the rows at a temperature. A disordered library phase is named by its nominal
    formula (nominal_names)."""
    documents = [nominal_names(d) for d in documents]
    rows, result_kind = table_rows(kind, documents, observed), RESULT_KINDS[kind]
    header, title = result_kind.columns, result_kind.title
    notes = [n for n in [result_kind.legend, *table_notes(kind, documents)] if n]
    if fmt == "md":
        lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * len(header))
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        for note in notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"
    if fmt == "html":
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        lines = [f"<h3>{html.escape(title)}</h3>", f"<table><tr>{cells}</tr>"]
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
            f"% {title}",
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
