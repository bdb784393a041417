"""Batched relaxation: many structures relaxed at once on one device (GPU when present, or CPU).

Two ways, chosen per potential (``relax_structures``):

- ``torch-sim`` (SevenNet): the positions and cells of every structure move together on the
  device with torch-sim's batched FIRE and Frechet cell filter; converged structures are swapped
  out and waiting ones swapped in (in-flight batching).
- ``lockstep`` (CHGNet, which torch-sim does not wrap): every structure keeps its own ASE FIRE
  optimiser on a ``FrechetCellFilter``, the ones atomate2's relaxer uses, so the trajectories are
  those of the one-at-a-time path; each step evaluates all unconverged structures together
  (batched model calls on a GPU, one structure per call on the CPU).

``relax_one_at_a_time`` is the naive way (atomate2's ``AseRelaxer``, one structure after the
other) that benchmarks and tests compare against. Units: eV, eV/Angstrom, eV/Angstrom^3.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes
from ase.filters import FrechetCellFilter
from ase.optimize import FIRE
from jobflow import job
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ssbscreen.potentials import (
    DEFAULT_POTENTIAL,
    default_device,
    get_potential,
    potential_calculator,
    relax_method,
)

# energies (eV), forces (eV/A) and Voigt stresses (eV/A^3, ASE's sign) of a list of structures
BatchEvaluator = Callable[[list[Atoms]], list[tuple[float, np.ndarray, np.ndarray]]]


def lockstep_evaluator(
    potential: str, device: str | None = None, batch_size: int = 32
) -> BatchEvaluator:
    """Energies, forces and stresses of many structures in the potential's batched predictions
    (its registry entry's ``batched_predictor``)."""
    predict = get_potential(potential).batched_predictor

    def evaluate(atoms_list: list[Atoms]) -> list[tuple[float, np.ndarray, np.ndarray]]:
        structures = [AseAtomsAdaptor.get_structure(atoms) for atoms in atoms_list]
        predictions = predict(structures, "efs", batch_size, device)
        # as CHGNetCalculator: energy per atom -> total, stress GPa -> eV/A^3
        return [
            (
                float(p["e"]) * len(s),
                np.asarray(p["f"], dtype=float),
                np.asarray(p["s"], dtype=float) * units.GPa,
            )
            for p, s in zip(predictions, structures, strict=True)
        ]

    return evaluate


@dataclass
class RelaxedStructure:
    """Outcome of one relaxation; ``error`` says why a structure could not be relaxed."""

    structure: Structure
    energy_ev: float | None
    max_force_ev_per_a: float | None
    n_steps: int
    converged: bool
    error: str | None = None

    def as_dict(self) -> dict:
        """Plain form stored as a job output (jobflow serialises the structure)."""
        return dict(vars(self))


class _Slot(Calculator):
    """Holds the results the batch computed for one structure at its current geometry."""

    implemented_properties = ("energy", "free_energy", "forces", "stress")

    def store(self, atoms: Atoms, energy: float, forces: np.ndarray, stress: np.ndarray):
        self.atoms = atoms.copy()
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": forces,
            "stress": stress,
        }

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        raise RuntimeError("a lock-step structure moved without a batched evaluation")


def _max_force(forces: np.ndarray) -> float:
    return float(np.sqrt((forces**2).sum(axis=1).max())) if len(forces) else 0.0


def _evaluate_each(
    evaluate: BatchEvaluator, atoms_list: list[Atoms]
) -> list[tuple[float, np.ndarray, np.ndarray] | str]:
    """Results of a batch; when the batch fails, each structure alone (errors as strings)."""
    try:
        results = evaluate(atoms_list)
    except Exception:  # one bad structure must not stop the batch
        results = []
        for atoms in atoms_list:
            try:
                results.extend(evaluate([atoms]))
            except Exception as exc:
                results.append(f"the potential failed on it: {exc}")
    return [
        r if isinstance(r, str) or math.isfinite(r[0]) else "the potential gave a non-finite energy"
        for r in results
    ]


