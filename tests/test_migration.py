"""NEB end points, images, networks and the climbing-image NEB workflow (issue 6)."""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from ssbscreen.analysis.migration import network_dimension, percolation
from ssbscreen.analysis.tables import render
from ssbscreen.structures.library import ordered_representative
from ssbscreen.structures.migration import (
    HopSelection,
    empty_sites,
    end_points,
    hop_groups,
    idpp_band,
    interstitial_hops,
    moving_index,
    vacancy_hops,
)

A_LICL = 5.14  # rock-salt LiCl lattice constant (Angstrom)


def rock_salt_licl(multiples=(2, 2, 2)) -> Structure:
    conventional = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(A_LICL), ["Li", "Cl"], [[0, 0, 0], [0.5, 0, 0]]
    )
    return conventional.get_primitive_structure() * multiples


def test_vacancy_hop_of_rock_salt_is_one_nearest_neighbour_class():
    cell = rock_salt_licl((3, 3, 3))
    hops = vacancy_hops(cell, "Li", max_length_a=4.0)
    assert len(hops) == 1
    hop = hops[0]
    assert hop.length_a == pytest.approx(A_LICL / np.sqrt(2), abs=1e-3)
    assert hop.multiplicity == 27 * 12 // 2  # every Li has 12 Li neighbours, each hop once
    assert hop.mechanism == "vacancy"
    # the vacancy is another Li site, and the ion's path ends on it
    vacancy = cell[hop.vacancy_index]
    assert vacancy.specie.symbol == "Li" and hop.vacancy_index != hop.moving_index
    distance, _ = cell.lattice.get_distance_and_image(hop.path_frac[-1], vacancy.frac_coords)
    assert distance == pytest.approx(0.0, abs=1e-6)


def test_end_points_keep_atoms_in_order_and_move_only_the_ion():
    cell = rock_salt_licl()
    hop = vacancy_hops(cell, "Li", 4.0)[0]
    start, end = end_points(cell, hop)
    assert len(start) == len(end) == len(cell) - 1
    assert start.composition == end.composition
    moved = moving_index(hop)
    displacement = np.linalg.norm(
        start.lattice.get_cartesian_coords(end.frac_coords - start.frac_coords), axis=1
    )
    assert displacement[moved] == pytest.approx(hop.length_a, abs=1e-3)
    assert np.delete(displacement, moved).max() < 1e-8
    charged = end_points(cell, hop, background_charge=True)
    assert charged[0].charge == pytest.approx(-1)  # a Li+ vacancy


def test_idpp_images_never_overlap_and_bad_bands_are_refused():
    cell = rock_salt_licl()
    hop = vacancy_hops(cell, "Li", 4.0)[0]
    points = end_points(cell, hop)
    band = idpp_band(points, n_images=5)
    assert len(band) == 7
    for image in band:
        distances = image.distance_matrix + np.eye(len(image)) * 1e3
        assert distances.min() > 1.5  # Li-Cl is 2.57 A in the crystal
    with pytest.raises(ValueError, match="apart"):
        idpp_band(points, n_images=5, min_distance_a=2.7)
    other = points[1].copy()
    other.remove_sites([0])
    with pytest.raises(ValueError, match="different compositions"):
        idpp_band([points[0], other], n_images=3)


def test_bad_ion_and_short_cutoff_are_one_sentence():
    cell = rock_salt_licl()
    with pytest.raises(ValueError, match="'Na' is not in the cell LiCl"):
        vacancy_hops(cell, "Na")
    with pytest.raises(ValueError, match="raise max_length_a"):
        vacancy_hops(cell, "Li", max_length_a=2.0)


def test_empty_holes_of_rock_salt_are_its_tetrahedral_holes():
    cell = rock_salt_licl((2, 2, 2))
    holes = empty_sites(cell)
    # Li fills every octahedral hole of the fcc Cl framework: 2 empty tetrahedra per LiCl
    assert len(holes) == 2 * 8
    assert {hole.label for hole in holes} == {"Tet"}


