"""Interfacial reaction energies of two or three phases, chemically and at a cell voltage.

Reactants i with per-atom compositions c_i and energies e_i (eV/atom), mixed in atomic
fractions x_i (sum 1), react with energy E(x) = h(sum_i x_i c_i) - sum_i x_i e_i, h being the
convex-hull energy of the chemical system (reference entries plus the phases). E is convex and
piecewise linear in x, so its minimum over all mixing fractions is one linear program:
minimise sum_j n_j e_j - sum_i x_i e_i over x, n >= 0 with sum_j n_j c_j = sum_i x_i c_i and
sum_i x_i = 1. For two phases this is the most negative kink of pymatgen's InterfacialReactivity
(Richards et al., Chem. Mater. 28, 266 (2016)); the same program covers three phases.

At V vs Li/Li+, Li is open with mu_Li = mu_Li(metal) - eV: compositions exclude Li and energies
are grand potentials per non-Li atom, phi = (E - mu_Li N_Li) / N_nonLi, as pymatgen's
GrandPotentialInterfacialReactivity(include_no_mixing_energy=True): each phase's own
decomposition with Li counts.

The mutual reaction energy leaves that out: min over w of E(w) - sum_i w_i E_i, E_i being
reactant i's own decomposition energy at the same conditions and w_i the fractions of atoms
(non-Li atoms at a voltage) that weigh per-atom energies, i.e. E minus the plane through the
pure reactants; pymatgen's GrandPotentialInterfacialReactivity(include_no_mixing_energy=False).
It is the same program with each reactant's energy raised by its own E_i per atom (per non-Li
atom: E_i (1 - c_Li,i) per atom).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import highspy
import numpy as np
from pymatgen.entries.computed_entries import ComputedEntry

from ssbscreen.analysis.hull import elements_of
from ssbscreen.analysis.references import ReferenceSet

NO_REACTION_EV = 1e-9  # energies above -this are "no reaction" (LP round-off)
NO_REACTION = "no reaction"  # the reaction of a mixture that does not react
TRACE = 1e-9  # amounts below this are dropped from products


@dataclass(frozen=True)
class ReactionResult:
    """Most negative reaction of a mixture of phases.

    reaction_energy_ev_per_atom: per atom of the mixture (per non-Li atom at a voltage, eV).
    mixing_fractions: atomic fraction of each reactant in the mixture, in the order given.
    products / reactants: formula -> formula units in the balanced reaction (Li included on
    the side it goes to when it is open at a voltage).
    mutual: the most negative reaction beyond each reactant's own decomposition (the mutual
    energy of the module docstring); the result itself when no reactant decomposes alone, None
    on a mutual result.
    """

    reaction_energy_ev_per_atom: float
    mixing_fractions: tuple[float, ...]
    products: dict[str, float]
    reactants: dict[str, float]
    reaction: str
    voltage_v_vs_li: float | None = None
    mutual: ReactionResult | None = None

    @property
    def mixing_ratio(self) -> float:
        """Atomic fraction x of the first phase (x A + (1 - x) B for a pair)."""
        return self.mixing_fractions[0]


def is_one_phase(mixing_fractions) -> bool:
    """Whether one phase makes up the whole mixture (a fraction within 1e-6 of 1)."""
    return max(mixing_fractions) > 1 - 1e-6


class _Program:
    """A HiGHS linear program with a fixed constraint matrix; costs and bounds change per call.

    HiGHS starts each solve from the previous basis, so a scan over mixtures and voltages costs
    little more than the solves themselves.
    """

    def __init__(self, matrix: np.ndarray, rhs: np.ndarray):
        self.bounds = b""  # the column bounds of the last solve (bytes of lower and upper)
        self.highs = highspy._core._Highs()  # the plain solver: no banner, no callbacks
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")  # small programs: costs more than it saves
        # between solves only costs change: the last basis stays feasible, so primal simplex
        # goes on from it (about 15% faster than HiGHS's default dual simplex here)
        self.highs.setOptionValue("solver", "simplex")
        self.highs.setOptionValue("simplex_strategy", 4)
        model = highspy.HighsLp()
        model.num_row_, model.num_col_ = matrix.shape
        model.col_cost_ = np.zeros(matrix.shape[1])
        model.col_lower_ = np.zeros(matrix.shape[1])
        model.col_upper_ = np.zeros(matrix.shape[1])
        model.row_lower_ = model.row_upper_ = rhs
        nonzero = matrix.T != 0  # column-wise sparse storage, column after column
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = np.concatenate([[0], np.cumsum(nonzero.sum(axis=1))])
        model.a_matrix_.index_ = np.nonzero(nonzero)[1]
        model.a_matrix_.value_ = matrix.T[nonzero]
        self.highs.passModel(model)
        self.index = np.arange(matrix.shape[1], dtype=np.int32)

    def solve(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Minimum of cost @ z over lower <= z <= upper and the constraints; (value, z)."""
        n = len(cost)
        self.highs.changeColsCost(n, self.index, cost)
        bounds = lower.tobytes() + upper.tobytes()
        if bounds != self.bounds:  # the same for every voltage of a mixture
            self.highs.changeColsBounds(n, self.index, lower, upper)
            self.bounds = bounds
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise ValueError("The reaction linear program has no optimal solution.")
        value = self.highs.getObjectiveValue()
        return float(value), np.array(self.highs.getSolution().col_value)


