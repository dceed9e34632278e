"""The supporter's form: what they type, cleaned and checked as a signers file row is.

The page and the signers CSV accept and refuse the same names: both clean through
lettergen.util.text (NFC, zero-width characters dropped, bidirectional controls refused, a length a
letter can carry). Every problem is reported beside its field, all at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from lettergen.util import text as hygiene

#: A plain check, enough to catch a typo; the address is only ever shown back, never mailed.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: The fields a supporter may fill in, with the longest text each may hold.
LIMITS = {
    "name": hygiene.MAX_NAME,
    "organisation": hygiene.MAX_NAME,
    "town": hygiene.MAX_NAME,
    "email": 254,
    "message": hygiene.MAX_MESSAGE,  # her own words: one short paragraph
}


class Problem(ValueError):
    """What is wrong with one field, as a key of the page's strings (errors.*)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


def clean(value: str, limit: int) -> str:
    """A text as the letter will carry it (lettergen.util.text.clean, then stripped). What
    lettergen.util.text.refusal refuses is a Problem of its kind ('bidi', 'line_break', 'control',
    'invisible'), as is text longer than `limit` ('too_long')."""
    text = hygiene.clean(value).strip()
    refused = hygiene.refusal(text)
    if refused is not None:
        raise Problem(refused[0])
    if len(text) > limit:
        raise Problem("too_long")
    return text


@dataclass
class SignerForm:
    """The form's fields after cleaning, and its problems by field (keys of errors.*)."""

    name: str = ""
    organisation: str = ""
    town: str = ""
    email: str = ""
    message: str = ""  # her own words, printed as written (line breaks made spaces)
    country: str = ""  # ISO code, from the list of countries
    office: str = ""  # office id, or "" for the office routing picks for `country`
    errors: dict[str, str] = field(default_factory=dict)


def read_form(
    values: dict[str, str], countries: Collection[str], offices: Collection[str]
) -> SignerForm:
    """Read and check the submitted fields; unknown countries and offices are refused."""
    form = SignerForm()
    for key, limit in LIMITS.items():
        value = values.get(key, "")
        if key == "message":  # a paragraph: its line breaks are spaces
            value = hygiene.own_words(value)
        try:
            setattr(form, key, clean(value, limit))
        except Problem as problem:
            form.errors[key] = problem.key
            setattr(form, key, values.get(key, "")[: limit + 1])
    if "name" not in form.errors and not form.name:
        form.errors["name"] = "name_missing"
    if form.email and "email" not in form.errors and not _EMAIL.match(form.email):
        form.errors["email"] = "email"
    form.country = values.get("country", "").strip().upper()
    if form.country and form.country not in countries:
        form.errors["country"] = "country_unknown"
    form.office = values.get("office", "").strip()
    if form.office and form.office not in offices:
        form.errors["office"] = "office_unknown"
    if not form.office and not form.country and "country" not in form.errors:
        # The country is asked first: it is what needs her, not the list she may never open.
        form.errors["country"] = "country_missing"
    return form
