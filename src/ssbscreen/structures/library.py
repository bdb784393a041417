"""Named bulk phases of the five seed systems, from published crystal structures.

Each phase is a record in ``structures/data/library/`` (see records.py for the format and the
provenance fields). Disordered phases keep their published partial occupancies;
``ordered_representative`` gives a charge-balanced, Ewald-lowest ordered cell of one.
"""

from __future__ import annotations

import difflib
import math
import reprlib
from functools import cache
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Structure
from pymatgen.io.cif import CifParser

from ssbscreen.structures.ordering import ordered_representative as _lowest_ewald_cell
from ssbscreen.structures.records import CrystalRecord, load_records
from ssbscreen.structures.sublattices import (
    COUNT_TOL,
    rounding_deviation,
    supercell_for_integral_occupancy,
)


class UnknownPhaseError(ValueError):
    """A phase name that is neither in the library nor a readable structure file."""


def phase_names() -> list[str]:
    """Names of all library phases."""
    return sorted(load_records("library"))


MAX_PHASE_NAME_CHARS = 1024  # a library name, a formula or the path of a structure file


def check_phase_name(name: object) -> str:
    """``name`` when it can name a phase: text of at most MAX_PHASE_NAME_CHARS characters
    without control characters; else ValueError, one sentence naming the fix."""
    fix = "give a library name, a formula or a structure file, e.g. Li3InCl6"
    if not isinstance(name, str):
        kind = type(name).__name__
        raise ValueError(f"The phase {reprlib.repr(name)} ({kind}) is not a name; {fix}.")
    if len(name) > MAX_PHASE_NAME_CHARS:
        raise ValueError(
            f"A phase name of {len(name)} characters is longer than {MAX_PHASE_NAME_CHARS}; {fix}."
        )
    if not name.isprintable():
        raise ValueError(f"The phase name {name!r} holds control characters; {fix}.")
    return name


def library_name(name: str) -> str:
    """The library's spelling of ``name`` (matched case-insensitively), else ``name`` itself:
    one phase is stored under one name however it is typed."""
    by_lower = {key.lower(): key for key in load_records("library")}
    return by_lower.get(name.lower(), name) if isinstance(name, str) else name


def nominal_formula(phase: str) -> str | None:
    """The published formula of a disordered library phase (its record's average composition,
    NCA: LiNi0.8Co0.15Al0.05O2), which names it rather than the reduced formula of the ordered
    cell computed for it; None for any other phase."""
    record = load_records("library").get(library_name(phase))
    return None if record is None or record.is_ordered else record.formula


