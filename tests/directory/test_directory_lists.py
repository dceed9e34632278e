"""Foreign ministries' lists as they are published: names read into kind, state and city (five
languages), joined columns, the three example mappings, every bad row reported by file, row,
column and the text found, --skip-bad-rows, and updates that write only what a list proves."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from lettergen.cli import cli
from lettergen.directory import update
from lettergen.directory.model import load_directory
from lettergen.directory.sources import hostlist, names
from lettergen.errors import LettergenError, ManyErrors, shown

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"
MAPPINGS = ROOT / "data" / "mappings"
LISTS = Path(__file__).parents[1] / "fixtures" / "hostlist"
KOREA = LISTS / "foreign-missions-in-korea.csv"
AUSTRIA = LISTS / "vertretungen-in-oesterreich.csv"
BLUE_BOOK = LISTS / "un-blue-book.csv"
DAY = datetime.date(2026, 11, 30)
NOTHING_WRITTEN = (
    "row{s} cannot be read exactly: nothing written "
    "(correct them, or pass --skip-bad-rows to leave them out)"
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def kazakhstan(tmp_path: Path) -> Path:
    path = tmp_path / "kazakhstan.yaml"
    shutil.copy(SHIPPED, path)
    return path


def edited(tmp_path: Path, source: Path, row: int, column: str, value: str) -> Path:
    """A copy of a list with one cell changed (row as the spreadsheet numbers it)."""
    text = source.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 1 else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows[row - 1][rows[0].index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = tmp_path / source.name
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    return path


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "kind", "state", "city"),
    [
        ("Consulate General of Russia in Busan", "consulate-general", "RU", "Busan"),
        ("Embassy of the Republic of Kazakhstan", "embassy", "KZ", ""),
        ("Embassy of the Hashemite Kingdom of Jordan", "embassy", "JO", ""),
        ("Embassy of the Democratic Republic of the Congo", "embassy", "CD", ""),
        ("Embassy of Japan, Seoul", "embassy", "JP", "Seoul"),
        ("Ambassade de la République du Kazakhstan", "embassy", "KZ", ""),
        ("Consulat général de la Fédération de Russie à Busan", "consulate-general", "RU", "Busan"),
        ("Ambassade d'Allemagne", "embassy", "DE", ""),
        ("Botschaft der Republik Kasachstan", "embassy", "KZ", ""),
        ("Generalkonsulat der Russischen Föderation in Busan", "consulate-general", "RU", "Busan"),
        ("Botschaft des Vereinigten Königreichs", "embassy", "GB", ""),
        ("Embajada de la República de Kazajistán", "embassy", "KZ", ""),
        ("Consulado General de Rusia en Busan", "consulate-general", "RU", "Busan"),
        ("Посольство Республики Казахстан", "embassy", "KZ", ""),
        (
            "Генеральное консульство Российской Федерации в Пусане",
            "consulate-general",
            "RU",
            "Пусане",
        ),
        ("Посольство Федеративной Республики Германия", "embassy", "DE", ""),
        ("Посольство Нигерии", "embassy", "NG", ""),
        ("Посольство Нигера", "embassy", "NE", ""),
    ],
)
def test_a_name_gives_kind_state_and_city(cell: str, kind: str, state: str, city: str) -> None:
    assert names.read_name(cell) == names.Name(kind, state, city)


@pytest.mark.parametrize(
    ("cell", "state", "organisation"),
    [
        ("Permanent Mission of the Republic of Kazakhstan to the United Nations", "KZ", "UN"),
        (
            "Permanent Mission of Kazakhstan to the United Nations Office and other "
            "international organizations in Geneva",
            "KZ",
            "UNOG",
        ),
        ("Mission permanente de la France auprès de l'Organisation des Nations Unies", "FR", "UN"),
        (
            "Ständige Vertretung der Bundesrepublik Deutschland bei den Vereinten Nationen",
            "DE",
            "UN",
        ),
        ("Misión Permanente de España ante las Naciones Unidas", "ES", "UN"),
        ("Постоянное представительство Российской Федерации при ООН", "RU", "UN"),
    ],
)
def test_a_permanent_mission_names_its_organisation(
    cell: str, state: str, organisation: str
) -> None:
    assert names.read_name(cell) == names.Name("permanent-mission", state, "", organisation)


def test_patterns_states_and_kinds_of_the_mapping_come_first() -> None:
    cell = "Kasachstan: Honorarkonsul (Graz)"
    assert names.read_name(cell) is None
    patterns = ["{state}: {kind} ({city})"]
    kinds = {"honorarkonsul": "consulate"}
    assert names.read_name(cell, patterns, kinds) == names.Name("consulate", "KZ", "Graz")
    # A list with a state column of its own: the name's unknown state part is that state.
    assert names.read_name("Botschaft des Großfürstentums Ruritanien", state="KZ") == names.Name(
        "embassy", "KZ"
    )
    # A name no built-in table knows, made known by the mapping.
    assert names.read_name("Embassy of Ruritania") is None
    assert names.read_name("Embassy of Ruritania", states={"ruritania": "KZ"}) == names.Name(
        "embassy", "KZ"
    )


def test_mapping_patterns_are_checked(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "host: KR\ncolumns:\n  name: Country\nnames:\n  - '{kind} of {country}'\n"
        "states:\n  Ruritania: QQ\n",
        encoding="utf-8",
    )
    with pytest.raises(ManyErrors) as caught:
        hostlist.load_mapping(mapping)
    text = str(caught.value)
    assert "m.yaml:4: names: '{kind} of {country}': unknown placeholder {country}" in text
    assert "m.yaml:7: states: 'Ruritania' -> 'QQ' is no ISO country code" in text


# --- the three list shapes --------------------------------------------------------------------


def test_korea_list_as_published(tmp_path: Path) -> None:
    found = hostlist.read(KOREA, MAPPINGS / "kr-mofa.yaml")
    assert (found.first_row, found.last_row, len(found.entries)) == (2, 26, 25)
    assert [(e.row, e.name) for e in found.organisations()] == [
        (10, "Delegation of the European Union to the Republic of Korea")
    ]
    (busan,) = (e for e in found.entries if e.row == 8)
    assert busan.state == "RU" and busan.office is not None
    assert (busan.office.id, busan.office.kind, busan.office.city) == (
        "kr-busan-consulate-general",
        "consulate-general",
        "Busan",
    )
    assert busan.office.phones == ("+82514419904", "+82514419905")  # "051)441-9904/5"
    japan = found.directory("JP")
    assert japan.get("kr-busan-consulate-general").phones == tuple(
        f"+8251465510{n}" for n in (1, 6)
    )  # "051)465-5101/6": an alternate, not a range
    (seoul,) = found.directory("KZ")
    assert (seoul.id, seoul.kind, seoul.city, seoul.country) == (
        "kr-seoul-embassy",
        "embassy",
        "Seoul",
        "KR",
    )
    assert seoul.phones == ("+8223949716", "+8223949717")
    assert seoul.faxes == ("+8223959766",)
    assert seoul.emails == ("seoul@example.kz",)
    assert seoul.source == "foreign-missions-in-korea.csv, row 17"
    assert found.directory("AU").get("kr-seoul-embassy").emails == ()  # "n/a"


def test_austria_list_joins_street_postcode_and_town() -> None:
    found = hostlist.read(AUSTRIA, MAPPINGS / "at-bmeia.yaml")
    (vienna,) = found.directory("KZ")
    assert vienna.id == "at-vienna-embassy"
    assert vienna.address == ("Prinz-Eugen-Straße 32", "1040 Wien")
    assert (vienna.phones, vienna.faxes) == (("+4318908009",), ("+4318908008",))
    salzburg = found.directory("RU").get("at-salzburg-consulate-general")
    assert salzburg.address == ("Bürglsteinstraße 2", "5020 Salzburg")
    assert salzburg.phones == ("+43662624184",)
    germany = found.directory("DE").get("at-vienna-permanent-mission")
    assert (germany.organisation, germany.phones) == ("UNOV", ("+4312633375",))  # "(01) 263 …"
    assert found.directory("DE").get("at-vienna-embassy").phones == ("+431711540",)  # "711 54-0"
    assert found.directory("CH")  # named in the mapping's states:
    assert [e.name for e in found.organisations()] == ["OPEC Fund for International Development"]


def test_blue_book_list_with_a_title_above_its_header() -> None:
    found = hostlist.read(BLUE_BOOK, MAPPINGS / "un-blue-book.yaml")
    assert (found.first_row, found.last_row) == (4, 10)
    (mission,) = found.directory("KZ")
    assert (mission.kind, mission.organisation, mission.city) == (
        "permanent-mission",
        "UN",
        "New York",
    )
    assert mission.address == (
        "3 Dag Hammarskjöld Plaza, 305 East 47th Street, 3rd Floor",
        "New York, N.Y. 10017",
    )  # the city is in it already: not added again
    assert (mission.phones, mission.faxes) == (("+12122301900",), ("+12122301172",))
    assert found.directory("VA")  # the Holy See's observer mission
    assert [e.row for e in found.organisations()] == [10]


@pytest.mark.parametrize(
    ("source", "mapping", "office_id", "expected"),
    [
        (
            KOREA,
            "kr-mofa.yaml",
            "kr-seoul-embassy",
            {
                "phones": ("+8223949716", "+8223949717"),
                "faxes": ("+8223959766",),
                "emails": ("seoul@example.kz",),
                "website": "https://www.gov.example.kz/seoul",
                # Corrected by hand in the shipped directory: kept, shown as a conflict.
                "address": (
                    "32-15 Nonhyun-dong",
                    "Kangnam-ku, Seoul",
                    "Republic of Korea",
                ),
            },
        ),
        (
            AUSTRIA,
            "at-bmeia.yaml",
            "at-vienna-embassy",
            {
                "phones": ("+4318908009",),
                "faxes": ("+4318908008",),
                "address": ("Prinz-Eugen-Straße 32", "1040 Wien"),
                "emails": ("vienna@example.kz",),
            },
        ),
        (
            BLUE_BOOK,
            "un-blue-book.yaml",
            "us-new-york-un-mission",
            {
                "phones": ("+12122301900",),
                "faxes": ("+12122301172",),
                "emails": ("kazakhstan@example.kz",),
                "organisation": "UN",
            },
        ),
    ],
)
def test_each_list_updates_the_shipped_directory_and_nothing_else(
    kazakhstan: Path, source: Path, mapping: str, office_id: str, expected: dict[str, object]
) -> None:
    before = {o.id: o.to_record() for o in load_directory(kazakhstan)}
    result = run(
        "directory", "update", kazakhstan, source, "--mapping", MAPPINGS / mapping,
        "--apply", "--date", "2026-11-30",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 new, 0 closed, 1 changed, 0 unchanged" in result.output
    after = load_directory(kazakhstan)
    changed = {o.id for o in after if o.to_record() != before.get(o.id)}
    assert changed == {office_id}
    assert set(before) == {o.id for o in after}
    office = after.get(office_id)
    for name, value in expected.items():
        assert getattr(office, name) == value, name
    assert office.verified == "2026-11-30"
    assert office.source_line == load_directory(SHIPPED).get(office_id).source_line
    # The directory keeps its source and gains the list, with its date.
    assert after.sources == (
        "data/sources/kazakhstan-2002.txt",
        f"{source.name} (2026-11-30)",
    )
    validate = run("missions", "validate", "--directory", kazakhstan)
    assert validate.exit_code == 0, validate.output


def test_the_diff_shows_numbers_in_one_international_style(kazakhstan: Path) -> None:
    result = run("directory", "update", kazakhstan, KOREA, "--mapping", MAPPINGS / "kr-mofa.yaml")
    lines = result.output.splitlines()
    assert "           faxes: +82 2 548 1416 -> +82 2 395 9766" in lines
    assert (
        "           address: 32-15 Nonhyun-dong; Kangnam-ku, Seoul; Republic of Korea -> "
        "13 Jahamun-ro 24-gil, Jongno-gu, Seoul 03042  "
        "[conflict: corrected by hand; the first value is kept]"
    ) in lines
    assert "conflicts to decide: 1 (shown above, not applied)" in lines
    assert "           phones: +82 2 548 1415 -> +82 2 394 9716; +82 2 394 9717" in lines


def test_hostlist_prints_what_it_read() -> None:
    result = run(
        "directory", "hostlist", KOREA, "--mapping", MAPPINGS / "kr-mofa.yaml", "--state", "KZ"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "rows 2-26 of foreign-missions-in-korea.csv: 25 read",
        "states: AR, AT, AU, BY, CA, CN, DE, FR, GB, IN, JO, JP, KG, KZ, MN, NL, RU, TJ, TR, "
        "US, UZ",
        "organisations (not states): 1",
        "  row 10: Delegation of the European Union to the Republic of Korea",
        "kr-seoul-embassy (row 17: Embassy of the Republic of Kazakhstan)",
        "  embassy, Seoul, KR",
        "  address: 13 Jahamun-ro 24-gil, Jongno-gu, Seoul 03042",
        "  phone: +8223949716 (+82 2 394 9716)",
        "  phone: +8223949717 (+82 2 394 9717)",
        "  fax: +8223959766 (+82 2 395 9766)",
        "  e-mail: seoul@example.kz",
        "  website: https://www.gov.example.kz/seoul",
        "  note: Head of mission: H.E. Mr. Example Abenov",
    ]


# --- rows that cannot be read exactly ---------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (17, "Fax", "+43 1 36791 75O",
         "column F (Fax): '+43 1 36791 75O' is no phone number (it holds 'O')"),
        (17, "Fax", "02) 395-97", "column F (Fax): '02) 395-97' is not a valid number of KR"),
        (17, "Fax", "seoul@example.kz",
         "column F (Fax): 'seoul@example.kz' is an e-mail address, not a number"),
        (17, "E-mail", "02) 395-9766", "column G (E-mail): '02) 395-9766' is no e-mail address"),
        (17, "Homepage", "seoul@example.kz",
         "column H (Homepage): 'seoul@example.kz' is an e-mail address, not a web page"),
        (
            17, "Country", "Embassy of Kazakstan",
            "column B (Country): 'Embassy of Kazakstan': no pattern reads the kind of office and "
            "the state in this name (add a pattern under names: in the mapping, or the state's "
            "name under states:)",
        ),
    ],
)  # fmt: skip
def test_a_bad_row_is_reported_with_its_place_and_nothing_is_read(
    tmp_path: Path, row: int, column: str, value: str, message: str
) -> None:
    path = edited(tmp_path, KOREA, row, column, value)
    with pytest.raises(ManyErrors) as caught:
        hostlist.read(path, MAPPINGS / "kr-mofa.yaml")
    lines = str(caught.value).splitlines()
    assert f"{path}:{row}: {message}" in lines
    assert lines[-1] == "1 " + NOTHING_WRITTEN.format(s="")


def test_a_mission_name_in_the_state_column_gets_the_right_hint(tmp_path: Path) -> None:
    mapping = tmp_path / "guessed.yaml"
    mapping.write_text(
        "host: KR\ncity: Seoul\narea_code: '02'\ncolumns:\n  state: Country\n  faxes: Fax\n",
        encoding="utf-8",
    )
    with pytest.raises(ManyErrors) as caught:
        hostlist.read(KOREA, mapping)
    lines = str(caught.value).splitlines()
    assert (
        f"{shown(KOREA)}:8: column B (Country): 'Consulate General of Russia in Busan' is no known "
        "state (it is a mission's name: map its column as name: instead of state: in the mapping)"
    ) in lines
    assert lines[-1] == "24 " + NOTHING_WRITTEN.format(s="s")  # all but the organisation


def test_skip_bad_rows_lists_what_it_skipped(tmp_path: Path) -> None:
    path = edited(tmp_path, KOREA, 7, "Fax", "051)464-163O")
    out = tmp_path / "kz-in-kr.yaml"
    refused = run("directory", "hostlist", path, "--mapping", MAPPINGS / "kr-mofa.yaml",
                  "--state", "KZ", "-o", out)  # fmt: skip
    assert refused.exit_code == 1
    assert f"{path}:7: column F (Fax): '051)464-163O' is no phone number" in refused.output
    assert not out.exists()
    result = run("directory", "hostlist", path, "--mapping", MAPPINGS / "kr-mofa.yaml",
                 "--state", "KZ", "-o", out, "--skip-bad-rows")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        f"{path}:7: skipped: column F (Fax): '051)464-163O' is no phone number (it holds 'O')"
    ) in result.output
    assert "skipped rows: 1" in result.output
    assert "rows 2-26 of foreign-missions-in-korea.csv: 24 read, 1 skipped" in result.output
    assert [o.id for o in load_directory(out)] == ["kr-seoul-embassy"]


def _sheet_with(tmp_path: Path, office_id: str, **cells: str) -> Path:
    """The shipped directory exported as CSV, one office's cells changed."""
    sheet = tmp_path / "kazakhstan.csv"
    assert run("directory", "export", "--directory", SHIPPED, "-o", sheet).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    for row in rows:
        if row["id"] == office_id:
            row.update(cells)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    sheet.write_text(buffer.getvalue(), encoding="utf-8")
    return sheet


