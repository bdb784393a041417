"""The coating screen (``ssbscreen screen coatings``): physics of its rows, its ranking, equality
with the single ``hull``, ``window`` and ``react`` answers, and bad input."""

import json
import math

import pytest
from monty.json import MontyEncoder
from pymatgen.core import Composition

from ssbscreen.analysis.coatings import FILTERS, coating_candidates, coating_screen
from ssbscreen.analysis.hull import hull_result
from ssbscreen.analysis.reactions import ReactionSpace, most_negative_mixture_reaction
from ssbscreen.analysis.references import offline_reference_set
from ssbscreen.analysis.windows import electrochemical_window, window_in_space
from ssbscreen.cli import main
from ssbscreen.store import build_job_store

VOLTAGE = 4.3


@pytest.fixture(scope="module")
def reference():
    return offline_reference_set("chgnet")


@pytest.fixture(scope="module")
def named(reference):
    """The set's entries by phase name (its NCM811 and Li6PS5Cl are the library cells)."""
    return {e.data["phase"]: e for e in reference.entries}


@pytest.fixture(scope="module")
def screen(reference, named):
    cathode, electrolyte = named["NCM811"], named["Li6PS5Cl"]
    candidates = coating_candidates(reference, [cathode.composition, electrolyte.composition])
    return coating_screen(cathode, electrolyte, candidates, reference, VOLTAGE)


def test_candidates_are_li_phases_but_li_cathode_and_electrolyte(reference, named, screen):
    formulas = [row.formula for row in screen.rows]
    assert len(formulas) == len(set(formulas)) > 40
    for formula in formulas:
        composition = Composition(formula)
        assert "Li" in composition and len(composition.elements) > 1
    excluded = {named[p].composition.reduced_formula for p in ("NCM811", "Li6PS5Cl", "Li")}
    assert excluded.isdisjoint(formulas)
    li_formulas = {
        e.composition.reduced_formula for e in reference.entries if "Li" in e.composition
    }
    assert set(formulas) == li_formulas - excluded  # every other Li phase is a candidate


def test_window_from_the_programs_equals_the_grand_potential_window(reference, named):
    # every Li phase but NCM811: Li6PS5Cl's window too
    candidates = coating_candidates(reference, [named["NCM811"].composition])
    space = ReactionSpace.of(reference, *candidates)
    without_window = []
    for entry in candidates:
        try:
            expected = electrochemical_window(entry, reference)
        except ValueError as exc:
            with pytest.raises(ValueError, match="no window"):
                window_in_space(space, entry)
            without_window.append(entry.composition.reduced_formula)
            assert "no window" in str(exc)
            continue
        window = window_in_space(space, entry)
        assert window.reduction_v_vs_li == pytest.approx(expected.reduction_v_vs_li, abs=1e-6)
        assert window.oxidation_v_vs_li == pytest.approx(expected.oxidation_v_vs_li, abs=1e-6)
        assert window.reduction_products == expected.reduction_products
        assert window.oxidation_products == expected.oxidation_products
    assert set(without_window) == {"LiMn2O4", "Li2PS3", "Li3P7"}  # stable at one voltage


def test_rows_physics(reference, screen):
    for row in screen.rows:
        entry = reference.lowest_entry(row.formula)
        expected = hull_result(entry, reference).e_above_hull_ev_per_atom
        assert row.e_above_hull_ev_per_atom == pytest.approx(expected, abs=1e-9)
        assert row.e_above_hull_ev_per_atom >= 0
        if row.reduction_v_vs_li is not None:
            assert 0 <= row.reduction_v_vs_li < row.oxidation_v_vs_li
        energies = (
            row.reaction_with_cathode_ev_per_atom,
            row.reaction_with_electrolyte_ev_per_atom,
            row.reaction_with_cathode_at_voltage_ev_per_atom,
            row.reaction_with_electrolyte_at_voltage_ev_per_atom,
        )
        assert all(e <= 0 for e in energies)
        # Li open at 4.3 V: at least as negative as without exchange (the closed reaction is
        # one of the open ones, per non-Li atom instead of per atom: a larger magnitude)
        assert energies[2] <= energies[0] + 1e-9 and energies[3] <= energies[1] + 1e-9
        # the mutual part at the voltage: what mixing adds, never more than the total, <= 0
        for total, mutual in (
            (energies[2], row.mutual_with_cathode_at_voltage_ev_per_atom),
            (energies[3], row.mutual_with_electrolyte_at_voltage_ev_per_atom),
        ):
            assert total - 1e-9 <= mutual <= 1e-9
    by_formula = {row.formula: row for row in screen.rows}
    for stable in ("LiF", "Li3PO4", "LiNbO3", "LiCl"):  # on the hull of the set: exactly 0
        assert by_formula[stable].e_above_hull_ev_per_atom == 0.0
    # Li3PO4 is oxidised at 4.20 V (published 4.21), LiF at 6.2 V: one fails at 4.3 V
    assert by_formula["Li3PO4"].failed_filters == ("window",)
    assert by_formula["LiF"].passes