@dataclass(frozen=True)
class _Mixture:
    """A mixture's program: its entries (indices in the space, in program order), each entry's
    position there, the column bounds of a free mixture, Li fraction and atoms per formula unit
    of each entry."""

    program: _Program
    entries: np.ndarray
    position: dict[int, int]
    upper: np.ndarray
    li_fractions: np.ndarray
    atoms_per_unit: np.ndarray


class ReactionSpace:
    """The entries of one chemical system as arrays, built once for every mixture and voltage.

    entries: reference entries of the system plus the reacting phases. Every entry is a
    column twice: as a product (amount in atoms, cost its energy) and as a reactant (amount in
    atoms, cost minus the lowest energy of its composition), the latter open only for the
    reactants of a call. A mixture's program holds only the entries of its own elements (plus
    Li when Li is open): any other entry would bring an element the mixture lacks, so the
    optimum is the same, the program smaller, and it is reused for every voltage.
    """

    def __init__(self, entries: list[ComputedEntry]):
        self.entries = list(entries)
        self.elements = sorted(elements_of(*self.entries))
        reduced = [e.composition.get_reduced_formula_and_factor() for e in self.entries]
        self.formulas = [formula for formula, _ in reduced]
        column = {el: k for k, el in enumerate(self.elements)}
        self.fractions = np.zeros((len(self.entries), len(self.elements)))
        for i, entry in enumerate(self.entries):
            amounts = entry.composition.get_el_amt_dict()
            total = sum(amounts.values())
            for el, amount in amounts.items():
                self.fractions[i, column[el]] = amount / total
        self.energies = np.array([e.energy_per_atom for e in self.entries])
        factors = np.array([factor for _, factor in reduced])
        self.atoms_per_unit = np.array([e.composition.num_atoms for e in self.entries]) / factors
        same = np.all(np.abs(self.fractions[:, None] - self.fractions[None]) < 1e-9, axis=2)
        self.reactant_energies = np.where(same, self.energies[None], np.inf).min(axis=1)
        self._li = self.elements.index("Li") if "Li" in self.elements else None
        self._li_metal = set(np.flatnonzero(self._li_fraction() > 1 - 1e-12).tolist())
        # elements of each entry as the bits of one integer: a mixture's elements are their OR
        self._element_bits = (self.fractions > 0) @ (1 << np.arange(len(self.elements)))
        self._programs: dict[tuple[int, bool], tuple[_Program, np.ndarray]] = {}
        self._mixtures: dict[tuple[tuple[int, ...], bool], _Mixture] = {}
        self._index = {id(e): i for i, e in enumerate(self.entries)}

    @classmethod
    def of(cls, reference: ReferenceSet, *phases: ComputedEntry) -> ReactionSpace:
        """Space of the chemical system of ``phases`` (+ Li): reference entries plus phases,
        each entry once (a phase that is a reference entry is not added again)."""
        elements = elements_of(*phases)
        if "Li" in reference.elements:
            elements.add("Li")
        entries = {id(e): e for e in reference.in_chemsys(elements)}
        entries |= {id(p): p for p in phases if id(p) not in entries}
        return cls(list(entries.values()))

    @cached_property
    def mu_li_metal(self) -> float:
        """Energy per atom (eV) of the lowest pure-Li entry."""
        if self._li is None:
            raise ValueError("A reaction at a voltage needs Li in the chemical system.")
        pure = self.fractions[:, self._li] > 1 - 1e-12
        if not pure.any():
            raise ValueError("The reference set has no Li metal entry to fix mu_Li.")
        return float(self.energies[pure].min())

    def _li_fraction(self) -> np.ndarray:
        return np.zeros(len(self.entries)) if self._li is None else self.fractions[:, self._li]

    def _mixture(self, columns, open_li: bool) -> _Mixture:
        """The program of the reactant ``columns`` and its bounds (built once per mixture)."""
        key = (tuple(sorted(set(columns))), open_li)
        if key not in self._mixtures:
            program, entries = self._program(key[0], open_li)
            m = len(entries)
            upper = np.zeros(2 * m)
            upper[:m] = np.inf
            li = self._li_fraction()[entries]
            if open_li:
                upper[:m][li > 1 - 1e-12] = 0.0  # Li metal: the reservoir
            position = {int(e): k for k, e in enumerate(entries)}
            reactants = np.array([m + position[c] for c in key[0]], dtype=int)
            upper[reactants] = np.inf
            self._mixtures[key] = _Mixture(
                program, entries, position, upper, li, self.atoms_per_unit[entries]
            )
        return self._mixtures[key]

    def _program(self, columns, open_li: bool) -> tuple[_Program, np.ndarray]:
        """Program of the elements of ``columns`` (+ Li when open) and its entry indices.

        Rows: element balance (Li dropped when open) and one mixture normalisation row.
        """
        bits = int(np.bitwise_or.reduce(self._element_bits[list(columns)]))
        if open_li and self._li is not None:
            bits |= 1 << self._li
        if (bits, open_li) not in self._programs:
            entries = np.flatnonzero((self._element_bits & ~bits) == 0)
            keep = [k for k in range(len(self.elements)) if bits >> k & 1]
            if open_li and self._li is not None:
                keep.remove(self._li)
            balance = self.fractions[np.ix_(entries, keep)].T
            norm = 1.0 - self._li_fraction()[entries] if open_li else np.ones(len(entries))
            matrix = np.block([[balance, -balance], [np.zeros(len(norm)), norm]])
            rhs = np.concatenate([np.zeros(len(keep)), [1.0]])
            self._programs[bits, open_li] = (_Program(matrix, rhs), entries)
        return self._programs[bits, open_li]

    def _columns(self, reactants: list[ComputedEntry]) -> list[int]:
        missing = [r.name for r in reactants if id(r) not in self._index]
        if missing:
            raise ValueError(f"Reactants {missing} are not entries of this reaction space.")
        return [self._index[id(r)] for r in reactants]

    def most_negative(
        self,
        reactants: list[ComputedEntry],
        voltage_v_vs_li: float | None = None,
        fixed_zero: tuple[int, ...] = (),
    ) -> ReactionResult:
        """Most negative reaction over all mixing fractions of ``reactants``, with its mutual
        part (see the module docstring).

        fixed_zero: indices of reactants held at fraction 0 (a face of the mixing simplex).
        """
        columns = self._columns(reactants)
        mu_li = None if voltage_v_vs_li is None else self.mu_li_metal - voltage_v_vs_li
        li = self._li_fraction()
        if mu_li is not None and not self._li_metal.isdisjoint(columns):
            raise ValueError("Li metal cannot be a reactant at a voltage: Li is the reservoir.")
        shift = 0.0 if mu_li is None else mu_li * li
        product_cost = self.energies - shift
        reactant_cost = self.reactant_energies - shift
        open_columns = [c for k, c in enumerate(columns) if k not in fixed_zero]
        energy, mixture, z = self._solve(open_columns, product_cost, reactant_cost, mu_li)
        total = self._result(columns, voltage_v_vs_li, energy, mixture, z)
        # each reactant's own decomposition, per (non-Li) atom, moves into its energy per atom
        own = {i: self._solve([i], product_cost, reactant_cost, mu_li)[0] for i in open_columns}
        if all(e > -NO_REACTION_EV for e in own.values()):
            return replace(total, mutual=total)
        per_atom = 1.0 - li if mu_li is not None else np.ones(len(li))
        for i, e in own.items():
            reactant_cost[i] += e * per_atom[i]
        energy, mixture, z = self._solve(open_columns, product_cost, reactant_cost, mu_li)
        return replace(total, mutual=self._result(columns, voltage_v_vs_li, energy, mixture, z))

    def _solve(self, columns, product_cost, reactant_cost, mu_li, amounts=None):
        """(energy, the mixture's program, its solution: product then reactant atoms of each
        of its entries) of the best reaction of ``columns``.

        amounts: fixed atoms of each reactant column instead of free ones.
        """
        mixture = self._mixture(columns, mu_li is not None)
        entries, m = mixture.entries, len(mixture.entries)
        lower = np.zeros(2 * m)
        upper = mixture.upper
        if amounts is not None:
            reactants = [m + mixture.position[c] for c in columns]
            upper = upper.copy()
            upper[m:] = 0.0
            np.add.at(upper, reactants, amounts)
            np.add.at(lower, reactants, amounts)
        energy, z = mixture.program.solve(
            np.concatenate([product_cost[entries], -reactant_cost[entries]]), lower, upper
        )
        return energy, mixture, z

    def energy_at(
        self,
        reactants: list[ComputedEntry],
        fractions: list[float],
        voltage_v_vs_li: float | None = None,
    ) -> float:
        """Reaction energy (eV/atom, per non-Li atom at a voltage) at fixed atomic fractions."""
        columns = self._columns(reactants)
        mu_li = None if voltage_v_vs_li is None else self.mu_li_metal - voltage_v_vs_li
        li = self._li_fraction()
        shift = 0.0 if mu_li is None else mu_li * li
        atoms = np.asarray(fractions, dtype=float)
        atoms = atoms / (atoms @ (1.0 - li[columns]) if mu_li is not None else atoms.sum())
        cost = self.energies - shift
        return self._solve(columns, cost, self.reactant_energies - shift, mu_li, atoms)[0]

    def _result(self, columns, voltage, energy, mixture: _Mixture, z) -> ReactionResult:
        m = len(mixture.entries)
        n, x = z[:m], np.maximum(z[m:], 0.0)
        # a reactant held at zero (fixed_zero) may lie outside the mixture's program
        x_in = [float(x[mixture.position[c]]) if c in mixture.position else 0.0 for c in columns]
        total = max(sum(x_in), TRACE)
        fractions = tuple(a / total for a in x_in)
        if energy > -NO_REACTION_EV:
            present = {
                self.formulas[c]: 1.0 for c, a in zip(columns, fractions, strict=True) if a > TRACE
            }
            return ReactionResult(0.0, fractions, present, dict(present), NO_REACTION, voltage)
        reactant_units = self._units(mixture, x)
        product_units = self._units(mixture, n)
        if voltage is not None:  # Li from or to the reservoir
            li_change = float((n - x) @ mixture.li_fractions)
            if abs(li_change) > TRACE:
                side = product_units if li_change < 0 else reactant_units
                side["Li"] = side.get("Li", 0.0) + abs(li_change)
        first = next(c for c, a in zip(columns, x_in, strict=True) if a > TRACE)
        scale = reactant_units[self.formulas[first]]
        reactant_units = {f: u / scale for f, u in reactant_units.items()}
        product_units = {f: u / scale for f, u in product_units.items()}
        return ReactionResult(
            reaction_energy_ev_per_atom=energy,
            mixing_fractions=fractions,
            products=product_units,
            reactants=reactant_units,
            reaction=f"{_side(reactant_units)} -> {_side(product_units)}",
            voltage_v_vs_li=voltage,
        )

    def _units(self, mixture: _Mixture, atoms: np.ndarray) -> dict[str, float]:
        """Formula -> formula units of the reduced formula for ``atoms`` of each entry of a
        mixture's program (amounts above TRACE)."""
        units: dict[str, float] = {}
        present = np.flatnonzero(atoms > TRACE)
        amounts = atoms[present] / mixture.atoms_per_unit[present]
        for j, u in zip(mixture.entries[present].tolist(), amounts.tolist(), strict=True):
            formula = self.formulas[j]
            units[formula] = units.get(formula, 0.0) + u
        return units


