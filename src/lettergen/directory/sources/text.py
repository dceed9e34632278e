"""Free text -> Directory: read a published directory of a state's offices abroad.

A directory text is a run of entries. Each entry starts with a heading line, a country name, a
dash and what the state keeps there:

    Germany – Embassy (Berlin)
    Pakistan – Consulate-General (Meshed)
    Algeria – Ambassador with residence in Cairo

followed by body lines: notes in parentheses ("(Ambassador cross-accredited to Greece and
Malta)"), address lines, "tel: (4930) 470-07-111, fax 470-07-125" lines, e-mails, web sites, and
for a country covered from abroad "for information see Egypt". Real directories are typed by
hand, so dashes, spaces and spellings vary; the importer tolerates that and says what it
guessed. Every non-blank line ends up in an entry or in the report's unplaced lines (with its
line number): nothing is dropped silently. Lines starting with "#" are comments.

The importer never raises on odd text, except InputError when no entry at all is found.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from lettergen.directory import countries, phones
from lettergen.directory.model import Directory, Office, dump_directory
from lettergen.errors import InputError, Place
from lettergen.util import yamlio
from lettergen.util.slugs import ascii_slug

log = logging.getLogger(__name__)

#: International organisations a heading may name instead of a country, with their seat: the
#: permanent mission to the UN sits in New York although the heading names no city.
ORGANISATION_NAMES: dict[str, str] = {
    "united nations organization": "UN",
    "united nations organisation": "UN",
    "united nations": "UN",
    "un": "UN",
    "uno": "UN",
}
ORGANISATION_SEATS: dict[str, tuple[str, str]] = {
    "UN": ("US", "New York"),
    "UNOG": ("CH", "Geneva"),
    "UNOV": ("AT", "Vienna"),
    "UNESCO": ("FR", "Paris"),
}

# A heading's office words, most specific first ("Consulate General" before "Consulate"), each
# ending on a word boundary.
_KIND_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"permanent\s*mission\b(?:\s+to\b[^()]*)?", "permanent-mission"),
        (r"mission\s+to\s+the\s+united\s+nations\b[^()]*", "permanent-mission"),
        (r"consulate[\s-]*general\b", "consulate-general"),
        (r"general\s+consulate\b", "consulate-general"),
        (r"consulate\b", "consulate"),
        (r"embassy\b", "embassy"),
        (
            r"(?:passport[\s-]*(?:and\s+)?)?visa(?:[\s-]*(?:office|servi[cs]e|section))?\b",
            "visa-office",
        ),
        (r"passport(?:[\s-]*(?:office|servi[cs]e))?\b", "visa-office"),
        (r"(?:diplomatic\s+)?mission\b", "mission"),
        (r"ambassador\s+with\s+residence\b", "non-resident"),
    )
)
# What follows an office word in a heading: "(City)", "in City", or the end of the line. A line
# like "Consular department - visa questions" is no heading.
_AFTER_KIND = re.compile(r"[\s.,:;]*(?:\(|$)|\s+(?i:in|at)\s+(?![a-z])[^\W\d_]")
_DASH = re.compile(r"\s*[-–—]+\s*")
_PARENS = re.compile(r"\(([^()]*)\)")
# "residence in Cairo", also typed "residence inNew York".
_RESIDENCE = re.compile(
    r"(?i:ambassador\s+with\s+residence\s+in)(?:\b|(?=[A-Z]))\s*(?P<city>[^/,;()]*)"
)
_SEE = re.compile(r"(?i:for\s+information\s+see)\s+(?P<country>[^/;()]+)")
_ACCREDITED = re.compile(r"(?i:(?:cross[\s-]*)?accredited\s+to)\s+(?P<list>[^()]+)")
_DELEGATION = re.compile(r"(?i:delegation\s+to)\s+(?:(?i:the)\s+)?(?P<org>[^()/,;]+)")
_LABEL = re.compile(
    r"(?i)\b(?P<label>tel\s*/\s*fax|tel\s*\+\s*fax|telefax|telephone|phone|tel|fax)\b"
    r"(?![-–][^\W\d_])\.?\s*:?"
)
# An address starts where a run of its characters starts (the look-behind): tried from every
# letter of a long run, the pattern would scan to the run's end each time, quadratic in the
# line's length.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s,;()<>]+")
_NUMBER_CHARS = frozenset("0123456789() \t.,-–—/")


def _only_numbers(text: str) -> bool:
    """A line of nothing but numbers ("216-67-872, 216-66021"): it continues the label before."""
    return any(c.isdigit() for c in text) and set(text) <= _NUMBER_CHARS


@dataclass(frozen=True)
class Unplaced:
    """A line of the source that belongs to no entry, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class LineWarning:
    """Something the importer guessed or could not read, at a line of the source."""

    line: int
    message: str


