"""Directory as a spreadsheet: export then import gives the same directory (CSV, XLSX), ODS is
read, any column order, unknown columns refused by name, messages name file:row: column."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.directory.model import Directory, load_directory
from lettergen.directory.sources import spreadsheet
from lettergen.errors import InputError, ManyErrors

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"
FIXTURES = Path(__file__).parents[1] / "fixtures"
SMALL = FIXTURES / "directory-sheet.yaml"
# Made from the CSV export of SMALL with LibreOffice Calc
# (soffice --headless --infilter=CSV:44,34,76,1 --convert-to ods), which, like a person
# opening the CSV, read the numbers' "+49..." as numbers.
ODS = FIXTURES / "directory-sheet.ods"


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def records(directory: Directory) -> list[dict[str, object]]:
    return [office.to_record() for office in directory]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_gives_the_same_directory(tmp_path: Path, suffix: str) -> None:
    shipped = load_directory(SHIPPED)
    sheet = tmp_path / f"kazakhstan{suffix}"
    result = run("directory", "export", "--directory", str(SHIPPED), "-o", str(sheet))
    assert result.exit_code == 0, result.output
    assert f"({len(shipped)} offices)" in result.output
    back = tmp_path / "back.yaml"
    result = run("directory", "import", str(sheet), "-o", str(back), "--state", "KZ")
    assert result.exit_code == 0, result.output
    again = load_directory(back)
    assert again.state == "KZ"
    assert records(again) == records(shipped)
    # Multi-line addresses, several numbers, notes survive as lists.
    bangkok = again.get("th-bangkok-mission")
    assert bangkok.phones == ("+6627149890", "+6627149891")
    assert len(bangkok.address) == 3


def test_small_directory_with_source_and_verified_round_trips(tmp_path: Path) -> None:
    small = load_directory(SMALL)
    for suffix in (".csv", ".xlsx"):
        sheet = tmp_path / f"small{suffix}"
        spreadsheet.export(small, sheet)
        assert records(spreadsheet.import_sheet(sheet, "KZ")) == records(small)
    berlin = small.get("de-berlin-embassy")
    assert (berlin.source, berlin.verified) == ("Embassy web site, checked by phone", "2026-11-02")


def test_xlsx_cells_are_text_so_numbers_keep_their_plus(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "small.xlsx"
    spreadsheet.export(load_directory(SMALL), sheet)
    book = load_workbook(sheet)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = list(rows[0])
    berlin = next(row for row in rows if row[0] == "de-berlin-embassy")
    assert berlin[header.index("faxes")] == "+493047007125"
    assert berlin[header.index("source_line")] == 142


def test_ods_is_read_and_numbers_that_lost_their_plus_get_it_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        directory = spreadsheet.import_sheet(ODS, "KZ")
    assert records(directory) == records(load_directory(SMALL))
    assert any(
        "directory-sheet.ods:3: column H (phones): number 493047007111 read as +493047007111"
        in message
        for message in caplog.messages
    )


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def test_semicolon_separated_csv_as_excel_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text(
        "\ufeffid;country;kind;city;faxes\r\n"
        'de-berlin-embassy;DE;embassy;Berlin;"+493047007125; +493047007126"\r\n',
        encoding="utf-8",
    )
    (office,) = spreadsheet.read_offices(path)
    assert (office.id, office.city) == ("de-berlin-embassy", "Berlin")
    assert office.faxes == ("+493047007125", "+493047007126")


def test_columns_in_another_order(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text(
        _csv(
            [
                ["Faxes", "kind", "id", "country", "city", "address", "phones"],
                [
                    "+493047007125; +493047007126",
                    "embassy",
                    "de-berlin-embassy",
                    "de",
                    "Berlin",
                    "Nordenstrasse 14\nBerlin",
                    "+493047007111",
                ],
            ]
        ),
        encoding="utf-8",
    )
    (office,) = spreadsheet.read_offices(path)
    assert office.faxes == ("+493047007125", "+493047007126")
    assert office.address == ("Nordenstrasse 14", "Berlin")
    assert office.country == "DE"
    assert office.line == 2


def test_unknown_columns_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text(
        _csv([["id", "country", "kind", "fax", "Telefon"], ["x-embassy", "DE", "embassy", "", ""]]),
        encoding="utf-8",
    )
    result = run("directory", "import", str(path), "-o", str(tmp_path / "x.yaml"), "--state", "KZ")
    assert result.exit_code == 1
    assert "offices.csv:1: column D: unknown column 'fax' (known: id, country" in result.output
    assert "offices.csv:1: column E: unknown column 'telefon'" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_row_errors_name_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text(
        _csv(
            [
                ["id", "country", "kind", "addressee", "verified"],
                ["de-berlin-embassy", "DE", "embassy", "", "2026-11-02"],
                ["De Berlin", "DE", "palace", "king", "last week"],
                ["", "FR", "embassy", "", ""],
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(ManyErrors) as caught:
        spreadsheet.read_offices(path)
    *lines, last = [str(error) for error in caught.value.errors]
    assert last == (
        "2 rows cannot be read exactly: nothing written "
        "(correct them, or pass --skip-bad-rows to leave them out)"
    )
    assert lines == [
        f"{path}:3: column A (id): id 'De Berlin' is not a slug (lower-case letters and digits "
        "in words joined by single hyphens, e.g. de-berlin-embassy)",
        f"{path}:3: column C (kind): unknown kind 'palace' (one of: embassy, consulate-general, "
        "consulate, mission, permanent-mission, visa-office, non-resident)",
        f"{path}:3: column D (addressee): unknown addressee 'king' (one of: ambassador, "
        "consul-general, consul, head-of-mission, permanent-representative, head-of-office)",
        f"{path}:3: column E (verified): verified 'last week' is not a date (write YYYY-MM-DD)",
        f"{path}:4: column A (id): id is missing",
    ]


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    row = ["de-berlin-embassy", "DE", "embassy"]
    path.write_text(_csv([["id", "country", "kind"], row, row]), encoding="utf-8")
    with pytest.raises(
        ManyErrors,
        match=r"offices.csv:3: column A \(id\): id 'de-berlin-embassy' is also the id of row 2",
    ):
        spreadsheet.import_sheet(path, "KZ")


def test_unreadable_and_unknown_formats(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable XLSX workbook"):
        spreadsheet.read_offices(broken)
    with pytest.raises(InputError, match=r"cannot write \.txt"):
        spreadsheet.export(load_directory(SMALL), tmp_path / "x.txt")
    result = run("directory", "export", "--directory", str(SMALL), "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1
    assert "use .csv or .xlsx" in result.output


def test_column_letters() -> None:
    assert [spreadsheet.column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        ("export", "Write the directory as a spreadsheet, one row per office"),
        ("hostlist", "Read a foreign ministry's list of the missions in its country"),
        ("update", "Compare DIRECTORY_FILE with a NEWER list"),
    ],
)
def test_new_commands_have_help(command: str, first_line: str) -> None:
    result = run("directory", command, "--help")
    assert result.exit_code == 0
    assert first_line in " ".join(result.output.split())
