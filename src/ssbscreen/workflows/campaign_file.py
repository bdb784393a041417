"""Campaign files (YAML): what to screen, validated with one clear sentence per mistake.

name: lyc_in_doping          # campaign name, stored with every document
engine: mlip                 # mlip (default) | vasp | cp2k (vasp, cp2k: screen section only)
model: chgnet                # potential (engine: mlip)
references: offline          # offline | materials_project | JSON entry file | stored set name
doping:                      # the orderings -> doping study (DopingStudyMaker fields)
  host: Li3YCl6
  substitution: 3Li->In
  supercell: [1, 1, 2]
  n_orderings: 25
  n_doped: 30
screen:                      # hulls, windows, reactions and scans (Campaign fields)
  voltage_reference: Li      # voltages below are vs this electrode (Li, Li-In, Li4Ti5O12)
  hulls: [Li3InCl6]
  windows: [Li3InCl6]
  reactions: [[Li3InCl6, Li6PS5Cl, null], [NCA, Li3InCl6, Li6PS5Cl, 4.2]]
  scans: [[Li3InCl6, NCA, 2.5, 5.0]]
  matrix:                    # every coating|cathode, coating|electrolyte, cathode|electrolyte
    coatings: [LiNbO3, LiF]  # pair (and cathode+coating+electrolyte triple) at every voltage
    cathodes: [NCM811]
    electrolytes: [Li6PS5Cl]
    voltages: [null, 4.2]
    triples: true
  observed_products: [PO_x, SO_x, P-S-P, Li2S]   # species seen by XPS, marked in the table
  temperatures_k: [253, 298, 333]   # also free energies G = E + F_vib(T) (phonons)
  phonon_min_length_a: 12            # shortest phonon supercell vector (Angstrom)
  gas_pressures_bar: {O2: 0.21}      # ideal gases O2, F2, Cl2 at T (default 1 bar)
migration:                   # NEB barriers (NebMaker fields) of the hops listed
  n_images: 5
  hops:
    - {host: Li3InCl6, ion: Li, mechanism: vacancy, supercell: [1, 1, 1], max_hops: 3}
    - {host: Li3YCl6, ion: In, substitution: 3Li->In, mechanism: interstitial,
       paths: [Oct-Oct, Oct-Tet-Oct], max_hops: 1}
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Iterator
from pathlib import Path

from jobflow import Flow

from ssbscreen.analysis.ideal_gas import check_gas_pressures
from ssbscreen.analysis.products import GROUPS
from ssbscreen.analysis.screening import mixtures
from ssbscreen.inputs import load_yaml
from ssbscreen.potentials import DEFAULT_POTENTIAL
from ssbscreen.structures.library import check_phase_name
from ssbscreen.structures.migration import HopSelection
from ssbscreen.workflows.campaign import Campaign, CampaignPlan, plan_campaign
from ssbscreen.workflows.doping import DopingStudyMaker
from ssbscreen.workflows.engines import MLIP_ENGINES, engine_from_name
from ssbscreen.workflows.neb import NebMaker
from ssbscreen.workflows.references import ReferenceSpec


def _field_names(cls: type, *set_here: str) -> set[str]:
    """Field names of a dataclass but ``set_here``, those the campaign sets itself."""
    return {f.name for f in dataclasses.fields(cls)} - set(set_here)


TOP_KEYS = {"name", "engine", "model", "references", "mix_engines", "doping", "screen", "migration"}
MIGRATION_KEYS = {"hops"} | _field_names(NebMaker, "name", "engine")
HOP_KEYS = _field_names(HopSelection)
DOPING_KEYS = {"host", "substitution"} | _field_names(
    DopingStudyMaker, "name", "engine", "reference", "campaign"
)
# the screen section's keys are the Campaign's fields (screen_campaign reads each) and two more
SCREEN_KEYS = {"matrix", "observed_products"} | _field_names(Campaign, "engine", "reference")
MATRIX_KEYS = {"coatings", "cathodes", "electrolytes", "voltages", "triples"}
# keys whose value is a list (read item by item: a string there would be read letter by letter)
LIST_EXAMPLES = {
    "hulls": "[Li3InCl6]",
    "windows": "[Li3InCl6]",
    "reactions": "[[Li3InCl6, Li6PS5Cl, null]]",
    "scans": "[[Li3InCl6, NCA, 2.5, 5.0]]",
    "coatings": "[LiNbO3, LiF]",
    "cathodes": "[NCM811]",
    "electrolytes": "[Li6PS5Cl]",
    "voltages": "[null, 4.2]",
    "observed_products": "[PO_x, SO_x]",
    "temperatures_k": "[298]",
    "hops": "[{host: Li3InCl6, ion: Li}]",
    "supercell": "[1, 1, 2]",
    "paths": "[Oct-Tet-Oct]",
    "sites": "[6h]",
}


# a scalar key's type -> (test of a YAML value, how to say what it must be)
SCALARS = {
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    float: (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
        "a finite number",
    ),
    bool: (lambda v: isinstance(v, bool), "true or false"),
    str: (lambda v: isinstance(v, str), "text"),
}
# scalar keys of the top level and the screen section (the makers' come from their fields)
TOP_SCALARS = {"name": str, "engine": str, "model": str, "mix_engines": bool}
SCREEN_SCALARS = {"voltage_reference": str, "max_atoms": int, "phonon_min_length_a": float}


def _check_scalars(section: str, given: dict, types: dict[str, type]) -> None:
    """ValueError naming the first key of ``given`` whose value is not of its type."""
    for key, kind in types.items():
        if given.get(key) is not None and not SCALARS[kind][0](given[key]):
            raise ValueError(
                f"`{key}:` in {section} must be {SCALARS[kind][1]}, not {given[key]!r}."
            )


def _scalar_fields(maker: type) -> dict[str, type]:
    """The int, float, bool and str fields of a Maker dataclass, by name."""
    hints = typing.get_type_hints(maker)
    return {f.name: hints[f.name] for f in dataclasses.fields(maker) if hints[f.name] in SCALARS}


def listed(section: dict, key: str) -> list:
    """The list ``section[key]`` ([] when absent or null); ValueError for any other value."""
    value = section.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"`{key}:` must be a list, e.g. {key}: {LIST_EXAMPLES[key]}.")
    return value


def _check_keys(section: str, given: dict, allowed: set[str]) -> None:
    if not isinstance(given, dict):
        key = section.rpartition(": ")[2]  # "screen: matrix" -> matrix
        raise ValueError(f"`{key}:` must be a mapping of keys to values.")
    for key in given:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {sorted(allowed)}"
            raise ValueError(f"unknown key {key!r} in {section}{hint}")


def read_campaign_file(path: str | Path) -> dict:
    """The validated content of a campaign file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Campaign file {path} does not exist.")
    content = load_yaml(path, f"Campaign file {path}")
    if not isinstance(content, dict) or not ({"doping", "screen", "migration"} & set(content)):
        raise ValueError(
            f"Campaign file {path} needs a 'doping', a 'screen' or a 'migration' section."
        )
    try:
        _check_keys("the campaign", content, TOP_KEYS)
        _check_scalars("the campaign", content, TOP_SCALARS)
        engine = str(content.get("engine", "mlip")).lower()
        if engine not in MLIP_ENGINES and {"doping", "migration"} & set(content):
            raise ValueError(
                f"engine {engine} runs the screen section only; "
                "doping and migration need engine: mlip or mlip-batched."
            )
        _check_sections(content)
        if "screen" in content:
            screen_campaign(content)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc.args[0]}") from None
    return content


