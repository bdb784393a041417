"""Reactions of two and three phases, voltages, scans and the screening matrix (offline set)."""

import warnings
from dataclasses import asdict

import pytest
from pymatgen.analysis.interface_reactions import (
    GrandPotentialInterfacialReactivity,
    InterfacialReactivity,
)
from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram, PhaseDiagram
from pymatgen.core import Composition, Element

from ssbscreen.analysis.hull import elements_of
from ssbscreen.analysis.plots import mixing_curve, plot_mixing_curve
from ssbscreen.analysis.products import group_products, product_group
from ssbscreen.analysis.reactions import (
    ReactionSpace,
    is_one_phase,
    most_negative_mixture_reaction,
    most_negative_reaction,
    voltage_scan,
)
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.screening import mixtures, screening_matrix
from ssbscreen.analysis.tables import render, table_rows
from ssbscreen.analysis.voltages import get_anode, voltage_vs_li
from ssbscreen.analysis.windows import electrochemical_window
from ssbscreen.workflows.interfaces import reaction_document
from ssbscreen.workflows.references import ReferenceSpec

VOLTAGES = [None, 0.0, 1.0, 2.5, 4.2]
PAIRS = [("Li3PS4", "LiCoO2"), ("Li2S", "LiNiO2"), ("LiNbO3", "Li3PS4"), ("LiF", "LiCoO2")]
TRIPLES = [("LiCoO2", "LiNbO3", "Li3PS4"), ("LiNiO2", "LiCl", "Li2S"), ("LiCoO2", "LiF", "P2S5")]


@pytest.fixture(scope="module")
def reference():
    return offline_reference_set("chgnet")