def test_in_in_li3ycl6_moves_oct_tet_oct_through_empty_holes():
    selection = HopSelection(
        "Li3YCl6", "In", "interstitial", (1, 1, 2), "3Li->In", ("Oct-Oct", "Oct-Tet-Oct"), 2
    )
    cell = selection.cell()
    assert cell.composition["In"] == 1
    hops = selection.hops(cell)
    labels = {hop.path_label for hop in hops}
    assert labels == {"Oct-Oct", "Oct-Tet-Oct"}
    for hop in hops:
        assert cell[hop.moving_index].specie.symbol == "In"
        assert hop.length_a < 4.5
    two_step = [hop for hop in hops if len(hop.path_frac) == 3]
    assert two_step, "an Oct-Tet-Oct path passes through an intermediate hole"
    with pytest.raises(ValueError, match="paths found are"):
        HopSelection("Li3YCl6", "In", "interstitial", (1, 1, 2), "3Li->In", ("Tet-Tet",)).hops(cell)
    plain = interstitial_hops(ordered_representative("Li3YCl6"), "Li")
    assert all(hop.mechanism == "interstitial" for hop in plain)


def test_hops_keep_parent_wyckoff_labels_and_every_class_of_a_group():
    cell = ordered_representative("Li3YCl6") * (1, 1, 2)
    hops = vacancy_hops(cell, "Li", 4.0)
    labels = {hop.path_label for hop in hops}
    assert labels <= {"Li 6g-Li 6h", "Li 6h-Li 6g", "Li 6g-Li 6g", "Li 6h-Li 6h"}
    groups = hop_groups(hops)
    assert sum(len(group) for group in groups) == len(hops)
    for group in groups:
        assert len({(h.path_label, round(h.length_a, 1)) for h in group}) == 1
    # a selection runs every symmetry-distinct hop of the groups it keeps: none stands in for
    # another (they are not symmetry-equivalent, and their barriers differ)
    selection = HopSelection("Li3YCl6", "Li", supercell=(1, 1, 2), max_hops=1, max_length_a=4.0)
    assert selection.hops(cell) == groups[0]


def _edge_doc(path_label, barrier, paths, converged=True):
    return {
        "host": "cubic",
        "ion": "Li",
        "path_label": path_label,
        "state": "successful",
        "converged": converged,
        "barrier_ev": barrier,
        "reverse_barrier_ev": barrier,
        "equivalent_paths": paths,
    }


def test_network_dimension_of_chains_layers_and_lattices():
    site = (0.0, 0.0, 0.0)
    assert network_dimension([(site, site, (1, 0, 0))]) == 1
    assert network_dimension([(site, site, (1, 0, 0)), (site, site, (0, 1, 0))]) == 2
    cubic = [(site, site, (1, 0, 0)), (site, site, (0, 1, 0)), (site, site, (0, 0, 1))]
    assert network_dimension(cubic) == 3
    # two sites joined only inside the cell: no periodic path
    assert network_dimension([(site, (0.5, 0.5, 0.5), (0, 0, 0))]) == 0


def test_percolation_barriers_rise_with_dimension_and_skip_unconverged_bands():
    docs = [
        _edge_doc("x", 0.2, [[[0, 0, 0], [1, 0, 0]]]),
        _edge_doc("y", 0.3, [[[0, 0, 0], [0, 1, 0]]]),
        _edge_doc("z", 0.5, [[[0, 0, 0], [0, 0, 1]]]),
        _edge_doc("z'", 0.1, [[[0, 0, 0], [0, 0, 1]]], converged=False),
    ]
    (result,) = percolation(docs)
    assert (result.barrier_1d_ev, result.barrier_2d_ev, result.barrier_3d_ev) == (0.2, 0.3, 0.5)
    assert result.excluded == ("z'",)
    table = render("percolation", docs)
    assert "0.200" in table and "z'" in table


