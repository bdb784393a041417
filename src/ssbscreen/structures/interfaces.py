"""Coherent (lattice-matched) interfaces of a film on a substrate.

pymatgen's ``CoherentInterfaceBuilder`` finds the Zur-McGill super-lattice matches of the two
surfaces (Zur & McGill, J. Appl. Phys. 55, 378 (1984)) and stacks a film slab on a substrate slab
for every pair of terminations. Here each distinct termination pair keeps its smallest match
within the strain and size limits, with stoichiometric film and substrate parts, and the film
is slid in plane to the registry of lowest point-charge energy (pymatgen stacks it at zero
offset, often like ion on like ion).

Lengths in Angstrom, areas in Angstrom^2, strains in percent.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import product

import numpy as np
from pymatgen.analysis.elasticity.strain import Deformation, Strain
from pymatgen.analysis.interfaces.coherent_interfaces import CoherentInterfaceBuilder
from pymatgen.analysis.interfaces.zsl import ZSLGenerator, ZSLMatch, vec_area
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure
from pymatgen.core.interface import Interface
from scipy.special import erfc

Miller = tuple[int, int, int]

REGISTRY_COARSE_A = 1.0  # spacing of the first grid of in-plane film offsets (Angstrom)
REGISTRY_STEP_A = 0.25  # spacing of the finer grids around its lowest points (Angstrom)
REGISTRY_CUTOFF_A = 10.0  # cross-interface ion pairs counted in the registry energy (Angstrom)
REGISTRY_DEPTH_A = 4.0  # ions this close to the interface plane count (Angstrom)
WOLF_DAMPING_PER_A = 0.3  # damping of the Wolf-summed Coulomb energy (1/Angstrom)
COULOMB_EV_A = 14.399645  # e^2 / (4 pi eps0) in eV Angstrom


@dataclass(frozen=True)
class InterfaceLimits:
    """Lattice-match and size limits of a coherent interface cell.

    max_strain_percent: largest principal strain of the film on the substrate (%).
    max_area_a2: largest super-lattice area searched (Angstrom^2).
    max_atoms: most atoms in the interface cell.
    film_thickness, substrate_thickness: least slab thickness (Angstrom), in whole repeats of
        the primitive cell along the normal; with ``in_layers``, in hkl planes instead.
    gap_a: starting distance between film and substrate (Angstrom).
    vacuum_a: vacuum over the film, which also separates it from the substrate's bottom (Angstrom).
    """

    max_strain_percent: float = 5.0
    max_area_a2: float = 150.0
    max_atoms: int = 200
    film_thickness: float = 6.0
    substrate_thickness: float = 6.0
    in_layers: bool = False
    gap_a: float = 2.0
    vacuum_a: float = 15.0


@dataclass(frozen=True)
class InterfaceCandidate:
    """One interface cell: a termination pair with its smallest lattice match.

    strain_percent: largest principal (Green-Lagrange) strain of the film (%).
    von_mises_strain_percent: von Mises equivalent of that strain (%).
    area_a2: in-plane area of the cell (Angstrom^2).
    """

    interface: Interface
    film_termination: str
    substrate_termination: str
    strain_percent: float
    von_mises_strain_percent: float
    area_a2: float

    @property
    def n_atoms(self) -> int:
        """Atoms in the interface cell."""
        return len(self.interface)

    @property
    def film_slab(self) -> Structure:
        """The film alone, strained, in the interface cell (for the work of adhesion)."""
        return Structure.from_sites(self.interface.film_sites)

    @property
    def substrate_slab(self) -> Structure:
        """The substrate alone in the interface cell (for the work of adhesion)."""
        return Structure.from_sites(self.interface.substrate_sites)


def miller_index(miller, role: str) -> Miller:
    """``miller`` as a tuple of 3 integers, not all zero; ValueError naming ``role`` otherwise."""
    try:
        values = [int(v) for v in miller]
        valid = len(values) == 3 and any(values) and values == [float(v) for v in miller]
    except (TypeError, ValueError):
        valid = False
    valid = valid and not isinstance(miller, str)
    if not valid:
        raise ValueError(
            f"The {role} Miller index {miller!r} is not 3 integers, not all zero; "
            "give it as e.g. (0, 0, 1)."
        )
    return tuple(values)


def miller_in_cell(miller: Miller, parent: Lattice, cell: Lattice) -> Miller:
    """The Miller index in ``cell`` of the plane ``miller`` of ``parent`` (same orientation).

    ``cell`` is a supercell (or primitive cell) of ``parent``: with rows a_cell = M a_parent,
    h_cell = M h_parent, scaled to the smallest integers.
    """
    exact = cell.matrix @ np.linalg.inv(parent.matrix) @ np.array(miller)
    values = [Fraction(float(x)).limit_denominator(24) for x in exact]
    if not np.allclose(exact, [float(v) for v in values], atol=1e-3):
        raise ValueError(
            "The two cells are not supercells of one lattice in one orientation; "
            "give the Miller index in the cell that is used."
        )
    scale = math.lcm(*(v.denominator for v in values))
    integers = [int(v * scale) for v in values]
    divisor = math.gcd(*integers)
    return tuple(i // divisor for i in integers)


def zsl_generator(limits: InterfaceLimits) -> ZSLGenerator:
    """Zur-McGill lattice matcher with length and angle tolerances from the strain limit."""
    tol = limits.max_strain_percent / 100
    return ZSLGenerator(
        max_area_ratio_tol=2 * tol,
        max_area=limits.max_area_a2,
        max_length_tol=tol,
        max_angle_tol=tol,
        bidirectional=True,
    )


def strain_percent(strain: Strain) -> tuple[float, float]:
    """(largest principal, von Mises) value of a Green-Lagrange strain tensor (%)."""
    principal = float(np.max(np.abs(np.linalg.eigvalsh(np.asarray(strain)))))
    return 100 * principal, 100 * float(strain.von_mises_strain)


def _distinct_matches(matches: list[ZSLMatch], max_strain_percent: float) -> list[ZSLMatch]:
    """Matches within the strain limit, one per (film area, substrate area, strain), by size."""
    kept = {}
    for match in matches:
        strain, _ = strain_percent(Deformation(match.match_transformation).green_lagrange_strain)
        if strain > max_strain_percent:
            continue
        film_area = match.match_area
        substrate_area = vec_area(*match.substrate_sl_vectors)
        kept.setdefault((round(film_area, 2), round(substrate_area, 2), round(strain, 3)), match)
    return [kept[k] for k in sorted(kept)]


def _smallest_interface(
    builder: CoherentInterfaceBuilder,
    termination: tuple[str, str],
    limits: InterfaceLimits,
    formulas: tuple[str, str],
) -> InterfaceCandidate | None:
    """Fewest-atom (then least-strained) stoichiometric interface of one termination pair."""
    best = None
    interfaces = builder.get_interfaces(
        termination,
        gap=limits.gap_a,
        vacuum_over_film=limits.vacuum_a,
        film_thickness=limits.film_thickness,
        substrate_thickness=limits.substrate_thickness,
        in_layers=limits.in_layers,
    )
    # matches come by increasing film area, so the film part only grows: once it alone has as
    # many atoms as the limit (or as the best so far), no later match can do better
    for interface in interfaces:
        if len(interface.film_indices) >= (best.n_atoms if best else limits.max_atoms):
            break
        parts = (interface.film.reduced_formula, interface.substrate.reduced_formula)
        if len(interface) > limits.max_atoms or parts != formulas:
            continue
        candidate = _candidate(interface, termination)
        if best is None or (candidate.n_atoms, candidate.strain_percent) < (
            best.n_atoms,
            best.strain_percent,
        ):
            best = candidate
    return best


def _candidate(interface: Interface, termination: tuple[str, str]) -> InterfaceCandidate:
    principal, von_mises = strain_percent(interface.interface_properties["strain"])
    return InterfaceCandidate(
        interface=interface,
        film_termination=termination[0],
        substrate_termination=termination[1],
        strain_percent=principal,
        von_mises_strain_percent=von_mises,
        area_a2=float(np.linalg.norm(np.cross(*interface.lattice.matrix[:2]))),
    )


def formal_charges(structure: Structure) -> dict[str, float]:
    """Element -> oxidation state of pymatgen's most likely guess (e); empty if none."""
    guesses = structure.composition.oxi_state_guesses(max_sites=-1)
    return dict(guesses[0]) if guesses else {}


