"""Office and Directory, and their YAML form (one office per record, line numbers kept)."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.errors import DataError, InputError, LettergenError, ManyErrors, Place
from lettergen.util import yamlio

log = logging.getLogger(__name__)

#: What an entry of the directory is. A closed set: templates choose forms of address by it.
KINDS: tuple[str, ...] = (
    "embassy",  # a resident embassy, headed by an ambassador
    "consulate-general",  # headed by a consul general
    "consulate",  # headed by a consul
    "mission",  # a representation below embassy rank (a "Mission" in Prague, Ulan-Bator)
    "permanent-mission",  # to an international organisation (UN New York, UN Office at Geneva)
    "visa-office",  # a passport and visa service
    "non-resident",  # a country covered from abroad: no office of its own, see served_by
)

#: Who a letter to the office is addressed to. Defaults follow from the kind.
ROLES: tuple[str, ...] = (
    "ambassador",
    "consul-general",
    "consul",
    "head-of-mission",
    "permanent-representative",
    "head-of-office",
)

DEFAULT_ROLE = {
    "embassy": "ambassador",
    "consulate-general": "consul-general",
    "consulate": "consul",
    "mission": "head-of-mission",
    "permanent-mission": "permanent-representative",
    "visa-office": "head-of-office",
    "non-resident": "ambassador",
}

#: International organisations a permanent mission is accredited to; templates name them.
ORGANISATIONS: tuple[str, ...] = ("UN", "UNOG", "UNESCO", "UNOV")

FIELDS = (
    "id",
    "country",
    "city",
    "kind",
    "addressee",
    "organisation",
    "address",
    "phones",
    "faxes",
    "emails",
    "website",
    "accredited_to",
    "served_by",
    "notes",
    "source_line",
    # Keeping a directory true (docs/directories.md): where a record's facts come from, and
    # when a person last checked them.
    "source",
    "verified",
    "head",
)


# --- a known head of office: the per-office override of the form of address ----------------


#: A head's gender, as the forms of address of a language may need it; "" when not known.
GENDERS = ("female", "male", "")


@dataclass(frozen=True)
class Head:
    """The person who heads an office, where the directory knows them: letters then address
    them by name ("H.E. Ms Aigul Nurlanova"), in the form their gender takes where a language
    has one (strings.yaml `addressees.<role>.named`)."""

    name: str
    gender: str = ""  # one of GENDERS

    def to_record(self) -> str:
        """One text, so a spreadsheet cell holds it too: "Aigul Nurlanova (female)"."""
        return f"{self.name} ({self.gender})" if self.gender else self.name


_HEAD_TEXT = re.compile(r"(?P<name>.*?)\s*(?:\((?P<gender>[^()]*)\))?\s*")


def head_from_record(value: Any, place: Place, errors: list[LettergenError]) -> Head | None:
    """`head: Aigul Nurlanova (female)` of an office record: the name, and the gender in
    brackets where known (female or male); a mapping {name: …, gender: …} is read too."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        match = _HEAD_TEXT.fullmatch(value)
        value = {"name": match["name"], "gender": match["gender"]} if match else {}
    hint = "write head: Name (female), Name (male), or the name alone if the gender is not known"
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        errors.append(InputError("head must be a name, e.g. 'Aigul Nurlanova (female)'", place))
        return None
    name = " ".join(value["name"].split())
    gender = str(value.get("gender") or "").strip()
    unknown = sorted(set(value) - {"name", "gender"})
    if unknown:
        errors.append(InputError(f"head: unknown key {unknown[0]!r}", place, hint=hint))
        return None
    if gender not in GENDERS or not name:
        errors.append(
            InputError(f"head: gender {gender!r}" if name else "head: no name", place, hint=hint)
        )
        return None
    return Head(name, gender)


