"""Which offices handle a country: resident offices first, then heads of mission covering it
from abroad.

A letter about a country goes first to the offices the sending state keeps there. Where it keeps
none (or besides them), the directory names a head of mission who covers the country from
abroad, in two ways: an office's ``accredited_to`` list ("Ambassador cross-accredited to
Luxembourg, Netherlands"), and an entry's ``served_by`` ("Ambassador with residence in Cairo /
for information see Egypt"). Routing collects all of them, each office once, in a stable order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lettergen.directory import countries
from lettergen.directory.model import Directory, Office
from lettergen.errors import DataError, InputError

log = logging.getLogger(__name__)

#: Resident offices by rank: a letter to a country goes to its embassy before its consulates.
#: A permanent mission is missing on purpose: the mission to the UN in New York represents the
#: sending state to the UN, not to the USA, so it is reached only through its accredited_to.
RESIDENT_RANK: dict[str, int] = {
    "embassy": 0,
    "consulate-general": 1,
    "consulate": 2,
    "mission": 3,
    "visa-office": 3,
}

#: How a route reaches its office, in the order routing ranks them.
HOWS: tuple[str, ...] = ("resident", "served-by", "accredited")


@dataclass(frozen=True)
class Route:
    """One office that handles a country, and how it was found."""

    office: Office
    how: str  # one of HOWS
    country: str  # ISO code of the country the office is reached for
    via: str = ""  # served-by: the id of the entry whose served_by led here


def country_code(country: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code or a country name ("United States" -> US)."""
    code = countries.country_code(country)
    if code is None:
        close = countries.suggest(country)
        raise InputError(
            f"unknown country {country!r}",
            hint=f"did you mean {close}?" if close else "give an ISO 3166 code such as NL",
        )
    return code


@dataclass(frozen=True)
class Chain:
    """Where an entry's served_by chain leads: the entries walked (the entry first), and the
    resident office it ends at — or, for a broken chain, how it broke."""

    path: tuple[Office, ...]
    end: Office | None
    broken: str = ""  # "missing" (an entry names no office), "unknown" (an id), or "cycle"
    target: str = ""  # for "unknown": the id that is not in the directory


def follow(directory: Directory, office: Office) -> Chain:
    """Walk served_by from `office` until a resident office, a gap or a loop. Each step may land
    on another non-resident entry ("see Ukraine", and Ukraine is covered from Moscow)."""
    path = [office]
    while True:
        current = path[-1]
        if not current.served_by:
            return Chain(tuple(path), None, "missing")
        if current.served_by not in directory:
            return Chain(tuple(path), None, "unknown", current.served_by)
        target = directory.get(current.served_by)
        if any(target.id == seen.id for seen in path):
            return Chain((*path, target), None, "cycle")
        if target.resident:
            return Chain(tuple(path), target)
        path.append(target)


def serving_office(directory: Directory, office: Office) -> Office:
    """The resident office at the end of office's served_by chain; a chain that names an
    unknown id, loops, or stops at an entry naming nobody is a DataError."""
    chain = follow(directory, office)
    if chain.end is not None:
        return chain.end
    last = chain.path[-1]
    if chain.broken == "missing":
        raise DataError(
            f"served_by chain {_arrows(list(chain.path))} ends at {last.id!r}, "
            "a non-resident entry naming no office",
            last.place("served_by"),
            hint="set its served_by to the id of a resident office",
        )
    if chain.broken == "unknown":
        raise DataError(
            f"served_by {chain.target!r} is not an office id of this directory",
            last.place("served_by"),
            hint="'lettergen missions list' shows the ids",
        )
    raise DataError(
        f"served_by cycle: {_arrows(list(chain.path))}",
        office.place("served_by"),
        hint="point one of them at a resident office",
    )


def _arrows(chain: list[Office]) -> str:
    return " -> ".join(office.id for office in chain)


def served_by_errors(directory: Directory) -> list[DataError]:
    """Every broken served_by chain of the directory, for a validator to report at once."""
    errors: list[DataError] = []
    for office in directory:
        if office.served_by:
            try:
                serving_office(directory, office)
            except DataError as exc:
                errors.append(exc)
    return errors


def route(directory: Directory, country: str) -> list[Route]:
    """The offices handling a country (ISO code or name), best first; [] if nobody does.

    1. resident offices there, embassy before consulate-general before consulate before
       mission and visa office, directory order within a rank;
    2. offices named by the served_by chains of entries for that country (the directory's own
       "for information see ..." for it);
    3. offices whose head is accredited_to that country, in directory order.
    Each office appears once, under the first way that reached it.
    """
    code = country_code(country)
    routes: list[Route] = []
    seen: set[str] = set()

    def add(office: Office, how: str, via: str = "") -> None:
        if office.id not in seen:
            seen.add(office.id)
            routes.append(Route(office, how, code, via))

    resident = [o for o in directory if o.country == code and o.kind in RESIDENT_RANK]
    for office in sorted(resident, key=lambda o: RESIDENT_RANK[o.kind]):  # sorted() is stable
        add(office, "resident")
    for office in directory:
        # A permanent mission's country is its host's, not one it speaks to: skip its served_by.
        if office.country == code and office.served_by and office.kind != "permanent-mission":
            add(serving_office(directory, office), "served-by", office.id)
    for office in directory:
        if office.resident and code in (item.upper() for item in office.accredited_to):
            add(office, "accredited")
    log.debug("%s: %d office(s)", code, len(routes))
    return routes
