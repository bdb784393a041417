"""Coherent interfaces: matched cells keep both bulks, limits hold, energies are physical."""

import math

import numpy as np
import pytest
from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure

from ssbscreen.structures.interfaces import (
    InterfaceLimits,
    coherent_interfaces,
    miller_in_cell,
    miller_index,
)
from ssbscreen.structures.library import bulk_structure, ordered_representative
from ssbscreen.workflows.engines import MLIPEngine
from ssbscreen.workflows.interfaces import (
    InterfaceMaker,
    interface_document,
    surface_energy_j_per_m2,
    work_of_adhesion_j_per_m2,
)


def rocksalt(anion: str, a: float) -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Li", anion], [[0] * 3, [0.5] * 3])


LIF, LICL = rocksalt("F", 4.03), rocksalt("Cl", 5.13)
THIN = InterfaceLimits(film_thickness=4, substrate_thickness=4)


def assert_keeps_bulks(candidate, film: Structure, substrate: Structure):
    """Film and substrate parts have their bulk compositions and the interface cell's lattice."""
    assert candidate.film_slab.composition.reduced_formula == film.composition.reduced_formula
    assert (
        candidate.substrate_slab.composition.reduced_formula
        == substrate.composition.reduced_formula
    )
    whole = candidate.film_slab.composition + candidate.substrate_slab.composition
    assert candidate.interface.composition == whole
    for part in (candidate.film_slab, candidate.substrate_slab):
        assert np.allclose(part.lattice.matrix, candidate.interface.lattice.matrix)


def test_lif_on_licl_keeps_both_bulk_compositions_within_the_limits():
    candidates = coherent_interfaces(LICL, LIF, (1, 0, 0), (1, 0, 0), THIN)
    assert candidates
    for c in candidates:
        assert_keeps_bulks(c, LIF, LICL)
        assert c.strain_percent <= THIN.max_strain_percent
        assert c.n_atoms <= THIN.max_atoms
        assert 0 < c.area_a2 <= THIN.max_area_a2
        # the Li and F planes of a 2 x 4 A LiF film: 2 atoms per 8.1 A^2 surface cell per plane
        assert len(c.film_slab) == pytest.approx(2 * 2 * c.area_a2 / (4.03**2 / 2), rel=0.02)


def test_library_lif_111_on_licoo2_001_keeps_both_bulks_without_duplicate_terminations():
    lif, licoo2 = ordered_representative("LiF"), ordered_representative("LiCoO2")
    limits = InterfaceLimits(max_strain_percent=3.0, max_atoms=80)
    candidates = coherent_interfaces(licoo2, lif, (0, 0, 1), (1, 1, 1), limits)
    pairs = [(c.film_termination, c.substrate_termination) for c in candidates]
    assert len(set(pairs)) == len(pairs)
    # polar LiF (111) faces LiCoO2 with its Li or its F plane: both are offered
    assert {f.split("_")[1] for f, _ in pairs} == {"Li", "F2"}
    matcher = StructureMatcher(primitive_cell=False, scale=False, attempt_supercell=False)
    for i, a in enumerate(candidates):
        assert_keeps_bulks(a, lif, licoo2)
        assert a.strain_percent <= 3.0 and a.n_atoms <= 80
        for b in candidates[i + 1 :]:
            assert not matcher.fit(a.interface, b.interface)
    assert [c.n_atoms for c in candidates] == sorted(c.n_atoms for c in candidates)


def test_homo_interface_counts_li_on_f_and_f_on_li_once():
    """LiF (111) on itself: Li|Li, Li|F and F|F; F|Li is Li|F turned over."""
    candidates = coherent_interfaces(LIF, LIF, (1, 1, 1), (1, 1, 1), THIN)
    planes = sorted(
        tuple(sorted((c.film_termination.split("_")[1], c.substrate_termination.split("_")[1])))
        for c in candidates
    )
    assert planes == [("F2", "F2"), ("F2", "Li"), ("Li", "Li")]


def test_chosen_terminations_keep_only_those_planes():
    """LiF (111) on itself, F plane of the film on the Li plane of the substrate only."""
    (candidate,) = coherent_interfaces(
        LIF, LIF, (1, 1, 1), (1, 1, 1), THIN, terminations=[("F2", "Li")]
    )
    assert candidate.film_termination.split("_")[1] == "F2"
    assert candidate.substrate_termination.split("_")[1] == "Li"
    whole_labels = [(candidate.film_termination, candidate.substrate_termination)]
    (same,) = coherent_interfaces(LIF, LIF, (1, 1, 1), (1, 1, 1), THIN, terminations=whole_labels)
    assert StructureMatcher().fit(same.interface, candidate.interface)
    with pytest.raises(
        ValueError, match=r"No termination pair \[\('Cl', 'Li'\)\] of .* planes on offer are \[\("
    ):
        coherent_interfaces(LIF, LIF, (1, 1, 1), (1, 1, 1), THIN, terminations=[("Cl", "Li")])


