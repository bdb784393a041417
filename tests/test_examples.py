"""The campaign files of the five systems: validated, and run in a reduced form into a store.

Reduced form: the same sections (reactions, triples, matrix, scans, voltage references,
windows, hulls), with the layered cathodes replaced by LiCoO2, Li6PS5Cl by Li3PS4 and
Li4Ti5O12 by Li2TiO3 (reference phases), so that CI relaxes only small cells.
"""

from pathlib import Path

import pytest
import yaml

from ssbscreen.analysis.tables import render_all
from ssbscreen.store import build_job_store
from ssbscreen.workflows.campaign import Campaign, run_campaign
from ssbscreen.workflows.campaign_file import SCREEN_KEYS, read_campaign_file, screen_campaign

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("system*.yaml"))
REDUCED = {"NCA": "LiCoO2", "NCM811": "LiCoO2", "NCM85": "LiCoO2", "NCM90": "LiCoO2"}
REDUCED |= {"Li6PS5Cl": "Li3PS4", "Li4Ti5O12": "Li2TiO3"}


def test_there_is_a_campaign_file_for_each_of_the_five_systems():
    assert [p.name.split("_")[0] for p in EXAMPLES] == [f"system{i}" for i in range(1, 6)]
    for path in EXAMPLES:
        content = read_campaign_file(path)
        campaign = screen_campaign(content)
        assert campaign.reactions and campaign.phases


def reduced(value):
    if isinstance(value, str):
        return REDUCED.get(value, value)
    if isinstance(value, list):
        return [reduced(v) for v in value]
    if isinstance(value, dict):
        return {k: reduced(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One embedded store for the five campaigns: phases they share are computed once."""
    job_store = build_job_store(f"embedded://{tmp_path_factory.mktemp('examples')}")
    job_store.connect()
    return job_store


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name.split("_")[0])
def test_reduced_campaign_runs_into_the_store(path, store, tmp_path):
    content = reduced(yaml.safe_load(path.read_text()))
    reduced_file = tmp_path / path.name
    reduced_file.write_text(yaml.safe_dump(content))
    campaign = screen_campaign(read_campaign_file(reduced_file))
    results = run_campaign(campaign, store)
    assert all(c["state"] == "successful" for c in results["calculation"])
    assert len(results["reaction"]) == len(campaign.reactions)
    for doc in results["reaction"]:
        assert doc["reaction_energy_ev_per_atom"] <= 0
        assert sum(doc["mixing_fractions"]) == pytest.approx(1.0, abs=1e-5)
        assert doc["voltage_reference"] == campaign.voltage_reference.replace("LiIn", "Li-In")
    assert len(results["scan"]) == len(campaign.scans)
    for scan in results["scan"]:
        assert scan["voltages_v_vs_li"][0] < scan["voltages_v_vs_li"][-1]
    observed = content["screen"].get("observed_products")
    text = render_all(
        {k: results[k] for k in ("hull", "window", "reaction", "scan")}, "md", observed
    )
    assert "Most negative interfacial reactions" in text
    if observed:
        assert " seen" in text


def test_campaign_file_mistakes_get_one_sentence(tmp_path):
    cases = {
        "screen: {matrix: {coatings: [LiF], cathode: [LiCoO2], electrolytes: [Li3PS4]}}": (
            "unknown key 'cathode' in screen: matrix; did you mean 'cathodes'?"
        ),
        "screen: {reactions: [[LiF, LiCoO2, 4.2]], observed_products: [POx]}": (
            "unknown observed product groups ['POx']"
        ),
        "screen: {reactions: [[LiF, 4.2]]}": "needs [phase A, phase B, (phase C,) voltage",
        "screen: {reactions: [[LiF, LiCoO2, -1.0]]}": "outside the window of the Li reference",
        "screen: {voltage_reference: Li-Sn, reactions: [[LiF, LiCoO2, 1.0]]}": "Unknown anode",
        "screen: {scans: [[LiF, LiCoO2, 3.0]]}": "needs [phase A, phase B, from V, to V]",
        "screen: {scan: [[LiF, LiCoO2, 3.0, 4.0]]}": "did you mean 'scans'?",
        "screen: {hulls: [LiF], temperatures_k: [298], phonon_min_length_a: 0}": (
            "phonon_min_length_a 0.0 is not a length"
        ),
        "screen: {hulls: [LiF], temperatures_k: [298], gas_pressures_bar: [0.2]}": (
            "gas_pressures_bar [0.2] is not a mapping"
        ),
        "screen: {hulls: [LiF], temperatures_k: [298], gas_pressures_bar: {N2: 1}}": (
            "'N2' is not a gas with an ideal-gas model here"
        ),
        "screen: {hulls: [LiF], temperatures_k: [298], gas_pressures_bar: {O2: 0}}": (
            "The O2 pressure 0 bar is not a positive number"
        ),
    }
    for text, message in cases.items():
        path = tmp_path / "bad.yaml"
        path.write_text(f"name: bad\n{text}\n")
        with pytest.raises(ValueError, match=None) as info:
            read_campaign_file(path)
        assert message in str(info.value), str(info.value)
        assert str(info.value).count(". ") <= 1  # one sentence


def test_every_screen_key_a_campaign_file_accepts_reaches_the_campaign():
    """SCREEN_KEYS is derived from Campaign's fields: each must be read by screen_campaign."""
    given = {
        "hulls": ["LiCl"],
        "windows": ["Li2O"],
        "reactions": [["LiCl", "Li2O", None]],
        "scans": [["LiCl", "Li2O", 0.0, 1.0]],
        "voltage_reference": "Li-In",
        "max_atoms": 50,
        "temperatures_k": [300.0],
        "phonon_min_length_a": 10.0,
        "gas_pressures_bar": {"O2": 0.2},
    }
    assert set(given) == SCREEN_KEYS - {"matrix", "observed_products"}
    campaign, default = screen_campaign({"screen": given}), Campaign()
    for key in given:
        assert getattr(campaign, key) != getattr(default, key), key
