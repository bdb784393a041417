"""End to end: campaigns through jobflow into the embedded store and a real MongoDB server."""

import json

import pytest
from pymatgen.core import Lattice, Structure

from ssbscreen.analysis.tables import render_all
from ssbscreen.cli import main
from ssbscreen.potentials import get_potential
from ssbscreen.store import build_job_store
from ssbscreen.store.queries import stored_outputs
from ssbscreen.workflows import interfaces
from ssbscreen.workflows.campaign import Campaign, plan_campaign, run_campaign
from ssbscreen.workflows.references import ReferenceSpec

pytestmark = pytest.mark.slow


def small_campaign():
    """Li3InCl6 (computed) against reference phases, chemically and at 4.2 V vs Li."""
    return Campaign(
        hulls=["Li3InCl6"],
        windows=["Li3InCl6"],
        reactions=[("Li3InCl6", "Li2S", None), ("Li3InCl6", "Li2S", 4.2)],
        reference=ReferenceSpec("offline", "chgnet"),
    )


def _tables(store):
    store.connect()
    return render_all({k: stored_outputs(store, k) for k in ("hull", "window", "reaction")}, "csv")


@pytest.fixture(scope="module")
def embedded_results(tmp_path_factory):
    uri = f"embedded://{tmp_path_factory.mktemp('store') / 'ssbscreen_store'}"
    store = build_job_store(uri)
    results = run_campaign(small_campaign(), store)
    return uri, results


def test_campaign_physics(embedded_results):
    _, results = embedded_results
    (calc,) = results["calculation"]
    assert calc["state"] == "successful" and calc["formula"] == "Li3InCl6"
    (hull,) = results["hull"]
    assert hull["e_above_hull_ev_per_atom"] > -0.1  # not far below LiCl + InCl3
    assert sum(hull["decomposition"].values()) == pytest.approx(1.0)
    (window,) = results["window"]
    assert 0 <= window["reduction_v_vs_li"] < window["oxidation_v_vs_li"]
    chemical, at_voltage = sorted(results["reaction"], key=lambda d: d["voltage_v_vs_li"] or 0)
    model = get_potential("chgnet").model_name
    for doc in (chemical, at_voltage):
        assert doc["reaction_energy_ev_per_atom"] <= 1e-9
        assert doc["provenance"]["model"] == model
        assert doc["reference_set"].startswith(f"offline-{model}")
    # at 4.2 V, above Li3InCl6's oxidation limit? then Li is released and the energy is lower
    assert (
        at_voltage["reaction_energy_ev_per_atom"] <= chemical["reaction_energy_ev_per_atom"] + 1e-9
    )


def test_second_run_computes_nothing(embedded_results):
    uri, _ = embedded_results
    store = build_job_store(uri)
    assert plan_campaign(small_campaign(), store).is_empty


def test_mongodb_store_gives_the_same_table(embedded_results, mongo_uri):
    uri, _ = embedded_results
    mongo = build_job_store(mongo_uri)
    run_campaign(small_campaign(), mongo)
    assert _tables(mongo) == _tables(build_job_store(uri))
    assert plan_campaign(small_campaign(), build_job_store(mongo_uri)).is_empty


def test_cli_answers_and_table_from_store(embedded_results, capsys):
    uri, _ = embedded_results
    assert main(["hull", "Li3InCl6", "--json", "--store", uri]) == 0
    hull = json.loads(capsys.readouterr().out)
    assert set(hull) >= {"phase", "e_above_hull_ev_per_atom", "decomposition", "reference_set"}
    assert main(["window", "Li3InCl6", "--json", "--store", uri]) == 0
    window = json.loads(capsys.readouterr().out)
    assert window["reduction_v_vs_li"] < window["oxidation_v_vs_li"]
    assert main(["react", "Li3InCl6", "Li2S", "--voltage", "4.2", "--json", "--store", uri]) == 0
    react = json.loads(capsys.readouterr().out)
    assert react["voltage_v_vs_li"] == 4.2 and react["reaction_energy_ev_per_atom"] <= 0
    assert set(react) >= {"phases", "mixing_ratio", "products", "reaction", "reference_set"}
    assert main(["table", "--format", "latex", "--store", uri]) == 0
    assert r"\begin{tabular}" in capsys.readouterr().out


def test_a_cli_run_plans_its_campaign_once(tmp_path, monkeypatch, capsys):
    """`ssbscreen hull` plans once: the plan that checked the input and counted the jobs is
    the one that runs (LiCl of the offline set: nothing to relax, one hull job)."""
    from ssbscreen.workflows import campaign as campaign_module

    plans = []

    def counted(*args, **kwargs):
        plans.append(args)
        return plan_campaign(*args, **kwargs)

    monkeypatch.setattr(campaign_module, "plan_campaign", counted)
    assert main(["hull", "LiCl", "--json", "--store", f"embedded://{tmp_path / 'store'}"]) == 0
    assert json.loads(capsys.readouterr().out)["e_above_hull_ev_per_atom"] == 0
    assert len(plans) == 1


