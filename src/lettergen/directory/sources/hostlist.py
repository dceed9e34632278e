"""A foreign ministry's list of the foreign missions in its country ("host list"), read into the
offices of one sending state.

Ministries publish such lists as tables: the state (or organisation), the kind of mission, an
address, telephone and fax in the host's local format ("051) 226-2807", "379-0951/2", "-" for
none), e-mails. A mapping file (YAML, docs/directories.md "Host-country lists") tells which
column holds what and which words name which kind of office, so a group can read another
ministry's list without code. Numbers are completed with phonenumbers' metadata of the host
(its calling code and national prefix), so "051) 226-2807" in Pakistan becomes +92512262807.

Lists as they are published: a `name` column ("Consulate General of Russia in Busan") gives
the kind, the state and the city at once (lettergen.directory.sources.names, with patterns the
mapping may extend); a field may join several columns (street, zip code and city into one
address). A row that cannot be read exactly (a number that is none, an unknown state, a
formula without a value, an e-mail address where a number belongs) stops the reading, every
such row reported with its file, row and column; with skip_bad_rows the row is left out and
listed instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from lettergen.directory import countries, phones
from lettergen.directory.model import KINDS, Directory, Office, merge
from lettergen.directory.sources import names, spreadsheet
from lettergen.errors import InputError, LettergenError, ManyErrors, Place
from lettergen.util import yamlio
from lettergen.util.slugs import ascii_slug

log = logging.getLogger(__name__)

#: The fields a mapping's `columns` may name (each mapped to a column header of the list, or
#: to several joined).
TARGETS: tuple[str, ...] = (
    "name",
    "state",
    "kind",
    "city",
    "address",
    "phones",
    "faxes",
    "mobiles",
    "emails",
    "website",
    "head",
)
MAPPING_KEYS = (
    "host",
    "city",
    "area_code",
    "header_row",
    "covers",
    "columns",
    "kind",
    "organisation",
    "kinds",
    "names",
    "states",
    "cities",
    "organisations",
)

#: Words that mark an organisation (a UN agency, a bank) rather than a state, in any list.
ORGANISATION_WORDS = re.compile(
    r"\b(united nations|organi[sz]ation|programme|program|fund|agency|bank|office|"
    r"commission of|committee|council|union|institute|federation|foundation|centre|center|"
    r"delegation of the european|(?-i:UN[A-Z]*|WHO|FAO|ILO|IOM|ICRC|IFRC|OSCE|ECO|SAARC))\b",
    re.IGNORECASE,
)
NONE_VALUES = {"", "-", "–", "—", "n/a", "na", "nil", "none", "/"}


@dataclass(frozen=True)
class Mapping:
    """How one ministry's list is read: its host, the capital's area code for numbers given
    without one, which column holds what, and its words for kinds of office and names."""

    host: str
    city: str  # the city of a row with no city column or an empty cell (the capital)
    area_code: str  # the capital's area code, for local numbers written without one
    columns: dict[str, tuple[str, ...]]  # target -> the column header(s) or {Header} templates
    kinds: dict[str, str]  # the list's word (lower case) -> a kind of KINDS
    organisations: tuple[str, ...] = ()  # names the list uses for organisations, besides words
    names: tuple[str, ...] = ()  # patterns of a name cell, before lettergen's own
    states: dict[str, str] = field(default_factory=dict)  # normalised name -> ISO code
    cities: dict[str, str] = field(default_factory=dict)  # normalised city as written -> city
    kind: str = "embassy"  # the kind of a row that names none
    organisation: str = ""  # a permanent mission's organisation where the name gives none
    header_row: int = 1  # the row naming the columns (title rows above it are skipped)
    covers: tuple[str, ...] = ()  # the kinds of office the list covers (none given: all)

    def headers(self, target: str) -> list[str]:
        """The column headers a target reads: 'Zip' of '{Zip} {City}' too."""
        found: list[str] = []
        for spec in self.columns.get(target, ()):
            found += re.findall(r"\{([^{}]+)\}", spec) if "{" in spec else [spec]
        return found


def _column_specs(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def load_mapping(path: Path) -> Mapping:
    data = yamlio.load(path)
    if not isinstance(data, dict):
        raise InputError("a host-list mapping must be a mapping of fields", Place(path, 1))
    line_of = getattr(data, "line_of", lambda key: 1)

    def line_in(section: Any, key: str, default: str) -> int:
        return section.line_of(key) if hasattr(section, "line_of") else line_of(default)

    errors: list[LettergenError] = []
    for key in data:
        if key not in MAPPING_KEYS:
            errors.append(
                InputError(
                    f"unknown key {key!r}",
                    Place(path, line_of(key)),
                    hint=f"known: {', '.join(MAPPING_KEYS)}",
                )
            )
    host = str(data.get("host") or "").upper()
    if not countries.is_country(host):
        errors.append(InputError("host must be an ISO country code", Place(path, line_of("host"))))
    columns = data.get("columns")
    if not isinstance(columns, dict) or not ({"state", "name"} & set(columns)):
        errors.append(
            InputError(
                "columns must map 'name' (a mission's name) or 'state' to a column header",
                Place(path, line_of("columns")),
            )
        )
        columns = {}
    specs: dict[str, tuple[str, ...]] = {}
    for target, value in columns.items():
        where = Place(path, line_in(columns, target, "columns"))
        if target not in TARGETS:
            errors.append(
                InputError(
                    f"columns: unknown field {target!r}", where, hint=f"known: {', '.join(TARGETS)}"
                )
            )
            continue
        spec = _column_specs(value)
        if spec is None:
            errors.append(
                InputError(
                    f"columns: {target} must be a column header or a list of them",
                    where,
                    hint="e.g. address: [Street, '{Zip} {City}']",
                )
            )
            continue
        specs[str(target)] = spec
    kinds = {str(k).lower(): str(v) for k, v in (data.get("kinds") or {}).items()}
    for word, kind in kinds.items():
        if kind not in KINDS:
            errors.append(
                InputError(
                    f"kinds: {word!r} -> unknown kind {kind!r} (one of: {', '.join(KINDS)})",
                    Place(path, line_of("kinds")),
                )
            )
    default_kind = str(data.get("kind") or "embassy")
    if default_kind not in KINDS:
        errors.append(
            InputError(
                f"kind: unknown kind {default_kind!r} (one of: {', '.join(KINDS)})",
                Place(path, line_of("kind")),
            )
        )
    patterns = data.get("names") or []
    if not isinstance(patterns, list):
        patterns = [patterns]
    for pattern in patterns:
        problem = names.check_pattern(str(pattern))
        if problem:
            errors.append(
                InputError(f"names: {pattern!r}: {problem}", Place(path, line_of("names")))
            )
    states: dict[str, str] = {}
    for name, code in (data.get("states") or {}).items():
        text = str(code).upper()
        if not countries.is_country(text):
            errors.append(
                InputError(
                    f"states: {name!r} -> {code!r} is no ISO country code",
                    Place(path, line_in(data.get("states"), name, "states")),
                )
            )
        states[countries.normalise(str(name))] = text
    covers = data.get("covers") or []
    covers = covers if isinstance(covers, list) else [covers]
    for kind in covers:
        if kind not in KINDS:
            errors.append(
                InputError(
                    f"covers: unknown kind {kind!r} (one of: {', '.join(KINDS)})",
                    Place(path, line_of("covers")),
                )
            )
    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        errors.append(
            InputError("header_row must be a row number", Place(path, line_of("header_row")))
        )
        header_row = 1
    if errors:
        raise ManyErrors(errors)
    area = re.sub(r"\D", "", str(data.get("area_code") or "")).lstrip("0")
    return Mapping(
        host=host,
        city=str(data.get("city") or ""),
        area_code=area,
        columns=specs,
        kinds=kinds,
        organisations=tuple(str(o) for o in data.get("organisations") or ()),
        names=tuple(str(p) for p in patterns),
        states=states,
        cities={countries.normalise(str(k)): str(v) for k, v in (data.get("cities") or {}).items()},
        kind=default_kind,
        organisation=str(data.get("organisation") or ""),
        header_row=header_row,
        covers=tuple(str(k) for k in covers),
    )


# --- numbers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    e164: str
    mobile: bool
    written: str  # as the list wrote it, for messages


#: "051) 226-2807", "(051) 226 2807", "(0)51 ...": an area code closed by a parenthesis.
_AREA = re.compile(r"^\(?\s*(?:\(0\)|0)?(\d{1,5})\s*\)\s*")
#: An alternate: "379-0951/2" is 379-0951 and 379-0952.
_ALTERNATE = re.compile(r"^(.*?\d)\s*((?:/\s*\d{1,4}\s*)+)$")


def _national_prefix(region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (metadata.national_prefix if metadata else None) or ""


def _expand(text: str) -> list[str]:
    """'379-0951/2' -> ['379-0951', '379-0952']: each alternate replaces the last digits."""
    match = _ALTERNATE.match(text)
    if not match:
        return [text]
    base = match[1]
    digits = re.sub(r"\D", "", base)
    found = [base]
    for tail in re.findall(r"\d+", match[2]):
        if len(tail) >= len(digits):
            return [text]  # "1234/5678" is no alternate of a number's last digits
        found.append(digits[: -len(tail)] + tail)
    return found


#: Numbers no area is part of (a nationwide service number, toll-free, VoIP …): written
#: without an area code because they have none, not because they are in the capital.
_NON_GEOGRAPHIC = {
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}


def _non_geographic(national: str, host: str) -> bool:
    try:
        parsed = phonenumbers.parse(national, host)
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _NON_GEOGRAPHIC
    )


def parse_numbers(cell: str, mapping: Mapping) -> tuple[list[Number], list[str]]:
    """Every number of a cell (E.164) and what could not be read. A number without an area
    code is in the capital, unless it is one no area is part of ("1588-1234", a nationwide
    number); "051)" gives an area code that the rest of the cell keeps."""
    numbers: list[Number] = []
    problems: list[str] = []
    text = cell.strip()
    if text.lower() in NONE_VALUES:
        return [], []
    area = mapping.area_code
    prefix = _national_prefix(mapping.host)
    for part in re.split(r"[,;]|\band\b|\n", text):
        part = as_written = part.strip()
        if part.lower() in NONE_VALUES:
            continue
        international = part.startswith("+") or part.startswith("00")
        match = None if international else _AREA.match(part)
        if match:
            area = match[1]
            part = part[match.end() :]
        if "@" in part:
            problems.append(f"{as_written!r} is an e-mail address, not a number")
            continue
        stray = re.search(r"[^\d\s().\-–/+]", part)
        if stray:
            problems.append(f"{as_written!r} is no phone number (it holds {stray[0]!r})")
            continue
        for written in _expand(part):
            digits = re.sub(r"\D", "", written)
            if international:
                candidate = "+" + digits.removeprefix("00") if written.startswith("00") else written
            elif prefix and digits.startswith(prefix) and not match:
                candidate = digits  # already in national form: "0300-8234567", "021 3583 8420"
            elif not match and len(digits) < 9 and _non_geographic(prefix + digits, mapping.host):
                candidate = prefix + digits  # "1588-1234": dialled without an area code
            else:
                candidate = prefix + (area if match or len(digits) < 9 else "") + digits
            shown = repr(as_written)
            if written.strip() != part.strip():
                shown += f" ({written.strip()})"  # one alternate of several
            try:
                parsed = phonenumbers.parse(candidate, mapping.host)
            except phonenumbers.NumberParseException:
                problems.append(f"{shown} is no phone number")
                continue
            if not phonenumbers.is_valid_number(parsed):
                problems.append(f"{shown} is not a valid number of {mapping.host}")
                continue
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            kind = phonenumbers.number_type(parsed)
            numbers.append(Number(e164, kind == phonenumbers.PhoneNumberType.MOBILE, written))
    return numbers, problems


def split_emails(cell: str) -> list[str]:
    return [item for item in re.split(r"[\s,;/]+", cell) if "@" in item]


def email_problems(cell: str) -> list[str]:
    """What in an e-mail cell is no e-mail address (a number, a name in the wrong column)."""
    if "@" not in cell and cell.strip().lower() not in NONE_VALUES:
        return [f"{cell.strip()!r} is no e-mail address"]
    return [
        f"{item!r} is no e-mail address"
        for item in re.split(r"[\s,;/]+", cell)
        if item and "@" not in item and item.lower() not in NONE_VALUES
    ]


# --- rows -----------------------------------------------------------------------------------


@dataclass
class HostEntry:
    """One row of the list: a state's office, or an organisation's."""

    row: int
    name: str  # the state or organisation as written (the name cell, if the list has one)
    state: str | None  # ISO code of the sending state, None for an organisation
    office: Office | None
    mobiles: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)


@dataclass
class HostList:
    path: Path
    mapping: Mapping
    entries: list[HostEntry]
    first_row: int = 2  # the first and last rows read, as the spreadsheet numbers them
    last_row: int = 1
    skipped: list[spreadsheet.SkippedRow] = field(default_factory=list)

    def states(self) -> list[str]:
        return sorted({e.state for e in self.entries if e.state})

    def organisations(self) -> list[HostEntry]:
        return [e for e in self.entries if e.state is None]

    def directory(self, state: str) -> Directory:
        """The offices of one sending state, as a directory of that state."""
        code = state.upper()
        offices = [e.office for e in self.entries if e.state == code and e.office]
        if not offices:
            skipped = ", ".join(str(r.row) for r in self.skipped)
            raise InputError(
                f"no office of the sending state {code} in this list"
                + (
                    f" that could be read; skipped rows: {skipped} (its offices may be among "
                    "them: correct those rows and run again)"
                    if skipped
                    else ""
                ),
                Place(self.path),
                hint=f"states in the list: {', '.join(self.states())}",
            )
        return merge([Directory(code, _unique_ids(offices), str(self.path.name), (self.path,))])


def _unique_ids(offices: list[Office]) -> list[Office]:
    from dataclasses import replace

    seen: dict[str, int] = {}
    result = []
    for office in offices:
        count = seen.get(office.id, 0) + 1
        seen[office.id] = count
        result.append(office if count == 1 else replace(office, id=f"{office.id}-{count}"))
    return result


def _is_organisation(name: str, mapping: Mapping) -> bool:
    if any(name.strip().lower() == o.lower() for o in mapping.organisations):
        return True
    return bool(ORGANISATION_WORDS.search(name)) and countries.country_code(name) is None


def _kind(word: str, mapping: Mapping) -> str | None:
    return names.kind_of(word, mapping.kinds)


class _Columns:
    """Where the mapping's targets are in the list: each a header's index, or several joined."""

    def __init__(self, path: Path, mapping: Mapping, header: list[str], row: int):
        self.header = header
        index = {name.lower(): i for i, name in enumerate(header) if name}
        errors: list[LettergenError] = []
        self.where: dict[str, list[int]] = {}
        for target in mapping.columns:
            found = []
            for column in mapping.headers(target):
                if column.lower() not in index:
                    errors.append(
                        InputError(
                            f"the mapping's column {column!r} (for {target}) is not in the list",
                            Place(path, row),
                            hint=f"the list's columns: {', '.join(h for h in header if h)}",
                        )
                    )
                else:
                    found.append(index[column.lower()])
            self.where[target] = found
        if errors:
            raise ManyErrors(errors)
        self.index = index
        self.mapping = mapping

    def values(self, cells: list[Any]) -> dict[str, str]:
        """Each target's text in a row: joined columns one line each, '{Zip} {City}' filled."""

        def text(i: int) -> str:
            return str(cells[i]).strip() if i < len(cells) else ""

        values = {}
        for target, specs in self.mapping.columns.items():
            lines = []
            for spec in specs:
                if "{" in spec:
                    line = re.sub(r"\{([^{}]+)\}", lambda m: text(self.index[m[1].lower()]), spec)
                else:
                    line = text(self.index[spec.lower()])
                line = " ".join(line.split(" ")).strip(" ,")
                if line.lower() not in NONE_VALUES:
                    lines.append(line)
            joiner = " " if target in ("name", "state", "kind", "city", "head", "website") else "\n"
            values[target] = joiner.join(lines)
        return values

    def label(self, target: str) -> str:
        found = self.where.get(target, [])
        return ", ".join(spreadsheet.column_label(i, self.header) for i in found) or target


