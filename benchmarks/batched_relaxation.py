"""Batched vs one-at-a-time relaxation of the same N structures (CHGNet and SevenNet).

Usage: python benchmarks/batched_relaxation.py [--quick] [--plot FILE] [--budget-s S]

The structures are ordered library phases (LiF, LiCoO2, HfO2, Li3PO4, LiIn, LiNbO3) in
supercells of 20-200 atoms, strained by up to 2 % and rattled by 0.03 A (seeded), so that
every relaxation does real work. Both ways relax with FIRE to 0.05 eV/A with the cell free:
(a) naive: atomate2's AseRelaxer, one structure after the other;
(b) ``relax_structures``: lock-step ASE FIRE with batched CHGNet calls, or torch-sim's batched
    FIRE for SevenNet (also compared with a plain ``torch_sim.optimize`` call on the same batch).
The naive way is timed once per potential on the first 16 structures (4 on a GPU; the same
first structures for every N) and its time scaled to N (it is linear in N by construction; the
row says so). Relaxed energies must agree within 1 meV/atom on the structures both ways
relaxed. Rows follow benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
from pymatgen.core import Structure

from ssbscreen.structures.library import bulk_structure
from ssbscreen.workflows.batched import default_device, relax_one_at_a_time, relax_structures

POOL = ("LiF", "LiCoO2", "HfO2", "Li3PO4", "LiIn", "LiNbO3")
TOLERANCE_EV_PER_ATOM = 1e-3


def structures(
    n: int, min_atoms: int = 20, max_atoms: int = 200, seed: int = 0, pool: tuple = POOL
) -> list[Structure]:
    """``n`` strained, rattled supercells of ``pool`` phases with min..max atoms each."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cell = bulk_structure(pool[i % len(pool)])
        target = rng.integers(min_atoms, max_atoms + 1)
        multiples = np.ones(3, dtype=int)
        while len(cell) * multiples.prod() < target:
            axis = int(np.argmin(np.array(cell.lattice.abc) * multiples))
            if len(cell) * multiples.prod() // multiples[axis] * (multiples[axis] + 1) > max_atoms:
                break
            multiples[axis] += 1
        out.append(_rattled(cell * multiples, rng))
    return out


def _rattled(structure: Structure, rng) -> Structure:
    structure = structure.copy()
    structure.apply_strain(rng.uniform(-0.02, 0.02, 3))
    for i in range(len(structure)):
        structure.translate_sites([i], rng.normal(0, 0.03, 3), frac_coords=False)
    return structure


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def _check(naive, batched, cells) -> float:
    """Largest |dE| (eV/atom) between the two ways; AssertionError beyond 1 meV/atom, or when
    a relaxation raised (its time would be that of a failure)."""
    worst = 0.0
    for one, many, cell in zip(naive, batched, cells, strict=False):
        if one.error or many.error:
            raise AssertionError(f"{cell.formula}: a relaxation raised {one.error or many.error}")
        if one.converged and many.converged:
            worst = max(worst, abs(one.energy_ev - many.energy_ev) / len(cell))
    if worst > TOLERANCE_EV_PER_ATOM:
        raise AssertionError(f"batched and one-at-a-time energies differ by {worst:.2e} eV/atom")
    return worst


@cache  # structures(n) begins with structures(m) for m < n: the first m are timed once
def naive_relaxations(
    potential: str, m: int, atoms: tuple, pool: tuple, seed: int
) -> tuple[list, float]:
    """The first ``m`` structures relaxed one at a time, and the seconds that took."""
    cells = structures(m, *atoms, seed=seed, pool=pool)
    relax_one_at_a_time(cells[:1], potential, max_steps=1)  # load the model outside the timing
    return _timed(relax_one_at_a_time, cells, potential)