def _side(units: dict[str, float]) -> str:
    return " + ".join(f"{u:.4g} {f}" for f, u in units.items())


def most_negative_reaction(
    a: ComputedEntry,
    b: ComputedEntry,
    reference: ReferenceSet,
    voltage_v_vs_li: float | None = None,
) -> ReactionResult:
    """Most negative reaction of phases ``a`` and ``b`` (chemical, or at a voltage vs Li/Li+)."""
    return ReactionSpace.of(reference, a, b).most_negative([a, b], voltage_v_vs_li)


def most_negative_mixture_reaction(
    phases: list[ComputedEntry],
    reference: ReferenceSet,
    voltage_v_vs_li: float | None = None,
) -> ReactionResult:
    """Most negative reaction over all mixing fractions of two or three phases."""
    if not 1 <= len(phases) <= 3:
        raise ValueError(f"A reaction takes one to three phases, not {len(phases)}.")
    return ReactionSpace.of(reference, *phases).most_negative(list(phases), voltage_v_vs_li)


@dataclass(frozen=True)
class VoltageScan:
    """Reaction energies of a mixture along a voltage scan and where reaction sets in.

    reaction_energies: with each phase's own decomposition (eV per non-Li atom);
    interface_energies: the mutual reaction energies, what mixing adds to the phases' own
    decomposition (eV per non-Li atom);
    onset_v_vs_li / interface_onset_v_vs_li: first voltage from the start of the scan at which
    that energy is below -tolerance, refined by bisection; None when it never is.
    """

    phases: tuple[str, ...]
    voltages_v_vs_li: tuple[float, ...]
    reaction_energies_ev_per_atom: tuple[float, ...]
    interface_energies_ev_per_atom: tuple[float, ...]
    onset_v_vs_li: float | None
    interface_onset_v_vs_li: float | None


