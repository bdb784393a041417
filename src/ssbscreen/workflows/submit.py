"""Send a campaign to an HPC queue (jobflow-remote or FireWorks) and follow its state.

The Flow is the one ``ssbscreen run`` would run locally (only what the store lacks); its
outputs go to the same JobStore, so ``ssbscreen table`` renders them wherever they ran.

jobflow-remote: the project (``~/.jfremote/<project>.yaml``, see ``hpc_configs/``) names the
workers and the JobStore. FireWorks: the LaunchPad file (``my_launchpad.yaml``) names the
queue database; the JobStore travels inside each Firework (``flow_to_workflow(store=...)``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jobflow import Flow, JobStore

VIA = ("jobflow-remote", "fireworks")


@dataclass
class QueueStatus:
    """Jobs per state, and the failed ones with their reasons."""

    via: str
    counts: dict[str, int]
    failures: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain JSON-ready form."""
        return {"via": self.via, "counts": self.counts, "failures": self.failures}


def campaign_flow(path: str | Path, store: JobStore) -> Flow:
    """The Flow of a campaign file: the jobs of its sections not yet stored."""
    from ssbscreen.workflows.campaign_file import read_campaign_file, section_flows

    content = read_campaign_file(path)
    flows = [section.flow for section in section_flows(content, store)]
    return Flow(flows, name=str(content.get("name", Path(path).stem)))


def _check_via(via: str) -> None:
    if via not in VIA:
        raise ValueError(f"--via {via!r} is not a queue system; use one of {', '.join(VIA)}.")


def load_launchpad(launchpad: str | Path | None = None):
    """The FireWorks LaunchPad of a file, else of $LAUNCHPAD_LOC / my_launchpad.yaml."""
    from fireworks import LaunchPad

    if launchpad is None:
        return LaunchPad.auto_load()
    path = Path(launchpad)
    if not path.is_file():
        raise ValueError(f"The LaunchPad file {path} does not exist; pass --launchpad FILE.")
    return LaunchPad.from_file(str(path))


def submit_flow(
    flow: Flow,
    via: str,
    store: JobStore,
    launchpad: str | Path | None = None,
    project: str | None = None,
    worker: str | None = None,
) -> list[str]:
    """Add ``flow`` to the queue database; return the ids of what was added.

    jobflow-remote: job db ids in ``project`` (its JobStore receives the outputs, so it must
    be the store ``store`` describes). FireWorks: Firework ids; ``store`` goes into every
    Firework, since a Firework without one would send its outputs nowhere.
    """
    _check_via(via)
    if not flow.jobs:
        return []
    if via == "fireworks":
        from jobflow.managers.fireworks import flow_to_workflow

        lpad = load_launchpad(launchpad)
        mapping = lpad.add_wf(flow_to_workflow(flow, store=store))
        return [str(fw_id) for fw_id in mapping.values()]
    from jobflow_remote import submit_flow as jfr_submit

    return [str(i) for i in jfr_submit(flow, worker=worker, project=project)]


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no reason recorded"


def _fireworks_failures(lpad) -> list[dict]:
    failures = []
    for fw_id in lpad.get_fw_ids({"state": "FIZZLED"}):
        fw = lpad.get_fw_by_id(fw_id)
        reason = "no launch recorded"
        if fw.launches:
            data = fw.launches[-1].action.stored_data if fw.launches[-1].action else {}
            exc = (data or {}).get("_exception", {})
            reason = _last_line(exc.get("_stacktrace") or exc.get("_details"))
        failures.append({"id": str(fw_id), "name": fw.name, "reason": reason})
    return failures


def queue_status(
    via: str, launchpad: str | Path | None = None, project: str | None = None
) -> QueueStatus:
    """Counts of jobs by state and the failures (last line of the error) in the queue."""
    _check_via(via)
    if via == "fireworks":
        lpad = load_launchpad(launchpad)
        states = Counter(d["state"] for d in lpad.fireworks.find({}, {"state": 1}))
        return QueueStatus(via, dict(sorted(states.items())), _fireworks_failures(lpad))
    from jobflow_remote import JobController
    from jobflow_remote.jobs.state import JobState

    controller = JobController.from_project_name(project)
    states = Counter(d["state"] for d in controller.jobs.find({}, {"state": 1}))
    failed = controller.get_jobs_info(states=[JobState.FAILED, JobState.REMOTE_ERROR])
    failures = [
        {"id": info.db_id, "name": info.name, "reason": _last_line(info.error or info.remote.error)}
        for info in failed
    ]
    return QueueStatus(via, {k.upper(): v for k, v in sorted(states.items())}, failures)


def rerun_failed(
    via: str, launchpad: str | Path | None = None, project: str | None = None
) -> list[str]:
    """Put every failed job back in the queue (READY); return their ids."""
    _check_via(via)
    if via == "fireworks":
        lpad = load_launchpad(launchpad)
        ids = lpad.get_fw_ids({"state": "FIZZLED"})
        for fw_id in ids:
            lpad.rerun_fw(fw_id)
        return [str(i) for i in ids]
    from jobflow_remote import JobController
    from jobflow_remote.jobs.state import JobState

    controller = JobController.from_project_name(project)
    return controller.rerun_jobs(states=[JobState.FAILED, JobState.REMOTE_ERROR], force=True)
