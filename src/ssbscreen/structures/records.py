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
                 "doi": "10....",                      # of the paper (or of the database entry)
                 "database": "COD 1000032",            # ICSD / COD / mp- code, if any
                 "file": {"repository": "owner/name", "path": "x.cif", "commit": "<sha>"},
                 "url": "https://...",                 # instead of "file": a public page
                 "note": "what differs from the file, if anything"}
    }

Every record names where its numbers come from (:data:`LOCATOR_HELP`): a public structure file
(repository and path) or a database code with a DOI; a record for which no public file could be
found anywhere says so in an "untraced" entry of its source (what was searched) instead.
Partial occupancies are kept as published; the full cell is generated from the space-group
operations (pymatgen ``Structure.from_spacegroup``). :func:`record_from_cif` writes a record
from a CIF.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.io.cif import CifParser
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

LOCATOR_HELP = (
    'a "file" {"repository", "path"} or "url" of a public structure file, or a "database" '
    'code (ICSD, COD, mp-) with a "doi"'
)
# Words that mark numbers nobody read from a published file (the before-stop hook greps them).
UNTRACED = re.compile(r"unverified|recalled|recollection|not re-read|placeholder|constructed", re.I)
# Tolerances of a record's cell against its formula and of its formal charge, per formula unit.
COMPOSITION_TOL = 1e-4
CHARGE_TOL = 1e-6


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

    @property
    def untraced(self) -> str:
        """What was searched for a published file of a record that has none ("" if traced)."""
        return "" if has_locator(self.source) else str(self.source.get("untraced", ""))

    def site_composition(self) -> Composition:
        """Composition of the conventional cell from the sites' Wyckoff multiplicities ("6h":
        6) and occupancies, without generating the cell."""
        amounts: dict[str, float] = {}
        for site in self.sites:
            multiplicity = re.match(r"\d+", site["wyckoff"])
            if multiplicity is None:
                raise RecordError(
                    f"Structure record {self.name!r} ({self.path}): Wyckoff label "
                    f"{site['wyckoff']!r} has no multiplicity; write it as e.g. '4a'."
                )
            for el, x in site["species"].items():
                amounts[el] = amounts.get(el, 0.0) + int(multiplicity.group()) * float(x)
        return Composition(amounts)

    def check(self) -> None:
        """RecordError naming the record if it has no source locator, is flagged as untraced,
        is not charge balanced, or its sites do not give its formula."""
        if not (has_locator(self.source) or self.untraced):
            raise RecordError(
                f"Structure record {self.name!r} ({self.path}) does not say where its numbers "
                f'come from; give its source {LOCATOR_HELP}, or an "untraced" note saying '
                "what was searched."
            )
        if UNTRACED.search(json.dumps(self.source)):
            raise RecordError(
                f"Structure record {self.name!r} ({self.path}) says its numbers were not read "
                "from a published file; trace them to one and reword its source."
            )
        if abs(self.charge()) > CHARGE_TOL:
            raise RecordError(
                f"Structure record {self.name!r} ({self.path}) has net charge "
                f"{self.charge():+.4g} e per {self.formula} with oxidation states "
                f"{self.oxidation_states}; fix its occupancies or oxidation states."
            )
        self._check_composition(self.site_composition(), "its sites")

    def structure(self) -> Structure:
        """The full (possibly disordered) conventional cell, sites labelled by Wyckoff letter."""
        structure = Structure.from_spacegroup(
            self.spacegroup_symbol,
            Lattice.from_parameters(**self.lattice),
            [site["species"] for site in self.sites],
            [site["coords"] for site in self.sites],
            labels=[site["wyckoff"] for site in self.sites],
            tol=1e-3,
        )
        self._check_composition(structure.composition, "its cell")
        if not structure.composition.almost_equals(self.site_composition(), atol=COMPOSITION_TOL):
            raise RecordError(
                f"Structure record {self.name!r} ({self.path}): its cell has "
                f"{structure.composition.formula} but its Wyckoff multiplicities say "
                f"{self.site_composition().formula}; fix the labels or the coordinates."
            )
        return structure

    def _check_composition(self, composition: Composition, what: str) -> None:
        if not composition.fractional_composition.almost_equals(
            Composition(self.formula).fractional_composition, atol=COMPOSITION_TOL
        ):
            raise RecordError(
                f"Structure record {self.name!r} ({self.path}): {what} give "
                f"{composition.formula}, not {self.formula}; fix the occupancies or the formula."
            )

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