def test_film_sits_cation_over_anion():
    """The in-plane registry puts every LiF (100) film ion over an ion of opposite charge."""
    (candidate,) = coherent_interfaces(LIF, LIF, (1, 0, 0), (1, 0, 0), THIN)
    interface = candidate.interface
    z = interface.cart_coords[:, 2]
    substrate, film = interface.substrate_indices, interface.film_indices
    top = [i for i in substrate if z[i] > z[substrate].max() - 0.5]
    bottom = [i for i in film if z[i] < z[film].min() + 0.5]
    for i in top:
        nearest = min(bottom, key=lambda j: interface.get_distance(i, j))
        assert interface[nearest].specie != interface[i].specie
        assert interface.get_distance(i, nearest) == pytest.approx(THIN.gap_a, abs=0.05)


def test_limits_that_nothing_fits_raise_a_clear_error():
    with pytest.raises(ValueError, match=r"No lattice match of LiF \(1, 0, 0\) on LiCl.*strain"):
        coherent_interfaces(LICL, LIF, (1, 0, 0), (1, 0, 0), InterfaceLimits(max_area_a2=30))
    with pytest.raises(ValueError, match="at most 20 atoms; raise max_atoms"):
        coherent_interfaces(LICL, LIF, (1, 0, 0), (1, 0, 0), InterfaceLimits(max_atoms=20))


@pytest.mark.parametrize("bad", [(1, 0), (1, 0, 0.5), "100", (0, 0, 0), None])
def test_a_bad_miller_index_raises_one_clear_sentence(bad):
    with pytest.raises(
        ValueError, match=r"^The film Miller index .* give it as e\.g\. \(0, 0, 1\)"
    ):
        coherent_interfaces(LICL, LIF, (1, 0, 0), bad)
    with pytest.raises(ValueError, match="substrate Miller index"):
        InterfaceMaker().make("LiCoO2", "LiF", bad, (1, 1, 1))
    assert miller_index((2, 0, -1), "film") == (2, 0, -1)


@pytest.mark.parametrize(
    ("name", "miller"), [("LiCoO2", (0, 0, 1)), ("NCA", (0, 0, 3)), ("Li3InCl6", (1, 0, 0))]
)
def test_miller_index_moves_to_the_ordered_cell_as_the_same_plane(name, miller):
    parent, cell = bulk_structure(name).lattice, ordered_representative(name).lattice
    index = miller_in_cell(miller, parent, cell)
    assert math.gcd(*index) == 1
    normal = parent.reciprocal_lattice.get_cartesian_coords(miller)
    moved = cell.reciprocal_lattice.get_cartesian_coords(index)
    assert abs(np.dot(normal, moved)) == pytest.approx(
        np.linalg.norm(normal) * np.linalg.norm(moved)
    )


def test_adhesion_and_surface_energies_in_j_per_m2():
    """1 eV over 1 A^2 is 16.02 J/m^2; a slab has two faces."""
    assert work_of_adhesion_j_per_m2(-11.0, -5.0, -5.0, 1.0) == pytest.approx(16.0218, rel=1e-5)
    assert surface_energy_j_per_m2(-9.0, 2, -5.0, 1.0) == pytest.approx(8.0109, rel=1e-5)


def test_a_failed_relaxation_gives_a_failed_document_with_its_reason():
    ok = {"key": "k", "state": "successful", "energy_ev": -10.0, "energy_per_atom_ev": -5.0}
    failed = {"key": "f", "state": "failed", "reason": "the relaxation raised an error"}
    description = {
        "film": "LiF",
        "substrate": "LiCl",
        "film_miller": (1, 0, 0),
        "substrate_miller": (1, 0, 0),
        "area_a2": 10.0,
    }
    calculations = {"interface": failed, "film_slab": ok, "substrate_slab": ok}
    calculations |= {"film_bulk": ok, "substrate_bulk": ok}
    provenance = MLIPEngine().provenance().model_dump()
    doc = interface_document.original(calculations, description, "key", provenance)
    assert doc.state == "failed" and doc.reason == "interface: the relaxation raised an error"
    assert doc.work_of_adhesion_j_per_m2 is None and doc.film == "LiF"


@pytest.mark.slow
def test_chgnet_lif_on_lif_adheres_with_no_interface_energy(tmp_path, monkeypatch):
    """LiF (100) on itself in registry is bulk again: W_adh = 2 sigma > 0 and gamma_int ~ 0."""
    monkeypatch.chdir(tmp_path)
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    flow = InterfaceMaker(engine=MLIPEngine(potential="chgnet")).make(
        "LiF", "LiF", (1, 0, 0), (1, 0, 0)
    )
    run_locally(flow, store=store, ensure_success=True, log=False)
    store.connect()
    (doc,) = [d["output"] for d in store.query({"output.kind": "interface"}, ["output"])]
    assert doc["state"] == "successful"
    assert (doc["film"], doc["substrate"]) == ("LiF", "LiF")
    assert doc["n_atoms"] <= 200 and doc["strain_percent"] == pytest.approx(0, abs=1e-6)
    adhesion, gamma = doc["work_of_adhesion_j_per_m2"], doc["interface_energy_j_per_m2"]
    assert 0 < adhesion < 5 and math.isfinite(gamma)
    assert adhesion == pytest.approx(2 * doc["film_surface_energy_j_per_m2"], abs=0.05)
    assert abs(gamma) < 0.05
    assert doc["provenance"]["settings"]["relax_cell"] is False
