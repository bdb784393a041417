"""Jobs for the scheduler tests, importable by workers (tests/ is put on their PYTHONPATH)."""

from __future__ import annotations

from pathlib import Path

from jobflow import Flow, job
from pymatgen.core import Lattice, Structure


@job
def needs_marker(marker: str, value: float) -> float:
    """Fail (with a reason naming the marker) until the file ``marker`` exists; then ``value``."""
    if not Path(marker).exists():
        raise RuntimeError(f"marker file {marker} is missing")
    return value


def licl() -> Structure:
    """Rock-salt LiCl, 2-atom primitive cell, lattice slightly off its relaxed value."""
    return Structure(
        Lattice.from_parameters(3.70, 3.70, 3.70, 60, 60, 60), ["Li", "Cl"], [[0] * 3, [0.5] * 3]
    )


def mlip_flow(marker: str) -> Flow:
    """CHGNet relax -> static -> document -> hull of LiCl, and a job failing until ``marker``."""
    from dataclasses import asdict

    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.references import ReferenceSpec
    from ssbscreen.workflows.stability import PhaseCalculationMaker, hull_document

    phase = PhaseCalculationMaker(engine=MLIPEngine(potential="chgnet")).make(licl(), "LiCl")
    spec = asdict(ReferenceSpec("offline", "chgnet"))
    hull = hull_document("LiCl", phase.output, spec, f"hpc-test-hull-{marker}")
    return Flow([phase, hull, needs_marker(marker, 1.5)], name="hpc test flow")
