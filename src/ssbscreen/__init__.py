"""ssbscreen: screening of solid-state lithium battery interfaces with jobflow and atomate2.

The names a Python user needs are importable from here (the README has an example); they
load on first use so that the command line starts quickly.
"""

from importlib import import_module

_EXPORTS = {
    # campaigns: what to screen, run here or as a Flow
    "Campaign": "ssbscreen.workflows.campaign",
    "plan_campaign": "ssbscreen.workflows.campaign",
    "run_campaign": "ssbscreen.workflows.campaign",
    # engines and potentials
    "MLIPEngine": "ssbscreen.workflows.engines",
    "BatchedMLIPEngine": "ssbscreen.workflows.engines",
    "VaspEngine": "ssbscreen.workflows.engines",
    "Cp2kEngine": "ssbscreen.workflows.engines",
    "engine_from_name": "ssbscreen.workflows.engines",
    "POTENTIALS": "ssbscreen.potentials",
    # jobflow Makers
    "PhaseCalculationMaker": "ssbscreen.workflows.stability",
    "DopingStudyMaker": "ssbscreen.workflows.doping",
    "InterfaceMaker": "ssbscreen.workflows.interfaces",
    "NebMaker": "ssbscreen.workflows.neb",
    "HopSelection": "ssbscreen.structures.migration",
    "PhasePhononMaker": "ssbscreen.workflows.phonons",
    # reference sets
    "ReferenceSpec": "ssbscreen.workflows.references",
    "offline_reference_set": "ssbscreen.analysis.references",
    "stored_reference_set": "ssbscreen.workflows.references",
    "build_mp_reference_set": "ssbscreen.workflows.mp_reference_set",
    # analysis of entries and documents
    "hull_result": "ssbscreen.analysis.hull",
    "electrochemical_window": "ssbscreen.analysis.windows",
    "most_negative_reaction": "ssbscreen.analysis.reactions",
    "coating_candidates": "ssbscreen.analysis.coatings",
    "coating_screen": "ssbscreen.analysis.coatings",
    "percolation": "ssbscreen.analysis.migration",
    "render": "ssbscreen.analysis.tables",
    # store and structures
    "build_job_store": "ssbscreen.store",
    "query_outputs": "ssbscreen.store",
    "bulk_structure": "ssbscreen.structures.library",
    "ordered_representative": "ssbscreen.structures.library",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ssbscreen' has no attribute {name!r}")
