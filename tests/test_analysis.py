"""Physics of the analysis functions on the shipped offline reference set."""

import pytest
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition

from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.reactions import most_negative_reaction
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.windows import electrochemical_window

ELEMENTS_OF_THE_FIVE_SYSTEMS = set(
    ["Li", "Ni", "Co", "Mn", "Al", "O", "P", "S", "Cl", "In", "Y", "Nb", "Hf", "F", "Ti"]
)


@pytest.fixture(scope="module", params=["chgnet", "sevennet-l3i5"])
def reference(request):
    """Each shipped offline set: the physics below holds for every potential's set."""
    return offline_reference_set(request.param)


def test_offline_set_covers_the_five_systems(reference):
    assert reference.elements >= ELEMENTS_OF_THE_FIVE_SYSTEMS
    assert len({e.composition.reduced_formula for e in reference.entries}) >= 80
    for element in ELEMENTS_OF_THE_FIVE_SYSTEMS:
        assert reference.lowest_entry(element) is not None, f"no elemental {element}"


def test_every_stable_reference_phase_sits_on_the_hull(reference):
    """In its own chemical system, a phase on the hull is at 0 eV/atom and decomposes to itself."""
    n_stable = 0
    for entry in reference.entries:
        pd = PhaseDiagram(reference.in_chemsys({el.symbol for el in entry.composition.elements}))
        result = hull_result(entry, reference)
        assert result.e_above_hull_ev_per_atom >= 0  # the set defines its own hull
        assert sum(result.decomposition.values()) == pytest.approx(1.0)
        if entry in pd.stable_entries:
            n_stable += 1
            assert result.e_above_hull_ev_per_atom == pytest.approx(0.0, abs=1e-9)
            assert result.decomposition == {entry.composition.reduced_formula: 1.0}
        else:
            assert result.e_above_hull_ev_per_atom > 0
    assert n_stable >= 40


# compounds of the five systems that exist as stable solids at 298 K (each is tabulated as the
# crystalline phase in benchmarks/data/experimental_formation_enthalpies.csv, CRC/JANAF/SGTE)
MEASURED_STABLE = [
    "LiCl",
    "LiF",
    "Li2O",
    "Li2S",
    "Li3PO4",
    "Li2SO4",
    "Li2TiO3",
    "LiAlO2",
    "TiO2",
    "Y2O3",
    "YCl3",
    "YF3",
    "In2O3",
    "InCl3",
    "Al2O3",
    "Nb2O5",
    "HfO2",
    "NiO",
    "CoO",
]


def test_phases_stable_in_nature_sit_on_the_hull(reference):
    """A potential's set whose hull puts a measured stable compound above it is wrong there."""
    for formula in MEASURED_STABLE:
        result = hull_result(reference.lowest_entry(formula), reference)
        assert result.e_above_hull_ev_per_atom == pytest.approx(0.0, abs=1e-9), formula


# standard enthalpies of formation at 298 K (kJ/mol), CRC Handbook of Chemistry and Physics
EXPERIMENTAL_HF_KJ_PER_MOL = {"LiCl": -408.6, "Li2O": -597.9, "LiF": -616.0, "Li2S": -441.4}
KJ_PER_MOL_PER_EV = 96.485


@pytest.mark.parametrize("formula", sorted(EXPERIMENTAL_HF_KJ_PER_MOL))
def test_formation_energies_on_the_mp2020_scale_match_experiment(reference, formula):
    """The energy scale is right: no missing or doubled anion corrections (within 0.1 eV/atom)."""
    entry = reference.lowest_entry(formula)
    elements = {el.symbol for el in entry.composition.elements}
    pd = PhaseDiagram(reference.in_chemsys(elements))
    n_atoms = (
        entry.composition.num_atoms / entry.composition.get_reduced_composition_and_factor()[1]
    )
    experiment = EXPERIMENTAL_HF_KJ_PER_MOL[formula] / KJ_PER_MOL_PER_EV / n_atoms
    assert pd.get_form_energy_per_atom(entry) == pytest.approx(experiment, abs=0.1)


@pytest.mark.parametrize("formula", ["LiCl", "Li2S", "LiF", "Li2O"])
def test_window_reduction_below_oxidation(reference, formula):
    window = electrochemical_window(reference.lowest_entry(formula), reference)
    assert window.reduction_v_vs_li == pytest.approx(0.0, abs=1e-6)  # stable against Li metal
    assert window.oxidation_v_vs_li is not None
    assert window.reduction_v_vs_li < window.oxidation_v_vs_li
    assert window.oxidation_products  # releases Li and forms the anion element or a compound


def _element_balance(result):
    counts = {}
    for formula, amount in result.reactants.items():
        for el, n in Composition(formula).items():
            counts[el.symbol] = counts.get(el.symbol, 0) + amount * n
    for formula, amount in result.products.items():
        for el, n in Composition(formula).items():
            counts[el.symbol] = counts.get(el.symbol, 0) - amount * n
    return counts


@pytest.mark.parametrize("voltage", [None, 0.5, 4.2])
@pytest.mark.parametrize("pair", [("Li2S", "LiCoO2"), ("LiCl", "Li2O"), ("Li3PO4", "Li2S")])
def test_reactions_are_exothermic_or_zero_and_balanced(reference, pair, voltage):
    a, b = (reference.lowest_entry(f) for f in pair)
    result = most_negative_reaction(a, b, reference, voltage)
    assert result.reaction_energy_ev_per_atom <= 1e-9
    assert 0.0 <= result.mixing_ratio <= 1.0
    for element, net in _element_balance(result).items():
        if not (voltage is not None and element == "Li"):  # Li is open at a voltage
            assert net == pytest.approx(0.0, abs=1e-6), element


def test_stable_phase_does_not_react_with_itself(reference):
    entry = reference.lowest_entry("LiCl")
    result = most_negative_reaction(entry, entry, reference)
    assert result.reaction_energy_ev_per_atom == 0.0
    assert result.reaction == "no reaction" and result.products == {"LiCl": 1.0}


def test_thiophosphate_reacts_with_layered_oxide_to_phosphate(reference):
    """Li3PS4 | LiCoO2: P-S trades for P-O (Richards et al., Chem. Mater. 28, 266 (2016))."""
    result = most_negative_reaction(
        reference.lowest_entry("Li3PS4"), reference.lowest_entry("LiCoO2"), reference
    )
    assert result.reaction_energy_ev_per_atom < -0.1
    assert "Li3PO4" in result.products