def relax_lockstep(
    structures: list[Structure],
    evaluate: BatchEvaluator,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 500,
    relax_cell: bool = True,
) -> list[RelaxedStructure]:
    """ASE FIRE per structure (as atomate2's relaxer), one batched evaluation per step."""
    atoms_list = [AseAtomsAdaptor.get_atoms(structure) for structure in structures]
    optimizers = []
    for atoms in atoms_list:
        atoms.calc = _Slot()
        optimizer = FIRE(FrechetCellFilter(atoms) if relax_cell else atoms, logfile=None)
        optimizer.fmax = fmax_ev_per_a
        optimizers.append(optimizer)
    done: dict[int, RelaxedStructure] = {}
    active = list(range(len(structures)))
    while active:
        results = _evaluate_each(evaluate, [atoms_list[i] for i in active])
        still = []
        for i, result in zip(active, results, strict=True):
            atoms, optimizer = atoms_list[i], optimizers[i]
            if isinstance(result, str):
                done[i] = RelaxedStructure(
                    structures[i], None, None, optimizer.nsteps, False, result
                )
                continue
            atoms.calc.store(atoms, *result)
            converged = optimizer.gradient_converged(optimizer.optimizable.get_gradient())
            if converged or optimizer.nsteps >= max_steps:
                done[i] = RelaxedStructure(
                    AseAtomsAdaptor.get_structure(atoms),
                    result[0],
                    _max_force(result[1]),
                    optimizer.nsteps,
                    bool(converged),
                )
                continue
            optimizer.step()
            optimizer.nsteps += 1
            still.append(i)
        active = still
    return [done[i] for i in range(len(structures))]


# atoms on a GPU at once, per (potential, device): torch-sim's estimate (forward passes of
# growing batches until the memory runs out, over a minute on an H200) made once per process
_TORCH_SIM_MAX_ATOMS: dict[tuple[str, str], float] = {}


@cache
def _torch_sim_model(potential: str, device: str):
    """torch-sim's interface to ``potential`` (model weights from its wheel) on ``device``, on
    its own copy of the model: torch-sim switches a model to batched input, which the shared
    ASE calculator of potential_calculator then cannot evaluate."""
    from torch_sim.models.sevennet import SevenNetModel

    model = copy.deepcopy(potential_calculator(potential, device).model)
    return SevenNetModel(model=model, device=device)


