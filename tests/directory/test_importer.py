"""The directory importer on the seed text, on tricky lines, and on random and mutated text."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lettergen.directory.model import Office, load_directory
from lettergen.directory.sources import text as importer
from lettergen.errors import InputError, LettergenError

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "sources" / "kazakhstan-2002.txt"
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report() -> importer.ImportReport:
    return importer.import_file(SEED, "KZ")


@pytest.fixture(scope="module")
def offices(report: importer.ImportReport) -> dict[str, Office]:
    return {office.id: office for office in report.directory}


def test_seed_counts(report: importer.ImportReport) -> None:
    assert len(report.offices) == 48
    assert len(report.non_resident) == 21
    assert len(report.directory) == 69
    assert report.warnings == []


def test_picket_list_is_reported_not_imported(report: importer.ImportReport) -> None:
    assert [u.line for u in report.unplaced] == [5, 10, 12, 14, 16, 18, 20, 27, 29]
    assert report.unplaced[0].text == "Australia – in Sydney"
    assert report.unplaced[1].text == "Canada (Consulate in Toronto)"
    assert all(u.reason == "before the first entry" for u in report.unplaced)


@pytest.mark.parametrize(
    ("office_id", "faxes"),
    [
        ("de-berlin-embassy", ["+493047007125"]),
        ("de-frankfurt-consulate-general", ["+496997146818"]),
        ("au-sydney-consulate", ["+61293653044"]),
        ("ru-moscow-embassy", ["+70952082650"]),
        ("by-minsk-embassy", ["+375172844810"]),
        ("pk-meshed-consulate-general", ["+98517625590"]),
        ("my-kuala-lumpur-embassy", ["+60321668553"]),
        ("us-new-york-consulate", ["+12128883025"]),
        ("us-new-york-un-mission", ["+12122301172", "+12128883025"]),
        ("ua-kiev-embassy", ["+380442131198"]),
        ("jp-tokyo-embassy", ["+81337915279"]),
    ],
)
def test_faxes(offices: dict[str, Office], office_id: str, faxes: list[str]) -> None:
    assert list(offices[office_id].faxes) == faxes


def test_every_office_has_a_fax(report: importer.ImportReport) -> None:
    assert all(office.faxes for office in report.offices)


def test_several_numbers_and_tel_fax(offices: dict[str, Office]) -> None:
    assert offices["my-kuala-lumpur-embassy"].phones == (
        "+60321664144",
        "+60321667872",
        "+60321666021",
    )
    prague = offices["cz-prague-mission"]
    assert prague.phones == prague.faxes == ("+420233375642", "+420233375643")
    assert offices["eg-cairo-embassy"].phones == offices["eg-cairo-embassy"].faxes
    assert offices["us-new-york-un-mission"].phones == ("+12122301900", "+12128883024")


def test_emails_after_numbers(offices: dict[str, Office]) -> None:
    assert offices["cn-urumqi-visa-office"].emails == ("kazpass@mail.xj.cninfo.net",)
    assert offices["gr-athens-consulate"].emails == ("conskaz@otenet.gr",)
    assert offices["cn-urumqi-visa-office"].faxes == ("+869913821203",)


def test_consular_section_url_is_the_website(offices: dict[str, Office]) -> None:
    london = offices["gb-london-embassy"]
    assert london.website == "http://www.kazakhstan-visa.org/"
    assert "Consular Section: http://www.kazakhstan-visa.org/" in london.notes


def test_offices_without_street_address(offices: dict[str, Office]) -> None:
    assert offices["tj-dushanbe-embassy"].address == ()
    assert offices["pk-meshed-consulate-general"].address == ()
    assert offices["tj-dushanbe-embassy"].emails == ("dipmiskz@tajik.net",)


def test_addresses(offices: dict[str, Office]) -> None:
    assert offices["de-berlin-embassy"].address == ("Nordenstrasse 14-17, D-13156 Berlin",)
    assert offices["au-sydney-consulate"].address == (
        "144 Clyde Street",
        "North Bondi, Sydney",
        "NSW 2026 Australia",
    )


def test_cross_accreditation(offices: dict[str, Office]) -> None:
    assert offices["be-brussels-embassy"].accredited_to == (
        "LU",
        "NL",
        "international organizations in Brussels",
    )
    assert offices["eg-cairo-embassy"].accredited_to == ("MA", "TN", "JO", "SY", "LY", "DZ")
    assert offices["gb-london-embassy"].accredited_to == ("IE", "NO", "SE")
    assert offices["sa-riyadh-embassy"].accredited_to == ("KW", "OM", "BH", "AE")
    assert offices["ua-kiev-embassy"].accredited_to == ("MD",)
    assert offices["us-new-york-un-mission"].accredited_to == ("CU",)
    assert offices["fr-paris-embassy"].accredited_to == ("UNESCO",)
    assert offices["at-vienna-embassy"].accredited_to == (
        "UN Office and other international organizations in Vienna",
    )


def test_jammed_heading(offices: dict[str, Office]) -> None:
    prague = offices["cz-prague-mission"]
    assert (prague.country, prague.city, prague.kind) == ("CZ", "Prague", "mission")
    assert prague.notes == ("Ambassador with residence in Budapest",)
    assert offices["mn-ulan-bator-mission"].notes == ("Ambassador with residence in Beijing",)


def test_missions_to_the_un(offices: dict[str, Office]) -> None:
    new_york = offices["us-new-york-un-mission"]
    assert (new_york.country, new_york.city, new_york.kind, new_york.organisation) == (
        "US",
        "New York",
        "permanent-mission",
        "UN",
    )
    geneva = offices["ch-geneva-un-mission"]
    assert (geneva.country, geneva.kind, geneva.organisation) == ("CH", "permanent-mission", "UNOG")


def test_dubai_is_an_office(offices: dict[str, Office], report: importer.ImportReport) -> None:
    dubai = offices["ae-dubai-consulate"]
    assert (dubai.country, dubai.city, dubai.kind) == ("AE", "Dubai", "consulate")
    assert dubai.faxes == ("+97142242482",)
    assert any(c.startswith("kind:") for c in report.comments["ae-dubai-consulate"])


SERVED_BY = {
    "dz-non-resident": "eg-cairo-embassy",
    "am-non-resident": "ru-moscow-embassy",
    "bh-non-resident": "sa-riyadh-embassy",
    "bg-non-resident": "hu-budapest-embassy",
    "ca-non-resident": "us-washington-embassy",
    "cu-non-resident": "us-new-york-un-mission",
    "fi-non-resident": "ru-moscow-embassy",
    "ie-non-resident": "gb-london-embassy",
    "jo-non-resident": "eg-cairo-embassy",
    "kw-non-resident": "sa-riyadh-embassy",
    "ly-non-resident": "eg-cairo-embassy",
    "mt-non-resident": "it-rome-embassy",
    "ma-non-resident": "eg-cairo-embassy",
    "mx-non-resident": "us-washington-embassy",
    "md-non-resident": "ua-kiev-embassy",
    "om-non-resident": "sa-riyadh-embassy",
    "no-non-resident": "gb-london-embassy",
    "se-non-resident": "gb-london-embassy",
    "sy-non-resident": "eg-cairo-embassy",
    "tn-non-resident": "eg-cairo-embassy",
    "vn-non-resident": "cn-beijing-embassy",
}


def test_non_resident_entries_are_routed(report: importer.ImportReport) -> None:
    assert {o.id: o.served_by for o in report.non_resident} == SERVED_BY


def test_non_resident_details(offices: dict[str, Office]) -> None:
    cuba = offices["cu-non-resident"]
    assert (cuba.country, cuba.city, cuba.source_line) == ("CU", "New York", 111)
    assert offices["fi-non-resident"].notes == (
        "Ambassador with residence in Moscow",
        "for information see Russia",
    )
    assert offices["ie-non-resident"].country == "IE"


def test_ids_and_source_lines(report: importer.ImportReport) -> None:
    ids = [o.id for o in report.directory]
    assert len(set(ids)) == len(ids)
    assert ids[:3] == ["dz-non-resident", "am-non-resident", "au-sydney-consulate"]
    lines = {o.id: o.source_line for o in report.directory}
    assert lines["de-berlin-embassy"] == 142
    assert lines["us-new-york-consulate"] == 448
    assert lines["ch-geneva-un-mission"] == 358


@pytest.mark.parametrize(
    ("line", "country", "kind", "city"),
    [
        ("Azerbaijan -Embassy (Baku)", "AZ", "embassy", "Baku"),
        ("Finland-Ambassador with residence in Moscow", "FI", "non-resident", ""),
        ("Cuba- Ambassador with residence inNew York", "CU", "non-resident", ""),
        ("Korea, Republic of -Embassy (Seoul)", "KR", "embassy", "Seoul"),
        ("Germany – Consulate General (Frankfurt)", "DE", "consulate-general", "Frankfurt"),
        ("Pakistan – Consulate-General (Meshed)", "PK", "consulate-general", "Meshed"),
        ("China – Passport-VisaServise (Urumqi)", "CN", "visa-office", "Urumqi"),
        ("Guinea-Bissau – Embassy (Bissau)", "GW", "embassy", "Bissau"),
        (
            "Ukraine – Embassy (Kiev) Ambassador cross-accredited to Moldova",
            "UA",
            "embassy",
            "Kiev",
        ),
    ],
)
def test_headings(line: str, country: str, kind: str, city: str) -> None:
    heading = importer.parse_heading(line)
    assert heading is not None
    assert (heading.country, heading.kind, heading.city) == (country, kind, city)


def test_residence_without_space() -> None:
    heading = importer.parse_heading("Cuba- Ambassador with residence inNew York")
    assert heading is not None and heading.residence == "New York"


@pytest.mark.parametrize(
    "line",
    [
        "Australia – in Sydney",
        "Canada (Consulate in Toronto)",
        "USA (Consulate and UN Mission in New York)",
        "Tel-Aviv 63504, Israel",
        "A – 1190 Wien Austria",
        "Consular Section http://www.kazakhstan-visa.org/",
        "00186 – Roma, Italia",
    ],
)
def test_not_headings(line: str) -> None:
    assert importer.parse_heading(line) is None


def test_unknown_country_heading_is_reported() -> None:
    text = "Atlantis – Embassy (Poseidonis)\n1 Coral Road\ntel: (4930) 1234567\n" + (
        "Germany – Embassy (Berlin)\ntel: (4930) 470-07-111, fax 470-07-125\n"
    )
    result = importer.import_text(text, "KZ")
    assert [o.id for o in result.directory] == ["de-berlin-embassy"]
    assert [u.line for u in result.unplaced] == [1, 2, 3]
    assert "unknown country name 'Atlantis'" in result.warnings[0].message


def test_number_without_any_prefix_is_a_warning() -> None:
    result = importer.import_text("Germany – Embassy (Berlin)\nfax: 470-07-125\n", "KZ")
    assert result.directory.offices[0].faxes == ()
    assert result.warnings[0].line == 2
    assert "470-07-125" in result.warnings[0].message


def test_text_after_the_numbers_is_unplaced() -> None:
    text = "Germany – Embassy (Berlin)\nfax: (4930) 470-07-125\n\nYours sincerely,\nA. Person\n"
    result = importer.import_text(text, "KZ")
    assert [(u.line, u.text) for u in result.unplaced] == [
        (4, "Yours sincerely,"),
        (5, "A. Person"),
    ]


def test_duplicate_entries_get_distinct_ids() -> None:
    text = "Germany – Embassy (Berlin)\nGermany – Embassy (Berlin)\n"
    result = importer.import_text(text, "KZ")
    assert [o.id for o in result.directory] == ["de-berlin-embassy", "de-berlin-embassy-2"]


def test_no_directory_in_text() -> None:
    with pytest.raises(InputError, match="no directory in this text"):
        importer.import_text("Dear friends,\nplease write to the embassies.\n", "KZ")


def test_unknown_state() -> None:
    with pytest.raises(InputError, match="unknown sending state"):
        importer.import_text(SEED_TEXT, "XX")


def test_yaml_round_trip(report: importer.ImportReport, tmp_path: Path) -> None:
    path = tmp_path / "kz.yaml"
    path.write_text(importer.to_yaml(report, "lettergen directory import ..."), encoding="utf-8")
    loaded = load_directory(path)
    assert loaded.state == "KZ"
    assert loaded.offices == report.directory.offices


def test_shipped_file_keeps_the_imported_numbers_and_routes(report: importer.ImportReport) -> None:
    shipped = load_directory(SHIPPED)
    assert len(shipped.resident_offices) == 48
    assert len(shipped) == 69
    imported = {o.id: o for o in report.directory}
    for office in shipped:
        assert office.id in imported
        assert office.faxes == imported[office.id].faxes
        assert office.phones == imported[office.id].phones
        assert office.source_line == imported[office.id].source_line
    assert {o.id: o.served_by for o in shipped if not o.resident} == SERVED_BY


def test_shipped_file_marks_hand_corrections() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert "# corrected by hand: city 'Geneve'" in text
    assert load_directory(SHIPPED).get("ch-geneva-un-mission").city == "Geneva"


def _import_or_no_directory(text: str) -> None:
    try:
        result = importer.import_text(text, "KZ")
    except InputError as exc:
        assert "no directory" in str(exc)
        return
    ids = [o.id for o in result.directory]
    assert len(ids) == len(set(ids))
    assert len(result.directory) >= 1
    importer.to_yaml(result)
    importer.summary(result)
    assert_nothing_dropped(text, result)


def assert_nothing_dropped(text: str, result: importer.ImportReport) -> None:
    """Every source line that has a letter or digit (and is no '#' comment) was either read into
    an office (its heading, address, numbers, notes) or reported as unplaced — never both."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    unplaced = {item.line for item in result.unplaced}
    ids = {office.id for office in result.directory}
    assert set(result.placed.values()) <= ids
    assert not unplaced & result.placed.keys()
    for number, line in enumerate(lines, 1):
        content = importer._clean(line)
        if content.startswith("#") or not re.search(r"[^\W_]", content):
            continue
        assert number in result.placed or number in unplaced, (number, line)
    assert all(1 <= n <= len(lines) for n in unplaced | result.placed.keys())


