"""Query latency of ``ssbscreen query`` filters and of a campaign's store accesses: the embedded
store before issue 25 (MontyDB's SQLite engine, scans), the indexed embedded store (the
default) and indexed MongoDB, in one run.

Fills each store with N jobflow-shaped output documents (1 in ~N/10 of them LiCl), then times
``query_outputs(store, "calculation", formula=...)`` (selective: 10 matches) and
``chemsys=...`` (10 %): median and 95th percentile of repeats. MongoDB is a SecantusDB server
this script starts (``secantusd-py``). The stores are filled once and kept in ``--cache``
(reused while they hold N documents); the old store is a copy of the indexed one opened with
MontyDB's plain engine (the files are the same). All stores must return the same documents
(AssertionError otherwise). The campaign writes ``--campaign`` small results into the largest
store as jobflow does (``JobStore.update``), resolves each (``get_output``) and looks it up by
kind and key (``find_output``), timing every access; it removes them afterwards. ``measure``
gives the rows of benchmarks/run_all.py (ratios against the indexed embedded store).

    .venv/bin/python benchmarks/store_queries.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

STORES = {
    "old": "embedded, MontyDB SQLite engine (before issue 25: scans)",
    "embedded": "embedded, indexed (default)",
    "mongodb": "MongoDB, indexed (SecantusDB)",
}
FORMULAS = ["Li3InCl6", "Li3YCl6", "Li6PS5Cl", "LiNbO3", "LiF", "Li2O", "LiCoO2", "Li2S", "LiI"]
FILL_BATCH = 5000
OLD_REPEATS = 3  # a scan of 10^5 documents takes seconds
OLD_CAMPAIGN = 3  # results the old store writes in the campaign (each access scans)
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "ssbscreen-store-bench"


def _documents(n: int) -> list[dict]:
    docs = []
    for i in range(n):
        formula = "LiCl" if i % max(n // 10, 1) == 0 else FORMULAS[i % len(FORMULAS)]
        chemsys = "Cl-Li" if formula == "LiCl" else ("Cl-In-Li" if i % 10 == 1 else "O-Li")
        docs.append(
            {
                "uuid": str(uuid.uuid4()),
                "index": 1,
                "completed_at": f"2026-01-01T00:00:{i % 60:02d}",
                "output": {
                    "kind": "calculation",
                    "key": f"k{i}",
                    "formula": formula,
                    "chemsys": chemsys,
                    "energy_per_atom_ev": -3.0 - (i % 100) / 100,
                    "provenance": {"engine": "mlip", "model": "CHGNet-0.3.0"},
                },
            }
        )
    return docs


def _times(fn, repeats: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def _start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    from pymongo import MongoClient

    exe = Path(sys.executable).parent / "secantusd-py"
    exe = str(exe) if exe.exists() else shutil.which("secantusd-py")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(folder / "db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                client.admin.command("ping")
            return proc, uri
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("secantusd-py did not start")


def _hits(store, **query) -> tuple[str, ...]:
    """Sorted output keys that ``query_outputs(store, "calculation", **query)`` returns."""
    from ssbscreen.store import query_outputs

    return tuple(sorted(doc["key"] for doc in query_outputs(store, "calculation", **query)))


def _filled(store, n: int) -> float:
    """Fill ``store`` with n documents unless it holds them already; seconds spent (0: reused)."""
    store.connect()
    if store.docs_store.count() == n:
        return 0.0
    store.docs_store.remove_docs({})
    docs = _documents(n)
    start = time.perf_counter()
    for i in range(0, n, FILL_BATCH):
        store.docs_store._collection.insert_many(docs[i : i + FILL_BATCH])
    return time.perf_counter() - start


def _old_store(indexed_folder: Path, folder: Path):
    """A copy of the indexed store without its index, opened with MontyDB's plain SQLite
    engine: the store of ssbscreen before issue 25 (copied once per fill)."""
    import sqlite3

    from jobflow import JobStore
    from maggma.stores import MontyStore

    if not folder.is_dir():
        shutil.copytree(indexed_folder, folder)
        for collection in (folder / "ssbscreen").glob("*.collection"):
            with sqlite3.connect(collection) as conn:
                for trigger in ("insert", "update", "delete"):
                    conn.execute(f"DROP TRIGGER ssb_index_{trigger}")
                conn.execute("DROP TABLE ssb_index")
                conn.execute("DROP TABLE ssb_index_fields")
    stores = [
        MontyStore(name, database_path=str(folder), database_name="ssbscreen", storage="sqlite")
        for name in ("outputs", "data")
    ]
    return JobStore(stores[0], additional_stores={"data": stores[1]})


def campaign(store, n_results: int) -> list[float]:
    """Seconds of each store access of a campaign of ``n_results`` small results: write (as
    jobflow), resolve the reference (``get_output``), look up by kind and key; then remove them."""
    from ssbscreen.store.queries import find_output

    times, uuids = [], []
    for i in range(n_results):
        doc = {
            "uuid": str(uuid.uuid4()),
            "index": 1,
            "completed_at": f"2026-02-01T00:00:{i % 60:02d}",
            "output": {"kind": "calculation", "key": f"campaign-{i}", "formula": "LiZr2"},
        }
        uuids.append(doc["uuid"])
        for access in (
            lambda d=doc: store.update(d, key=["uuid", "index"]),
            lambda d=doc: store.get_output(d["uuid"]),
            lambda d=doc: find_output(store, "calculation", d["output"]["key"]),
        ):
            start = time.perf_counter()
            access()
            times.append(time.perf_counter() - start)
    store.docs_store.remove_docs({"uuid": {"$in": uuids}})
    return times


def bench(
    sizes: list[int], repeats: int, cache: Path = DEFAULT_CACHE, n_campaign: int = 1000
) -> tuple[list[dict], list[dict]]:
    """Query rows (store, n, fill s, --formula/--chemsys times) and campaign rows (store, n,
    accesses, slowest and p99 s). AssertionError when the stores of one size disagree, or
    --formula does not find its 10."""
    from ssbscreen.store import build_job_store, query_outputs

    cache.mkdir(parents=True, exist_ok=True)
    proc, base = _start_server(cache / "mongo")
    rows, campaigns = [], []
    try:
        for n in sizes:
            stores = {
                "embedded": build_job_store(f"embedded://{cache / f'embedded_{n}'}"),
                "mongodb": build_job_store(f"{base}/bench_index_{n}", indexes=True),
            }
            fills = {name: _filled(store, n) for name, store in stores.items()}
            if fills["embedded"]:
                shutil.rmtree(cache / f"old_{n}", ignore_errors=True)
            stores = {"old": _old_store(cache / f"embedded_{n}", cache / f"old_{n}"), **stores}
            hits = {}
            for name, store in stores.items():
                store.connect()
                reps = OLD_REPEATS if name == "old" else repeats
                formula = _times(
                    lambda s=store: query_outputs(s, "calculation", formula="LiCl"), reps
                )
                chemsys = _times(
                    lambda s=store: query_outputs(s, "calculation", chemsys="Cl-In-Li"), reps
                )
                hits[name] = (_hits(store, formula="LiCl"), _hits(store, chemsys="Cl-In-Li"))
                rows.append(
                    {
                        "store": name,
                        "n": n,
                        "fill_s": fills.get(name, 0.0),
                        "formula_s": statistics.median(formula),
                        "formula_p95_s": _p95(formula),
                        "chemsys_s": statistics.median(chemsys),
                        "chemsys_p95_s": _p95(chemsys),
                        "formula_hits": len(hits[name][0]),
                        "chemsys_hits": len(hits[name][1]),
                    }
                )
                print(rows[-1], file=sys.stderr, flush=True)
                if n == max(sizes) and n_campaign:
                    times = campaign(store, OLD_CAMPAIGN if name == "old" else n_campaign)
                    campaigns.append(
                        {
                            "store": name,
                            "n": n,
                            "accesses": len(times),
                            "slowest_s": max(times),
                            "p99_s": sorted(times)[int(0.99 * (len(times) - 1))],
                        }
                    )
                    print(campaigns[-1], file=sys.stderr, flush=True)
                store.close()
            counts = {name: tuple(map(len, h)) for name, h in hits.items()}
            assert len(set(hits.values())) == 1, f"stores disagree at N={n}: hits {counts}"
            assert len(hits["mongodb"][0]) == 10, f"--formula LiCl hits {counts}, not 10"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows, campaigns


def measure(quick: bool = False) -> list[dict]:
    """Suite rows: both queries, the old embedded store against the indexed one, 10^4 and 10^5
    documents (quick: 10^3, no campaign)."""
    sizes = [1000] if quick else [10_000, 100_000]
    rows, _ = bench(sizes, repeats=5, n_campaign=0 if quick else 1000)
    out = []
    for n in sizes:
        at_n = {r["store"]: r for r in rows if r["n"] == n}
        for query, case in [("formula", "--formula LiCl"), ("chemsys", "--chemsys Cl-In-Li")]:
            old, new, mongo = at_n["old"], at_n["embedded"], at_n["mongodb"]
            out.append(
                {
                    "benchmark": "Store queries",
                    "case": f"{case}, {n:,} documents",
                    "naive": STORES["old"],
                    "naive_s": old[f"{query}_s"],
                    "fast_s": new[f"{query}_s"],
                    "ratio": old[f"{query}_s"] / new[f"{query}_s"],
                    "check": f"same {new[f'{query}_hits']} documents from the 3 stores; "
                    f"indexed MongoDB {mongo[f'{query}_s']:.3g} s",
                }
            )
    return out


def report(rows: list[dict], campaigns: list[dict]) -> str:
    """Markdown tables: query times with ratios against indexed MongoDB, and the campaign."""
    cpu = platform.processor() or platform.machine()
    lines = [
        f"machine: {platform.node()} ({cpu}, {os.cpu_count()} cores), Python "
        f"{platform.python_version()}, MongoDB = SecantusDB (secantusd-py) on loopback",
        "",
        "| N | store | --formula (10 hits) median / p95 | x vs MongoDB "
        "| --chemsys (10 %) median / p95 | x vs MongoDB |",
        "|---|---|---|---|---|---|",
    ]
    for n in sorted({r["n"] for r in rows}):
        ref = next(r for r in rows if r["n"] == n and r["store"] == "mongodb")
        for r in (r for r in rows if r["n"] == n):
            lines.append(
                f"| {n:,} | {STORES[r['store']]} "
                f"| {r['formula_s'] * 1e3:.1f} / {r['formula_p95_s'] * 1e3:.1f} ms "
                f"| {r['formula_s'] / ref['formula_s']:.1f} "
                f"| {r['chemsys_s'] * 1e3:.0f} / {r['chemsys_p95_s'] * 1e3:.0f} ms "
                f"| {r['chemsys_s'] / ref['chemsys_s']:.1f} |"
            )
    if campaigns:
        lines += [
            "",
            "| campaign into N | store | accesses | slowest | p99 |",
            "|---|---|---|---|---|",
        ]
        for c in campaigns:
            lines.append(
                f"| {c['n']:,} | {STORES[c['store']]} | {c['accesses']} "
                f"| {c['slowest_s'] * 1e3:.1f} ms | {c['p99_s'] * 1e3:.1f} ms |"
            )
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--campaign", type=int, default=1000, help="results (0: no campaign)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="stores kept here")
    args = parser.parse_args()
    print(report(*bench(args.sizes, args.repeats, args.cache, args.campaign)))


if __name__ == "__main__":
    main()
