"""Figures (matplotlib, written to files): reaction energy vs mixing ratio and vs voltage,
hulls and windows, free energies vs temperature, and the coating screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.coatings import CoatingScreen
from ssbscreen.analysis.kinds import PLOTS
from ssbscreen.analysis.migration import plot_neb_profile
from ssbscreen.analysis.reactions import ReactionSpace
from ssbscreen.analysis.references import ReferenceSet, phase_entry


def mixing_curve(
    a: ComputedEntry,
    b: ComputedEntry,
    reference: ReferenceSet,
    voltage_v_vs_li: float | None = None,
    points: int = 201,
) -> tuple[np.ndarray, np.ndarray]:
    """Atomic fraction x of ``a`` and the reaction energy (eV/atom) of x a + (1 - x) b."""
    space = ReactionSpace.of(reference, a, b)
    x = np.linspace(0.0, 1.0, points)
    energies = [space.energy_at([a, b], [xi, 1.0 - xi], voltage_v_vs_li) for xi in x]
    return x, np.array(energies)


def plot_mixing_curve(
    names: tuple[str, str], x: np.ndarray, energies: np.ndarray, voltage, path: str | Path
) -> Path:
    """Reaction energy (meV/atom) vs the atomic fraction of the first phase, written to path."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(x, 1000 * energies, color="C0")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel(f"atomic fraction of {names[0]} (rest {names[1]})")
    unit = "meV/atom" if voltage is None else "meV per non-Li atom"
    ax.set_ylabel(f"reaction energy ({unit})")
    ax.set_title("chemical" if voltage is None else f"{voltage:g} V vs Li/Li+")
    return _save(fig, path)


def plot_voltage_scan(scan: dict, path: str | Path) -> Path:
    """Reaction energies of a stored scan document vs voltage, onsets marked, written to path."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    volts = scan["voltages_v_vs_li"]
    ax.plot(volts, 1000 * np.array(scan["reaction_energies_ev_per_atom"]), label="total")
    ax.plot(volts, 1000 * np.array(scan["interface_energies_ev_per_atom"]), label="interface")
    for key, style in (("onset_v_vs_li", ":"), ("interface_onset_v_vs_li", "--")):
        if scan[key] is not None:
            ax.axvline(scan[key], color="0.4", ls=style, lw=0.8)
    ax.set_xlabel("voltage (V vs Li/Li+)")
    ax.set_ylabel("reaction energy (meV per non-Li atom)")
    ax.set_title(" | ".join(scan["phases"]))
    ax.legend()
    return _save(fig, path)


def _label(doc: dict, name: str) -> str:
    """A row's name, with its temperature when it has one: "LiCl at 298 K"."""
    temperature = doc.get("temperature_k")
    return name if temperature is None else f"{name} at {temperature:g} K"


def plot_reaction_minima(reactions: list[dict], path: str | Path) -> Path:
    """The most negative point of each stored two-phase reaction: its energy (meV/atom
    chemically, meV per non-Li atom at a voltage) at its atomic fraction x of the first phase."""
    fig, (chemical, open_li) = plt.subplots(1, 2, figsize=(9, 3.8))
    pairs = sorted(
        (d for d in reactions if len(d["phases"]) == 2),
        key=lambda d: (d["phases"], d["voltage_v_vs_li"] or 0.0, d.get("temperature_k") or 0.0),
    )
    for i, doc in enumerate(pairs):
        ax = chemical if doc["voltage_v_vs_li"] is None else open_li
        voltage = "" if doc["voltage_v_vs_li"] is None else f", {doc['voltage_v_vs_li']:g} V"
        label = _label(doc, " | ".join(doc["phases"]) + voltage)
        energy = 1000 * doc["reaction_energy_ev_per_atom"]
        ax.plot([doc["mixing_ratio"]], [energy], "o", color=f"C{i % 10}", label=label)
    for ax, unit, title in (
        (chemical, "meV/atom", "chemical"),
        (open_li, "meV per non-Li atom", "Li open at the voltage"),
    ):
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlim(-0.05, 1.05)
        ax.set_xlabel("atomic fraction x of the first phase")
        ax.set_ylabel(f"reaction energy ({unit})")
        ax.set_title(title, fontsize=9)
        if ax.lines[1:]:
            ax.legend(fontsize=6)
    return _save(fig, path)


