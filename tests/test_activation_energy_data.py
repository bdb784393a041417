"""The table of measured Li+ activation energies (benchmarks/data/)."""

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
TABLE = DATA / "measured_activation_energies.csv"
COLUMNS = [
    "phase",
    "ea_ev",
    "uncertainty_ev",
    "method",
    "temperature_range_k",
    "conductivity_rt_s_per_cm",
    "reference",
    "doi",
    "locator",
    "note",
]


def _rows():
    with TABLE.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_every_row_is_complete():
    rows = _rows()
    assert rows
    for row in rows:
        assert row["phase"].strip()
        assert 0.0 < float(row["ea_ev"]) < 1.5, row
        assert row["doi"].strip() or row["locator"].strip(), row
        assert row["reference"].strip(), row
        assert row["method"].strip(), row


def test_no_duplicate_rows():
    keys = [(row["phase"], row["doi"], row["method"]) for row in _rows()]
    assert len(keys) == len(set(keys))


def test_li3incl6_present():
    assert "Li3InCl6" in {row["phase"] for row in _rows()}
