"""A directory as a spreadsheet (CSV, XLSX, ODS), one row per office, and back.

Campaign groups keep contact lists in spreadsheets. The columns are the YAML record's fields
(docs/directories.md, "The columns"); a cell of a list field holds one item per line (numbers,
e-mails and accredited_to may also be separated by ';'). Any column order is read; an unknown
column is refused by name, so a misspelt header never drops a column silently. Rows are checked
by the same code as the YAML records, and every message names file:row: column.

XLSX is written and read with openpyxl (the maintained library for the format, pure Python);
ODS is read with python-calamine (a maintained reader of ODS, XLSX and XLS built on the Rust
calamine crate, shipped as wheels), so no office suite is needed to import a sheet.

Nothing is run: every text is written as text (lettergen.util.spreadsheet: a CSV cell that a
spreadsheet would take for a formula gets a `'` in front, read back without it; XLSX cells are
text cells), and a formula cell met on import is reported with its row and column: its stored
value is read with a warning, and one without a value is an error, never an empty cell.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lettergen.directory.model import (
    FIELDS,
    TEXT_LISTS,
    Directory,
    Office,
    merge,
    office_from_record,
)
from lettergen.directory.validate import validate
from lettergen.errors import InputError, LettergenError, ManyErrors, Place, shown
from lettergen.util import files, yamlio
from lettergen.util import spreadsheet as cells

log = logging.getLogger(__name__)

#: The columns, in the order export writes them (the YAML record's field order).
COLUMNS: tuple[str, ...] = FIELDS
REQUIRED: tuple[str, ...] = ("id", "country", "kind")
#: List fields whose items never hold a ';' themselves: a cell may separate them by ';' too.
SEMICOLON_LISTS = ("phones", "faxes", "emails", "accredited_to")
SUFFIXES = (".csv", ".xlsx", ".ods")


class Row(dict[str, Any]):
    """One spreadsheet row as a record: its row number stands where a YAML line would."""

    line: int = 0

    def line_of(self, key: str) -> int:
        return self.line


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- export ---------------------------------------------------------------------------------


def office_row(office: Office) -> list[str | int]:
    record = office.to_record()
    row: list[str | int] = []
    for name in COLUMNS:
        value = record.get(name, "")
        row.append("\n".join(value) if isinstance(value, list) else value)
    return row


def to_csv(directory: Directory) -> str:
    """CSV with a header row; UTF-8 with the byte order mark, so that Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(cells.row(office_row(office)) for office in directory)
    return "\ufeff" + buffer.getvalue()


def to_xlsx(directory: Directory) -> bytes:
    """An XLSX workbook, one sheet 'offices'. Every cell but source_line is a text cell, so a
    spreadsheet never turns +4930... into a number."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "offices"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, office in enumerate(directory, start=2):
        for column, value in enumerate(office_row(office), start=1):
            if value == "":
                continue
            cell = sheet.cell(row=number, column=column)
            cells.text_cell(cell, value)  # a text cell, never a formula
            cell.alignment = wrap
            if isinstance(value, str):
                cell.number_format = "@"
    widths = {"id": 30, "address": 40, "notes": 50, "source": 30}
    for index, name in enumerate(COLUMNS):
        sheet.column_dimensions[column_letter(index)].width = widths.get(name, 16)
    sheet.freeze_panes = "B2"
    # A fixed creation date: the same directory gives the same workbook content.
    book.properties.created = datetime.datetime(2000, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(directory: Directory, path: Path) -> None:
    """Write the directory to path, as CSV or XLSX by its suffix (whole or not at all)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        files.atomic_write(path, to_csv(directory))
    elif suffix == ".xlsx":
        files.atomic_write(path, to_xlsx(directory))
    else:
        raise InputError(
            f"cannot write {suffix or 'a file without suffix'}",
            Place(path),
            hint="use .csv or .xlsx",
        )


# --- import ---------------------------------------------------------------------------------


def _cell(value: Any) -> str | int:
    """A cell as text; whole numbers (a spreadsheet's 187.0) as int, dates as YYYY-MM-DD; a
    text lettergen quoted on export (`'=...`) without its quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(cells.original(str(value))).strip()


@dataclass(frozen=True)
class Formula:
    """A formula cell: its formula, and whether the file stores the value it computed."""

    text: str
    has_value: bool


class Sheet(list[list[str | int]]):
    """The cells of a sheet's rows (row 1 first), and its formula cells by (row, column)."""

    formulas: dict[tuple[int, int], Formula]

    def __init__(self, rows: Iterable[list[str | int]] = (), formulas: Any = None) -> None:
        super().__init__(rows)
        self.formulas = dict(formulas or {})