def registry_energy_ev(
    interface: Interface, charges: dict[str, dict[str, float]], offsets_a: np.ndarray
) -> np.ndarray:
    """Coulomb energy (eV) of the film-substrate ion pairs, per in-plane offset of the film.

    Damped, shifted pair sum within REGISTRY_CUTOFF_A (Wolf et al., J. Chem. Phys. 110, 8254
    (1999)) over the ions within REGISTRY_DEPTH_A of the interface: only cross-interface pairs
    change with the offset, and their lateral variation decays fast away from it. charges:
    {"film": ..., "substrate": ...} element -> charge (e); offsets_a: (n, 2) shifts (Angstrom).
    """
    labels = np.array(interface.site_properties["interface_label"])
    z = interface.cart_coords[:, 2]
    film = (labels == "film") & (z < z[labels == "film"].min() + REGISTRY_DEPTH_A)
    substrate = (labels == "substrate") & (z > z[labels == "substrate"].max() - REGISTRY_DEPTH_A)
    q = np.array(
        [
            charges[lab].get(site.specie.symbol, 0.0)
            for site, lab in zip(interface, labels, strict=True)
        ]
    )
    a, b = interface.lattice.matrix[:2]
    area = np.linalg.norm(np.cross(a, b))  # in-plane widths: area / length of the other edge
    reach_a, reach_b = (
        math.ceil(REGISTRY_CUTOFF_A / (area / np.linalg.norm(v))) + 1 for v in (b, a)
    )
    images = np.array(
        [
            i * a + j * b
            for i, j in product(range(-reach_a, reach_a + 1), range(-reach_b, reach_b + 1))
        ]
    )
    coords = interface.cart_coords
    pairs = coords[film][:, None, None, :] - coords[substrate][None, :, None, :] - images
    dx, dy, dz = pairs.reshape(-1, 3).T
    products = np.repeat(np.outer(q[film], q[substrate]).ravel(), len(images))
    shift_ev = erfc(WOLF_DAMPING_PER_A * REGISTRY_CUTOFF_A) / REGISTRY_CUTOFF_A
    energies = []
    for sx, sy in offsets_a:
        r2 = (dx + sx) ** 2 + (dy + sy) ** 2 + dz**2
        near = r2 < REGISTRY_CUTOFF_A**2
        r = np.sqrt(np.maximum(r2[near], 0.25))
        energies.append(np.sum(products[near] * (erfc(WOLF_DAMPING_PER_A * r) / r - shift_ev)))
    return COULOMB_EV_A * np.array(energies)


