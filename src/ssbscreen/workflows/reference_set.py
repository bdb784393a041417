"""Build the offline reference set: every reference record and every library phase (a
disordered one as its Ewald-lowest ordered cell) relaxed and computed with the engine, written
as a versioned, gzipped JSON data file."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from jobflow import Flow, JobStore
from pymatgen.core import Structure

from ssbscreen.analysis.references import OFFLINE_FORMAT_VERSION
from ssbscreen.store.queries import find_output
from ssbscreen.structures.library import ordered_cell
from ssbscreen.structures.records import CrystalRecord, load_records
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.local import JOB_LOG, run_flow_locally
from ssbscreen.workflows.stability import calculation_flows, calculation_key


def reference_records() -> dict[str, CrystalRecord]:
    """Records of the offline set: the reference folder plus the library phases (a phase that
    competes in another system's reaction, e.g. Li3InCl6 for Li3YCl6 | In, must be there)."""
    records = dict(load_records("references"))
    formulas = {record.formula for record in records.values()}
    for name, record in load_records("library").items():
        if record.formula in formulas:
            raise ValueError(f"{name} is both a library and a reference record; keep one.")
        records[name] = record
    return records


def reference_structure(record: CrystalRecord) -> Structure:
    """The cell computed for a reference record: primitive, or Ewald-ordered if disordered."""
    if not record.is_ordered:
        return ordered_cell(record)
    return record.structure().get_primitive_structure()


def build_reference_set(
    engine: MLIPEngine, store: JobStore, out: Path, only: list[str] | None = None
) -> dict:
    """Compute (or reuse from ``store``) every reference phase and write the data file ``out``.

    Returns the file's content; failed phases are listed under "failed" with their reasons.
    """
    records = reference_records()
    if only:
        unknown = sorted(set(only) - set(records))
        if unknown:
            raise ValueError(f"Unknown reference phases {unknown}; see structures/data/references.")
        records = {name: records[name] for name in only}
    store.connect()
    provenance = engine.provenance()
    named = [(reference_structure(record), name) for name, record in records.items()]
    keys = {name: calculation_key(structure, provenance) for structure, name in named}
    flows, _ = calculation_flows(engine, named, store)
    if flows:
        run_flow_locally(
            Flow(flows, name="reference set"), store, create_folders=engine.runs_in_folders
        )
    rows, failed = [], {}
    for name, record in records.items():
        doc = find_output(store, "calculation", keys[name])
        if doc is None or doc["state"] != "successful":
            failed[name] = doc["reason"] if doc else f"no result was stored {JOB_LOG}"
            continue
        rows.append({"phase": name, "source": record.source, "entry": doc["entry"]})
    content = {
        "name": "ssbscreen offline reference set",
        "version": OFFLINE_FORMAT_VERSION,
        "potential": engine.potential,
        "model": provenance.model,
        "model_version": provenance.model_version,
        "energy_corrections": provenance.energy_corrections,
        "settings": provenance.settings,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": rows,
        "failed": failed,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt") as handle:
        json.dump(content, handle)
    return content
