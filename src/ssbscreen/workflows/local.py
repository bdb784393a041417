"""jobflow's run_locally, with the cause of each failure written into the documents it failed.

The local manager only logs a job's exception, so a document job downstream of it knows
that its input is missing but not why. ``run_flow_locally`` collects the exceptions from
that log and puts each one into the failed documents that descend from the job that
raised it (jobflow-remote and FireWorks keep the exception with the job themselves).
"""

from __future__ import annotations

import logging
import re

import networkx as nx
from jobflow import Flow, Job, JobStore, run_locally

JOB_LOG = "(see the job log)"  # what a document job writes when an upstream job raised
MAX_CAUSE_CHARS = 300
_FAILURE = re.compile(r"(?P<name>.*) failed with exception:\n(?P<trace>.*)", re.DOTALL)


class _FailureLog(logging.Handler):
    """Job name -> last line of its exception, from jobflow's local manager log."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.causes: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = _FAILURE.fullmatch(record.getMessage())
        if match:
            lines = [line.strip() for line in match["trace"].splitlines() if line.strip()]
            self.causes[match["name"]] = (lines[-1] if lines else "unknown error")[:MAX_CAUSE_CHARS]


def run_flow_locally(flow: Flow | Job, store: JobStore, **kwargs) -> dict[str, str]:
    """run_locally(flow, store, ensure_success=False, log=False, **kwargs); every stored
    document that a raised exception left failed names that exception. Returns the name of
    each job that raised -> the last line of its exception."""
    graph = flow.graph  # taken now: running a job replaces its input references by values
    logger = logging.getLogger("jobflow.managers.local")
    handler, level, disabled = _FailureLog(), logger.level, logger.disabled
    logger.addHandler(handler)
    logger.disabled = False  # e.g. jobflow-remote's dictConfig disables existing loggers
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        run_locally(flow, store=store, ensure_success=False, log=False, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled
    if handler.causes:
        record_causes(graph, store, handler.causes)
    return handler.causes


def record_causes(graph: nx.DiGraph, store: JobStore, causes: dict[str, str]) -> None:
    """Replace JOB_LOG in the stored failed documents downstream of each failed job (by name,
    or the first failure among the jobs that replaced it) in a flow's ``graph`` with that job's
    name and exception."""
    for uuid, job in graph.nodes(data="job"):
        if job is None:  # an input from a job outside the flow (e.g. an earlier stage)
            continue
        # jobs that replace a job at run time are named "<its name> (<part>)"
        own = [c for n, c in causes.items() if n == job.name or n.startswith(f"{job.name} (")]
        if not own:
            continue
        cause = own[0]
        for doc in store.query({"uuid": {"$in": list(nx.descendants(graph, uuid))}}):
            output = doc.get("output")
            reason = output.get("reason") if isinstance(output, dict) else None
            if isinstance(reason, str) and JOB_LOG in reason:
                output["reason"] = reason.replace(JOB_LOG, f"({job.name}: {cause})")
                store.docs_store.update([doc], key=["uuid", "index"])
