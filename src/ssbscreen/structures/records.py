"""Crystal-structure records: published asymmetric units with provenance, as data files.

A record is one JSON file in ``structures/data/<set>/``::

    {
      "name": "LiCl",                      # unique name (library name or reference formula)
      "formula": "LiCl",                   # reduced formula of the (average) composition
      "spacegroup_symbol": "Fm-3m",        # Hermann-Mauguin symbol of the published setting
      "spacegroup_number": 225,
      "lattice": {"a": 5.1295, "b": 5.1295, "c": 5.1295,
                  "alpha": 90, "beta": 90, "gamma": 90},   # Angstrom, degrees
      "sites": [                           # asymmetric unit, fractional coordinates
        {"wyckoff": "4a", "species": {"Li": 1.0}, "coords": [0, 0, 0]},
        {"wyckoff": "4b", "species": {"Cl": 1.0}, "coords": [0.5, 0.5, 0.5]}
      ],
      "oxidation_states": {"Li": 1, "Cl": -1},   # formal; may be an average (Ni 2.875 in
                                                  # NCM811); elements and alloys: 0
      "source": {"reference": "Author et al., Journal vol, page (year)",
                 "doi": "10....", "note": "what was measured / any choice made here"}
    }

Partial occupancies are kept as published; the full cell is generated from the
space-group operations (pymatgen ``Structure.from_spacegroup``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pymatgen.core import Composition, Lattice, Structure


class RecordError(ValueError):
    """A structure record (data file) that is malformed or inconsistent."""


@dataclass(frozen=True)
class CrystalRecord:
    """One published crystal structure: asymmetric unit, lattice and provenance."""

    name: str
    formula: str
    spacegroup_symbol: str
    spacegroup_number: int
    lattice: dict[str, float]
    sites: tuple[dict, ...]
    oxidation_states: dict[str, float]
    source: dict[str, str]
    path: str = field(default="", compare=False)

    @classmethod
    def from_file(cls, path: str | Path) -> CrystalRecord:
        """Read a record from a JSON file; raise RecordError naming the file on bad content."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text())
            return cls(
                name=raw["name"],
                formula=raw["formula"],
                spacegroup_symbol=raw["spacegroup_symbol"],
                spacegroup_number=int(raw["spacegroup_number"]),
                lattice={
                    k: float(raw["lattice"][k]) for k in ("a", "b", "c", "alpha", "beta", "gamma")
                },
                sites=tuple(raw["sites"]),
                oxidation_states={k: float(v) for k, v in raw["oxidation_states"].items()},
                source=dict(raw["source"]),
                path=str(path),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(
                f"Structure record {path} is malformed ({exc!r}); fix the file."
            ) from exc

    def structure(self) -> Structure:
        """The full (possibly disordered) conventional cell, sites labelled by Wyckoff letter."""
        lat = self.lattice
        lattice = Lattice.from_parameters(
            lat["a"], lat["b"], lat["c"], lat["alpha"], lat["beta"], lat["gamma"]
        )
        structure = Structure.from_spacegroup(
            self.spacegroup_symbol,
            lattice,
            [site["species"] for site in self.sites],
            [site["coords"] for site in self.sites],
            labels=[site["wyckoff"] for site in self.sites],
            tol=1e-3,
        )
        return structure

    @property
    def is_ordered(self) -> bool:
        """True when every site is fully occupied by one element."""
        return all(
            len(site["species"]) == 1 and abs(next(iter(site["species"].values())) - 1) < 1e-9
            for site in self.sites
        )

    def charge(self) -> float:
        """Net formal charge per formula unit of ``formula`` (0 for a charge-balanced phase)."""
        comp = Composition(self.formula)
        return sum(self.oxidation_states[str(el)] * amt for el, amt in comp.items())


def data_dir(set_name: str) -> Path:
    """Folder of the record files of one set ("library" or "references")."""
    return Path(str(resources.files("ssbscreen.structures") / "data" / set_name))


@cache
def load_records(set_name: str) -> dict[str, CrystalRecord]:
    """All records of one set, keyed by name."""
    records = {}
    for path in sorted(data_dir(set_name).glob("*.json")):
        record = CrystalRecord.from_file(path)
        if record.name in records:
            raise RecordError(f"Two records are named {record.name!r} in {data_dir(set_name)}.")
        records[record.name] = record
    return records