def test_filters_and_ranking_rule(screen):
    for row in screen.rows:
        upper = math.inf if row.oxidation_v_vs_li is None else row.oxidation_v_vs_li
        within = row.reduction_v_vs_li is not None and row.reduction_v_vs_li <= VOLTAGE <= upper
        expected = {
            "e_above_hull": row.e_above_hull_ev_per_atom > screen.max_e_above_hull_ev_per_atom,
            "window": not within,
        }
        assert row.failed_filters == tuple(f for f in FILTERS if expected[f])
    passing = [row.passes for row in screen.rows]
    assert passing == sorted(passing, reverse=True)  # every passing candidate first
    assert 0 < sum(passing) < len(passing)

    def worse(row, at_voltage):  # to 1e-6 eV/atom, as the rule compares them
        if at_voltage:
            return round(
                min(
                    row.mutual_with_cathode_at_voltage_ev_per_atom,
                    row.mutual_with_electrolyte_at_voltage_ev_per_atom,
                ),
                6,
            )
        chemical = (
            row.reaction_with_cathode_ev_per_atom,
            row.reaction_with_electrolyte_ev_per_atom,
        )
        return round(min(chemical), 6)

    ties = 0
    for a, b in zip(screen.rows, screen.rows[1:], strict=False):
        if a.passes != b.passes:
            continue
        assert worse(a, False) >= worse(b, False)  # least negative first
        if worse(a, False) == worse(b, False):
            ties += 1
            assert worse(a, True) >= worse(b, True)
            if worse(a, True) == worse(b, True):
                assert a.formula < b.formula
    # e.g. LiYF4 and LiF (0 and -14.4 meV/atom chemically, Li6PS5Cl's own decomposition): the
    # mutual energies at 4.3 V rank them, not their formulas
    assert ties > 0


def test_ranking_does_not_depend_on_the_order_of_the_candidates(reference, named, screen):
    """Equal energies (Li6PS5Cl's own decomposition for many) are ties, not LP round-off."""
    cathode, electrolyte = named["NCM811"], named["Li6PS5Cl"]
    candidates = [reference.lowest_entry(row.formula) for row in screen.rows][::-1]
    again = coating_screen(cathode, electrolyte, candidates, reference, VOLTAGE)
    assert [row.formula for row in again.rows] == [row.formula for row in screen.rows]


def test_reactions_equal_one_by_one(reference, named, screen):
    cathode, electrolyte = named["NCM811"], named["Li6PS5Cl"]
    for row in screen.rows[::7]:
        coating = reference.lowest_entry(row.formula)
        for other, name in ((cathode, "cathode"), (electrolyte, "electrolyte")):
            for voltage, suffix in ((None, ""), (VOLTAGE, "_at_voltage")):
                alone = most_negative_mixture_reaction([coating, other], reference, voltage)
                assert getattr(row, f"reaction_with_{name}{suffix}_ev_per_atom") == pytest.approx(
                    alone.reaction_energy_ev_per_atom, abs=1e-9
                )
            mutual = getattr(row, f"mutual_with_{name}_at_voltage_ev_per_atom")
            assert mutual == pytest.approx(alone.mutual.reaction_energy_ev_per_atom, abs=1e-9)