def test_campaign_file_names_the_wrong_hop_key(tmp_path):
    from ssbscreen.workflows.campaign_file import read_campaign_file

    path = tmp_path / "c.yaml"
    path.write_text("migration:\n  hops:\n    - {host: LiF, ion: Li, mechanisms: vacancy}\n")
    with pytest.raises(ValueError, match="did you mean 'mechanism'"):
        read_campaign_file(path)
    path.write_text("migration:\n  n_imagez: 3\n  hops: [{host: LiF, ion: Li}]\n")
    with pytest.raises(ValueError, match="did you mean 'n_images'"):
        read_campaign_file(path)


def test_campaign_file_migration_runs_on_the_batched_engine_it_names(tmp_path):
    from ssbscreen.workflows.campaign_file import migration_flow, neb_maker, read_campaign_file
    from ssbscreen.workflows.engines import BatchedMLIPEngine

    path = tmp_path / "c.yaml"
    path.write_text(
        "engine: mlip-batched\nmigration:\n  n_images: 3\n"
        "  hops: [{host: LiF, ion: Li, mechanism: vacancy, max_hops: 1}]\n"
    )
    content = read_campaign_file(path)
    maker = neb_maker(content)
    assert isinstance(maker.engine, BatchedMLIPEngine) and maker.n_images == 3
    assert maker.engine.potential == "chgnet"
    flow = migration_flow(content)  # planned, not run
    (neb,) = [j for j in flow.iterflow() if j[0].name.endswith(" neb")]
    assert neb[0].function_kwargs["provenance"]["engine"] == "mlip-batched"


def test_batched_band_evaluation_equals_one_image_at_a_time():
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.neb import band_evaluator

    cell = rock_salt_licl()
    band = idpp_band(end_points(cell, vacancy_hops(cell, "Li", 4.0)[0]), n_images=3)
    atoms = [AseAtomsAdaptor.get_atoms(s) for s in band]
    engine = MLIPEngine()
    batched_e, batched_f = band_evaluator(engine, batched=True)(atoms)
    single_e, single_f = band_evaluator(engine, batched=False)(atoms)
    assert np.allclose(batched_e, single_e, atol=1e-4)
    assert all(np.allclose(a, b, atol=1e-4) for a, b in zip(batched_f, single_f, strict=True))


def test_hop_longer_than_the_threshold_is_refused():
    from ssbscreen.workflows.neb import NebMaker

    cell = rock_salt_licl()
    hop = vacancy_hops(cell, "Li", 4.0)[0]
    with pytest.raises(ValueError, match="longer than max_hop_length_a"):
        NebMaker(max_hop_length_a=3.0).make(cell, hop, "LiCl")


@pytest.fixture(scope="module")
def licl_neb(tmp_path_factory):
    """One climbing-image NEB of the Li-vacancy hop in rock-salt LiCl, run once for the tests
    below: its store, the number of jobs of the first and of a repeated campaign, and the
    answer of ``ssbscreen query migration --json`` (exit code and the one document)."""
    from jobflow import run_locally

    from ssbscreen.cli import main
    from ssbscreen.store import build_job_store
    from ssbscreen.workflows.neb import NebMaker

    tmp_path = tmp_path_factory.mktemp("licl_neb")
    uri = f"embedded://{tmp_path / 'store'}"
    store = build_job_store(uri)
    cif = tmp_path / "LiCl.cif"
    rock_salt_licl().to(filename=str(cif))
    selection = HopSelection(str(cif), "Li", max_hops=1, max_length_a=4.0)
    flow = NebMaker(n_images=5).make_campaign([selection], "test", store)
    first_jobs = len(flow.jobs)
    run_locally(flow, store=store, ensure_success=True, log=False)
    store.connect()
    rerun_jobs = len(NebMaker(n_images=5).make_campaign([selection], "test", store).jobs)

    answer = io.StringIO()
    with contextlib.redirect_stdout(answer):
        query_exit = main(["query", "migration", "--json", "--store", uri])
    return SimpleNamespace(
        uri=uri,
        store=store,
        tmp_path=tmp_path,
        first_jobs=first_jobs,
        rerun_jobs=rerun_jobs,
        query_exit=query_exit,
        docs=json.loads(answer.getvalue()) if query_exit == 0 else None,
    )


