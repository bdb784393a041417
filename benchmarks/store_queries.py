"""Query latency of ``ssbscreen query`` filters: embedded (MontyDB) vs MongoDB, indexed vs not.

Fills each store with N jobflow-shaped output documents (1 in ~N/10 of them LiCl), then times
``query_outputs(store, "calculation", formula=...)`` (selective: 10 matches) and
``chemsys=...`` (10 %), median of repeats. MongoDB is a SecantusDB server this script starts
(``secantusd-py``); "not indexed" is a database built with ``build_job_store(indexes=False)``.
MontyDB has no secondary indexes, so the embedded store always scans. All three stores must
return the same documents (AssertionError otherwise). ``measure`` gives the rows of
benchmarks/run_all.py (ratios against indexed MongoDB).

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

NAIVE = {"embedded": "embedded MontyDB (scans)", "mongodb": "MongoDB without indexes"}
FORMULAS = ["Li3InCl6", "Li3YCl6", "Li6PS5Cl", "LiNbO3", "LiF", "Li2O", "LiCoO2", "Li2S", "LiI"]


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


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def bench(sizes: list[int], repeats: int) -> list[dict]:
    """Rows of (backend, n, indexed, fill and query times in s). AssertionError when the three
    stores of one size do not return the same documents, or --formula not its 10."""
    from ssbscreen.store import build_job_store, query_outputs

    folder = Path(tempfile.mkdtemp(prefix="ssb-bench-"))
    proc, base = _start_server(folder)
    rows = []
    try:
        for n in sizes:
            docs = _documents(n)
            backends = [
                ("embedded", f"embedded://{folder / f'embedded_{n}'}", False),
                ("mongodb", f"{base}/bench_noindex_{n}", False),
                ("mongodb", f"{base}/bench_index_{n}", True),
            ]
            hits = {}
            for backend, uri, indexed in backends:
                store = build_job_store(uri, indexes=indexed)
                store.connect()
                start = time.perf_counter()
                for i in range(0, n, 5000):
                    store.docs_store._collection.insert_many([dict(d) for d in docs[i : i + 5000]])
                fill = time.perf_counter() - start
                formula = _time(
                    lambda s=store: query_outputs(s, "calculation", formula="LiCl"), repeats
                )
                chemsys = _time(
                    lambda s=store: query_outputs(s, "calculation", chemsys="Cl-In-Li"), repeats
                )
                hits[backend, indexed] = (
                    _hits(store, formula="LiCl"),
                    _hits(store, chemsys="Cl-In-Li"),
                )
                store.close()
                rows.append(
                    {
                        "backend": backend,
                        "n": n,
                        "indexed": indexed,
                        "fill_s": fill,
                        "formula_s": formula,
                        "chemsys_s": chemsys,
                        "formula_hits": len(hits[backend, indexed][0]),
                        "chemsys_hits": len(hits[backend, indexed][1]),
                    }
                )
                print(rows[-1], file=sys.stderr, flush=True)
            counts = {
                f"{b}{' indexed' if i else ''}": tuple(map(len, h)) for (b, i), h in hits.items()
            }
            assert len(set(hits.values())) == 1, f"stores disagree at N={n}: hits {counts}"
            assert len(hits["mongodb", True][0]) == 10, f"--formula LiCl hits {counts}, not 10"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def measure(quick: bool = False) -> list[dict]:
    """Suite rows: both queries, each naive store against indexed MongoDB, 10^4 and 10^5
    documents (quick: 10^3)."""
    sizes = [1000] if quick else [10_000, 100_000]
    rows = bench(sizes, repeats=5)
    out = []
    for n in sizes:
        fast = next(r for r in rows if r["n"] == n and r["indexed"])
        for query, case in [("formula", "--formula LiCl"), ("chemsys", "--chemsys Cl-In-Li")]:
            for naive in (r for r in rows if r["n"] == n and not r["indexed"]):
                out.append(
                    {
                        "benchmark": "Store queries",
                        "case": f"{case}, {n:,} documents",
                        "naive": NAIVE[naive["backend"]],
                        "naive_s": naive[f"{query}_s"],
                        "fast_s": fast[f"{query}_s"],
                        "ratio": naive[f"{query}_s"] / fast[f"{query}_s"],
                        "check": f"same {fast[f'{query}_hits']} documents from the 3 stores",
                    }
                )
    return out


def report(rows: list[dict]) -> str:
    """Markdown table with absolute times and ratios against indexed MongoDB."""
    cpu = platform.processor() or platform.machine()
    lines = [
        f"machine: {platform.node()} ({cpu}, {os.cpu_count()} cores), Python "
        f"{platform.python_version()}, MongoDB = SecantusDB (secantusd-py) on loopback",
        "",
        "| N | store | indexes | --formula (10 hits) | x vs indexed Mongo "
        "| --chemsys (10 %) | x vs indexed Mongo |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in sorted({r["n"] for r in rows}):
        ref = next(r for r in rows if r["n"] == n and r["indexed"])
        for r in (r for r in rows if r["n"] == n):
            lines.append(
                f"| {n:,} | {r['backend']} | {'yes' if r['indexed'] else 'no'} "
                f"| {r['formula_s'] * 1e3:.1f} ms | {r['formula_s'] / ref['formula_s']:.1f} "
                f"| {r['chemsys_s'] * 1e3:.1f} ms | {r['chemsys_s'] / ref['chemsys_s']:.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(report(bench(args.sizes, args.repeats)))


if __name__ == "__main__":
    main()
