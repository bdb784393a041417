"""The quick benchmark suite (benchmarks/run_all.py --quick) runs and writes its table.

No speed is asserted: only that every benchmark that ran has its rows, that each row's ratio
is its naive time over its ssbscreen time as the table shows them, that each row reports the
agreement of the two ways within the suite's tolerances, and that a disagreement stops the
suite (the equality checks inside the benchmarks raise AssertionError) while any other error
becomes a row.
"""

from __future__ import annotations

import importlib.util
import json
import math
import platform
import re
import sys
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
# the loosest tolerance of the suite's equality checks: batched relaxation, 1e-3 eV/atom
# (benchmarks/batched_relaxation.py TOLERANCE_EV_PER_ATOM); the others are 1e-4 or tighter
LOOSEST_TOLERANCE = 1e-3


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
        # both ways were timed, and the ratio is naive / ssbscreen of those times (not inverted)
        assert math.isfinite(row["naive_s"]) and row["naive_s"] > 0, row
        assert math.isfinite(row["fast_s"]) and row["fast_s"] > 0, row
        assert row["ratio"] == pytest.approx(row["naive_s"] / row["fast_s"], rel=1e-9), row
        assert cells[3:5] == [run_all._seconds(row["naive_s"]), run_all._seconds(row["fast_s"])]
        # the row says how the two ways agreed: the same answers, or differences (|dE|, |dF|)
        # within the suite's tolerances
        differences = [float(d) for d in re.findall(r"\|d\w+\| ([-+.0-9e]+)", row["check"])]
        assert differences or row["check"].startswith("same "), row["check"]
        assert all(0 <= d < LOOSEST_TOLERANCE for d in differences), row["check"]


def _fake_suite(tmp_path, monkeypatch, scripts: dict[str, str]):
    """run_all.py over benchmarks written to ``tmp_path`` (name -> source), no machine probe."""
    run_all = _run_all()
    for name, source in scripts.items():
        (tmp_path / f"{name}.py").write_text(source)
        monkeypatch.setitem(sys.modules, name, None)  # run_all registers it; removed after
    monkeypatch.setattr(run_all, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(run_all, "SUITE", dict.fromkeys(scripts, True))
    monkeypatch.setattr(run_all, "machine", lambda: dict.fromkeys(MACHINE_KEYS, "test"))
    return run_all


MACHINE_KEYS = ("hostname", "cpu", "cores", "gpu", "python", "torch")
AGREEING = """
def measure(quick):
    return [{"benchmark": "agree", "case": "c", "naive": "n", "naive_s": 2.0, "fast_s": 0.5,
             "ratio": 4.0, "check": "max |dE| 0.0e+00 eV"}]
"""
DISAGREEING = """
def measure(quick):
    assert 1.0 == 1.5, "the two ways differ by 0.5 eV"
"""
BROKEN = """
def measure(quick):
    raise RuntimeError("no GPU here")
"""


def test_a_benchmark_whose_two_ways_disagree_stops_the_suite(tmp_path, monkeypatch):
    run_all = _fake_suite(
        tmp_path, monkeypatch, {"fake_agree": AGREEING, "fake_disagree": DISAGREEING}
    )
    with pytest.raises(AssertionError, match=r"the two ways differ by 0\.5 eV"):
        run_all.run(quick=True, out=tmp_path / "out")
    # the rows before the disagreement were written; the disagreement is no row
    stored = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [row["script"] for row in stored["rows"]] == ["fake_agree"]


def test_any_other_error_becomes_a_row_and_the_suite_goes_on(tmp_path, monkeypatch):
    run_all = _fake_suite(tmp_path, monkeypatch, {"fake_broken": BROKEN, "fake_agree": AGREEING})
    results = run_all.run(quick=True, out=tmp_path / "out")
    broken, agree = results["rows"]
    assert broken["case"] == "error: RuntimeError: no GPU here" and broken["ratio"] is None
    assert broken["check"] == "not run"
    assert agree["script"] == "fake_agree" and agree["ratio"] == 4.0
    markdown = (tmp_path / "out" / "results.md").read_text()
    assert _table(markdown)[1][3:6] == ["2", "0.5", "4.00"]