def has_locator(source: dict) -> bool:
    """True when ``source`` names a public file (repository and path, or URL) or a database code
    and a DOI."""
    file = source.get("file") or {}
    return (
        bool(file.get("repository") and file.get("path"))
        or bool(source.get("url"))
        or bool(source.get("database") and source.get("doi"))
    )


def read_records(folder: Path) -> dict[str, CrystalRecord]:
    """All records of a folder, keyed by name; RecordError naming the first bad record."""
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = CrystalRecord.from_file(path)
        record.check()
        if record.name in records:
            raise RecordError(f"Two records are named {record.name!r} in {folder}.")
        records[record.name] = record
    return records


@cache
def load_records(set_name: str) -> dict[str, CrystalRecord]:
    """All records of one shipped set ("library" or "references"), keyed by name."""
    return read_records(data_dir(set_name))


def _same_sites(a: Structure, b: Structure, tol_a: float = 0.01) -> bool:
    """True when two cells on one lattice hold the same species at the same positions."""
    if len(a) != len(b):
        return False
    for site in a:
        delta = site.frac_coords - b.frac_coords
        delta -= np.round(delta)
        dist = np.linalg.norm(delta @ a.lattice.matrix, axis=1)
        k = int(np.argmin(dist))
        if dist[k] > tol_a or not site.species.almost_equals(b[k].species, rtol=0, atol=1e-6):
            return False
    return True


def _snapped(frac_coords) -> list[float]:
    """Fractional coordinates in [0, 1), special values (multiples of 1/24) made exact and the
    others rounded to 6 decimals."""
    coords = []
    for value in np.mod(frac_coords, 1.0):
        special = round(value * 24) / 24
        coords.append(special % 1.0 if abs(value - special) < 1e-5 else round(float(value), 6))
    return coords


def _complexity(coords: list[float]) -> tuple:
    """Orbit representative preference: most zero coordinates, then the smallest ones."""
    return (sum(c != 0 for c in coords), sum(coords), coords)


def record_from_cif(
    path: str | Path,
    name: str,
    oxidation_states: dict[str, float],
    source: dict,
    symprec: float = 0.01,
) -> dict:
    """A record (as a dict ready for JSON) from a CIF: its asymmetric unit in the standard
    setting of its space group (spglib), Wyckoff letters, lattice (Angstrom, degrees) and
    occupancies as read; RecordError if the setting cannot be regenerated site for site."""
    with warnings.catch_warnings():  # CifParser warns about rounded occupancies and labels
        warnings.simplefilter("ignore")
        structure = CifParser(path).parse_structures(primitive=False)[0]
    structure.remove_oxidation_states()
    analyzer = SpacegroupAnalyzer(structure, symprec=symprec)
    refined = analyzer.get_refined_structure()
    symmetrized = SpacegroupAnalyzer(refined, symprec=symprec).get_symmetrized_structure()
    sites = []
    for group, wyckoff in zip(
        symmetrized.equivalent_sites, symmetrized.wyckoff_symbols, strict=True
    ):
        coords = min((_snapped(site.frac_coords) for site in group), key=_complexity)
        sites.append(
            {
                "wyckoff": wyckoff,
                "species": {sp.symbol: round(float(x), 6) for sp, x in group[0].species.items()},
                "coords": coords,
            }
        )
    lattice = refined.lattice
    symbol = analyzer.get_space_group_symbol()
    for setting in (symbol, f"{symbol}:2", f"{symbol}:H", f"{symbol}:1"):
        try:
            regenerated = Structure.from_spacegroup(
                setting,
                lattice,
                [site["species"] for site in sites],
                [site["coords"] for site in sites],
                tol=1e-3,
            )
        except ValueError:
            continue
        if _same_sites(regenerated, refined):
            break
    else:
        raise RecordError(f"{path}: no setting of {symbol} regenerates its cell site for site.")
    params = dict(zip(("a", "b", "c", "alpha", "beta", "gamma"), lattice.parameters, strict=True))
    return {
        "name": name,
        "formula": refined.composition.reduced_formula,
        "spacegroup_symbol": setting,
        "spacegroup_number": analyzer.get_space_group_number(),
        "lattice": {key: round(float(value), 6) for key, value in params.items()},
        "sites": sites,
        "oxidation_states": oxidation_states,
        "source": source,
    }
