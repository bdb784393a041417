"""NEB end points and initial paths: symmetry-distinct vacancy and interstitial hops of an ion.

Vacancy mechanism: one ion of the species is removed and a neighbour of the same species moves
into the hole. Interstitial mechanism: the ion moves from its site into an empty site of the
anion framework (octahedral or tetrahedral holes, found as Voronoi vertices of the anions), either
directly or through an empty intermediate site (e.g. Oct-Tet-Oct through shared faces).
Images come from IDPP (pymatgen-analysis-diffusion's ``IDPPSolver``), one segment per step.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pymatgen.analysis.diffusion.neb.pathfinder import IDPPSolver
from pymatgen.core import Element, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
from scipy.spatial import Voronoi

FRAC_TOL = 1e-3  # tolerance (fractional) when matching symmetry images of hop end points
MIN_IMAGE_DISTANCE_A = 1.0  # default closest approach (Angstrom) allowed in any image


@dataclass(frozen=True)
class EmptySite:
    """A hole of the anion framework that no atom occupies (fractional coordinates)."""

    frac_coords: tuple[float, float, float]
    coordination: int  # anions at the nearest-anion distance (6: octahedral, 4: tetrahedral)

    @property
    def label(self) -> str:
        """'Oct', 'Tet' or 'N-fold'."""
        return {6: "Oct", 4: "Tet"}.get(self.coordination, f"{self.coordination}-fold")


@dataclass(frozen=True)
class Hop:
    """One migration event of ``ion`` in a host cell.

    moving_index: index (in the host cell) of the ion that moves.
    path_frac: fractional positions the ion passes through, start first, end last; the end
        may lie outside [0, 1) (the periodic image the ion moves into).
    vacancy_index: host index of the removed ion (vacancy mechanism), else None.
    length_a: straight start-end distance (Angstrom).
    multiplicity: number of symmetry-equivalent copies of this hop in the cell.
    equivalent_paths: start and end (fractional) of every equivalent copy, for networks.
    """

    ion: str
    mechanism: Literal["vacancy", "interstitial"]
    moving_index: int
    path_frac: tuple[tuple[float, float, float], ...]
    site_labels: tuple[str, ...]
    length_a: float
    vacancy_index: int | None = None
    multiplicity: int = 1
    equivalent_paths: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = field(
        default=(), compare=False
    )

    @property
    def path_label(self) -> str:
        """Site kinds along the path, e.g. 'Li 6g-Li 6h' or 'Oct-Tet-Oct'."""
        return "-".join(self.site_labels)


def site_labels(structure: Structure, symprec: float = 0.1) -> list[str]:
    """'<element> <Wyckoff symbol>' of every site, e.g. 'Li 6g'.

    Sites that carry the parent Wyckoff label of an ordered or doped cell (site.label, as the
    library and doping functions set it) keep it; otherwise the cell's own symmetry names it.
    """
    wyckoff = [re.fullmatch(r"(\d+[a-z])(_\d+)?", site.label or "") for site in structure]
    if all(wyckoff):  # supercells append _1, _2, ... to the parent label
        return [f"{s.specie.symbol} {m.group(1)}" for s, m in zip(structure, wyckoff, strict=True)]
    symmetrized = SpacegroupAnalyzer(structure, symprec=symprec).get_symmetrized_structure()
    labels = [""] * len(structure)
    for indices, wyckoff in zip(
        symmetrized.equivalent_indices, symmetrized.wyckoff_symbols, strict=True
    ):
        for index in indices:
            labels[index] = f"{structure[index].specie.symbol} {wyckoff}"
    return labels


def _check_ion(structure: Structure, ion: str) -> None:
    symbols = {el.symbol for el in structure.composition}
    if Element(ion).symbol not in symbols:
        raise ValueError(
            f"The ion {ion!r} is not in the cell {structure.composition.reduced_formula}; "
            f"choose one of {', '.join(sorted(symbols))}."
        )


def _same_path(images: np.ndarray, path: np.ndarray) -> bool:
    """True if some image (or its reverse) equals ``path`` up to one lattice translation."""
    for candidate in (images, images[:, ::-1]):
        shift = candidate - path[None]
        whole = np.round(shift[:, :1])
        if np.any(np.all(np.abs(shift - whole) < FRAC_TOL, axis=(1, 2))):
            return True
    return False


def _distinct(
    candidates: list[tuple[np.ndarray, dict]], structure: Structure, symprec: float
) -> list[tuple[np.ndarray, dict, list[np.ndarray]]]:
    """Group candidate paths into symmetry classes: (representative, info, all members)."""
    ops = SpacegroupAnalyzer(structure, symprec=symprec).get_symmetry_operations(cartesian=False)
    rotations = np.array([op.rotation_matrix for op in ops])
    translations = np.array([op.translation_vector for op in ops])
    classes: list[tuple[np.ndarray, dict, list[np.ndarray]]] = []
    for path, info in candidates:
        # every symmetry image of the path: (n_ops, n_points, 3)
        images = np.einsum("oij,pj->opi", rotations, path) + translations[:, None, :]
        for representative, _, members in classes:
            if len(representative) == len(path) and _same_path(images, representative):
                members.append(path)
                break
        else:
            classes.append((path, info, [path]))
    return classes


def _hop(ion, mechanism, structure, path, info, members, labels) -> Hop:
    cart = structure.lattice.get_cartesian_coords(path)
    return Hop(
        ion=ion,
        mechanism=mechanism,
        moving_index=info["moving_index"],
        path_frac=tuple(tuple(round(float(x), 6) for x in point) for point in path),
        site_labels=tuple(labels),
        length_a=round(float(np.linalg.norm(cart[-1] - cart[0])), 4),
        vacancy_index=info.get("vacancy_index"),
        multiplicity=len(members),
        equivalent_paths=tuple(
            (tuple(float(x) for x in m[0]), tuple(float(x) for x in m[-1])) for m in members
        ),
    )


def vacancy_hops(
    structure: Structure, ion: str, max_length_a: float = 4.5, symprec: float = 0.1
) -> list[Hop]:
    """Symmetry-distinct hops of ``ion`` into a vacancy on a neighbouring site of its own kind.

    max_length_a: longest hop (Angstrom) considered. Sorted by hop length.
    """
    _check_ion(structure, ion)
    labels = site_labels(structure, symprec)
    indices = [i for i, site in enumerate(structure) if site.specie.symbol == Element(ion).symbol]
    candidates = []
    for i in indices:
        for neighbor in structure.get_neighbors(structure[i], max_length_a):
            if structure[neighbor.index].specie.symbol != structure[i].specie.symbol:
                continue
            if (neighbor.index, tuple(neighbor.image)) < (i, (0, 0, 0)):
                continue  # the same hop seen from its other end
            # the ion at ``neighbor`` moves into the vacancy left at i
            start = structure[neighbor.index].frac_coords
            end = start + (structure[i].frac_coords - neighbor.frac_coords)
            info = {
                "moving_index": neighbor.index,
                "vacancy_index": i,
                "labels": (labels[neighbor.index], labels[i]),
            }
            candidates.append((np.array([start, end]), info))
    if not candidates:
        raise ValueError(
            f"No {ion} neighbours of {ion} lie within {max_length_a} A in "
            f"{structure.composition.reduced_formula}; raise max_length_a."
        )
    hops = [
        _hop(ion, "vacancy", structure, path, info, members, info["labels"])
        for path, info, members in _distinct(candidates, structure, symprec)
    ]
    return sorted(hops, key=lambda hop: (hop.length_a, hop.path_label))


def empty_sites(
    structure: Structure,
    anions: tuple[str, ...] | None = None,
    occupied_within_a: float = 1.2,
    merge_within_a: float = 0.5,
) -> list[EmptySite]:
    """Empty octahedral/tetrahedral holes of the anion framework (Voronoi vertices of anions).

    anions: framework species (default: the most electronegative element).
    occupied_within_a: a hole closer than this (Angstrom) to any cation is occupied.
    merge_within_a: vertices closer than this are one hole (distorted frameworks split them).
    """
    if anions is None:
        anions = (max(structure.composition, key=lambda el: el.X).symbol,)
    anion_frac = np.array([s.frac_coords for s in structure if s.specie.symbol in anions])
    shifts = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    cloud = (anion_frac[None] + shifts[:, None]).reshape(-1, 3)
    vertices = Voronoi(structure.lattice.get_cartesian_coords(cloud)).vertices
    frac = structure.lattice.get_fractional_coords(vertices)
    frac = frac[np.all((frac >= -1e-6) & (frac < 1 - 1e-6), axis=1)] % 1.0
    holes: list[np.ndarray] = []
    for point in frac:
        if holes and structure.lattice.get_all_distances([point], holes).min() < merge_within_a:
            continue
        holes.append(point)
    if not holes:
        return []
    cations = [s.frac_coords for s in structure if s.specie.symbol not in anions]
    anion_distances = structure.lattice.get_all_distances(holes, anion_frac)
    cation_distances = (
        structure.lattice.get_all_distances(holes, cations)
        if cations
        else np.full((len(holes), 1), np.inf)
    )
    sites = []
    for hole, to_anions, to_cations in zip(holes, anion_distances, cation_distances, strict=True):
        if to_cations.min() < occupied_within_a:
            continue
        coordination = int(np.sum(to_anions < 1.15 * to_anions.min()))
        sites.append(EmptySite(tuple(round(float(x), 6) for x in hole), coordination))
    return sites


def interstitial_hops(
    structure: Structure,
    ion: str,
    max_step_a: float = 3.0,
    max_length_a: float = 4.5,
    anions: tuple[str, ...] | None = None,
    symprec: float = 0.1,
) -> list[Hop]:
    """Symmetry-distinct hops of ``ion`` from its site into an empty hole of the framework.

    Direct hops (site -> hole within max_length_a) and two-step hops through an empty hole
    (site -> hole -> hole, each step within max_step_a, end within max_length_a of the start).
    The ion's own site is labelled by its anion coordination, like the holes.
    """
    _check_ion(structure, ion)
    holes = empty_sites(structure, anions)
    if not holes:
        raise ValueError(
            f"{structure.composition.reduced_formula} has no empty holes in its anion "
            "framework; use the vacancy mechanism."
        )
    hole_frac = np.array([h.frac_coords for h in holes])
    framework = anions or (max(structure.composition, key=lambda el: el.X).symbol,)
    anion_frac = np.array([s.frac_coords for s in structure if s.specie.symbol in framework])
    candidates = []
    for i, site in enumerate(structure):
        if site.specie.symbol != Element(ion).symbol:
            continue
        to_anions = structure.lattice.get_all_distances([site.frac_coords], anion_frac)[0]
        own = EmptySite((0, 0, 0), int(np.sum(to_anions < 1.15 * to_anions.min()))).label
        for first, point in _steps(structure, site.frac_coords, hole_frac, max_length_a):
            candidates.append((np.array([site.frac_coords, point]), (i, own, [first])))
        for first, point in _steps(structure, site.frac_coords, hole_frac, max_step_a):
            for second, end in _steps(structure, point, hole_frac, max_step_a):
                cart = structure.lattice.get_cartesian_coords([site.frac_coords, end])
                if holes[second].label != own or np.linalg.norm(cart[1] - cart[0]) > max_length_a:
                    continue  # two steps lead to a hole like the ion's own site (Oct-Tet-Oct)
                if np.linalg.norm(cart[1] - cart[0]) < 0.5:  # back to where it started
                    continue
                path = np.array([site.frac_coords, point, end])
                candidates.append((path, (i, own, [first, second])))
    hops = []
    for path, (index, own, visited), members in _distinct(candidates, structure, symprec):
        labels = [own, *(holes[h].label for h in visited)]
        hops.append(
            _hop(ion, "interstitial", structure, path, {"moving_index": index}, members, labels)
        )
    return sorted(hops, key=lambda hop: (len(hop.path_frac), hop.length_a, hop.path_label))


def _steps(structure: Structure, start: np.ndarray, holes: np.ndarray, max_step_a: float):
    """(hole index, unwrapped fractional position) of holes within max_step_a of ``start``."""
    found = [structure.lattice.get_distance_and_image(start, hole) for hole in holes]
    order = np.argsort([distance for distance, _ in found])
    return [(h, holes[h] + found[h][1]) for h in order if 0.3 < found[h][0] <= max_step_a]


def end_points(structure: Structure, hop: Hop, background_charge: bool = False) -> list[Structure]:
    """Cells with the moving ion at each point of the hop's path (start, [via], end).

    Vacancy hops remove the vacancy ion first. Every cell has the same sites in the same order.
    background_charge: give the cell the charge of the removed ion's vacancy (minus its
    oxidation state), for codes that add a compensating background; MLIPs ignore it.
    """
    cell = structure.copy()
    moving = moving_index(hop)
    charge = float(structure.charge)  # a bare framework's (see bare_framework)
    if hop.vacancy_index is not None:
        removed = cell[hop.vacancy_index]
        oxidation = getattr(removed.specie, "oxi_state", None) or _common_oxidation(removed)
        charge -= float(oxidation) if background_charge else 0.0
        cell.remove_sites([hop.vacancy_index])
    cells = []
    for point in hop.path_frac:
        image = cell.copy()
        image.replace(
            moving,
            image[moving].species,
            coords=np.array(point),
            coords_are_cartesian=False,
            properties=image[moving].properties,
        )
        cells.append(Structure.from_sites(image.sites, charge=charge))
    return cells


def bare_framework(
    structure: Structure, hop: Hop, anions: tuple[str, ...] | None = None
) -> tuple[Structure, Hop]:
    """The hop's ion alone in the anion framework of ``structure`` (every other cation removed)
    and the hop in that cell; the cell carries the charge of the ion and the anions (common
    oxidation states), which periodic DFT codes neutralise with a uniform background. The
    anions are held fixed (``selective_dynamics``: ASE constraints, VASP's POSCAR flags): freed
    of their cations they would not keep the host's shape.

    anions: framework species (default: the most electronegative element).
    """
    if hop.vacancy_index is not None:
        raise ValueError(
            f"The bare framework keeps one {hop.ion} ion, so a vacancy hop cannot run in it; "
            "use mechanism: interstitial with framework: bare."
        )
    anions = anions or (max(structure.composition, key=lambda el: el.X).symbol,)
    keep = [
        i
        for i, site in enumerate(structure)
        if i == hop.moving_index or site.specie.symbol in anions
    ]
    charge = sum(
        min(structure[i].specie.common_oxidation_states)
        if structure[i].specie.symbol in anions
        else _common_oxidation(structure[i])
        for i in keep
    )
    cell = Structure(
        structure.lattice,
        [structure[i].species for i in keep],
        [structure[i].frac_coords for i in keep],
        charge=float(charge),
        site_properties={"selective_dynamics": [[i == hop.moving_index] * 3 for i in keep]},
    )
    return cell, dataclasses.replace(hop, moving_index=keep.index(hop.moving_index))


def _common_oxidation(site) -> int:
    states = site.specie.common_oxidation_states
    return states[0] if states else 0


def moving_index(hop: Hop) -> int:
    """Index of the moving ion in the end-point cells of ``hop``."""
    shift = hop.vacancy_index is not None and hop.vacancy_index < hop.moving_index
    return hop.moving_index - int(shift)


def idpp_band(
    points: list[Structure], n_images: int, min_distance_a: float = MIN_IMAGE_DISTANCE_A
) -> list[Structure]:
    """IDPP band through ``points`` (end points and any via points), n_images per segment.

    Raises ValueError when two atoms of an image come closer than min_distance_a.
    """
    if len({p.composition.formula for p in points}) != 1:
        raise ValueError(
            "The end points have different compositions "
            f"({', '.join(sorted({p.composition.formula for p in points}))}); "
            "a NEB needs the same atoms in every image."
        )
    band: list[Structure] = [points[0]]
    for start, end in itertools.pairwise(points):
        segment = IDPPSolver.from_endpoints([start, end], n_images, sort_tol=0).run()
        band += segment[1:]
    for k, image in enumerate(band):
        distances = image.distance_matrix + np.eye(len(image)) * 1e3
        closest = float(distances.min())
        if closest < min_distance_a:
            raise ValueError(
                f"Image {k} of the band has two atoms {closest:.2f} A apart (less than "
                f"{min_distance_a} A); choose another hop or more images."
            )
    return band


@dataclass(frozen=True)
class HopSelection:
    """Which hops of which cell a campaign computes.

    host: library phase (its ordered, Ewald-lowest cell) or a structure file.
    supercell: multiples of that cell (a NEB cell should be >= ~8 A across).
    substitution: dope the cell first (e.g. '3Li->In'), lowest-Ewald doped cell.
    paths: keep only these path labels (e.g. ['Oct-Tet-Oct']); None keeps all.
    max_hops: the shortest (path label, length) groups kept (per path label when ``paths`` is
        given), each with every symmetry-distinct hop in it.
    framework: "host" (the hop in the whole cell) or "bare" (the ion alone in the host's
        anion framework, charged; see ``bare_framework``): interstitial hops only.
    """

    host: str
    ion: str
    mechanism: Literal["vacancy", "interstitial"] = "vacancy"
    supercell: tuple[int, int, int] = (1, 1, 1)
    substitution: str | None = None
    paths: tuple[str, ...] | None = None
    max_hops: int = 3
    max_length_a: float = 4.5
    framework: Literal["host", "bare"] = "host"

    def __post_init__(self):
        if self.framework not in ("host", "bare"):
            raise ValueError(
                f"framework {self.framework!r} of the {self.ion} hops in {self.host} is "
                "unknown; choose host or bare."
            )
        if self.framework == "bare" and self.mechanism != "interstitial":
            raise ValueError(
                f"framework: bare keeps one {self.ion} ion in {self.host}, so it needs "
                "mechanism: interstitial; set it or use framework: host."
            )

    @property
    def name(self) -> str:
        """Host name as stored in documents, e.g. 'Li3YCl6+In'."""
        host = Path(self.host).stem if "." in self.host else self.host
        dopant = self.substitution.split("->")[-1] if self.substitution else None
        name = f"{host}+{dopant}" if dopant else host
        return f"{name} bare" if self.framework == "bare" else name

    def cell(self) -> Structure:
        """The (doped) supercell the hops run in."""
        from ssbscreen.structures.doping import doped_cells
        from ssbscreen.structures.library import (
            get_record,
            ordered_representative,
            read_structure_file,
        )
        from ssbscreen.structures.substitution import Substitution

        if "." in self.host:
            cell = read_structure_file(self.host)
        else:
            cell = ordered_representative(self.host)
        cell = cell * tuple(self.supercell)
        if self.substitution:
            record = get_record(self.host)
            rule = Substitution.parse(self.substitution)
            cell = doped_cells(cell, record.oxidation_states, rule, n=1)[0].structure
        labels = [site.label for site in cell]  # parent Wyckoff labels name the hop ends
        return Structure(cell.lattice, cell.species, cell.frac_coords, labels=labels)

    def hops(self, cell: Structure) -> list[Hop]:
        """The selected hops of ``cell``, shortest first."""
        if self.mechanism == "vacancy":
            found = vacancy_hops(cell, self.ion, self.max_length_a)
        elif self.mechanism == "interstitial":
            found = interstitial_hops(cell, self.ion, max_length_a=self.max_length_a)
        else:
            raise ValueError(
                f"Unknown mechanism {self.mechanism!r}; choose 'vacancy' or 'interstitial'."
            )
        groups = hop_groups(found)
        if self.paths is None:
            return [hop for group in groups[: self.max_hops] for hop in group]
        kept = []
        for label in self.paths:
            labelled = [group for group in groups if group[0].path_label == label]
            kept += [hop for group in labelled[: self.max_hops] for hop in group]
        if not kept:
            labels = sorted({hop.path_label for hop in found})
            raise ValueError(
                f"No {self.ion} hop in {self.name} has a path in {list(self.paths)}; "
                f"the paths found are {labels}."
            )
        return kept

    def neb_cells(self, cell: Structure) -> list[tuple[Structure, Hop]]:
        """(cell, hop) of every selected hop: ``cell`` itself, or the hop's bare framework."""
        hops = self.hops(cell)
        if self.framework == "bare":
            return [bare_framework(cell, hop) for hop in hops]
        return [(cell, hop) for hop in hops]


def hop_groups(hops: list[Hop], length_decimals: int = 1) -> list[list[Hop]]:
    """Hops grouped by path label and length (rounded to 0.1 A), shortest group first.

    In a low-symmetry ordered or doped cell, hops between the same parent sites with the same
    length are often not symmetry-equivalent, and their barriers differ (Li 4g-Li 4g in the
    earlier Li3InCl6 cell: 0.185 and 0.518 eV): every hop of a group needs its own NEB.
    """
    groups: dict[tuple, list[Hop]] = {}
    for hop in hops:
        groups.setdefault((hop.path_label, round(hop.length_a, length_decimals)), []).append(hop)
    return sorted(
        groups.values(), key=lambda g: (len(g[0].path_frac), g[0].length_a, g[0].path_label)
    )