@pytest.mark.slow
def test_a_neb_campaign_of_one_hop_is_one_job_and_its_rerun_computes_nothing(licl_neb):
    assert licl_neb.first_jobs == 1
    # a re-run finds the finished NEB and computes nothing
    assert licl_neb.rerun_jobs == 0


@pytest.mark.slow
def test_query_migration_gives_the_summary_without_the_images(licl_neb):
    assert licl_neb.query_exit == 0
    (doc,) = licl_neb.docs
    for field in ("host", "ion", "mechanism", "path_label", "barrier_ev", "converged"):
        assert field in doc
    assert doc["engine"] == "mlip" and doc["model"] == doc["provenance"]["model"]
    assert "images" not in doc


@pytest.mark.slow
def test_vacancy_hop_in_licl_is_converged_and_symmetric(licl_neb):
    (doc,) = licl_neb.docs
    assert doc["converged"]
    energies = np.array(doc["energies_ev"])
    # a hop between equivalent sites: the profile is its own mirror image
    assert np.allclose(energies, energies[::-1], atol=0.01)
    assert doc["saddle_index"] == len(energies) // 2


@pytest.mark.slow
def test_vacancy_hop_in_licl_is_in_the_textbook_range(licl_neb):
    (doc,) = licl_neb.docs
    # Li-vacancy migration in LiCl: 0.3-0.4 eV measured; PBE-trained potentials, small cell
    assert 0.2 < doc["barrier_ev"] < 0.8


@pytest.mark.slow
def test_the_ends_of_the_band_are_the_relaxed_end_points(licl_neb):
    (doc,) = licl_neb.docs
    assert np.allclose(doc["band_endpoint_energies_ev"], doc["endpoint_energies_ev"], atol=1e-3)


@pytest.mark.slow
def test_neb_images_live_in_the_additional_store(licl_neb):
    store = licl_neb.store
    store.connect()
    raw = store.docs_store.query_one({"output.kind": "migration"})
    assert "blob_uuid" in raw["output"]["images"]
    assert store.additional_stores["data"].count() >= 1
    loaded = store.query_one({"output.kind": "migration"}, load=True)["output"]["images"]
    assert len(loaded) == 7


@pytest.mark.slow
def test_table_migration_lists_the_licl_hop(licl_neb, capsys):
    from ssbscreen.cli import main

    assert main(["table", "migration", "--store", licl_neb.uri]) == 0
    assert "LiCl" in capsys.readouterr().out


@pytest.mark.slow
def test_plot_neb_of_a_stored_band_writes_a_png(licl_neb):
    from ssbscreen.cli import main

    (doc,) = licl_neb.docs
    png = licl_neb.tmp_path / "neb.png"
    assert main(["plot", "neb", doc["key"][:10], "--out", str(png), "--store", licl_neb.uri]) == 0
    assert png.stat().st_size > 1000


@pytest.mark.slow
def test_plot_neb_of_an_unknown_key_exits_2(licl_neb):
    from ssbscreen.cli import main

    assert main(["plot", "neb", "zzz", "--store", licl_neb.uri]) == 2


def test_vasp_neb_of_a_hop_uses_the_study_settings():
    from ssbscreen.workflows.engines import STUDY_INCAR, VaspEngine
    from ssbscreen.workflows.neb import vasp_neb_flow

    cell = rock_salt_licl()
    hop = vacancy_hops(cell, "Li", 4.0)[0]
    flow = vasp_neb_flow(cell, hop, VaspEngine(), n_images=3)
    makers = [job.maker for job in flow.jobs if getattr(job, "maker", None) is not None]
    incar = [m.input_set_generator.user_incar_settings for m in makers]
    assert len(incar) == 3  # two end-point relaxations and the band
    for settings in incar:
        assert {k: settings[k] for k in ("ENCUT", "EDIFF", "EDIFFG")} == {
            k: STUDY_INCAR[k] for k in ("ENCUT", "EDIFF", "EDIFFG")
        }
    assert [settings["ISIF"] for settings in incar[:2]] == [2, 2]  # end points keep the cell