@dataclass
class ImportReport:
    """What an import produced: the directory, and everything a person should look at."""

    directory: Directory
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)
    comments: dict[str, list[str]] = field(default_factory=dict)  # office id -> YAML comments
    #: Source line → the id of the office it was read into (its heading and the lines its
    #: address, numbers and notes came from); with `unplaced`, every line that has text.
    placed: dict[int, str] = field(default_factory=dict)

    @property
    def offices(self) -> list[Office]:
        return self.directory.resident_offices

    @property
    def non_resident(self) -> list[Office]:
        return [o for o in self.directory if not o.resident]


@dataclass
class _Heading:
    country: str  # ISO code, "" if unknown
    country_text: str
    kind: str | None  # None: only "(City)" given, decided by the body
    city: str
    organisation: str = ""
    residence: str = ""
    see: str = ""
    accredited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    heading: _Heading
    line: int
    text: str
    body: list[tuple[int, str]] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    faxes: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    see_line: int = 0
    used: list[int] = field(default_factory=list)  # body lines read into the office

    @property
    def has_contact(self) -> bool:
        return bool(self.address or self.phones or self.faxes or self.emails)


def _clean(line: str) -> str:
    text = unicodedata.normalize("NFC", line)
    text = "".join(" " if unicodedata.category(c)[0] in "ZC" else c for c in text)
    return re.sub(r" {2,}", " ", text).strip()


def _country_of(name: str) -> str:
    """The ISO code of a heading's country name; "" if unknown. Lower-case two-letter words
    ("in", "at") are words, not codes."""
    text = name.strip(" .,:;")
    if len(text) == 2 and not text.isupper():
        return ""
    return countries.country_code(text) or ""


def _organisation_of(name: str) -> str:
    return ORGANISATION_NAMES.get(countries.normalise(name), "")


def _kind_of(rest: str) -> tuple[str | None, str] | None:
    """The office kind a heading's right-hand side starts with, and the text after the kind
    word; (None, rest) when it starts with "(City)"; None if it is no heading."""
    text = rest.lstrip()
    if text.startswith("("):
        return None, text
    for pattern, kind in _KIND_WORDS:
        match = pattern.match(text)
        if not match:
            continue
        if kind == "non-resident":
            return kind, text
        if _AFTER_KIND.match(text, match.end()):
            return kind, text[match.end() :]
    return None


def _city_of(text: str) -> str:
    for match in _PARENS.finditer(text):
        inside = match.group(1).strip()
        if inside and not re.search(r"(?i)ambassador|accredited|residence", inside):
            return inside
    tail = re.match(r"\s*(?:in|at)\s+([^()/,;]+)", text)
    if tail and not re.search(r"(?i)ambassador", tail.group(1)):
        return tail.group(1).strip()
    return ""


def _residence_of(text: str) -> str:
    match = _RESIDENCE.search(text)
    if not match:
        return ""
    city = re.split(r"(?i)\s*for\s+information", match.group("city"))[0]
    return city.strip(" -–")


def parse_heading(line: str) -> _Heading | None:
    """A heading line ("Azerbaijan -Embassy (Baku)") read into its parts; None if the line is
    not a heading. A country name that is not known still makes a heading (country "")."""
    if _URL.search(line) or _EMAIL.search(line):
        return None  # a heading holds no web or e-mail address; "kazakhstan-visa.org" is none
    unknown: _Heading | None = None
    lead = len(line) - len(line.lstrip())
    for dash in _DASH.finditer(line):
        if dash.start() - lead > 60:
            break  # every later dash leaves a longer left side: stop before slicing each
        left, rest = line[: dash.start()].strip(), line[dash.end() :]
        if not left or len(left) > 60 or not re.search(r"[^\W\d_]", left):
            continue
        found = _kind_of(rest)
        if found is None:
            continue
        organisation = _organisation_of(left)
        country = "" if organisation else _country_of(left)
        heading = _heading(left, country, organisation, found[0], found[1], rest)
        if country or organisation:
            return heading
        # A name may hold a hyphen ("Guinea-Bissau – Embassy"): a later dash may split better.
        unknown = unknown or heading
    return unknown