def _check_sections(content: dict) -> None:
    """Keys, lists and phase names of the doping, screen and migration sections."""
    doping = content.get("doping") or {}
    _check_keys("doping", doping, DOPING_KEYS)
    _check_scalars("doping", doping, _scalar_fields(DopingStudyMaker))
    if doping:
        check_phase_name(doping.get("host"))
        if not isinstance(doping.get("substitution"), str):
            raise ValueError("`substitution:` must be a rule such as 3Li->In.")
        for key in ("supercell", "sites"):
            listed(doping, key)
    screen = content.get("screen") or {}
    _check_keys("screen", screen, SCREEN_KEYS)
    _check_scalars("screen", screen, SCREEN_SCALARS)
    _check_keys("screen: matrix", screen.get("matrix") or {}, MATRIX_KEYS)
    observed = listed(screen, "observed_products")
    unknown = [g for g in observed if not (isinstance(g, str) and g in GROUPS)]
    if unknown:
        raise ValueError(f"unknown observed product groups {unknown}; use {list(GROUPS)}.")
    number = SCALARS[float][0]
    for item in listed(screen, "scans"):
        if not (isinstance(item, list) and len(item) == 4 and all(map(number, item[2:]))):
            raise ValueError(
                f"scan {item!r} needs [phase A, phase B, from V, to V] with voltages as "
                "numbers, e.g. [Li3InCl6, NCA, 2.5, 5.0]."
            )
    for item in listed(screen, "reactions"):
        if not (
            isinstance(item, list)
            and len(item) in (3, 4)
            and (item[-1] is None or number(item[-1]))
        ):
            raise ValueError(
                f"reaction {item!r} needs [phase A, phase B, (phase C,) voltage or null], "
                "the voltage a number."
            )
    migration = content.get("migration") or {}
    _check_keys("migration", migration, MIGRATION_KEYS)
    _check_scalars("migration", migration, _scalar_fields(NebMaker))
    for hop in listed(migration, "hops"):
        _check_keys("migration: hops", hop if isinstance(hop, dict) else {}, HOP_KEYS)
        if not isinstance(hop, dict) or not {"host", "ion"} <= set(hop):
            raise ValueError(f"hop {hop!r} needs at least host and ion.")
        check_phase_name(hop["host"])
        for key in ("supercell", "paths"):
            listed(hop, key)
        # its framework and mechanism agree
        HopSelection(**{k: tuple(v) if isinstance(v, list) else v for k, v in hop.items()})
    if "migration" in content and not migration.get("hops"):
        raise ValueError("the migration section needs a list of hops.")


