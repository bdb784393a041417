"""The registry of result kinds: what `query --json` prints of every kind, the store's queries
without the structure library, and figures of stored documents drawn on the reference set of
the potential that made them."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest

from ssbscreen.analysis import plots
from ssbscreen.analysis.kinds import QUERY_KINDS, RESULT_KINDS, TABLE_KINDS
from ssbscreen.cli import main
from ssbscreen.store import build_job_store, query_outputs
from ssbscreen.store import queries as store_queries
from ssbscreen.workflows.references import document_reference, reference_potential


def _prov(model="CHGNet-0.3.0", engine="mlip"):
    return {"engine": engine, "model": model, "model_version": "0.4.2"}


OUTPUTS = [
    {"kind": "hull", "key": "h1", "formula": "Li3InCl6", "phase": "Li3InCl6"},
    {"kind": "reaction", "key": "r1", "phases": ["NCA", "Li6PS5Cl"]},
    {"kind": "doping", "key": "d1", "host": "Li3YCl6", "dopant": "In", "campaign": "lyc"},
    {"kind": "migration", "key": "m1", "host": "LiCl", "ion": "Li", "images": [1, 2]},
    {"kind": "calculation", "key": "c1", "formula": "LiCl", "chemsys": "Cl-Li"},
]


@pytest.fixture
def store_uri(tmp_path):
    uri = f"embedded://{tmp_path / 'store'}"
    store = build_job_store(uri)
    store.connect()
    docs = [
        {
            "uuid": output["key"],
            "index": 1,
            "completed_at": "2026-01-01T00:00:00",
            "output": {**output, "provenance": _prov("PBE", "vasp") if i else _prov()},
        }
        for i, output in enumerate(OUTPUTS)
    ]
    store.update(docs, key=["uuid", "index"])
    store.close()
    return uri


@pytest.mark.parametrize("kind", ["doping", "migration", "hull", "reaction", "calculation"])
def test_query_json_rows_of_every_kind_carry_engine_and_model(store_uri, kind, capsys):
    capsys.readouterr()
    assert main(["query", kind, "--json", "--store", store_uri]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    (stored,) = [o for o in OUTPUTS if o["kind"] == kind]
    assert row["engine"] == row["provenance"]["engine"]
    assert row["model"] == row["provenance"]["model"]
    hidden = {"images"} if kind == "migration" else set()
    assert {k: row[k] for k in stored if k not in hidden} == {
        k: v for k, v in stored.items() if k not in hidden
    }
    assert "images" not in row


def test_query_chemsys_takes_library_names_through_the_cli(store_uri, capsys):
    """NCA is a library name, not a formula: the CLI gives the store its elements."""
    capsys.readouterr()
    args = ["query", "reaction", "--chemsys", "Li-Ni-Co-Al-O-P-S-Cl", "--json"]
    assert main([*args, "--store", store_uri]) == 0
    assert [d["key"] for d in json.loads(capsys.readouterr().out)] == ["r1"]


def test_store_queries_take_the_phase_elements_function(store_uri):
    assert "ssbscreen.structures" not in inspect.getsource(store_queries)
    store = build_job_store(store_uri)
    store.connect()
    assert query_outputs(store, "reaction", chemsys="Li-P-S-Cl-Xe") == []  # NCA: no formula

    def phase_elements(name):
        return frozenset({"Xe"}) if name == "NCA" else store_queries.formula_elements(name)

    found = query_outputs(store, "reaction", chemsys="Li-P-S-Cl-Xe", phase_elements=phase_elements)
    assert [d["key"] for d in found] == ["r1"]
    store.close()


def test_the_registry_is_light_and_names_the_commands_kinds():
    """The command line builds its choices from the registry: importing it loads no science."""
    code = "import sys, ssbscreen.analysis.kinds; print(sorted(m for m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pymatgen" not in loaded.stdout and "numpy" not in loaded.stdout
    assert TABLE_KINDS == [
        "hull",
        "window",
        "reaction",
        "scan",
        "doping",
        "migration",
        "percolation",
    ]
    assert set(QUERY_KINDS) == {
        "hull",
        "window",
        "reaction",
        "scan",
        "doping",
        "calculation",
        "migration",
        "phonon",
    }
    assert RESULT_KINDS["percolation"].stored == "migration"


def test_reference_potential_is_the_engine_that_made_the_document():
    assert reference_potential(_prov()) == "chgnet"
    assert reference_potential(_prov("SevenNet-l3i5", "mlip-batched")) == "sevennet-l3i5"
    assert reference_potential(_prov("SevenNet-7net-0")) == "sevennet"
    assert reference_potential(_prov("PBE", "vasp")) == "vasp"
    # phases taken from a reference set: the set's model
    assert reference_potential(_prov("CHGNet-0.3.0", "reference")) == "chgnet"
    assert reference_potential(_prov("PBE", "reference")) == "PBE"


def test_a_stored_reaction_of_another_model_is_drawn_on_that_models_set(tmp_path, monkeypatch):
    """A reaction computed with SevenNet-l3i5 is drawn on SevenNet-l3i5's offline set, whatever
    the default --model."""
    drawn_on = []

    def curve(a, b, reference, voltage):
        drawn_on.append(reference.model)
        return np.linspace(0, 1, 3), np.zeros(3)

    monkeypatch.setattr(plots, "mixing_curve", curve)
    monkeypatch.delenv("MP_API_KEY", raising=False)
    doc = {
        "kind": "reaction",
        "key": "r2",
        "phases": ["LiCl", "Li2S"],
        "voltage_v_vs_li": None,
        "provenance": _prov("SevenNet-l3i5"),
    }
    path = plots.plot_document(doc, tmp_path / "mixing.png", document_reference(None))
    assert path.stat().st_size > 1000
    assert drawn_on == ["SevenNet-l3i5"]


def test_plot_stored_names_the_kind_when_no_key_matches():
    with pytest.raises(ValueError, match=r"no migration document.*ssbscreen query migration"):
        plots.plot_stored(
            "neb", [{"kind": "migration", "key": "abc"}], "zz", document_reference(None)
        )