def test_import_refuses_a_wrong_number_and_an_unknown_country(tmp_path: Path) -> None:
    sheet = _sheet_with(tmp_path, "at-vienna-embassy", phones="+43 1 36791 75O")
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8"))))
    tokyo = next(i for i, r in enumerate(rows) if r["id"] == "jp-tokyo-embassy") + 2
    vienna = next(i for i, r in enumerate(rows) if r["id"] == "at-vienna-embassy") + 2
    text = sheet.read_text(encoding="utf-8").replace("jp-tokyo-embassy,JP,", "jp-tokyo-embassy,QQ,")
    sheet.write_text(text, encoding="utf-8")
    out = tmp_path / "kz.yaml"
    result = run("directory", "import", sheet, "-o", out, "--state", "KZ")
    assert result.exit_code == 1
    assert (
        f"{sheet}:{vienna}: column H (phones): phone '+43 1 36791 75O' is not E.164 "
        "(write it as +<country code><number>)"
    ) in result.output
    assert f"{sheet}:{tokyo}: column B (country): country 'QQ' is unknown" in result.output
    assert "2 rows cannot be read exactly: nothing written" in result.output
    assert not out.exists()
    skipped = run("directory", "import", sheet, "-o", out, "--state", "KZ", "--skip-bad-rows")
    assert skipped.exit_code == 0, skipped.output
    assert (
        f"{sheet}:{tokyo}: skipped: column B (country): country 'QQ' is unknown" in skipped.output
    )
    assert "skipped rows: 2" in skipped.output
    written = load_directory(out)
    assert "jp-tokyo-embassy" not in written and "at-vienna-embassy" not in written
    assert len(written) == len(load_directory(SHIPPED)) - 2