def test_nothing_of_the_seed_text_is_dropped(report: importer.ImportReport) -> None:
    text = SEED_TEXT
    assert_nothing_dropped(text, report)
    # The lines of one office: its heading, address and numbers.
    berlin = [n for n, office_id in report.placed.items() if office_id == "de-berlin-embassy"]
    lines = text.split("\n")
    assert any("Berlin" in lines[n - 1] for n in berlin)
    assert any("470" in lines[n - 1] for n in berlin)  # the fax number's line


def test_a_dropped_line_would_be_caught() -> None:
    text = "Germany – Embassy (Berlin)\nNordenstrasse 14\ntel: (4930) 470-07-111\n"
    result = importer.import_text(text, "KZ")
    assert_nothing_dropped(text, result)
    forgetful = dataclasses.replace(result, placed={1: result.directory.offices[0].id})
    with pytest.raises(AssertionError):
        assert_nothing_dropped(text, forgetful)


def test_a_second_see_line_of_a_non_resident_entry_is_reported() -> None:
    text = (
        "Germany – Embassy (Berlin)\ntel: (4930) 470-07-111\n"
        "Austria – Ambassador with residence in Berlin\n"
        "for information see Germany\nfor information see Switzerland\n"
    )
    result = importer.import_text(text, "KZ")
    assert_nothing_dropped(text, result)
    assert [(u.line, u.text) for u in result.unplaced] == [(5, "for information see Switzerland")]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_crashes_on_random_text(text: str) -> None:
    _import_or_no_directory(text)


