"""jobflow's run_locally, with the cause of each failure written into the documents it failed.

The local manager only logs a job's exception, so a document job downstream of it knows
that its input is missing but not why. ``run_flow_locally`` collects the exceptions from
that log and puts each one into the failed documents that descend from the job that
raised it (jobflow-remote and FireWorks keep the exception with the job themselves).
Inside ``progress_bar(stream)`` each run also draws jobs done / total, the current job and the
elapsed time on ``stream``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import networkx as nx
from jobflow import Flow, Job, JobStore, run_locally
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

JOB_LOG = "(see the job log)"  # what a document job writes when an upstream job raised
MAX_CAUSE_CHARS = 300
_FAILURE = re.compile(r"(?P<name>.*) failed with exception:\n(?P<trace>.*)", re.DOTALL)
_JOB_EVENT = re.compile(r"(?P<event>Starting|Finished) job - (?P<name>.*) \(")
JOB_LOGGERS = ("jobflow.core.job", "jobflow.managers.local")  # job starts/ends, failures


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


class _JobProgress(logging.Handler):
    """A rich progress bar of the jobs run locally, advanced by jobflow's job log."""

    def __init__(self, stream: TextIO):
        super().__init__(logging.INFO)
        self.bar = Progress(
            TextColumn("jobs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(file=stream),
            transient=stream.isatty(),  # a terminal keeps only the answer; a log keeps the bar
            redirect_stdout=False,  # what libraries print goes where the command sent it
            redirect_stderr=False,
        )
        self.task = self.bar.add_task("", total=0)
        self.started = 0

    def add_jobs(self, n_jobs: int) -> None:
        """Expect ``n_jobs`` more jobs (the bar starts with the first)."""
        self.bar.update(self.task, total=self.bar.tasks[0].total + n_jobs)
        self.bar.start()

    def settle(self) -> None:
        """After a run: its jobs that never started (a parent failed) leave the total."""
        self.bar.update(self.task, total=self.started)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        event = _JOB_EVENT.match(message)
        if event and event["event"] == "Starting":
            self.started += 1  # a job may add jobs at run time: the total grows with them
            total = max(self.bar.tasks[0].total, self.started)
            self.bar.update(self.task, total=total, description=event["name"])
        elif event or _FAILURE.fullmatch(message):
            self.bar.advance(self.task)


_progress: _JobProgress | None = None  # set inside progress_bar()


@contextmanager
def progress_bar(stream: TextIO) -> Iterator[None]:
    """While open, every run_flow_locally draws jobs done / total, the current job and the
    elapsed time on ``stream``."""
    global _progress
    _progress = _JobProgress(stream)
    try:
        yield
    finally:
        if _progress.bar.live.is_started:  # a bar that never started draws nothing
            _progress.bar.stop()
        _progress = None


def run_flow_locally(flow: Flow | Job, store: JobStore, **kwargs) -> dict[str, str]:
    """run_locally(flow, store, ensure_success=False, log=False, **kwargs); every stored
    document that a raised exception left failed names that exception. Returns the name of
    each job that raised -> the last line of its exception. A Flow without jobs (everything
    stored already) runs nothing."""
    if isinstance(flow, Flow) and not flow.jobs:
        return {}
    graph = flow.graph  # taken now: running a job replaces its input references by values
    failures = _FailureLog()
    handlers = [failures] if _progress is None else [failures, _progress]
    if _progress is not None:
        _progress.add_jobs(sum(job is not None for _, job in graph.nodes(data="job")))
    loggers = [logging.getLogger(name) for name in JOB_LOGGERS]
    saved = [(logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        for handler in handlers:
            logger.addHandler(handler)
        logger.disabled = False  # e.g. jobflow-remote's dictConfig disables existing loggers
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        run_locally(flow, store=store, ensure_success=False, log=False, **kwargs)
    finally:
        for logger, (level, disabled) in zip(loggers, saved, strict=True):
            for handler in handlers:
                logger.removeHandler(handler)
            logger.setLevel(level)
            logger.disabled = disabled
        if _progress is not None:
            _progress.settle()
    if failures.causes:
        record_causes(graph, store, failures.causes)
    return failures.causes


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
