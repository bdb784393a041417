"""The registry of result kinds (``RESULT_KINDS``): per kind its table (title, columns, rows),
the stored document kind it reads, how ``query --json`` prints a document and the phases a
row shows. The tables, the ``table``/``query``/``plot`` commands and the report read it; it
imports nothing heavy (the command line builds its choices from it), the rows' analysis
functions are imported when rows are made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

REACTION_LEGEND = (
    "E_mutual: the reaction energy beyond each phase's own decomposition at the same voltage "
    "(or chemically), what the phases do to each other (pymatgen's include_no_mixing_energy="
    "False; '-': not recorded). Worst point 'X alone': E_rxn is phase X decomposing by itself, "
    "not a reaction between the phases."
)


def _number(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


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


def query_summary(doc: dict, hidden: tuple[str, ...] = ()) -> dict:
    """A stored document as ``query --json`` prints it: its fields but ``hidden``, with the
    engine and model of its provenance also at the top level (the same in every kind)."""
    summary = {k: v for k, v in doc.items() if k not in hidden}
    summary["engine"] = doc["provenance"]["engine"]
    summary["model"] = doc["provenance"]["model"]
    return summary


Rows = Callable[[list[dict], "list[str] | None"], list[list[str]]]


@dataclass(frozen=True)
class ResultKind:
    """One kind of result: its table (title, columns and rows; none for kinds without a
    table), the stored document kind its rows come from (None: not stored, e.g. a coating
    screen's rows), how ``query --json`` prints a document, the phases a row shows, and the
    name of the figure ``ssbscreen plot`` draws of one document (its files' prefix)."""

    stored: str | None
    title: str = ""
    columns: tuple[str, ...] = ()
    rows: Rows | None = None
    summary: Callable[[dict], dict] = query_summary
    shown: Callable[[dict], set[str]] = lambda doc: set(doc.get("phases", []))
    legend: str = ""  # a note under the markdown and HTML tables
    figure: str = ""
    # the fields a command that computes one result (hull, window, react, scan) prints with
    # --json, besides the reference set, model and temperature
    answer: tuple[str, ...] = ()


def _stability_rows(row: Callable[[dict, list[str] | None], list[str]]) -> Rows:
    """Rows of a kind with one row per document (``row``): the first cell names the temperature
    and the gases not at 1 bar of free energies at T ("Li3InCl6 | NCM90 at 298 K, O2 0.21 bar"),
    the reference set and model close the row, sorted by the first two cells."""

    def rows(documents: list[dict], observed: list[str] | None) -> list[list[str]]:
        from ssbscreen.analysis.ideal_gas import STANDARD_PRESSURE_BAR

        out = []
        for d in documents:
            cells = row(d, observed)
            if d.get("temperature_k") is not None:
                gases = "".join(
                    f", {gas} {bar:g} bar"
                    for gas, bar in sorted((d.get("ideal_gases_bar") or {}).items())
                    if bar != STANDARD_PRESSURE_BAR
                )
                cells[0] = f"{cells[0]} at {d['temperature_k']:g} K{gases}"
            out.append([*cells, d["reference_set"], d["provenance"]["model"]])
        return sorted(out, key=lambda cells: (cells[0], cells[1]))

    return rows


def _hull_row(d: dict, observed) -> list[str]:
    return [
        d["phase"],
        d["formula"],
        _number(d["e_above_hull_ev_per_atom"], 1000, 1),
        " + ".join(f"{v:.3g} {k}" for k, v in sorted(d["decomposition"].items())),
    ]


def _window_row(d: dict, observed) -> list[str]:
    return [
        d["phase"],
        d["formula"],
        _number(d["reduction_v_vs_li"]),
        _number(d["oxidation_v_vs_li"]),
    ]


def _worst_point(doc: dict) -> str:
    """'X alone' when the most negative reaction is one phase by itself, else 'mixture'."""
    from ssbscreen.analysis.reactions import is_one_phase

    fractions = doc["mixing_fractions"]
    if not is_one_phase(fractions):
        return "mixture"
    return f"{doc['phases'][fractions.index(max(fractions))]} alone"


def _reaction_row(doc: dict, observed: list[str] | None) -> list[str]:
    """Phases, voltage, energies (total and mutual), worst point, mixing fractions, products and
    groups of a reaction; a mixture that does not react has no worst fraction and no products
    ("no reaction")."""
    from ssbscreen.analysis.reactions import NO_REACTION

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


def _scan_row(d: dict, observed) -> list[str]:
    return [
        " | ".join(d["phases"]),
        f"{_number(d['voltages_v_vs_li'][0])} to {_number(d['voltages_v_vs_li'][-1])}",
        _number(d["onset_v_vs_li"], 1, 3),
        _number(d["interface_onset_v_vs_li"], 1, 3),
    ]


def _doping_row(d: dict, observed) -> list[str]:
    return [
        d["host"],
        d["dopant"],
        d["site_label"],
        _number(d["defect_energy_ev"], 1, 3),
        _number(d["e_above_hull_ev_per_atom"], 1000, 1),
        _number(d["reaction_free_energy_ev"], 1, 3),
        _number(d["host_reaction_with_dopant_ev_per_atom"], 1000, 1),
        _number(d["host_reaction_with_li_ev_per_atom"], 1000, 1),
    ]


def _migration_rows(documents: list[dict], observed) -> list[list[str]]:
    from ssbscreen.analysis.migration import checks_cell

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
            d["provenance"]["model"],
        ]
        for d in documents
    ]
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def _percolation_rows(documents: list[dict], observed) -> list[list[str]]:
    from ssbscreen.analysis.migration import percolation

    return [
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


def phonon_summary(doc: dict) -> dict:
    """The fields of a phonon document a user queries (units in the names)."""
    return {
        "phase": doc["phase"],
        "formula": doc["formula"],
        "state": doc["state"],
        "reason": doc.get("reason"),
        "temperatures_k": doc["temperatures_k"],
        "free_energy_ev_per_atom": doc["free_energy_ev_per_atom"],
        "entropy_ev_per_atom_k": doc["entropy_ev_per_atom_k"],
        "heat_capacity_ev_per_atom_k": doc["heat_capacity_ev_per_atom_k"],
        "zero_point_energy_ev_per_atom": doc["zero_point_energy_ev_per_atom"],
        "imaginary_modes": doc["imaginary_modes"],
        "lowest_frequency_thz": doc["lowest_frequency_thz"],
        "supercell_matrix": doc["supercell_matrix"],
        "engine": doc["provenance"]["engine"],
        "model": doc["provenance"]["model"],
        "key": doc["key"],
    }


def _coating_rows(documents: list[dict], observed) -> list[list[str]]:
    """Rows of a coating screen, kept in their rank order."""
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


def _columns(header: str) -> tuple[str, ...]:
    """The columns of a table header written as in markdown: "phase | formula | ..."."""
    return tuple(header.split(" | "))


def _stability(kind: str, title: str, header: str, row, **more) -> ResultKind:
    """A kind with one row per document (``row``; _stability_rows): the columns of ``header``,
    then the reference set and model."""
    columns = _columns(f"{header} | reference set | model")
    return ResultKind(kind, title, columns, _stability_rows(row), **more)


# Every kind of result, in the order the ``table`` command (no kind) and the report show them.
RESULT_KINDS: dict[str, ResultKind] = {
    "hull": _stability(
        "hull",
        "Energy above hull",
        "phase | formula | E_hull (meV/atom) | decomposition",
        _hull_row,
        shown=lambda d: {d["phase"], d["formula"], *d["decomposition"]},
        answer=("phase", "e_above_hull_ev_per_atom", "decomposition"),
    ),
    "window": _stability(
        "window",
        "Electrochemical stability windows",
        "phase | formula | reduction (V vs Li) | oxidation (V vs Li)",
        _window_row,
        shown=lambda d: (
            {d["phase"], d["formula"], *d["reduction_products"]} | set(d["oxidation_products"])
        ),
        answer=("phase", "reduction_v_vs_li", "oxidation_v_vs_li"),
    ),
    "reaction": _stability(
        "reaction",
        "Most negative interfacial reactions",
        "phases | voltage (V vs Li) | E_rxn (meV/atom) | E_mutual (meV/atom) | worst point"
        " | mixing fractions | products | species groups",
        _reaction_row,
        shown=lambda d: {*d["phases"], *d["products"]},
        legend=REACTION_LEGEND,
        answer=(
            *("phases", "voltage_v_vs_li", "voltage", "voltage_reference"),
            *("reaction_energy_ev_per_atom", "mixing_fractions", "mixing_ratio", "products"),
            *("product_groups", "reaction", "mutual_reaction_energy_ev_per_atom"),
            *("mutual_mixing_ratio", "mutual_products", "mutual_reaction"),
        ),
    ),
    "scan": _stability(
        "scan",
        "Voltage scans: where reaction sets in",
        "phases | scan (V vs Li) | onset (V vs Li) | interface onset (V vs Li)",
        _scan_row,
        answer=(
            *("phases", "voltages_v_vs_li", "reaction_energies_ev_per_atom", "onset_v_vs_li"),
            "interface_onset_v_vs_li",
        ),
    ),
    "doping": _stability(
        "doping",
        "Dopant sites, energies above hull and doping free energies",
        "host | dopant | site | defect energy (eV) | E_hull (meV/atom) | dG (eV)"
        " | host + dopant (meV/atom) | host + Li (meV/atom)",
        _doping_row,
    ),
    "calculation": ResultKind("calculation"),
    "migration": ResultKind(
        "migration",
        "Migration barriers (climbing-image NEB)",
        _columns(
            "host | ion | mechanism | path | hop (A) | barrier (eV) | reverse barrier (eV)"
            " | converged | checks | model"
        ),
        _migration_rows,
        summary=lambda doc: query_summary(doc, hidden=("images",)),  # images: in the data store
        figure="neb",
    ),
    "percolation": ResultKind(  # computed from the migration documents
        "migration",
        "Lowest barrier at which hops connect into 1D, 2D and 3D networks",
        ("host", "ion", "1D (eV)", "2D (eV)", "3D (eV)", "left out (unconverged or failed checks)"),
        _percolation_rows,
    ),
    # the thermodynamics, not the DOS and band structure blobs
    "phonon": ResultKind("phonon", summary=phonon_summary),
    "coating": ResultKind(  # rows of a coating screen (screen coatings), not stored
        None,
        "Coatings ranked: filters passed first, then the worse chemical reaction energy",
        _columns(
            "rank | coating | E_hull (meV/atom) | window (V vs Li) | + cathode (meV/atom)"
            " | + electrolyte (meV/atom) | + cathode at V, mutual (meV/non-Li atom)"
            " | + electrolyte at V, mutual (meV/non-Li atom) | fails"
        ),
        _coating_rows,
    ),
}
# tables of stored documents (the ``table`` command's kinds) and the kinds ``query`` prints
TABLE_KINDS = [k for k, r in RESULT_KINDS.items() if r.rows and r.stored]
QUERY_KINDS = [k for k, r in RESULT_KINDS.items() if r.stored == k]
PLOTS = {r.figure: k for k, r in RESULT_KINDS.items() if r.figure}  # figure -> stored kind