def test_percolation_leaves_out_bands_that_fail_their_checks():
    failed = {"trusted": False, "flags": ["2 maxima on a one-step path"]}
    docs = [
        _edge_doc("x", 0.2, [[[0, 0, 0], [1, 0, 0]]]),
        {**_edge_doc("y", 0.1, [[[0, 0, 0], [0, 1, 0]]]), "checks": failed},
        {**_edge_doc("y'", 0.3, [[[0, 0, 0], [0, 1, 0]]]), "checks": {"trusted": True}},
    ]
    (result,) = percolation(docs)
    assert (result.barrier_1d_ev, result.barrier_2d_ev) == (0.2, 0.3)
    assert result.excluded == ("y",)


def test_an_unconverged_band_is_reported_as_unconverged():
    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.neb import band_evaluator, relax_band

    cell = rock_salt_licl()
    band = idpp_band(end_points(cell, vacancy_hops(cell, "Li", 4.0)[0]), n_images=3)
    result = relax_band(band, band_evaluator(MLIPEngine()), max_steps=2)
    assert not result.converged and result.n_steps == 2
    assert result.max_force_ev_per_a > 0.05
    doc = {
        **_edge_doc("Li-Li", 0.4, [[[0, 0, 0], [1, 0, 0]]], converged=False),
        "mechanism": "vacancy",
        "hop_length_a": 3.6,
        "reason": None,
        "provenance": {"model": "CHGNet-0.3.0"},
    }
    assert "no (band not converged)" in render("migration", [doc])
    assert percolation([doc])[0].barrier_1d_ev is None


def _profile(energies, via_images=None, ends=None, converged=True, spacing=None):
    from ssbscreen.analysis.migration import band_checks

    x = np.cumsum([0.0] + (spacing or [0.6] * (len(energies) - 1)))
    ends = ends if ends is not None else [0.0, energies[-1]]
    return band_checks(energies, list(x), ends, converged, via_images)


def test_a_smooth_one_maximum_band_is_trusted():
    checks = _profile([0.0, 0.08, 0.25, 0.3, 0.25, 0.08, 0.0])
    assert checks.trusted and checks.one_maximum and checks.maxima_images == [3]
    assert not checks.under_resolved and checks.ends_consistent and checks.flags == []


def test_a_band_with_two_maxima_is_flagged_and_its_minimum_named():
    two = [0.0, 0.15, 0.3, 0.1, 0.3, 0.15, 0.0]
    checks = _profile(two)
    assert not checks.one_maximum and not checks.trusted
    assert checks.maxima_images == [2, 4]
    assert "2 maxima (images 2, 4)" in checks.flags
    assert any(flag.startswith("minimum at image 3") for flag in checks.flags)
    # the same profile along Oct-Tet-Oct, its minimum at the Tet site: one maximum per step
    path = _profile(two, via_images={3: "Tet"})
    assert path.one_maximum and path.trusted
    assert path.intermediate_minima[0].startswith("Tet (image 3")
    doc = {
        **_edge_doc("Li 4g-Li 4g", 0.3, [[[0, 0, 0], [1, 0, 0]]]),
        "mechanism": "vacancy",
        "hop_length_a": 3.7,
        "reason": None,
        "provenance": {"model": "CHGNet-0.3.0"},
        "checks": checks.model_dump(),
    }
    assert "2 maxima (images 2, 4)" in render("migration", [doc])