def _answer(capsys, args):
    assert main(args) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _check_against_single_answers(capsys, store, cathode, electrolyte, voltage, formulas):
    """The screen's rows equal ``hull``, ``window`` and ``react`` for ``formulas``."""
    common = ["--store", store, "--json"]
    answer = _answer(
        capsys,
        [
            "screen",
            "coatings",
            "--cathode",
            cathode,
            "--electrolyte",
            electrolyte,
            "--voltage",
            str(voltage),
            *common,
        ],
    )
    assert answer["reference_set"].startswith("offline-CHGNet")
    assert (answer["cathode"], answer["electrolyte"]) == (cathode, electrolyte)
    assert [row["rank"] for row in answer["rows"]] == list(range(1, len(answer["rows"]) + 1))
    rows = {row["formula"]: row for row in answer["rows"]}
    for formula in formulas:
        row = rows[formula]
        hull = _answer(capsys, ["hull", formula, *common])
        assert row["e_above_hull_ev_per_atom"] == pytest.approx(
            hull["e_above_hull_ev_per_atom"], abs=1e-6
        )
        window = _answer(capsys, ["window", formula, *common])
        for limit in ("reduction_v_vs_li", "oxidation_v_vs_li"):
            assert row[limit] == pytest.approx(window[limit], abs=1e-4)  # both rounded to 1e-4
        for partner, name in ((cathode, "cathode"), (electrolyte, "electrolyte")):
            chemical = _answer(capsys, ["react", formula, partner, *common])
            assert row[f"reaction_with_{name}_ev_per_atom"] == pytest.approx(
                chemical["reaction_energy_ev_per_atom"], abs=1e-6
            )
            at_voltage = _answer(
                capsys, ["react", formula, partner, "--voltage", str(voltage), *common]
            )
            assert row[f"reaction_with_{name}_at_voltage_ev_per_atom"] == pytest.approx(
                at_voltage["reaction_energy_ev_per_atom"], abs=1e-6
            )
            assert row[f"mutual_with_{name}_at_voltage_ev_per_atom"] == pytest.approx(
                at_voltage["mutual_reaction_energy_ev_per_atom"], abs=1e-6
            )
            assert at_voltage["reference_set"] == answer["reference_set"]
    return answer


def test_rows_equal_hull_window_and_react_answers(tmp_path, capsys):
    """Reference phases as cathode and electrolyte: nothing to relax."""
    store = f"embedded://{tmp_path / 'store'}"
    formulas = ["LiNbO3", "Li3PO4", "LiAlO2", "Li2SO4"]
    answer = _check_against_single_answers(capsys, store, "LiCoO2", "Li3PS4", 4.0, formulas)
    assert {row["formula"] for row in answer["rows"]}.isdisjoint({"LiCoO2", "Li3PS4", "Li"})


@pytest.mark.slow
def test_ncm811_li6ps5cl_rows_equal_react_answers(tmp_path, capsys):
    """The library's NCM811 and Li6PS5Cl, relaxed on first use as ``react`` relaxes them."""
    store = f"embedded://{tmp_path / 'store'}"
    formulas = ["LiNbO3", "Li3PO4", "LiF"]
    _check_against_single_answers(capsys, store, "NCM811", "Li6PS5Cl", VOLTAGE, formulas)


def test_text_table_and_plot(tmp_path, capsys):
    plot = tmp_path / "coatings.png"
    args = ["screen", "coatings", "--cathode", "LiCoO2", "--electrolyte", "Li3PS4"]
    store = ["--store", f"embedded://{tmp_path / 'store'}", "--plot", str(plot)]
    assert main([*args, *store]) == 0
    out = capsys.readouterr().out
    assert "| rank | coating | E_hull (meV/atom) |" in out and "Ranking: candidates" in out
    assert "| 1 |" in out and "at 4.3 V" in out  # the default voltage
    assert plot.stat().st_size > 10_000


def _li_poor_references(tmp_path, reference) -> str:
    """A reference file whose only Li compounds are LiCoO2 and Li3PS4."""
    keep = {"Li", "Co", "O2", "P", "S", "LiCoO2", "Li3PS4", "CoO", "P2S5"}
    entries = [e for e in reference.entries if e.composition.reduced_formula in keep]
    path = tmp_path / "references.json"
    path.write_text(json.dumps(entries, cls=MontyEncoder))
    return str(path)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--cathode", "NCM812", "--electrolyte", "Li6PS5Cl"], "--cathode: Unknown phase"),
        (["--cathode", "NCM811", "--electrolyte", "LPSCl"], "--electrolyte: Unknown phase"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--voltage", "nan"], "nan"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--voltage", "inf"], "inf"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--voltage", "-1"], "-1"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--max-ehull", "-0.1"], "max-ehull"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--model", "mace"], "mace"),
        (["--cathode", "LiCoO2", "--electrolyte", "LiCoO2"], "same phase"),
        (["--cathode", "LiCoO2", "--electrolyte", "Li3PS4", "--references"], "no Li-containing"),
    ],
)
def test_bad_input_exit_2_one_sentence_nothing_written(tmp_path, capsys, reference, args, needle):
    if args[-1] == "--references":
        args = [*args, _li_poor_references(tmp_path, reference)]
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["screen", "coatings", *args, "--store", uri]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and err.startswith("error: ") and "\n" not in err, err
    assert captured.out == ""
    if needle.startswith("--"):
        assert "ssbscreen structures list" in err  # where the valid names are
    store = build_job_store(uri)
    store.connect()
    assert store.count() == 0