_HEADINGISH = st.sampled_from(
    [
        "Germany – Embassy (Berlin)",
        "Atlantis – Embassy (X)",
        "Cuba- Ambassador with residence inNew York",
        "for information see Egypt",
        "for information see Atlantis",
        "(Ambassador cross-accredited to Cuba, Atlantis and friends)",
        "tel: (4930) 470-07-111, fax 470-07-125 a@b.cd",
        "tel/fax: (0)-1, 2",
        "fax: ((((12)))) 3",
        "United Nations Organization – Permanent Mission",
        "X – (Y) Ambassador with residence in",
        "– Embassy ()",
        "Consular Section http://",
        "",
    ]
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HEADINGISH, st.text(max_size=40)), max_size=30))
def test_never_crashes_on_directory_like_text(lines: list[str]) -> None:
    _import_or_no_directory("\n".join(lines))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_never_crashes_on_mutated_seed(data: st.DataObject) -> None:
    lines = SEED_TEXT.split("\n")
    for _ in range(data.draw(st.integers(1, 8))):
        operation = data.draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "shuffle"]))
        index = data.draw(st.integers(0, len(lines) - 1))
        if operation == "delete" and len(lines) > 1:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif operation == "insert":
            line = lines[index]
            at = data.draw(st.integers(0, len(line)))
            noise = data.draw(st.text(min_size=1, max_size=5))
            lines[index] = line[:at] + noise + line[at:]
        else:
            start = data.draw(st.integers(0, len(lines) - 1))
            chunk = lines[start : start + 20]
            lines[start : start + 20] = data.draw(st.permutations(chunk))
    _import_or_no_directory("\n".join(lines))


