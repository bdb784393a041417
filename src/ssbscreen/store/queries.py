"""Queries on the JobStore: result documents by kind, key and filters (same code on every backend).

Filters that a document kind stores as a field (``formula``, ``chemsys``, ``campaign``,
``provenance.engine``/``model``) go to the database, where MongoDB answers them from the
indexes of ``jobstore.OUTPUT_INDEXES``; a chemical system asked of a kind that stores only
phase names (reactions, scans, hulls) is checked on the returned documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from jobflow import JobStore
from jobflow.utils.find import find_key
from pydash import get
from pymatgen.core import Composition, Element

# document fields that name the phases of each kind, besides ``formula`` and ``chemsys``
PHASE_FIELDS = {
    "reaction": ("phases",),
    "scan": ("phases",),
    "doping": ("host",),
    "interface": ("film", "substrate"),
    "migration": ("host", "host_formula"),
}


def stored_jobs(store: JobStore, kind: str, key: str, complete: bool = False) -> Iterator[dict]:
    """Stored jobs (``uuid``, ``index``, ``output``) whose output is of ``kind`` with ``key``,
    newest first; fields kept in additional stores (e.g. ``data``) stay references.

    ``complete``: only jobs whose data blobs are all stored. jobflow writes the document first
    and its data second, so a process killed between the two writes leaves a job without
    them, and the work it stands for must be done again.
    """
    criteria = {"output.kind": kind, "output.key": key}
    jobs = store.query(criteria, properties=["uuid", "index", "output"], sort={"completed_at": -1})
    yield from (job for job in jobs if not complete or _blobs_stored(store, job["output"]))


def _blobs_stored(store: JobStore, output: dict) -> bool:
    """Whether every data blob that ``output`` refers to is in its additional store."""
    blobs = [get(output, route) for route in find_key(output, "blob_uuid")]
    return all(
        store.additional_stores[blob["store"]].count({"blob_uuid": blob["blob_uuid"]})
        for blob in blobs
    )


def find_output(store: JobStore, kind: str, key: str) -> dict | None:
    """The latest stored output document of ``kind`` with ``key``, or None."""
    job = next(stored_jobs(store, kind, key), None)
    return None if job is None else job["output"]


def without_stored_data(output: dict) -> dict:
    """A stored output without its fields kept in additional stores (e.g. a phonon DOS): they
    are references to blobs that would be decoded as the objects they stand for."""
    return {k: v for k, v in output.items() if not (isinstance(v, dict) and "blob_uuid" in v)}


def stored_outputs(store: JobStore, kind: str, criteria: dict | None = None) -> list[dict]:
    """All stored output documents of one kind (the latest per key), optionally filtered."""
    latest: dict[str, tuple[dict, str]] = {}
    query = {"output.kind": kind, **(criteria or {})}
    for doc in store.query(query, properties=["output", "completed_at"]):
        # a job may output one document or a list of them (e.g. one per dopant site)
        outputs = doc["output"] if isinstance(doc["output"], list) else [doc["output"]]
        completed = doc.get("completed_at", "")
        for output in outputs:
            previous = latest.get(output["key"])
            if output.get("kind") == kind and (previous is None or completed >= previous[1]):
                latest[output["key"]] = (output, completed)
    return [output for output, _ in latest.values()]


def normalise_chemsys(chemsys: str) -> str:
    """``"Li-Cl-In"`` -> ``"Cl-In-Li"``; ValueError naming --chemsys when it is not elements."""
    symbols = [s.strip() for s in chemsys.split("-")]
    if not all(Element.is_valid_symbol(s) for s in symbols):
        raise ValueError(f"--chemsys {chemsys!r} is not a chemical system; use e.g. 'Cl-In-Li'.")
    return "-".join(sorted(set(symbols)))


def normalise_formula(formula: str) -> str:
    """Reduced formula (``"Li6In2Cl12"`` -> ``"Li3InCl6"``); ValueError naming --formula."""
    try:
        composition = Composition(formula)
        if not all(Element.is_valid_symbol(str(el)) for el in composition.elements):
            raise ValueError(formula)
        return composition.reduced_formula
    except ValueError:
        raise ValueError(f"--formula {formula!r} is not a formula; use e.g. 'Li3InCl6'.") from None


def formula_elements(name: str) -> frozenset[str]:
    """Elements of a formula (empty when ``name`` is none): the default phase -> elements of
    the queries; the CLI passes one that also knows the structure library's names."""
    try:
        return frozenset(el.symbol for el in Composition(name).elements)
    except ValueError:
        return frozenset()


def document_elements(
    doc: dict, phase_elements: Callable[[str], frozenset[str]] = formula_elements
) -> frozenset[str]:
    """Elements of a result document: its chemsys, formula, or the union over its phases
    (``phase_elements``: the elements of a phase name)."""
    if doc.get("chemsys"):
        return frozenset(doc["chemsys"].split("-"))
    if doc.get("formula"):
        return phase_elements(doc["formula"])
    names = []
    for field in PHASE_FIELDS.get(doc.get("kind", ""), ()):
        value = doc.get(field)
        names += value if isinstance(value, list) else [value]
    return frozenset().union(*(phase_elements(n) for n in names if n))


def query_outputs(
    store: JobStore,
    kind: str,
    formula: str | None = None,
    chemsys: str | None = None,
    engine: str | None = None,
    model: str | None = None,
    campaign: str | None = None,
    phase_elements: Callable[[str], frozenset[str]] = formula_elements,
) -> list[dict]:
    """Stored documents of ``kind`` (latest per key) matching every filter given.

    formula: reduced formula of the phase (or one of the phases of a reaction/scan);
    chemsys: its chemical system (a reaction's: all its phases together), any element order;
    engine/model: ``provenance.engine`` / ``provenance.model`` (model case-insensitive);
    campaign: the campaign name (kinds that record one);
    phase_elements: the elements of a phase name, for ``chemsys`` (default: formulas only).
    """
    criteria: dict = {}
    phase_fields = PHASE_FIELDS.get(kind, ())
    if formula is not None:
        reduced = normalise_formula(formula)
        if phase_fields:
            names = sorted({formula, reduced})
            criteria["$or"] = [{f"output.{f}": {"$in": names}} for f in phase_fields]
        else:
            criteria["output.formula"] = reduced
    wanted = None
    if chemsys is not None:
        wanted = normalise_chemsys(chemsys)
        if kind == "calculation":
            criteria["output.chemsys"] = wanted
    if engine is not None:
        criteria["output.provenance.engine"] = engine
    if model is not None:
        criteria["output.provenance.model"] = {"$regex": f"^{re.escape(model)}$", "$options": "i"}
    if campaign is not None:
        criteria["output.campaign"] = campaign
    docs = stored_outputs(store, kind, criteria)
    if wanted is not None:
        elements = frozenset(wanted.split("-"))
        docs = [d for d in docs if document_elements(d, phase_elements) == elements]
    return docs