def relax_torch_sim(
    structures: list[Structure],
    potential: str = "sevennet",
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 500,
    relax_cell: bool = True,
    device: str | None = None,
) -> list[RelaxedStructure]:
    """torch-sim's batched FIRE (Frechet cell filter) for every structure at once.

    Atoms on the device at once: on a GPU as many as torch-sim measures its memory holds (once
    per potential and process); on the CPU every structure goes in one batch.
    """
    import torch
    import torch_sim as ts
    from torch_sim.optimizers import fire

    device = device or default_device()
    model = _torch_sim_model(potential, device)
    state = ts.initialize_state(structures, model.device, model.dtype)
    steps_between_swaps = 5
    batcher = ts.InFlightAutoBatcher(
        model,
        memory_scales_with="n_atoms",
        max_memory_scaler=(
            int(state.n_atoms) if device == "cpu" else _TORCH_SIM_MAX_ATOMS.get((potential, device))
        ),
        max_iterations=max(1, max_steps // steps_between_swaps),
    )
    final = ts.optimize(
        system=state,
        model=model,
        optimizer=ts.frechet_cell_fire if relax_cell else fire,
        convergence_fn=ts.generate_force_convergence_fn(
            fmax_ev_per_a, include_cell_forces=relax_cell
        ),
        autobatcher=batcher,
        max_steps=max_steps,
        steps_between_swaps=steps_between_swaps,
    )
    if device != "cpu":
        _TORCH_SIM_MAX_ATOMS.setdefault((potential, device), batcher.max_memory_scaler)
    outputs = model(final)  # energies, forces and stresses at the relaxed geometries
    counts = torch.bincount(final.system_idx).tolist()
    energies = outputs["energy"].detach().cpu().to(torch.float64).numpy().reshape(-1)
    forces_all = np.split(
        outputs["forces"].detach().cpu().numpy().astype(float), np.cumsum(counts)[:-1]
    )
    stresses = outputs["stress"].detach().cpu().to(torch.float64).numpy().reshape(-1, 3, 3)
    results = []
    for k, structure in enumerate(ts.io.state_to_structures(final)):
        energy = float(energies[k])
        max_force = _max_force(forces_all[k])
        converged = max_force < fmax_ev_per_a
        if relax_cell:
            # the Frechet filter's cell forces: virial / number of atoms (ASE's and torch-sim's)
            cell_forces = -stresses[k] * structure.volume / len(structure)
            converged = converged and np.linalg.norm(cell_forces, axis=1).max() < fmax_ev_per_a
        results.append(
            RelaxedStructure(
                structure,
                energy if math.isfinite(energy) else None,
                max_force,
                -1,  # torch-sim counts steps per batch, not per structure
                converged and math.isfinite(energy),
                None if math.isfinite(energy) else "the potential gave a non-finite energy",
            )
        )
    return results


def relax_one_at_a_time(
    structures: list[Structure],
    potential: str = DEFAULT_POTENTIAL,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 500,
    relax_cell: bool = True,
) -> list[RelaxedStructure]:
    """The naive way: atomate2's AseRelaxer (FIRE, FrechetCellFilter), one after the other."""
    from atomate2.ase.utils import AseRelaxer

    relaxer = AseRelaxer(potential_calculator(potential), relax_cell=relax_cell)
    results = []
    for structure in structures:
        try:
            out = relaxer.relax(
                structure, fmax=fmax_ev_per_a, steps=max_steps, final_atoms_object_file=None
            )
        except Exception as exc:
            results.append(RelaxedStructure(structure, None, None, 0, False, str(exc)))
            continue
        forces = np.asarray(out.trajectory.frame_properties[-1]["forces"])
        results.append(
            RelaxedStructure(
                out.final_mol_or_struct,
                float(out.trajectory.frame_properties[-1]["energy"]),
                _max_force(forces),
                len(out.trajectory) - 1,
                bool(out.is_force_converged),
            )
        )
    return results


def relax_structures(
    structures: list[Structure],
    potential: str = DEFAULT_POTENTIAL,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 500,
    relax_cell: bool = True,
    device: str | None = None,
    method: str = "auto",
    batch_size: int | None = None,
) -> list[RelaxedStructure]:
    """Relax ``structures`` together; one RelaxedStructure per input, in order.

    device: "cuda", "cpu" (None: GPU when present). batch_size: structures per model call of
    the lock-step way (None: 32 on a GPU, 1 on the CPU, where CHGNet's batched stresses cost
    more than one structure at a time: 6.9 s vs 2.2 s for six 24-32-atom cells, measured here).
    """
    method = relax_method(potential, method)
    device = device or default_device()
    if not structures:
        return []
    if method == "torch-sim":
        return relax_torch_sim(structures, potential, fmax_ev_per_a, max_steps, relax_cell, device)
    batch_size = batch_size or (1 if device == "cpu" else 32)
    evaluate = lockstep_evaluator(potential, device, batch_size)
    return relax_lockstep(structures, evaluate, fmax_ev_per_a, max_steps, relax_cell)


@job
def relax_batch(structures: list[Structure], engine_settings: dict) -> list[dict]:
    """Relax ``structures`` together with a BatchedMLIPEngine's settings; one dict each."""
    names = ("fmax_ev_per_a", "max_steps", "relax_cell", "device", "method", "batch_size")
    settings = {name: engine_settings[name] for name in names}
    results = relax_structures(structures, engine_settings["potential"], **settings)
    return [result.as_dict() for result in results]
