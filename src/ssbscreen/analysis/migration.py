"""Barriers of migration documents: conduction networks (percolation) and energy profiles."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks

from ssbscreen.schemas import BandChecks

SITE_DECIMALS = 3  # fractional coordinates are rounded to this to name a site


@dataclass(frozen=True)
class Percolation:
    """Lowest hop barrier (eV) at which the hops of an ion connect into 1D, 2D and 3D networks.

    None: the computed hops never connect in that many dimensions. ``excluded`` names the
    hops (path labels) left out because their band did not converge or failed.
    """

    host: str
    ion: str
    barrier_1d_ev: float | None
    barrier_2d_ev: float | None
    barrier_3d_ev: float | None
    excluded: tuple[str, ...] = ()


# a maximum or minimum of a band counts when it stands out by this much (eV): half the 0.02 eV
# within which symmetry-equivalent copies of one hop give the same barrier
ENERGY_TOL_EV = 0.01
# images are uneven when one interval of the band is this many times another
UNEVEN_SPACING_RATIO = 2.0


def band_checks(
    energies_ev: list[float],
    reaction_coordinate_a: list[float],
    endpoint_energies_ev: list[float],
    converged: bool,
    via_images: dict[int, str] | None = None,
) -> BandChecks:
    """Quality checks of a relaxed band (energies relative to its start, eV).

    One maximum per step of the path, the minima between steps at the path's intermediate
    sites (via_images: band image -> site label); barrier minus reverse barrier equal to the
    relaxed end points' energy difference; the saddle sampled on both sides (not beside an end
    point) by evenly spaced images.
    """
    energies = np.asarray(energies_ev, dtype=float)
    x = np.asarray(reaction_coordinate_a, dtype=float)
    via_images = via_images or {}
    maxima = [int(k) for k in find_peaks(energies, prominence=ENERGY_TOL_EV)[0]]
    minima = [int(k) for k in find_peaks(-energies, prominence=ENERGY_TOL_EV)[0]]
    named, unexpected = [], []
    for k in minima:
        site = next((label for i, label in via_images.items() if abs(i - k) <= 1), None)
        where = f"image {k}, {x[k]:.2f} A along, {energies[k]:.3f} eV"
        named.append(f"{site} ({where})" if site else where)
        if site is None:
            unexpected.append(where)
    one_maximum = len(maxima) == len(via_images) + 1 and not unexpected
    mismatch = float(energies[-1] - energies[0]) - (
        endpoint_energies_ev[1] - endpoint_energies_ev[0]
    )
    steps = np.diff(x)
    spacing = [float(steps.min()), float(steps.max())]
    saddle = int(np.argmax(energies))
    beside_end = saddle in (1, len(energies) - 2)
    uneven = spacing[1] > UNEVEN_SPACING_RATIO * spacing[0]
    flags = [] if converged else ["band not converged"]
    if not maxima:
        flags.append("no maximum inside the band")
    elif not one_maximum:
        flags.append(f"{len(maxima)} maxima (images {', '.join(map(str, maxima))})")
    flags += [f"minimum at {where}" for where in unexpected]
    if abs(mismatch) > ENERGY_TOL_EV:
        flags.append(f"ends {mismatch:+.3f} eV off the relaxed end points")
    if beside_end:
        flags.append(f"saddle beside an end point (image {saddle})")
    if uneven:
        flags.append(f"uneven images ({spacing[0]:.2f}-{spacing[1]:.2f} A apart)")
    return BandChecks(
        maxima_images=maxima,
        intermediate_minima=named,
        one_maximum=one_maximum,
        ends_mismatch_ev=round(mismatch, 6),
        ends_consistent=abs(mismatch) <= ENERGY_TOL_EV,
        image_spacing_a=[round(v, 4) for v in spacing],
        under_resolved=beside_end or uneven,
        trusted=not flags,
        flags=flags,
    )


def checks_cell(document: dict) -> str:
    """The table's word on a band: 'ok', or what failed; the intermediate sites it passed."""
    checks = document.get("checks")
    if checks is None:
        return "-"
    text = "ok" if checks["trusted"] else "; ".join(checks["flags"])
    if checks.get("rerun_n_images"):
        coarse = checks["coarse_barrier_ev"]
        text += f"; rerun at {checks['rerun_n_images']} images (was {coarse:.3f} eV)"
    if checks["one_maximum"] and checks["intermediate_minima"]:
        text += f"; via {', '.join(checks['intermediate_minima'])}"
    return text