def plot_reactions_vs_voltage(reactions: list[dict], path: str | Path) -> Path:
    """Reaction energy (total, solid; mutual, dashed) in meV per non-Li atom vs the voltage of
    stored reactions at a voltage, one colour per mixture and temperature."""
    fig, ax = plt.subplots(figsize=(6, 4))
    series: dict[str, list[dict]] = {}
    for doc in reactions:
        if doc["voltage_v_vs_li"] is not None:
            series.setdefault(_label(doc, " | ".join(doc["phases"])), []).append(doc)
    for i, (label, docs) in enumerate(sorted(series.items())):
        docs.sort(key=lambda d: d["voltage_v_vs_li"])
        volts = [d["voltage_v_vs_li"] for d in docs]
        total = [1000 * d["reaction_energy_ev_per_atom"] for d in docs]
        ax.plot(volts, total, "o-", color=f"C{i % 10}", label=label)
        mutual = [d.get("mutual_reaction_energy_ev_per_atom") for d in docs]
        if None not in mutual:
            ax.plot(volts, [1000 * m for m in mutual], "s--", mfc="none", color=f"C{i % 10}")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("voltage (V vs Li/Li+)")
    ax.set_ylabel("reaction energy (meV per non-Li atom)")
    ax.set_title("solid: total; dashed: mutual (beyond each phase alone)", fontsize=9)
    ax.legend(fontsize=6)
    return _save(fig, path)


def plot_hull_windows(hulls: list[dict], windows: list[dict], path: str | Path) -> Path:
    """Bars of stored results: energy above hull (meV/atom) and electrochemical window
    (V vs Li/Li+) of each phase; a window without an oxidation limit is hatched to the edge,
    one stable at no voltage is left out."""
    hulls = sorted(hulls, key=lambda d: (d["phase"], d.get("temperature_k") or 0.0))
    shown = [d for d in windows if d["reduction_v_vs_li"] is not None]
    shown.sort(key=lambda d: (d["phase"], d.get("temperature_k") or 0.0))
    height = 0.3 * max(len(hulls), len(shown), 1) + 1.6
    fig, (hull_ax, window_ax) = plt.subplots(1, 2, figsize=(9, height))
    y = np.arange(len(hulls))[::-1]
    hull_ax.barh(y, [1000 * d["e_above_hull_ev_per_atom"] for d in hulls], color="C0")
    hull_ax.set_yticks(y, [_label(d, d["phase"]) for d in hulls], fontsize=7)
    hull_ax.set_xlabel("energy above hull (meV/atom)")
    limits = [d["oxidation_v_vs_li"] for d in shown if d["oxidation_v_vs_li"] is not None]
    edge = max([5.0, *limits]) + 1.0
    y = np.arange(len(shown))[::-1]
    for yi, doc in zip(y, shown, strict=True):
        low, high = doc["reduction_v_vs_li"], doc["oxidation_v_vs_li"]
        hatch = "//" if high is None else None
        high = edge if high is None else high
        window_ax.barh(yi, high - low, left=low, color="C2", hatch=hatch)
    window_ax.set_yticks(y, [_label(d, d["phase"]) for d in shown], fontsize=7)
    window_ax.set_xlabel("stability window (V vs Li/Li+)")
    return _save(fig, path)