def read_host_list(path: Path, mapping: Mapping, skip_bad_rows: bool = False) -> HostList:
    """Every row of the list, told apart as a state's office or an organisation; every problem
    of every row found first (file:row: column: the text found). A row that cannot be read
    exactly stops the reading, or with skip_bad_rows is left out and listed."""
    rows = spreadsheet.read_rows(path)
    first = mapping.header_row
    if len(rows) < first:
        raise InputError(f"the list has no row {first} to name the columns", Place(path))
    header = [str(cell).strip() for cell in rows[first - 1]]
    columns = _Columns(path, mapping, header, first)
    found = spreadsheet.RowErrors(path)
    spreadsheet.formula_problems(path, rows, header, found, first)
    entries = []
    last = first
    for number, cells in enumerate(rows[first:], start=first + 1):
        values = columns.values(cells)
        if not any(values.values()):
            continue
        last = number
        entry = _entry(number, values, mapping, path, columns, found)
        if entry and not found.bad(number):
            entries.append(entry)
    skipped = found.settle(skip_bad_rows)
    return HostList(path, mapping, entries, first + 1, last, skipped)


def _state_hint(name: str, mapping: Mapping) -> str:
    if names.read_name(name, mapping.names, mapping.kinds, mapping.states):
        return "it is a mission's name: map its column as name: instead of state: in the mapping"
    close = countries.suggest(name)
    if close:
        return f"did you mean {close}?"
    return (
        "add it under states: in the mapping (the name: its ISO code), or under "
        "organisations: if it is no state"
    )


