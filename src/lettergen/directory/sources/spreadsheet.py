"""A directory as a spreadsheet (CSV, XLSX, ODS), one row per office, and back.

Campaign groups keep contact lists in spreadsheets. The columns are the YAML record's fields
(docs/directories.md, "The columns"); a cell of a list field holds one item per line (numbers,
e-mails and accredited_to may also be separated by ';'). Any column order is read; an unknown
column is refused by name, so a misspelt header never drops a column silently. Rows are checked
by the same code as the YAML records, and every message names file:row: column.

XLSX is written and read with openpyxl (the maintained library for the format, pure Python);
ODS is read with python-calamine (a maintained reader of ODS, XLSX and XLS built on the Rust
calamine crate, shipped as wheels), so no office suite is needed to import a sheet.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Iterable, Sequence
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
from lettergen.errors import InputError, LettergenError, ManyErrors, Place
from lettergen.util import files, yamlio

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
    writer.writerows(office_row(office) for office in directory)
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
    for office in directory:
        sheet.append(office_row(office))
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            if isinstance(cell.value, str):
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
    """A cell as text; whole numbers (a spreadsheet's 187.0) as int, dates as YYYY-MM-DD."""
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
    return str(value).strip()


def _csv_rows(path: Path) -> list[list[Any]]:
    text = yamlio.read_text(path).removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    # Excel in many locales writes ';'-separated CSV: take the separator its header row uses.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("file not found", Place(path)) from None
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors alike
        raise InputError(f"not a readable XLSX workbook ({exc})", Place(path)) from None
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _ods_rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise InputError("file not found", Place(path))
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine reports every format problem as its own error types
        raise InputError(f"not a readable ODS spreadsheet ({exc})", Place(path)) from None


def read_rows(path: Path) -> list[list[str | int]]:
    """The sheet's cells as texts (first sheet of a workbook), by the file's suffix."""
    suffix = path.suffix.lower()
    readers = {".csv": _csv_rows, ".xlsx": _xlsx_rows, ".ods": _ods_rows}
    if suffix not in readers:
        raise InputError(
            f"cannot read {suffix or 'a file without suffix'} as a spreadsheet",
            Place(path),
            hint="use .csv, .xlsx or .ods",
        )
    return [[_cell(value) for value in row] for row in readers[suffix](path)]


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


def _items(name: str, value: str | int, place: Place) -> list[str]:
    if isinstance(value, int) and name in ("phones", "faxes"):
        # A spreadsheet that took +4930... for a number kept the digits and dropped the plus.
        log.warning("%s: number %d read as +%d (format the column as text)", place, value, value)
        return [f"+{value}"]
    text = str(value).replace("\r\n", "\n")
    parts = text.split("\n")
    if name in SEMICOLON_LISTS:
        parts = [item for part in parts for item in part.split(";")]
    return [item.strip() for item in parts if item.strip()]


def _where(path: Path, row: int, header: list[str], place: Place | None) -> Place:
    """A record's place (file:row: field) told as the spreadsheet shows it: file:row: column."""
    field = place.field if place else None
    if field in header:
        return Place(path, row, f"column {column_letter(header.index(field))} ({field})")
    return Place(path, row, field)


def read_offices(path: Path) -> list[Office]:
    """Every office of the sheet; every problem of every row reported at once."""
    rows = read_rows(path)
    if not rows or not any(str(cell).strip() for cell in rows[0]):
        raise InputError("the first row must name the columns", Place(path, 1))
    header = _header(path, rows[0], COLUMNS)
    offices: list[Office] = []
    errors: list[LettergenError] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(str(cell).strip() for cell in cells):
            continue
        extra = [cell for cell in cells[len(header) :] if str(cell).strip()]
        if extra:
            errors.append(InputError("a cell right of the last named column", Place(path, number)))
            continue
        record = Row()
        record.line = number
        for name, value in zip(header, cells, strict=False):
            if value == "":
                continue
            if name == "source_line" and isinstance(value, str) and value.isdigit():
                record[name] = int(value)  # CSV cells are texts
            elif name in TEXT_LISTS:
                where = _where(path, number, header, Place(field=name))
                record[name] = _items(name, value, where)
            else:
                record[name] = value
        found: list[LettergenError] = []
        office = office_from_record(record, path, found)
        for error in found:
            errors.append(
                type(error)(error.message, _where(path, number, header, error.place), error.hint)
            )
        if office is not None:
            offices.append(office)
    if errors:
        raise ManyErrors(errors)
    return offices


def import_sheet(path: Path, state: str, source: str = "") -> Directory:
    """A directory from a spreadsheet of the sending state `state` (ids checked unique)."""
    return merge([Directory(state.upper(), read_offices(path), source or path.name, (path,))])
