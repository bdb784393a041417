"""dG of the doping step and site energies, against hand-computed numbers; campaign files."""

from pathlib import Path

import pytest

from ssbscreen.analysis.doping import doping_reaction_free_energy, site_energies
from ssbscreen.workflows.campaign_file import read_campaign_file

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_doping_free_energy_signs_by_hand():
    # host + In(anode) -> doped + 3 Li(cathode) + 3 e: E_doped - E_pristine = +4.0 eV,
    # In metal -2.7 eV/atom (mu_In = -2.71), Li metal -1.9 eV/atom (mu_Li = -5.7), OCV 2.82 V:
    # dG = 4.0 - (-2.71) + 3 * (-5.7) - 3 * 2.82 = 4.0 + 2.71 - 17.1 - 8.46 = -18.85 eV
    dg = doping_reaction_free_energy(
        e_doped_ev=-100.0,
        e_pristine_ev=-104.0,
        n_dopants=1,
        n_li_removed=3,
        e_dopant_element_ev_per_atom=-2.7,
        e_li_metal_ev_per_atom=-1.9,
        delta_mu_dopant_ev=-0.01,
        delta_mu_li_ev=-3.8,
        ocv_v=2.82,
    )
    assert dg == pytest.approx(-18.85)


def test_doping_free_energy_terms_move_the_right_way():
    base = {
        "e_doped_ev": -100.0,
        "e_pristine_ev": -104.0,
        "n_dopants": 1,
        "n_li_removed": 3,
        "e_dopant_element_ev_per_atom": -2.7,
        "e_li_metal_ev_per_atom": -1.9,
        "delta_mu_dopant_ev": 0.0,
        "delta_mu_li_ev": 0.0,
        "ocv_v": 0.0,
    }
    dg0 = doping_reaction_free_energy(**base)
    # a richer dopant reservoir (higher mu_In) makes doping more favourable
    assert doping_reaction_free_energy(**{**base, "delta_mu_dopant_ev": 0.1}) < dg0
    # Li released into a reservoir of higher mu_Li makes doping less favourable
    assert doping_reaction_free_energy(**{**base, "delta_mu_li_ev": 0.1}) > dg0
    # a cell voltage drives the electrons: more favourable
    assert doping_reaction_free_energy(**{**base, "ocv_v": 1.0}) == pytest.approx(dg0 - 3.0)


def test_site_energies_relative_to_lowest():
    assert site_energies({"6g": -200.5, "6h": -200.2}) == pytest.approx({"6g": 0.0, "6h": 0.3})


def test_campaign_file_unknown_key_names_the_nearest(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndoping:\n  host: Li3YCl6\n  substitution: 3Li->In\n  n_orderngs: 3\n")
    with pytest.raises(ValueError, match=r"n_orderngs.*n_orderings"):
        read_campaign_file(path)
    path.write_text("name: x\nscreen:\n  hull: [LiCl]\n")
    with pytest.raises(ValueError, match="'hulls'"):
        read_campaign_file(path)
    path.write_text("name: x\n")
    with pytest.raises(ValueError, match="needs a 'doping', a 'screen' or a 'migration' section"):
        read_campaign_file(path)


def test_shipped_example_is_valid():
    content = read_campaign_file(EXAMPLES / "lyc_in_doping.yaml")
    assert content["doping"]["host"] == "Li3YCl6"