def get_record(name: str) -> CrystalRecord:
    """The library record called ``name``; UnknownPhaseError suggesting close names."""
    records = load_records("library")
    spelled = library_name(name)
    if spelled in records:
        return records[spelled]
    close = difflib.get_close_matches(name, list(records), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownPhaseError(
        f"Unknown phase {name!r}: not a library name, a reference formula or a CIF file.{hint} "
        "See `ssbscreen structures list`."
    )


@cache
def phase_elements(name: str) -> frozenset[str]:
    """Elements of a phase name: its library record's formula, else the name read as a
    formula, else none (a structure file, or a name that is neither)."""
    try:
        formula = get_record(name).formula
    except UnknownPhaseError:
        formula = name
    try:
        return frozenset(el.symbol for el in Composition(formula).elements)
    except ValueError:
        return frozenset()


def bulk_structure(name: str) -> Structure:
    """The published (possibly disordered) conventional cell of library phase ``name``."""
    return get_record(name).structure()


def ordered_cell(record: CrystalRecord, max_atoms: int = 100) -> Structure:
    """The record's cell if ordered, else its charge-balanced, Ewald-lowest ordered supercell:
    of the primitive or the conventional cell, whichever keeps the published occupancies exactly
    within max_atoms (else rounds them, see supercell_for_integral_occupancy) in fewer atoms,
    e.g. R-3m NCA: 20 x 4 atoms, not 20 x 12."""
    structure = record.structure()
    if record.is_ordered:
        return structure
    primitive = structure.get_primitive_structure()
    candidates, errors = [], []
    for cell in (primitive, structure) if len(primitive) < len(structure) else (structure,):
        try:
            mult = supercell_for_integral_occupancy(cell, max_atoms)
        except ValueError as exc:
            errors.append(exc)
            continue
        size = math.prod(mult) * cell.composition.num_atoms
        exact = rounding_deviation(cell, mult) <= COUNT_TOL
        candidates.append((not exact, size, len(candidates), cell))
    if not candidates:
        raise errors[-1]
    cell = min(candidates, key=lambda c: c[:3])[3]
    return _lowest_ewald_cell(cell, record.oxidation_states, max_atoms=max_atoms)


@cache
def _ordered(name: str, max_atoms: int) -> Structure:
    return ordered_cell(get_record(name), max_atoms)


def ordered_representative(name: str, max_atoms: int = 100) -> Structure:
    """Charge-balanced, Ewald-lowest ordered cell of library phase ``name`` (exact composition)."""
    return _ordered(get_record(name).name, max_atoms).copy()


def read_structure_file(path: str | Path) -> Structure:
    """Ordered structure from a CIF (or other pymatgen-readable) file; ValueError if unusable."""
    path = Path(path)
    if not path.is_file():
        raise UnknownPhaseError(f"Structure file {path} does not exist.")
    try:
        if path.suffix.lower() == ".cif":
            structures = CifParser(path).parse_structures(primitive=False)
            if not structures:
                raise ValueError("no structure could be read")
            structure = structures[0]
        else:
            structure = Structure.from_file(path)
    except Exception as exc:  # pymatgen raises many kinds for malformed files
        raise ValueError(f"Structure file {path} is malformed: {exc}.") from exc
    if not structure.is_ordered:
        raise ValueError(
            f"Structure file {path} has partial occupancies; order it first (e.g. with "
            "ssbscreen.structures.ordering.ordered_representative)."
        )
    check_physical(structure, f"Structure file {path}")
    check_charge_balance(structure, str(path))
    return structure


def is_charge_balanced(composition: Composition) -> bool:
    """True if common oxidation states balance the composition, mixed valence allowed.

    The most electronegative element takes its most negative common state; every other element
    may take any average between its lowest and highest common or ICSD-observed states.
    """
    elements = composition.elements
    if len(elements) == 1 or all(el.is_metal for el in elements):
        return True  # elements and intermetallics
    anion = max(elements, key=lambda el: el.X)
    if not anion.common_oxidation_states or min(anion.common_oxidation_states) >= 0:
        return False
    low = high = composition[anion] * min(anion.common_oxidation_states)
    for el in elements:
        if el != anion:
            states = (*el.common_oxidation_states, *el.icsd_oxidation_states) or (0,)
            low += composition[el] * min(states)
            high += composition[el] * max(states)
    return low - 1e-6 <= 0 <= high + 1e-6


# sanity limits of a solid's geometry: no two nuclei closer than MIN_DISTANCE_A (the shortest
# bond, H2's, is 0.74 A), and every atom with a neighbour within MAX_NEAREST_NEIGHBOUR_A (Cs
# metal's nearest-neighbour distance, about 5.3 A, is the largest among elements)
MIN_DISTANCE_A = 0.5
MAX_NEAREST_NEIGHBOUR_A = 6.0


def check_physical(structure: Structure, label: str) -> None:
    """ValueError naming ``label`` if its cell is not a solid: a lattice that is not finite or
    has no volume, atoms closer than MIN_DISTANCE_A, or an atom with no neighbour within
    MAX_NEAREST_NEIGHBOUR_A."""
    matrix = structure.lattice.matrix
    if not (np.isfinite(matrix).all() and abs(structure.lattice.volume) > 1e-6):
        raise ValueError(
            f"{label} has a lattice that is not finite or has no volume; fix its cell."
        )
    if not np.isfinite(structure.frac_coords).all():
        raise ValueError(f"{label} has coordinates that are not finite numbers; fix its sites.")
    if len(structure) > 1:
        distances = structure.distance_matrix + np.diag([np.inf] * len(structure))
        if distances.min() < MIN_DISTANCE_A:
            raise ValueError(
                f"{label} has atoms {distances.min():.2f} A apart (at least {MIN_DISTANCE_A} A "
                "in a solid); check its coordinates and units."
            )
    nearest = [
        min((n.nn_distance for n in neighbours), default=np.inf)
        for neighbours in structure.get_all_neighbors(MAX_NEAREST_NEIGHBOUR_A)
    ]
    if max(nearest) > MAX_NEAREST_NEIGHBOUR_A:
        raise ValueError(
            f"{label} has an atom with no neighbour within {MAX_NEAREST_NEIGHBOUR_A} A, not a "
            "solid; check its cell and coordinates."
        )


def check_charge_balance(structure: Structure, label: str) -> None:
    """ValueError naming ``label`` if its composition cannot be charge balanced."""
    if not is_charge_balanced(structure.composition):
        raise ValueError(
            f"{label} ({structure.composition.reduced_formula}) is not charge balanced with "
            "common oxidation states; check its composition."
        )
