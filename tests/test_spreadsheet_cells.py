"""Spreadsheet-safe files: no text lettergen writes into manifest.csv, delivery.csv or a
directory export runs as a formula in a spreadsheet, and a formula cell met on import is
reported with its row and column, never dropped."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import SEED_CAMPAIGN, SHIPPED_DIRECTORY
from lettergen.cli import cli
from lettergen.directory.model import Directory, Office, load_directory
from lettergen.directory.sources import spreadsheet
from lettergen.errors import LettergenError, ManyErrors
from lettergen.send import report
from lettergen.util.spreadsheet import FORMULA_STARTS, cell, original

ATTACKS = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


@given(st.text())
def test_a_cell_never_starts_a_formula_and_gives_its_text_back(text: str) -> None:
    written = cell(text)
    assert original(written) == text
    if written.startswith(FORMULA_STARTS):
        assert re.fullmatch(r"\+[1-9][0-9]{4,14}([;\n]\s*\+[1-9][0-9]{4,14})*", written)


@pytest.mark.parametrize("text", ATTACKS)
def test_attacks_are_quoted(text: str) -> None:
    assert cell(text) == "'" + text
    assert original(cell(text)) == text


def test_numbers_and_plain_names_are_written_as_they_are() -> None:
    assert cell("+493047007125") == "+493047007125"
    assert cell("+493047007125\n+493047007111") == "+493047007125\n+493047007111"
    assert cell("+49 30 47007125") == "'+49 30 47007125"  # not E.164: not proven a number
    assert cell("'t Hooft") == "'t Hooft"
    assert cell("Anna Weber") == "Anna Weber"
    assert cell(3) == 3


def test_manifest_csv_of_a_batch_quotes_a_formula_signer(tmp_path: Path) -> None:
    signers = tmp_path / "signers.csv"
    signers.write_text('name,city\n"=HYPERLINK(""http://x"",""y"")",@Leeds\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(SEED_CAMPAIGN),
            "--directory",
            str(SHIPPED_DIRECTORY),
            "--offices",
            "de-berlin-embassy",
            "--signers",
            str(signers),
            "--format",
            "docx",
            "-o",
            str(tmp_path / "out"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "out").iterdir()
    with (folder / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["signer"] == '\'=HYPERLINK("http://x","y")'
    assert original(row["signer"]) == '=HYPERLINK("http://x","y")'
    assert row["fax"] == "+493047007125"  # a number stays usable


def test_delivery_and_dead_numbers_csv_quote_formulas() -> None:
    row = {name: "" for name in report.FIELDS}
    row.update(
        office_id="de-berlin-embassy",
        fax="+493047007125",
        channel="fax",
        signer='=WEBSERVICE("http://x")',
        state="failed",
        last_error="@evil",
        updated_at="2026-11-30T10:00:00Z",
    )
    (written,) = csv.DictReader(io.StringIO(report.delivery_csv([row])))
    assert written["signer"] == '\'=WEBSERVICE("http://x")'
    assert written["last_error"] == "'@evil"
    assert written["fax"] == "+493047007125"
    (dead,) = csv.DictReader(io.StringIO(report.dead_csv([row])))
    assert dead["error"] == "'@evil"


def _hostile() -> Directory:
    berlin = load_directory(SHIPPED_DIRECTORY).get("de-berlin-embassy")
    from dataclasses import replace

    office: Office = replace(
        berlin,
        city="@Berlin",
        notes=('=WEBSERVICE("http://x")', "-1"),
        address=("+Nordenstrasse 14-17", "D-13156 Berlin"),
    )
    return Directory("KZ", [office], "test")


def test_directory_export_csv_quotes_and_imports_back(tmp_path: Path) -> None:
    sheet = tmp_path / "x.csv"
    spreadsheet.export(_hostile(), sheet)
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert rows[0]["city"] == "'@Berlin"
    assert rows[0]["notes"] == '\'=WEBSERVICE("http://x")\n-1'
    assert rows[0]["faxes"] == "+493047007125"
    back = spreadsheet.import_sheet(sheet, "KZ")
    assert [o.to_record() for o in back] == [o.to_record() for o in _hostile()]


def test_directory_export_xlsx_cells_are_text_never_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "x.xlsx"
    spreadsheet.export(_hostile(), sheet)
    book = load_workbook(sheet)  # not data_only: a formula would show as type 'f'
    cells = [c for row in book.active.iter_rows(min_row=2) for c in row if c.value is not None]
    assert {c.data_type for c in cells if isinstance(c.value, str)} == {"s"}
    notes = next(c for c in cells if str(c.value).startswith("=WEB"))
    assert notes.value == '=WEBSERVICE("http://x")\n-1'
    assert notes.quotePrefix
    back = spreadsheet.import_sheet(sheet, "KZ")
    assert [o.to_record() for o in back] == [o.to_record() for o in _hostile()]


def _with_formulas(path: Path, cached: dict[str, str]) -> None:
    """A workbook whose city cell (C2) and faxes cell (I2) are formulas; `cached` gives the
    values a spreadsheet application would have stored with them (openpyxl stores none)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "country", "city", "kind", "addressee", "organisation", "address",
                  "phones", "faxes", "notes"])  # fmt: skip
    sheet.append(["at-vienna-embassy", "AT", '=CONCAT("Vie","nna")', "embassy", "", "",
                  "Prinz-Eugen-Straße 32", "", '=WEBSERVICE("http://x")', "a note"])  # fmt: skip
    book.save(path)
    if not cached:
        return
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in cached.items():
        xml = re.sub(
            rf'(<c r="{ref}"[^>]*?)(/?)>(<f>.*?</f>)(<v\s*/>|<v></v>)?',
            lambda m, v=value: f'{m[1]} t="str">{m[3]}<v>{v}</v>',
            xml,
        )
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_formula_cells_without_values_are_errors_with_row_and_column(tmp_path: Path) -> None:
    sheet = tmp_path / "formulas.xlsx"
    _with_formulas(sheet, {})
    with pytest.raises(ManyErrors) as caught:
        spreadsheet.import_sheet(sheet, "KZ")
    assert str(caught.value).splitlines() == [
        f'{sheet}:2: column C (city): a formula without a value: \'=CONCAT("Vie","nna")\' '
        "(enter the value itself, or save the sheet from a spreadsheet application)",
        f"{sheet}:2: column I (faxes): a formula without a value: '=WEBSERVICE(\"http://x\")' "
        "(enter the value itself, or save the sheet from a spreadsheet application)",
        "1 row cannot be read exactly: nothing written "
        "(correct them, or pass --skip-bad-rows to leave them out)",
    ]


