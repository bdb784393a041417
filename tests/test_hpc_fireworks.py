"""FireWorks on a real MongoDB server (SecantusDB) and a real Slurm: qlaunch, rapidfire, rerun.

A CHGNet flow (LiCl relax -> static -> document -> hull) and a job that fails until a marker
file exists go to a LaunchPad; one Slurm job (the SLURM qadapter template of hpc_configs/)
runs them, the failure is recorded with its reason, a rerun through rapidfire finishes it,
and ``ssbscreen table`` renders the hull from the store.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "hpc_configs" / "fireworks"


def _database_uri(mongo_uri: str, prefix: str) -> str:
    return f"{mongo_uri.rsplit('/', 1)[0]}/{prefix}_{uuid.uuid4().hex[:8]}"


def test_fireworks_qlaunch_slurm_then_rapidfire_rerun(
    slurm, mongo_uri, tmp_path, monkeypatch, capsys
):
    from fireworks import FWorker, LaunchPad
    from fireworks.core.rocket_launcher import rapidfire
    from fireworks.queue.queue_launcher import launch_rocket_to_queue
    from fireworks.utilities.fw_serializers import load_object_from_file
    from hpc_jobs import mlip_flow

    from ssbscreen.cli import main
    from ssbscreen.store import build_job_store
    from ssbscreen.store.queries import query_outputs
    from ssbscreen.workflows.submit import queue_status, rerun_failed, submit_flow

    store_uri = _database_uri(mongo_uri, "ssb_fw_results")
    template = LaunchPad.from_file(str(TEMPLATES / "my_launchpad.yaml"))
    queue_uri = _database_uri(mongo_uri, "ssb_fw_queue")
    lpad = LaunchPad(
        host=queue_uri,
        name=queue_uri.rsplit("/", 1)[1],
        uri_mode=True,
        mongoclient_kwargs=template.mongoclient_kwargs,
        strm_lvl="WARNING",
    )
    lpad.reset("", require_password=False)
    lpad_file, fworker_file = tmp_path / "my_launchpad.yaml", tmp_path / "my_fworker.yaml"
    lpad.to_file(str(lpad_file))
    fworker = FWorker.from_file(str(TEMPLATES / "my_fworker_mlip.yaml"))
    fworker.to_file(str(fworker_file))

    marker = tmp_path / "marker"
    store = build_job_store(store_uri)
    fw_ids = submit_flow(mlip_flow(str(marker)), "fireworks", store, launchpad=lpad_file)
    assert len(fw_ids) == 5  # relax, static, document, hull, marker job

    # one Slurm job runs every ready Firework (rlaunch rapidfire inside the queue job)
    qadapter = load_object_from_file(str(TEMPLATES / "my_qadapter_slurm.yaml"))
    bindir = Path(sys.executable).parent
    qadapter["rocket_launch"] = f"{bindir}/rlaunch -l {lpad_file} -w {fworker_file} rapidfire"
    qadapter["pre_rocket"] = (
        f"export HF_HUB_OFFLINE=1 PYTHONPATH={ROOT / 'tests'} PATH={bindir}:$PATH"
    )
    qadapter["walltime"] = "00:10:00"
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    launch_dir = tmp_path / "launches"
    launch_dir.mkdir()
    job_id = launch_rocket_to_queue(
        lpad, fworker, qadapter, str(launch_dir), create_launcher_dir=True
    )
    assert job_id, "qlaunch did not submit to Slurm"
    slurm.wait_idle(timeout_s=240)

    status = queue_status("fireworks", launchpad=lpad_file)
    assert status.counts == {"COMPLETED": 4, "FIZZLED": 1}, status
    (failure,) = status.failures
    assert "marker file" in failure["reason"] and "is missing" in failure["reason"]

    # the MLIP results are in the store already; the failed job did not stop them
    store.connect()
    (calc,) = query_outputs(store, "calculation", formula="LiCl", engine="mlip")
    assert calc["state"] == "successful" and calc["chemsys"] == "Cl-Li"
    assert -5.0 < calc["energy_per_atom_ev"] < -3.0  # CHGNet LiCl: about -4 eV/atom
    (hull,) = query_outputs(store, "hull", chemsys="Li-Cl", model="chgnet-0.3.0")
    # the offline reference set holds LiCl relaxed with the same model: on the hull
    assert hull["e_above_hull_ev_per_atom"] == pytest.approx(0.0, abs=0.02)

    marker.write_text("fixed")
    assert rerun_failed("fireworks", launchpad=lpad_file) == [failure["id"]]
    (tmp_path / "rapidfire").mkdir()
    rapidfire(lpad, fworker, str(tmp_path / "rapidfire"))
    status = queue_status("fireworks", launchpad=lpad_file)
    assert status.counts == {"COMPLETED": 5} and not status.failures

    capsys.readouterr()
    assert main(["table", "hull", "--store", store_uri]) == 0
    table = capsys.readouterr().out
    assert "LiCl" in table

    # the same through the command line: submit a campaign file, follow it, finish it
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text("name: cli\nmodel: chgnet\nscreen:\n  windows: [LiCl]\n")
    queue = ["--via", "fireworks", "--launchpad", str(lpad_file)]
    assert main(["submit", str(campaign), *queue, "--store", store_uri]) == 0
    assert "submitted 1 job(s) via fireworks" in capsys.readouterr().out
    assert main(["status", *queue, "--json"]) == 0
    counts = json.loads(capsys.readouterr().out.splitlines()[-1])["counts"]
    assert counts["COMPLETED"] == 5 and counts.get("READY", 0) >= 1  # the window job waits
    rapidfire(lpad, fworker, str(tmp_path / "rapidfire"))
    assert main(["status", *queue, "--rerun-failed", "--json"]) == 0
    status = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert set(status["counts"]) == {"COMPLETED"} and status["rerun"] == []
    assert main(["table", "window", "--store", store_uri]) == 0
    assert "LiCl" in capsys.readouterr().out
    lpad.connection.close()
