"""Reference sets from Materials Project structures, relaxed with a potential and stored.

``build_mp_reference_set`` downloads the entries of a chemical system and all its subsystems
(mp-api thermo documents, cached in the store), keeps those within ``within_ev_per_atom`` of
MP's GGA/GGA+U hull, relaxes their structures with the engine (calculation_flows: finished
calculations, keyed by structure and engine provenance, are reused) and adds the relaxed
entries to the set ``mp-<potential>`` in the store, each with its MP material id.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

from jobflow import Flow, JobStore
from maggma.core import Store
from pymatgen.core import Lattice, Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ssbscreen.analysis.materials_project import (
    API_KEY_ENV,
    THERMO_TYPE,
    cached_entries,
    fetch_mp_entries,
    hull_distances,
    material_id,
)
from ssbscreen.store.queries import find_output, normalise_chemsys
from ssbscreen.store.reference_sets import set_entries, set_provenance, write_set
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.local import JOB_LOG, run_flow_locally
from ssbscreen.workflows.stability import calculation_flows, calculation_key

# Cutoff above MP's hull (eV/atom): metastable polymorphs that are made in the laboratory mostly
# lie within 0.1 eV/atom of the DFT hull (W. Sun et al., Sci. Adv. 2, e1600225 (2016)), and a
# potential's energy error is of the order of tens of meV/atom, so a phase just above MP's hull
# may lie on the potential's; phases further up cannot change the hull and only cost time.
DEFAULT_WITHIN_EV_PER_ATOM = 0.1


@dataclass
class MPReferenceBuild:
    """What one build did: the set, the system, and each MP material's fate.

    kept/excluded: material id -> energy above MP's hull (eV/atom), within / above the cutoff.
    computed/reused: calculations run now / found in the store. failed: material id -> reason.
    n_entries: entries of the whole set afterwards (every system built into it).
    """

    name: str
    chemsys: str
    within_ev_per_atom: float
    kept: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, float] = field(default_factory=dict)
    computed: int = 0
    reused: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    n_entries: int = 0


def mp_set_name(engine: MLIPEngine) -> str:
    """Name of the engine's stored Materials Project set, e.g. ``mp-chgnet``."""
    return f"mp-{engine.potential}"


def _element_probe(chemsys: str) -> Structure:
    """One atom of each element of ``chemsys``: what engines' check_elements looks at."""
    symbols = chemsys.split("-")
    coords = [[i / len(symbols), 0, 0] for i in range(len(symbols))]
    return Structure(Lattice.cubic(3.0 * len(symbols)), symbols, coords)


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def check_build_input(
    engine: MLIPEngine,
    chemsys: str,
    within_ev_per_atom: float,
    sets: Store,
    cache: Store,
    api_key: str | None = None,
) -> str:
    """The normalised chemical system; ValueError naming the input and the fix otherwise.

    Checks, before anything is downloaded, computed or written: the system's syntax, the
    cutoff, that the potential covers every element, that the set ``mp-<potential>`` (if it
    exists) holds energies of this very engine, and that the system can be had (cached in the
    store, or an API key to download it).
    """
    chemsys = normalise_chemsys(chemsys)
    if not (math.isfinite(within_ev_per_atom) and within_ev_per_atom >= 0):
        raise ValueError(
            f"--within {within_ev_per_atom} is not a cutoff above the hull; give a finite "
            f"energy of 0 eV/atom or more, e.g. {DEFAULT_WITHIN_EV_PER_ATOM}."
        )
    engine.check_elements(_element_probe(chemsys))
    name = mp_set_name(engine)
    stored = set_provenance(sets, name)
    provenance = engine.provenance().model_dump()
    differs = [k for k in provenance if _json(provenance[k]) != _json((stored or {}).get(k))]
    if stored is not None and differs:
        raise ValueError(
            f"The stored set {name!r} holds energies of {stored['model']} "
            f"({stored['model_version']}) whose {', '.join(differs)} differ from this engine's; "
            "build into another store with --store, so that one set never mixes two models, "
            "versions or settings."
        )
    if cached_entries(chemsys, cache) is None and not (api_key or os.environ.get(API_KEY_ENV)):
        raise ValueError(
            f"--from materials-project needs a Materials Project API key to download {chemsys}: "
            f"set {API_KEY_ENV} (export {API_KEY_ENV}=<your key from "
            "https://materialsproject.org/api>)."
        )
    return chemsys