def _csv_rows(path: Path) -> Sheet:
    text = yamlio.read_text(path).removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    # Excel in many locales writes ';'-separated CSV: take the separator its header row uses.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        # A quote left open would otherwise read the rest of the file into one cell.
        raise InputError(f"not readable as CSV ({exc})", Place(path, reader.line_num)) from None
    return Sheet([_cell(value) for value in row] for row in rows)


def _xlsx_rows(path: Path) -> Sheet:
    from openpyxl import load_workbook

    formulas: dict[tuple[int, int], Formula] = {}
    try:
        # Twice: the formulas as written, then the values a spreadsheet application stored.
        book = load_workbook(path, read_only=True, data_only=False)
        try:
            for number, row in enumerate(book.worksheets[0].iter_rows(), start=1):
                for index, cell in enumerate(row):
                    if getattr(cell, "data_type", None) == "f":
                        formulas[(number, index)] = Formula(str(cell.value), False)
        finally:
            book.close()
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("file not found", Place(path)) from None
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors alike
        raise InputError(f"not a readable XLSX workbook ({exc})", Place(path)) from None
    try:
        rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    for (number, index), formula in list(formulas.items()):
        row = rows[number - 1] if number <= len(rows) else []
        value = row[index] if index < len(row) else None
        formulas[(number, index)] = Formula(formula.text, value not in (None, ""))
    return Sheet(([_cell(value) for value in row] for row in rows), formulas)


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _ods_formulas(path: Path) -> dict[tuple[int, int], Formula]:
    """The formula cells of an ODS file's first table (calamine gives only their values)."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("content.xml"))
    table = root.find(f".//{{{_TABLE}}}table")
    found: dict[tuple[int, int], Formula] = {}
    if table is None:
        return found
    number = 1
    for row in table.iter(f"{{{_TABLE}}}table-row"):
        repeated = int(row.get(f"{{{_TABLE}}}number-rows-repeated", "1"))
        index = 0
        for cell in row:
            across = int(cell.get(f"{{{_TABLE}}}number-columns-repeated", "1"))
            formula = cell.get(f"{{{_TABLE}}}formula")
            if formula:
                stored = cell.get(f"{{{_OFFICE}}}value-type") is not None
                for r in range(min(repeated, 1000)):
                    for c in range(min(across, 1000)):
                        found[(number + r, index + c)] = Formula(formula, stored)
            index += across
        number += repeated
    return found


def _ods_rows(path: Path) -> Sheet:
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise InputError("file not found", Place(path))
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        formulas = _ods_formulas(path)
    except Exception as exc:  # calamine reports every format problem as its own error types
        raise InputError(f"not a readable ODS spreadsheet ({exc})", Place(path)) from None
    return Sheet(([_cell(value) for value in row] for row in rows), formulas)


def read_rows(path: Path) -> Sheet:
    """The sheet's cells as texts (first sheet of a workbook), by the file's suffix; row 1 of
    the list is the sheet's row 1, so row numbers are the ones a spreadsheet shows."""
    suffix = path.suffix.lower()
    readers = {".csv": _csv_rows, ".xlsx": _xlsx_rows, ".ods": _ods_rows}
    if suffix not in readers:
        raise InputError(
            f"cannot read {suffix or 'a file without suffix'} as a spreadsheet",
            Place(path),
            hint="use .csv, .xlsx or .ods",
        )
    return readers[suffix](path)


# --- rows that cannot be read exactly -----------------------------------------------------


@dataclass(frozen=True)
class SkippedRow:
    """A row left out with --skip-bad-rows, and why."""

    path: Path
    row: int
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.row}: skipped: " + "; ".join(self.problems)


class BadRows(ManyErrors):
    """Rows that cannot be read exactly: nothing is taken from the sheet."""

    def __init__(self, errors: Iterable[LettergenError], rows: int):
        errors = list(errors)
        what = "1 row cannot" if rows == 1 else f"{rows} rows cannot"
        tail = InputError(
            f"{what} be read exactly: nothing written",
            hint="correct them, or pass --skip-bad-rows to leave them out",
        )
        super().__init__([*errors, tail] if rows else errors)


