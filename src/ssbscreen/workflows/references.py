"""Where a campaign's reference set comes from (``ReferenceSpec``): the offline set, the
Materials Project (cached in the store), a set kept in the store, or the user's file; the
loading that reads the store or the network lives here, the sets themselves in
``ssbscreen.analysis.references``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from monty.json import MontyDecoder

from ssbscreen.analysis.references import (
    ReferenceSet,
    apply_mp2020,
    offline_reference_set,
    user_reference_set,
)
from ssbscreen.potentials import DEFAULT_POTENTIAL, POTENTIALS
from ssbscreen.schemas import MP_MODEL, content_key
from ssbscreen.store import build_collection
from ssbscreen.store.jobstore import MP_CACHE_COLLECTION, REFERENCE_SETS_COLLECTION
from ssbscreen.store.reference_sets import set_entries, stored_set_names
from ssbscreen.structures.library import phase_elements


def materials_project_reference_set(elements: set[str], api_key: str, cache=None) -> ReferenceSet:
    """Entries of the chemical system from the Materials Project (MP2020-corrected), cached."""
    from ssbscreen.analysis.materials_project import fetch_mp_entries

    # MP_API_ENDPOINT (mp-api's own variable) points at a mirror or a recorded-response server
    endpoint = os.environ.get("MP_API_ENDPOINT") or None
    entries = fetch_mp_entries(sorted(elements), api_key=api_key, cache=cache, endpoint=endpoint)
    return ReferenceSet(name="materials_project", entries=tuple(entries), model=MP_MODEL)


def stored_reference_set(name: str, collection=None) -> ReferenceSet:
    """The set ``name`` kept in the store (``collection``: its reference-set collection, default
    the configured store's), corrected as its model's energies are. Its name carries a digest
    of its entries (``mp-chgnet@1a2b3c4d``), so results keyed by it change when it grows."""
    collection = collection or build_collection(REFERENCE_SETS_COLLECTION)
    collection.connect()
    docs = set_entries(collection, name)
    if not docs:
        raise ValueError(
            f"The store holds no reference set {name!r}; build it with `ssbscreen references "
            "build --from materials-project --chemsys ...`."
        )
    entries = [MontyDecoder().process_decoded(doc["entry"]) for doc in docs]
    provenance = docs[0]["provenance"]
    if provenance["energy_corrections"] == "MP2020":
        entries = apply_mp2020(entries)
    revision = content_key(name, [(d["material_id"], d["calculation_key"]) for d in docs])[:8]
    return ReferenceSet(f"{name}@{revision}", tuple(entries), model=provenance["model"])


@dataclass(frozen=True)
class ReferenceSpec:
    """Which reference set to use: "offline" (per potential), "materials_project", "file"
    (``path``) or "stored" (the set called ``name`` in the store)."""

    source: str = "offline"
    potential: str = DEFAULT_POTENTIAL
    path: str | None = None
    allow_mixing: bool = False
    name: str | None = None

    @classmethod
    def from_options(cls, references: str | None, potential: str, mix_engines: bool = False):
        """The set named by CLI options: --references VALUE, else MP_API_KEY, else offline."""
        if references:
            return cls.resolve(references, potential, mix_engines)
        source = "materials_project" if os.environ.get("MP_API_KEY") else "offline"
        return cls(source, potential, None, mix_engines)

    @classmethod
    def resolve(
        cls, value: str, potential: str, mix_engines: bool = False, label: str = "--references"
    ):
        """The set a --references value or a campaign file's ``references:`` names: "offline",
        "materials_project", an existing file, or the name of a set in the store; label: how
        the sentence of a value that is none of these names the input."""
        value = str(value)
        if value in ("offline", "materials_project"):
            return cls(value, potential, None, mix_engines)
        if Path(value).is_file():
            return cls("file", potential, str(Path(value).resolve()), mix_engines)
        names = stored_set_names()
        if value in names:
            return cls("stored", potential, None, mix_engines, name=value)
        there = f"the store holds {', '.join(names)}" if names else "the store holds none yet"
        raise ValueError(
            f"{label} {value!r} is neither a file nor a reference set in the store "
            f"({there}); give a JSON entry file or a stored set's name, or build one with "
            "`ssbscreen references build --from materials-project --chemsys ...`."
        )

    def load(self, elements: set[str] | None = None) -> ReferenceSet:
        """The reference set (for Materials Project: the chemical system of ``elements``)."""
        if self.source == "offline":
            return offline_reference_set(self.potential)
        if self.source == "file":
            return user_reference_set(self.path)
        if self.source == "stored":
            return stored_reference_set(self.name)
        if self.source == "materials_project":
            return materials_project_reference_set(
                set(elements or ()),
                os.environ.get("MP_API_KEY", ""),
                build_collection(MP_CACHE_COLLECTION),
            )
        raise ValueError(
            f"Unknown reference source {self.source!r}; use offline, materials_project, file "
            "or stored."
        )


def reference_potential(provenance: dict) -> str:
    """Key of the offline reference set of what made a document (its ``Engine.potential``):
    the registered potential of the model it recorded (an MLIP's, or a reference set's when the
    phases came from the set), else the engine's name (vasp, cp2k), else the model."""
    model = provenance["model"]
    for key, spec in POTENTIALS.items():
        if spec.model_name.lower() == model.lower():
            return key
    return model if provenance["engine"] == "reference" else provenance["engine"]


def document_reference(
    references: str | None,
    mix_engines: bool = False,
    calculations: dict[str, dict] | None = None,
):
    """doc -> the reference set a stored reaction is drawn on: the set ``references`` names (a
    --references value; None: offline, or the Materials Project with MP_API_KEY) for the
    potential that computed it (its provenance), over its phases' and ``calculations``'
    elements."""

    def reference_of(doc: dict) -> ReferenceSet:
        elements = {"Li"}.union(*(c["chemsys"].split("-") for c in (calculations or {}).values()))
        elements = elements.union(*map(phase_elements, doc["phases"]))
        potential = reference_potential(doc["provenance"])
        return ReferenceSpec.from_options(references, potential, mix_engines).load(elements)

    return reference_of
