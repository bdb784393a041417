"""run_flow_locally: a document failed by an upstream exception names that exception."""

import logging

from jobflow import Flow, OnMissing, job

from ssbscreen.store import build_job_store
from ssbscreen.store.queries import find_output
from ssbscreen.workflows.local import JOB_LOG, run_flow_locally
from ssbscreen.workflows.stability import calculation_document

PROVENANCE = {"engine": "mlip", "model": "CHGNet", "model_version": "0.3.0"}


@job
def relaxation_that_diverges(phase: str) -> dict:
    raise RuntimeError(f"the forces on {phase} became NaN at step 12")


@job
def relaxation_that_finishes(phase: str) -> None:
    """A finished job that gives no output (the document then fails on its own terms)."""


def _inputs(phase: str) -> dict:
    """A document job's description of a two-atom phase (stability._document_inputs)."""
    return {
        "key": f"key-{phase}",
        "phase": phase,
        "formula": phase,
        "chemsys": phase,
        "provenance": PROVENANCE,
        "n_atoms": 2,
        "entry_parameters": {},
    }


def document_flow(upstream, phase: str) -> list:
    document = calculation_document(upstream.output, upstream.output, _inputs(phase))
    document.config.on_missing_references = OnMissing.NONE
    return [upstream, document]


def test_the_exception_of_a_failed_job_reaches_the_document_it_failed(tmp_path, monkeypatch):
    # as jobflow-remote's logging setup leaves it (dictConfig disables existing loggers)
    monkeypatch.setattr(logging.getLogger("jobflow.managers.local"), "disabled", True)
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    failing = relaxation_that_diverges("LiCl")
    failing.name = "LiCl relax"
    quiet = relaxation_that_finishes("LiF")
    quiet.name = "LiF relax"
    run_flow_locally(Flow([*document_flow(failing, "LiCl"), *document_flow(quiet, "LiF")]), store)
    store.connect()
    licl = find_output(store, "calculation", "key-LiCl")
    assert licl["state"] == "failed"
    assert licl["reason"] == (
        "the relaxation raised an error "
        "(LiCl relax: RuntimeError: the forces on LiCl became NaN at step 12)"
    )
    # a document whose upstream job did not raise keeps its own reason
    lif = find_output(store, "calculation", "key-LiF")
    assert lif["state"] == "failed" and "LiCl" not in lif["reason"]
    assert JOB_LOG in lif["reason"]


def test_causes_are_recorded_in_a_flow_that_reads_outputs_of_an_earlier_run(tmp_path):
    """A job input from a job outside the flow (a campaign's earlier stage) is a graph node
    without a job; the failure of a job inside the flow still reaches its document."""
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    earlier = relaxation_that_finishes("LiF")
    run_flow_locally(earlier, store)
    failing = relaxation_that_diverges("LiCl")
    failing.name = "LiCl relax"
    reads_earlier = calculation_document(earlier.output, earlier.output, _inputs("LiF"))
    flow = Flow([*document_flow(failing, "LiCl"), reads_earlier])
    run_flow_locally(flow, store, allow_external_references=True)
    store.connect()
    assert "(LiCl relax: RuntimeError" in find_output(store, "calculation", "key-LiCl")["reason"]


@job
def depends_on(value) -> None:
    """A job that needs ``value`` (skipped when the job giving it failed)."""


def test_the_progress_bar_counts_the_jobs_that_ran(tmp_path):
    """A failed job counts as done; a job skipped after it leaves the total, so a finished run
    reads N/N; the bar also shows the elapsed time and a job's name."""
    import io
    import re

    from ssbscreen.workflows.local import progress_bar

    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    failing = relaxation_that_diverges("LiCl")
    failing.name = "LiCl relax"
    finishing = relaxation_that_finishes("LiF")
    finishing.name = "LiF relax"
    stream = io.StringIO()
    with progress_bar(stream):
        run_flow_locally(Flow([failing, depends_on(failing.output), finishing]), store)
    assert re.fullmatch(r"jobs \S+ 2/2 \d+:\d\d:\d\d Li(Cl|F) relax", stream.getvalue().strip())


def test_a_flow_without_jobs_runs_nothing(tmp_path):
    """Everything of a section already stored gives an empty Flow: nothing to run, no error."""
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    assert run_flow_locally(Flow([], name="all stored"), store) == {}
