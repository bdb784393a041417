"""Write materials_thermo_Li-Nb-O.json: recorded MP thermo documents of the Li-Nb-O system.

Run once by hand (not by the tests) with the three public source files the README names:

    python tests/data/mp_api/build_li_nb_o.py MP_BINARY_ELASTICITY_JSON_GZ \
        MP_PBE_ELEMENT_REFS_JSON_GZ LINBO3_ICSD_61118_CIF

Structures: read from those files, never typed in. Energies: MP's uncorrected GGA energies from
pymatgen's calc_compounds.json.gz where it has the material; otherwise (marked "chgnet" below,
and in the README) CHGNet-0.3.0's static energy of the recorded structure, which is on the
MP2020-corrected scale, minus the MP2020 correction of that entry, i.e. a stand-in for MP's
uncorrected GGA energy. Every entry then gets the MP2020 corrections from pymatgen, as MP serves
them, and emmet's ThermoDoc.from_entries builds the documents (hull of the recorded set).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import warnings
from importlib import resources
from pathlib import Path

from emmet.core.mpid import AlphaID
from emmet.core.thermo import ThermoDoc, ThermoType
from emmet.core.types.typing import format_task_id
from pymatgen.analysis.structure_analyzer import oxide_type
from pymatgen.core import Structure
from pymatgen.entries.compatibility import MaterialsProject2020Compatibility
from pymatgen.entries.computed_entries import ComputedStructureEntry

OUT = Path(__file__).parent / "materials_thermo_Li-Nb-O.json"
POTCARS = {  # MP's GGA POTCARs of these elements (titel only; hashes not recorded)
    "Li": "PAW_PBE Li_sv 23Jan2001",
    "Nb": "PAW_PBE Nb_pv 08Apr2002",
    "O": "PAW_PBE O 08Apr2002",
}
# material id -> (where its structure is read, energy source)
# "binary": matcalc's mp-binary-pbe-elasticity-2025.1 (keyed by mp_id);
# "element:<El>": matcalc's MP-PBE-Element-Refs, the structure whose energy per atom equals
#   MP's for that id in calc_compounds (so the structure is that calculation's);
# "cif": the ICSD 61118 CIF of LiNbO3 (primitive cell of the experimental structure).
MATERIALS = {
    "mp-1018134": ("element:Li", "calc_compounds"),
    "mp-12957": ("element:O", "calc_compounds"),
    "mp-75": ("element:Nb", "calc_compounds"),
    "mp-1960": ("binary", "calc_compounds"),
    "mp-841": ("binary", "calc_compounds"),
    "mp-2311": ("binary", "chgnet"),
    "mp-634965": ("binary", "chgnet"),
    "mp-557057": ("binary", "chgnet"),
    "mp-2533": ("binary", "chgnet"),
    "mp-1595": ("binary", "chgnet"),
    "mp-776896": ("binary", "chgnet"),
    "mp-755894": ("binary", "chgnet"),
    "mp-1001790": ("binary", "chgnet"),
    "mp-976263": ("binary", "chgnet"),
    "mp-3731": ("cif", "chgnet"),
}


def calc_compounds() -> dict[str, dict]:
    """pymatgen's calc_compounds.json.gz (MP GGA entries used to fit MP2020), by entry id."""
    path = resources.files("pymatgen.analysis.compatibility") / "calc_compounds.json.gz"
    with gzip.open(str(path), "rt") as handle:
        return {row["entry_id"]: row for row in json.load(handle).values()}


