"""Shared fixtures: a real MongoDB wire-protocol server (SecantusDB) on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hpc_fixtures import slurm  # noqa: F401  (session fixture: a real single-node Slurm)

SERVER_EXE = "secantusd-py"
START_TIMEOUT_S = 30.0


def _find_server() -> str | None:
    """``secantusd-py`` next to the running interpreter (venv bin) or on PATH."""
    local = Path(sys.executable).parent / SERVER_EXE
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(SERVER_EXE)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_ping(uri: str, proc: subprocess.Popen, log: Path) -> None:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{SERVER_EXE} exited early:\n{log.read_text()[-2000:]}")
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.1)
    raise RuntimeError(f"{SERVER_EXE} did not answer ping in {START_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    """URI of a fresh SecantusDB server: ``mongodb://127.0.0.1:PORT/ssbscreen_test_<random>``."""
    exe = _find_server()
    if exe is None:
        pytest.skip(
            f"{SERVER_EXE} (SecantusDB) is not installed next to {sys.executable} or on PATH"
        )
    storage = tmp_path_factory.mktemp("secantus")
    log = storage.parent / f"{storage.name}.log"
    port = _free_port()
    cmd = [exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage / "db")]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=storage)
    base = f"mongodb://127.0.0.1:{port}"
    try:
        _wait_for_ping(base, proc, log)
        yield f"{base}/ssbscreen_test_{uuid.uuid4().hex[:8]}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
