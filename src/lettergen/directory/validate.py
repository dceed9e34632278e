"""Check a directory: findings with stable codes, each naming the office and its YAML line.

Errors make the directory unusable for routing or letters (an entry served by nobody, a country
code that does not exist, a number that is not E.164). Warnings are facts a campaign should know
before faxing (a number that no longer dials, a fax shared by two offices) but that do not stop
it. The codes are a promise to other tools: add codes, never rename them. A finding's subject is
its office's id, its place the office's record (lettergen.findings).
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable

from lettergen.directory import countries, phones
from lettergen.directory.emails import email_problem
from lettergen.directory.model import Directory, Office
from lettergen.directory.routing import follow
from lettergen.errors import InputError
from lettergen.findings import ERROR, WARNING, Codes, Finding
from lettergen.findings import finding_line as finding_line  # what `missions validate` prints

log = logging.getLogger(__name__)

#: Every code validate() reports, with its severity and meaning (README, "Validation codes").
CODES = Codes(
    {
        "country-unknown": (
            ERROR,
            "country or accredited_to holds a code that is no ISO 3166 country",
        ),
        "number-syntax": (ERROR, "a phone or fax number is not in E.164 form (+ and 5-15 digits)"),
        "served-by-missing": (ERROR, "a non-resident entry names no office in served_by"),
        "served-by-unknown": (ERROR, "served_by names an id that is not in the directory"),
        # Routing follows such a chain to its end; naming the acting office directly is clearer.
        "served-by-non-resident": (WARNING, "served_by names another non-resident entry"),
        "served-by-cycle": (ERROR, "served_by entries point at each other in a loop"),
        "number-invalid-today": (WARNING, "a number is not valid under today's numbering plan"),
        "number-foreign-country": (WARNING, "a number's calling code is not the office country's"),
        "fax-shared": (WARNING, "the same fax number belongs to more than one office"),
        "fax-is-mobile": (WARNING, "a fax number is a mobile number"),
        "no-fax": (WARNING, "an office has no fax number"),
        "email-syntax": (WARNING, "an e-mail address is not well formed"),
        "email-domain": (
            WARNING,
            "an e-mail address's domain takes no mail (looked up only with --check-mail)",
        ),
        "no-channel": (
            WARNING,
            "an office has no working channel: no fax valid today, no usable e-mail, no address",
        ),
        "no-address": (WARNING, "an office has no street address (none, or only its city)"),
        "no-city": (WARNING, "an office has no city"),
        # Only with a --max-age: the shipped 2002 directory is historical and was never checked.
        "never-verified": (WARNING, "a record has no verified date"),
        "verified-long-ago": (WARNING, "a record was last verified longer ago than the max age"),
    }
)


def _finding(code: str, message: str, office: Office) -> Finding:
    return CODES.finding(code, message, office.place(), office.id)


def _country_findings(office: Office) -> list[Finding]:
    found = []
    if not countries.is_country(office.country):
        found.append(_finding("country-unknown", f"country {office.country!r} is unknown", office))
    for item in office.accredited_to:
        # Two capitals mean an ISO code; anything else is an organisation kept by name.
        if len(item) == 2 and item.isalpha() and item.isupper() and not countries.is_country(item):
            found.append(
                _finding("country-unknown", f"accredited_to {item!r} is no ISO country", office)
            )
    return found


def _number_findings(office: Office) -> list[Finding]:
    found = []
    for what, numbers in (("phone", office.phones), ("fax", office.faxes)):
        for number in numbers:
            if not phones.is_e164(number):
                found.append(
                    _finding(
                        "number-syntax",
                        f"{what} {number!r} is not E.164 (write it as +<country code><number>)",
                        office,
                    )
                )
                continue
            for issue in phones.number_issues(number, office.country, what):
                found.append(_finding(issue.code, issue.message, office))
    if office.resident and not office.faxes:
        found.append(_finding("no-fax", "no fax number: letters must go by post", office))
    return found


def _place_findings(office: Office) -> list[Finding]:
    """A letter by post needs a street and a city; a fax letter prints them in its address."""
    if not office.resident:
        return []
    found = []
    if not office.city.strip():
        found.append(_finding("no-city", "no city", office))
    lines = [line.strip().casefold() for line in office.address if line.strip()]
    if not lines:
        found.append(_finding("no-address", "no address", office))
    elif lines == [office.city.strip().casefold()]:
        found.append(_finding("no-address", "the address is only the city: no street", office))
    return found


_AGE = re.compile(r"\s*(\d+)\s*([ymwd])\s*")
_DAYS = {"y": 365, "m": 30, "w": 7, "d": 1}


def parse_age(text: str) -> datetime.timedelta:
    """'2y', '18m', '6w', '90d' (years and months counted as 365 and 30 days)."""
    match = _AGE.fullmatch(text.lower())
    if not match:
        raise InputError(
            f"max age {text!r} is not a number and a unit",
            hint="write e.g. 2y, 18m, 6w or 90d",
        )
    return datetime.timedelta(days=int(match[1]) * _DAYS[match[2]])


def _age_findings(
    office: Office, max_age: datetime.timedelta, today: datetime.date
) -> list[Finding]:
    if not office.verified:
        return [_finding("never-verified", "never verified", office)]
    checked = datetime.date.fromisoformat(office.verified)
    if today - checked > max_age:
        return [
            _finding(
                "verified-long-ago",
                f"last verified {office.verified}, {(today - checked).days} days ago",
                office,
            )
        ]
    return []


def _served_by_findings(office: Office, directory: Directory) -> list[Finding]:
    if office.resident and not office.served_by:
        return []
    chain = follow(directory, office)
    if chain.broken == "cycle":
        loop = " -> ".join(entry.id for entry in chain.path)
        return [_finding("served-by-cycle", f"served_by loops: {loop}", office)]
    if len(chain.path) > 1:  # the chain passes through another non-resident entry
        return [
            _finding(
                "served-by-non-resident",
                f"served_by {office.served_by!r} is itself non-resident (routing follows the "
                "chain; naming the office acting for it is clearer)",
                office,
            )
        ]
    if chain.broken == "missing":
        return [_finding("served-by-missing", "a non-resident entry needs served_by", office)]
    if chain.broken == "unknown":
        return [
            _finding(
                "served-by-unknown",
                f"served_by {office.served_by!r} is not an office id of this directory",
                office,
            )
        ]
    return []


def _email_findings(office: Office, lookup: Callable[[str], str | None] | None) -> list[Finding]:
    """Each e-mail address well formed; with `lookup` (missions validate --check-mail), its
    domain asked for a mail server too."""
    found = []
    for address in office.emails:
        problem = email_problem(address)
        if problem is None and lookup is not None:
            problem = lookup(address)
            if problem is not None:
                found.append(_finding("email-domain", problem, office))
            continue
        if problem is not None:
            found.append(_finding("email-syntax", problem, office))
    return found


def _channel_findings(office: Office, found: list[Finding]) -> list[Finding]:
    """A resident office no letter can reach: every fax invalid today (or none), no e-mail that
    passed the checks above, and no street address for post."""
    if not office.resident:
        return []
    invalid = [f.message for f in found if f.code == "number-invalid-today"]
    dead_faxes = {
        number
        for number in office.faxes
        if not phones.is_e164(number) or any(m.startswith(f"fax {number} ") for m in invalid)
    }
    bad_mail = sum(1 for f in found if f.code in ("email-syntax", "email-domain"))
    has_address = not any(f.code == "no-address" for f in found) and bool(office.address)
    if set(office.faxes) - dead_faxes or len(office.emails) > bad_mail or has_address:
        return []
    return [
        _finding(
            "no-channel",
            "no working channel: no fax valid today, no usable e-mail and no street address",
            office,
        )
    ]


def validate(
    directory: Directory,
    max_age: datetime.timedelta | None = None,
    today: datetime.date | None = None,
    *,
    check_mail: Callable[[str], str | None] | None = None,
) -> list[Finding]:
    """Every finding of the directory, errors and warnings, in office order. With max_age,
    records never verified or verified longer ago than that are reported too; with check_mail
    (an address → its domain's problem, e.g. emails.domain_problem), e-mail domains are looked
    up."""
    by_office: dict[str, list[Finding]] = {}
    day = today or datetime.date.today()
    for office in directory:
        found = _country_findings(office)
        found += _number_findings(office)
        found += _place_findings(office)
        found += _served_by_findings(office, directory)
        found += _email_findings(office, check_mail)
        found += _channel_findings(office, found)
        if max_age is not None:
            found += _age_findings(office, max_age, day)
        by_office.setdefault(office.id, []).extend(found)
    faxes = [(o.id, n) for o in directory for n in dict.fromkeys(o.faxes)]
    for number, owners in phones.shared(faxes).items():
        for owner in owners:
            others = ", ".join(o for o in owners if o != owner)
            office = directory.get(owner)
            by_office[owner].append(
                _finding("fax-shared", f"fax {number} is also the fax of {others}", office)
            )
    findings = [f for office in directory for f in by_office.pop(office.id, [])]
    log.debug("%d findings", len(findings))
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)