def test_import_over_a_directory_keeps_its_source(tmp_path: Path, kazakhstan: Path) -> None:
    sheet = _sheet_with(tmp_path, "de-berlin-embassy")
    result = run("directory", "import", sheet, "-o", kazakhstan, "--state", "KZ", "--force")
    assert result.exit_code == 0, result.output
    sources = load_directory(kazakhstan).sources
    assert sources[0] == "data/sources/kazakhstan-2002.txt"
    assert sources[1] == f"kazakhstan.csv ({datetime.date.today().isoformat()})"


def test_update_refuses_a_wrong_number_and_shows_a_country_change_as_a_conflict(
    tmp_path: Path, kazakhstan: Path
) -> None:
    text = kazakhstan.read_text(encoding="utf-8")
    sheet = _sheet_with(tmp_path, "at-vienna-embassy", phones="+43 1 36791 75O")
    refused = run("directory", "update", kazakhstan, sheet, "--apply")
    assert refused.exit_code == 1
    assert "column H (phones): phone '+43 1 36791 75O' is not E.164" in refused.output
    assert kazakhstan.read_text(encoding="utf-8") == text
    # Tokyo's record, found by its numbers, put in another country and given a new fax.
    sheet = _sheet_with(tmp_path, "jp-tokyo-embassy", country="CN", faxes="+81337915280")
    result = run("directory", "update", kazakhstan, sheet, "--apply", "--date", "2026-11-30")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "conflict jp-tokyo-embassy (JP, Tokyo, embassy; matched by number): the newer list puts "
        "it elsewhere; nothing of it is applied (correct the record or the list by hand)"
    )
    assert lines[1] == "           country: JP -> CN"
    assert lines[2] == "           faxes: +81 3 3791 5279 -> +81 3 3791 5280"
    assert "conflicts to decide: 1 (shown above, not applied)" in lines
    assert kazakhstan.read_text(encoding="utf-8") == text  # nothing else to write


