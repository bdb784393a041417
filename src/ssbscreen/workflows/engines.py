"""Engines: what runs a relaxation and a static calculation of a structure.

The engines share one interface (``Engine``: ``name``, ``potential``, ``runs_in_folders``,
``structures_per_job``, ``provenance()``, ``check_elements()``, ``check_runnable()``,
``relax_and_static()``, ``entry_parameters()``):

- ``MLIPEngine``: atomate2's force-field Makers of a potential of the one registry
  (``ssbscreen.potentials.POTENTIALS``); ``BatchedMLIPEngine`` relaxes many structures per job;
- ``VaspEngine``: atomate2's Materials Project GGA(+U) VASP Makers at the seed study's settings;
- ``Cp2kEngine``: atomate2's CP2K Makers, PBE with GTH pseudopotentials.

Every flow takes an engine object and never asks which one it is; ``engine_from_name`` builds
one from a name given on the command line or in a campaign file.
"""

from __future__ import annotations

import copy
import os
import shlex
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import ClassVar, Protocol

from atomate2 import SETTINGS
from atomate2.forcefields.jobs import ForceFieldRelaxMaker, ForceFieldStaticMaker
from atomate2.vasp.jobs.mp import MPGGARelaxMaker, MPGGAStaticMaker
from atomate2.vasp.jobs.neb import NebFromEndpointsMaker, NebFromImagesMaker
from atomate2.vasp.sets.core import NebSetGenerator
from jobflow import Job
from pymatgen.core import Composition, Structure
from pymatgen.io.vasp.sets import MPRelaxSet, MPStaticSet

from ssbscreen.potentials import (
    DEFAULT_POTENTIAL,
    PotentialSpec,
    get_potential,
    potential_calculator,
    relax_method,
)
from ssbscreen.schemas import MP_MODEL, Provenance


class Engine(Protocol):
    """What a flow needs of an engine; MLIPEngine, BatchedMLIPEngine, VaspEngine and Cp2kEngine
    provide it."""

    name: str
    runs_in_folders: bool  # each job needs a folder of its own (the code writes files there)
    # structures relaxed together by one job (relax_batch); None: one flow per structure
    structures_per_job: int | None

    @property
    def potential(self) -> str:
        """Key of the engine's offline reference set."""

    def provenance(self) -> Provenance:
        """Engine, model, version and settings recorded with every result."""

    def check_elements(self, structure: Structure) -> None:
        """Raise ValueError naming elements the engine cannot compute."""

    def check_runnable(self) -> None:
        """Raise ValueError naming the setting to fix when the engine cannot run here."""

    def relax_and_static(self, structure: Structure, name: str) -> tuple[list[Job], Job]:
        """Jobs that relax ``structure`` then compute its energy; returns (jobs, static)."""

    def entry_parameters(self, composition: Composition) -> dict:
        """Parameters stored on the entry (run type, Hubbard U) for energy corrections."""


# Hubbard U (eV) that Materials Project GGA+U uses for oxides and fluorides; the universal
# potentials here are trained on those calculations, so their energies are labelled the same
# way and can take the MP2020 compatibility corrections (Wang et al., Sci. Rep. 11, 15496 (2021)).
MP_HUBBARD_U_EV = {
    "Co": 3.32,
    "Cr": 3.7,
    "Fe": 5.3,
    "Mn": 3.9,
    "Mo": 4.38,
    "Ni": 6.2,
    "V": 3.25,
    "W": 6.2,
}


# atomate2's ASE relaxer writes final_atoms_object.xyz into the working directory by default
NO_FILES = {"final_atoms_object_file": None}


class _SharedCalculator:
    """An atomate2 force-field Maker of the registered ``potential``, on its one calculator per
    process (atomate2 builds a calculator, loading the model, in every job)."""

    potential: str

    def __post_init__(self):
        spec = get_potential(self.potential)
        self.force_field_name = spec.force_field_name
        self.calculator_kwargs = dict(spec.calculator_kwargs)
        super().__post_init__()

    def _get_calculator(self):
        return potential_calculator(self.potential)


