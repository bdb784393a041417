"""Charge-compensated substitution rules: "3Li->In" (3 Li+ -> In3+ + 2 Li vacancies).

Grammar: ``[k]A->D[charge][+[m]VB]``: k atoms of A are replaced by one D (one A site takes D,
k-1 become A vacancies); ``+[m]VB`` (or ``+[m]V_B``) adds m vacancies of B per dopant. The
charge is optional (``In3+``, ``Zr4+``); without it D's single common oxidation state is used.
Examples: ``3Li->In``, ``2Li->Mg``, ``Y->Zr+VLi``, ``Y -> Zr4+ + 2V_Li``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pymatgen.core import Element

CHARGE_TOL = 1e-6  # e

_SUBSTITUTION_RE = re.compile(
    r"""^\s*(?P<k>\d+)?\s*(?P<host>[A-Z][a-z]?)\s*(?:->|→)\s*
    (?P<dopant>[A-Z][a-z]?)(?:(?P<charge>\d+(?:\.\d+)?)?(?P<sign>[+-]))??
    \s*(?:\+\s*(?P<m>\d+)?\s*V_?(?P<vac>[A-Z][a-z]?))?\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Substitution:
    """One dopant on a site of `replaces`, compensated by `n_vacancies` vacancies of `vacancy_of`.

    3 Li+ -> In3+ + 2 vac: Substitution("In", 3, "Li", "Li", 2); 2 Li+ -> Mg2+ + vac:
    Substitution("Mg", 2, "Li", "Li", 1); Zr4+ for Y3+ + Li vacancy: Substitution("Zr", 4, "Y",
    "Li", 1). dopant_charge is in e; n_vacancies is per dopant.
    """

    dopant: str
    dopant_charge: float
    replaces: str
    vacancy_of: str | None = None
    n_vacancies: int = 0

    def __post_init__(self) -> None:
        if self.n_vacancies < 0:
            raise ValueError(
                f"n_vacancies must be 0 or more, got {self.n_vacancies}; use a non-negative "
                "number of compensating vacancies per dopant."
            )
        if self.n_vacancies and self.vacancy_of is None:
            raise ValueError(
                f"{self.n_vacancies} compensating vacancies need vacancy_of; name the element "
                "whose sites are emptied (e.g. vacancy_of='Li')."
            )

    @classmethod
    def parse(cls, text: str) -> Substitution:
        """Parse ``[k]A->D[q±][+[m]VB]``.

        ``k`` A atoms (default 1) are replaced by one dopant D: one A site takes D and the other
        k-1 are left empty (vacancies of A). ``+[m]VB`` (or ``+[m]V_B``) adds m (default 1)
        vacancies of element B per dopant. The dopant charge ``q`` is optional ("In3+", "Zr4+",
        "Na+", "O2-"); without it the element's single common oxidation state is used.
        Examples: "3Li->In" (In3+ + 2 Li vacancies), "2Li->Mg", "Y->Zr+VLi", "Y->Zr4++VLi",
        "Li->Mg2++V_Li". "->" may be written "→".
        """
        match = _SUBSTITUTION_RE.match(text)
        if match is None:
            raise ValueError(
                f"Cannot parse substitution {text!r}; write it as '[k]A->D[charge][+[m]VB]', "
                "e.g. '3Li->In', '2Li->Mg' or 'Y->Zr+VLi'."
            )
        host, dopant = match["host"], match["dopant"]
        k = int(match["k"] or 1)
        if k < 1:
            raise ValueError(f"{text!r} replaces {k} atoms; replace at least one, e.g. '3Li->In'.")
        for el in (host, dopant, match["vac"]):
            if el is not None and not Element.is_valid_symbol(el):
                raise ValueError(f"{el!r} in {text!r} is not an element symbol; fix the spelling.")
        if match["sign"]:
            charge = float(match["charge"] or 1) * (1 if match["sign"] == "+" else -1)
        else:
            states = Element(dopant).common_oxidation_states
            if len(states) != 1:
                raise ValueError(
                    f"{dopant} has several common oxidation states {states}; give the dopant "
                    f"charge explicitly, e.g. '{k if k > 1 else ''}{host}->{dopant}3+'."
                )
            charge = float(states[0])
        vacancies: dict[str, int] = {}
        if k > 1:
            vacancies[host] = k - 1
        if match["vac"]:
            vac = match["vac"]
            vacancies[vac] = vacancies.get(vac, 0) + int(match["m"] or 1)
        if len(vacancies) > 1:
            raise ValueError(
                f"{text!r} asks for vacancies of two elements ({', '.join(vacancies)}); only one "
                "compensating species is supported, write e.g. 'Y->Zr+VLi'."
            )
        vacancy_of, n_vac = next(iter(vacancies.items()), (None, 0))
        return cls(dopant, charge, host, vacancy_of, n_vac)

    def __str__(self) -> str:
        """The substitution in the grammar of :meth:`parse`, e.g. '3Li->In3+' or 'Y->Zr4++VLi'."""
        magnitude = abs(self.dopant_charge)
        charge = (
            f"{'' if magnitude == 1 else f'{magnitude:g}'}{'-' if self.dopant_charge < 0 else '+'}"
        )
        k, vac = 1, ""
        if self.n_vacancies and self.vacancy_of == self.replaces:
            k = self.n_vacancies + 1
        elif self.n_vacancies:
            vac = f"+{self.n_vacancies if self.n_vacancies > 1 else ''}V{self.vacancy_of}"
        return f"{k if k > 1 else ''}{self.replaces}->{self.dopant}{charge}{vac}"

    def net_charge(self, oxidation_states: dict[str, float]) -> float:
        """Charge (e) added to the cell by one dopant with its vacancies."""
        self._check_known(oxidation_states)
        q_vac = float(oxidation_states[self.vacancy_of]) if self.n_vacancies else 0.0
        return (
            self.dopant_charge - float(oxidation_states[self.replaces]) - self.n_vacancies * q_vac
        )

    def check_charge_balance(self, oxidation_states: dict[str, float]) -> None:
        """ValueError if one dopant with its vacancies does not leave the cell neutral."""
        net = self.net_charge(oxidation_states)
        if abs(net) <= CHARGE_TOL:
            return
        excess = self.dopant_charge - float(oxidation_states[self.replaces])
        hint = "change the dopant charge or the number of vacancies"
        if excess < -CHARGE_TOL:
            hint = (
                "a lower-valent dopant needs interstitials, which are not supported; "
                "choose a dopant of equal or higher charge"
            )
        # the given vacancy species first, then the replaced element, then the other elements
        order = [self.vacancy_of, self.replaces, *oxidation_states]
        for el in dict.fromkeys(e for e in order if e is not None):
            q_vac = float(oxidation_states[el])
            m = excess / q_vac if abs(q_vac) > CHARGE_TOL else 0.0
            if m > CHARGE_TOL and abs(m - round(m)) < CHARGE_TOL:
                m = round(m)
                plural = "vacancy" if m == 1 else "vacancies"
                example = Substitution(self.dopant, self.dopant_charge, self.replaces, el, m)
                hint = f"use {m} {el} {plural} per dopant ('{example}')"
                break
        raise ValueError(
            f"Substitution {self} leaves {net:+g} e per dopant with oxidation states "
            f"{oxidation_states}; {hint}."
        )

    def _check_known(self, oxidation_states: dict[str, float]) -> None:
        needed = [self.replaces] + ([self.vacancy_of] if self.n_vacancies else [])
        missing = [el for el in needed if el not in oxidation_states]
        if missing:
            raise ValueError(
                f"No oxidation state given for {', '.join(missing)}; add it to oxidation_states."
            )
