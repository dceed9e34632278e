"""A foreign ministry's list of the missions in its country, read with a mapping file: numbers in
E.164 (local, area-code, mobile, alternates, none), e-mails split, organisations told apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.directory.model import load_directory
from lettergen.directory.sources import hostlist
from lettergen.errors import InputError, ManyErrors

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hostlist"
LIST = FIXTURES / "pk-mofa-missions.csv"
MAPPING = FIXTURES / "pk-mofa-mapping.yaml"


@pytest.fixture(scope="module")
def pk() -> hostlist.HostList:
    return hostlist.read(LIST, MAPPING)


def test_states_and_organisations_are_told_apart(pk: hostlist.HostList) -> None:
    assert pk.states() == ["BY", "DE", "KZ", "TR"]
    assert [(e.row, e.name) for e in pk.organisations()] == [
        (8, "United Nations Development Programme (UNDP)"),
        (9, "UNICEF"),
        (10, "International Committee of the Red Cross (ICRC)"),
    ]


def test_kazakhstan_offices_with_numbers_in_e164(pk: hostlist.HostList) -> None:
    directory = pk.directory("kz")
    assert directory.state == "KZ"
    offices = {o.id: o for o in directory}
    assert list(offices) == [
        "pk-islamabad-embassy",
        "pk-karachi-consulate-general",
        "pk-lahore-consulate",
    ]
    islamabad = offices["pk-islamabad-embassy"]
    # "051) 226-2807/8, 226-2810": area code, an alternate, a second number keeping the area
    # code, and the mobile column's "0300-8234567".
    assert islamabad.phones == ("+92512262807", "+92512262808", "+92512262810", "+923008234567")
    # "226-2806": a local number without area code is in the capital (area code 051).
    assert islamabad.faxes == ("+92512262806",)
    assert islamabad.emails == ("islamabad@mfa.example.kz", "consul.islamabad@mfa.example.kz")
    assert "mobile: +923008234567" in islamabad.notes
    assert islamabad.address == ("House No. 2, Street 4, Sector F-8/3", "Islamabad")
    karachi = offices["pk-karachi-consulate-general"]
    assert (karachi.kind, karachi.city) == ("consulate-general", "Karachi")
    assert karachi.phones == ("+922135838420",)  # "021) 3583-8420": Karachi's area code
    assert karachi.faxes == ("+922135838418",)
    lahore = offices["pk-lahore-consulate"]
    assert lahore.faxes == ()  # "-": none
    assert lahore.emails == ()  # "-": none
    # "0321 4567890" in the mobile column: a mobile, flagged.
    assert lahore.phones == ("+924235712345", "+923214567890")
    assert lahore.notes[-1] == "mobile: +923214567890"
    assert islamabad.source == "pk-mofa-missions.csv, row 4"


def test_alternate_without_area_code(pk: hostlist.HostList) -> None:
    (embassy,) = pk.directory("BY")
    assert embassy.phones == ("+92513790951", "+92513790952")  # "379-0951/2"
    assert embassy.faxes == ("+92513790953",)  # "051) 379-0953"
    (germany,) = pk.directory("DE")
    assert germany.phones == ("+92512279430",)  # written internationally already
    assert germany.faxes == ()


@pytest.mark.parametrize(
    ("cell", "expected", "mobile"),
    [
        ("051) 226-2807", ["+92512262807"], [False]),
        ("(051) 2262807", ["+92512262807"], [False]),
        ("2262807", ["+92512262807"], [False]),
        ("379-0951/2/3", ["+92513790951", "+92513790952", "+92513790953"], [False] * 3),
        ("021) 3587-4231/2", ["+922135874231", "+922135874232"], [False, False]),
        ("0300-8234567", ["+923008234567"], [True]),
        ("0092 51 2279430", ["+92512279430"], [False]),
        ("-", [], []),
        ("", [], []),
        ("051) 226-2807; 0321 4567890", ["+92512262807", "+923214567890"], [False, True]),
    ],
)
def test_number_forms(cell: str, expected: list[str], mobile: list[bool]) -> None:
    mapping = hostlist.load_mapping(MAPPING)
    numbers, problems = hostlist.parse_numbers(cell, mapping)
    assert problems == []
    assert [n.e164 for n in numbers] == expected
    assert [n.mobile for n in numbers] == mobile


def test_an_unreadable_number_is_reported_not_guessed() -> None:
    mapping = hostlist.load_mapping(MAPPING)
    numbers, problems = hostlist.parse_numbers("051) 12, 226-2807", mapping)
    assert [n.e164 for n in numbers] == ["+92512262807"]
    assert problems == ["'051) 12' is not a valid number of PK"]


def test_cli_writes_the_state_offices(tmp_path: Path) -> None:
    out = tmp_path / "kz-in-pk.yaml"
    result = CliRunner().invoke(
        cli,
        [
            "directory",
            "hostlist",
            str(LIST),
            "--mapping",
            str(MAPPING),
            "--state",
            "KZ",
            "-o",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "organisations (not states): 3" in result.output
    assert "  mobile: +923214567890" in result.output
    assert [o.id for o in load_directory(out)] == [
        "pk-islamabad-embassy",
        "pk-karachi-consulate-general",
        "pk-lahore-consulate",
    ]


def test_a_state_not_in_the_list(pk: hostlist.HostList) -> None:
    with pytest.raises(InputError, match="no office of the sending state FR in this list"):
        pk.directory("FR")


def test_mapping_errors_name_the_key_and_column(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "host: PK\ncolumns:\n  state: Land\n  fax: Fax\nkinds:\n  embassy: palace\nextra: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ManyErrors) as caught:
        hostlist.load_mapping(mapping)
    text = str(caught.value)
    assert "map.yaml:7: unknown key 'extra'" in text
    assert "map.yaml:4: columns: unknown field 'fax'" in text
    assert "unknown kind 'palace'" in text
    good = tmp_path / "good.yaml"
    good.write_text("host: PK\ncolumns:\n  state: Land\n", encoding="utf-8")
    with pytest.raises(ManyErrors, match=r"the mapping's column 'Land' \(for state\) is not in"):
        hostlist.read(LIST, good)


def test_a_misspelt_state_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    text = LIST.read_text(encoding="utf-8").replace("3,Kazakhstan,", "3,Kazakstan,")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ManyErrors) as caught:
        hostlist.read(bad, MAPPING)
    assert str(caught.value).splitlines() == [
        f"{bad}:4: column B (Country): 'Kazakstan' is no known state (did you mean Kazakhstan?)",
        "1 row cannot be read exactly: nothing written "
        "(correct them, or pass --skip-bad-rows to leave them out)",
    ]
