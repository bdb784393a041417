"""The Li3YCl6 | In doping study as a Flow, reduced (2 orderings, 3 doped cells), end to end."""

import json
import shutil
from pathlib import Path

import pytest

from ssbscreen.cli import main

pytestmark = pytest.mark.slow

FIELDS = {
    "host",
    "dopant",
    "site_label",
    "defect_energy_ev",
    "e_above_hull_ev_per_atom",
    "reaction_free_energy_ev",
    "engine",
    "model",
}


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory):
    root = tmp_path_factory.mktemp("doping")
    shutil.copy(Path(__file__).parents[1] / "examples" / "lyc_in_doping.yaml", root / "study.yaml")
    return root, f"embedded://{root / 'store'}"


def _query(uri, capsys):
    assert main(["query", "doping", "--json", "--store", uri]) == 0
    return json.loads(capsys.readouterr().out)


def test_reduced_study_answers_6g_vs_6h(store_uri, capsys):
    root, uri = store_uri
    args = ["run", str(root / "study.yaml"), "--orderings", "2", "--doped", "3", "--store", uri]
    assert main(args) == 0
    capsys.readouterr()
    docs = _query(uri, capsys)
    assert docs, "no doping documents stored"
    for doc in docs:
        flat = {**doc, "engine": doc["provenance"]["engine"], "model": doc["provenance"]["model"]}
        assert set(flat) >= FIELDS
        assert doc["host"] == "Li3YCl6" and doc["dopant"] == "In" and doc["n_dopants"] == 1
        assert doc["site_label"] in {"6g", "6h"}
        assert doc["defect_energy_ev"] >= 0
        assert doc["n_orderings_relaxed"] == 2
        # Li metal reduces Li3YCl6 (to Y and LiCl): a strongly negative reaction energy
        assert doc["host_reaction_with_li_ev_per_atom"] < 0
        assert doc["host_reaction_with_dopant_ev_per_atom"] <= 0
    assert min(doc["defect_energy_ev"] for doc in docs) == 0.0
    assert {doc["chemical_potentials"]["ocv_v"] for doc in docs} == {2.82}


def test_rerun_recomputes_nothing(store_uri, capsys):
    root, uri = store_uri
    before = _query(uri, capsys)
    args = ["run", str(root / "study.yaml"), "--orderings", "2", "--doped", "3", "--store", uri]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "computing 1 job(s)" in err  # only the doping step, which finds its cells stored
    after = _query(uri, capsys)
    assert len(after) == len(before)
    assert main(["table", "doping", "--store", uri]) == 0
    assert "Li3YCl6" in capsys.readouterr().out


def test_bad_doping_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ndoping:\n  host: Li3YCl6\n  substitution: 2Li->In\n")
    assert main(["run", str(path), "--store", f"embedded://{tmp_path / 'store'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "2Li->In" in err and "\n" not in err


def test_batched_engine_runs_the_same_study(store_uri, tmp_path, capsys):
    """engine: mlip-batched relaxes the orderings and doped cells together, same answers."""
    root, uri = store_uri
    sequential = {d["site_label"]: d for d in _query(uri, capsys)}
    study = tmp_path / "batched.yaml"
    study.write_text("engine: mlip-batched\n" + (root / "study.yaml").read_text())
    batched_uri = f"embedded://{tmp_path / 'store'}"
    args = ["run", str(study), "--orderings", "2", "--doped", "3", "--store", batched_uri]
    assert main(args) == 0
    capsys.readouterr()
    batched = {d["site_label"]: d for d in _query(batched_uri, capsys)}
    assert set(batched) == set(sequential)
    for label, doc in batched.items():
        assert doc["provenance"]["engine"] == "mlip-batched"
        assert doc["defect_energy_ev"] == pytest.approx(
            sequential[label]["defect_energy_ev"], abs=0.01
        )
        assert doc["e_above_hull_ev_per_atom"] == pytest.approx(
            sequential[label]["e_above_hull_ev_per_atom"], abs=1e-3
        )