def _engine(content: dict):
    """The campaign's engine (``engine:``, default mlip with ``model:``)."""
    model = str(content.get("model", DEFAULT_POTENTIAL))
    return engine_from_name(str(content.get("engine", "mlip")), model)


def _reference(content: dict) -> ReferenceSpec:
    """The campaign's ``references:`` (offline, materials_project, a file or a stored set)."""
    source = content.get("references", "offline")
    mix = bool(content.get("mix_engines", False))
    return ReferenceSpec.resolve(source, _engine(content).potential, mix, label="references:")


def doping_flow(content: dict, overrides: dict | None = None, store=None) -> Flow:
    """The doping study of a campaign file as a Flow (overrides: e.g. fewer orderings)."""
    section = {**content["doping"], **(overrides or {})}
    host, substitution = section.pop("host"), section.pop("substitution")
    if "supercell" in section and section["supercell"] is not None:
        section["supercell"] = tuple(section["supercell"])
    maker = DopingStudyMaker(
        engine=_engine(content),
        reference=_reference(content),
        campaign=content.get("name", "doping"),
        **section,
    )
    return maker.make(host, substitution, store)


def screen_campaign(content: dict) -> Campaign:
    """The screen section of a campaign file as a Campaign."""
    section = content.get("screen") or {}
    reactions = [tuple(r) for r in listed(section, "reactions")]
    matrix = section.get("matrix")
    if matrix:
        for name in ("coatings", "cathodes", "electrolytes"):
            if not [check_phase_name(p) for p in listed(matrix, name)]:
                raise ValueError(f"The screening matrix needs a list of {name}.")
        for mixture in mixtures(
            matrix["coatings"],
            matrix["cathodes"],
            matrix["electrolytes"],
            matrix.get("triples", True),
        ):
            reactions += [(*mixture, v) for v in listed(matrix, "voltages") or [None]]
    campaign = Campaign(
        hulls=listed(section, "hulls"),
        windows=listed(section, "windows"),
        reactions=reactions,
        scans=[tuple(s) for s in listed(section, "scans")],
        voltage_reference=str(section.get("voltage_reference", "Li")),
        engine=_engine(content),
        reference=_reference(content),
        max_atoms=section.get("max_atoms", 100),
        temperatures_k=[float(t) for t in listed(section, "temperatures_k")],
        phonon_min_length_a=float(section.get("phonon_min_length_a", 12.0)),
        gas_pressures_bar=_gas_pressures(section.get("gas_pressures_bar") or {}),
    )
    campaign.reactions = list(dict.fromkeys(campaign.reactions))  # phases checked: hashable
    if campaign.phonon_min_length_a <= 0:
        raise ValueError(
            f"phonon_min_length_a {campaign.phonon_min_length_a} is not a length; "
            "give the shortest phonon supercell vector in Angstrom, e.g. 12."
        )
    campaign.checked_reactions()  # voltages and phase counts, before anything runs
    return campaign


