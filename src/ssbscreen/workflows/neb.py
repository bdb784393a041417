"""Migration barriers: relax end points -> IDPP images -> climbing-image NEB with an MLIP.

The band is relaxed with ASE's NEB (improved tangents, climbing image) and FIRE. All images of
a band are evaluated in one batched model call where the potential has a batched predictor
(CHGNet), otherwise one image at a time through the potential's ASE calculator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.mep import NEB
from ase.optimize import FIRE
from atomate2.common.jobs.neb import NebInterpolation
from jobflow import Flow, JobStore, Maker, OnMissing, job
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ssbscreen.analysis.migration import band_checks
from ssbscreen.potentials import BatchedPredictor, potential_calculator
from ssbscreen.schemas import BandChecks, MigrationDocument, Provenance, content_key
from ssbscreen.store.queries import find_output
from ssbscreen.structures.migration import (
    Hop,
    HopSelection,
    end_points,
    idpp_band,
    moving_index,
)
from ssbscreen.workflows.engines import (
    NO_FILES,
    MLIPEngine,
    PotentialRelaxMaker,
    VaspEngine,
    mlip_engine_from_settings,
)

# energies (eV) and forces (eV/A) of a list of structures
BandEvaluator = Callable[[list[Atoms]], tuple[np.ndarray, list[np.ndarray]]]


def batched_band_evaluator(predict: BatchedPredictor, batch_size: int = 16) -> BandEvaluator:
    """All structures in one batched prediction of a potential (graphs built per structure)."""

    def evaluate(images: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        structures = [AseAtomsAdaptor.get_structure(atoms) for atoms in images]
        predictions = predict(structures, "ef", batch_size, None)
        energies = np.array(
            [float(p["e"]) * len(s) for p, s in zip(predictions, structures, strict=True)]
        )
        return energies, [np.asarray(p["f"], dtype=float) for p in predictions]

    return evaluate


def sequential_evaluator(calculator: Calculator) -> BandEvaluator:
    """One structure at a time through an ASE calculator (the naive way)."""

    def evaluate(images: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        energies, forces = [], []
        for atoms in images:
            probe = atoms.copy()
            probe.calc = calculator
            energies.append(probe.get_potential_energy())
            forces.append(probe.get_forces())
        return np.array(energies), forces

    return evaluate


def band_evaluator(engine: MLIPEngine, batched: bool = True) -> BandEvaluator:
    """The engine's evaluator: batched where the potential has a batched predictor, else
    sequential."""
    predict = engine.spec.batched_predictor
    if batched and predict is not None:
        return batched_band_evaluator(predict)
    return sequential_evaluator(potential_calculator(engine.potential))


class _Band:
    """Images sharing one evaluator: asking any image evaluates every changed image at once."""

    def __init__(self, images: list[Atoms], evaluate: BandEvaluator):
        self.images = images
        self.evaluate = evaluate
        self.positions: list[np.ndarray | None] = [None] * len(images)
        self.energies = np.zeros(len(images))
        self.forces: list[np.ndarray] = [np.zeros((len(a), 3)) for a in images]
        self.n_evaluations = 0

    def results(self, index: int) -> tuple[float, np.ndarray]:
        stale = [
            k
            for k, atoms in enumerate(self.images)
            if self.positions[k] is None or not np.array_equal(self.positions[k], atoms.positions)
        ]
        if index in stale:
            energies, forces = self.evaluate([self.images[k] for k in stale])
            self.n_evaluations += len(stale)
            for k, energy, force in zip(stale, energies, forces, strict=True):
                self.positions[k] = self.images[k].positions.copy()
                self.energies[k], self.forces[k] = energy, force
        return float(self.energies[index]), self.forces[index]


class _BandImageCalculator(Calculator):
    implemented_properties = ("energy", "forces")

    def __init__(self, band: _Band, index: int):
        super().__init__()
        self.band, self.index = band, index

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        energy, forces = self.band.results(self.index)
        self.results = {"energy": energy, "forces": forces}


@dataclass
class BandResult:
    """A relaxed band: total energies (eV), final images and convergence."""

    energies_ev: np.ndarray
    images: list[Structure]
    converged: bool
    n_steps: int
    max_force_ev_per_a: float
    n_evaluations: int


def relax_band(
    band: list[Structure],
    evaluate: BandEvaluator,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 300,
    climb: bool = True,
    spring_ev_per_a2: float = 0.1,
) -> BandResult:
    """Climbing-image NEB (improved tangents, FIRE) of a band whose ends stay fixed."""
    images = [AseAtomsAdaptor.get_atoms(s) for s in band]
    shared = _Band(images, evaluate)
    for k, atoms in enumerate(images):
        atoms.calc = _BandImageCalculator(shared, k)
    neb = NEB(images, k=spring_ev_per_a2, climb=climb, method="improvedtangent")
    optimizer = FIRE(neb, logfile=None)
    converged = bool(optimizer.run(fmax=fmax_ev_per_a, steps=max_steps))
    forces = neb.get_forces().reshape(-1, 3)
    energies = np.array([shared.results(k)[0] for k in range(len(images))])
    return BandResult(
        energies_ev=energies,
        images=[AseAtomsAdaptor.get_structure(a) for a in images],
        converged=converged,
        n_steps=optimizer.nsteps,
        max_force_ev_per_a=float(np.linalg.norm(forces, axis=1).max()),
        n_evaluations=shared.n_evaluations,
    )


def reaction_coordinate_a(images: list[Structure]) -> np.ndarray:
    """Cumulative mass-unweighted path length of a band (Angstrom), minimum-image steps."""
    steps = [0.0]
    for a, b in itertools.pairwise(images):
        delta = b.frac_coords - a.frac_coords
        delta -= np.round(delta)
        steps.append(float(np.linalg.norm(a.lattice.get_cartesian_coords(delta))))
    return np.cumsum(steps)


def migration_key(host: Structure, hop: Hop, settings: dict, provenance: Provenance) -> str:
    """Key of a NEB: host cell (rounded), hop path and every setting of the engine and band."""
    sites = sorted((s.species_string, *(round(float(x), 4) for x in s.frac_coords)) for s in host)
    return content_key(
        "migration",
        [round(float(x), 4) for x in host.lattice.matrix.flat],
        sites,
        hop.mechanism,
        hop.moving_index,
        hop.vacancy_index,
        hop.path_frac,
        settings,
        provenance.model_dump(),
    )


@job(data="images")
def neb_document(
    start_relax,
    end_relax,
    via_points: list[Structure],
    hop: dict,
    host: str,
    key: str,
    settings: dict,
    provenance: dict,
    campaign: str | None = None,
) -> MigrationDocument:
    """Run the climbing-image NEB between relaxed end points and document the barrier."""
    hop = Hop(**{k: tuple(v) if isinstance(v, list) else v for k, v in hop.items()})
    common = {
        "key": key,
        "campaign": campaign,
        "host": host,
        "host_formula": via_points[0].composition.reduced_formula,
        "ion": hop.ion,
        "mechanism": hop.mechanism,
        "path_label": hop.path_label,
        "hop_length_a": hop.length_a,
        "multiplicity": hop.multiplicity,
        "equivalent_paths": [list(map(list, pair)) for pair in hop.equivalent_paths],
        "n_images": settings["n_images"],
        "cell_charge": float(via_points[0].charge),
        "n_atoms": len(via_points[0]),
        "provenance": Provenance(**provenance),
    }
    for role, relax in (("start", start_relax), ("end", end_relax)):
        if relax is None or relax.is_force_converged is False:
            why = "raised an error" if relax is None else "did not reach its force threshold"
            reason = f"the {role} relaxation {why}"
            return MigrationDocument(state="failed", reason=reason, **common)
    start = _plain(start_relax.output.structure, via_points[0])
    end = _plain(end_relax.output.structure, via_points[-1])
    moving = moving_index(hop)
    points = [start]
    for via in via_points[1:-1]:  # the start cell with the ion at each intermediate site
        point = start.copy()
        site = point[moving]
        point.replace(moving, site.species, via[moving].frac_coords, properties=site.properties)
        points.append(point)
    points.append(end)
    labels = hop.site_labels
    endpoints = [float(start_relax.output.energy), float(end_relax.output.energy)]
    try:
        result, checks = _checked_band(points, labels, settings, settings["n_images"], endpoints)
        if checks.under_resolved and settings["rerun_under_resolved"]:
            finer = 2 * settings["n_images"] + 1  # every interval halved
            coarse_barrier = float(np.max(result.energies_ev - result.energies_ev[0]))
            result, checks = _checked_band(points, labels, settings, finer, endpoints)
            checks.rerun_n_images = finer
            checks.coarse_barrier_ev = round(coarse_barrier, 6)
    except ValueError as exc:
        return MigrationDocument(state="failed", reason=str(exc), **common)
    energies = result.energies_ev - result.energies_ev[0]
    saddle = int(np.argmax(energies))
    return MigrationDocument(
        state="successful",
        converged=result.converged,
        barrier_ev=round(float(energies.max()), 6),
        reverse_barrier_ev=round(float(energies.max() - energies[-1]), 6),
        reaction_energy_ev=round(float(energies[-1]), 6),
        energies_ev=[round(float(e), 6) for e in energies],
        reaction_coordinate_a=[round(float(x), 4) for x in reaction_coordinate_a(result.images)],
        saddle_index=saddle,
        saddle_frac_coords=[float(x) for x in result.images[saddle][moving].frac_coords],
        endpoint_energies_ev=endpoints,
        band_endpoint_energies_ev=[float(result.energies_ev[0]), float(result.energies_ev[-1])],
        checks=checks,
        n_steps=result.n_steps,
        max_force_ev_per_a=round(result.max_force_ev_per_a, 4),
        images=result.images,
        **common,
    )


def _checked_band(
    points: list[Structure],
    labels: tuple[str, ...],
    settings: dict,
    n_images: int,
    endpoints: list[float],
) -> tuple[BandResult, BandChecks]:
    """The relaxed band of n_images per step through ``points`` and its quality checks
    (``endpoints``: the relaxed end points' energies, eV)."""
    band = [
        _plain(image, points[0])
        for image in idpp_band(points, n_images, settings["min_distance_a"])
    ]
    result = relax_band(
        band,
        band_evaluator(mlip_engine_from_settings(settings["engine"])),
        fmax_ev_per_a=settings["fmax_ev_per_a"],
        max_steps=settings["max_steps"],
        climb=settings["climb"],
    )
    energies = result.energies_ev - result.energies_ev[0]
    via_images = {k * (n_images + 1): labels[k] for k in range(1, len(points) - 1)}
    checks = band_checks(
        list(energies),
        list(reaction_coordinate_a(result.images)),
        endpoints,
        result.converged,
        via_images,
    )
    return result, checks


def _plain(structure: Structure, like: Structure) -> Structure:
    """A structure with the charge and fixed atoms of ``like`` (at like's positions: IDPP
    moves every atom) and no other site properties (forces, magmoms)."""
    coords = structure.frac_coords.copy()
    flags = like.site_properties.get("selective_dynamics")
    if flags is not None:
        fixed = ~np.array(flags, dtype=bool).any(axis=1)
        coords[fixed] = like.frac_coords[fixed]
    return Structure(
        structure.lattice,
        structure.species,
        coords,
        charge=like.charge,
        site_properties=None if flags is None else {"selective_dynamics": flags},
    )


@dataclass
class NebMaker(Maker):
    """Relax the end points of a hop (fixed cell) and run a climbing-image NEB between them.

    n_images: images per step of the path (an Oct-Tet-Oct path has two steps).
    fmax_ev_per_a: force threshold of the end points and the band (eV/Angstrom).
    min_distance_a: closest approach of two atoms allowed in the initial band (Angstrom).
    max_hop_length_a: longest start-end distance accepted (Angstrom).
    background_charge: charge the vacancy cell (codes with a compensating background).
    rerun_under_resolved: run the band again at 2 n_images + 1 images per step when its saddle
        sits beside an end point or its images are uneven (see ``band_checks``).
    """

    name: str = "neb"
    engine: MLIPEngine = field(default_factory=MLIPEngine)
    n_images: int = 5
    fmax_ev_per_a: float = 0.05
    max_steps: int = 300
    climb: bool = True
    min_distance_a: float = 1.0
    max_hop_length_a: float = 6.0
    background_charge: bool = False
    rerun_under_resolved: bool = True

    def settings(self) -> dict:
        """Everything besides the structures that determines the result."""
        return {
            "n_images": self.n_images,
            "fmax_ev_per_a": self.fmax_ev_per_a,
            "max_steps": self.max_steps,
            "climb": self.climb,
            "min_distance_a": self.min_distance_a,
            "background_charge": self.background_charge,
            "rerun_under_resolved": self.rerun_under_resolved,
            "engine": {
                "potential": self.engine.potential,
                "fmax_ev_per_a": self.engine.fmax_ev_per_a,
                "max_steps": self.engine.max_steps,
            },
        }

    def make(self, host: Structure, hop: Hop, host_name: str, campaign: str | None = None) -> Flow:
        """Flow whose output is the MigrationDocument of ``hop`` in ``host``."""
        self.engine.check_elements(host)
        if hop.length_a > self.max_hop_length_a:
            raise ValueError(
                f"The {hop.ion} hop {hop.path_label} in {host_name} is {hop.length_a:.2f} A long, "
                f"longer than max_hop_length_a = {self.max_hop_length_a} A; choose a shorter "
                "hop or raise max_hop_length_a."
            )
        points = end_points(host, hop, self.background_charge)
        relax = PotentialRelaxMaker(
            relax_cell=False,
            steps=self.engine.max_steps,
            relax_kwargs={"fmax": self.fmax_ev_per_a, **NO_FILES},
            ionic_step_data=("energy",),
            potential=self.engine.potential,
        )
        start = relax.make(points[0])
        end = relax.make(points[-1])
        start.name, end.name = f"{host_name} {hop.path_label} start", f"{host_name} end"
        provenance = self.engine.provenance()
        neb = neb_document(
            start.output,
            end.output,
            via_points=points,
            hop=_hop_dict(hop),
            host=host_name,
            key=migration_key(host, hop, self.settings(), provenance),
            settings=self.settings(),
            provenance=provenance.model_dump(),
            campaign=campaign,
        )
        neb.config.on_missing_references = OnMissing.NONE
        neb.name = f"{host_name} {hop.ion} {hop.path_label} neb"
        return Flow([start, end, neb], output=neb.output, name=f"{self.name} {neb.name}")

    def make_campaign(
        self, selections: list[HopSelection], campaign: str, store: JobStore | None = None
    ) -> Flow:
        """One NEB flow per selected hop; hops already finished in ``store`` are not rerun."""
        provenance = self.engine.provenance()
        if store is not None:
            store.connect()
        flows = []
        for selection in selections:
            for cell, hop in selection.neb_cells(selection.cell()):
                key = migration_key(cell, hop, self.settings(), provenance)
                if store is not None and find_output(store, "migration", key) is not None:
                    continue
                flows.append(self.make(cell, hop, selection.name, campaign))
        return Flow(flows, name=f"{self.name} {campaign}")


def vasp_neb_flow(
    host: Structure, hop: Hop, engine: VaspEngine, n_images: int = 5, min_distance_a: float = 1.0
) -> Flow:
    """VASP climbing-image NEB of ``hop`` for HPC, at the engine's (the study's) settings.

    A one-step hop relaxes both end points (ions only) and interpolates IDPP images between
    them (atomate2's NebFromEndpointsMaker); a path through intermediate holes runs the IDPP
    band of the unrelaxed points, checked for overlapping atoms first. A charged ``host`` (a
    bare framework) sets NELECT from its charge; VASP neutralises it with a uniform background.
    """
    engine.check_elements(host)
    points = end_points(host, hop)
    maker = engine.neb_maker(relax_endpoints=len(points) == 2)
    if points[0].charge:  # a charged cell (bare framework): NELECT from the cell's charge
        for step in (maker.endpoint_relax_maker, maker.images_maker):
            if step is not None:
                step.input_set_generator.use_structure_charge = True
    if len(points) == 2:
        flow = maker.make(points, num_images=n_images, interpolation_method=NebInterpolation.IDPP)
    else:
        band = idpp_band(points, n_images, min_distance_a)
        flow = Flow([maker.images_maker.make(band)])
    flow.name = f"vasp neb {hop.ion} {hop.path_label}"
    return flow


def _hop_dict(hop: Hop) -> dict:
    return {
        "ion": hop.ion,
        "mechanism": hop.mechanism,
        "moving_index": hop.moving_index,
        "path_frac": [list(p) for p in hop.path_frac],
        "site_labels": list(hop.site_labels),
        "length_a": hop.length_a,
        "vacancy_index": hop.vacancy_index,
        "multiplicity": hop.multiplicity,
        "equivalent_paths": [[list(a), list(b)] for a, b in hop.equivalent_paths],
    }
