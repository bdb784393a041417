"""Store configuration and jobflow round trips on the embedded store and a real MongoDB server."""

from __future__ import annotations

import sqlite3
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


# --- embedded indexes --------------------------------------------------------------------

TRICKY_OUTPUTS = [
    {"uuid": "u1", "index": 1, "output": {"kind": "calculation", "key": "a", "formula": "LiCl"}},
    {
        "uuid": "u2",
        "index": 2,
        "output": [{"kind": "doping", "key": "b", "host": "Y"}, {"kind": "doping", "host": "LiCl"}],
    },
    {"uuid": "u3", "index": 1.0, "output": {"kind": "reaction", "phases": ["LiCl", "Li2S"]}},
    {"uuid": "u4", "index": True, "output": {"kind": "calculation", "key": 7, "formula": None}},
    {"uuid": "u5", "output": {"kind": ["calculation", "hull"], "formula": {"nested": "LiCl"}}},
    {"uuid": "u6", "index": 3, "output": {"kind": "calculation", "key": "7", "formula": "LiCl"}},
    {"uuid": "u7", "index": 4, "output": [[{"kind": "calculation", "formula": "LiCl"}]]},
    {"uuid": "u8", "index": 5, "output": {"kind": "calculation", "formula": "LiCl"}},
]
TRICKY_QUERIES = [
    {"output.formula": "LiCl"},
    {"output.formula": "Li2S"},
    {"output.kind": "calculation"},
    {"index": 1},
    {"index": {"$in": [1, 2]}},
    {"index": True},
    {"output.host": "LiCl"},
    {"output.phases": "LiCl"},
    {"output.key": 7},
    {"output.key": "7"},
    {"output.0.kind": "doping"},
    {"output.kind": {"$eq": "hull"}},
    {"$or": [{"output.phases": {"$in": ["Li2S"]}}, {"output.host": "LiCl"}]},
    {"$and": [{"output.kind": "calculation"}, {"output.formula": "LiCl"}]},
    {"output.kind": "calculation", "output.formula": {"$ne": "LiCl"}},
    {"output.formula": {"nested": "LiCl"}},
    {"output.formula": None},
    {"uuid": {"$regex": "^u[12]$"}},
]
TRICKY_FIELDS = ("uuid", "index", "output.kind", "output.key", "output.formula", "output.host")
TRICKY_FIELDS += ("output.phases", "output.0.kind")


def _monty_collection(folder, storage: str, fields=()):
    from montydb import MontyClient, set_storage

    from ssbscreen.store.indexed_sqlite import collection_file, ensure_index_fields

    set_storage(str(folder), storage=storage, use_bson=True)
    collection = MontyClient(str(folder))["db"]["outputs"]
    if fields:
        collection.database.create_collection("outputs")
        ensure_index_fields(collection_file(folder, "db", "outputs"), fields)
    return collection


def test_index_lookups_answer_as_a_full_scan(tmp_path):
    """Arrays on the way and at the end, ints and floats, bools, None, nested documents,
    $in/$or/$and/$regex: the indexed engine returns what MontyDB's full scan returns."""
    from ssbscreen.store.indexed_sqlite import ENGINE

    indexed = _monty_collection(tmp_path / "indexed", ENGINE, TRICKY_FIELDS)
    scanned = _monty_collection(tmp_path / "scanned", "sqlite")
    for collection in (indexed, scanned):
        collection.insert_many([dict(doc) for doc in TRICKY_OUTPUTS])
    indexed.update_one({"uuid": "u6"}, {"$set": {"output.formula": "Li2S"}})  # re-indexed
    indexed.delete_one({"uuid": "u8"})  # leaves the index
    scanned.update_one({"uuid": "u6"}, {"$set": {"output.formula": "Li2S"}})
    scanned.delete_one({"uuid": "u8"})
    for query in TRICKY_QUERIES:
        found = sorted(doc["uuid"] for doc in indexed.find(query))
        assert found == sorted(doc["uuid"] for doc in scanned.find(query)), query
    assert sorted(d["uuid"] for d in indexed.find({"output.formula": "LiCl"})) == ["u1"]


@pytest.fixture
def decoded(monkeypatch) -> list:
    """One item per document the indexed engine decodes, from the test's start (clearable)."""
    from ssbscreen.store.indexed_sqlite import IndexedSQLiteCursor

    count: list = []
    original = IndexedSQLiteCursor._decode_doc
    monkeypatch.setattr(
        IndexedSQLiteCursor,
        "_decode_doc",
        lambda self, raw: count.append(1) or original(self, raw),
    )
    return count