def test_errors_are_lettergen_errors() -> None:
    with pytest.raises(LettergenError):
        importer.import_file(Path("/nonexistent/directory.txt"), "KZ")


def test_continuation_line_of_numbers() -> None:
    text = "Malaysia – Embassy (Kuala Lumpur)\ntel: (603)-216-64-144,\n216-67-872\nfax 216-68-553\n"
    office = importer.import_text(text, "KZ").directory.offices[0]
    assert office.phones == ("+60321664144", "+60321667872")
    assert office.faxes == ("+60321668553",)


def test_unknown_accredited_country_is_a_warning() -> None:
    text = "Egypt – Embassy (Cairo)\n(Ambassador cross-accredited to Atlantis, Morocco)\n"
    result = importer.import_text(text, "KZ")
    assert result.directory.offices[0].accredited_to == ("Atlantis", "MA")
    assert [w.message for w in result.warnings] == [
        "accredited to 'Atlantis': no known country, kept as written"
    ]


BERLIN_WITH_CONSULAR_LINE = """\
Germany – Embassy (Berlin)
Nordenstrasse 14-17, D-13156 Berlin
Consular department - visa questions
tel: (4930) 470-07-111
fax 470-07-125
"""


def test_a_line_with_an_office_word_inside_an_entry_does_not_end_it() -> None:
    result = importer.import_text(BERLIN_WITH_CONSULAR_LINE, "KZ")
    (berlin,) = result.directory.offices
    assert berlin.faxes == ("+493047007125",)
    assert berlin.phones == ("+493047007111",)
    assert berlin.address == (
        "Nordenstrasse 14-17, D-13156 Berlin",
        "Consular department - visa questions",
    )
    assert result.unplaced == []
    assert result.warnings == []