def test_an_update_that_would_write_an_invalid_number_is_refused(
    tmp_path: Path, kazakhstan: Path
) -> None:
    newer = tmp_path / "newer.yaml"
    newer.write_text(
        kazakhstan.read_text(encoding="utf-8").replace("'+493047007125'", "'+49 30 4700 71 25'"),
        encoding="utf-8",
    )
    text = kazakhstan.read_text(encoding="utf-8")
    found = update.read_newer(newer, "KZ")
    with pytest.raises(LettergenError) as caught:
        update.update(kazakhstan, found.directory, found.fields, DAY, write=True)
    message = str(caught.value)
    assert "de-berlin-embassy: fax '+49 30 4700 71 25' is not E.164" in message
    assert "the update would write what 'missions validate' calls an error: nothing written" in (
        message
    )
    assert kazakhstan.read_text(encoding="utf-8") == text


def test_a_typed_verified_date_is_kept(tmp_path: Path, kazakhstan: Path) -> None:
    sheet = _sheet_with(tmp_path, "de-berlin-embassy", faxes="+493047007199", verified="2026-10-02")
    sheet_text = sheet.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(sheet_text)))
    assert any(r["verified"] == "2026-10-02" for r in rows)
    result = run("directory", "update", kazakhstan, sheet, "--apply", "--date", "2026-11-30")
    assert result.exit_code == 0, result.output
    berlin = load_directory(kazakhstan).get("de-berlin-embassy")
    assert (berlin.faxes, berlin.verified) == (("+493047007199",), "2026-10-02")
    # A date typed into an otherwise unchanged row is news too: the record was checked.
    sheet = _sheet_with(tmp_path, "it-rome-embassy", verified="2026-11-02")
    result = run("directory", "update", kazakhstan, sheet, "--apply", "--date", "2026-11-30")
    assert "           verified: (none) -> 2026-11-02" in result.output.splitlines()
    assert load_directory(kazakhstan).get("it-rome-embassy").verified == "2026-11-02"