def _heading(
    left: str, country: str, organisation: str, kind: str | None, after: str, rest: str
) -> _Heading:
    city = _city_of(after) if kind != "non-resident" else ""
    heading = _Heading(country, left, kind, city, organisation)
    heading.residence = _residence_of(rest)
    see = _SEE.search(rest)
    if see:
        heading.see = see.group("country").strip(" .")
    accredited = _ACCREDITED.search(rest)
    if accredited:
        heading.accredited.extend(_accreditation_list(accredited.group("list")))
    if kind == "permanent-mission" and not heading.organisation:
        heading.organisation = _mission_organisation(rest, city)
    # What the heading says besides kind and city ("Ambassador with residence in Budapest",
    # jammed on after "(Prague)") is kept as a note.
    note = _PARENS.sub(lambda m: "" if m.group(1).strip() == city else m.group(1), after)
    note = _clean(note).strip(" ()-–.,")
    if note and kind != "non-resident":
        heading.notes.append(note)
    return heading


def _mission_organisation(rest: str, city: str) -> str:
    text = countries.normalise(rest)
    place = countries.canonical_city(city)
    if "europe" in text or "geneva" in text or place == "Geneva":
        return "UNOG"
    if "vienna" in text or place == "Vienna":
        return "UNOV"
    if "unesco" in text or place == "Paris":
        return "UNESCO"
    return "UN"


def _accreditation_list(text: str) -> list[str]:
    """ "Luxembourg, Netherlands and international organizations in Brussels" -> ["LU", "NL",
    "international organizations in Brussels"]: countries as ISO codes, anything else (an
    organisation) kept as written, from the first such item to the end."""
    text = text.strip(" .)")
    parts = [p for p in re.split(r"\s*,\s*|\s+and\s+|\s*;\s*", text) if p.strip(" .")]
    result: list[str] = []
    for index, part in enumerate(parts):
        code = countries.country_code(part.strip(" ."))
        if code:
            if code not in result:
                result.append(code)
            continue
        if any(countries.country_code(p.strip(" .")) for p in parts[index + 1 :]):
            result.append(part.strip(" ."))
            continue
        # The rest is one organisation's name, "and" included: cut it from the text as written.
        position = text.find(part)
        rest = text[position:] if position >= 0 else " ".join(parts[index:])
        rest = re.sub(r"(?i)^(?:the|other)\s+", "", rest.strip(" ."))
        if rest:
            result.append(rest)
        break
    return result


def _read_contacts(entry: _Entry, line_no: int, text: str, state: _ReadState) -> bool:
    """Numbers of a "tel: ... fax: ..." line into the entry; False if the line has none."""
    labels = list(_LABEL.finditer(text))
    if not labels and not (state.label and _only_numbers(text)):
        return False
    segments: list[tuple[str, str]] = []
    if labels and labels[0].start() > 0:
        segments.append((state.label, text[: labels[0].start()]))
    elif not labels:
        segments.append((state.label, text))
    for index, label in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        word = re.sub(r"\s+", "", label.group("label").lower())
        kind = "tel/fax" if "/" in word or "+" in word or word == "telefax" else word
        kind = "tel" if kind in ("telephone", "phone") else kind
        segments.append((kind, text[label.end() : end]))
    for kind, segment in segments:
        if kind:
            state.label = kind
        for number, written, prefix in phones.find_numbers(segment, state.prefix):
            state.prefix = prefix
            if number is None:
                why = (
                    "no (prefix) before it or earlier in the entry" if not prefix else "unreadable"
                )
                state.warn(line_no, f"number {written!r} skipped: {why}")
                continue
            if kind in ("tel", "tel/fax", "") and number.e164 not in entry.phones:
                entry.phones.append(number.e164)
            if kind in ("fax", "tel/fax") and number.e164 not in entry.faxes:
                entry.faxes.append(number.e164)
    return True


@dataclass
class _ReadState:
    warnings: list[LineWarning]
    label: str = ""
    prefix: str = ""

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(LineWarning(line, message))