@pytest.mark.parametrize(
    "line",
    [
        "Consular department - visa questions",
        "Consular department – visas",
        "Germany – Embassy staff list",
        "Germany – Passports lost abroad",
    ],
)
def test_office_words_need_a_city_or_the_end_of_the_line(line: str) -> None:
    assert importer.parse_heading(line) is None


@pytest.mark.parametrize(
    ("line", "kind", "city"),
    [
        ("Germany – Visa Section (Berlin)", "visa-office", "Berlin"),
        ("Germany – Embassy", "embassy", ""),
        ("Austria – Embassy in Vienna", "embassy", "Vienna"),
        ("Switzerland – Permanent Mission to the UN (Geneva)", "permanent-mission", "Geneva"),
    ],
)
def test_office_words_before_a_city_or_the_end_of_the_line(line: str, kind: str, city: str) -> None:
    heading = importer.parse_heading(line)
    assert heading is not None
    assert (heading.kind, heading.city) == (kind, city)


def test_heading_shaped_line_without_a_country_stays_in_the_open_entry() -> None:
    text = BERLIN_WITH_CONSULAR_LINE.replace(
        "Consular department - visa questions", "Consular department – Visa section"
    )
    result = importer.import_text(text, "KZ")
    (berlin,) = result.directory.offices
    assert berlin.faxes == ("+493047007125",)
    assert "Consular department – Visa section" in berlin.address
    assert result.unplaced == []
    assert [(w.line, w.message) for w in result.warnings] == [
        (
            3,
            "'Consular department' is no known country: line read as text of the entry at line 1",
        )
    ]