def structures(binary_path: str, elements_path: str, cif_path: str, mp: dict) -> dict:
    """Structure of each material, read from the source files."""
    with gzip.open(binary_path, "rt") as handle:
        binary = {row["mp_id"]: row for row in json.load(handle)}
    with gzip.open(elements_path, "rt") as handle:
        element_refs = json.load(handle)
    found = {}
    for material_id, (source, _) in MATERIALS.items():
        if source == "binary":
            found[material_id] = Structure.from_dict(binary[material_id]["structure"])
        elif source == "cif":
            found[material_id] = Structure.from_file(cif_path).get_primitive_structure()
        else:
            element = source.split(":")[1]
            row = mp[material_id]
            target = row["energy"] / sum(row["composition"].values())
            refs = element_refs[element]
            (match,) = [
                Structure.from_dict(s)
                for s, e in zip(refs["structure"], refs["energy_per_atom"], strict=True)
                if abs(e - target) < 1e-6
            ]
            found[material_id] = match
    for structure in found.values():
        structure.remove_oxidation_states()
    return found


def chgnet_uncorrected_energy(structure: Structure, compat, model) -> float:
    """CHGNet-0.3.0 static energy (eV, MP2020 scale) minus the entry's MP2020 correction."""
    corrected = float(model.predict_structure(structure, task="e")["e"]) * len(structure)
    probe = ComputedStructureEntry(structure, corrected, parameters=parameters(structure))
    return corrected - compat.process_entry(probe, inplace=False).correction


def parameters(structure: Structure) -> dict:
    """MP's GGA run parameters of a Li-Nb-O entry (no Hubbard U for these elements)."""
    potcars = [{"titel": POTCARS[el.symbol], "hash": None} for el in structure.composition]
    return {"potcar_spec": potcars, "run_type": "GGA", "is_hubbard": False, "hubbards": {}}


def main(binary_path: str, elements_path: str, cif_path: str) -> None:
    from chgnet.model import CHGNet

    mp = calc_compounds()
    found = structures(binary_path, elements_path, cif_path, mp)
    compat = MaterialsProject2020Compatibility(check_potcar=False)
    model = CHGNet.load(verbose=False)
    entries = []
    for material_id, (_, energy_source) in MATERIALS.items():
        structure = found[material_id]
        if energy_source == "calc_compounds":
            row = mp[material_id]
            energy = row["energy"] / sum(row["composition"].values()) * len(structure)
        else:
            energy = chgnet_uncorrected_energy(structure, compat, model)
        entries.append(
            ComputedStructureEntry(
                structure,
                round(energy, 6),
                parameters=parameters(structure),
                data={
                    "oxide_type": oxide_type(structure),
                    "aspherical": True,
                    "task_id": material_id,
                    "material_id": material_id,
                    "run_type": "GGA",
                    "license": "BY-C",
                },
                entry_id=f"{material_id}-GGA",
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entries = compat.process_entries(entries)
        docs = ThermoDoc.from_entries(entries, ThermoType.GGA_GGA_U)
    data = [legacy_ids(doc.model_dump(mode="json")) for doc in docs]
    for doc in data:
        doc.pop("structure", None)
        doc["deprecated"] = False
    page = {
        "data": sorted(data, key=lambda d: d["material_id"]),
        "meta": {
            "api_version": "0.87.3",
            "time_stamp": "2026-12-08T12:00:00.000000",
            "total_doc": len(data),
            "max_limit": 1000,
        },
    }
    OUT.write_text(json.dumps(page, indent=1) + "\n")
    for doc in page["data"]:
        print(
            f"{doc['material_id']:11s} {doc['formula_pretty']:8s} "
            f"{doc['uncorrected_energy_per_atom']:9.4f} {doc['energy_above_hull']:7.4f}"
        )


def legacy_ids(obj):
    """Ids in the legacy form the public API serves (``mp-3731``), recursively."""
    if isinstance(obj, AlphaID):
        return format_task_id(obj, legacy=True)
    if isinstance(obj, str) and re.fullmatch(r"mp-[a-z]+", obj):  # emmet's alphabetic form
        return format_task_id(AlphaID(obj), legacy=True)
    if isinstance(obj, dict):
        return {k: legacy_ids(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [legacy_ids(v) for v in obj]
    return obj


if __name__ == "__main__":
    main(*sys.argv[1:4])
