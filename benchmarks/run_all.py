"""Every benchmark of benchmarks/ in one run -> one markdown table (results.md) and results.json.

Each row is one case timed the naive way and the ssbscreen way in the same run on the same
machine (seconds), their ratio (naive / ssbscreen) and the equality check both ways passed.
An AssertionError (the two ways disagree) stops the suite; any other error becomes a row and
the suite goes on. --quick shrinks every size (CI: 2 cores, no GPU, a few minutes) and leaves
out the demo wall time.

Usage: python benchmarks/run_all.py [--quick] [--out DIR] [--only NAME ...] [--budget-s S]
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results"
# benchmarks/<name>.py, each with measure(quick) -> rows; True: also run by --quick
SUITE = {
    "ewald_ranking": True,
    "screening_matrix": True,
    "coating_screen": True,
    "neb_batching": True,
    "phonon_batching": True,
    "store_queries": True,
    "batched_relaxation": True,
    "demo_walltime": False,
}
HEADER = ["benchmark", "case", "naive way", "naive (s)", "ssbscreen (s)", "ratio", "check"]


def machine() -> dict:
    """Hostname, CPU model, core count, GPU name ("no GPU" without CUDA), Python and torch."""
    import torch

    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
        if line.startswith("model name")
    ]
    return {
        "hostname": platform.node(),
        "cpu": models[0] if models else platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU",
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def load(name: str) -> ModuleType | None:
    """The module of benchmarks/<name>.py (imported by file path), None if there is no file."""
    path = BENCH_DIR / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    spec.loader.exec_module(module)
    return module


def error_row(name: str, err: Exception) -> dict:
    """The row of a benchmark that raised: no times, the error as its case."""
    message = " ".join(f"{type(err).__name__}: {err}".split())[:300]
    return {
        "benchmark": name,
        "case": f"error: {message}",
        "naive": "",
        "naive_s": None,
        "fast_s": None,
        "ratio": None,
        "check": "not run",
    }


def measure_and_plot(
    module: ModuleType, quick: bool, plot: Path, budget_s: float | None = None
) -> list[dict]:
    """``module.measure(quick)``; where the module plots (batched_relaxation), its plot goes to
    ``plot``: through ``measure(..., plot=)`` when measure takes it, else ``plot_scaling``;
    ``budget_s`` goes to a measure that takes it."""
    parameters = inspect.signature(module.measure).parameters
    extra = {"budget_s": budget_s} if budget_s is not None and "budget_s" in parameters else {}
    if "plot" in parameters:
        return module.measure(quick=quick, plot=plot, **extra)
    rows = module.measure(quick=quick, **extra)
    if hasattr(module, "plot_scaling"):
        module.plot_scaling(rows, plot)
    return rows


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it (results.md is committed)."""
    path = path.resolve()
    repository = Path(__file__).resolve().parent.parent
    return str(path.relative_to(repository)) if path.is_relative_to(repository) else str(path)


def run(
    quick: bool = False,
    out: Path = DEFAULT_OUT,
    only: list[str] | None = None,
    budget_s: float | None = None,
) -> dict:
    """Run the suite (or the benchmarks in ``only``), write out/results.md and
    out/results.json after each benchmark (and out/scaling.png where a benchmark plots one);
    return the results. budget_s: seconds for the whole suite, given as the time left to each
    benchmark that can shrink itself (None: no limit)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out.mkdir(parents=True, exist_ok=True)
    rows, notes, wall_s = [], [], {}
    suite_start = time.perf_counter()
    for name, in_quick in SUITE.items():
        if only and name not in only:
            continue
        if quick and not in_quick:
            notes.append(f"{name}: left out of the --quick suite")
            continue
        start = time.perf_counter()
        left_s = None if budget_s is None else budget_s - (start - suite_start)
        try:
            module = load(name)
            if module is None:
                notes.append(f"{name}: benchmarks/{name}.py is not there yet, skipped")
                continue
            new = measure_and_plot(module, quick, out / "scaling.png", left_s)
            if hasattr(module, "plot_scaling"):
                notes.append(f"{name}: scaling plot in {_shown(out / 'scaling.png')}")
        except AssertionError:
            raise
        except Exception as err:
            new = [error_row(name, err)]
        wall_s[name] = time.perf_counter() - start
        rows += [{**row, "script": name} for row in new]
        print(f"{name}: {len(new)} rows in {wall_s[name]:.0f} s", file=sys.stderr, flush=True)
        write(out, quick, time.perf_counter() - suite_start, wall_s, rows, notes)
    return write(out, quick, time.perf_counter() - suite_start, wall_s, rows, notes)


def write(
    out: Path, quick: bool, suite_wall_s: float, wall_s: dict, rows: list, notes: list
) -> dict:
    """out/results.json and out/results.md of the rows so far; returns the results."""
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "suite_wall_s": suite_wall_s,
        "benchmark_wall_s": wall_s,
        "rows": rows,
        "notes": notes,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    return results


def _seconds(value: float | None) -> str:
    """Seconds with 3 significant digits (whole seconds from 100 s), "-" when not measured."""
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _ratio(value: float | None) -> str:
    """The ratio, whole from 10, else 2 decimals; "-" when not measured."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|")


def markdown(results: dict) -> str:
    """results.md: date, machine, versions, the table, then the notes."""
    m = results["machine"]
    lines = [
        f"# ssbscreen benchmarks ({'quick' if results['quick'] else 'full'} suite)",
        "",
        f"date: {results['date']}",
        f"machine: {m['hostname']}, {m['cpu']}, {m['cores']} cores, {m['gpu']}",
        f"python {m['python']}, torch {m['torch']}; "
        f"suite wall time {results['suite_wall_s']:.0f} s",
        "",
        "ratio = naive (s) / ssbscreen (s), both measured in this run on this machine.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in results["rows"]:
        cells = [
            row["benchmark"],
            row["case"],
            row["naive"],
            _seconds(row["naive_s"]),
            _seconds(row["fast_s"]),
            _ratio(row["ratio"]),
            row["check"],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if results["notes"]:
        lines += ["", *(f"- {note}" for note in results["notes"])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, no demo (CI)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the results")
    parser.add_argument(
        "--only", nargs="+", choices=list(SUITE), metavar="NAME", help=", ".join(SUITE)
    )
    parser.add_argument(
        "--budget-s", type=float, help="seconds for the whole suite (default: no limit)"
    )
    args = parser.parse_args()
    results = run(args.quick, args.out, args.only, args.budget_s)
    print(markdown(results))


if __name__ == "__main__":
    main()