def test_index_reads_only_the_matching_documents(tmp_path, decoded):
    """The lookup takes the most selective condition (here the formula, not the kind that
    more than ``PROBE_ROWS`` documents share) and decodes only its documents."""
    from ssbscreen.store.indexed_sqlite import ENGINE, PROBE_ROWS

    collection = _monty_collection(tmp_path, ENGINE, TRICKY_FIELDS)
    filler = [
        {"uuid": f"f{i}", "index": 1, "output": {"kind": "calculation", "formula": "Li2O"}}
        for i in range(PROBE_ROWS + 200)
    ]
    collection.insert_many(filler + [dict(doc) for doc in TRICKY_OUTPUTS])
    decoded.clear()  # what the lookup decodes, not the setup
    found = collection.find({"output.kind": "calculation", "output.formula": "LiCl"})
    assert sorted(d["uuid"] for d in found) == ["u1", "u6", "u8"]
    assert len(decoded) < 10
    decoded.clear()
    list(collection.find({"output.formula": {"$exists": True}}))  # no lookup: a full scan
    assert len(decoded) == len(filler) + len(TRICKY_OUTPUTS)


def test_store_of_plain_montydb_is_indexed_on_open(tmp_path):
    """A store written before issue 25 (MontyDB's SQLite engine) keeps its data, is indexed
    when ssbscreen opens it, and the plain engine can no longer write to it unnoticed."""
    from maggma.stores import MontyStore

    from ssbscreen.store.indexed_sqlite import ENGINE

    folder = tmp_path / "old"
    folder.mkdir()
    old = MontyStore(
        "outputs", database_path=str(folder), database_name="ssbscreen", storage="sqlite"
    )
    old.connect()
    old.update([dict(doc, index=1) for doc in TRICKY_OUTPUTS[:2]], key=["uuid", "index"])
    old.close()
    store = build_job_store(f"embedded://{folder}")
    store.connect()
    assert (folder / ".monty.storage").read_text().strip() == ENGINE
    assert [d["uuid"] for d in store.query({"output.formula": "LiCl"}, ["uuid"])] == ["u1"]
    assert store.docs_store.count({"uuid": "u2", "index": 1}) == 1
    store.close()
    old.connect(force_reset=True)  # maggma's MontyStore sets the plain engine back
    with pytest.raises(sqlite3.OperationalError, match="ssb_index_values"):
        old.update([{"uuid": "u9", "index": 1}], key=["uuid", "index"])
    old.close()


def test_embedded_writes_read_only_the_matching_documents(tmp_path, decoded):
    """jobflow's upsert on (uuid, index) and a removal look their documents up in the index
    (MontyDB's own updates decode every document of the collection)."""

    store = build_job_store(f"embedded://{tmp_path}")
    store.connect()
    filler = [{"uuid": f"f{i}", "index": 1, "output": {"kind": "calculation"}} for i in range(300)]
    store.docs_store._collection.insert_many(filler)
    decoded.clear()
    store.update({"uuid": "f7", "index": 1, "output": {"kind": "hull"}}, key=["uuid", "index"])
    store.update({"uuid": "new", "index": 1, "output": {"kind": "hull"}}, key=["uuid", "index"])
    store.docs_store.remove_docs({"uuid": "f8"})
    assert len(decoded) < 10
    assert store.count({"output.kind": "hull"}) == 2 and store.count() == 300
    store.close()


def test_embedded_reaction_formula_query_reads_only_its_reactions(tmp_path, decoded):
    """``query reaction --formula`` looks in the phases (an ``$or`` over the phase fields):
    the index answers it, so only the reactions with that phase are decoded."""
    from ssbscreen.store import query_outputs

    store = build_job_store(f"embedded://{tmp_path}")
    store.connect()
    reactions = [
        {"uuid": f"r{i}", "index": 1, "output": {"kind": "reaction", "key": f"r{i}"}}
        for i in range(300)
    ]
    for i, doc in enumerate(reactions):
        doc["output"]["phases"] = ["Li3InCl6", "LiCoO2"] if i == 7 else ["Li6PS5Cl", "LiNbO3"]
    store.docs_store._collection.insert_many(reactions)
    decoded.clear()
    assert [d["key"] for d in query_outputs(store, "reaction", formula="Li3InCl6")] == ["r7"]
    assert len(decoded) == 1
    store.close()