def _entry(
    row: int,
    values: dict[str, str],
    mapping: Mapping,
    path: Path,
    columns: _Columns,
    found: spreadsheet.RowErrors,
) -> HostEntry | None:
    def at(target: str) -> Place:
        return Place(path, row, columns.label(target))

    def problem(target: str, message: str, hint: str | None = None) -> None:
        found.add(InputError(message, at(target), hint=hint), row)

    cell = values.get("name", "")
    written = values.get("state", "")
    read = names.read_name(cell, mapping.names, mapping.kinds, mapping.states) if cell else None
    if written and not cell and not names.state_code(written, mapping.states):
        # A mission's name in the state column is no organisation, whatever words it holds.
        read = names.read_name(written, mapping.names, mapping.kinds, mapping.states)
        if read:
            problem("state", f"{written!r} is no known state", _state_hint(written, mapping))
            return None
    state: str | None = None
    if written:
        state = names.state_code(written, mapping.states)
        if state is None and not read and _is_organisation(written, mapping):
            return HostEntry(row, written, None, None)
        if state is None:
            problem("state", f"{written!r} is no known state", _state_hint(written, mapping))
            return None
        if cell and read is None:
            read = names.read_name(cell, mapping.names, mapping.kinds, mapping.states, state)
        if read and read.state != state:
            problem("name", f"{cell!r} names {read.state}, the state column {state}")
            return None
        if cell and read is None and "kind" not in mapping.columns:
            # The name is where the kind is: an unread name would make a consulate an embassy.
            problem(
                "name",
                f"{cell!r}: no pattern reads the kind of office in this name",
                "add a pattern under names: or the word under kinds: in the mapping",
            )
            return None
    elif cell and read is None:
        if _is_organisation(cell, mapping):
            return HostEntry(row, cell, None, None)
        problem(
            "name",
            f"{cell!r}: no pattern reads the kind of office and the state in this name",
            "add a pattern under names: in the mapping, or the state's name under states:",
        )
        return None
    elif not cell:
        problem("name" if "name" in mapping.columns else "state", "no state or organisation named")
        return None
    state = state or (read.state if read else None)
    assert state is not None
    kind_cell = values.get("kind", "")
    kind = _kind(kind_cell, mapping) if kind_cell else (read.kind if read else mapping.kind)
    if kind is None:
        problem(
            "kind",
            f"kind {kind_cell!r} is not in the mapping's kinds",
            "add the word under kinds: in the mapping file",
        )
        return None
    warnings: list[str] = []
    numbers: dict[str, list[Number]] = {}
    for target in ("phones", "faxes", "mobiles"):
        numbers[target], problems = parse_numbers(values.get(target, ""), mapping)
        for text in problems:
            problem(target, text)
    for text in email_problems(values.get("emails", "")):
        problem("emails", text)
    website = values.get("website", "")
    if "@" in website and "/" not in website:
        problem("website", f"{website!r} is an e-mail address, not a web page")
    mobiles = [n.e164 for n in numbers["mobiles"]] + [n.e164 for n in numbers["phones"] if n.mobile]
    for fax in numbers["faxes"]:
        if fax.mobile:
            warnings.append(f"{at('faxes')}: fax {fax.e164} is a mobile number")
    for warning in warnings:
        log.warning("%s", warning)
    city = values.get("city") or (read.city if read else "") or mapping.city
    city = mapping.cities.get(countries.normalise(city), city)
    notes = [f"mobile: {number}" for number in mobiles]
    if values.get("head"):
        notes.insert(0, f"Head of mission: {values['head']}")
    address = tuple(line.strip() for line in values.get("address", "").split("\n") if line.strip())
    if address and city and not _names_city(address, city):
        address = (*address, city)  # a letter's address block ends with the city
    organisation = ""
    if kind == "permanent-mission":
        organisation = (read.organisation if read else "") or mapping.organisation
    office = Office(
        id="-".join(p for p in (ascii_slug(mapping.host), ascii_slug(city), kind) if p),
        country=mapping.host,
        kind=kind,
        city=city,
        organisation=organisation,
        address=address,
        phones=tuple(dict.fromkeys(n.e164 for n in numbers["phones"] + numbers["mobiles"])),
        faxes=tuple(dict.fromkeys(n.e164 for n in numbers["faxes"])),
        emails=tuple(split_emails(values.get("emails", ""))),
        website=website,
        notes=tuple(notes),
        source=f"{path.name}, row {row}",
        file=path,
        line=row,
    )
    return HostEntry(row, cell or written, state, office, tuple(mobiles), warnings)