@dataclass
class PotentialRelaxMaker(_SharedCalculator, ForceFieldRelaxMaker):
    """atomate2's ForceFieldRelaxMaker of a registered potential (its key, e.g. "chgnet")."""

    potential: str = DEFAULT_POTENTIAL


@dataclass
class PotentialStaticMaker(_SharedCalculator, ForceFieldStaticMaker):
    """atomate2's ForceFieldStaticMaker of a registered potential (its key, e.g. "chgnet")."""

    potential: str = DEFAULT_POTENTIAL


def mp_entry_parameters(composition: Composition) -> dict:
    """Entry parameters (run type, Hubbard U) that Materials Project would use for it."""
    elements = {el.symbol for el in composition.elements}
    hubbards = {}
    if elements & {"O", "F"}:
        hubbards = {el: MP_HUBBARD_U_EV[el] for el in sorted(elements) if el in MP_HUBBARD_U_EV}
    return {
        "run_type": "GGA+U" if hubbards else "GGA",
        "is_hubbard": bool(hubbards),
        "hubbards": hubbards,
    }


@dataclass
class MLIPEngine:
    """Relax then static with a universal machine-learned potential (atomate2 force fields).

    fmax_ev_per_a: force convergence of the relaxation (eV/Angstrom).
    max_steps: optimiser steps before the relaxation is given up.
    """

    potential: str = DEFAULT_POTENTIAL
    fmax_ev_per_a: float = 0.05
    max_steps: int = 500
    relax_cell: bool = True
    name: str = "mlip"
    runs_in_folders: ClassVar[bool] = False  # in memory, no files
    structures_per_job: ClassVar[int | None] = None  # one flow per structure

    @property
    def spec(self) -> PotentialSpec:
        """The registry entry of the chosen potential."""
        return get_potential(self.potential)

    def provenance(self) -> Provenance:
        """Engine, model, version and settings recorded with every result."""
        spec = self.spec
        return Provenance(
            engine=self.name,
            model=spec.model_name,
            model_version=f"{spec.package} {spec.package_version}",
            energy_corrections=spec.energy_corrections,
            settings={
                "fmax_ev_per_a": self.fmax_ev_per_a,
                "max_steps": self.max_steps,
                "relax_cell": self.relax_cell,
                "calculator_kwargs": spec.calculator_kwargs,
            },
        )

    def check_runnable(self) -> None:
        """Raise ValueError when the package that ships the potential is not installed."""
        _ = self.spec.package_version

    def check_elements(self, structure: Structure) -> None:
        """Raise ValueError naming any element the potential does not cover."""
        allowed = self.spec.elements
        if allowed is None:
            return
        missing = sorted({el.symbol for el in structure.composition} - allowed)
        if missing:
            raise ValueError(
                f"The potential {self.spec.model_name} does not cover {', '.join(missing)}; "
                "choose another potential with --model."
            )

    def relax_and_static(self, structure: Structure, name: str) -> tuple[list[Job], Job]:
        """Jobs that relax ``structure`` and then compute its energy; returns (jobs, static)."""
        relax = PotentialRelaxMaker(
            name=f"{name} relax",
            relax_cell=self.relax_cell,
            steps=self.max_steps,
            relax_kwargs={"fmax": self.fmax_ev_per_a, **NO_FILES},
            ionic_step_data=("energy",),  # keep documents small; trajectories are not kept
            potential=self.potential,
        ).make(structure)
        static = PotentialStaticMaker(
            name=f"{name} static", relax_kwargs=NO_FILES, potential=self.potential
        ).make(relax.output.structure)
        return [relax, static], static

    def entry_parameters(self, composition: Composition) -> dict:
        """Parameters stored on entries so MP2020 corrections apply as to MP's own data."""
        return mp_entry_parameters(composition)


