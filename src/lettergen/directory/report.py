"""Offices as other tools and people read them: the stable JSON of `missions list --json` and
`missions for --json`, and the plain-text tables of the same commands.

The JSON keys are a promise to other tools (documented in README, "Finding offices"): add keys,
never rename or drop them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from lettergen.directory import countries, phones
from lettergen.directory.model import Directory, Office
from lettergen.directory.routing import Route
from lettergen.directory.validate import validate
from lettergen.findings import Finding

log = logging.getLogger(__name__)


def country_name(code: str, locale: str = "en") -> str:
    """The country's name for people; the code itself if no name is known."""
    return countries.country_name(code, locale) or code


def display_number(number: str) -> str:
    """An E.164 number in the international format people dial from ("+32 2 374 50 91")."""
    return phones.international(number)


def office_json(office: Office, findings: Iterable[Finding] = ()) -> dict[str, Any]:
    """One office as a JSON object; numbers stay E.164, lists stay lists (empty, not missing)."""
    return {
        "id": office.id,
        "country": office.country,
        "country_name": country_name(office.country),
        "kind": office.kind,
        "city": office.city,
        "addressee": office.role,
        "organisation": office.organisation or None,
        "address": list(office.address),
        "phones": list(office.phones),
        "faxes": list(office.faxes),
        "emails": list(office.emails),
        "website": office.website or None,
        "accredited_to": list(office.accredited_to),
        "served_by": office.served_by or None,
        "notes": list(office.notes),
        "source_line": office.source_line,
        "warnings": [
            {"code": f.code, "message": f.message, "severity": f.severity} for f in findings
        ],
    }


def route_json(route: Route, findings: Iterable[Finding] = ()) -> dict[str, Any]:
    """office_json of the route's office, plus how routing reached it and for which country."""
    record = office_json(route.office, findings)
    record["route"] = {"how": route.how, "for": route.country, "via": route.via or None}
    return record


def findings_by_office(directory: Directory) -> dict[str, list[Finding]]:
    """Validation findings of the directory, grouped by office id (run once, not per office)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in validate(directory):
        if finding.subject:  # the office's id
            grouped.setdefault(finding.subject, []).append(finding)
    return grouped


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> list[str]:
    """Rows as aligned text columns under a header; the last column is not padded."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def office_rows(offices: Iterable[Office]) -> list[list[str]]:
    """One row per office for `missions list`: id, kind, city, country, first fax (for an
    entry covered from abroad, the office to see instead)."""
    return [[o.id, o.kind, o.city, o.country, _fax_cell(o)] for o in offices]


def _fax_cell(office: Office) -> str:
    if office.fax:
        return display_number(office.fax)
    return f"see {office.served_by}" if office.served_by else "-"


OFFICE_HEADERS = ("ID", "KIND", "CITY", "COUNTRY", "FAX")


def route_rows(routes: Iterable[Route]) -> list[list[str]]:
    """One row per route for `missions for`: rank, how (and via whom), then the office row."""
    rows = []
    for rank, r in enumerate(routes, 1):
        how = f"{r.how} ({r.via})" if r.via else r.how
        rows.append([str(rank), how, *office_rows([r.office])[0]])
    return rows


ROUTE_HEADERS = ("#", "HOW", *OFFICE_HEADERS)


def office_lines(office: Office, findings: Iterable[Finding] = ()) -> list[str]:
    """Every field of an office, one per line, for `missions show`."""
    where = f"{office.file}:{office.line}" if office.file else ""
    fields: list[tuple[str, str | Sequence[str] | None]] = [
        ("id", office.id),
        ("kind", office.kind),
        ("country", f"{country_name(office.country)} ({office.country})"),
        ("city", office.city),
        ("addressee", office.role),
        ("organisation", office.organisation),
        ("address", office.address),
        ("phones", [_both_formats(n) for n in office.phones]),
        ("faxes", [_both_formats(n) for n in office.faxes]),
        ("emails", office.emails),
        ("website", office.website),
        ("accredited to", [_country_label(c) for c in office.accredited_to]),
        ("served by", office.served_by),
        ("notes", office.notes),
        ("source line", str(office.source_line) if office.source_line else ""),
        ("record", where),
        ("warnings", [f"{f.code}: {f.message}" for f in findings]),
    ]
    lines = []
    for label, value in fields:
        values = [value] if isinstance(value, str) or value is None else list(value)
        values = [v for v in values if v]
        if not values:
            continue
        lines.append(f"{label + ':':<14} {values[0]}")
        lines.extend(f"{'':<14} {v}" for v in values[1:])
    return lines


def _both_formats(number: str) -> str:
    """ "+49 30 47007125 (in Germany: 030 47007125)": from abroad, and inside the country."""
    national = phones.national(number)
    region = phones.region(number)
    inside = f" (in {country_name(region)}: {national})" if region and national != number else ""
    return display_number(number) + inside


def _country_label(code: str) -> str:
    # accredited_to may hold an organisation kept by name (UNESCO): show it as written.
    name = country_name(code) if len(code) == 2 else code
    return f"{name} ({code})" if name != code else code