def plot_reaction_free_energies(reactions: list[dict], path: str | Path) -> Path:
    """Reaction free energy (meV/atom) vs temperature of stored reaction documents, one line
    per mixture and voltage; the 0 K energy without phonons is marked at T = 0 (open)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    series: dict[str, list[tuple[float | None, float]]] = {}
    for doc in reactions:
        voltage = "chemical" if doc["voltage_v_vs_li"] is None else f"{doc['voltage_v_vs_li']:g} V"
        label = f"{' | '.join(doc['phases'])} ({voltage})"
        point = (doc.get("temperature_k"), 1000 * doc["reaction_energy_ev_per_atom"])
        series.setdefault(label, []).append(point)
    for i, (label, points) in enumerate(sorted(series.items())):
        warm = sorted(p for p in points if p[0] is not None)
        if warm:
            ax.plot(*zip(*warm, strict=True), "o-", color=f"C{i}", label=label)
        for _, energy in (p for p in points if p[0] is None):
            ax.plot([0.0], [energy], "o", mfc="none", color=f"C{i}")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("reaction free energy (meV/atom)")
    ax.legend(fontsize=6)
    return _save(fig, path)


def plot_coating_screen(
    screen: CoatingScreen, cathode: str, electrolyte: str, path: str | Path, top: int = 25
) -> Path:
    """The ``top`` rows of a coating screen in rank order: each window (V vs Li/Li+) against
    the voltage, and the chemical reaction energies with the cathode and the electrolyte
    (meV/atom); rows that fail a filter in grey."""
    rows = screen.rows[:top]
    y = np.arange(len(rows))[::-1]  # rank 1 at the top
    fig, (windows, energies) = plt.subplots(1, 2, figsize=(10, 0.25 * len(rows) + 1.5), sharey=True)
    for yi, row in zip(y, rows, strict=True):
        color = "C0" if row.passes else "0.6"
        if row.reduction_v_vs_li is not None:
            top_v = row.oxidation_v_vs_li
            top_v = screen.voltage_v_vs_li + 2 if top_v is None else top_v
            windows.plot([row.reduction_v_vs_li, top_v], [yi, yi], lw=4, color=color)
        energies.plot(1000 * row.reaction_with_cathode_ev_per_atom, yi, "o", color=color)
        energies.plot(
            1000 * row.reaction_with_electrolyte_ev_per_atom, yi, "s", mfc="none", color=color
        )
    windows.axvline(screen.voltage_v_vs_li, color="C3", ls="--", lw=1)
    windows.set_yticks(y, [row.phase for row in rows], fontsize=7)
    windows.set_xlabel("window (V vs Li/Li+); dashed: the voltage")
    energies.plot([], [], "o", color="0.3", label=f"with {cathode}")
    energies.plot([], [], "s", mfc="none", color="0.3", label=f"with {electrolyte}")
    energies.axvline(0.0, color="0.6", lw=0.8)
    energies.set_xlabel("chemical reaction energy (meV/atom)")
    energies.legend(fontsize=7)
    fig.suptitle(
        f"coatings between {cathode} and {electrolyte} at {screen.voltage_v_vs_li:g} V "
        "(grey: fails E_hull or window)",
        fontsize=9,
    )
    return _save(fig, path)


def plot_document(
    doc: dict,
    path: str | Path,
    reference_of: Callable[[dict], ReferenceSet],
    calculations: dict[str, dict] | None = None,
    mix_engines: bool = False,
) -> Path:
    """The figure of one stored document, written to ``path``: a scan's energies vs voltage, a
    migration's NEB profile, or a two-phase reaction's energy vs mixing ratio, drawn on the
    reference set ``reference_of(doc)`` from the phases' ``calculations`` (by phase; a phase
    without one: its reference entry)."""
    if doc["kind"] == "scan":
        return plot_voltage_scan(doc, path)
    if doc["kind"] == "migration":
        return plot_neb_profile(doc, path)
    reference = reference_of(doc)
    calculations = calculations or {}
    a, b = (phase_entry(p, calculations.get(p), reference, mix_engines) for p in doc["phases"])
    x, energies = mixing_curve(a, b, reference, doc["voltage_v_vs_li"])
    return plot_mixing_curve(tuple(doc["phases"]), x, energies, doc["voltage_v_vs_li"], path)


def plot_stored(
    figure: str,
    documents: list[dict],
    key: str,
    reference_of: Callable[[dict], ReferenceSet],
    path: str | Path | None = None,
):
    """``ssbscreen plot FIGURE KEY``: the figure (kinds.PLOTS) of the one document among
    ``documents`` whose key starts with ``key``, written to ``path`` (default
    ``<figure>-<first 12 characters of its key>.png``); ValueError when none or several do."""
    kind = PLOTS[figure]
    docs = [d for d in documents if d["key"].startswith(key)]
    if len(docs) != 1:
        found = "no" if not docs else f"{len(docs)}"
        raise ValueError(
            f"{found} {kind} document(s) have a key starting with {key!r}; "
            f"give more characters of a key from `ssbscreen query {kind}`."
        )
    return plot_document(docs[0], path or f"{figure}-{docs[0]['key'][:12]}.png", reference_of)


def check_figure_path(path: str | Path) -> Path:
    """``path`` when its suffix names a format matplotlib writes; ValueError naming --plot
    otherwise, so a command can refuse it before computing anything."""
    path = Path(path)
    formats = FigureCanvasAgg.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise ValueError(
            f"--plot {path} is not a figure file ({path.suffix or 'no suffix'}); give a file "
            f"ending in .png or .pdf (or .{', .'.join(sorted(set(formats) - {'png', 'pdf'}))})."
        )
    return path


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