@dataclass
class BatchedMLIPEngine(MLIPEngine):
    """MLIPEngine whose many-structure flows relax every structure of a job together.

    Orderings, doped cells, reference phases and campaign phases go through
    ``ssbscreen.workflows.batched.relax_structures`` (torch-sim for SevenNet, lock-step ASE
    FIRE with batched CHGNet calls for CHGNet), on the GPU when one is present.
    device: "cuda" or "cpu" (None: GPU when present). method: "auto", "lockstep" or
    "torch-sim". batch_size: structures per model call (lock-step; None: 32 on a GPU, 1 on
    the CPU). structures_per_job: structures relaxed by one job (jobs spread over workers).
    """

    name: str = "mlip-batched"
    device: str | None = None
    method: str = "auto"
    batch_size: int | None = None
    structures_per_job: int = 128

    def provenance(self) -> Provenance:
        """As MLIPEngine, plus the batched relaxation method (not the device)."""
        provenance = super().provenance()
        provenance.settings["relaxer"] = relax_method(self.potential, self.method)
        return provenance


MPI_LAUNCHERS = {"mpirun", "mpiexec", "srun", "aprun", "ibrun"}


# The seed study's VASP settings on top of Materials Project's GGA(+U) input sets (PBE PAW,
# MP POTCARs and Hubbard U, MP k-point densities): energies stay compatible with MP's own
# entries and take the MP2020 corrections (Wang et al., Sci. Rep. 11, 15496 (2021)).
STUDY_INCAR = {"ENCUT": 520, "EDIFF": 1e-5, "EDIFFG": -0.01}


class _CodeEngine:
    """What the DFT engines share: each calculation writes its files in a folder of its own,
    one flow per structure, and a command (``command``) runs the code."""

    runs_in_folders: ClassVar[bool] = True
    structures_per_job: ClassVar[int | None] = None
    command_setting: ClassVar[str]  # atomate2's setting of the command, e.g. "VASP_CMD"
    name: str

    @property
    def potential(self) -> str:
        """Key of this engine's reference sets (``references_<name>``)."""
        return self.name

    @property
    def command(self) -> str:
        """The command that runs the code: the engine's own (``vasp_cmd``, ``cp2k_cmd``: the
        setting's name in lower case), else atomate2's setting."""
        setting = self.command_setting
        return getattr(self, setting.lower()) or getattr(SETTINGS, setting)

    def check_runnable(self) -> None:
        """Raise ValueError naming atomate2's command setting when the command's program is
        not on PATH."""
        command, setting = self.command, self.command_setting
        words = shlex.split(os.path.expandvars(command)) or [command]
        programs = [words[0]]
        if Path(words[0]).name in MPI_LAUNCHERS and len(words) > 1:
            programs.append(words[-1])  # "mpirun -n 4 vasp_std": the code itself is the last word
        missing = [p for p in programs if shutil.which(p) is None]
        if missing:
            raise ValueError(
                f"The {self.name} engine runs `{command}` but {', '.join(missing)} is not on "
                f"PATH; set ATOMATE2_{setting} ({setting} in ~/.atomate2.yaml) to the command "
                f"that runs {self.name} on this machine."
            )


