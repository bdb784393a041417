"""jobflow-remote with a SLURM worker on this host: the CHGNet LiCl flow and a failing job.

The queue database and the JobStore are on the SecantusDB server; each job is an sbatch job
on the test's own Slurm. The failure is recorded with its reason, ``rerun_failed`` and a
second runner pass finish it, and ``ssbscreen table`` renders the hull from the store.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

ROOT = Path(__file__).resolve().parents[1]


def test_jobflow_remote_slurm_worker(slurm, mongo_uri, tmp_path, monkeypatch, capsys):
    import jobflow_remote
    from hpc_jobs import mlip_flow
    from jobflow_remote.jobs.runner import Runner

    from ssbscreen.cli import main
    from ssbscreen.potentials import get_potential
    from ssbscreen.store import build_job_store
    from ssbscreen.store.queries import query_outputs
    from ssbscreen.workflows.submit import queue_status, rerun_failed, submit_flow

    base, _ = mongo_uri.rsplit("/", 1)
    tag = uuid.uuid4().hex[:8]
    store_uri = f"{base}/ssb_jfr_results_{tag}"
    store = build_job_store(store_uri)
    host, port = base.removeprefix("mongodb://").split(":")
    bindir = Path(sys.executable).parent
    name = f"ssbtest_{tag}"
    project = {
        "name": name,
        "base_dir": str(tmp_path / "project"),
        "workers": {
            "mlip_slurm": {
                "type": "local",
                "scheduler_type": "slurm",
                "work_dir": str(tmp_path / "runs"),
                "resources": {"partition": slurm.partition, "ntasks": 1, "time": "00:10:00"},
                "pre_run": f"export HF_HUB_OFFLINE=1 PYTHONPATH={ROOT / 'tests'} "
                f"PATH={bindir}:$PATH SLURM_CONF={slurm.conf}",
            }
        },
        "queue": {
            "store": {
                "type": "MongoStore",
                "host": host,
                "port": int(port),
                "database": f"ssb_jfr_queue_{tag}",
                "collection_name": "jobs",
            }
        },
        "jobstore": store.as_dict(),
        "runner": {
            "delay_checkout": 1,
            "delay_check_run_status": 1,
            "delay_advance_status": 1,
        },
    }
    folder = tmp_path / "jfremote"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(project))
    monkeypatch.setattr(jobflow_remote.SETTINGS, "projects_folder", str(folder))
    monkeypatch.setattr(jobflow_remote.SETTINGS, "project", name)
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))

    from jobflow_remote import JobController

    JobController.from_project_name(name).reset(max_limit=0)
    marker = tmp_path / "marker"
    ids = submit_flow(mlip_flow(str(marker)), "jobflow-remote", store, worker="mlip_slurm")
    assert len(ids) == 5

    runner = Runner(project_name=name)
    runner.run_all_jobs(max_seconds=300)
    status = queue_status("jobflow-remote", project=name)
    assert status.counts == {"COMPLETED": 4, "FAILED": 1}, status
    (failure,) = status.failures
    assert "marker file" in failure["reason"] and "is missing" in failure["reason"]

    store.connect()
    model = get_potential("chgnet").model_name
    (calc,) = query_outputs(store, "calculation", chemsys="Cl-Li", model=model)
    assert calc["state"] == "successful" and -5.0 < calc["energy_per_atom_ev"] < -3.0
    store.close()

    marker.write_text("fixed")
    assert rerun_failed("jobflow-remote", project=name) == [failure["id"]]
    runner.run_all_jobs(max_seconds=120)
    status = queue_status("jobflow-remote", project=name)
    assert status.counts == {"COMPLETED": 5} and not status.failures

    capsys.readouterr()
    assert main(["table", "hull", "--store", store_uri]) == 0
    assert "LiCl" in capsys.readouterr().out