def test_a_formula_without_a_value_in_a_list_is_a_bad_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(KOREA.read_text(encoding="utf-8-sig"), newline="")))
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet["F17"] = '="02) "&"395-9766"'  # saved by a program that stores no values
    path = tmp_path / "foreign-missions-in-korea.xlsx"
    book.save(path)
    with pytest.raises(ManyErrors) as caught:
        hostlist.read(path, MAPPINGS / "kr-mofa.yaml")
    assert str(caught.value).splitlines()[0] == (
        f'{path}:17: column F (Fax): a formula without a value: \'="02) "&"395-9766"\' '
        "(enter the value itself, or save the sheet from a spreadsheet application)"
    )


@settings(deadline=None)  # the first call builds the table of state names
@given(st.text(max_size=300))
def test_any_name_cell_is_read_or_refused_quickly(text: str) -> None:
    found = names.read_name(text)
    assert found is None or (found.kind and len(found.state) == 2)


@settings(deadline=None)
@given(st.text(alphabet="0123456789 ()-/+,;.n/a", max_size=60))
def test_any_number_cell_is_read_or_reported(text: str) -> None:
    mapping = hostlist.load_mapping(MAPPINGS / "kr-mofa.yaml")
    numbers, problems = hostlist.parse_numbers(text, mapping)
    assert all(n.e164.startswith("+82") or n.e164.startswith("+") for n in numbers)
    assert all(isinstance(p, str) for p in problems)


