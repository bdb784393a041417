"""Production store: query filters and indexes, `store copy`, the MP cache, bad settings, and
concurrent writers, on the embedded store and a real MongoDB wire-protocol server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from pymongo import MongoClient

from ssbscreen.cli import main
from ssbscreen.store import (
    ENV_VAR,
    PASSWORD_ENV,
    USERNAME_ENV,
    StoreAuthenticationError,
    build_collection,
    build_job_store,
    copy_store,
    query_outputs,
    resolve_store_uri,
)

pytestmark = pytest.mark.filterwarnings("ignore")


def _prov(model="CHGNet-0.3.0", engine="mlip"):
    return {"engine": engine, "model": model, "model_version": "0.4.2"}


def _documents() -> list[dict]:
    """Jobflow-shaped output documents of several kinds, engines and campaigns."""
    outputs = [
        {"kind": "calculation", "key": "c1", "formula": "Li3InCl6", "chemsys": "Cl-In-Li"},
        {"kind": "calculation", "key": "c2", "formula": "LiCl", "chemsys": "Cl-Li"},
        {"kind": "calculation", "key": "c3", "formula": "LiCl", "chemsys": "Cl-Li", "v": 1},
        {"kind": "hull", "key": "h1", "formula": "Li3InCl6"},
        {"kind": "hull", "key": "h2", "formula": "Li3YCl6"},
        {"kind": "reaction", "key": "r1", "phases": ["Li3InCl6", "Li6PS5Cl"]},
        {"kind": "doping", "key": "d1", "campaign": "lyc", "host": "Li3YCl6"},
        {"kind": "doping", "key": "d2", "campaign": "other", "host": "Li3YCl6"},
    ]
    docs = []
    for i, output in enumerate(outputs):
        prov = _prov("SevenNet-7net-0") if output.get("v") else _prov()
        if output["key"] == "h2":
            prov = _prov("PBE", "vasp")
        docs.append(
            {
                "uuid": str(uuid.uuid4()),
                "index": 1,
                "name": output["key"],
                "completed_at": f"2026-01-01T00:00:{i:02d}",
                "output": {**output, "provenance": prov},
            }
        )
    return docs


def _fill(uri: str) -> None:
    store = build_job_store(uri)
    store.connect()
    store.update(_documents(), key=["uuid", "index"])
    store.close()


def _keys(uri: str, *args: str, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["query", *args, "--json", "--store", uri]) == 0
    return sorted(d["key"] for d in json.loads(capsys.readouterr().out))


def _query_answers(uri: str, capsys) -> dict:
    return {
        "LiCl": _keys(uri, "calculation", "--formula", "LiCl", capsys=capsys),
        "Li2Cl2": _keys(uri, "calculation", "--formula", "Li2Cl2", capsys=capsys),
        "chemsys": _keys(uri, "calculation", "--chemsys", "Li-Cl", capsys=capsys),
        "model": _keys(uri, "calculation", "--model", "chgnet-0.3.0", capsys=capsys),
        "hull_vasp": _keys(uri, "hull", "--engine", "vasp", capsys=capsys),
        "hull_chemsys": _keys(uri, "hull", "--chemsys", "In-Li-Cl", capsys=capsys),
        "reaction": _keys(uri, "reaction", "--formula", "Li3InCl6", capsys=capsys),
        "reaction_cs": _keys(uri, "reaction", "--chemsys", "Cl-In-Li-P-S", capsys=capsys),
        "campaign": _keys(uri, "doping", "--campaign", "lyc", capsys=capsys),
    }


EXPECTED = {
    "LiCl": ["c2", "c3"],
    "Li2Cl2": ["c2", "c3"],
    "chemsys": ["c2", "c3"],
    "model": ["c1", "c2"],
    "hull_vasp": ["h2"],
    "hull_chemsys": ["h1"],
    "reaction": ["r1"],
    "reaction_cs": ["r1"],
    "campaign": ["d1"],
}


def test_query_filters_embedded(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    uri = f"embedded://{tmp_path / 'store'}"
    _fill(uri)
    assert _query_answers(uri, capsys) == EXPECTED


def test_query_bad_filter_is_one_sentence(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    build_job_store(uri).connect()  # a store that exists, empty
    assert main(["query", "calculation", "--chemsys", "Li-Xx", "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --chemsys 'Li-Xx'") and len(err.splitlines()) == 1


@pytest.mark.slow
def test_query_filters_mongo_same_answers_and_indexes(mongo_uri, capsys):
    uri = f"{mongo_uri}_q"
    _fill(uri)
    assert _query_answers(uri, capsys) == EXPECTED
    with MongoClient(uri) as client:
        db = client.get_default_database()
        indexed = {
            key for info in db["outputs"].index_information().values() for key, _ in info["key"]
        }
        mp_indexed = {k for i in db["mp_entries"].index_information().values() for k, _ in i["key"]}
    for field in ("output.kind", "output.formula", "output.chemsys", "output.campaign"):
        assert field in indexed
    assert {"output.provenance.engine", "output.provenance.model", "output.phases"} <= indexed
    assert {"cache_id", "chemsys"} <= mp_indexed
    plan = build_job_store(uri).docs_store
    plan.connect()
    query = {"output.kind": "calculation", "output.formula": "LiCl"}
    explain = plan._collection.find(query).explain()
    assert "IXSCAN" in json.dumps(explain["queryPlanner"]["winningPlan"])  # the index is used
    plan.close()


# --- store copy and the MP cache ---------------------------------------------------------


def _mp_entries():
    from pymatgen.core import Lattice, Structure
    from pymatgen.entries.computed_entries import ComputedStructureEntry

    def entry(species, coords, lattice, energy_per_atom, mp_id):
        structure = Structure(lattice, species, coords)
        return ComputedStructureEntry(structure, energy_per_atom * len(structure), entry_id=mp_id)

    cubic = Lattice.cubic(3.5)
    return [
        entry(["Li"], [[0, 0, 0]], cubic, -1.9, "mp-135"),
        entry(["Cl", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]], cubic, -1.8, "mp-22848"),
        entry(["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]], cubic, -3.7, "mp-22905"),
    ]


@pytest.mark.slow
def test_store_copy_embedded_to_mongo_without_duplicates(tmp_path, mongo_uri, monkeypatch, capsys):
    from jobflow import Flow, job, run_locally
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    from ssbscreen.analysis.materials_project import cache_entries, fetch_mp_entries
    from ssbscreen.store.reference_sets import set_entries, write_set

    @job(data="big")
    def big(n):
        return {"big": list(range(n)), "n": n}

    src = f"embedded://{tmp_path / 'laptop'}"
    dst = f"{mongo_uri}_copy"
    _fill(src)
    job_ = big(2000)
    run_locally(Flow([job_]), store=build_job_store(src), ensure_success=True)
    cache = build_collection("mp_entries", src)
    cache.connect()
    cache_entries("Cl-Li", _mp_entries(), cache, "2026.1")
    cache.close()
    sets = build_collection("reference_sets", src)  # a stored reference set comes along too
    sets.connect()
    licl = _mp_entries()[2]
    write_set(
        sets,
        "mp-test",
        [{"material_id": "mp-22905", "entry": licl.as_dict()}],
        {"chemsys": "Cl-Li"},
    )
    sets.close()

    capsys.readouterr()
    assert main(["store", "copy", src, dst]) == 0
    out = capsys.readouterr().out
    assert "outputs: 9 copied, 0 already there" in out and "data: 1 copied" in out
    again = copy_store(src, dst)  # a second copy adds nothing
    assert set(again.copied.values()) == {0}
    assert again.already_there == {"data": 1, "outputs": 9, "mp_entries": 4, "reference_sets": 2}
    copied_sets = build_collection("reference_sets", dst)
    copied_sets.connect()
    assert [d["material_id"] for d in set_entries(copied_sets, "mp-test")] == ["mp-22905"]
    copied_sets.close()

    store = build_job_store(dst)
    store.connect()
    assert store.count() == 9
    assert store.get_output(job_.uuid, load=True)["big"][-1] == 1999  # GridFS data came along
    assert sorted(d["key"] for d in query_outputs(store, "calculation", formula="LiCl")) == [
        "c2",
        "c3",
    ]
    store.close()

    # a compute node without internet (no key) builds the Li-Cl hull from the copied cache
    monkeypatch.delenv("MP_API_KEY", raising=False)
    entries = fetch_mp_entries(["Li", "Cl"], cache=build_collection("mp_entries", dst))
    assert sorted(e.entry_id for e in entries) == ["mp-135", "mp-22848", "mp-22905"]
    diagram = PhaseDiagram(entries)
    licl = next(e for e in entries if e.entry_id == "mp-22905")
    assert diagram.get_e_above_hull(licl) == pytest.approx(0.0)
    assert diagram.get_form_energy_per_atom(licl) == pytest.approx(-3.7 + (1.9 + 1.8) / 2)


def _all_documents(uri: str) -> dict[str, list[dict]]:
    """Every output and data document of a store, without ``_id``, in a stable order."""
    store = build_job_store(uri)
    store.connect()
    try:
        stores = {"outputs": store.docs_store, "data": store.additional_stores["data"]}
        return {
            name: sorted(
                ({k: v for k, v in d.items() if k != "_id"} for d in s.query({})),
                key=lambda d: json.dumps(d, sort_keys=True, default=str),
            )
            for name, s in stores.items()
        }
    finally:
        store.close()


@pytest.mark.slow
def test_store_copied_both_ways_compares_equal(tmp_path, mongo_uri):
    from jobflow import job, run_locally

    @job(data="big")
    def big(n):
        return {"kind": "big", "key": f"b{n}", "big": list(range(n)), "n": n}

    laptop, back = f"embedded://{tmp_path / 'laptop'}", f"embedded://{tmp_path / 'back'}"
    server = f"{mongo_uri}_both"
    _fill(laptop)
    big_job = big(300)
    run_locally(big_job, store=build_job_store(laptop), ensure_success=True)
    copy_store(laptop, server)
    copy_store(server, back)
    original = _all_documents(laptop)
    assert len(original["outputs"]) == 9 and len(original["data"]) == 1
    assert _all_documents(back) == original
    assert _all_documents(server)["outputs"] == original["outputs"]
    store = build_job_store(back)
    store.connect()
    assert [d["key"] for d in query_outputs(store, "big")] == ["b300"]
    assert store.get_output(big_job.uuid, load=True)["big"][-1] == 299  # its data came back
    store.close()


def test_store_copy_to_itself_refused(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 's'}"
    assert main(["store", "copy", uri, uri]) == 2
    assert "give two different store URIs" in capsys.readouterr().err


# --- bad settings ---------------------------------------------------------------------


def test_config_mapping_credentials_and_missing_keys(tmp_path, monkeypatch):
    for var in (ENV_VAR, USERNAME_ENV, PASSWORD_ENV):
        monkeypatch.delenv(var, raising=False)
    cfg = tmp_path / "ssbscreen.yaml"
    cfg.write_text("store:\n  username: alice\n  password: pw\n")
    with pytest.raises(ValueError, match=r"no 'uri' under 'store'") as err:
        resolve_store_uri(workdir=tmp_path)
    assert "pw" not in str(err.value).replace("ssbscreen.yaml", "")

    cfg.write_text("store:\n  uri: mongodb://db.example.org/prod\n  username: alice\n")
    with pytest.raises(ValueError, match=rf"no password; set \${PASSWORD_ENV}"):
        resolve_store_uri(workdir=tmp_path)

    monkeypatch.setenv(PASSWORD_ENV, "s3cr@t/")
    uri = resolve_store_uri(workdir=tmp_path)
    assert uri == "mongodb://alice:s3cr%40t%2F@db.example.org/prod"

    cfg.write_text("store:\n  uri: mongodb://db.example.org/prod\n  passwd: x\n")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['passwd'\]"):
        resolve_store_uri(workdir=tmp_path)

    monkeypatch.delenv(PASSWORD_ENV)
    monkeypatch.setenv(ENV_VAR, "mongodb://db.example.org/prod")
    monkeypatch.setenv(PASSWORD_ENV, "only-a-password")
    with pytest.raises(ValueError, match=rf"no user name; set \${USERNAME_ENV}") as err:
        resolve_store_uri(workdir=tmp_path)
    assert "only-a-password" not in str(err.value)


def _start_secantus(port: int, storage, auth: bool) -> subprocess.Popen:
    from conftest import _find_server, _wait_for_ping

    cmd = [_find_server(), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--storage-path", str(storage / "db")] + (["--auth"] if auth else [])
    log = storage / f"server-{auth}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=storage)
    try:
        _wait_for_ping(f"mongodb://127.0.0.1:{port}", proc, log)
    except Exception:
        proc.kill()
        raise
    return proc


@pytest.mark.slow
def test_wrong_credentials_one_sentence_nothing_written(tmp_path, monkeypatch, capsys, mongo_uri):
    from conftest import _free_port

    port = _free_port()
    proc = _start_secantus(port, tmp_path, auth=False)
    base = f"mongodb://127.0.0.1:{port}"
    with MongoClient(base) as client:
        client["prod"].command("createUser", "alice", pwd="right-pw", roles=["readWrite"])
    proc.terminate()
    proc.wait(timeout=10)
    proc = _start_secantus(port, tmp_path, auth=True)
    try:
        monkeypatch.delenv(ENV_VAR, raising=False)
        monkeypatch.setenv(USERNAME_ENV, "alice")
        monkeypatch.setenv(PASSWORD_ENV, "wrong-pw")
        with pytest.raises(StoreAuthenticationError, match=PASSWORD_ENV) as err:
            build_job_store(f"{base}/prod")
        assert "wrong-pw" not in str(err.value)

        src = f"embedded://{tmp_path / 'src'}"
        _fill(src)
        capsys.readouterr()
        assert main(["store", "copy", src, f"{base}/prod"]) == 2
        message = capsys.readouterr().err
        assert len(message.strip().splitlines()) == 1 and "wrong-pw" not in message
        assert "refused the credentials" in message

        monkeypatch.setenv(PASSWORD_ENV, "right-pw")  # the right password: it works
        store = build_job_store(f"{base}/prod")
        store.connect()
        assert store.count() == 0  # the refused copy wrote nothing
        store.update(_documents()[:1], key=["uuid", "index"])
        assert store.count() == 1
        store.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- two processes writing to one store ---------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from jobflow import Flow, job, run_locally
    from ssbscreen.store import build_job_store

    @job
    def square(tag, i):
        return {"kind": "calculation", "key": f"{tag}-{i}", "value": i * i}

    tag, n, uri = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    flow = Flow([square(tag, i) for i in range(n)])
    run_locally(flow, store=build_job_store(uri), ensure_success=True, log=False)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["embedded", "mongo"])
def test_two_processes_writing_lose_nothing(backend, tmp_path, request):
    n = 40
    uri = (
        f"embedded://{tmp_path / 'shared'}"
        if backend == "embedded"
        else f"{request.getfixturevalue('mongo_uri')}_two"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tag, str(n), uri],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
    store = build_job_store(uri)
    store.connect()
    docs = query_outputs(store, "calculation")
    store.close()
    assert len(docs) == 2 * n
    assert {d["key"] for d in docs} == {f"{t}-{i}" for t in "ab" for i in range(n)}
    assert all(d["value"] == int(d["key"].split("-")[1]) ** 2 for d in docs)


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from ssbscreen.store import build_job_store

    store = build_job_store(sys.argv[1])
    store.connect()
    i = 0
    while True:
        output = {"kind": "calculation", "key": f"k{i}", "formula": "LiCl", "pad": "x" * 20000}
        store.update({"uuid": f"u{i}", "index": 1, "output": output}, key=["uuid", "index"])
        i += 1
    """
)


@pytest.mark.slow
def test_embedded_writer_killed_mid_write_leaves_index_and_documents_agreeing(tmp_path):
    """SIGKILL during a stream of writes: the store opens, and every stored document is found
    through the index by its uuid and its formula (document and index rows commit together)."""
    import signal
    import time

    uri = f"embedded://{tmp_path / 'store'}"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, uri], cwd=tmp_path)
    store = build_job_store(uri)
    store.connect()
    deadline = time.monotonic() + 120
    while store.docs_store.count({"output.kind": "calculation"}) < 30:
        assert proc.poll() is None and time.monotonic() < deadline, "the writer did not write"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store.close()
    store = build_job_store(uri)
    store.connect()
    scanned = {d["uuid"] for d in store.docs_store.query({"uuid": {"$regex": "^u"}}, ["uuid"])}
    by_formula = {d["uuid"] for d in store.query({"output.formula": "LiCl"}, ["uuid"])}
    assert len(scanned) >= 30 and by_formula == scanned
    assert all(store.docs_store.count({"uuid": uuid, "index": 1}) == 1 for uuid in scanned)
    store.close()
