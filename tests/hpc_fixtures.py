"""A real single-node Slurm (munged + slurmctld + slurmd) started and stopped by the tests.

Needs Debian's ``slurm-wlm`` and ``munge`` packages and root (the daemons run here as root,
``munged`` as the ``munge`` user); tests using the ``slurm`` fixture skip with the reason
otherwise. Everything (key, sockets, spool, state, logs) lives in one temporary folder, so
the host's /etc/slurm and /etc/munge are neither read nor changed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 60.0
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue")


@dataclass
class SlurmCluster:
    """A running single-node cluster: its config file and the environment clients need."""

    root: Path
    conf: Path
    node: str
    partition: str

    @property
    def env(self) -> dict[str, str]:
        """os.environ plus ``SLURM_CONF`` pointing at this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def sbatch(self, script: Path, cwd: Path) -> str:
        """Submit a batch script; return the job id."""
        out = subprocess.run(
            ["sbatch", "--parsable", str(script)],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().split(";")[0]

    def wait_idle(self, timeout_s: float = 300.0) -> None:
        """Wait until the queue is empty (every job finished)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["squeue", "-h", "-o", "%i"], env=self.env, capture_output=True, text=True
            )
            if out.returncode == 0 and not out.stdout.strip():
                return
            time.sleep(0.5)
        raise TimeoutError(f"Slurm jobs still queued after {timeout_s} s:\n{out.stdout}")


def slurm_missing_reason() -> str | None:
    """Why a local Slurm cannot be started here, or None when it can."""
    missing = [exe for exe in DAEMONS if shutil.which(exe) is None]
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} not on PATH); "
            "install it with 'apt-get install -y slurm-wlm munge'"
        )
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd needs root"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "the 'munge' user (from Debian's munge package) does not exist"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _slurm_conf(root: Path, node: str, cpus: int, memory_mb: int, munge_socket: Path) -> str:
    ctld, slurmd = _free_port(), _free_port()
    return f"""\
ClusterName=ssbtest
SlurmctldHost={node}
SlurmctldPort={ctld}
SlurmdPort={slurmd}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName={node} CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
"""


def _start(cmd: list[str], log: Path, user: str | None = None) -> subprocess.Popen:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def _wait(check, what: str, procs: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited early:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.3)
    tails = "\n".join(log.read_text()[-1500:] for log in logs if log.exists())
    raise RuntimeError(f"{what} did not come up in {START_TIMEOUT_S} s:\n{tails}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def slurm():
    """A single-node Slurm cluster for this test session; yields a SlurmCluster."""
    reason = slurm_missing_reason()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="ssb-slurm-"))
    root.chmod(0o755)  # munged runs as 'munge' and must reach its folder
    munge_dir = root / "munge"
    munge_dir.mkdir(mode=0o700)
    for sub in ("state", "spool", "jobs"):
        (root / sub).mkdir()
    (root / "jobs").chmod(0o777)
    munge_user = pwd.getpwnam("munge")
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    for path in (munge_dir, key):
        os.chown(path, munge_user.pw_uid, munge_user.pw_gid)
    sock = munge_dir / "munge.socket"
    node = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    conf = root / "slurm.conf"
    conf.write_text(_slurm_conf(root, node, cpus, 1024, sock))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    procs: list[subprocess.Popen] = []
    try:
        munge_log = root / "munged.out"
        munged = _start(
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={sock}",
                f"--key-file={key}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--log-file={munge_dir / 'munged.log'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
            ],
            munge_log,
            user="munge",
        )
        procs.append(munged)
        _wait(lambda: sock.exists(), "munged", procs, [munge_log])
        ctld_log, slurmd_log = root / "slurmctld.out", root / "slurmd.out"
        procs.append(_start(["slurmctld", "-D", "-f", str(conf)], ctld_log))
        procs.append(_start(["slurmd", "-D", "-f", str(conf)], slurmd_log))
        logs = [munge_log, ctld_log, slurmd_log]

        def node_idle() -> bool:
            out = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True
            )
            return out.returncode == 0 and out.stdout.strip().startswith("idle")

        _wait(node_idle, "the Slurm node", procs, logs)
        yield SlurmCluster(root=root, conf=conf, node=node, partition="debug")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)
