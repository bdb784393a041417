"""One self-contained HTML page of stored results (computing nothing): the tables, the
figures as PNG embedded in the page, and the provenance and reference set of every number.
No script, style sheet, font or image comes from anywhere else; every string is escaped."""

from __future__ import annotations

import base64
import html
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from ssbscreen.analysis import plots
from ssbscreen.analysis.kinds import RESULT_KINDS, TABLE_KINDS
from ssbscreen.analysis.migration import plot_neb_profile
from ssbscreen.analysis.tables import render

# the tables a report shows, each read from its stored kind (percolation: from migration),
# and the stored kinds it reads
TABLES = {kind: RESULT_KINDS[kind].stored for kind in TABLE_KINDS}
REPORT_KINDS = tuple(dict.fromkeys(TABLES.values()))
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 0.5em; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: left; }
th { background: #dde6f0; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; max-width: 46%; }
img { width: 100%; height: auto; }
figcaption, .note { font-size: 0.85em; color: #444; max-width: 60em; }
"""


def _figures(documents: dict[str, list[dict]]) -> list[tuple[str, Callable]]:
    """(caption, function writing the figure to a path) of each figure the documents give."""
    every = documents.get("reaction", [])
    reactions = [d for d in every if d.get("temperature_k") is None]
    figures = []
    if any(len(d["phases"]) == 2 for d in reactions):
        caption = "Reaction energy vs mixing ratio: the most negative point of each stored pair"
        figures.append((caption, lambda path: plots.plot_reaction_minima(reactions, path)))
    if any(d["voltage_v_vs_li"] is not None for d in reactions):
        caption = "Reaction energy vs voltage of the stored reactions"
        figures.append((caption, lambda path: plots.plot_reactions_vs_voltage(reactions, path)))
    for scan in documents.get("scan", []):
        caption = f"Voltage scan of {' | '.join(scan['phases'])} (dotted: onset; dashed: interface)"
        figures.append((caption, lambda path, s=scan: plots.plot_voltage_scan(s, path)))
    hulls, windows = documents.get("hull", []), documents.get("window", [])
    if hulls or windows:
        caption = "Energies above hull and electrochemical windows"
        figures.append((caption, lambda path: plots.plot_hull_windows(hulls, windows, path)))
    for neb in documents.get("migration", []):
        if neb["energies_ev"]:
            caption = f"NEB profile: {neb['ion']} in {neb['host']}, {neb['path_label']}"
            figures.append((caption, lambda path, d=neb: plot_neb_profile(d, path)))
    if any(d.get("temperature_k") is not None for d in every):
        caption = "Reaction free energy vs temperature (open: 0 K without phonons)"
        figures.append((caption, lambda path: plots.plot_reaction_free_energies(every, path)))
    return figures


def _embedded_png(draw: Callable) -> str:
    """The figure ``draw`` writes, as a data: URI of its PNG."""
    with tempfile.TemporaryDirectory() as folder:
        png = draw(Path(folder) / "figure.png").read_bytes()
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _provenance(documents: dict[str, list[dict]]) -> str:
    """Table of each engine/model/settings and each reference set with the kinds using them."""
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for kind, docs in documents.items():
        for doc in docs:
            provenance = doc["provenance"]
            described = ", ".join(
                [
                    f"engine {provenance['engine']}",
                    f"model {provenance['model']} {provenance['model_version']}",
                    f"energy corrections {provenance.get('energy_corrections', 'none')}",
                    f"settings {json.dumps(provenance.get('settings', {}), sort_keys=True)}",
                ]
            )
            counts = rows.setdefault((doc.get("reference_set", "-"), described), {})
            counts[kind] = counts.get(kind, 0) + 1
    lines = ["<table><tr><th>reference set</th><th>provenance</th><th>documents</th></tr>"]
    for (reference_set, described), counts in sorted(rows.items()):
        used = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        cells = (reference_set, described, used)
        lines.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def report_html(
    documents: dict[str, list[dict]],
    title: str,
    notes: list[str] | None = None,
    observed: list[str] | None = None,
) -> str:
    """The page: title, notes, every non-empty table, the figures, then the provenance.

    documents: stored documents by kind (``REPORT_KINDS``); observed: species groups seen in
    experiment (reaction table).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    parts += [f"<p class=note>{html.escape(note)}</p>" for note in notes or []]
    parts.append("<h2>Tables</h2>")
    for table, kind in TABLES.items():
        if documents.get(kind):
            parts.append(render(table, documents[kind], "html", observed))
    parts.append("<h2>Figures</h2>")
    for caption, draw in _figures(documents):
        source = _embedded_png(draw)
        parts.append(
            f'<figure><img src="{source}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts += ["<h2>Provenance and reference sets</h2>", _provenance(documents)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