def _gas_pressures(given) -> dict[str, float]:
    """The screen section's gas_pressures_bar, checked."""
    if not isinstance(given, dict):
        raise ValueError(
            f"gas_pressures_bar {given!r} is not a mapping; give partial pressures by gas, "
            "e.g. {O2: 0.21}."
        )
    return check_gas_pressures(given)


def neb_maker(content: dict) -> NebMaker:
    """The NebMaker of a campaign file's migration section, on the campaign's engine."""
    section = {k: v for k, v in content["migration"].items() if k != "hops"}
    return NebMaker(engine=_engine(content), **section)


def migration_flow(content: dict, store=None) -> Flow:
    """The migration section of a campaign file: one NEB per hop not yet in ``store``."""
    selections = [
        HopSelection(**{k: tuple(v) if isinstance(v, list) else v for k, v in hop.items()})
        for hop in content["migration"]["hops"]
    ]
    return neb_maker(content).make_campaign(selections, content.get("name", "migration"), store)


@dataclasses.dataclass
class SectionFlow:
    """A section of a campaign file and the Flow of what the store lacks of it."""

    section: str  # screen, doping or migration
    flow: Flow
    campaign: Campaign | None = None  # the screen section's campaign ...
    plan: CampaignPlan | None = None  # ... and its plan: the flow's stages and result keys


def section_flows(
    content: dict, store, doping_overrides: dict | None = None
) -> Iterator[SectionFlow]:
    """The sections of a campaign file, in order (screen, doping, migration), each with the
    Flow of the jobs ``store`` lacks: ``run`` computes them here, ``submit`` queues them.

    Each is planned when asked for, so ``run`` computes a section before it plans the next.
    doping_overrides: fields of the doping section to replace (e.g. fewer orderings).
    """
    if "screen" in content:
        campaign = screen_campaign(content)
        plan = plan_campaign(campaign, store)
        yield SectionFlow("screen", plan.flow, campaign, plan)
    if "doping" in content:
        yield SectionFlow("doping", doping_flow(content, doping_overrides, store))
    if "migration" in content:
        yield SectionFlow("migration", migration_flow(content, store))


def campaign_documents(content: dict, store) -> tuple[dict[str, list[dict]], int]:
    """The stored documents of a campaign file's current results by kind, computing nothing,
    and how many results its screen section plans that are not stored yet."""
    from ssbscreen.store.queries import find_output, stored_outputs

    documents: dict[str, list[dict]] = {}
    missing = 0
    if "screen" in content:
        keys = plan_campaign(screen_campaign(content), store).result_keys
        for kind in ("hull", "window", "reaction", "scan"):
            found = [doc for key in keys[kind] if (doc := find_output(store, kind, key))]
            missing += len(keys[kind]) - len(found)
            documents[kind] = found
    for kind in ("doping", "migration"):
        if kind in content:
            name = content.get("name", kind)
            documents[kind] = [d for d in stored_outputs(store, kind) if d["campaign"] == name]
    return documents, missing
