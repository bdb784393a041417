"""Store configuration and jobflow round trips on the embedded store and a real MongoDB server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from jobflow import Flow, job, run_locally

from ssbscreen.store import (
    ENV_VAR,
    StoreConnectionError,
    build_collection,
    build_job_store,
    redact_uri,
    resolve_store_uri,
)
from ssbscreen.store.queries import find_output, stored_jobs

BIG_N = 50_000
pytestmark = pytest.mark.filterwarnings("ignore:Some jobs are not connected")


@job
def add(a: float, b: float) -> float:
    """a + b."""
    return a + b


@job(data="big")
def make_big(n: int) -> dict:
    """A large list routed to the additional store ``data``."""
    return {"big": list(range(n)), "n": n}


def _run_tiny_flow(store):
    """Run add(add(1, 2), 3) and make_big; return (sum job, big job)."""
    first = add(1, 2)
    second = add(first.output, 3)
    big = make_big(BIG_N)
    run_locally(Flow([first, second, big]), store=store, ensure_success=True)
    return second, big


@job(data="big")
def keyed_big(key: str) -> dict:
    """A keyed output whose list goes to the additional store ``data``."""
    return {"kind": "big", "key": key, "big": [1, 2, 3]}


def _check_jobs_without_their_data_are_passed_over(store) -> None:
    """As a run killed between jobflow's two writes leaves a job: document, but no data."""
    older, newer = keyed_big("k"), keyed_big("k")
    run_locally(older, store=store, ensure_success=True)
    run_locally(newer, store=store, ensure_success=True)
    store.connect()
    try:
        assert [j["uuid"] for j in stored_jobs(store, "big", "k")] == [newer.uuid, older.uuid]
        blob = find_output(store, "big", "k")["big"]["blob_uuid"]
        store.additional_stores["data"].remove_docs({"blob_uuid": blob})
        complete = [j["uuid"] for j in stored_jobs(store, "big", "k", complete=True)]
        assert complete == [older.uuid]
    finally:
        store.close()


def _check_readback(store, sum_uuid: str, big_uuid: str) -> None:
    store.connect()
    try:
        assert store.get_output(sum_uuid) == 6
        ref = store.get_output(big_uuid)["big"]
        assert ref["store"] == "data" and "blob_uuid" in ref  # routed out of the docs store
        out = store.get_output(big_uuid, load=True)
        assert out["n"] == BIG_N and out["big"][-1] == BIG_N - 1
        assert store.additional_stores["data"].count({"job_uuid": big_uuid}) == 1
    finally:
        store.close()


# --- configuration ---------------------------------------------------------------------


def test_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_store_uri(workdir=tmp_path) == f"embedded://{tmp_path.resolve()}/ssbscreen_store"

    (tmp_path / "ssbscreen.yaml").write_text("store: mongodb://cfg-host:27017/cfgdb\n")
    assert resolve_store_uri(workdir=tmp_path) == "mongodb://cfg-host:27017/cfgdb"

    monkeypatch.setenv(ENV_VAR, "mongodb+srv://u:p@cluster0.example.net/envdb")
    assert resolve_store_uri(workdir=tmp_path) == "mongodb+srv://u:p@cluster0.example.net/envdb"

    explicit = resolve_store_uri("embedded://here", workdir=tmp_path)
    assert explicit == f"embedded://{(tmp_path / 'here').resolve()}"


@pytest.mark.parametrize(
    "bad",
    ["mongo://host/db", "embedded://", "mongodb://host:notaport/db", "mongodb://h/bad.db", " "],
)
def test_bad_values_name_setting_and_fix(bad, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ValueError, match=r"argument 'uri'.*use 'embedded://PATH'"):
        resolve_store_uri(bad, workdir=tmp_path)


