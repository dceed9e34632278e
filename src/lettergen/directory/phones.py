"""Telephone and fax numbers: "(CCAA) local" as directories write them -> E.164, and back.

Directories write a number as a parenthesised prefix (country calling code and area code run
together, "(7095)" for Moscow) followed by the local number, and often leave the prefix off a
second number of the same entry ("tel:(612)9365-3011, fax:9365-3044"): that number shares the
entry's prefix. Numbers are E.164 inside lettergen and formatted only for display.

Which numbers still work is phonenumbers' judgement (Google's libphonenumber metadata), never
ours: a directory from 2002 holds many numbers that have since changed (Moscow's 095 became 495,
Greece and Egypt added digits).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

log = logging.getLogger(__name__)

#: E.164: a plus, a calling code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{4,14}")

#: A number as written: an optional "(prefix)", then digit groups joined by spaces, dots,
#: hyphens or dashes. ASCII digits only: other scripts' digits are not dialable as written.
_NUMBER = re.compile(
    r"(?:\(\s*(?P<prefix>[0-9][0-9 ]*[0-9]|[0-9])\s*\)\s*[-–—]?\s*)?"
    r"(?P<local>[0-9]+(?:[ .\-–—]+[0-9]+)*)"
)


@dataclass(frozen=True)
class Number:
    """A number read from a directory: its E.164 form and how it was split."""

    e164: str
    calling_code: int
    area: str  # area code as written in the prefix ("095"), may be empty
    local: str  # the local digits as written, without separators
    inherited: bool = False  # the prefix came from an earlier number of the entry


@dataclass(frozen=True)
class Issue:
    """A problem with one number: a stable machine-readable code and a sentence."""

    code: str
    message: str


def split_prefix(prefix: str) -> tuple[int, str] | None:
    """Country calling code and area code of a "(CCAA)" prefix: "7095" -> (7, "095"),
    "99412" -> (994, "12"), "375172" -> (375, "172"). None if no calling code starts it.

    Calling codes are a prefix code (no code begins another), so the first known one wins.
    """
    digits = re.sub(r"[^0-9]", "", prefix)
    if digits.startswith("0"):  # a trunk prefix, not a calling code: "(0712)" is not +7
        return None
    for size in (1, 2, 3):
        if len(digits) >= size and int(digits[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:size]), digits[size:]
    return None


def from_parts(prefix: str, local: str, inherited: bool = False) -> Number | None:
    """The number "(prefix) local" in E.164; None if the prefix has no calling code or the
    digits cannot be a phone number (too long, too short)."""
    split = split_prefix(prefix)
    local_digits = re.sub(r"[^0-9]", "", local)
    if split is None or not local_digits:
        return None
    calling_code, area = split
    candidate = f"+{calling_code}{area}{local_digits}"
    if not E164.fullmatch(candidate):
        return None
    try:
        parsed = phonenumbers.parse(candidate)
    except NumberParseException:
        return None
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    if not E164.fullmatch(e164):
        return None
    return Number(e164, calling_code, area, local_digits, inherited)


def find_numbers(text: str, prefix: str = "") -> Iterator[tuple[Number | None, str, str]]:
    """Every number in text as (number or None, the text as written, the prefix in force after
    it). A number without "(prefix)" takes prefix, the one of an earlier number in the entry."""
    for match in _NUMBER.finditer(text):
        own = match.group("prefix")
        local = match.group("local")
        if own:
            prefix = own.replace(" ", "")
        number = from_parts(prefix, local, inherited=not own) if prefix else None
        yield number, match.group(0).strip(), prefix


def _parse(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164)
    except NumberParseException:
        return None


def is_e164(number: str) -> bool:
    return bool(E164.fullmatch(number))


def international(e164: str) -> str:
    """ "+32 2 374 50 91": the form to dial from abroad; the number as stored if unparsable."""
    parsed = _parse(e164)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL) if parsed else e164


def display(e164: str) -> str:
    """ "+82 2 548 1416": the international form with spaces between the groups, one style for
    every country (phonenumbers writes some with hyphens: "+82 2-548-1416")."""
    return re.sub(r"[\s\-–.]+", " ", international(e164)).strip()


def national(e164: str) -> str:
    """ "02 374 50 91": the form to dial inside the country; the number as stored if unparsable."""
    parsed = _parse(e164)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL) if parsed else e164


def region(e164: str) -> str | None:
    """The ISO code of the country a number belongs to today; None if it cannot be told (an
    invalid number, a calling code several countries share without a telling prefix)."""
    parsed = _parse(e164)
    return phonenumbers.region_code_for_number(parsed) if parsed else None


def calling_code(e164: str) -> int | None:
    parsed = _parse(e164)
    return parsed.country_code if parsed else None


def calling_code_for_country(country: str) -> int | None:
    """The calling code of an ISO country code (US and CA both +1); None for unknown codes."""
    code = phonenumbers.country_code_for_region(country.upper())
    return int(code) if code else None


def is_valid_today(e164: str) -> bool:
    parsed = _parse(e164)
    return bool(parsed and phonenumbers.is_valid_number(parsed))


def is_mobile(e164: str) -> bool:
    # Only numbers known to be mobiles: in the NANP (+1) fixed and mobile numbers share ranges
    # (FIXED_LINE_OR_MOBILE), and a fax there is almost always a fixed line.
    parsed = _parse(e164)
    return bool(parsed and phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE)


def number_issues(e164: str, country: str, what: str = "number") -> list[Issue]:
    """The problems of one number of an office in country: not dialable as written today, a
    calling code of another country, a mobile where a fax is expected."""
    issues: list[Issue] = []
    parsed = _parse(e164)
    if parsed is None:
        return issues
    if not phonenumbers.is_valid_number(parsed):
        issues.append(
            Issue(
                "number-invalid-today",
                f"{what} {e164} is not valid under today's numbering plan "
                "(changed since the directory was written?)",
            )
        )
    # Compared by calling code: a number of another country is often invalid today as well,
    # so its region cannot be told from the number itself.
    expected = calling_code_for_country(country)
    actual = int(parsed.country_code or 0)
    if expected is not None and actual != expected:
        regions = phonenumbers.region_codes_for_country_code(actual)
        owner = "/".join(r for r in regions if r != "001") or "an international service"
        issues.append(
            Issue(
                "number-foreign-country",
                f"{what} {e164} has calling code +{actual} ({owner}), not +{expected} of {country}",
            )
        )
    if what == "fax" and phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE:
        issues.append(Issue("fax-is-mobile", f"fax {e164} is a mobile number"))
    return issues


def shared(numbers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(owner, number) pairs -> the numbers held by more than one owner, with their owners."""
    owners: dict[str, list[str]] = {}
    for owner, number in numbers:
        if owner not in owners.setdefault(number, []):
            owners[number].append(owner)
    return {number: names for number, names in owners.items() if len(names) > 1}