def test_a_name_beside_a_state_column_must_still_be_read(tmp_path: Path) -> None:
    path = edited(tmp_path, AUSTRIA, 9, "Vertretung", "Konsularagentur der Russischen Föderation")
    with pytest.raises(ManyErrors) as caught:
        hostlist.read(path, MAPPINGS / "at-bmeia.yaml")
    assert str(caught.value).splitlines()[0] == (
        f"{path}:9: column B (Vertretung): 'Konsularagentur der Russischen Föderation': no "
        "pattern reads the kind of office in this name (add a pattern under names: or the word "
        "under kinds: in the mapping)"
    )
    mapping = tmp_path / "at.yaml"
    mapping.write_text(
        (MAPPINGS / "at-bmeia.yaml").read_text(encoding="utf-8")
        + "kinds:\n  Konsularagentur: consulate\n",
        encoding="utf-8",
    )
    office = hostlist.read(path, mapping).directory("RU").get("at-salzburg-consulate")
    assert office.phones == ("+43662624184",)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("739-9766", ["+8227399766"]),  # a Seoul number written without its area code
        ("1588-1234", ["+8215881234"]),  # a nationwide number: it has no area code
        ("051)465-5101, 1588-1234", ["+82514655101", "+8215881234"]),
        ("070-7500-1234", ["+827075001234"]),
    ],
)
def test_a_number_without_an_area_code_gets_the_capitals_only_if_it_has_one(
    cell: str, expected: list[str]
) -> None:
    mapping = hostlist.load_mapping(MAPPINGS / "kr-mofa.yaml")
    numbers, problems = hostlist.parse_numbers(cell, mapping)
    assert problems == []
    assert [n.e164 for n in numbers] == expected