def compare(
    potential: str, n: int, naive_max: int, atoms=(20, 200), pool: tuple = POOL, seed: int = 0
) -> dict:
    """One row: N structures relaxed both ways with ``potential``."""
    cells = structures(n, *atoms, seed=seed, pool=pool)
    relax_structures(cells[:1], potential, max_steps=1)  # load the model outside the timing
    batched, fast_s = _timed(relax_structures, cells, potential)
    m = min(n, naive_max)
    naive, naive_m_s = naive_relaxations(potential, m, tuple(atoms), tuple(pool), seed)
    worst = _check(naive, batched, cells)
    naive_s = naive_m_s * n / m
    n_atoms = [len(c) for c in cells]
    return {
        "benchmark": f"batched relaxation ({potential})",
        "case": f"N={n}, {min(n_atoms)}-{max(n_atoms)} atoms, {default_device()}",
        "naive": "atomate2 AseRelaxer one at a time"
        + ("" if m == n else f" (timed on {m}, scaled to {n})"),
        "naive_s": naive_s,
        "fast_s": fast_s,
        "ratio": naive_s / fast_s,
        "check": f"max |dE| {worst:.1e} eV/atom; {sum(r.converged for r in batched)}/{n} converged",
        "n_structures": n,
        "mean_atoms": float(np.mean(n_atoms)),
        "structures_per_s": n / fast_s,
    }


def compare_plain_torch_sim(n: int, atoms=(20, 60), pool: tuple = POOL, seed: int = 0) -> dict:
    """ssbscreen's SevenNet path vs a plain torch_sim.optimize call on the same batch."""
    import torch_sim as ts

    from ssbscreen.workflows.batched import _torch_sim_model

    cells = structures(n, *atoms, seed=seed, pool=pool)
    model = _torch_sim_model("sevennet", default_device())
    relax_structures(cells[:1], "sevennet", max_steps=1)

    def plain():
        return ts.optimize(
            system=ts.initialize_state(cells, model.device, model.dtype),
            model=model,
            optimizer=ts.frechet_cell_fire,
            convergence_fn=ts.generate_force_convergence_fn(0.05, include_cell_forces=True),
            autobatcher=default_device() != "cpu",
            max_steps=500,
        )

    _, plain_s = _timed(plain)
    _, fast_s = _timed(relax_structures, cells, "sevennet")
    return {
        "benchmark": "batched relaxation (SevenNet)",
        "case": f"N={n}, {atoms[0]}-{atoms[1]} atoms, {default_device()}: vs plain torch-sim",
        "naive": "plain torch_sim.optimize, same batch",
        "naive_s": plain_s,
        "fast_s": fast_s,
        "ratio": plain_s / fast_s,
        "check": "same optimiser and model",
    }


def scaling_with_atoms(
    potential: str, n: int, sizes: tuple[int, ...], deadline: float = math.inf
) -> list[dict]:
    """Time of N rattled rock-salt LiF supercells relaxed together, vs atoms per structure
    (larger sizes left out once the next, predicted linear in atoms, would end past deadline)."""
    rows = []
    for size in sizes:
        if rows and time.perf_counter() + rows[-1]["seconds"] * size / rows[-1]["atoms"] > deadline:
            break
        k = round((size / 8) ** (1 / 3))
        cells = [
            _rattled(bulk_structure("LiF") * (k, k, k), np.random.default_rng(i)) for i in range(n)
        ]
        _, seconds = _timed(relax_structures, cells, potential)
        rows.append({"atoms": len(cells[0]), "n": n, "seconds": seconds})
    return rows


