"""Universal potentials: the one registry (``POTENTIALS``) of what each potential is and can do.

A ``PotentialSpec`` holds a potential's atomate2 name, its package and model, the elements it
covers, the energy scale of its predictions and its capabilities: ``batched_predictor``
(energies, forces and stresses of many structures in batched model calls; CHGNet) and
``torch_sim`` (torch-sim wraps it; SevenNet). Engines, batched relaxations, NEB bands and
phonons ask the registry entry, never a list of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pymatgen and torch load on first use: the command line starts quickly
    from pymatgen.core import Structure

DEFAULT_POTENTIAL = "chgnet"

# predictions of many structures: (structures, task ("ef", "efs"), batch_size, device: None for
# a GPU when present) -> one dict per structure, e: eV/atom, f: eV/Angstrom, s: GPa
BatchedPredictor = Callable[..., list[dict]]

METHODS = ("auto", "lockstep", "torch-sim")  # ways of a batched relaxation


@dataclass(frozen=True)
class PotentialSpec:
    """A universal potential known to the MLIP engine."""

    key: str
    force_field_name: str  # atomate2 MLFF name
    package: str  # distribution whose version is recorded
    model_name: str
    calculator_kwargs: dict = field(default_factory=dict)
    # "MP2020": predicts raw GGA(+U) energies, MP2020 corrections are applied in the analysis;
    # "none": its training targets already carried the MP2020 corrections
    energy_corrections: str = "MP2020"
    max_z: int | None = None  # heaviest element covered (atomic number); None: all of MPtrj
    device_keyword: str = "device"  # the calculator's argument naming the torch device
    batched_predictor: BatchedPredictor | None = None  # many structures per model call
    torch_sim: bool = False  # torch-sim has a model interface for it

    @property
    def elements(self) -> frozenset[str] | None:
        """Symbols of the elements it covers; None: all elements of its training set."""
        if self.max_z is None:
            return None
        from pymatgen.core import Element

        return frozenset(Element.from_Z(z).symbol for z in range(1, self.max_z + 1))

    @property
    def package_version(self) -> str:
        """Installed version of the package that ships the weights."""
        try:
            return version(self.package)
        except PackageNotFoundError as exc:
            raise ValueError(
                f"Potential {self.key!r} needs the Python package {self.package!r}; "
                f"install it with `pip install {self.package}`."
            ) from exc


def default_device() -> str:
    """ "cuda" when PyTorch sees a GPU, else "cpu"."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def potential_calculator(key: str, device: str | None = None):
    """The ASE calculator of a registered potential on ``device`` (None: a GPU when present),
    as atomate2's force-field jobs build it; loaded once per process and device and shared
    by relaxations, statics, NEB images, phonons and batched relaxations."""
    return loaded_calculator(get_potential(key).key, device or default_device())


@cache
def loaded_calculator(key: str, device: str):
    """potential_calculator's cache: one calculator (model weights loaded once) per potential
    and device."""
    from atomate2.forcefields.jobs import ForceFieldStaticMaker
    from atomate2.forcefields.utils import ase_calculator

    spec = get_potential(key)
    kwargs = {**spec.calculator_kwargs, spec.device_keyword: device}
    maker = ForceFieldStaticMaker(force_field_name=spec.force_field_name, calculator_kwargs=kwargs)
    return ase_calculator(maker.calculator_meta, **maker.calculator_kwargs)  # atomate2's defaults


# CHGNet's force graph (bonds, angles, autograd) on the CPU holds 5 MB per atom in In2O3 (4.2 GB
# peak for one 640-atom supercell) and up to 18 MB per atom in a dense layered oxide (17.8 GB
# peak for two 480-atom NCM90 supercells): a batch stays within this many atoms (< 10 GB)
MAX_BATCH_ATOMS = 500
GRAPH_BYTES_PER_ATOM = 18e6  # the largest measured above


def max_batch_atoms(device: str) -> int:
    """Atoms per CHGNet call: MAX_BATCH_ATOMS on the CPU; on a GPU, as many as half its free
    memory holds at GRAPH_BYTES_PER_ATOM (never fewer than on the CPU)."""
    if device == "cpu":
        return MAX_BATCH_ATOMS
    import torch

    free_bytes, _ = torch.cuda.mem_get_info(torch.device(device))
    return max(MAX_BATCH_ATOMS, int(free_bytes / 2 / GRAPH_BYTES_PER_ATOM))


