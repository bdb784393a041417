"""Inputs a hostile or careless user gives (issue 22): refused in one sentence, exit 2, before
any work, nothing written; and one phase stored under one name however it is typed."""

import json

import pytest
from pymatgen.core import Lattice, Structure

from ssbscreen import cli
from ssbscreen.cli import main
from ssbscreen.store import build_job_store


def _refused(tmp_path, capsys, args, needle):
    """main(args) exits 2 with one line naming ``needle`` and leaves no store folder."""
    uri = f"embedded://{tmp_path / 'store'}"
    assert main([*args, "--store", uri]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err, err
    assert not (tmp_path / "store").exists()
    store = build_job_store(uri)
    store.connect()
    assert store.count() == 0


def _campaign_refused(tmp_path, capsys, content, needle):
    """``ssbscreen run`` on a campaign file of ``content`` is refused as _refused says."""
    path = tmp_path / "campaign.yaml"
    path.write_text(content + "\n")
    _refused(tmp_path, capsys, ["run", str(path)], needle)


def _poscar(tmp_path, name, lattice, species, coords):
    path = tmp_path / name
    Structure(lattice, species, coords).to(filename=str(path), fmt="poscar")
    return path


@pytest.mark.parametrize(
    ("lattice", "coords", "needle"),
    [
        (Lattice.cubic(30.0), [[0, 0, 0], [0.5, 0.5, 0.5]], "no neighbour within"),
        (Lattice.cubic(5.13), [[0, 0, 0], [0.03, 0, 0]], "0.15 A apart"),
    ],
)
def test_impossible_structures_are_refused(tmp_path, capsys, lattice, coords, needle):
    path = _poscar(tmp_path, "cell.vasp", lattice, ["Li", "Cl"], coords)
    _refused(tmp_path, capsys, ["hull", str(path)], needle)


def test_a_lattice_that_is_not_finite_is_refused(tmp_path, capsys):
    path = _poscar(tmp_path, "cell.vasp", Lattice.cubic(5.13), ["Li", "Cl"], [[0, 0, 0], [0.5] * 3])
    lines = path.read_text().splitlines()
    lines[2] = "nan 0.0 0.0"
    path.write_text("\n".join(lines) + "\n")
    _refused(tmp_path, capsys, ["hull", str(path)], "not finite")


@pytest.mark.parametrize("temperature", ["nan", "inf", "-5"])
def test_temperatures_outside_the_physical_range_are_refused(tmp_path, capsys, temperature):
    _refused(tmp_path, capsys, ["hull", "LiCl", "--temperature", temperature], "temperature")


def test_a_scan_from_high_to_low_voltage_is_refused(tmp_path, capsys):
    args = ["scan", "LiCl", "Li3PO4", "--from", "4", "--to", "2"]
    _refused(tmp_path, capsys, args, "lower voltage first")


def test_a_yaml_alias_is_refused_before_it_expands(tmp_path, capsys):
    bomb = ["a: &a [LiCl, LiCl, LiCl, LiCl]"]
    bomb += [
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}]" for p, n in zip("abcdefg", "bcdefgh", strict=True)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("name: bomb\n" + "\n".join(bomb) + "\nscreen:\n  hulls: *h\n")
    _refused(tmp_path, capsys, ["run", str(path)], "aliases")


def test_a_broken_config_file_is_named_without_echoing_it(tmp_path, capsys, monkeypatch):
    (tmp_path / "ssbscreen.yaml").write_text(
        "store:\n  uri: mongodb://db.example/x\n  password: s3cret-pw\n  user: [\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSBSCREEN_STORE", raising=False)
    assert main(["hull", "LiCl"]) == 2
    err = capsys.readouterr().err
    assert "ssbscreen.yaml" in err and "line" in err and "s3cret" not in err