def test_bad_env_and_config_named(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "postgres://u:hunter2@h/db")
    with pytest.raises(ValueError, match=r"\$SSBSCREEN_STORE") as err:
        resolve_store_uri(workdir=tmp_path)
    assert "hunter2" not in str(err.value)
    monkeypatch.delenv(ENV_VAR)
    (tmp_path / "ssbscreen.yaml").write_text("store: [1, 2]\n")
    with pytest.raises(ValueError, match=r"ssbscreen\.yaml"):
        resolve_store_uri(workdir=tmp_path)


def test_redact_uri():
    assert (
        redact_uri("mongodb://bob:s3cr%40t@h1:1,h2:2/db?w=1")
        == "mongodb://bob:***@h1:1,h2:2/db?w=1"
    )
    assert redact_uri("mongodb+srv://bob:p@ss/w@c.example.net/db") == (
        "mongodb+srv://bob:***@c.example.net/db"
    )
    assert "TOKEN" not in redact_uri("mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:x")
    assert redact_uri("mongodb://h:27017/db") == "mongodb://h:27017/db"


def test_unreachable_mongo_fails_fast_without_password():
    start = time.monotonic()
    with pytest.raises(StoreConnectionError, match="SSBSCREEN_STORE") as err:
        build_job_store("mongodb://bob:hunter2@127.0.0.1:1/db")
    assert time.monotonic() - start < 8
    assert "hunter2" not in str(err.value) and "bob:***@127.0.0.1:1" in str(err.value)


# --- embedded (MontyDB) ----------------------------------------------------------------


def test_embedded_flow_roundtrip(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    second, big = _run_tiny_flow(build_job_store(workdir=tmp_path))
    assert (tmp_path / "ssbscreen_store").is_dir()
    _check_readback(build_job_store(workdir=tmp_path), second.uuid, big.uuid)


def test_embedded_jobs_without_their_data_are_passed_over(tmp_path):
    _check_jobs_without_their_data_are_passed_over(build_job_store(f"embedded://{tmp_path}"))


def test_embedded_persists_across_processes(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    uri = f"embedded://{tmp_path / 'store'}"
    script = textwrap.dedent(
        f"""
        from jobflow import Flow, job, run_locally
        from ssbscreen.store import build_job_store

        @job
        def add(a, b):
            return a + b

        @job(data="big")
        def make_big(n):
            return {{"big": list(range(n)), "n": n}}

        first = add(1, 2)
        second = add(first.output, 3)
        big = make_big({BIG_N})
        run_locally(Flow([first, second, big]), store=build_job_store({uri!r}))
        print(second.uuid, big.uuid)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    sum_uuid, big_uuid = proc.stdout.split()[-2:]
    _check_readback(build_job_store(uri), sum_uuid, big_uuid)

    cache = build_collection("mp_entries", uri)
    cache.connect()
    cache.update([{"chemsys": "Cl-Li", "n": 3}], key="chemsys")
    cache.close()
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ssbscreen.store import build_collection as b; s = b('mp_entries', "
            f"{uri!r}); s.connect(); print(s.query_one({{'chemsys': 'Cl-Li'}})['n'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert check.stdout.strip() == "3"


# --- real MongoDB wire protocol (SecantusDB) -------------------------------------------


@pytest.mark.slow
def test_mongo_flow_roundtrip(mongo_uri):
    second, big = _run_tiny_flow(build_job_store(mongo_uri))
    _check_readback(build_job_store(mongo_uri), second.uuid, big.uuid)


@pytest.mark.slow
def test_mongo_jobs_without_their_data_are_passed_over(mongo_uri):
    _check_jobs_without_their_data_are_passed_over(build_job_store(mongo_uri))


@pytest.mark.slow
def test_mongo_collection_roundtrip(mongo_uri, monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, mongo_uri)
    store = build_collection("results", workdir=tmp_path)
    store.connect()
    store.update([{"key": "a", "value": 1.5}, {"key": "b", "value": 2.5}], key="key")
    store.close()
    again = build_collection("results", workdir=tmp_path)
    again.connect()
    assert sorted(d["value"] for d in again.query({}, ["value"])) == [1.5, 2.5]
    assert again._collection.database.name == mongo_uri.rsplit("/", 1)[1]
    again.close()