@dataclass
class VaspEngine(_CodeEngine):
    """Relax (cell and ions) then static with VASP at the seed study's settings.

    incar_settings: INCAR values applied over MPRelaxSet / MPStaticSet (default STUDY_INCAR:
    ENCUT 520 eV, EDIFF 1e-5 eV, EDIFFG -0.01 eV/Angstrom, i.e. forces below 0.01 eV/A).
    vasp_cmd: command that runs VASP; None uses atomate2's VASP_CMD setting.
    """

    incar_settings: dict = field(default_factory=lambda: dict(STUDY_INCAR))
    vasp_cmd: str | None = None
    name: str = "vasp"
    command_setting: ClassVar[str] = "VASP_CMD"

    def _run_kwargs(self) -> dict:
        return {"vasp_cmd": self.vasp_cmd} if self.vasp_cmd else {}

    def _maker(self, maker_class, input_set, name: str):
        """atomate2's ``maker_class`` on ``input_set`` (MP's k-points, Gamma-centred) with the
        study's INCAR settings."""
        generator = input_set(
            force_gamma=True,
            auto_metal_kpoints=True,
            inherit_incar=False,
            user_incar_settings=dict(self.incar_settings),
        )
        return maker_class(
            name=name, input_set_generator=generator, run_vasp_kwargs=self._run_kwargs()
        )

    def relax_maker(self, name: str = "relax") -> MPGGARelaxMaker:
        """atomate2's MP GGA(+U) relaxation (ISIF 3) with the study's INCAR settings."""
        return self._maker(MPGGARelaxMaker, MPRelaxSet, name)

    def static_maker(self, name: str = "static") -> MPGGAStaticMaker:
        """atomate2's MP GGA(+U) static calculation with the study's INCAR settings."""
        return self._maker(MPGGAStaticMaker, MPStaticSet, name)

    def neb_maker(self, relax_endpoints: bool = True) -> NebFromEndpointsMaker:
        """Climbing-image NEB (fixed cell) with the same settings as the relaxations.

        relax_endpoints: relax both end points (ions only, ISIF 2) before the band.
        Images with ``neb_maker().images_maker.make(images)``.
        """
        images = NebFromImagesMaker(
            name="NEB",
            input_set_generator=NebSetGenerator(
                config_dict=MPRelaxSet.CONFIG,
                user_incar_settings={**self.incar_settings, "PREC": "Accurate"},
            ),
        )
        images.run_vasp_kwargs.update(self._run_kwargs())
        endpoint = None
        if relax_endpoints:
            endpoint = self.relax_maker("NEB endpoint relax")
            endpoint.input_set_generator.user_incar_settings["ISIF"] = 2
        return NebFromEndpointsMaker(endpoint_relax_maker=endpoint, images_maker=images)

    def provenance(self) -> Provenance:
        """Engine, functional, POTCAR set and INCAR settings recorded with every result."""
        return Provenance(
            engine=self.name,
            model=MP_MODEL,
            model_version=f"PAW POTCARs {MPRelaxSet.CONFIG['POTCAR_FUNCTIONAL']} (MP)",
            energy_corrections="MP2020",
            settings={
                "input_sets": ["MPRelaxSet", "MPStaticSet"],
                "incar": dict(self.incar_settings),
                "kpoints_reciprocal_density": {
                    "relax": MPRelaxSet.CONFIG["KPOINTS"]["reciprocal_density"],
                    "static": MPStaticSet().reciprocal_density,
                },
            },
        )

    def check_elements(self, structure: Structure) -> None:
        """Raise ValueError naming any element without a Materials Project POTCAR."""
        potcars = MPRelaxSet.CONFIG["POTCAR"]
        missing = sorted({el.symbol for el in structure.composition} - set(potcars))
        if missing:
            raise ValueError(
                f"Materials Project's VASP settings have no POTCAR for {', '.join(missing)}; "
                "remove the phase or compute it with another engine."
            )

    def relax_and_static(self, structure: Structure, name: str) -> tuple[list[Job], Job]:
        """Jobs that relax ``structure`` and then compute its energy; returns (jobs, static)."""
        relax = self.relax_maker(f"{name} relax").make(structure)
        static = self.static_maker(f"{name} static").make(
            relax.output.structure, prev_dir=relax.output.dir_name
        )
        return [relax, static], static

    def entry_parameters(self, composition: Composition) -> dict:
        """Run type and Hubbard U as MPRelaxSet sets them, for the MP2020 corrections."""
        return mp_entry_parameters(composition)


def cp2k_data_dir() -> Path | None:
    """CP2K's basis-set and pseudopotential folder ($CP2K_DATA_DIR, else Debian's), or None."""
    for candidate in (os.environ.get("CP2K_DATA_DIR"), "/usr/share/cp2k"):
        if candidate and (Path(candidate) / "GTH_POTENTIALS").is_file():
            return Path(candidate)
    return None


@cache
def _cp2k_names(path: Path) -> dict[str, set[str]]:
    """Element -> names of the basis sets or potentials in a CP2K data file."""
    names: dict[str, set[str]] = {}
    for line in path.read_text(errors="replace").splitlines():
        words = line.split()
        if len(words) >= 2 and not line.lstrip().startswith("#") and words[0].isalpha():
            names.setdefault(words[0], set()).update(words[1:])
    return names