def test_ends_off_the_relaxed_end_points_and_a_saddle_beside_an_end_are_flagged():
    off = _profile([0.0, 0.1, 0.2, 0.1, 0.0], ends=[-10.0, -9.9])
    assert not off.ends_consistent and off.ends_mismatch_ev == pytest.approx(-0.1)
    assert any("off the relaxed end points" in flag for flag in off.flags)
    beside = _profile([0.0, 0.4, 0.3, 0.2, 0.1, -0.1])
    assert beside.under_resolved and "saddle beside an end point (image 1)" in beside.flags
    uneven = _profile([0.0, 0.1, 0.3, 0.1, 0.0], spacing=[0.3, 0.9, 0.9, 0.3])
    assert uneven.under_resolved and not uneven.trusted
    assert not _profile([0.0, 0.1, 0.3, 0.1, 0.0], converged=False).trusted


def _copy_of(cell: Structure, hop, k: int):
    """The hop realised along its k-th equivalent path (another ion into another vacancy)."""
    import dataclasses

    start, end = (np.asarray(p) for p in hop.equivalent_paths[k])

    def index(frac):
        return int(np.argmin(cell.lattice.get_all_distances([frac], cell.frac_coords)[0]))

    return dataclasses.replace(
        hop,
        moving_index=index(start),
        vacancy_index=index(end),
        path_frac=(tuple(start), tuple(end)),
    )