def select_within_hull(
    entries: list[ComputedStructureEntry], within_ev_per_atom: float
) -> tuple[dict[str, tuple[ComputedStructureEntry, float]], dict[str, float]]:
    """Split MP entries by their energy above MP's hull (eV/atom, rounded to 1e-6).

    Returns (kept: material id -> (entry, distance) for distances up to the cutoff,
    excluded: material id -> distance above it), by material id; where MP serves several
    entries of one material, its lowest counts.
    """
    distances = hull_distances(entries)
    lowest: dict[str, tuple[ComputedStructureEntry, float]] = {}
    for entry in entries:
        mid, distance = material_id(entry), round(distances[str(entry.entry_id)], 6)
        if mid not in lowest or distance < lowest[mid][1]:
            lowest[mid] = (entry, distance)
    kept = {mid: pair for mid, pair in sorted(lowest.items()) if pair[1] <= within_ev_per_atom}
    excluded = {mid: d for mid, (_, d) in sorted(lowest.items()) if mid not in kept}
    return kept, excluded


def build_mp_reference_set(
    engine: MLIPEngine,
    store: JobStore,
    sets: Store,
    cache: Store,
    chemsys: str,
    within_ev_per_atom: float = DEFAULT_WITHIN_EV_PER_ATOM,
    api_key: str | None = None,
    endpoint: str | None = None,
) -> MPReferenceBuild:
    """Add ``chemsys`` (and its subsystems) to the stored set ``mp-<potential>``.

    store: the JobStore of the calculations; sets: the reference-set collection; cache: the
    MP-entry cache. Input is checked first (``check_build_input``); a rerun computes nothing.
    """
    for collection in (sets, cache):
        collection.connect()
    chemsys = check_build_input(engine, chemsys, within_ev_per_atom, sets, cache, api_key)
    report = MPReferenceBuild(mp_set_name(engine), chemsys, within_ev_per_atom)
    kept, report.excluded = select_within_hull(
        fetch_mp_entries(chemsys, api_key, cache, endpoint), within_ev_per_atom
    )
    report.kept = {mid: distance for mid, (_, distance) in kept.items()}

    provenance = engine.provenance()
    named = {
        mid: (entry.structure.get_primitive_structure(), entry) for mid, (entry, _) in kept.items()
    }
    keys = {mid: calculation_key(structure, provenance) for mid, (structure, _) in named.items()}
    store.connect()
    report.reused = sum(
        (find_output(store, "calculation", key) or {}).get("state") == "successful"
        for key in keys.values()
    )
    phases = [(s, f"{e.composition.reduced_formula} {mid}") for mid, (s, e) in named.items()]
    flows, _ = calculation_flows(engine, phases, store)
    report.computed = len(keys) - report.reused
    if flows:
        flow = Flow(flows, name=f"reference set {report.name} {chemsys}")
        run_flow_locally(flow, store, create_folders=engine.runs_in_folders)

    rows = []
    for mid, key in keys.items():
        doc = find_output(store, "calculation", key)
        if doc is None or doc["state"] != "successful":
            report.failed[mid] = doc["reason"] if doc else f"no result was stored {JOB_LOG}"
            continue
        entry = doc["entry"] if isinstance(doc["entry"], dict) else doc["entry"].as_dict()
        entry = {**entry, "data": {**entry.get("data", {}), "material_id": mid}}
        composition = named[mid][1].composition
        rows.append(
            {
                "material_id": mid,
                "formula": composition.reduced_formula,
                "chemsys": composition.chemical_system,
                "calculation_key": key,
                "mp_e_above_hull_ev_per_atom": report.kept[mid],
                "provenance": provenance.model_dump(),
                "entry": entry,
            }
        )
    manifest = {
        "chemsys": chemsys,
        "within_ev_per_atom": within_ev_per_atom,
        "mp_thermo_type": THERMO_TYPE,
        "material_ids": sorted(report.kept),
        "excluded": report.excluded,
        "failed": report.failed,
        "model": provenance.model,
        "model_version": provenance.model_version,
    }
    write_set(sets, report.name, rows, manifest)
    report.n_entries = len(set_entries(sets, report.name))
    return report