def test_a_missing_folder_is_named_with_its_reason(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "hull.md"
    build_job_store(f"embedded://{tmp_path}/s").connect()  # a store that exists, empty
    assert main(["table", "hull", "--store", f"embedded://{tmp_path}/s", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {out}: No such file or directory; check the path."


def test_copying_from_a_store_that_does_not_exist_is_refused(tmp_path, capsys):
    source, destination = tmp_path / "nothing", tmp_path / "dest"
    args = ["store", "copy", f"embedded://{source}", f"embedded://{destination}"]
    assert main(args) == 2
    assert "nothing" in capsys.readouterr().err
    assert not source.exists() and not destination.exists()


def test_ctrl_c_stops_cleanly(tmp_path, capsys, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_structures", interrupted)
    assert main(["structures", "list"]) == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert "rerun to continue" in err and "Traceback" not in err


def test_a_library_name_typed_in_another_case_is_stored_once(tmp_path, capsys):
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["hull", "linbo3", "--store", uri, "--json"]) == 0
    assert main(["hull", "LiNbO3", "--store", uri, "--json"]) == 0
    assert main(["query", "hull", "--store", uri, "--json"]) == 0
    answers = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(a)["phase"] for a in answers[:2]] == ["LiNbO3", "LiNbO3"]
    assert len(json.loads(answers[2])) == 1


def _entries_file(path, licl_energy_ev, elements=True):
    from pymatgen.entries.computed_entries import ComputedEntry

    entries = [ComputedEntry("LiCl", licl_energy_ev)]
    if elements:
        entries += [ComputedEntry("Li", -1.9), ComputedEntry("Cl2", -3.6)]
    path.write_text(json.dumps([e.as_dict() for e in entries]))
    return path


def test_an_edited_or_another_references_file_of_one_name_gives_its_own_answer(tmp_path, capsys):
    """A result is keyed by the reference file's content, not its name."""
    uri = f"embedded://{tmp_path / 'store'}"
    refs = _entries_file(tmp_path / "refs.json", -7.5)
    (tmp_path / "other").mkdir()
    other = _entries_file(tmp_path / "other" / "refs.json", -4.0)

    def window(path):
        assert main(["window", "LiCl", "--references", str(path), "--store", uri, "--json"]) == 0
        return json.loads(capsys.readouterr().out)["oxidation_v_vs_li"]

    first = window(refs)
    assert window(other) != pytest.approx(first)
    _entries_file(refs, -6.0)  # edited in place
    edited = window(refs)
    assert edited != pytest.approx(first)
    # each answer follows from its own entries: LiCl -> Li + 1/2 Cl2 at -(E_LiCl - E_Li - E_Cl2/2)
    assert first == pytest.approx(7.5 - 1.9 - 1.8)
    assert edited == pytest.approx(6.0 - 1.9 - 1.8)


def test_a_rebuilt_offline_set_gives_its_own_answers(tmp_path, capsys, monkeypatch):
    """The shipped set is keyed by its content as well: after a rebuild (here LiCl made 0.1
    eV/atom less stable), a result stored with the set before is not reused."""
    import gzip

    from ssbscreen.analysis import references

    shipped = references.read_offline_file(references.offline_reference_path("chgnet"))
    rebuilt = tmp_path / "references_chgnet.json.gz"
    for row in shipped["entries"]:
        if row["phase"] == "LiCl":
            n_atoms = sum(site["species"][0]["occu"] for site in row["entry"]["structure"]["sites"])
            row["entry"]["energy"] += 0.1 * n_atoms
    with gzip.open(rebuilt, "wt") as handle:
        json.dump(shipped, handle)
    uri = f"embedded://{tmp_path / 'store'}"

    def window():
        assert main(["window", "LiCl", "--store", uri, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    before = window()
    monkeypatch.setattr(references, "offline_reference_path", lambda potential: rebuilt)
    references.offline_reference_set.cache_clear()
    try:
        after = window()
    finally:
        references.offline_reference_set.cache_clear()
    assert after["reference_set"] != before["reference_set"]
    # LiCl -> Li + 1/2 Cl2: 0.1 eV/atom x 2 atoms less to release Li
    assert after["oxidation_v_vs_li"] == pytest.approx(before["oxidation_v_vs_li"] - 0.2, abs=1e-3)


@pytest.mark.parametrize(
    ("energy", "elements", "needle"),
    [
        (float("nan"), True, "not finite"),
        (float("inf"), True, "not finite"),
        (-7.5, False, "no entry of elemental"),
    ],
)
def test_unusable_reference_files_are_refused(tmp_path, capsys, energy, elements, needle):
    refs = _entries_file(tmp_path / "refs.json", energy, elements)
    _refused(tmp_path, capsys, ["hull", "LiCl", "--references", str(refs)], needle)


def test_the_users_own_entry_answers_for_a_library_phase_of_its_formula(tmp_path, capsys):
    """hull Li6PS5Cl --references mine.json (which holds Li6PS5Cl): the user's entry answers,
    nothing is relaxed, and the answer names the user's set."""
    from pymatgen.entries.computed_entries import ComputedEntry

    entries = [ComputedEntry(f, e) for f, e in [("Li", -1.9), ("P", -5.4), ("S", -4.1),
                                                 ("Cl2", -3.6), ("Li6PS5Cl", -52.0)]]  # fmt: skip
    refs = tmp_path / "mine.json"
    refs.write_text(json.dumps([e.as_dict() for e in entries]))
    uri = f"embedded://{tmp_path / 'store'}"
    assert main(["hull", "Li6PS5Cl", "--references", str(refs), "--store", uri, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["reference_set"].startswith("user:mine.json@")
    assert answer["e_above_hull_ev_per_atom"] == pytest.approx(0.0)
    assert main(["query", "calculation", "--store", uri, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was relaxed


def _one_line_exit_2(args, capsys, needle):
    """main(args) exits 2 with one line naming ``needle``, nothing on stdout."""
    assert main(args) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and "\n" not in err and captured.out == "", err


@pytest.mark.parametrize(
    ("damaged_file", "garbage"),
    [("ssbscreen/outputs.collection", b"\x00garbage" * 100), ("monty.storage.cfg", b"[[x")],
)
def test_a_damaged_embedded_store_is_named_and_left_as_it_is(
    tmp_path, capsys, damaged_file, garbage
):
    folder = tmp_path / "store"
    uri = f"embedded://{folder}"
    assert main(["hull", "LiCl", "--store", uri]) == 0
    capsys.readouterr()
    (folder / damaged_file).write_bytes(garbage)
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    _one_line_exit_2(["hull", "LiF", "--store", uri], capsys, f"{folder} is damaged")
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files


def test_an_embedded_store_path_that_is_a_file_is_refused(tmp_path, capsys):
    path = tmp_path / "results.txt"
    path.write_text("notes")
    _one_line_exit_2(["hull", "LiCl", "--store", f"embedded://{path}"], capsys, "names a file")
    assert path.read_text() == "notes"


@pytest.mark.parametrize(
    "uri", ["mongodb://host:notaport", "mongodb:///ssbscreen", "mongodb://host/?unknownoption=1"]
)
def test_a_mongodb_uri_pymongo_rejects_is_refused(tmp_path, capsys, monkeypatch, uri):
    monkeypatch.chdir(tmp_path)
    _one_line_exit_2(["hull", "LiCl", "--store", uri], capsys, "is not a valid MongoDB URI")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("phase", "needle"),
    [("L" * 10_000, "10000 characters"), ("Li\x1b[31mCl", "control characters")],
)
def test_phase_names_that_cannot_be_names_are_refused(tmp_path, capsys, phase, needle):
    _refused(tmp_path, capsys, ["hull", phase], needle)
    assert len(capsys.readouterr().err) < 300


@pytest.mark.parametrize(
    ("screen", "needle"),
    [
        ("hulls: [5]", "The phase 5 (int) is not a name"),
        ("hulls: [[LiCl, LiF]]", "(list) is not a name"),
        ("windows: [{LiCl: 1}]", "(dict) is not a name"),
        ("reactions: [[LiCl, 3.5, null]]", "(float) is not a name"),
        ("scans: [[null, LiF, 1, 2]]", "(NoneType) is not a name"),
        ("matrix: {coatings: [7], cathodes: [LiCoO2], electrolytes: [LiCl]}", "(int)"),
        ("hulls: LiCl", "`hulls:` must be a list"),
        ("windows: LiF", "`windows:` must be a list"),
        ("matrix: {coatings: LiF, cathodes: [LiCoO2], electrolytes: [LiCl]}", "`coatings:`"),
        ("hulls: [LiCl]\n  temperatures_k: 300", "`temperatures_k:` must be a list"),
    ],
)
def test_campaign_files_with_phases_that_are_not_names_are_refused(
    tmp_path, capsys, screen, needle
):
    _campaign_refused(tmp_path, capsys, f"name: c\nscreen:\n  {screen}", needle)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("name: [1]\nscreen:\n  hulls: [LiCl]", "`name:` in the campaign must be text"),
        ("name: c\nmix_engines: maybe\nscreen:\n  hulls: [LiCl]", "must be true or false"),
        ("name: c\nscreen:\n  hulls: [LiCl]\n  max_atoms: abc", "`max_atoms:` in screen"),
        ("name: c\nscreen:\n  scans: [[LiCl, LiF, a, 2]]", "voltages as numbers"),
        ("name: c\nscreen:\n  reactions: [[LiCl, LiF, high]]", "the voltage a number"),
        (
            "name: c\ndoping:\n  host: Li3YCl6\n  substitution: 3Li->In\n  n_orderings: abc",
            "`n_orderings:` in doping must be a whole number, not 'abc'",
        ),
        (
            "name: c\ndoping:\n  host: Li3YCl6\n  substitution: 3Li->In\n  ocv_v: .nan",
            "`ocv_v:` in doping must be a finite number",
        ),
        (
            "name: c\nmigration:\n  n_images: 2.5\n  hops: [{host: Li3InCl6, ion: Li}]",
            "`n_images:` in migration must be a whole number",
        ),
    ],
)
def test_values_of_the_wrong_type_are_named_with_their_key(tmp_path, capsys, content, needle):
    _campaign_refused(tmp_path, capsys, content, needle)


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ("doping:\n  host: 5\n  substitution: 3Li->In", "(int) is not a name"),
        ("doping:\n  host: Li3YCl6\n  substitution: 3Li->In\n  supercell: 112", "`supercell:`"),
        ("migration:\n  hops: [{host: Li3InCl6, ion: Li, paths: Oct-Oct}]", "`paths:`"),
        ("migration:\n  hops: Li3InCl6", "`hops:` must be a list"),
        ("doping: Li3YCl6", "`doping:` must be a mapping"),
    ],
)
def test_doping_and_migration_sections_of_the_wrong_shape_are_refused(
    tmp_path, capsys, section, needle
):
    _campaign_refused(tmp_path, capsys, f"name: c\n{section}", needle)


@pytest.mark.parametrize(
    "args",
    [
        ["react", "LiCl", "LiF", "--plot", "x.txt"],
        ["react", "LiCl", "LiF", "Li3PO4", "--plot", "x.png"],
        ["scan", "LiCl", "LiF", "--from", "1", "--to", "2", "--plot", "x"],
        ["screen", "coatings", "--cathode", "LiCl", "--electrolyte", "LiF", "--plot", "x.txt"],
    ],
)
def test_a_plot_that_cannot_be_drawn_is_refused_before_anything_is_computed(
    tmp_path, capsys, monkeypatch, args
):
    monkeypatch.chdir(tmp_path)
    _refused(tmp_path, capsys, args, "--plot")


@pytest.mark.parametrize(
    "args",
    [["table"], ["table", "hull"], ["query", "hull", "--json"], ["plot", "neb", "abc"]],
)
def test_reading_a_store_that_does_not_exist_is_refused_and_makes_none(tmp_path, capsys, args):
    """A command that only reads a store says there is none yet (a wrong folder, a typo)
    instead of answering an empty table from a store it has just created."""
    _refused(tmp_path, capsys, args, "There is no store at")