@dataclass
class RowErrors:
    """The problems found in a sheet, by row: a sheet's own (its header) stop everything; a
    row's stop everything too unless bad rows are to be skipped."""

    path: Path
    sheet: list[LettergenError] = field(default_factory=list)
    rows: dict[int, list[LettergenError]] = field(default_factory=dict)

    def add(self, error: LettergenError, row: int | None = None) -> None:
        if row is None:
            self.sheet.append(error)
        else:
            self.rows.setdefault(row, []).append(error)

    def bad(self, row: int) -> bool:
        return row in self.rows

    def settle(self, skip: bool) -> list[SkippedRow]:
        """Raise unless every row is right (or, with skip, every problem is a row's); return
        the rows skipped."""
        ordered = [e for row in sorted(self.rows) for e in self.rows[row]]
        if self.sheet:
            raise ManyErrors(self.sheet + ordered)
        if self.rows and not skip:
            raise BadRows(ordered, len(self.rows))
        return [
            SkippedRow(self.path, row, tuple(_without_place(e) for e in self.rows[row]))
            for row in sorted(self.rows)
        ]


def _without_place(error: LettergenError) -> str:
    field_name = error.place.field if error.place else None
    text = f"{field_name}: {error.message}" if field_name else error.message
    return f"{text} ({error.hint})" if error.hint else text


def column_label(index: int, header: Sequence[Any]) -> str:
    """'column C (city)': a column as a spreadsheet names it, with its header."""
    name = str(header[index]).strip() if index < len(header) else ""
    return f"column {column_letter(index)}" + (f" ({name})" if name else "")


def formula_problems(
    path: Path, sheet: Sheet, header: Sequence[Any], found: RowErrors, first: int = 1
) -> None:
    """Each formula cell below row `first`: its stored value is read with a warning; one
    without a value is an error of its row (the cell cannot be read exactly)."""
    for (row, index), formula in sorted(sheet.formulas.items()):
        if row <= first:
            if row == first:
                found.add(
                    InputError(f"a formula in the header row: {formula.text!r}", Place(path, row))
                )
            continue
        place = Place(path, row, column_label(index, header))
        if formula.has_value:
            value = sheet[row - 1][index]
            log.warning("%s: a formula (%r): its value %r is read", place, formula.text, value)
        else:
            found.add(
                InputError(
                    f"a formula without a value: {formula.text!r}",
                    place,
                    hint="enter the value itself, or save the sheet from a spreadsheet application",
                ),
                row,
            )


def _header(path: Path, cells: Sequence[str | int], known: Iterable[str]) -> list[str]:
    known = tuple(known)
    header = [str(cell).strip().lower().replace(" ", "_") for cell in cells]
    while header and not header[-1]:
        header.pop()
    problems: list[LettergenError] = []
    for index, name in enumerate(header):
        where = Place(path, 1, f"column {column_letter(index)}")
        if not name:
            problems.append(InputError("a column has no name", where))
        elif name not in known:
            problems.append(
                InputError(f"unknown column {name!r}", where, hint=f"known: {', '.join(known)}")
            )
        elif header.index(name) != index:
            problems.append(InputError(f"column {name!r} appears twice", where))
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(InputError(f"missing column(s): {', '.join(missing)}", Place(path, 1)))
    if problems:
        raise ManyErrors(problems)
    return header


#: A number written internationally with spaces, dots, hyphens or brackets: "+43 1 367 91 750".
_SPACED_NUMBER = re.compile(r"\+[0-9][0-9 ().\-–]*[0-9]")


def _items(name: str, value: str | int, place: Place) -> list[str]:
    if isinstance(value, int) and name in ("phones", "faxes"):
        # A spreadsheet that took +4930... for a number kept the digits and dropped the plus.
        log.warning("%s: number %d read as +%d (format the column as text)", place, value, value)
        return [f"+{value}"]
    text = str(value).replace("\r\n", "\n")
    parts = text.split("\n")
    if name in SEMICOLON_LISTS:
        parts = [item for part in parts for item in part.split(";")]
    items = [item.strip() for item in parts if item.strip()]
    if name in ("phones", "faxes"):
        # E.164 inside: "+43 1 367 91 750" is +43136791750; anything else is checked as written.
        items = [
            "+" + re.sub(r"\D", "", item) if _SPACED_NUMBER.fullmatch(item) else item
            for item in items
        ]
    return items


def _where(path: Path, row: int, header: list[str], place: Place | None) -> Place:
    """A record's place (file:row: field) told as the spreadsheet shows it: file:row: column."""
    field = place.field if place else None
    if field in header:
        return Place(path, row, f"column {column_letter(header.index(field))} ({field})")
    return Place(path, row, field)