def test_symmetry_equivalent_copies_give_one_symmetric_barrier():
    from ase.optimize import FIRE
    from pymatgen.io.ase import AseAtomsAdaptor

    from ssbscreen.potentials import potential_calculator
    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.neb import band_evaluator, relax_band

    def relaxed(structure):
        atoms = AseAtomsAdaptor.get_atoms(structure)
        atoms.calc = potential_calculator("chgnet")
        FIRE(atoms, logfile=None).run(fmax=0.01, steps=300)
        return AseAtomsAdaptor.get_structure(atoms)

    cell = rock_salt_licl()
    (hop,) = vacancy_hops(cell, "Li", 4.0)
    assert hop.multiplicity > 2
    other = _copy_of(cell, hop, hop.multiplicity // 2)
    assert (other.moving_index, other.vacancy_index) != (hop.moving_index, hop.vacancy_index)
    barriers = []
    for copy in (hop, other):
        band = idpp_band([relaxed(p) for p in end_points(cell, copy)], n_images=3)
        result = relax_band(band, band_evaluator(MLIPEngine()))
        energies = result.energies_ev - result.energies_ev[0]
        assert result.converged
        # a hop between equivalent sites: the profile is its own mirror image
        assert np.allclose(energies, energies[::-1], atol=0.01)
        barriers.append(energies.max())
    assert barriers[0] == pytest.approx(barriers[1], abs=0.02)


def test_an_under_resolved_band_is_run_again_with_more_images():
    from types import SimpleNamespace

    from pymatgen.io.ase import AseAtomsAdaptor

    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.neb import NebMaker, _hop_dict, band_evaluator, neb_document

    cell = rock_salt_licl()
    (hop,) = vacancy_hops(cell, "Li", 4.0)
    points = end_points(cell, hop)
    energies, _ = band_evaluator(MLIPEngine())([AseAtomsAdaptor.get_atoms(p) for p in points])
    relaxed = [
        SimpleNamespace(
            output=SimpleNamespace(structure=p, energy=float(e)), is_force_converged=True
        )
        for p, e in zip(points, energies, strict=True)
    ]
    maker = NebMaker(n_images=1)  # one image: the saddle sits beside both end points
    provenance = MLIPEngine().provenance().model_dump()
    doc = neb_document.original(
        *relaxed, points, _hop_dict(hop), "LiCl", "key", maker.settings(), provenance
    )
    assert doc.state == "successful" and doc.checks.rerun_n_images == 3
    assert len(doc.energies_ev) == 5 and not doc.checks.under_resolved
    assert doc.checks.coarse_barrier_ev > 0
    assert doc.barrier_ev == pytest.approx(max(doc.energies_ev))


def test_bare_framework_keeps_the_moving_ion_and_the_anions_and_charges_the_cell():
    from ssbscreen.workflows.engines import VaspEngine
    from ssbscreen.workflows.neb import vasp_neb_flow

    selection = HopSelection(
        "Li3YCl6", "In", "interstitial", (1, 1, 2), "3Li->In", ("Oct-Tet-Oct",), 1, 4.5, "bare"
    )
    assert selection.name == "Li3YCl6+In bare"
    host = selection.cell()
    runs = selection.neb_cells(host)
    assert [hop.path_frac for _, hop in runs] == [hop.path_frac for hop in selection.hops(host)]
    n_cl = host.composition["Cl"]
    for cell, hop in runs:
        assert cell.composition.as_dict() == {"In": 1, "Cl": n_cl}
        assert cell[hop.moving_index].specie.symbol == "In"
        assert cell.charge == 3 - n_cl  # In3+ and Cl-, neutralised by the background
        free = [any(flags) for flags in cell.site_properties["selective_dynamics"]]
        assert free == [i == hop.moving_index for i in range(len(cell))]  # the anions stay
        points = end_points(cell, hop)
        assert all(p.charge == cell.charge for p in points)
        assert np.allclose(points[0][hop.moving_index].frac_coords, hop.path_frac[0])
    # VASP counts the electrons from the cell's charge (NELECT); a neutral cell does not
    flow = vasp_neb_flow(*runs[0], VaspEngine(), n_images=3)
    makers = [job.maker for job in flow.jobs if getattr(job, "maker", None) is not None]
    assert makers and all(m.input_set_generator.use_structure_charge for m in makers)
    with pytest.raises(ValueError, match="needs mechanism: interstitial"):
        HopSelection("Li3YCl6", "Li", framework="bare")


def test_campaign_file_refuses_a_bare_framework_vacancy_hop(tmp_path, capsys):
    from ssbscreen.cli import main

    path = tmp_path / "c.yaml"
    uri = f"embedded://{tmp_path / 'store'}"
    for hop, needle in (
        ("{host: Li3YCl6, ion: Li, framework: bare}", "framework: bare keeps one Li ion"),
        ("{host: Li3YCl6, ion: Li, framework: naked}", "choose host or bare"),
    ):
        path.write_text(f"name: c\nmigration:\n  hops: [{hop}]\n")
        capsys.readouterr()
        assert main(["run", str(path), "--store", uri]) == 2
        err = capsys.readouterr().err.strip()
        assert needle in err and str(path) in err and "\n" not in err, err
        assert not (tmp_path / "store").exists()


def test_a_bare_framework_band_moves_only_the_ion():
    from types import SimpleNamespace

    from ssbscreen.workflows.engines import MLIPEngine
    from ssbscreen.workflows.neb import NebMaker, _hop_dict, neb_document

    selection = HopSelection(
        "Li3YCl6", "In", "interstitial", (1, 1, 2), "3Li->In", ("Oct-Tet-Oct",), 1, 4.5, "bare"
    )
    cell, hop = selection.neb_cells(selection.cell())[0]
    points = end_points(cell, hop)
    relaxed = [
        SimpleNamespace(output=SimpleNamespace(structure=p, energy=0.0), is_force_converged=True)
        for p in (points[0], points[-1])
    ]
    settings = NebMaker(n_images=1, max_steps=3, rerun_under_resolved=False).settings()
    provenance = MLIPEngine().provenance().model_dump()
    doc = neb_document.original(*relaxed, points, _hop_dict(hop), "x", "key", settings, provenance)
    assert doc.state == "successful" and doc.cell_charge == cell.charge
    anions = [i for i in range(len(cell)) if i != hop.moving_index]
    for image in doc.images:  # IDPP moves every atom; the band puts the anions back and keeps them
        assert np.allclose(image.frac_coords[anions], cell.frac_coords[anions])
    assert not np.allclose(doc.images[1][hop.moving_index].frac_coords, hop.path_frac[0])
