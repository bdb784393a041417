"""Seeded simulated annealing of charge assignments on the variable sites of an ordering problem.

One run: a seeded random start, greedy (steepest-descent) relaxation, simulated annealing with
same-group swaps scored incrementally in O(1) (the field ``v = b + m_vv q`` is updated in O(n)
per accepted swap) on a geometric temperature schedule, and a final steepest descent over all
swaps. An optional *pool* (anything with a ``threshold`` attribute and an ``add(q, energy)``
method) is offered every visited assignment whose energy is below its threshold, which lets a
caller collect the many low-lying orderings a run passes through, not only its minimum.

Energies are in eV, charges in units of e.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from ssbscreen.structures.sublattices import OrderingProblem

__all__ = ["anneal", "anneal_once", "steepest_descent", "swap_deltas"]


class Pool(Protocol):
    threshold: float

    def add(self, q: np.ndarray, energy: float) -> None: ...


def swap_deltas(problem: OrderingProblem, q: np.ndarray, v: np.ndarray, sl: slice) -> np.ndarray:
    """Energy change of swapping every pair (i, j) of one group (inf where charges are equal)."""
    qg, vg = q[sl], v[sl]
    mg = problem.m_vv[sl, sl]
    d = np.diag(mg)
    delta = qg[None, :] - qg[:, None]  # q_j - q_i
    de = 2 * delta * (vg[:, None] - vg[None, :]) + delta**2 * (d[:, None] + d[None, :] - 2 * mg)
    return np.where(np.abs(delta) > 1e-12, de, np.inf)


def _apply_swap(problem: OrderingProblem, q: np.ndarray, v: np.ndarray, i: int, j: int) -> None:
    delta = q[j] - q[i]
    v += delta * (problem.m_vv[:, i] - problem.m_vv[:, j])
    q[i], q[j] = q[j], q[i]


def steepest_descent(problem: OrderingProblem, q: np.ndarray, v: np.ndarray) -> int:
    """Apply the best swap over all groups until none lowers the energy; returns evaluations."""
    n_eval = 0
    while True:
        best = (-1e-10, None)
        for sl in problem.group_slices:
            de = swap_deltas(problem, q, v, sl)
            n_eval += int(np.isfinite(de).sum()) // 2
            if de.size:
                k = int(np.argmin(de))
                if de.flat[k] < best[0]:
                    i, j = np.unravel_index(k, de.shape)
                    best = (float(de.flat[k]), (sl.start + int(i), sl.start + int(j)))
        if best[1] is None:
            return n_eval
        _apply_swap(problem, q, v, *best[1])


def anneal_once(
    problem: OrderingProblem, rng: np.random.Generator, n_sweeps: int, pool: Pool | None = None
) -> tuple[np.ndarray, float, int]:
    """One seeded run: random start, greedy relaxation, annealing, final steepest descent.

    Returns the lowest assignment found, its energy and the number of assignments scored.
    """
    if not problem.groups:
        return np.zeros(0), problem.c0, 1
    q = np.concatenate([rng.permutation(g.charge_multiset()) for g in problem.groups])
    v = problem.b + problem.m_vv @ q
    n_eval = steepest_descent(problem, q, v)  # greedy start

    # only sites of groups holding two or more different charges can move
    group_of = np.concatenate(
        [np.full(sl.stop - sl.start, k) for k, sl in enumerate(problem.group_slices)]
    )
    movable = [len(np.unique(q[sl])) > 1 for sl in problem.group_slices]
    mobile = np.flatnonzero(np.array([movable[k] for k in group_of], dtype=bool))
    energy = problem.energy(q)
    if pool is not None and energy < pool.threshold:
        pool.add(q, energy)
    best_q, best_e = q.copy(), energy
    if len(mobile) == 0 or n_sweeps <= 0:
        return best_q, best_e, n_eval

    # temperature: geometric from 0.3 x (median uphill swap of the relaxed start) / ln 2 down to
    # 3 % of that (tuned on the Li6PS5Cl 48h sublattice: hotter or longer runs gain nothing)
    uphill = np.concatenate(
        [
            de[np.isfinite(de) & (de > 0)]
            for de in (swap_deltas(problem, q, v, sl) for sl in problem.group_slices)
        ]
    )
    t_start = 0.3 * float(np.median(uphill)) / math.log(2) if uphill.size else 1e-3
    t_end = t_start * 0.03
    positions = [np.arange(sl.start, sl.stop) for sl in problem.group_slices]
    diag = np.diag(problem.m_vv).copy()
    m_vv = problem.m_vv
    n_moves = len(mobile)
    for sweep in range(n_sweeps):
        temp = t_start * (t_end / t_start) ** (sweep / max(n_sweeps - 1, 1))
        picks = rng.integers(0, n_moves, size=n_moves)
        partners = rng.random(n_moves)
        thresholds = -temp * np.log(rng.random(n_moves) + 1e-300)  # accept if dE < threshold
        for t in range(n_moves):
            i = int(mobile[picks[t]])
            pos = positions[group_of[i]]
            qi = q[i]
            cand = pos[q[pos] != qi]
            j = int(cand[int(partners[t] * len(cand))])
            delta = q[j] - qi
            de = 2 * delta * (v[i] - v[j]) + delta * delta * (diag[i] + diag[j] - 2 * m_vv[i, j])
            n_eval += 1
            if de <= 0 or de < thresholds[t]:
                v += delta * (m_vv[:, i] - m_vv[:, j])
                q[i], q[j] = q[j], qi
                energy += de
                if pool is not None and energy < pool.threshold:
                    pool.add(q, energy)
                if energy < best_e - 1e-9:
                    best_e, best_q = energy, q.copy()
    q = best_q.copy()
    v = problem.b + problem.m_vv @ q
    n_eval += steepest_descent(problem, q, v)
    energy = problem.energy(q)
    if pool is not None and energy < pool.threshold:
        pool.add(q, energy)
    return q, energy, n_eval


def anneal(
    problem: OrderingProblem,
    rng: np.random.Generator,
    n_sweeps: int,
    n_restarts: int,
    pool: Pool | None = None,
) -> tuple[np.ndarray, float, int]:
    """Best of `n_restarts` independent annealing runs drawn from one seeded generator."""
    best_q, best_e, n_eval = None, math.inf, 0
    for _ in range(max(n_restarts, 1)):
        q, energy, n = anneal_once(problem, rng, n_sweeps, pool)
        n_eval += n
        if energy < best_e - 1e-9:
            best_q, best_e = q, energy
    return best_q, best_e, n_eval
