"""Reference entries for hulls and reactions: the offline set, Materials Project, or the user's.

- offline (default): this project's own structures relaxed with its MLIP workflow, shipped as a
  versioned data file per potential (``ssbscreen references build`` regenerates it), with the
  MP2020 corrections applied as Materials Project applies them to its GGA(+U) energies;
- Materials Project: through mp-api with MP_API_KEY, cached in the store;
- stored: a named set in the store (``mp-chgnet``: Materials Project structures relaxed with the
  potential, ``ssbscreen references build --from materials-project``);
- the user's own: a JSON list of ComputedEntry / ComputedStructureEntry dicts, used as given.

Energies from different sources are never mixed on one hull: ``check_compatible`` refuses a
phase computed by another model than the reference set's unless mixing is asked for.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from monty.json import MontyDecoder
from pymatgen.core import Composition, Element
from pymatgen.entries.compatibility import MaterialsProject2020Compatibility
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.potentials import DEFAULT_POTENTIAL
from ssbscreen.schemas import Provenance

OFFLINE_FORMAT_VERSION = 2


@dataclass(frozen=True)
class ReferenceSet:
    """Entries ready for a phase diagram (corrections applied), with the set's name.

    model: the potential that computed them, or None for DFT (Materials Project) / user data.
    """

    name: str
    entries: tuple[ComputedEntry, ...]
    model: str | None = None

    @property
    def elements(self) -> set[str]:
        """Elements covered by the set."""
        return {el.symbol for e in self.entries for el in e.composition.elements}

    def in_chemsys(self, elements: set[str]) -> list[ComputedEntry]:
        """Entries whose elements are all in ``elements``; ValueError naming uncovered ones."""
        missing = sorted(set(elements) - self.elements)
        if missing:
            raise ValueError(
                f"The reference set {self.name!r} has no phase with {', '.join(missing)}; "
                "use --references FILE with entries that cover it, or set MP_API_KEY."
            )
        return [e for e in self.entries if {el.symbol for el in e.composition.elements} <= elements]

    def lowest_entry(self, formula: str) -> ComputedEntry | None:
        """Lowest-energy entry with the reduced formula of ``formula``, or None."""
        reduced = Composition(formula).reduced_formula
        matches = [e for e in self.entries if e.composition.reduced_formula == reduced]
        return min(matches, key=lambda e: e.energy_per_atom, default=None)

    def elemental_energy_per_atom(self, element: str) -> float:
        """Energy per atom (eV) of the lowest entry of the pure element."""
        entry = self.lowest_entry(Element(element).symbol)
        if entry is None:
            raise ValueError(f"The reference set {self.name!r} has no elemental {element} entry.")
        return entry.energy_per_atom


def apply_mp2020(entries: list[ComputedEntry]) -> list[ComputedEntry]:
    """MP2020 anion and GGA/GGA+U mixing corrections (Wang et al., Sci. Rep. 11, 15496 (2021))."""
    compat = MaterialsProject2020Compatibility(check_potcar=False)
    with warnings.catch_warnings():  # alloys: "failed to guess oxidation states" is expected
        warnings.simplefilter("ignore", UserWarning)
        processed = compat.process_entries(entries, clean=True, inplace=False, verbose=False)
    if len(processed) != len(entries):
        dropped = {e.composition.reduced_formula for e in entries} - {
            e.composition.reduced_formula for e in processed
        }
        raise ValueError(f"MP2020 corrections could not be applied to {sorted(dropped)}.")
    return processed


def offline_reference_path(potential: str) -> Path:
    """The shipped offline reference file of one potential."""
    return Path(str(resources.files("ssbscreen") / "data" / f"references_{potential}.json.gz"))


def read_offline_file(path: Path) -> dict:
    """Raw content of an offline reference file (entries as dicts, uncorrected)."""
    with gzip.open(path, "rt") as handle:
        return json.load(handle)


@cache  # read and decoded once per process; every analysis job of a campaign uses it
def offline_reference_set(potential: str = DEFAULT_POTENTIAL) -> ReferenceSet:
    """The offline set of ``potential``; ValueError naming the build command if absent."""
    path = offline_reference_path(potential)
    if not path.exists():
        raise ValueError(
            f"No offline reference set for the potential {potential!r}; build it with "
            f"`ssbscreen references build --model {potential}`."
        )
    raw = read_offline_file(path)
    entries = [MontyDecoder().process_decoded(row["entry"]) for row in raw["entries"]]
    if raw["energy_corrections"] == "MP2020":
        entries = apply_mp2020(entries)
    # named by content: a rebuilt set (new phases, new structures) is another reference set, and
    # results computed on the one before are not reused
    text = json.dumps(raw["entries"], sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    name = f"offline-{raw['model']}-v{raw['version']}@{digest}"
    return ReferenceSet(name=name, entries=tuple(entries), model=raw["model"])


def user_reference_set(path: str | Path) -> ReferenceSet:
    """Entries from a JSON list of ComputedEntry dicts, used as given (no correction added)."""
    path = Path(path)
    try:
        text = path.read_text()
        rows = json.loads(text)
        entries = [MontyDecoder().process_decoded(row) for row in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"Cannot read reference entries from {path}: {exc}.") from None
    if not isinstance(rows, list) or not all(isinstance(e, ComputedEntry) for e in entries):
        raise ValueError(
            f"{path} must hold a JSON list of pymatgen ComputedEntry or ComputedStructureEntry "
            "dicts (as monty's MontyEncoder writes them)."
        )
    unusable = [e.composition.reduced_formula for e in entries if not _has_finite_energy(e)]
    if unusable:
        raise ValueError(
            f"{path}: the energies of {', '.join(unusable)} are not finite numbers; fix them."
        )
    elements = {el.symbol for e in entries for el in e.composition.elements}
    pure = {e.composition.elements[0].symbol for e in entries if e.composition.is_element}
    if elements - pure:
        raise ValueError(
            f"{path} has no entry of elemental {', '.join(sorted(elements - pure))}; add one "
            "per element, the hull's end points."
        )
    # named by content as well as by file name: an edited or another file of the same name is
    # another reference set, and results computed on the old one are not reused
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return ReferenceSet(name=f"user:{path.name}@{digest}", entries=tuple(entries), model=None)


def _has_finite_energy(entry: ComputedEntry) -> bool:
    try:
        return math.isfinite(float(entry.energy))
    except (TypeError, ValueError):
        return False


def check_compatible(reference: ReferenceSet, provenance: Provenance, allow_mixing: bool = False):
    """Refuse a phase energy from another model than the reference set's (no silent mixing)."""
    if allow_mixing or reference.model == provenance.model:
        return
    origin = reference.model or "DFT or user data"
    raise ValueError(
        f"The phase is computed with {provenance.model} but the reference set "
        f"{reference.name!r} comes from {origin}; use a reference set of the same model "
        "(e.g. `ssbscreen references build --model ...`) or pass --mix-engines to accept it."
    )


def phase_entry(
    phase: str, calculation: dict | None, reference: ReferenceSet, allow_mixing: bool = False
) -> ComputedEntry:
    """Entry of a phase: its calculation (with its model's corrections) or the reference entry."""
    if calculation is None:
        entry = reference.lowest_entry(phase)
        if entry is None:
            raise ValueError(f"{phase!r} is not a phase of the reference set {reference.name!r}.")
        return entry
    if calculation["state"] != "successful":
        raise ValueError(f"The calculation of {phase} failed: {calculation.get('reason')}.")
    provenance = Provenance(**calculation["provenance"])
    check_compatible(reference, provenance, allow_mixing)
    entry = calculation["entry"]
    if isinstance(entry, dict):
        entry = MontyDecoder().process_decoded(entry)
    return apply_mp2020([entry])[0] if provenance.energy_corrections == "MP2020" else entry
