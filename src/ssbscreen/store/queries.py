"""Queries on the JobStore: result documents by kind and key (same code on every backend)."""

from __future__ import annotations

from jobflow import JobStore


def find_output(store: JobStore, kind: str, key: str) -> dict | None:
    """The latest stored output document of ``kind`` with ``key``, or None."""
    doc = store.query_one(
        {"output.kind": kind, "output.key": key},
        properties=["output"],
        sort={"completed_at": -1},
    )
    return None if doc is None else doc["output"]


def stored_outputs(store: JobStore, kind: str) -> list[dict]:
    """All stored output documents of one kind (the latest per key)."""
    latest: dict[str, tuple[dict, str]] = {}
    for doc in store.query({"output.kind": kind}, properties=["output", "completed_at"]):
        # a job may output one document or a list of them (e.g. one per dopant site)
        outputs = doc["output"] if isinstance(doc["output"], list) else [doc["output"]]
        completed = doc.get("completed_at", "")
        for output in outputs:
            previous = latest.get(output["key"])
            if output.get("kind") == kind and (previous is None or completed >= previous[1]):
                latest[output["key"]] = (output, completed)
    return [output for output, _ in latest.values()]
