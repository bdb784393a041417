"""Wall time of `ssbscreen demo` in a fresh directory: first run, then the re-run from the store.

Usage: python benchmarks/demo_walltime.py [--out FILE]
Prints (and optionally writes as JSON) both times, their ratio, and the machine. The re-run
must write the same system1.csv as the first run (AssertionError otherwise). ``measure`` gives
the row of benchmarks/run_all.py, which leaves it out of its --quick suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_demo(workdir: Path, out: str) -> float:
    """Seconds for one `ssbscreen demo` run in ``workdir`` writing its tables to ``workdir/out``
    (fails loudly if the demo fails)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ssbscreen.cli", "demo", "--out", out],
        cwd=workdir,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "SSBSCREEN_STORE": ""},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def compare() -> dict:
    """Seconds of the first demo run and of the re-run in the same directory; AssertionError
    when their system1.csv tables differ."""
    with tempfile.TemporaryDirectory() as tmp:
        first = timed_demo(Path(tmp), "first")
        second = timed_demo(Path(tmp), "second")
        first_csv, second_csv = (
            (Path(tmp) / r / "system1.csv").read_text() for r in ("first", "second")
        )
    n_lines = len(first_csv.splitlines())
    assert first_csv == second_csv, (
        f"the re-run's system1.csv ({len(second_csv.splitlines())} lines) differs from the first "
        f"run's ({n_lines} lines)"
    )
    return {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores",
        "first_run_s": first,
        "second_run_s": second,
        "first_over_second": first / second,
        "table_lines": n_lines,
    }


def measure(quick: bool = False) -> list[dict]:
    """Suite row: the whole demo, first run vs re-run (``quick`` changes nothing: no sizes)."""
    result = compare()
    return [
        {
            "benchmark": "Demo wall time",
            "case": "ssbscreen demo (system 1) in a fresh directory",
            "naive": "first run (everything computed)",
            "naive_s": result["first_run_s"],
            "fast_s": result["second_run_s"],
            "ratio": result["first_over_second"],
            "check": f"same system1.csv ({result['table_lines']} lines)",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = compare()
    result = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