def test_a_formula_with_a_value_is_read_as_its_value_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sheet = tmp_path / "formulas.xlsx"
    _with_formulas(sheet, {"C2": "Vienna", "I2": "+4315269180"})
    (office,) = spreadsheet.import_sheet(sheet, "KZ")
    assert (office.city, office.faxes) == ("Vienna", ("+4315269180",))
    assert (
        f'{sheet}:2: column C (city): a formula (\'=CONCAT("Vie","nna")\'): '
        "its value 'Vienna' is read" in caplog.text
    )


def _ods_with_city(path: Path, cell: str) -> None:
    """The fixture ODS with the first office's city cell (C2) replaced by `cell`."""
    source = Path(__file__).parent / "fixtures" / "directory-sheet.ods"
    with zipfile.ZipFile(source) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    name = next(info for info in parts if info.filename == "content.xml")
    xml = parts[name].decode()
    row = xml.index("<table:table-row", xml.index("<table:table-row") + 1)
    start = row
    for _ in range(3):
        start = xml.index("<table:table-cell", start + 1)
    end = xml.index("</table:table-cell>", start) + len("</table:table-cell>")
    parts[name] = (xml[:start] + cell + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in parts.items():
            archive.writestr(info, data)


def test_ods_formula_cells_are_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sheet = tmp_path / "with-value.ods"
    _ods_with_city(
        sheet,
        '<table:table-cell table:formula="of:=&quot;Ber&quot;&amp;&quot;lin&quot;" '
        'office:value-type="string" office:string-value="Berlin"><text:p>Berlin</text:p>'
        "</table:table-cell>",
    )
    offices = spreadsheet.import_sheet(sheet, "KZ")
    assert offices.offices[0].city == "Berlin"
    assert f"{sheet}:2: column C (city): a formula" in caplog.text
    empty = tmp_path / "without-value.ods"
    _ods_with_city(
        empty, '<table:table-cell table:formula="of:=WEBSERVICE(&quot;http://x&quot;)"/>'
    )
    with pytest.raises(ManyErrors) as caught:
        spreadsheet.import_sheet(empty, "KZ")
    assert str(caught.value).splitlines()[0] == (
        f"{empty}:2: column C (city): a formula without a value: 'of:=WEBSERVICE(\"http://x\")' "
        "(enter the value itself, or save the sheet from a spreadsheet application)"
    )


def test_an_unclosed_quote_is_an_error_not_one_long_cell(tmp_path: Path) -> None:
    sheet = tmp_path / "offices.csv"
    sheet.write_text(
        'id,country,kind,city\nde-berlin-embassy,DE,embassy,"Berlin\nat-vienna-embassy,AT,'
        "embassy,Vienna\n",
        encoding="utf-8",
    )
    with pytest.raises(LettergenError, match=r"offices.csv:3: not readable as CSV"):
        spreadsheet.import_sheet(sheet, "KZ")


def test_the_posting_list_csv_quotes_formulas(tmp_path: Path) -> None:
    """The print batch's posting list holds the directory's addressee and address lines (a
    directory may come from a list lettergen did not write): no cell starts a formula."""
    from lettergen.render.post import PostLetter, list_csv

    letter = PostLetter(
        reference="lettergen-1-1",
        recipient=('=HYPERLINK("http://x","y")', "@Street 1", "-Town", "RUSSIA"),
        country="RU",
        letter=tmp_path / "en" / "letter.pdf",
        pages=1,
    )
    (row,) = csv.DictReader(io.StringIO(list_csv([letter], tmp_path)))
    assert row["addressee"] == '\'=HYPERLINK("http://x","y")'
    assert row["address"] == "'@Street 1; -Town; RUSSIA"
    assert row["reference"] == "lettergen-1-1" and row["envelope"] == "1"