def test_submit_queues_the_sections_run_computes(tmp_path):
    """`submit` and `run` take a campaign file's sections from one place (section_flows):
    the queued Flow holds each section's flow, in the file's order, named by the campaign."""
    from ssbscreen.workflows.campaign_file import read_campaign_file, section_flows
    from ssbscreen.workflows.submit import campaign_flow

    path = tmp_path / "c.yaml"
    path.write_text(
        "name: both\nmodel: chgnet\nreferences: offline\nscreen: {hulls: [LiCl]}\n"
        "migration: {hops: [{host: Li3InCl6, ion: Li, max_hops: 1}]}\n"
    )
    store = build_job_store(f"embedded://{tmp_path / 'store'}")
    sections = list(section_flows(read_campaign_file(path), store))
    assert [s.section for s in sections] == ["screen", "migration"]
    screen = sections[0]
    assert screen.campaign.hulls == ["LiCl"] and screen.plan.flow is screen.flow
    flow = campaign_flow(path, store)
    assert flow.name == "both"
    assert [f.name for f in flow.jobs] == [s.flow.name for s in sections]
    assert [j.name for j, _ in flow.jobs[0].iterflow()] == [
        j.name for j, _ in screen.flow.iterflow()
    ]


def test_run_says_which_results_failed_and_a_rerun_computes_them(
    embedded_results, tmp_path, capsys, monkeypatch
):
    """A result job that raises: the table comes without it, a warning says how many are
    missing and names the job with its error, the exit status is 1; the same command then
    computes only that result."""
    uri, _ = embedded_results
    path = tmp_path / "campaign.yaml"
    path.write_text(
        "name: partial\nmodel: chgnet\nreferences: offline\n"
        "screen: {reactions: [[Li3InCl6, Li2S, null], [Li3InCl6, Li2S, 2.0]]}\n"
    )

    def broken(*args, **kwargs):
        raise RuntimeError("the reaction program did not converge")

    monkeypatch.setattr(interfaces, "most_negative_mixture_reaction", broken)
    assert main(["run", str(path), "--store", uri]) == 1
    out, err = capsys.readouterr()
    assert "warning: 1 of 2 reaction results could not be computed" in err
    assert (
        "  reaction Li3InCl6|Li2S 2.0: RuntimeError: the reaction program did not converge" in err
    )
    assert r"Li3InCl6 \| Li2S | chemical" in out and "| 2.00 |" not in out
    monkeypatch.undo()
    assert main(["run", str(path), "--store", uri]) == 0
    out, err = capsys.readouterr()
    assert "computing 1 job(s)" in err and "| 2.00 |" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["hull", "Li3InCl"], "Did you mean"),
        (["react", "Li3InCl6", "XeF2"], "XeF2"),
        (["hull", "nofile.cif"], "nofile.cif"),
        (["hull", "LiCl", "--model", "mace"], "mace"),
    ],
)
def test_bad_input_exit_2_and_nothing_written(tmp_path, capsys, args, needle):
    uri = f"embedded://{tmp_path / 'store'}"
    assert main([*args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err
    assert not (tmp_path / "store").exists()  # no empty store folder either
    store = build_job_store(uri)
    store.connect()
    assert store.count() == 0


def test_malformed_cif_exit_2(tmp_path, capsys):
    cif = tmp_path / "bad.cif"
    cif.write_text("data_bad\n_cell_length_a five\n")
    assert main(["hull", str(cif), "--store", f"embedded://{tmp_path / 'store'}"]) == 2
    assert "bad.cif" in capsys.readouterr().err


def test_json_answer_stays_json_while_a_model_loads_and_relaxes(tmp_path, capsys, monkeypatch):
    """A fresh model load prints its banner (CHGNet: "CHGNet v0.3.0 initialized ..."): it goes
    to the log, the answer alone to stdout."""
    from ssbscreen.cli import LOG_FILE
    from ssbscreen.potentials import loaded_calculator

    monkeypatch.chdir(tmp_path)
    cif = tmp_path / "LiF.cif"  # not in the reference set: relaxed on first use
    Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(4.1), ["Li", "F"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    ).to(filename=str(cif))
    loaded_calculator.cache_clear()
    assert main(["hull", str(cif), "--json", "--store", f"embedded://{tmp_path / 'store'}"]) == 0
    captured = capsys.readouterr()
    # relaxed, it is the set's rock-salt LiF: on the hull within 1 meV/atom
    assert json.loads(captured.out)["e_above_hull_ev_per_atom"] == pytest.approx(0, abs=1e-3)
    assert "CHGNet v" in (tmp_path / LOG_FILE).read_text()  # the banner was printed, to the log