def _wrong_column(record: Row) -> list[tuple[str, str]]:
    """(field, message) for a value that belongs in another column: an e-mail address among
    the numbers or as the website, a text without @ among the e-mail addresses."""
    found = []
    for name in ("phones", "faxes"):
        for item in record.get(name, []):
            if "@" in item:
                found.append((name, f"{item!r} is an e-mail address, not a number"))
    for item in record.get("emails", []):
        if "@" not in item or any(c.isspace() for c in item):
            found.append(("emails", f"{item!r} is no e-mail address"))
    website = str(record.get("website", ""))
    if "@" in website and "/" not in website:
        found.append(("website", f"{website!r} is an e-mail address, not a web page"))
    return found


#: Which column a validation error of a record is about, by its code and first word.
_FINDING_FIELDS = {
    ("number-syntax", "phone"): "phones",
    ("number-syntax", "fax"): "faxes",
    ("country-unknown", "country"): "country",
    ("country-unknown", "accredited_to"): "accredited_to",
}


def _record(path: Path, number: int, header: list[str], values: Sequence[Any]) -> Row:
    record = Row()
    record.line = number
    for name, value in zip(header, values, strict=False):
        if value == "":
            continue
        if name == "source_line" and isinstance(value, str) and value.isdigit():
            record[name] = int(value)  # CSV cells are texts
        elif name in TEXT_LISTS:
            where = _where(path, number, header, Place(field=name))
            record[name] = _items(name, value, where)
        else:
            record[name] = value
    return record


def read_sheet(path: Path, skip_bad_rows: bool = False) -> tuple[list[Office], list[SkippedRow]]:
    """Every office of the sheet, and the rows skipped. Every problem of every row is found
    first: a row that cannot be read exactly (a formula without a value, a number that is not
    one, an unknown country, a value in the wrong column, anything `missions validate` calls
    an error) stops the import, or with skip_bad_rows is left out and listed. served_by may
    name an office the sheet does not hold (a state's directory may be several files)."""
    rows = read_rows(path)
    if not rows or not any(str(cell).strip() for cell in rows[0]):
        raise InputError("the first row must name the columns", Place(path, 1))
    header = _header(path, rows[0], COLUMNS)
    found = RowErrors(path)
    formula_problems(path, rows, header, found)
    offices: list[Office] = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(str(cell).strip() for cell in values):
            continue
        extra = [cell for cell in values[len(header) :] if str(cell).strip()]
        if extra:
            found.add(
                InputError("a cell right of the last named column", Place(path, number)), number
            )
            continue
        record = _record(path, number, header, values)
        for name, message in _wrong_column(record):
            found.add(InputError(message, _where(path, number, header, Place(field=name))), number)
        errors: list[LettergenError] = []
        office = office_from_record(record, path, errors)
        for error in errors:
            where = _where(path, number, header, error.place)
            found.add(type(error)(error.message, where, error.hint), number)
        if office is not None:
            offices.append(office)
    _validation_problems(path, header, offices, found)
    skipped = found.settle(skip_bad_rows)
    return [o for o in offices if not found.bad(o.line or 0)], skipped


def _validation_problems(
    path: Path, header: list[str], offices: list[Office], found: RowErrors
) -> None:
    """What `missions validate` calls an error, and a repeated id, as problems of their rows."""
    first: dict[str, Office] = {}
    for office in offices:
        if office.id in first:
            where = _where(path, office.line or 0, header, Place(field="id"))
            found.add(
                InputError(
                    f"id {office.id!r} is also the id of row {first[office.id].line}", where
                ),
                office.line,
            )
        first.setdefault(office.id, office)
    by_id = {o.id: o for o in reversed(offices)}
    for finding in validate(Directory("ZZ", list(first.values()))):
        if not finding.is_error or finding.code.startswith("served-by"):
            continue
        office = by_id[finding.subject]
        word = finding.message.split(" ", 1)[0]
        name = _FINDING_FIELDS.get((finding.code, word), "id")
        where = _where(path, office.line or 0, header, Place(field=name))
        found.add(InputError(finding.message, where), office.line)


def read_offices(path: Path) -> list[Office]:
    """Every office of the sheet; every problem of every row reported at once."""
    return read_sheet(path)[0]


def import_sheet(
    path: Path,
    state: str,
    source: str = "",
    skip_bad_rows: bool = False,
    skipped: list[SkippedRow] | None = None,
) -> Directory:
    """A directory from a spreadsheet of the sending state `state` (ids checked unique); the
    rows left out with skip_bad_rows are added to `skipped`."""
    offices, left_out = read_sheet(path, skip_bad_rows)
    if skipped is not None:
        skipped.extend(left_out)
    return merge([Directory(state.upper(), offices, source or path.name, (path,))])