def pymatgen_minimum(a, b, reference, voltage):
    """Most negative kink of pymatgen's InterfacialReactivity: the independent answer."""
    pd = PhaseDiagram([*reference.in_chemsys(elements_of(a, b) | {"Li"}), a, b])
    if voltage is None:
        reactivity = InterfacialReactivity(
            a.composition, b.composition, pd, norm=True, use_hull_energy=False
        )
    else:
        mu_li = pd.el_refs[Element("Li")].energy_per_atom - voltage
        grand = GrandPotentialPhaseDiagram(pd.all_entries, {Element("Li"): mu_li})
        reactivity = GrandPotentialInterfacialReactivity(
            a.composition, b.composition, grand, pd, include_no_mixing_energy=True, norm=True
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return min(kink[2] for kink in reactivity.get_kinks())


def pymatgen_mutual_minimum(a, b, reference, voltage):
    """Most negative kink of pymatgen's reactivity with reactant energies on the hull
    (use_hull_energy; at a voltage include_no_mixing_energy=False): the mutual energy, eV per
    (non-Li) atom of the mixture, as ours."""
    pd = PhaseDiagram([*reference.in_chemsys(elements_of(a, b) | {"Li"}), a, b])
    if voltage is None:
        reactivity = InterfacialReactivity(a.composition, b.composition, pd, use_hull_energy=True)
    else:
        mu_li = pd.el_refs[Element("Li")].energy_per_atom - voltage
        grand = GrandPotentialPhaseDiagram(pd.all_entries, {Element("Li"): mu_li})
        reactivity = GrandPotentialInterfacialReactivity(
            a.composition, b.composition, grand, pd, include_no_mixing_energy=False
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return min(kink[2] for kink in reactivity.get_kinks())


def net_elements(result):
    """Element counts reactants minus products of a result's balanced reaction."""
    counts = {}
    for sign, side in ((1, result.reactants), (-1, result.products)):
        for formula, amount in side.items():
            for el, n in Composition(formula).items():
                counts[el.symbol] = counts.get(el.symbol, 0.0) + sign * amount * n
    return counts


@pytest.mark.parametrize("voltage", VOLTAGES)
@pytest.mark.parametrize("pair", PAIRS)
def test_pair_equals_pymatgen_interfacial_reactivity(reference, pair, voltage):
    a, b = (reference.lowest_entry(f) for f in pair)
    result = most_negative_reaction(a, b, reference, voltage)
    expected = min(pymatgen_minimum(a, b, reference, voltage), 0.0)
    assert result.reaction_energy_ev_per_atom == pytest.approx(expected, abs=1e-8)
    assert sum(result.mixing_fractions) == pytest.approx(1.0)


@pytest.mark.parametrize("voltage", [None, 4.2])
@pytest.mark.parametrize("triple", TRIPLES)
def test_triple_reduces_to_its_pairs_and_is_never_beaten_by_them(reference, triple, voltage):
    entries = [reference.lowest_entry(f) for f in triple]
    space = ReactionSpace.of(reference, *entries)
    both = space.most_negative(entries, voltage)
    assert both.reaction_energy_ev_per_atom <= 1e-12
    for zero in range(3):
        pair = [e for i, e in enumerate(entries) if i != zero]
        face = space.most_negative(entries, voltage, fixed_zero=(zero,))
        assert face.mixing_fractions[zero] == 0.0
        expected = min(pymatgen_minimum(*pair, reference, voltage), 0.0)
        assert face.reaction_energy_ev_per_atom == pytest.approx(expected, abs=1e-8)
        assert both.reaction_energy_ev_per_atom <= face.reaction_energy_ev_per_atom + 1e-12
        # the plane through the three pure phases is the line through two on a face
        mutual = min(pymatgen_mutual_minimum(*pair, reference, voltage), 0.0)
        assert face.mutual.reaction_energy_ev_per_atom == pytest.approx(mutual, abs=1e-6)
        assert (
            both.mutual.reaction_energy_ev_per_atom
            <= face.mutual.reaction_energy_ev_per_atom + 1e-12
        )
    assert both.reaction_energy_ev_per_atom <= both.mutual.reaction_energy_ev_per_atom + 1e-12
    for element, net in net_elements(both).items():
        assert net == pytest.approx(0.0, abs=1e-6), element  # Li included: it is listed


@pytest.mark.parametrize("voltage", VOLTAGES)
@pytest.mark.parametrize("pair", [*PAIRS, ("Li3InCl6", "Li6PS5Cl")])
def test_mutual_energy_equals_pymatgen_without_no_mixing_energy(reference, pair, voltage):
    a, b = (reference.lowest_entry(f) for f in pair)
    result = most_negative_reaction(a, b, reference, voltage)
    expected = min(pymatgen_mutual_minimum(a, b, reference, voltage), 0.0)
    assert result.mutual.reaction_energy_ev_per_atom == pytest.approx(expected, abs=1e-6)
    assert result.reaction_energy_ev_per_atom <= result.mutual.reaction_energy_ev_per_atom + 1e-12


def mutual_curve(space, a, b, voltage, ratios):
    """E(x) minus the line through the pure phases' own reaction energies, weighted by the
    (non-Li) atoms each brings, as the program weighs them."""
    li = [0.0 if voltage is None else e.composition.get_atomic_fraction("Li") for e in (a, b)]
    pure_a, pure_b = (space.energy_at([a, b], f, voltage) for f in ([1, 0], [0, 1]))
    curve = []
    for x in ratios:
        w = x * (1 - li[0]) / (x * (1 - li[0]) + (1 - x) * (1 - li[1]))
        total = space.energy_at([a, b], [x, 1 - x], voltage)
        curve.append(total - w * pure_a - (1 - w) * pure_b)
    return curve


@pytest.mark.parametrize(
    ("pair", "voltage"),
    [(("Li3PS4", "LiCoO2"), 4.2), (("Li3InCl6", "Li6PS5Cl"), None), (("LiNbO3", "Li3PS4"), 1.0)],
)
def test_mutual_energy_is_the_minimum_below_the_line_through_the_pure_phases(
    reference, pair, voltage
):
    """0 at x = 0 and 1, <= 0 between, its minimum at the mutual ratio, >= the total."""
    a, b = (reference.lowest_entry(f) for f in pair)
    space = ReactionSpace.of(reference, a, b)
    result = space.most_negative([a, b], voltage)
    mutual = result.mutual
    ratios = [i / 40 for i in range(41)]
    curve = mutual_curve(space, a, b, voltage, ratios)
    assert curve[0] == pytest.approx(0.0, abs=1e-9) and curve[-1] == pytest.approx(0.0, abs=1e-9)
    assert max(curve) <= 1e-9
    assert min(curve) >= mutual.reaction_energy_ev_per_atom - 1e-9
    (at_ratio,) = mutual_curve(space, a, b, voltage, [mutual.mixing_ratio])
    assert at_ratio == pytest.approx(mutual.reaction_energy_ev_per_atom, abs=1e-9)
    assert mutual.reaction_energy_ev_per_atom < -0.005  # each pair reacts beyond its phases
    assert result.reaction_energy_ev_per_atom <= mutual.reaction_energy_ev_per_atom
    for element, net in net_elements(mutual).items():
        assert net == pytest.approx(0.0, abs=1e-6), element


def test_argyrodite_oxidising_alone_is_flagged_and_leaves_no_mutual_reaction(reference):
    """Li3InCl6 | Li6PS5Cl at 4.2 V: the worst point is Li6PS5Cl alone (Cl2, Li, P2S5, S), its
    own oxidation; beyond it the two do not react (pymatgen agrees, above); chemically the
    metastable argyrodite's own decomposition is taken out too."""
    a, b = reference.lowest_entry("Li3InCl6"), reference.lowest_entry("Li6PS5Cl")
    space = ReactionSpace.of(reference, a, b)
    result = space.most_negative([a, b], 4.2)
    assert result.mixing_fractions == (0.0, 1.0) and is_one_phase(result.mixing_fractions)
    assert set(result.products) == {"Cl2", "Li", "P2S5", "S"}
    alone = space.most_negative([b], 4.2).reaction_energy_ev_per_atom
    assert result.reaction_energy_ev_per_atom == pytest.approx(alone, abs=1e-9) and alone < -1
    assert result.mutual.reaction_energy_ev_per_atom == 0.0
    assert result.mutual.reaction == "no reaction"
    chemical = space.most_negative([a, b])
    assert not is_one_phase(chemical.mutual.mixing_fractions)
    assert (
        chemical.reaction_energy_ev_per_atom < chemical.mutual.reaction_energy_ev_per_atom < -0.01
    )
    spec = asdict(ReferenceSpec())
    phases = ["Li3InCl6", "Li6PS5Cl"]
    docs = [
        reaction_document.original(phases, [None, None], v, spec, "k").model_dump()
        for v in (None, 4.2)
    ]
    assert docs[1]["mutual_reaction_energy_ev_per_atom"] == 0.0
    assert docs[1]["mutual_mixing_ratio"] == pytest.approx(result.mutual.mixing_ratio)
    assert docs[0]["mutual_products"] == pytest.approx(chemical.mutual.products)
    row, chemical_row = table_rows("reaction", docs)  # sorted: "4.20" before "chemical"
    assert row[1:5] == ["4.20", f"{1000 * alone:.1f}", "0.0", "Li6PS5Cl alone"]
    assert chemical_row[4] == "mixture"
    assert float(chemical_row[3]) == pytest.approx(
        1000 * chemical.mutual.reaction_energy_ev_per_atom, abs=0.05
    )
    assert "Worst point 'X alone'" in render("reaction", docs)


def test_a_stable_pair_has_no_reaction_total_or_mutual(reference):
    a, b = reference.lowest_entry("LiCl"), reference.lowest_entry("Li2O")
    result = most_negative_reaction(a, b, reference)
    assert result.reaction_energy_ev_per_atom == 0.0
    assert result.mutual.reaction_energy_ev_per_atom == 0.0
    assert result.mutual.reaction == "no reaction"


def test_three_way_mixture_of_sulfide_oxide_and_chloride(reference):
    """LiCoO2 + LiCl + Li3PS4 at 4.2 V: products balance and the energy is a real minimum."""
    entries = [reference.lowest_entry(f) for f in ("LiCoO2", "LiCl", "Li3PS4")]
    result = most_negative_mixture_reaction(entries, reference, 4.2)
    space = ReactionSpace.of(reference, *entries)
    for fractions in ([0.2, 0.3, 0.5], [0.5, 0.1, 0.4], [1 / 3, 1 / 3, 1 / 3]):
        assert space.energy_at(entries, fractions, 4.2) >= result.reaction_energy_ev_per_atom
    assert result.reaction_energy_ev_per_atom < -0.5


def test_a_phase_does_not_react_with_itself(reference):
    entry = reference.lowest_entry("Li3PO4")
    for voltage in (None, 1.0, 3.0):
        result = most_negative_mixture_reaction([entry, entry, entry], reference, voltage)
        assert result.reaction_energy_ev_per_atom == 0.0
        assert result.reaction == "no reaction"


def test_a_mixture_that_does_not_react_says_so_in_its_row():
    """Li2S | Li: no products, no species groups (not Li2S, the reactant the LP stops at), no
    worst mixing fraction."""
    spec = asdict(ReferenceSpec())
    doc = reaction_document.original(["Li2S", "Li"], [None, None], None, spec, "k").model_dump()
    assert doc["reaction"] == "no reaction" and doc["product_groups"] == {}
    (row,) = table_rows("reaction", [doc])
    assert row[2:8] == ["0.0", "0.0", "-", "-", "no reaction", "-"]


@pytest.mark.parametrize("formula", ["Li3PS4", "LiCoO2", "LiCl", "Li2S"])
def test_voltage_results_agree_with_the_grand_potential_window(reference, formula):
    """Alone, a phase reacts exactly outside its window; the scan finds the window limits."""
    entry = reference.lowest_entry(formula)
    window = electrochemical_window(entry, reference)
    space = ReactionSpace.of(reference, entry)
    inside = 0.5 * (window.reduction_v_vs_li + window.oxidation_v_vs_li)
    assert space.most_negative([entry], inside).reaction_energy_ev_per_atom == 0.0
    above = space.most_negative([entry], window.oxidation_v_vs_li + 0.05)
    assert above.reaction_energy_ev_per_atom < 0
    assert above.products.get("Li", 0) > 0  # oxidation releases Li
    up = voltage_scan([entry], reference, inside, 6.5)
    assert up.onset_v_vs_li == pytest.approx(window.oxidation_v_vs_li, abs=1e-3)
    down = voltage_scan([entry], reference, inside, 0.0)
    if window.reduction_v_vs_li > 0:
        assert down.onset_v_vs_li == pytest.approx(window.reduction_v_vs_li, abs=1e-3)
        at_li = space.most_negative([entry], 0.0)
        assert at_li.reaction_energy_ev_per_atom < 0 and "Li" in at_li.reactants
    else:
        assert down.onset_v_vs_li is None


def test_scan_of_a_pair_reports_interface_onset_after_total_onset(reference):
    a, b = reference.lowest_entry("Li3PO4"), reference.lowest_entry("LiCoO2")
    scan = voltage_scan([a, b], reference, 2.5, 5.0, step_v=0.1)
    assert scan.voltages_v_vs_li[0] == 2.5 and scan.voltages_v_vs_li[-1] == 5.0
    assert all(e <= 1e-12 for e in scan.reaction_energies_ev_per_atom)
    assert all(
        t <= i + 1e-9
        for t, i in zip(
            scan.reaction_energies_ev_per_atom, scan.interface_energies_ev_per_atom, strict=True
        )
    )
    window = electrochemical_window(b, reference)  # LiCoO2 delithiates first
    assert scan.onset_v_vs_li == pytest.approx(window.oxidation_v_vs_li, abs=1e-3)
    # the two phases start reacting with each other no earlier (or not within the scan)
    assert (
        scan.interface_onset_v_vs_li is None or scan.interface_onset_v_vs_li >= scan.onset_v_vs_li
    )


def test_anodes_convert_to_volts_vs_li_and_bad_voltages_are_refused():
    # the cut-off of system 1 of the seed study (docs/campaigns.md)
    assert voltage_vs_li(3.58, "Li-In") == pytest.approx(4.2)
    assert voltage_vs_li(2.75, "LTO") == pytest.approx(4.3)
    assert get_anode("LiIn").name == "Li-In" and "doi" in get_anode("Li-In").source
    with pytest.raises(ValueError, match="outside the window of the Li reference"):
        voltage_vs_li(-0.7, "Li-In")
    with pytest.raises(ValueError, match="outside the window"):
        voltage_vs_li(12.0)
    with pytest.raises(ValueError, match="Unknown anode 'Li-Sn'"):
        voltage_vs_li(1.0, "Li-Sn")


def test_li_metal_is_the_reservoir_at_a_voltage(reference):
    li, licl = reference.lowest_entry("Li"), reference.lowest_entry("LiCl")
    assert most_negative_reaction(licl, li, reference).reaction_energy_ev_per_atom == 0.0
    with pytest.raises(ValueError, match="Li metal cannot be a reactant"):
        most_negative_reaction(licl, li, reference, 1.0)


def test_screening_matrix_equals_one_by_one_and_the_naive_way(reference):
    coatings = ["LiNbO3", "LiF", "Li3PO4"]
    phases = {f: reference.lowest_entry(f) for f in [*coatings, "LiCoO2", "Li3PS4"]}
    voltages = [None, 3.0, 4.2]
    cells = screening_matrix(phases, coatings, ["LiCoO2"], ["Li3PS4"], voltages, reference)
    wanted = mixtures(coatings, ["LiCoO2"], ["Li3PS4"])
    assert len(wanted) == 3 * 3 + 1 and len(cells) == len(wanted) * len(voltages)
    for cell in cells:
        entries = [phases[p] for p in cell.phases]
        alone = most_negative_mixture_reaction(entries, reference, cell.voltage_v_vs_li)
        assert cell.result.reaction_energy_ev_per_atom == pytest.approx(
            alone.reaction_energy_ev_per_atom, abs=1e-9
        )
        if len(entries) == 2:
            naive = pymatgen_minimum(*entries, reference, cell.voltage_v_vs_li)
            assert alone.reaction_energy_ev_per_atom == pytest.approx(min(naive, 0), abs=1e-8)
    with pytest.raises(ValueError, match="No entry given for"):
        screening_matrix(phases, ["HfO2"], ["LiCoO2"], ["Li3PS4"], [None], reference)


def test_products_are_grouped_like_xps_signals():
    assert product_group("Li3PO4") == "PO_x" and product_group("LiCoPO4") == "PO_x"
    assert product_group("CoSO4") == "SO_x"
    assert product_group("P2S5") == "P-S-P"  # P4S10: PS4 tetrahedra share S
    assert product_group("Li3PS4") is None  # isolated PS4: no bridging S
    assert product_group("Li2S") == "Li2S" and product_group("CoS2") is None
    assert group_products(["Li2S", "Li3PO4", "CoS2"]) == {"Li2S": ["Li2S"], "PO_x": ["Li3PO4"]}


def test_mixing_curve_minimum_is_the_most_negative_reaction(reference, tmp_path):
    a, b = reference.lowest_entry("Li3PS4"), reference.lowest_entry("LiCoO2")
    for voltage in (None, 4.2):
        x, energies = mixing_curve(a, b, reference, voltage, points=41)
        best = most_negative_reaction(a, b, reference, voltage)
        # the program's optimum lies on the curve and no point of the curve is below it
        space = ReactionSpace.of(reference, a, b)
        at_best = space.energy_at([a, b], [best.mixing_ratio, 1 - best.mixing_ratio], voltage)
        assert at_best == pytest.approx(best.reaction_energy_ev_per_atom, abs=1e-9)
        assert energies.min() >= best.reaction_energy_ev_per_atom - 1e-9
    assert energies[0] <= 0 and energies[-1] <= 0  # each phase's own decomposition at 4.2 V
    path = plot_mixing_curve(("Li3PS4", "LiCoO2"), x, energies, 4.2, tmp_path / "mix.png")
    assert path.stat().st_size > 1000
