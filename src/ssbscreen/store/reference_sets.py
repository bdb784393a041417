"""Named reference sets kept in the store (e.g. ``mp-chgnet``): one engine's relaxed entries.

Collection ``reference_sets`` (key ``set_key``): one ``kind="entry"`` document per material of a
set (``entry``: the uncorrected ComputedStructureEntry.as_dict() of its calculation, with the
Materials Project id it came from, the calculation key and the engine's provenance) and one
``kind="manifest"`` document per chemical system built into the set (the hull cutoff, what was
left out above it, what failed). Building another system adds to the same set; a material
already there keeps one document.
"""

from __future__ import annotations

from datetime import UTC, datetime

from maggma.core import Store

from ssbscreen.store.config import embedded_path, is_embedded, resolve_store_uri
from ssbscreen.store.jobstore import REFERENCE_SETS_COLLECTION, build_collection

SET_KEY = "set_key"


def stored_set_names(uri: str | None = None) -> list[str]:
    """Names of the sets in the store of ``uri`` (default: the configured store), sorted.

    An embedded store that does not exist yet holds no set, and is not created by asking.
    """
    uri = resolve_store_uri(uri)
    if is_embedded(uri) and not embedded_path(uri).is_dir():
        return []
    collection = build_collection(REFERENCE_SETS_COLLECTION, uri)
    collection.connect()
    try:
        return sorted(str(name) for name in collection.distinct("set", {"kind": "entry"}))
    finally:
        collection.close()


def set_entries(collection: Store, name: str) -> list[dict]:
    """Entry documents of the set ``name``, by material id."""
    docs = collection.query({"kind": "entry", "set": name})
    return sorted(docs, key=lambda d: d["material_id"])


def set_provenance(collection: Store, name: str) -> dict | None:
    """Provenance (engine, model, version, settings) of the set's energies, None if no set."""
    doc = collection.query_one({"kind": "entry", "set": name}, properties=["provenance"])
    return None if doc is None else doc["provenance"]


def write_set(collection: Store, name: str, rows: list[dict], manifest: dict) -> None:
    """Add ``rows`` (entry fields, one per material) to the set, then the system's manifest.

    Each row needs ``material_id``; ``manifest`` needs ``chemsys``.
    """
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    docs = [
        {SET_KEY: f"{name}|{row['material_id']}", "kind": "entry", "set": name, **row}
        for row in rows
    ]
    if docs:
        collection.update(docs, key=SET_KEY)
    header = {SET_KEY: f"{name}|manifest|{manifest['chemsys']}", "kind": "manifest", "set": name}
    collection.update([{**header, **manifest, "built_at": built_at}], key=SET_KEY)


def set_manifests(collection: Store, name: str) -> list[dict]:
    """Manifest documents of the set ``name`` (one per chemical system built), by chemsys."""
    return sorted(collection.query({"kind": "manifest", "set": name}), key=lambda d: d["chemsys"])
