"""The quick benchmark suite (benchmarks/run_all.py --quick) runs and writes its table.

No timing is asserted: only that every benchmark that ran has its rows, with positive finite
ratios, and that the equality checks inside the benchmarks passed (they raise otherwise).
"""

from __future__ import annotations

import importlib.util
import json
import math
import platform
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
QUICK_SCRIPTS = {
    "ewald_ranking",
    "screening_matrix",
    "coating_screen",
    "neb_batching",
    "phonon_batching",
    "store_queries",
}  # and batched_relaxation, once it is there


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH_DIR / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(markdown: str) -> list[list[str]]:
    """Cells of the table rows of results.md (header and separator left out)."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[1:]]


@pytest.mark.slow
def test_quick_suite_writes_one_table_with_a_row_per_benchmark(tmp_path):
    run_all = _run_all()
    expected = QUICK_SCRIPTS | (
        {"batched_relaxation"} if (BENCH_DIR / "batched_relaxation.py").exists() else set()
    )
    results = run_all.run(quick=True, out=tmp_path)

    stored = json.loads((tmp_path / "results.json").read_text())
    assert {row["script"] for row in stored["rows"]} == expected
    errors = [row["case"] for row in stored["rows"] if row["case"].startswith("error:")]
    assert not errors, errors
    assert any("demo_walltime" in note for note in stored["notes"])

    markdown = (tmp_path / "results.md").read_text()
    assert f"machine: {platform.node()}, " in markdown
    assert f"{results['machine']['cores']} cores" in markdown
    table = _table(markdown)
    assert len(table) == len(stored["rows"])
    for cells, row in zip(table, stored["rows"], strict=True):
        assert len(cells) == len(run_all.HEADER)
        assert cells[0] == row["benchmark"]
        ratio = float(cells[5])
        assert math.isfinite(ratio) and ratio > 0, cells
        assert row["ratio"] > 0 and math.isfinite(row["ratio"]), row
