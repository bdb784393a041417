"""Campaign files (YAML): what to screen, validated with one clear sentence per mistake.

name: lyc_in_doping          # campaign name, stored with every document
model: chgnet                # potential (engine: mlip)
references: offline          # offline | materials_project | path to a JSON entry file
doping:                      # the orderings -> doping study (DopingStudyMaker fields)
  host: Li3YCl6
  substitution: 3Li->In
  supercell: [1, 1, 2]
  n_orderings: 25
  n_doped: 30
screen:                      # hulls, windows and pair reactions (Campaign fields)
  hulls: [Li3InCl6]
  windows: [Li3InCl6]
  reactions: [[Li3InCl6, Li6PS5Cl, null], [Li3InCl6, Li6PS5Cl, 4.2]]
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import yaml
from jobflow import Flow

from ssbscreen.analysis.references import ReferenceSpec
from ssbscreen.workflows.campaign import Campaign
from ssbscreen.workflows.doping import DopingStudyMaker
from ssbscreen.workflows.engines import MLIPEngine

TOP_KEYS = {"name", "model", "references", "mix_engines", "doping", "screen"}
DOPING_KEYS = {"host", "substitution"} | {f.name for f in dataclasses.fields(DopingStudyMaker)} - {
    "name",
    "engine",
    "reference",
    "campaign",
}
SCREEN_KEYS = {"hulls", "windows", "reactions", "max_atoms"}


def _check_keys(section: str, given: dict, allowed: set[str], path: Path) -> None:
    for key in given:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {sorted(allowed)}"
            raise ValueError(f"{path}: unknown key {key!r} in {section}{hint}")


def read_campaign_file(path: str | Path) -> dict:
    """The validated content of a campaign file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Campaign file {path} does not exist.")
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"Campaign file {path} is not valid YAML: {exc}.") from None
    if not isinstance(content, dict) or not ({"doping", "screen"} & set(content)):
        raise ValueError(f"Campaign file {path} needs a 'doping' or a 'screen' section.")
    _check_keys("the campaign", content, TOP_KEYS, path)
    _check_keys("doping", content.get("doping") or {}, DOPING_KEYS, path)
    _check_keys("screen", content.get("screen") or {}, SCREEN_KEYS, path)
    return content


def _reference(content: dict) -> ReferenceSpec:
    source = content.get("references", "offline")
    potential = str(content.get("model", "chgnet")).lower()
    mix = bool(content.get("mix_engines", False))
    if source in ("offline", "materials_project"):
        return ReferenceSpec(source, potential, None, mix)
    return ReferenceSpec("file", potential, str(Path(source).resolve()), mix)


def doping_flow(content: dict, overrides: dict | None = None, store=None) -> Flow:
    """The doping study of a campaign file as a Flow (overrides: e.g. fewer orderings)."""
    section = {**content["doping"], **(overrides or {})}
    host, substitution = section.pop("host"), section.pop("substitution")
    if "supercell" in section and section["supercell"] is not None:
        section["supercell"] = tuple(section["supercell"])
    maker = DopingStudyMaker(
        engine=MLIPEngine(potential=str(content.get("model", "chgnet")).lower()),
        reference=_reference(content),
        campaign=content.get("name", "doping"),
        **section,
    )
    return maker.make(host, substitution, store)


def screen_campaign(content: dict) -> Campaign:
    """The screen section of a campaign file as a Campaign."""
    section = content["screen"]
    reactions = [tuple(r) if len(r) == 3 else (*r, None) for r in section.get("reactions", [])]
    return Campaign(
        hulls=list(section.get("hulls", [])),
        windows=list(section.get("windows", [])),
        reactions=reactions,
        engine=MLIPEngine(potential=str(content.get("model", "chgnet")).lower()),
        reference=_reference(content),
        max_atoms=section.get("max_atoms", 100),
    )