def electrostatic_registry(interface: Interface, charges: dict[str, dict[str, float]]) -> Interface:
    """Copy with the film shifted in plane to the lowest cross-interface point-charge energy.

    Starting like-on-like ions (pymatgen stacks at zero offset) stall a relaxation far from
    contact. A REGISTRY_COARSE_A grid over the cell is searched, then REGISTRY_STEP_A grids
    around its three lowest points. charges as in registry_energy_ev.
    """
    in_plane = interface.lattice.matrix[:2, :2]
    n_a, n_b = (
        max(1, math.ceil(length / REGISTRY_COARSE_A)) for length in interface.lattice.abc[:2]
    )
    coarse = np.array(list(product(np.arange(n_a) / n_a, np.arange(n_b) / n_b)))
    energies = registry_energy_ev(interface, charges, coarse @ in_plane)
    k_a, k_b = (math.ceil(REGISTRY_COARSE_A / REGISTRY_STEP_A) for _ in range(2))
    steps = np.array(list(product(np.arange(-k_a, k_a + 1), np.arange(-k_b, k_b + 1))))
    fine = np.concatenate(
        [coarse[i] + steps / [k_a * n_a, k_b * n_b] for i in np.argsort(energies)[:3]]
    )
    fine_energies = registry_energy_ev(interface, charges, fine @ in_plane)
    shifted = interface.copy()
    shifted.in_plane_offset = fine[int(np.argmin(fine_energies))] % 1.0
    return shifted


def _distinct(candidates: list[InterfaceCandidate]) -> list[InterfaceCandidate]:
    """Candidates without structural duplicates (pymatgen StructureMatcher, no rescaling)."""
    matcher = StructureMatcher(primitive_cell=False, scale=False, attempt_supercell=False)
    kept: list[InterfaceCandidate] = []
    reduced: list[Structure] = []  # Niggli-reduced once: the matcher's own cache is slow here
    for candidate in candidates:
        structure = Structure.from_sites(candidate.interface).get_reduced_structure()
        if not any(matcher.fit(structure, r, skip_structure_reduction=True) for r in reduced):
            kept.append(candidate)
            reduced.append(structure)
    return kept


