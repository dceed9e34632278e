"""Bring a directory file up to date from a newer list, with a diff a person reviews first.

Offices are matched by country, city and kind, then by a shared phone or fax number, then by
id. The newer list covers the countries it has offices in (a host-country list: one country):
an office of the directory in those countries that matches nothing is reported as closed; an
office of the newer list that matches nothing is new. A matched office whose address, numbers,
e-mails or website differ is changed.

Writing keeps the file as it is around the changed records: ruamel.yaml reads and writes it
round trip (comments, quoting, flow lists, key order), since PyYAML drops comments and the
file's '# corrected by hand' comments are the review work of a person. A field such a comment
names is never overwritten: the diff shows both values as a conflict to decide. An office
matched by a shared number or its id whose country, city or kind the newer list gives
differently is a conflict too: none of its changes is applied, nothing is dropped unseen. A
changed record keeps its `source` and gains `verified` (the date the newer list gives for it,
or the update's); a new one gets the newer list's source; the directory's `source` keeps the
original and gains the newer list, with the date. What is written is read back and checked
as `missions validate` would: an update that would write an error is refused, whole.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lettergen.directory import countries, phones
from lettergen.directory.model import Directory, Office, load_directory
from lettergen.directory.sources import hostlist, spreadsheet
from lettergen.directory.validate import validate
from lettergen.errors import DataError, InputError, ManyErrors, Place
from lettergen.util import files, yamlio

log = logging.getLogger(__name__)

#: The fields an update compares and writes: the facts a newer list gives about an office.
COMPARED: tuple[str, ...] = ("address", "phones", "faxes", "emails", "website")
#: Where an office is: a newer record matched by number or id but placed elsewhere is a
#: conflict for a person, not a change.
PLACE: tuple[str, ...] = ("country", "city", "kind")
HAND_MARK = "corrected by hand"
#: How a hand-correction comment above a record names the fields an update writes.
_FIELD_WORDS = {
    "address": r"\baddress(es)?\b",
    "phones": r"\b(tele)?phones?\b",
    "faxes": r"\bfax(es)?\b",
    "emails": r"\be-?mails?\b",
    "website": r"\b(website|web site)\b",
}


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any
    kept: bool = False  # the field is corrected by hand: the old value stays


@dataclass
class OfficeDiff:
    office: Office  # the directory's office (for "new": the newer list's)
    # "new", "closed", "closed-kept" (served_by points at it), "missing" (not in a list whose
    # bad rows were skipped: kept), "changed", "conflict"
    how: str
    changes: list[Change] = field(default_factory=list)
    matched_by: str = ""  # "place", "number", "id" (or "delivery": dead numbers)
    verify: bool = True  # applying it sets `verified` (not for a number that failed)
    newer: Office | None = None  # the newer list's record of the office
    conflicts: list[Change] = field(default_factory=list)  # the place the newer list gives

    @property
    def applied(self) -> list[Change]:
        if self.how == "conflict":
            return []
        return [c for c in self.changes if not c.kept]

    @property
    def to_decide(self) -> bool:
        return self.how == "conflict" or any(c.kept for c in self.changes)


@dataclass
class Diff:
    offices: list[OfficeDiff]
    unchanged: int
    scope: tuple[str, ...]  # the countries the newer list covers
    kinds: tuple[str, ...] = ()  # the kinds of office it covers (empty: all)
    skipped_rows: int = 0  # rows of the newer list left out (--skip-bad-rows)

    def of(self, how: str) -> list[OfficeDiff]:
        return [d for d in self.offices if d.how == how]

    @property
    def empty(self) -> bool:
        return not any(d.how in ("new", "closed") or d.applied for d in self.offices)


# --- hand corrections -------------------------------------------------------------------------


def hand_corrected(text: str) -> dict[str, set[str]]:
    """Per office id, the fields that '# corrected by hand' comments name: a comment inside a
    record protects the key below it; one above a record protects the fields an update writes
    that it mentions ("address 'Riadh' -> 'Riyadh'")."""
    protected: dict[str, set[str]] = {}
    block: list[str] = []
    current: str | None = None
    words = {name: re.compile(pattern) for name, pattern in _FIELD_WORDS.items()}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        marked = any(HAND_MARK in comment for comment in block)
        item = re.match(r"\s*-\s+id:\s*['\"]?([\w-]+)", line)
        key = re.match(r"\s+([a-z_]+):", line)
        if item:
            current = item[1]
            if marked:
                comment = " ".join(block).split(HAND_MARK, 1)[1]
                fields = {name for name, word in words.items() if word.search(comment)}
                protected.setdefault(current, set()).update(fields)
        elif key and current and marked:
            protected.setdefault(current, set()).add(key[1])
        block = []
    return protected


# --- matching and comparing -----------------------------------------------------------------


def _numbers(office: Office) -> set[str]:
    return set(office.phones) | set(office.faxes)


def _same_place(a: Office, b: Office) -> bool:
    return a.country == b.country and a.kind == b.kind and countries.same_city(a.city, b.city)


def _match(new: Office, candidates: list[Office]) -> tuple[Office | None, str]:
    placed = [o for o in candidates if _same_place(o, new)]
    if len(placed) == 1:
        return placed[0], "place"
    pool = placed or candidates
    by_number = [o for o in pool if _numbers(o) & _numbers(new)]
    if len(by_number) == 1:
        return by_number[0], "number"
    by_id = [o for o in pool if o.id == new.id]
    if by_id:
        return by_id[0], "id"
    return (placed[0], "place") if placed else (None, "")


def compare(
    old: Directory,
    newer: Directory,
    fields: Iterable[str] = COMPARED,
    protected: dict[str, set[str]] | None = None,
    countries_covered: Iterable[str] | None = None,
    kinds_covered: Iterable[str] | None = None,
    skipped_rows: int = 0,
) -> Diff:
    """The diff from old to newer, office by office (non-resident entries are not compared:
    lists name offices, not the countries covered from abroad). The newer list covers
    countries_covered (a host list: its host), by default every country of either, and
    kinds_covered (the UN's list: permanent missions), by default every kind. A list whose
    rows were skipped (--skip-bad-rows) closes nothing: an office it lacks may be in one of
    them, and is kept ("missing")."""
    wanted = set(fields)
    fields = [name for name in COMPARED if name in wanted]
    protected = protected or {}
    if countries_covered is None:
        countries_covered = {o.country for o in [*old, *newer] if o.resident}
    scope = tuple(sorted(countries_covered))
    kinds = set(kinds_covered or ())
    candidates = [
        o for o in old if o.resident and o.country in scope and (not kinds or o.kind in kinds)
    ]
    diffs: list[OfficeDiff] = []
    unchanged = 0
    for office in (o for o in newer if o.resident):
        match, how = _match(office, candidates)
        if match is None:
            diffs.append(OfficeDiff(office, "new"))
            continue
        candidates.remove(match)
        changes = []
        for name in fields:
            before, after = getattr(match, name), getattr(office, name)
            if before != after:
                changes.append(Change(name, before, after, name in protected.get(match.id, ())))
        if "verified" in wanted and office.verified > match.verified:
            changes.append(Change("verified", match.verified, office.verified))
        conflicts = [
            Change(name, getattr(match, name), getattr(office, name))
            for name in PLACE
            if how != "place" and not _same(name, getattr(match, name), getattr(office, name))
        ]
        if conflicts:
            diffs.append(
                OfficeDiff(match, "conflict", changes, how, newer=office, conflicts=conflicts)
            )
        elif changes:
            diffs.append(OfficeDiff(match, "changed", changes, how, newer=office))
        else:
            unchanged += 1
    served = {o.served_by for o in old if o.served_by}
    for office in candidates:
        # An office that entries are served by stays until a person re-routes them.
        how = "closed-kept" if office.id in served else "missing" if skipped_rows else "closed"
        diffs.append(OfficeDiff(office, how))
    return Diff(diffs, unchanged, scope, tuple(sorted(kinds)), skipped_rows)


def _same(name: str, a: str, b: str) -> bool:
    return countries.same_city(a, b) if name == "city" else a == b


def _shown(value: Any) -> str:
    """A value as the diff shows it: numbers in one international style (+82 2 548 1416)."""
    if isinstance(value, tuple):
        items = [phones.display(v) if phones.is_e164(v) else v for v in value]
        return "; ".join(items) if items else "(none)"
    return str(value) if value else "(none)"


KEPT = "  [conflict: corrected by hand; the first value is kept]"


def diff_lines(diff: Diff) -> list[str]:
    """The diff as `directory update` prints it."""
    lines = []
    for item in diff.offices:
        office = item.office
        place = f"{office.country}, {office.city or '?'}, {office.kind}"
        if item.how == "new":
            lines.append(f"new      {office.id} ({place})")
            for name in COMPARED:
                if getattr(office, name):
                    lines.append(f"           {name}: {_shown(getattr(office, name))}")
        elif item.how == "closed":
            lines.append(f"closed   {office.id} ({place}): not in the newer list")
        elif item.how == "missing":
            rows = (
                "1 row of the list was"
                if diff.skipped_rows == 1
                else (f"{diff.skipped_rows} rows of the list were")
            )
            lines.append(
                f"kept     {office.id} ({place}): not in the newer list, kept: {rows} skipped, "
                "and it may be this office's"
            )
        elif item.how == "closed-kept":
            lines.append(
                f"closed?  {office.id} ({place}): not in the newer list, kept: other entries "
                "are served by it (point their served_by elsewhere, then update again)"
            )
        else:
            how = (
                "dead numbers" if item.matched_by == "delivery" else f"matched by {item.matched_by}"
            )
            if item.how == "conflict":
                lines.append(
                    f"conflict {office.id} ({place}; {how}): the newer list puts it elsewhere; "
                    "nothing of it is applied (correct the record or the list by hand)"
                )
                lines += [
                    f"           {c.field}: {_shown(c.old)} -> {_shown(c.new)}"
                    for c in item.conflicts
                ]
            else:
                lines.append(f"changed  {office.id} ({place}; {how})")
            for change in item.changes:
                if change.field == "notes":  # a note added: the old ones stay
                    added = [n for n in change.new if n not in change.old]
                    lines += [f"           notes: + {text}" for text in added]
                    continue
                lines.append(
                    f"           {change.field}: {_shown(change.old)} -> {_shown(change.new)}"
                    + (KEPT if change.kept else "")
                )
    changed = sum(1 for d in diff.of("changed") if d.applied)
    compared = f" (countries compared: {', '.join(diff.scope)})" if diff.scope else ""
    if diff.kinds:
        compared = compared[:-1] + f"; kinds: {', '.join(diff.kinds)})"
    lines.append(
        f"{len(diff.of('new'))} new, {len(diff.of('closed'))} closed, {changed} changed, "
        f"{diff.unchanged} unchanged"
        + (f", {len(diff.of('missing'))} kept" if diff.of("missing") else "")
        + compared
    )
    decide = sum(1 for d in diff.offices if d.to_decide)
    if decide:
        lines.append(f"conflicts to decide: {decide} (shown above, not applied)")
    return lines


# --- writing --------------------------------------------------------------------------------


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a line the file has on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _flow(values: list[str]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _record(office: Office) -> Any:
    from ruamel.yaml.comments import CommentedMap

    record = CommentedMap()
    for name, value in office.to_record().items():
        record[name] = _flow(value) if isinstance(value, list) else value
    return record


def _tail(record: Any) -> list[Any] | None:
    """The comment slot after a record's last value: in ruamel's round-trip model the comment
    lines above the next record live there."""
    keys = list(record.keys())
    return record.ca.items.get(keys[-1]) if keys else None


def _remove(records: Any, record: Any) -> None:
    """Remove a record with the comments above it, keeping those above the next record (which
    sit in this record's tail slot) by moving them into the previous record's."""
    index = records.index(record)
    tail = _tail(record)
    following = tail[2] if tail else None
    if index > 0:
        before = records[index - 1]
        keys = list(before.keys())
        slot = before.ca.items.setdefault(keys[-1], [None, None, None, None])
        slot[2] = following
    elif following is not None:
        # The first record: comments above the next one go above the list's new first item.
        records.yaml_set_comment_before_after_key(
            0, before=following.value.strip("\n").replace("  # ", "# ")
        )
    del records[index]


def _free_id(office_id: str, taken: set[str]) -> str:
    if office_id not in taken:
        return office_id
    count = 2
    while f"{office_id}-{count}" in taken:
        count += 1
    return f"{office_id}-{count}"


def _add_source(data: Any, source: str) -> None:
    """The directory's `source` keeps what it was and gains the newer list (a list of them)."""
    from ruamel.yaml.comments import CommentedSeq

    current = data.get("source")
    items = list(current) if isinstance(current, list) else ([str(current)] if current else [])
    if source in items:
        return
    sources = CommentedSeq([*items, source])
    if "source" in data:
        data["source"] = sources
    else:
        data.insert(
            list(data.keys()).index("state") + 1 if "state" in data else 0, "source", sources
        )


def apply(path: Path, diff: Diff, date: datetime.date, source: str = "") -> str:
    """The directory file's new text: changed fields written in place (hand-corrected ones
    kept), `verified` set on changed records (the newer list's date where it gives one),
    closed offices removed, new ones appended, the newer list added to the sources."""
    yaml = _round_trip()
    data = yaml.load(yamlio.read_text(path))
    records = data["offices"]
    by_id = {record["id"]: record for record in records}
    for item in diff.of("changed"):
        if not item.applied:
            continue
        record = by_id[item.office.id]
        for change in item.applied:
            if change.field == "verified":
                continue  # below
            value = list(change.new) if isinstance(change.new, tuple) else change.new
            if value in ([], ""):
                record.pop(change.field, None)
            else:
                record[change.field] = _flow(value) if isinstance(value, list) else value
        if item.verify:
            typed = item.newer.verified if item.newer else ""
            record["verified"] = typed or date.isoformat()
    for item in diff.of("closed"):
        _remove(records, by_id[item.office.id])
    taken = set(by_id)
    for item in diff.of("new"):
        office = replace(
            item.office,
            id=_free_id(item.office.id, taken),
            verified=item.office.verified or date.isoformat(),
            source_line=None,
        )
        taken.add(office.id)
        records.append(_record(office))
    if source and not diff.empty:
        _add_source(data, source)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def update(
    path: Path,
    newer: Directory,
    fields: Iterable[str] = COMPARED,
    date: datetime.date | None = None,
    write: bool = False,
    countries_covered: Iterable[str] | None = None,
    source: str = "",
    kinds_covered: Iterable[str] | None = None,
    skipped_rows: int = 0,
) -> Diff:
    """Compare the directory file at path with newer; with write, apply the diff (the file is
    replaced whole, and read back to prove it is still a valid directory). `source` names the
    newer list; the directory's sources gain it, with the date. `skipped_rows`: rows of the
    newer list left out as unreadable (then it closes no office)."""
    old = load_directory(path)
    if newer.state != old.state:
        raise InputError(
            f"the newer list is of the sending state {newer.state}, the directory of {old.state}",
            Place(path),
        )
    protected = hand_corrected(yamlio.read_text(path))
    diff = compare(old, newer, fields, protected, countries_covered, kinds_covered, skipped_rows)
    if write and not diff.empty:
        day = date or datetime.date.today()
        write_diff(path, diff, day, f"{source} ({day.isoformat()})" if source else "")
    return diff


def write_diff(path: Path, diff: Diff, date: datetime.date | None, source: str = "") -> None:
    """Apply the diff to the file. The new text is read back as a directory and checked as
    `missions validate` checks it first: one that does not load, or holds an error the file
    did not hold before, is refused and nothing is written. Then it replaces the file whole."""

    def errors(directory: Directory) -> set[tuple[str, str, str]]:
        return {(f.subject, f.code, f.message) for f in validate(directory) if f.is_error}

    before = errors(load_directory(path))
    text = apply(path, diff, date or datetime.date.today(), source)
    tmp = path.with_name(f".{path.name}.check.yaml")
    try:
        files.atomic_write(tmp, text)
        after = errors(load_directory(tmp))  # never replace a directory with one that does not load
    finally:
        tmp.unlink(missing_ok=True)
    new = sorted(after - before)
    if new:
        raise ManyErrors(
            [
                DataError(f"{subject}: {message} ({code})", Place(path))
                for subject, code, message in new
            ]
            + [
                DataError(
                    "the update would write what 'missions validate' calls an error: "
                    "nothing written",
                    hint="correct the newer list and update again",
                )
            ]
        )
    files.atomic_write(path, text)


@dataclass
class Newer:
    """A newer list: its offices, the fields it speaks about (a column it lacks changes
    nothing) and the countries it covers (None: it is a whole directory)."""

    directory: Directory
    fields: set[str]
    countries: set[str] | None = None
    skipped: list[Any] = field(default_factory=list)  # rows left out (--skip-bad-rows)
    kinds: set[str] | None = None  # the kinds of office it covers (None: all)


def read_newer(
    path: Path, state: str, mapping: Path | None = None, skip_bad_rows: bool = False
) -> Newer:
    """A directory YAML or an exported spreadsheet (a whole directory: an office missing from
    it is closed), or with a mapping a host-country list (it covers its host only). A row that
    cannot be read exactly stops it, or with skip_bad_rows is left out (Newer.skipped)."""
    if mapping is not None:
        found = hostlist.read(path, mapping, skip_bad_rows)
        targets = set(found.mapping.columns)
        if "mobiles" in targets:
            targets.add("phones")
        covers = set(found.mapping.covers) or None
        return Newer(found.directory(state), targets, {found.mapping.host}, found.skipped, covers)
    if path.suffix.lower() in (".yaml", ".yml"):
        return Newer(load_directory(path), {*COMPARED, "verified"})
    rows = spreadsheet.read_rows(path)
    header = {str(cell).strip().lower().replace(" ", "_") for cell in (rows[0] if rows else [])}
    skipped: list[spreadsheet.SkippedRow] = []
    directory = spreadsheet.import_sheet(path, state, skip_bad_rows=skip_bad_rows, skipped=skipped)
    return Newer(directory, header, skipped=skipped)
