"""Cell voltages: conversion from a named anode to V vs Li/Li+ and the range accepted.

The anode potentials (V vs Li/Li+) are measured plateaus stored with their sources in
``data/anodes.json``. A voltage V vs Li/Li+ fixes the Li chemical potential
mu_Li = mu_Li(metal) - e V of the grand potential used for reactions and windows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

MAX_VOLTAGE_V_VS_LI = 10.0  # above any cathode; beyond it every Li compound is delithiated


@dataclass(frozen=True)
class Anode:
    """A reference electrode: its potential vs Li/Li+ (V) and where that number comes from."""

    name: str
    voltage_v_vs_li: float
    aliases: tuple[str, ...]
    source: str


@cache
def anodes() -> dict[str, Anode]:
    """Known anodes by name."""
    raw = json.loads(files("ssbscreen").joinpath("data/anodes.json").read_text())
    return {
        name: Anode(name, item["voltage_v_vs_li"], tuple(item["aliases"]), item["source"])
        for name, item in raw.items()
    }


def get_anode(name: str) -> Anode:
    """The anode called ``name`` (or one of its aliases, case-insensitive)."""
    wanted = name.strip().lower()
    for anode in anodes().values():
        if wanted in {anode.name.lower(), *(a.lower() for a in anode.aliases)}:
            return anode
    raise ValueError(f"Unknown anode {name!r}; use one of {sorted(anodes())} or give V vs Li.")


def voltage_vs_li(voltage: float, vs: str | None = None) -> float:
    """``voltage`` (V) against the anode ``vs`` (None: Li metal) converted to V vs Li/Li+."""
    shift = 0.0 if vs is None else get_anode(vs).voltage_v_vs_li
    value = float(voltage) + shift
    if not 0.0 <= value <= MAX_VOLTAGE_V_VS_LI:
        against = "" if vs is None else f" vs {vs} ({value:g} V vs Li)"
        raise ValueError(
            f"Voltage {voltage:g} V{against or ' vs Li'} is outside the window of the Li "
            f"reference; give a cell voltage between 0 and {MAX_VOLTAGE_V_VS_LI:g} V vs Li."
        )
    return value