def _read_body(entry: _Entry, warnings: list[LineWarning], unplaced: list[Unplaced]) -> None:
    state = _ReadState(warnings)
    contact_started = False
    for line_no, raw in entry.body:
        text = raw
        see = _SEE.search(text)
        if see:
            entry.heading.see = see.group("country").strip(" .")
            entry.see_line = line_no
            entry.used.append(line_no)
            continue
        # One pass each (sub, not a replace per address), so a line of many addresses stays
        # linear in its length.
        urls = _URL.findall(text)
        entry.websites.extend(url.rstrip(".") for url in urls)
        text = _URL.sub(" ", text) if urls else text
        known = set(entry.emails)
        emails = _EMAIL.findall(text)
        for email in emails:
            if email not in known:
                known.add(email)
                entry.emails.append(email.rstrip("."))
        if urls or emails:
            entry.used.append(line_no)
        text = _clean(_EMAIL.sub(" ", text))
        if urls and text:
            entry.heading.notes.append(f"{text.strip(' :')}: {' '.join(urls)}")
            continue
        accredited = _ACCREDITED.search(text)
        residence = _residence_of(text)
        delegation = _DELEGATION.search(text)
        if accredited or residence or delegation:
            if accredited:
                entry.heading.accredited.extend(_accreditation_list(accredited.group("list")))
            if residence:
                entry.heading.residence = entry.heading.residence or residence
            if delegation:
                entry.heading.accredited.append(delegation.group("org").strip(" ."))
            entry.heading.notes.append(text.strip(" ()"))
            entry.used.append(line_no)
            continue
        if _read_contacts(entry, line_no, text, state):
            contact_started = True
            entry.used.append(line_no)
            continue
        if not text or not re.search(r"[^\W_]", text):
            continue
        if contact_started:
            # Text after an entry's numbers is rarely its address: more likely the prose that
            # follows the directory. Reported, not guessed.
            unplaced.append(
                Unplaced(line_no, raw, f"after the numbers of the entry at line {entry.line}")
            )
            continue
        entry.address.append(text.rstrip(" ,;"))
        entry.used.append(line_no)


def _split(lines: list[str]) -> tuple[list[_Entry], list[Unplaced], list[LineWarning]]:
    entries: list[_Entry] = []
    unplaced: list[Unplaced] = []
    warnings: list[LineWarning] = []
    current: _Entry | None = None
    skipping = False  # inside an entry whose heading names no known country
    for number, raw in enumerate(lines, 1):
        text = _clean(raw)
        if not text or text.startswith("#"):
            continue
        heading = parse_heading(text)
        if heading and (heading.country or heading.organisation):
            current = _Entry(heading, number, text)
            entries.append(current)
            skipping = False
            continue
        if heading and current is not None and not (heading.city or heading.residence):
            # "Consular department – Visa section": inside an entry, a line shaped like a heading
            # whose left side is no country, and that names no city, is more likely the entry's
            # own text. With a city ("Kirghizia – Embassy (Bishkek)") it starts an entry of its
            # own, skipped below: its numbers must never land on the office before it.
            warnings.append(
                LineWarning(
                    number,
                    f"{heading.country_text!r} is no known country: line read as text of the"
                    f" entry at line {current.line}",
                )
            )
            current.body.append((number, text))
            continue
        if heading:
            hint = countries.suggest(heading.country_text)
            warnings.append(
                LineWarning(
                    number,
                    f"unknown country name {heading.country_text!r}"
                    + (f" (did you mean {hint}?)" if hint else "")
                    + ": entry skipped",
                )
            )
            unplaced.append(Unplaced(number, text, "heading with an unknown country name"))
            current, skipping = None, True
            continue
        if current is None:
            reason = "in an entry that was skipped" if skipping else "before the first entry"
            unplaced.append(Unplaced(number, text, reason))
            continue
        current.body.append((number, text))
    return entries, unplaced, warnings


def _id_for(entry: _Entry, kind: str, country: str, city: str) -> str:
    if kind == "non-resident":
        return f"{country.lower()}-non-resident"
    suffix = kind
    if kind == "permanent-mission":
        organisation = entry.heading.organisation
        suffix = (
            "un" if organisation in ("UN", "UNOG", "UNOV") else ascii_slug(organisation)
        ) + "-mission"
    place = ascii_slug(countries.canonical_city(city)) if city else ""
    return "-".join(part for part in (country.lower(), place, suffix) if part)