# --- offices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Office:
    """One entry of a directory: an office, or a country covered from abroad (non-resident)."""

    id: str
    country: (
        str  # ISO 3166-1 alpha-2 of where the office is (of the country covered, if non-resident)
    )
    kind: str
    city: str = ""
    addressee: str = ""  # a role from ROLES; empty means the kind's default
    organisation: str = ""  # for a permanent mission: UN, UNOG ...
    address: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # E.164
    faxes: tuple[str, ...] = ()  # E.164
    emails: tuple[str, ...] = ()
    website: str = ""
    accredited_to: tuple[str, ...] = ()  # ISO codes, or organisation names kept as written
    served_by: str = ""  # non-resident: the id of the office acting for this country
    notes: tuple[str, ...] = ()
    source_line: int | None = None  # line in the imported source text
    # Keeping a directory true: the record's own source (a list, a call, a web page) when it
    # differs from the directory's, and the date (ISO, YYYY-MM-DD) its facts were last checked.
    source: str = ""
    verified: str = ""
    head: Head | None = None  # the head of office, where known by name
    # Where this record was read from, for messages; not part of the YAML.
    file: Path | None = field(default=None, compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)

    @property
    def role(self) -> str:
        return self.addressee or DEFAULT_ROLE[self.kind]

    @property
    def resident(self) -> bool:
        return self.kind != "non-resident"

    @property
    def fax(self) -> str | None:
        """The first fax number, the one letters go to by default."""
        return self.faxes[0] if self.faxes else None

    def place(self, key: str | None = None) -> Place:
        return Place(self.file, self.line, f"office {self.id}" + (f", {key}" if key else ""))

    def to_record(self) -> dict[str, Any]:
        """The YAML record: empty fields left out, keys in a fixed order."""
        record: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if value in ("", (), None):
                continue
            if isinstance(value, Head):
                value = value.to_record()
            record[name] = list(value) if isinstance(value, tuple) else value
        return record


@dataclass
class Directory:
    """The offices of one sending state, in source order."""

    state: str  # ISO code of the sending state, e.g. KZ
    offices: list[Office]
    source: str = ""  # where the directory came from first
    files: tuple[Path, ...] = ()
    # Lists it was updated from since, each with its date ("missions-in-korea.csv (2026-11-30)").
    further_sources: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in (self.source, *self.further_sources) if s)

    def __post_init__(self) -> None:
        self._by_id = {office.id: office for office in self.offices}

    def __iter__(self) -> Iterator[Office]:
        return iter(self.offices)

    def __len__(self) -> int:
        return len(self.offices)

    def __contains__(self, office_id: object) -> bool:
        return office_id in self._by_id

    def get(self, office_id: str) -> Office:
        try:
            return self._by_id[office_id]
        except KeyError:
            raise DataError(
                f"unknown office id {office_id!r}",
                hint="'lettergen missions list' shows the ids",
            ) from None

    @property
    def resident_offices(self) -> list[Office]:
        return [office for office in self.offices if office.resident]


#: The form of an office id (README, "The directory file"): it names output files, so nothing
#: but lower-case ASCII letters and digits in words joined by single hyphens.
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

#: Fields holding one text each.
SINGLE_TEXTS = ("city", "addressee", "organisation", "website", "served_by", "source")
#: Fields holding a list of texts (a single text is read as a list of one).
TEXT_LISTS = ("address", "phones", "faxes", "emails", "accredited_to", "notes")


def _yes_no_error(key: str, value: bool, place: Place) -> InputError:
    """A bare true or false where a text belongs (lettergen reads YAML 1.2 booleans, so NO,
    yes and off are texts: only these two words are read as booleans)."""
    return InputError(
        f"{key} is read as {str(value).lower()}, not as a text",
        place,
        hint="write the text in quotes",
    )