def plot_scaling(rows: list[dict], path: Path, atom_rows: list[dict] | None = None) -> None:
    """Two panels: time vs N (both ways) and time vs atoms per structure (batched)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "n_structures" in r]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for name in sorted({r["benchmark"] for r in rows}):
        own = sorted((r for r in rows if r["benchmark"] == name), key=lambda r: r["n_structures"])
        n = [r["n_structures"] for r in own]
        axes[0].loglog(n, [r["fast_s"] for r in own], "o-", label=f"{name}: batched")
        axes[0].loglog(n, [r["naive_s"] for r in own], "s--", label=f"{name}: one at a time")
    axes[0].set(xlabel="structures N", ylabel="wall time (s)")
    axes[0].legend(fontsize=7)
    if atom_rows:
        atoms = [r["atoms"] for r in atom_rows]
        axes[1].loglog(atoms, [r["seconds"] / r["n"] for r in atom_rows], "o-")
        axes[1].set(
            xlabel="atoms per structure", ylabel=f"time per structure (s), N={atom_rows[0]['n']}"
        )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def sized_rows(
    potential: str, sizes: tuple[int, ...], naive_max: int, atoms, pool, deadline: float
) -> list[dict]:
    """Rows at growing N while the next one, predicted at least linear in N from the last,
    ends before ``deadline`` (time.perf_counter() seconds); a row says which were left out."""
    rows: list[dict] = []
    for n in sizes:
        if rows:
            predicted_s = rows[-1]["fast_s"] * n / rows[-1]["n_structures"]
            if time.perf_counter() + predicted_s > deadline:
                rows.append(_left_out(potential, n, predicted_s))
                break
        rows.append(compare(potential, n, naive_max, atoms, pool))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # kept if a later N fails
    return rows


def _left_out(potential: str, n: int, predicted_s: float) -> dict:
    return {
        "benchmark": f"batched relaxation ({potential})",
        "case": f"N={n} and larger, {default_device()}",
        "naive": "",
        "naive_s": None,
        "fast_s": None,
        "ratio": None,
        "check": f"not run: about {predicted_s:.0f} s or more, past the time budget",
    }


def measure(
    quick: bool = False, plot: Path | None = None, budget_s: float | None = None
) -> list[dict]:
    """Rows for benchmarks/run_all.py (quick: a few small, fast-converging cells for CI).

    budget_s: seconds this benchmark may take; larger N are left out (and say so) once the
    next one would end past it (None: no limit)."""
    deadline = time.perf_counter() + (budget_s if budget_s is not None else math.inf)
    on_gpu = default_device() != "cpu"
    if quick:
        sizes, naive_max, atoms, pool = (2, 4), 2, (8, 16), ("LiF", "LiIn")
    else:
        sizes = (8, 32, 128, 512, 1024) if on_gpu else (8, 32, 128)
        naive_max, atoms, pool = (4 if on_gpu else 16), (20, 200), POOL
    try:
        import torch_sim  # noqa: F401
    except ImportError:
        torch_sim_sizes = ()
    else:
        torch_sim_sizes = sizes if on_gpu else sizes[:3]

    def until(share: float) -> float:  # a share of the time left
        return time.perf_counter() + share * (deadline - time.perf_counter())

    # (potential, sizes, share of the time left): on a GPU torch-sim first, the path built to
    # scale there (CHGNet's lock-step builds its graphs on the CPU: 1.12x at N=8 on an H200)
    plan = [("chgnet", sizes, 1.0), ("sevennet", torch_sim_sizes, 0.75)]
    if on_gpu:
        plan = [("sevennet", torch_sim_sizes, 0.6), ("chgnet", sizes, 0.8)]
    rows = []
    for potential, own, share in plan:
        if own:
            rows += sized_rows(potential, own, naive_max, atoms, pool, until(share))
    if torch_sim_sizes:
        rows.append(compare_plain_torch_sim(sizes[1], atoms, pool))
    if plot is not None:
        atom_sizes = (8, 64) if quick else (8, 27, 64, 125, 216)
        atom_rows = scaling_with_atoms("chgnet", 2 if quick else 8, atom_sizes, deadline)
        plot_scaling(rows, plot, atom_rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--budget-s", type=float, help="seconds it may take (default: no limit)")
    args = parser.parse_args()
    rows = measure(args.quick, args.plot, args.budget_s)
    text = json.dumps(rows, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