def _office(entry: _Entry, warnings: list[LineWarning], unplaced: list[Unplaced]) -> Office:
    heading = entry.heading
    kind = heading.kind
    comments = entry.comments
    country, city = heading.country, heading.city
    if heading.organisation and not country:
        country, seat = ORGANISATION_SEATS.get(heading.organisation, ("", ""))
        city = city or seat
        comments.append(
            f"country and city: the seat of the {heading.organisation} ({seat}); "
            "the heading names an organisation"
        )
    if kind is None:
        if entry.has_contact:
            # "United Arab Emirates – (Dubai) Ambassador with residence in Riyadh": an office
            # with its own address and numbers, headed from elsewhere. The text gives no rank;
            # "consulate" invents none (a consul general addressed as consul is a lesser slip
            # than the reverse).
            kind = "consulate"
            comments.append(
                "kind: the heading names no office type, only a city and a head of mission "
                "residing elsewhere; it has its own address and numbers, so it is read as a "
                "consulate (check its rank)"
            )
        else:
            kind = "non-resident"
    if kind == "non-resident":
        city = city or heading.residence
        # Only the "for information see" line is read; every other line is reported (a second
        # "see" line too), and none counts as read into the office.
        for line_no, text in entry.body:
            if line_no != entry.see_line:
                unplaced.append(
                    Unplaced(line_no, text, f"under the non-resident entry at line {entry.line}")
                )
        entry.used = [n for n in entry.used if n == entry.see_line]
        notes = [f"Ambassador with residence in {heading.residence}"] if heading.residence else []
        if heading.see:
            notes.append(f"for information see {heading.see}")
        return Office(
            id=_id_for(entry, kind, country, city),
            country=country,
            kind=kind,
            city=city,
            notes=tuple(notes),
            source_line=entry.line,
        )
    if heading.residence and kind != "non-resident":
        comments.append(f"head of mission resides in {heading.residence}: kept as a note")
    if not city:
        warnings.append(LineWarning(entry.line, "no city in the heading"))
    return Office(
        id=_id_for(entry, kind, country, city),
        country=country,
        kind=kind,
        city=city,
        organisation=heading.organisation,
        address=tuple(entry.address),
        phones=tuple(entry.phones),
        faxes=tuple(entry.faxes),
        emails=tuple(entry.emails),
        website=entry.websites[0] if entry.websites else "",
        accredited_to=tuple(dict.fromkeys(a for a in heading.accredited if a != country)),
        notes=tuple(dict.fromkeys(n for n in heading.notes if n)),
        source_line=entry.line,
    )


def _serving(office: Office, entry: _Entry, residents: list[Office]) -> tuple[str, str]:
    """The id of the office acting for a non-resident entry, and how it was chosen."""

    def rank(candidate: Office) -> tuple[bool, bool, bool]:
        return (
            office.country not in candidate.accredited_to,
            candidate.kind != "embassy",
            not countries.same_city(candidate.city, entry.heading.residence),
        )

    see = countries.country_code(entry.heading.see) if entry.heading.see else None
    if see:
        candidates = [o for o in residents if o.country == see]
        if candidates:
            return min(candidates, key=rank).id, f"'for information see {entry.heading.see}'"
    if entry.heading.residence:
        candidates = [o for o in residents if countries.same_city(o.city, entry.heading.residence)]
        if candidates:
            chosen = min(candidates, key=rank)
            if office.country in chosen.accredited_to:
                why = f"the office in {chosen.city} accredited to {office.country}"
            else:
                why = (
                    f"the office in {chosen.city}, where the head of mission resides; the"
                    f" directory does not list it as accredited to {office.country}"
                )
            return chosen.id, f"no 'see' line: {why}"
    candidates = [o for o in residents if office.country in o.accredited_to]
    if candidates:
        chosen = min(candidates, key=rank)
        return chosen.id, f"the office accredited to {office.country}"
    return "", ""


def _read_see(entry: _Entry) -> None:
    """The "for information see ..." line of a non-resident entry; other lines are reported
    as unplaced when the entry becomes an Office."""
    for line_no, text in entry.body:
        see = _SEE.search(text)
        if see and not entry.see_line:
            entry.heading.see = see.group("country").strip(" .")
            entry.see_line = line_no
            entry.used.append(line_no)


def _entry_warnings(entry: _Entry) -> list[LineWarning]:
    found = []
    if entry.heading.see and not countries.country_code(entry.heading.see):
        where = entry.see_line or entry.line
        found.append(LineWarning(where, f"unknown country {entry.heading.see!r} in 'see'"))
    for item in entry.heading.accredited:
        # ISO codes, acronyms (UNESCO) and named organisations are expected; anything else is
        # most likely a country name we do not know.
        if item.isupper() or re.search(r"(?i)organi[sz]ation|office|nations", item):
            continue
        found.append(
            LineWarning(entry.line, f"accredited to {item!r}: no known country, kept as written")
        )
    return found


