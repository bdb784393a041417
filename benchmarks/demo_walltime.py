"""Wall time of `ssbscreen demo` in a fresh directory: first run, then the re-run from the store.

Usage: python benchmarks/demo_walltime.py [--out FILE]
Prints (and optionally writes as JSON) both times, their ratio, and the machine.
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


def timed_demo(workdir: Path) -> float:
    """Seconds for one `ssbscreen demo` run in ``workdir`` (fails loudly if the demo fails)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ssbscreen.cli", "demo"],
        cwd=workdir,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "SSBSCREEN_STORE": ""},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first = timed_demo(Path(tmp))
        second = timed_demo(Path(tmp))
    result = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores",
        "first_run_s": round(first, 1),
        "second_run_s": round(second, 1),
        "first_over_second": round(first / second, 1),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