def _plane(label: str) -> str:
    """Terminating plane of a pymatgen termination label ("1_Li_R-3m_1" -> "Li")."""
    return label.split("_")[1]


def chosen_terminations(
    offered: list[tuple[str, str]], wanted: list[tuple[str, str]] | None, pair: str
) -> list[tuple[str, str]]:
    """The offered (film, substrate) termination labels that ``wanted`` names (all if None)."""
    if not wanted:
        return list(offered)
    chosen = [
        (film, substrate)
        for film, substrate in offered
        if any(f in (film, _plane(film)) and s in (substrate, _plane(substrate)) for f, s in wanted)
    ]
    if not chosen:
        planes = sorted({(_plane(f), _plane(s)) for f, s in offered})
        raise ValueError(
            f"No termination pair {[tuple(w) for w in wanted]} of {pair}; the (film, substrate) "
            f"planes on offer are {planes}: choose among them."
        )
    return chosen


def coherent_interfaces(
    substrate: Structure,
    film: Structure,
    substrate_miller: Miller,
    film_miller: Miller,
    limits: InterfaceLimits | None = None,
    names: tuple[str, str] | None = None,
    terminations: list[tuple[str, str]] | None = None,
) -> list[InterfaceCandidate]:
    """Distinct coherent interfaces of ``film`` on ``substrate``, fewest atoms first.

    Miller indices refer to the given cells; slabs are cut from their primitive cells, so the
    thickness comes in primitive repeats along the normal. One candidate per distinct
    termination pair: its fewest-atom, then least-strained, match within the limits whose film
    and substrate parts keep the bulk compositions, with the film shifted in plane to the
    lowest point-charge energy (electrostatic_registry). ValueError when none fits; ``names``
    (film, substrate), e.g. ``("Li3InCl6 (0, 0, 1)", "NCA (0, 0, 3)")``, name them in it.
    terminations: only these (film, substrate) termination pairs, each named by its terminating
    plane as pymatgen labels it (e.g. ``("Li", "O2")``) or by its whole label
    (``"1_Li_R-3m_1"``); ValueError listing the planes on offer when none is there.
    """
    limits = limits or InterfaceLimits()
    substrate_miller = miller_index(substrate_miller, "substrate")
    film_miller = miller_index(film_miller, "film")
    sub_cell, film_cell = substrate.get_primitive_structure(), film.get_primitive_structure()
    builder = CoherentInterfaceBuilder(
        substrate_structure=sub_cell,
        film_structure=film_cell,
        film_miller=miller_in_cell(film_miller, film.lattice, film_cell.lattice),
        substrate_miller=miller_in_cell(substrate_miller, substrate.lattice, sub_cell.lattice),
        zslgen=zsl_generator(limits),
        label_index=True,  # keep every termination: duplicates are dropped by structure
        filter_out_sym_slabs=False,
    )
    builder.zsl_matches = _distinct_matches(builder.zsl_matches, limits.max_strain_percent)
    film_name, substrate_name = names or (
        f"{film.composition.reduced_formula} {film_miller}",
        f"{substrate.composition.reduced_formula} {substrate_miller}",
    )
    pair = f"{film_name} on {substrate_name}"
    if not builder.zsl_matches:
        raise ValueError(
            f"No lattice match of {pair} within {limits.max_strain_percent}% strain and "
            f"{limits.max_area_a2} A^2; raise max_strain_percent or max_area_a2, or choose "
            "other Miller indices."
        )
    formulas = (film.composition.reduced_formula, substrate.composition.reduced_formula)
    found = [
        candidate
        for termination in chosen_terminations(builder.terminations, terminations, pair)
        if (candidate := _smallest_interface(builder, termination, limits, formulas)) is not None
    ]
    if not found:
        raise ValueError(
            f"No stoichiometric interface cell of {pair} has at most {limits.max_atoms} atoms; "
            "raise max_atoms or use thinner slabs."
        )
    charges = {"film": formal_charges(film), "substrate": formal_charges(substrate)}
    if all(charges.values()):
        found = [replace(c, interface=electrostatic_registry(c.interface, charges)) for c in found]
    else:
        warnings.warn(
            f"No oxidation states could be guessed for {pair}; the film keeps pymatgen's zero "
            "in-plane offset.",
            stacklevel=2,
        )
    found.sort(key=lambda c: (c.n_atoms, c.strain_percent))
    return _distinct(found)