def _served_by_comment(text: str) -> str:
    result = importer.import_text(text, "KZ")
    (comment,) = [c for c in result.comments["mx-non-resident"] if c.startswith("served_by")]
    return comment


def test_served_by_comment_says_accredited_only_when_it_is() -> None:
    text = (
        "Mexico – Ambassador with residence in Washington\n"
        "USA – Embassy (Washington)\n"
        "fax: (1202) 232-5845\n"
    )
    assert _served_by_comment(text) == (
        "served_by: no 'see' line: the office in Washington, where the head of mission resides;"
        " the directory does not list it as accredited to MX"
    )
    accredited = text.replace("(Washington)\n", "(Washington)\n(Ambassador accredited to Mexico)\n")
    assert _served_by_comment(accredited) == (
        "served_by: no 'see' line: the office in Washington accredited to MX"
    )


def test_import_for_norway_writes_a_file_that_loads(tmp_path: Path) -> None:
    result = importer.import_text("Germany – Embassy (Berlin)\nfax: (4930) 470-07-125\n", "NO")
    path = tmp_path / "no.yaml"
    path.write_text(importer.to_yaml(result), encoding="utf-8")
    assert load_directory(path).state == "NO"


def test_accreditation_to_norway_round_trips(report: importer.ImportReport, tmp_path: Path) -> None:
    path = tmp_path / "kz.yaml"
    path.write_text(importer.to_yaml(report), encoding="utf-8")
    assert load_directory(path).get("gb-london-embassy").accredited_to == ("IE", "NO", "SE")


def test_a_misspelt_heading_inside_an_entry_never_lends_its_fax_to_it() -> None:
    text = (
        "Germany – Embassy (Berlin)\n\nNordenstrasse 14-17, D-13156 Berlin\n\n"
        "tel: (4930) 470-07-111, fax 470-07-125\n\n"
        "Kirghizia – Embassy (Bishkek)\n\nBishkek, Togolok Moldo street, 10\n\n"
        "tel: (996312)-66-04-15 fax: 22-54-63\n"
    )
    result = importer.import_text(text, "KZ")
    (berlin,) = result.directory.offices
    assert berlin.faxes == ("+493047007125",)
    assert any("Kirghizia" in u.text for u in result.unplaced)
