"""The demo: system 1 end to end, and a second run that computes nothing."""

import pytest

from ssbscreen.cli import main

pytestmark = pytest.mark.slow


def test_demo_twice(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSBSCREEN_STORE", raising=False)
    assert main(["demo"]) == 0
    first = capsys.readouterr()
    assert "computing" in first.err
    table = (tmp_path / "ssbscreen-output" / "system1.md").read_text()
    csv = (tmp_path / "ssbscreen-output" / "system1.csv").read_text()
    assert csv.count("\nhull,") == 3 and csv.count("\nwindow,") == 2
    assert csv.count("\nreaction,") == 6
    for phase in ("Li3InCl6", "Li6PS5Cl", "NCA"):
        assert phase in table

    assert main(["demo"]) == 0
    second = capsys.readouterr()
    assert "computing" not in second.err and "Starting job" not in second.err
    assert (tmp_path / "ssbscreen-output" / "system1.md").read_text() == table