def _cleanup_dft(cls, dft: dict) -> dict:
    """atomate2's check (UKS strings -> UKS=True), for text values only."""
    if any(isinstance(v, str) and v.upper() == "UKS" for v in dft.values()):
        dft["UKS"] = True
    return dft


@cache
def _parse_numeric_cp2k_dft_values() -> None:
    """Let atomate2 0.1.5 parse CP2K outputs read by current pymatgen.

    atomate2's ``CalculationInput.cleanup_dft`` calls ``.upper()`` on every "DFT|" value, but
    pymatgen now reads multiplicity and charge as numbers (and HFX as a dict), so every CP2K
    task document fails with AttributeError, when parsed and when read back from the store.
    The same check for text values only replaces it; remove once atomate2 fixes it.
    """
    from atomate2.cp2k.schemas.calculation import Calculation, CalculationInput
    from atomate2.cp2k.schemas.task import TaskDocument

    validators = CalculationInput.__pydantic_decorators__.field_validators
    validators["cleanup_dft"].func = classmethod(_cleanup_dft).__get__(None, CalculationInput)
    for model in (CalculationInput, Calculation, TaskDocument):
        model.model_rebuild(force=True)


@dataclass
class Cp2kEngine(_CodeEngine):
    """Relax then static with CP2K (Gaussian and plane waves): PBE, GTH pseudopotentials.

    cutoff_ry, rel_cutoff_ry: plane-wave density cutoff and relative cutoff (Ry).
    kpoint_density: k-points per reciprocal Angstrom^3; None: Gamma point only (big cells).
    eps_default, eps_pgf_orb: CP2K's EPS_DEFAULT and EPS_PGF_ORB (integral accuracy).
    cp2k_cmd: command that runs CP2K; None uses atomate2's CP2K_CMD setting.
    Energies are never MP-compatible (other pseudopotentials than MP's): no MP2020 corrections.
    """

    basis: str = "DZVP-MOLOPT-SR-GTH"
    basis_file: str = "BASIS_MOLOPT"
    potential_file: str = "GTH_POTENTIALS"
    cutoff_ry: float = 500.0
    rel_cutoff_ry: float = 50.0
    kpoint_density: int | None = 64
    eps_default: float = 1e-12
    eps_pgf_orb: float = 1e-16
    spin_polarized: bool = True
    relax_cell: bool = True
    cp2k_cmd: str | None = None
    name: str = "cp2k"
    command_setting: ClassVar[str] = "CP2K_CMD"

    def provenance(self) -> Provenance:
        """Engine, functional, basis and grid settings recorded with every result."""
        return Provenance(
            engine=self.name,
            model=f"PBE/GTH/{self.basis}",
            model_version=f"CP2K with {self.basis_file} and {self.potential_file}",
            energy_corrections="none",
            settings={
                "cutoff_ry": self.cutoff_ry,
                "rel_cutoff_ry": self.rel_cutoff_ry,
                "kpoint_density": self.kpoint_density,
                "eps_default": self.eps_default,
                "eps_pgf_orb": self.eps_pgf_orb,
                "spin_polarized": self.spin_polarized,
                "relax_cell": self.relax_cell,
            },
        )

    def basis_and_potential(self, elements: list[str]) -> dict:
        """Basis set and GTH-PBE pseudopotential names per element, valences matched.

        ValueError names elements the CP2K data files lack; without the data files (a login
        node) the names are given unchecked and CP2K resolves them where it runs.
        """
        data_dir = cp2k_data_dir()
        chosen: dict = {
            "basis_filenames": [self.basis_file],
            "potential_filename": self.potential_file,
        }
        missing = []
        for el in sorted(elements):
            potential = "GTH-PBE"
            if data_dir is not None:
                basis_names = _cp2k_names(data_dir / self.basis_file).get(el, set())
                potentials = _cp2k_names(data_dir / self.potential_file).get(el, set())
                # "DZVP-MOLOPT-SR-GTH-q3" names the valence the pseudopotential must have
                valences = sorted(
                    n.rsplit("-q", 1)[1] for n in basis_names if n.startswith(f"{self.basis}-q")
                )
                matching = [v for v in valences if f"GTH-PBE-q{v}" in potentials]
                if self.basis not in basis_names or not matching:
                    missing.append(el)
                    continue
                potential = f"GTH-PBE-q{matching[0]}"
            chosen[el] = {"basis": self.basis, "potential": potential, "aux_basis": None}
        if missing:
            raise ValueError(
                f"CP2K's {self.basis_file} / {self.potential_file} have no {self.basis} basis "
                f"with a GTH-PBE pseudopotential for {', '.join(missing)}; choose another basis "
                "or engine."
            )
        return chosen

    def check_elements(self, structure: Structure) -> None:
        """Raise ValueError naming any element without the basis set and pseudopotential."""
        self.basis_and_potential([el.symbol for el in structure.composition])

    def input_set_generator(self, generator, structure: Structure):
        """atomate2 CP2K input generator (``generator``: its class, e.g. StaticSetGenerator of
        ``atomate2.cp2k.sets.core``) for ``structure``."""
        from atomate2.cp2k.sets.base import _BASE_CP2K_SET

        config = copy.deepcopy(_BASE_CP2K_SET)
        config["cp2k_input"]["basis_and_potential"] = self.basis_and_potential(
            [el.symbol for el in structure.composition]
        )
        config["KPOINTS"] = (
            None if self.kpoint_density is None else {"reciprocal_density": self.kpoint_density}
        )
        return generator(
            config_dict=config,
            user_input_settings={
                "xc_functionals": ["PBE"],
                "cutoff": self.cutoff_ry,
                "rel_cutoff": self.rel_cutoff_ry,
                "eps_default": self.eps_default,
                "eps_pgf_orb": self.eps_pgf_orb,
                "spin_polarized": self.spin_polarized,
            },
        )

    def relax_and_static(self, structure: Structure, name: str) -> tuple[list[Job], Job]:
        """Jobs that relax ``structure`` and then compute its energy; returns (jobs, static)."""
        from atomate2.cp2k.jobs.core import CellOptMaker, RelaxMaker, StaticMaker
        from atomate2.cp2k.sets import core as sets

        _parse_numeric_cp2k_dft_values()
        run = {"cp2k_cmd": self.cp2k_cmd} if self.cp2k_cmd else {}
        relax_class, relax_set = (
            (CellOptMaker, sets.CellOptSetGenerator)
            if self.relax_cell
            else (RelaxMaker, sets.RelaxSetGenerator)
        )
        relax = relax_class(
            name=f"{name} relax",
            input_set_generator=self.input_set_generator(relax_set, structure),
            run_cp2k_kwargs=run,
        ).make(structure)
        static = StaticMaker(
            name=f"{name} static",
            input_set_generator=self.input_set_generator(sets.StaticSetGenerator, structure),
            run_cp2k_kwargs=run,
        ).make(relax.output.structure, prev_dir=relax.output.dir_name)
        return [relax, static], static

    def entry_parameters(self, composition: Composition) -> dict:
        """Plain GGA (no Hubbard U) parameters."""
        return {"run_type": "GGA", "is_hubbard": False, "hubbards": {}}


ENGINES = {
    "mlip": MLIPEngine,
    "mlip-batched": BatchedMLIPEngine,
    "vasp": VaspEngine,
    "cp2k": Cp2kEngine,
}
MLIP_ENGINES = ("mlip", "mlip-batched")


def engine_from_name(name: str, model: str = DEFAULT_POTENTIAL, **settings):
    """The engine called ``name`` (see ENGINES); model: the MLIP's potential."""
    key = name.lower()
    if key not in ENGINES:
        raise ValueError(f"Unknown engine {name!r}; choose one of {', '.join(ENGINES)}.")
    if key in MLIP_ENGINES:
        get_potential(model)
        return ENGINES[key](potential=model.lower(), **settings)
    return ENGINES[key](**settings)


def mlip_engine_from_settings(settings: dict) -> MLIPEngine:
    """An MLIP engine rebuilt from ``dataclasses.asdict`` of one (its ``name`` says which)."""
    return ENGINES[settings.get("name", "mlip")](**settings)