def _kind_of_value(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _strings(key: str, value: Any, place: Place, errors: list[LettergenError]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    flags = [item for item in items if isinstance(item, bool)]
    if flags:
        what = f"an item of {key}" if isinstance(value, list) else key
        errors.append(_yes_no_error(what, flags[0], place))
        return ()
    if all(isinstance(item, str | int) for item in items):
        return tuple(str(item) for item in items)
    errors.append(InputError("expected a text or a list of texts", place))
    return ()


def _text(key: str, value: Any, place: Place, errors: list[LettergenError]) -> str:
    """A single-value field: a text (a bare number is read as its text); "" if absent."""
    if value is None:
        return ""
    if isinstance(value, bool):
        errors.append(_yes_no_error(key, value, place))
        return ""
    if isinstance(value, str | int):
        return str(value)
    errors.append(InputError(f"{key} must be one text, not {_kind_of_value(value)}", place))
    return ""


def _date(value: Any, place: Place, errors: list[LettergenError]) -> str:
    """verified: a date, YYYY-MM-DD (YAML reads it as a date; a spreadsheet gives text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    errors.append(InputError(f"verified {value!r} is not a date", place, hint="write YYYY-MM-DD"))
    return ""


def office_from_record(record: Any, path: Path, errors: list[LettergenError]) -> Office | None:
    """Build an Office from one YAML record, collecting every problem into errors."""
    line = getattr(record, "line", None)
    if not isinstance(record, dict):
        errors.append(InputError("an office must be a mapping of fields", Place(path, line)))
        return None

    def at(key: str) -> Place:
        line_of = getattr(record, "line_of", None)
        return Place(path, line_of(key) if line_of else line, key)

    before = len(errors)
    for key in record:
        if key not in FIELDS:
            log.warning("%s: unknown key %r ignored", at(key), key)
    for key in ("id", "country", "kind"):
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(InputError(f"{key} is missing", Place(path, line, key)))
        elif isinstance(value, bool):
            errors.append(_yes_no_error(key, value, at(key)))
        elif not isinstance(value, str):
            errors.append(InputError(f"{key} must be a text, not {_kind_of_value(value)}", at(key)))
    if len(errors) > before:
        return None
    office_id = record["id"]
    if not ID_PATTERN.fullmatch(office_id):
        errors.append(
            InputError(
                f"id {office_id!r} is not a slug",
                at("id"),
                hint="lower-case letters and digits in words joined by single hyphens,"
                " e.g. de-berlin-embassy",
            )
        )
    kind = record["kind"]
    if kind not in KINDS:
        errors.append(InputError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})", at("kind")))
    singles = {key: _text(key, record.get(key), at(key), errors) for key in SINGLE_TEXTS}
    addressee = singles["addressee"]
    if addressee and addressee not in ROLES:
        errors.append(
            InputError(
                f"unknown addressee {addressee!r} (one of: {', '.join(ROLES)})", at("addressee")
            )
        )
    country = record["country"].strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors.append(
            InputError(f"country {country!r} is not an ISO 3166 alpha-2 code", at("country"))
        )
    source_line = record.get("source_line")
    if source_line is not None and (
        not isinstance(source_line, int) or isinstance(source_line, bool)
    ):
        errors.append(InputError("source_line must be a number", at("source_line")))
        source_line = None
    texts = {key: _strings(key, record.get(key), at(key), errors) for key in TEXT_LISTS}
    verified = _date(record.get("verified"), at("verified"), errors)
    head = head_from_record(record.get("head"), at("head"), errors)
    if len(errors) > before:
        return None
    return Office(
        id=office_id,
        country=country,
        kind=kind,
        city=singles["city"],
        addressee=addressee,
        organisation=singles["organisation"],
        website=singles["website"],
        served_by=singles["served_by"],
        address=texts["address"],
        phones=texts["phones"],
        faxes=texts["faxes"],
        emails=texts["emails"],
        accredited_to=texts["accredited_to"],
        notes=texts["notes"],
        source_line=source_line,
        source=singles["source"],
        verified=verified,
        head=head,
        file=path,
        line=line,
    )


def load_directory(path: Path) -> Directory:
    """Read one directory YAML file; report every problem in it at once."""
    data = yamlio.load(path)
    if not isinstance(data, dict) or not isinstance(data.get("offices"), list):
        raise InputError(
            "not a directory file: expected 'state' and a list of 'offices'", Place(path, 1)
        )
    errors: list[LettergenError] = []
    state = data.get("state")
    line_of = getattr(data, "line_of", None)
    where = Place(path, line_of("state") if line_of else 1, "state")
    if isinstance(state, bool):
        errors.append(_yes_no_error("state", state, where))
    elif not isinstance(state, str) or len(state) != 2 or not state.isalpha():
        errors.append(InputError("state must be the ISO code of the sending state", where))
    sources = _strings("source", data.get("source"), Place(path, 1, "source"), errors)
    offices = [o for o in (office_from_record(r, path, errors) for r in data["offices"]) if o]
    if errors:
        raise ManyErrors(errors)
    first = sources[0] if sources else ""
    return Directory(str(state).upper(), offices, first, (path,), tuple(sources[1:]))


def merge(directories: Iterable[Directory]) -> Directory:
    """Several files of one sending state read as one directory; ids must stay unique."""
    parts = list(directories)
    if not parts:
        raise InputError(
            "no directory files found", hint="import one with 'lettergen directory import'"
        )
    states = {d.state for d in parts}
    if len(states) > 1:
        raise DataError(
            f"directory files of different sending states: {', '.join(sorted(states))}",
            hint="pass one with --directory",
        )
    offices = [office for d in parts for office in d.offices]
    seen: dict[str, Office] = {}
    errors: list[LettergenError] = []
    for office in offices:
        if office.id in seen:
            first = seen[office.id]
            errors.append(
                DataError(
                    f"duplicate office id {office.id!r} (first at {first.file}:{first.line})",
                    Place(office.file, office.line, "id"),
                )
            )
        seen[office.id] = office
    if errors:
        raise ManyErrors(errors)
    return Directory(
        parts[0].state,
        offices,
        parts[0].source,
        tuple(p for d in parts for p in d.files),
        parts[0].further_sources,
    )


def _directory_files(target: Path) -> list[Path]:
    files = sorted(target.glob("*.yaml")) + sorted(target.glob("*.yml"))
    if not files:
        raise InputError("no directory files (*.yaml) in this folder", Place(target))
    return files


def load_directories(path: Path | None = None, state: str | None = None) -> Directory:
    """A directory file, or the files of one sending state in a folder (default:
    data/directories/). A folder holding several states' directories needs `state`."""
    parts = load_states(path, state)
    if len(parts) > 1:
        states = ", ".join(d.state for d in parts)
        raise DataError(
            f"the folder holds the directories of several sending states: {states}",
            Place(path or parts[0].files[0].parent),
            hint="pass --state, or --directory with one file",
        )
    return parts[0]


def load_states(path: Path | None = None, state: str | None = None) -> list[Directory]:
    """One Directory per sending state of a file or folder (default: data/directories/), in
    the order of the states' codes; only `state`'s if given."""

    target = path or paths.directories_dir()
    if target.is_dir():
        loaded = [load_directory(f) for f in _directory_files(target)]
    elif not target.exists():
        raise InputError("file not found", Place(target))
    else:
        loaded = [load_directory(target)]
    wanted = state.upper() if state else None
    states = sorted({d.state for d in loaded if wanted in (None, d.state)})
    if not states:
        raise DataError(
            f"no directory of the sending state {wanted} here",
            Place(target),
            hint=f"the files hold: {', '.join(sorted({d.state for d in loaded}))}",
        )
    return [merge(d for d in loaded if d.state == code) for code in states]


def _record_dumper() -> type[Any]:
    import yaml

    class RecordDumper(yaml.SafeDumper):
        """An office record as a block of `key: value` lines (even when it holds only scalars,
        which default_flow_style=None would squeeze onto one line), its lists inline."""

    def mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=False)

    def sequence(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    RecordDumper.add_representer(dict, mapping)
    RecordDumper.add_representer(list, sequence)
    return RecordDumper


def dump_directory(directory: Directory, comments: dict[str, list[str]] | None = None) -> str:
    """The YAML text of a directory: a header, then one record per office with optional comments
    above it (the importer uses them to explain what it guessed)."""
    import yaml

    dumper = _record_dumper()

    def scalar(value: str) -> str:
        # Quoted where YAML would read it otherwise: state NO (Norway) is not false.
        text = yaml.safe_dump(value, allow_unicode=True, width=1000)
        return text.strip().removesuffix("\n...")

    lines = [f"state: {scalar(directory.state)}"]
    if len(directory.sources) > 1:
        lines.append("source:")
        lines += [f"  - {scalar(source)}" for source in directory.sources]
    elif directory.source:
        lines.append(f"source: {scalar(directory.source)}")
    lines.append("offices:" if directory.offices else "offices: []")
    for office in directory.offices:
        for comment in (comments or {}).get(office.id, []):
            lines.append(f"  # {comment}")
        text = yaml.dump(
            office.to_record(), Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000
        )
        rows = text.rstrip("\n").split("\n")
        lines.extend(("  - " if i == 0 else "    ") + row for i, row in enumerate(rows))
    return "\n".join(lines) + "\n"
