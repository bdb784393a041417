"""The hpc_configs/ templates load with the libraries' own parsers and say what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CONFIGS = Path(__file__).resolve().parents[1] / "hpc_configs"


def test_jobflow_remote_project_template():
    from jobflow_remote.config.base import LocalWorker, Project, RemoteWorker

    project = Project.model_validate(
        yaml.safe_load((CONFIGS / "jobflow-remote/ssbscreen.yaml").read_text())
    )
    assert set(project.workers) == {"mlip_slurm", "vasp_slurm", "mlip_pbs", "vasp_pbs"}
    assert isinstance(project.workers["mlip_slurm"], LocalWorker)
    assert isinstance(project.workers["vasp_pbs"], RemoteWorker)
    schedulers = {name: w.scheduler_type for name, w in project.workers.items()}
    assert schedulers == {
        "mlip_slurm": "slurm",
        "vasp_slurm": "slurm",
        "mlip_pbs": "pbs",
        "vasp_pbs": "pbs",
    }
    store = project.get_jobstore()
    assert type(store.additional_stores["data"]).__name__ == "GridFSStore"
    assert "module load vasp" in project.workers["vasp_slurm"].pre_run


@pytest.mark.parametrize(("name", "q_type"), [("slurm", "SLURM"), ("pbs", "PBS")])
def test_fireworks_qadapter_templates_render(name, q_type):
    from fireworks.utilities.fw_serializers import load_object_from_file

    adapter = load_object_from_file(str(CONFIGS / f"fireworks/my_qadapter_{name}.yaml"))
    assert adapter.q_type == q_type
    script = adapter.get_script_str(".")
    directive = "#SBATCH" if q_type == "SLURM" else "#PBS"
    assert directive in script and "rlaunch" in script
    assert "None" not in script  # unset options are dropped, not written as None


def test_fireworks_launchpad_and_fworkers():
    from fireworks import FWorker, LaunchPad

    lpad = LaunchPad.from_file(str(CONFIGS / "fireworks/my_launchpad.yaml"))
    assert lpad.uri_mode and lpad.name == "ssbscreen_fireworks"
    engines = {
        FWorker.from_file(str(CONFIGS / f"fireworks/my_fworker_{e}.yaml")).env["engine"]
        for e in ("mlip", "vasp")
    }
    assert engines == {"mlip", "vasp"}
    lpad.connection.close()


def test_atomate2_and_jobflow_settings(monkeypatch):
    from atomate2.settings import Atomate2Settings
    from jobflow.settings import JobflowSettings

    monkeypatch.setenv("ATOMATE2_CONFIG_FILE", str(CONFIGS / "atomate2/atomate2.yaml"))
    settings = Atomate2Settings()
    assert settings.VASP_CMD == "srun vasp_std" and settings.VASP_CUSTODIAN_MAX_ERRORS == 5
    monkeypatch.setenv("JOBFLOW_CONFIG_FILE", str(CONFIGS / "atomate2/jobflow.yaml"))
    store = JobflowSettings().JOB_STORE
    assert store.docs_store.collection_name == "outputs"
    assert set(store.additional_stores) == {"data"}
