"""Copy results between stores (e.g. the embedded store of a laptop to MongoDB), without duplicates.

Every document is upserted on its identity: job outputs on jobflow's ``(uuid, index)``, large
data on ``blob_uuid``, MP-entry cache documents on ``cache_id``. Copying twice, or copying
into a store that already holds some of the results, therefore adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssbscreen.store.config import embedded_path, is_embedded, redact_uri, resolve_store_uri
from ssbscreen.store.jobstore import (
    DATA_COLLECTION,
    MP_CACHE_COLLECTION,
    REFERENCE_SETS_COLLECTION,
    build_collection,
    build_job_store,
)

BATCH = 500
AUXILIARY = {MP_CACHE_COLLECTION: "cache_id", REFERENCE_SETS_COLLECTION: "set_key"}


@dataclass
class CopyReport:
    """Documents copied per collection and how many the destination already held."""

    source: str
    destination: str
    copied: dict[str, int]
    already_there: dict[str, int]


def _copy(src, dst, key: list[str] | str, name: str, report: CopyReport) -> None:
    keys = [key] if isinstance(key, str) else key
    if len(keys) == 1:  # distinct reads GridFS metadata only, never the files themselves
        present = {(value,) for value in dst.distinct(keys[0])}
    else:
        present = {tuple(d.get(k) for k in keys) for d in dst.query({}, properties=keys)}
    batch: list[dict] = []
    copied = skipped = 0
    for doc in src.query({}):
        ident = tuple(doc.get(k) for k in keys)
        if ident in present:
            skipped += 1
            continue
        present.add(ident)
        batch.append({k: v for k, v in doc.items() if k != "_id"})
        if len(batch) >= BATCH:
            dst.update(batch, key=key)
            copied += len(batch)
            batch = []
    if batch:
        dst.update(batch, key=key)
        copied += len(batch)
    report.copied[name] = copied
    report.already_there[name] = skipped


def copy_store(source: str, destination: str) -> CopyReport:
    """Copy job outputs, their large data and the MP-entry cache from ``source`` to ``destination``.

    Both are store URIs (``embedded://PATH`` or ``mongodb://...``). Both stores are opened
    (and a MongoDB pinged) before anything is written.
    """
    src_uri, dst_uri = resolve_store_uri(source), resolve_store_uri(destination)
    if src_uri == dst_uri:
        raise ValueError(
            f"The source and destination stores are the same ({redact_uri(src_uri)}); "
            "give two different store URIs."
        )
    if is_embedded(src_uri) and not embedded_path(src_uri).is_dir():
        raise ValueError(
            f"There is no store at {redact_uri(src_uri)} to copy from; give an existing store."
        )
    src, dst = build_job_store(src_uri), build_job_store(dst_uri)
    aux = {
        name: (build_collection(name, src_uri), build_collection(name, dst_uri))
        for name in AUXILIARY
    }
    report = CopyReport(redact_uri(src_uri), redact_uri(dst_uri), {}, {})
    stores = [src, dst, *(s for pair in aux.values() for s in pair)]
    for store in stores:
        store.connect()
    try:
        # large data first: an output is only visible once the data it points to is there
        src_data, dst_data = (s.additional_stores[DATA_COLLECTION] for s in (src, dst))
        _copy(src_data, dst_data, "blob_uuid", DATA_COLLECTION, report)
        _copy(src.docs_store, dst.docs_store, ["uuid", "index"], "outputs", report)
        for name, (src_aux, dst_aux) in aux.items():
            _copy(src_aux, dst_aux, AUXILIARY[name], name, report)
    finally:
        for store in stores:
            store.close()
    return report