def _site(frac: np.ndarray) -> tuple[float, ...]:
    wrapped = np.round(np.asarray(frac) % 1.0, SITE_DECIMALS) % 1.0
    return tuple(float(x) for x in wrapped)


def edge_barrier_ev(document: dict) -> float:
    """Saddle above the lower end site: what a hop costs in whichever direction (eV)."""
    return max(document["barrier_ev"], document["reverse_barrier_ev"])


def network_dimension(edges: list[tuple[tuple, tuple, tuple[int, int, int]]]) -> int:
    """Dimensionality (0-3) of a periodic network of (site, site, lattice translation) edges.

    Each connected component is walked once, giving every site an offset; an edge that closes
    a loop adds the translation the loop spans, and the rank of those translations is the
    dimension of the component. The network's dimension is that of its largest component.
    """
    neighbours: dict[tuple, list[tuple[tuple, np.ndarray]]] = defaultdict(list)
    for a, b, image in edges:
        neighbours[a].append((b, np.array(image)))
        neighbours[b].append((a, -np.array(image)))
    offsets: dict[tuple, np.ndarray] = {}
    best = 0
    for root in neighbours:
        if root in offsets:
            continue
        offsets[root] = np.zeros(3, dtype=int)
        stack, loops = [root], []
        while stack:
            site = stack.pop()
            for other, image in neighbours[site]:
                reached = offsets[site] + image
                if other not in offsets:
                    offsets[other] = reached
                    stack.append(other)
                elif np.any(reached != offsets[other]):
                    loops.append(reached - offsets[other])
        if loops:
            best = max(best, int(np.linalg.matrix_rank(np.array(loops))))
    return best


def _edges(document: dict) -> list[tuple[tuple, tuple, tuple[int, int, int]]]:
    edges = []
    for start, end in document["equivalent_paths"]:
        start, end = np.asarray(start), np.asarray(end)
        shift = np.floor(np.round(end, SITE_DECIMALS)) - np.floor(np.round(start, SITE_DECIMALS))
        edges.append((_site(start), _site(end), tuple(int(x) for x in shift)))
    return edges


def counts_in_network(document: dict) -> bool:
    """Whether a band's barrier is used for percolation: converged and its checks passed (a
    band stored before the checks existed counts when converged)."""
    checks = document.get("checks")
    trusted = checks is None or checks["trusted"]
    return document["state"] == "successful" and document["converged"] and trusted


def percolation(documents: list[dict]) -> list[Percolation]:
    """Percolation barriers of each (host, ion) from its migration documents.

    Only bands that ``counts_in_network`` count; a hop's cost is its saddle above the lower of
    its two ends.
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for doc in documents:
        groups[(doc["host"], doc["ion"])].append(doc)
    results = []
    for (host, ion), docs in sorted(groups.items()):
        usable = [d for d in docs if counts_in_network(d)]
        excluded = tuple(sorted(d["path_label"] for d in docs if d not in usable))
        thresholds = sorted({edge_barrier_ev(d) for d in usable})
        found: dict[int, float] = {}
        for threshold in thresholds:
            edges = [e for d in usable if edge_barrier_ev(d) <= threshold for e in _edges(d)]
            dimension = network_dimension(edges)
            for dim in range(1, dimension + 1):
                found.setdefault(dim, threshold)
        results.append(Percolation(host, ion, found.get(1), found.get(2), found.get(3), excluded))
    return results


def plot_neb_profile(document: dict, path: str | Path) -> Path:
    """Energy (eV, relative to the start) vs reaction coordinate (Angstrom) of one band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, energies = document["reaction_coordinate_a"], document["energies_ev"]
    if not energies:
        raise ValueError(
            f"The NEB {document['key'][:12]} has no energy profile ({document['reason']})."
        )
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(x, energies, "o-", color="tab:blue")
    saddle = document["saddle_index"]
    ax.plot([x[saddle]], [energies[saddle]], "s", color="tab:red", label="saddle")
    status = "" if document["converged"] else " (not converged)"
    ax.set_title(
        f"{document['ion']} in {document['host']}: {document['path_label']}, "
        f"{document['barrier_ev']:.3f} eV{status}",
        fontsize=9,
    )
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("energy (eV)")
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