def voltage_scan(
    phases: list[ComputedEntry],
    reference: ReferenceSet,
    start_v: float,
    stop_v: float,
    step_v: float = 0.05,
    tolerance_ev: float = 1e-6,
    precision_v: float = 1e-4,
) -> VoltageScan:
    """Most negative reaction of one to three phases at every voltage from start_v to stop_v."""
    if step_v <= 0:
        raise ValueError(f"The scan step must be positive, not {step_v} V.")
    space = ReactionSpace.of(reference, *phases)
    n_steps = max(1, round(abs(stop_v - start_v) / step_v))
    voltages = np.linspace(start_v, stop_v, n_steps + 1)

    def energy(v: float, mutual: bool) -> float:
        result = space.most_negative(list(phases), v)
        return (result.mutual if mutual else result).reaction_energy_ev_per_atom

    results = [space.most_negative(list(phases), v) for v in voltages]
    curves, onsets = [], []
    for mutual in (False, True):
        curve = [(r.mutual if mutual else r).reaction_energy_ev_per_atom for r in results]
        curves.append(tuple(curve))
        first = next((i for i, e in enumerate(curve) if e < -tolerance_ev), None)
        if first is None or first == 0:
            onsets.append(None if first is None else float(voltages[0]))
            continue
        low, high = voltages[first - 1], voltages[first]  # stable at low, reacting at high
        while abs(high - low) > precision_v:
            middle = 0.5 * (low + high)
            if energy(middle, mutual) < -tolerance_ev:
                high = middle
            else:
                low = middle
        onsets.append(float(high))
    return VoltageScan(
        phases=tuple(p.composition.reduced_formula for p in phases),
        voltages_v_vs_li=tuple(float(v) for v in voltages),
        reaction_energies_ev_per_atom=curves[0],
        interface_energies_ev_per_atom=curves[1],
        onset_v_vs_li=onsets[0],
        interface_onset_v_vs_li=onsets[1],
    )
