"""A foreign ministry's list of the foreign missions in its country ("host list"), read into the
offices of one sending state.

Ministries publish such lists as tables: the state (or organisation), the kind of mission, an
address, telephone and fax in the host's local format ("051) 226-2807", "379-0951/2", "-" for
none), e-mails. A mapping file (YAML, docs/directories.md "Host-country lists") tells which
column holds what and which words name which kind of office, so a group can read another
ministry's list without code. Numbers are completed with phonenumbers' metadata of the host
(its calling code and national prefix), so "051) 226-2807" in Pakistan becomes +92512262807.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from lettergen.directory import countries
from lettergen.directory.model import KINDS, Directory, Office, merge
from lettergen.directory.sources.spreadsheet import read_rows
from lettergen.errors import InputError, LettergenError, ManyErrors, Place
from lettergen.util import yamlio
from lettergen.util.slugs import ascii_slug

log = logging.getLogger(__name__)

#: The fields a mapping's `columns` may name (each mapped to a column header of the list).
TARGETS: tuple[str, ...] = (
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
MAPPING_KEYS = ("host", "city", "area_code", "columns", "kinds", "organisations")

#: Words that mark an organisation (a UN agency, a bank) rather than a state, in any list.
ORGANISATION_WORDS = re.compile(
    r"\b(united nations|UN[A-Z]*|organi[sz]ation|programme|program|fund|agency|bank|office|"
    r"commission of|committee|council|union|institute|federation|foundation|centre|center|"
    r"delegation of the european|WHO|FAO|ILO|IOM|ICRC|IFRC|OSCE|ECO|SAARC)\b",
    re.IGNORECASE,
)
NONE_VALUES = {"", "-", "–", "—", "n/a", "na", "nil", "none", "/"}


@dataclass(frozen=True)
class Mapping:
    """How one ministry's list is read: its host, the capital's area code for numbers given
    without one, which column holds what, and its words for kinds of office."""

    host: str
    city: str  # the city of a row with no city column or an empty cell (the capital)
    area_code: str  # the capital's area code, for local numbers written without one
    columns: dict[str, str]  # target -> column header, as written in the list
    kinds: dict[str, str]  # the list's word (lower case) -> a kind of KINDS
    organisations: tuple[str, ...] = ()  # names the list uses for organisations, besides words


def load_mapping(path: Path) -> Mapping:
    data = yamlio.load(path)
    if not isinstance(data, dict):
        raise InputError("a host-list mapping must be a mapping of fields", Place(path, 1))
    line_of = getattr(data, "line_of", lambda key: 1)
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
    if not isinstance(columns, dict) or "state" not in columns:
        errors.append(
            InputError(
                "columns must map at least 'state' to a column header",
                Place(path, line_of("columns")),
            )
        )
        columns = {}
    for target in columns:
        if target not in TARGETS:
            errors.append(
                InputError(
                    f"columns: unknown field {target!r}",
                    Place(path, columns.line_of(target) if hasattr(columns, "line_of") else 1),
                    hint=f"known: {', '.join(TARGETS)}",
                )
            )
    kinds = {str(k).lower(): str(v) for k, v in (data.get("kinds") or {}).items()}
    for word, kind in kinds.items():
        if kind not in KINDS:
            errors.append(
                InputError(
                    f"kinds: {word!r} -> unknown kind {kind!r} (one of: {', '.join(KINDS)})",
                    Place(path, line_of("kinds")),
                )
            )
    if errors:
        raise ManyErrors(errors)
    area = re.sub(r"\D", "", str(data.get("area_code") or "")).lstrip("0")
    return Mapping(
        host=host,
        city=str(data.get("city") or ""),
        area_code=area,
        columns={str(k): str(v) for k, v in columns.items()},
        kinds=kinds,
        organisations=tuple(str(o) for o in data.get("organisations") or ()),
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


def parse_numbers(cell: str, mapping: Mapping) -> tuple[list[Number], list[str]]:
    """Every number of a cell (E.164) and what could not be read. A number without an area
    code is in the capital; "051)" gives an area code that the rest of the cell keeps."""
    numbers: list[Number] = []
    problems: list[str] = []
    text = cell.strip()
    if text.lower() in NONE_VALUES:
        return [], []
    area = mapping.area_code
    prefix = _national_prefix(mapping.host)
    for part in re.split(r"[,;]|\band\b|\n", text):
        part = part.strip()
        if part.lower() in NONE_VALUES:
            continue
        international = part.startswith("+") or part.startswith("00")
        match = None if international else _AREA.match(part)
        if match:
            area = match[1]
            part = part[match.end() :]
        for written in _expand(part):
            digits = re.sub(r"\D", "", written)
            if international:
                candidate = "+" + digits.removeprefix("00") if written.startswith("00") else written
            elif prefix and digits.startswith(prefix) and not match:
                candidate = digits  # already in national form: "0300-8234567", "021 3583 8420"
            else:
                candidate = prefix + (area if match or len(digits) < 9 else "") + digits
            try:
                parsed = phonenumbers.parse(candidate, mapping.host)
            except phonenumbers.NumberParseException:
                problems.append(f"{written.strip()!r} is no phone number")
                continue
            if not phonenumbers.is_valid_number(parsed):
                problems.append(f"{written.strip()!r} is not a valid number of {mapping.host}")
                continue
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            kind = phonenumbers.number_type(parsed)
            numbers.append(Number(e164, kind == phonenumbers.PhoneNumberType.MOBILE, written))
    return numbers, problems


def split_emails(cell: str) -> list[str]:
    return [item for item in re.split(r"[\s,;/]+", cell) if "@" in item]


# --- rows -----------------------------------------------------------------------------------


@dataclass
class HostEntry:
    """One row of the list: a state's office, or an organisation's."""

    row: int
    name: str  # the state or organisation as written
    state: str | None  # ISO code of the sending state, None for an organisation
    office: Office | None
    mobiles: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)


@dataclass
class HostList:
    path: Path
    mapping: Mapping
    entries: list[HostEntry]

    def states(self) -> list[str]:
        return sorted({e.state for e in self.entries if e.state})

    def organisations(self) -> list[HostEntry]:
        return [e for e in self.entries if e.state is None]

    def directory(self, state: str) -> Directory:
        """The offices of one sending state, as a directory of that state."""
        code = state.upper()
        offices = [e.office for e in self.entries if e.state == code and e.office]
        if not offices:
            raise InputError(
                f"no office of the sending state {code} in this list",
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


def _words(lines: tuple[str, ...]) -> list[str]:
    return [word for line in lines for word in re.split(r"[\s,]+", line) if word]


def _is_organisation(name: str, mapping: Mapping) -> bool:
    if any(name.strip().lower() == o.lower() for o in mapping.organisations):
        return True
    return bool(ORGANISATION_WORDS.search(name)) and countries.country_code(name) is None


def _kind(word: str, mapping: Mapping) -> str | None:
    text = word.strip().lower()
    if text in mapping.kinds:
        return mapping.kinds[text]
    # The longest listed word found in the cell: "Consulate General" before "Consulate".
    for listed in sorted(mapping.kinds, key=len, reverse=True):
        if listed in text:
            return mapping.kinds[listed]
    return None


def read_host_list(path: Path, mapping: Mapping) -> HostList:
    """Every row of the list, told apart as a state's office or an organisation; every problem
    of every row reported at once (file:row: column)."""
    rows = read_rows(path)
    if not rows:
        raise InputError("the list is empty", Place(path))
    header = [str(cell).strip() for cell in rows[0]]
    index = {name.lower(): i for i, name in enumerate(header)}
    errors: list[LettergenError] = []
    where: dict[str, int] = {}
    for target, column in mapping.columns.items():
        if column.lower() not in index:
            errors.append(
                InputError(
                    f"the mapping's column {column!r} (for {target}) is not in the list",
                    Place(path, 1),
                    hint=f"the list's columns: {', '.join(h for h in header if h)}",
                )
            )
        else:
            where[target] = index[column.lower()]
    if errors:
        raise ManyErrors(errors)
    entries = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {t: str(cells[i]).strip() if i < len(cells) else "" for t, i in where.items()}
        if not any(values.values()):
            continue
        entry = _entry(number, values, mapping, path, header, where, errors)
        if entry:
            entries.append(entry)
    if errors:
        raise ManyErrors(errors)
    return HostList(path, mapping, entries)


def _entry(
    row: int,
    values: dict[str, str],
    mapping: Mapping,
    path: Path,
    header: list[str],
    where: dict[str, int],
    errors: list[LettergenError],
) -> HostEntry | None:
    from lettergen.directory.sources.spreadsheet import column_letter

    def at(target: str) -> Place:
        column = where.get(target)
        label = f"column {column_letter(column)} ({header[column]})" if column is not None else ""
        return Place(path, row, label or target)

    name = values.get("state", "")
    if not name:
        errors.append(InputError("no state or organisation named", at("state")))
        return None
    if _is_organisation(name, mapping):
        return HostEntry(row, name, None, None)
    state = countries.country_code(name)
    if state is None:
        close = countries.suggest(name)
        hint = f"did you mean {close}?" if close else "list it under organisations in the mapping"
        errors.append(InputError(f"{name!r} is no known state", at("state"), hint=hint))
        return None
    kind = _kind(values.get("kind", "") or "embassy", mapping)
    if kind is None:
        errors.append(
            InputError(
                f"kind {values.get('kind')!r} is not in the mapping's kinds",
                at("kind"),
                hint="add the word under kinds: in the mapping file",
            )
        )
        return None
    warnings: list[str] = []
    found: dict[str, list[Number]] = {}
    for target in ("phones", "faxes", "mobiles"):
        numbers, problems = parse_numbers(values.get(target, ""), mapping)
        found[target] = numbers
        warnings += [f"{at(target)}: {problem}" for problem in problems]
    mobiles = [n.e164 for n in found["mobiles"]] + [n.e164 for n in found["phones"] if n.mobile]
    for fax in found["faxes"]:
        if fax.mobile:
            warnings.append(f"{at('faxes')}: fax {fax.e164} is a mobile number")
    for warning in warnings:
        log.warning("%s", warning)
    city = values.get("city") or mapping.city
    notes = [f"mobile: {number}" for number in mobiles]
    if values.get("head"):
        notes.insert(0, f"Head of mission: {values['head']}")
    address = tuple(line.strip() for line in values.get("address", "").split("\n") if line.strip())
    if address and city and not any(countries.same_city(city, w) for w in _words(address)):
        address = (*address, city)  # a letter's address block ends with the city
    office = Office(
        id="-".join(p for p in (ascii_slug(mapping.host), ascii_slug(city), kind) if p),
        country=mapping.host,
        kind=kind,
        city=city,
        address=address,
        phones=tuple(dict.fromkeys(n.e164 for n in found["phones"] + found["mobiles"])),
        faxes=tuple(dict.fromkeys(n.e164 for n in found["faxes"])),
        emails=tuple(split_emails(values.get("emails", ""))),
        website=values.get("website", ""),
        notes=tuple(notes),
        source=f"{path.name}, row {row}",
        file=path,
        line=row,
    )
    return HostEntry(row, name, state, office, tuple(mobiles), warnings)


def summary(hostlist: HostList, state: str | None = None) -> list[str]:
    """What `directory hostlist` prints: the states found, the organisations told apart."""
    lines = [f"rows: {len(hostlist.entries)}"]
    lines.append(f"states: {', '.join(hostlist.states())}")
    organisations = hostlist.organisations()
    lines.append(f"organisations (not states): {len(organisations)}")
    lines += [f"  row {e.row}: {e.name}" for e in organisations]
    chosen = [e for e in hostlist.entries if state and e.state == state.upper()]
    for entry in chosen:
        assert entry.office is not None
        lines.append(f"{entry.office.id} (row {entry.row})")
        lines += [f"  mobile: {number}" for number in entry.mobiles]
        lines += [f"  warning: {warning}" for warning in entry.warnings]
    return lines


def read(path: Path, mapping_path: Path) -> HostList:
    return read_host_list(path, load_mapping(mapping_path))


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
