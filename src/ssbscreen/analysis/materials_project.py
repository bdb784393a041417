"""Materials Project reference entries (GGA/GGA+U with MP2020 corrections), cached in a Store.

``fetch_mp_entries`` returns every entry of a chemical system and all its subsystems, as
served by ``MPRester.get_entries_in_chemsys`` with ``thermo_types=["GGA_GGA+U"]``: the REST
``/materials/thermo/`` documents, whose entries already carry the
MaterialsProject2020Compatibility energy adjustments (eV). mp-api's default mixed
GGA(+U)/r2SCAN path reads pre-built phase diagrams from AWS S3 instead, so it is not used.

Cache layout (one maggma Store, key ``cache_id``): one ``kind="entry"`` document per entry
(``entry`` is ``ComputedStructureEntry.as_dict()``) and, written last, one
``kind="manifest"`` document per downloaded system. A request for a system or any
subsystem of a cached one is answered from the cache without contacting the API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime

from emmet.core.mpid import AlphaID
from emmet.core.types.typing import format_task_id
from maggma.core import Store
from monty.json import MontyEncoder
from pydantic import BaseModel
from pymatgen.core import Element
from pymatgen.entries.computed_entries import ComputedStructureEntry

REFERENCE_SET = "materials_project"
THERMO_TYPE = "GGA_GGA+U"
API_KEY_ENV = "MP_API_KEY"
CACHE_KEY = "cache_id"


def chemsys_of(elements: Iterable[str]) -> str:
    """Sorted, dash-joined chemical system (``["Li", "Cl"]`` -> ``"Cl-Li"``); ValueError if bad."""
    if isinstance(elements, str):
        elements = elements.replace("-", " ").split()
    symbols = sorted({str(el).strip() for el in elements})
    if not symbols:
        raise ValueError("No elements given; pass element symbols such as ['Li', 'Cl'].")
    for sym in symbols:
        if not Element.is_valid_symbol(sym):
            raise ValueError(f"{sym!r} is not an element symbol; pass symbols such as 'Li'.")
    return "-".join(symbols)


def resolve_api_key(api_key: str | None) -> str:
    """The given key, else ``$MP_API_KEY``; ValueError saying how to set it when neither exists."""
    key = (api_key or os.environ.get(API_KEY_ENV, "")).strip()
    if not key:
        raise ValueError(
            f"A Materials Project API key is needed to download entries: set {API_KEY_ENV} "
            "(see https://materialsproject.org/api) or pass api_key."
        )
    return key


def _tag(entry: ComputedStructureEntry) -> ComputedStructureEntry:
    entry.data["reference_set"] = REFERENCE_SET
    return entry


def _plain(obj):
    """Plain JSON types: legacy ids (``mp-1440853``), str dict keys, pydantic models as dicts."""
    if isinstance(obj, AlphaID):
        return format_task_id(obj, legacy=True)
    if isinstance(obj, BaseModel):
        obj = {k: v for k, v in obj.model_dump().items() if not k.startswith("@")}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _entry_dict(entry: ComputedStructureEntry) -> dict:
    """JSON-clean ``as_dict`` of an entry (ids as strings, numpy values as floats)."""
    return json.loads(json.dumps(_plain(entry.as_dict()), cls=MontyEncoder))


def normalise_entry(entry: ComputedStructureEntry) -> ComputedStructureEntry:
    """Plain pymatgen entry from mp-api's (emmet id objects, PotcarSpec models, Element keys).

    mp-api drops falsy parameters; ``is_hubbard``/``hubbards`` are restored from ``hubbards``
    so that pymatgen compatibility schemes can re-process the entry.
    """
    entry.entry_id = str(entry.entry_id) if entry.entry_id is not None else None
    entry.data = _plain(entry.data)  # pymatgen's as_dict cannot encode Element keys
    entry.parameters = _plain(entry.parameters)
    clean = ComputedStructureEntry.from_dict(_entry_dict(entry))
    hubbards = clean.parameters.setdefault("hubbards", {})
    clean.parameters.setdefault("is_hubbard", bool(hubbards))
    return clean


def cached_entries(chemsys: str, cache: Store) -> list[ComputedStructureEntry] | None:
    """Entries of ``chemsys`` (and subsystems) from the smallest cached superset, else None."""
    wanted = set(chemsys.split("-"))
    manifests = [
        m
        for m in cache.query({"kind": "manifest"}, properties=["chemsys", "retrieved"])
        if wanted <= set(m["chemsys"].split("-"))
    ]
    if not manifests:
        return None
    best = min(manifests, key=lambda m: (len(m["chemsys"].split("-")), m["chemsys"]))
    docs = cache.query({"kind": "entry", "query_chemsys": best["chemsys"]})
    entries = [
        ComputedStructureEntry.from_dict(d["entry"]) for d in docs if set(d["elements"]) <= wanted
    ]
    return sorted((_tag(e) for e in entries), key=lambda e: str(e.entry_id))


def cache_entries(
    chemsys: str,
    entries: list[ComputedStructureEntry],
    cache: Store,
    db_version: str = "",
) -> None:
    """Write entries of a downloaded system, then its manifest (chemsys, retrieval date UTC)."""
    retrieved = datetime.now(UTC).isoformat()
    docs = [
        {
            CACHE_KEY: f"{chemsys}|{e.entry_id}",
            "kind": "entry",
            "query_chemsys": chemsys,
            "chemsys": e.composition.chemical_system,
            "elements": sorted(str(el) for el in e.composition.elements),
            "entry_id": str(e.entry_id),
            "retrieved": retrieved,
            "entry": _entry_dict(e),
        }
        for e in entries
    ]
    if docs:
        cache.update(docs, key=CACHE_KEY)
    manifest = {
        CACHE_KEY: f"{chemsys}|manifest",
        "kind": "manifest",
        "chemsys": chemsys,
        "retrieved": retrieved,
        "db_version": db_version,
        "thermo_type": THERMO_TYPE,
        "n_entries": len(docs),
    }
    cache.update([manifest], key=CACHE_KEY)


def download_entries(
    chemsys: str, api_key: str, endpoint: str | None = None
) -> tuple[list[ComputedStructureEntry], str]:
    """Entries of ``chemsys`` and subsystems from the MP API, and the MP database version."""
    from mp_api.client import MPRester
    from mp_api.client.core import MPRestError
    from requests import RequestException

    try:
        with MPRester(api_key, endpoint=endpoint, mute_progress_bars=True) as mpr:
            entries = mpr.get_entries_in_chemsys(
                chemsys.split("-"), additional_criteria={"thermo_types": [THERMO_TYPE]}
            )
            db_version = str(mpr.db_version or "")
    except (MPRestError, RequestException) as exc:  # the key never goes into the sentence
        reason = (str(exc).replace(api_key, "***").splitlines() or [""])[0][:160]
        raise ConnectionError(
            f"The Materials Project API did not answer the request for {chemsys} "
            f"({type(exc).__name__}: {reason}); check the network, MP_API_ENDPOINT and "
            f"{API_KEY_ENV}."
        ) from None
    entries = [normalise_entry(e) for e in entries]
    return sorted(entries, key=lambda e: str(e.entry_id)), db_version


def fetch_mp_entries(
    elements: Iterable[str],
    api_key: str | None = None,
    cache: Store | None = None,
    endpoint: str | None = None,
) -> list[ComputedStructureEntry]:
    """All MP entries (MP2020-corrected, energies in eV) of the system spanned by ``elements``.

    Answered from ``cache`` when it holds the system or a superset (no network, no key
    needed); otherwise downloaded (``api_key`` or ``$MP_API_KEY`` required) and cached.
    Every entry gets ``entry.data["reference_set"] = "materials_project"``.
    """
    chemsys = chemsys_of(elements)
    if cache is not None:
        cache.connect()
        hit = cached_entries(chemsys, cache)
        if hit is not None:
            return hit
    entries, db_version = download_entries(chemsys, resolve_api_key(api_key), endpoint)
    entries = [_tag(e) for e in entries]
    if cache is not None:
        cache_entries(chemsys, entries, cache, db_version)
    return entries


def material_id(entry: ComputedStructureEntry) -> str:
    """The Materials Project id of an entry (``mp-3731``), else its entry id."""
    return str(entry.data.get("material_id") or entry.entry_id)


def hull_distances(entries: list[ComputedStructureEntry]) -> dict[str, float]:
    """Energy above the hull of the entries themselves (eV/atom), by entry id.

    For the entries ``fetch_mp_entries`` returns (a chemical system and all its subsystems,
    MP2020-corrected) this is the Materials Project's GGA/GGA+U hull, rebuilt from the same
    entries and corrections MP builds it from.
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    diagram = PhaseDiagram(entries)
    return {str(e.entry_id): float(diagram.get_e_above_hull(e)) for e in entries}