def test_a_skipped_row_never_closes_an_office(tmp_path: Path, kazakhstan: Path) -> None:
    """Karachi's row has a fax that cannot be read: with --skip-bad-rows it is left out, and
    the consulate it describes is kept (the list says nothing about it), not closed."""
    mapping = LISTS / "pk-mofa-mapping.yaml"
    path = edited(tmp_path, LISTS / "pk-mofa-missions.csv", 5, "Fax", "021) 3583-841B")
    result = run(
        "directory", "update", kazakhstan, path, "--mapping", mapping, "--skip-bad-rows",
        "--apply", "--date", "2026-11-30",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        f"{path}:5: skipped: column H (Fax): '021) 3583-841B' is no phone number (it holds 'B')"
        in lines
    )
    assert not any(line.startswith("closed ") for line in lines), lines
    assert (
        "kept     pk-karachi-consulate (PK, Karachi, consulate): not in the newer list, kept: "
        "1 row of the list was skipped, and it may be this office's"
    ) in lines
    assert "1 new, 0 closed, 1 changed, 0 unchanged, 1 kept (countries compared: PK)" in lines
    assert "pk-karachi-consulate" in load_directory(kazakhstan)


def test_a_state_whose_rows_were_all_skipped_says_so(tmp_path: Path, kazakhstan: Path) -> None:
    path = edited(tmp_path, KOREA, 17, "Fax", "02) 395-976O")
    result = run(
        "directory", "update", kazakhstan, path, "--mapping", MAPPINGS / "kr-mofa.yaml",
        "--skip-bad-rows",
    )  # fmt: skip
    assert result.exit_code == 1
    assert (
        "no office of the sending state KZ in this list that could be read; skipped rows: 17 "
        "(its offices may be among them: correct those rows and run again)"
    ) in result.output
