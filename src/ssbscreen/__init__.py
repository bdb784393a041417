"""ssbscreen: screening of solid-state lithium battery interfaces with jobflow and atomate2.

The names a user needs are importable from here; they load on first use so that the
command line starts quickly.
"""

from importlib import import_module

_EXPORTS = {
    "Campaign": "ssbscreen.workflows.campaign",
    "run_campaign": "ssbscreen.workflows.campaign",
    "MLIPEngine": "ssbscreen.workflows.engines",
    "ReferenceSpec": "ssbscreen.workflows.references",
    "offline_reference_set": "ssbscreen.analysis.references",
    "stored_reference_set": "ssbscreen.workflows.references",
    "build_mp_reference_set": "ssbscreen.workflows.mp_reference_set",
    "hull_result": "ssbscreen.analysis.hull",
    "electrochemical_window": "ssbscreen.analysis.windows",
    "most_negative_reaction": "ssbscreen.analysis.reactions",
    "coating_candidates": "ssbscreen.analysis.coatings",
    "coating_screen": "ssbscreen.analysis.coatings",
    "build_job_store": "ssbscreen.store",
    "bulk_structure": "ssbscreen.structures.library",
    "ordered_representative": "ssbscreen.structures.library",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ssbscreen' has no attribute {name!r}")