def import_text(text: str, state: str, source: str = "", path: Path | None = None) -> ImportReport:
    """Read a directory text into a Directory of the sending state (an ISO code)."""
    state_code = state.strip().upper()
    if not countries.is_country(state_code):
        raise InputError(f"unknown sending state {state!r}", hint="give its ISO code, e.g. KZ")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    entries, unplaced, warnings = _split(lines)
    if not entries:
        raise InputError(
            "no directory in this text: no line looks like 'Germany – Embassy (Berlin)'",
            Place(path) if path else None,
        )
    offices: list[Office] = []
    for entry in entries:
        if entry.heading.kind != "non-resident":
            _read_body(entry, warnings, unplaced)
        else:
            _read_see(entry)
        warnings.extend(_entry_warnings(entry))
        offices.append(_office(entry, warnings, unplaced))

    offices = _unique_ids(offices, entries)
    residents = [o for o in offices if o.resident]
    routed: list[Office] = []
    comments: dict[str, list[str]] = {}
    placed: dict[int, str] = {}
    for office, entry in zip(offices, entries, strict=True):
        if not office.resident:
            served_by, why = _serving(office, entry, residents)
            if served_by:
                office = replace(office, served_by=served_by)
                if not why.startswith("'for information"):
                    entry.comments.append(f"served_by: {why}")
            else:
                warnings.append(
                    LineWarning(entry.line, f"{office.id}: no office found to serve it")
                )
        if entry.comments:
            comments[office.id] = entry.comments
        placed.update(dict.fromkeys([entry.line, *entry.used], office.id))
        routed.append(office)
    directory = Directory(state_code, routed, source)
    unplaced.sort(key=lambda u: u.line)
    warnings.sort(key=lambda w: w.line)
    for lost in unplaced:
        log.debug("line %d unplaced (%s): %s", lost.line, lost.reason, lost.text)
    return ImportReport(directory, unplaced, warnings, comments, dict(sorted(placed.items())))


def _unique_ids(offices: list[Office], entries: list[_Entry]) -> list[Office]:
    seen: dict[str, int] = {}
    result = []
    for office, entry in zip(offices, entries, strict=True):
        count = seen.get(office.id, 0) + 1
        seen[office.id] = count
        if count > 1:
            new_id = f"{office.id}-{count}"
            entry.comments.append(f"id: {office.id!r} was taken by an earlier entry")
            office = replace(office, id=new_id)
        result.append(office)
    return result


def import_file(path: Path, state: str) -> ImportReport:
    """Read a directory text file (UTF-8)."""
    return import_text(yamlio.read_text(path), state, source=str(path), path=path)


def to_yaml(report: ImportReport, command: str = "") -> str:
    """The YAML of an imported directory, with a header and the importer's guesses as comments
    above the records they concern."""
    header = [
        "# The offices of a state abroad, one record per office (format: README, 'The directory').",
    ]
    if command:
        header.append(f"# Imported with: {command}")
    header.append("# Hand corrections are marked '# corrected by hand: ...'; keep source_line.")
    return "\n".join(header) + "\n" + dump_directory(report.directory, report.comments)


def summary(report: ImportReport) -> list[str]:
    """The lines `lettergen directory import` prints."""
    lines = [
        f"offices: {len(report.offices)}",
        f"non-resident entries: {len(report.non_resident)}",
        f"unplaced lines: {len(report.unplaced)}",
    ]
    lines += [f"  line {u.line}: {u.text}  ({u.reason})" for u in report.unplaced]
    lines.append(f"warnings: {len(report.warnings)}")
    lines += [f"  line {w.line}: {w.message}" for w in report.warnings]
    return lines


def refuse_overwrite(path: Path, force: bool) -> None:
    """A directory file is reviewed by hand after import: replacing one needs force. A folder
    (or a path through a file) is no place for it, force or not."""
    if path.is_dir():
        raise InputError(
            "is a folder; OUTPUT is the directory file to write",
            Place(path),
            hint=f"name a file in it, e.g. -o {path / '<state>.yaml'}",
        )
    if any(parent.exists() and not parent.is_dir() for parent in path.parents):
        raise InputError("a part of this path is a file, not a folder", Place(path))
    if path.exists() and not force:
        raise InputError(
            "already exists and may hold hand corrections",
            Place(path),
            hint="pass --force to replace it, or import into another file and compare",
        )