def _names_city(address: tuple[str, ...], city: str) -> bool:
    """Whether an address already names its city ("New York, N.Y. 10017" names New York)."""
    text = f" {countries.normalise(' '.join(address))} "
    spellings = {city, countries.canonical_city(city)}
    spellings |= {
        k for k, v in countries.CITY_ALIASES.items() if v == countries.canonical_city(city)
    }
    return any(f" {countries.normalise(s)} " in text for s in spellings if s)


def _numbers_line(label: str, numbers: tuple[str, ...]) -> list[str]:
    return [f"  {label}: {n} ({phones.display(n)})" for n in numbers]


def summary(hostlist: HostList, state: str | None = None) -> list[str]:
    """What `directory hostlist` prints: the rows read, the states found, the organisations
    told apart; with a state, what was read for each of its offices."""
    name = hostlist.path.name
    first, last = hostlist.first_row, hostlist.last_row
    lines = [f"rows {first}-{last} of {name}: {len(hostlist.entries)} read"]
    if hostlist.skipped:
        lines[0] += f", {len(hostlist.skipped)} skipped"
    lines.append(f"states: {', '.join(hostlist.states())}")
    organisations = hostlist.organisations()
    lines.append(f"organisations (not states): {len(organisations)}")
    lines += [f"  row {e.row}: {e.name}" for e in organisations]
    chosen = [e for e in hostlist.entries if state and e.state == state.upper()]
    for entry in chosen:
        office = entry.office
        assert office is not None
        lines.append(f"{office.id} (row {entry.row}: {entry.name})")
        what = f"{office.kind}, {office.city}, {office.country}"
        lines.append(f"  {what}" + (f", to {office.organisation}" if office.organisation else ""))
        if office.address:
            lines.append(f"  address: {'; '.join(office.address)}")
        lines += _numbers_line("phone", office.phones)
        lines += _numbers_line("fax", office.faxes)
        lines += [f"  e-mail: {e}" for e in office.emails]
        if office.website:
            lines.append(f"  website: {office.website}")
        lines += [f"  note: {n}" for n in office.notes if not n.startswith("mobile: ")]
        lines += [f"  mobile: {number}" for number in entry.mobiles]
        lines += [f"  warning: {warning}" for warning in entry.warnings]
    return lines


def read(path: Path, mapping_path: Path, skip_bad_rows: bool = False) -> HostList:
    return read_host_list(path, load_mapping(mapping_path), skip_bad_rows)


def as_records(hostlist: HostList) -> list[dict[str, Any]]:
    """Each row as told apart, for --json."""
    return [
        {
            "row": e.row,
            "name": e.name,
            "state": e.state,
            "office": e.office.to_record() if e.office else None,
            "mobiles": list(e.mobiles),
            "warnings": list(e.warnings),
        }
        for e in hostlist.entries
    ]