def atom_batches(
    structures: list[Structure], batch_size: int, max_atoms: int = MAX_BATCH_ATOMS
) -> list[list[Structure]]:
    """Consecutive batches of at most batch_size structures and max_atoms atoms (a larger
    structure goes alone)."""
    batches: list[list[Structure]] = []
    atoms = 0
    for structure in structures:
        if batches and len(batches[-1]) < batch_size and atoms + len(structure) <= max_atoms:
            batches[-1].append(structure)
            atoms += len(structure)
        else:
            batches.append([structure])
            atoms = len(structure)
    return batches


def chgnet_predictions(
    structures: list[Structure], task: str, batch_size: int, device: str | None = None
) -> list[dict]:
    """CHGNet predictions (e: eV/atom, f: eV/A, s: GPa) of ``structures``, batched graphs of at
    most ``batch_size`` structures and ``max_batch_atoms`` atoms; device None: GPU when present.
    The model is the one potential_calculator loaded, shared by relaxations, NEB and phonons."""
    device = device or default_device()
    model = potential_calculator("chgnet", device).model
    predictions: list[dict] = []
    for batch in atom_batches(structures, batch_size, max_batch_atoms(device)):
        found = model.predict_structure(batch, task=task, batch_size=len(batch))
        predictions += [found] if isinstance(found, dict) else list(found)
    return predictions


POTENTIALS: dict[str, PotentialSpec] = {
    spec.key: spec
    for spec in (
        # CHGNet 0.3.0 was trained on MP2020-corrected MPtrj energies (Deng et al., Nat. Mach.
        # Intell. 5, 1031 (2023)); checked here: its raw formation energies of LiCl and Li2O
        # (-2.09, -2.04 eV/atom) match experiment (-2.12, -2.07) without corrections. It embeds
        # an atom by its atomic number, one row per Z = 1-94 (chgnet.model.encoders.
        # AtomEmbedding, max_num_elements=94): heavier elements have no embedding.
        PotentialSpec(
            "chgnet",
            "CHGNet",
            "chgnet",
            "CHGNet-0.3.0",
            energy_corrections="none",
            max_z=94,
            device_keyword="use_device",
            batched_predictor=chgnet_predictions,
        ),
        PotentialSpec(
            "sevennet", "SevenNet", "sevenn", "SevenNet-7net-0", {"model": "7net-0"}, torch_sim=True
        ),
        # SevenNet-l3i5 (l_max 3, 5 interaction layers), trained on MPtrj like 7net-0; its
        # weights ship in the sevenn wheel (Matbench Discovery: F1 0.76, MAE 0.044 eV/atom)
        PotentialSpec(
            "sevennet-l3i5",
            "SevenNet",
            "sevenn",
            "SevenNet-l3i5",
            {"model": "7net-l3i5"},
            torch_sim=True,
        ),
    )
}


def get_potential(key: str) -> PotentialSpec:
    """The registered potential called ``key`` (case-insensitive)."""
    try:
        return POTENTIALS[key.lower()]
    except KeyError:
        raise ValueError(
            f"Unknown potential {key!r}; choose one of {', '.join(sorted(POTENTIALS))}."
        ) from None


def relax_method(potential: str, method: str = "auto") -> str:
    """The batched way for ``potential``: torch-sim where it wraps it, else lock-step (batched
    predictions in ASE optimisers)."""
    if method not in METHODS:
        raise ValueError(f"Unknown batched relaxation {method!r}; choose one of {METHODS}.")
    spec = POTENTIALS.get(potential)
    if method == "auto":
        return "torch-sim" if spec is not None and spec.torch_sim else "lockstep"
    if method == "lockstep" and (spec is None or spec.batched_predictor is None):
        able = [key for key, s in POTENTIALS.items() if s.batched_predictor is not None]
        raise ValueError(
            f"The potential {potential!r} has no batched evaluator for lock-step relaxation; "
            f"use one of {', '.join(able)} or method='torch-sim'."
        )
    if method == "torch-sim" and (spec is None or not spec.torch_sim):
        able = [key for key, s in POTENTIALS.items() if s.torch_sim]
        raise ValueError(
            f"torch-sim has no model for the potential {potential!r}; "
            f"use one of {', '.join(able)} or method='lockstep'."
        )
    return method
