"""Routing: which offices handle a country, and in which order."""

from __future__ import annotations

from pathlib import Path

import pytest

from lettergen.directory.model import Directory, Office, load_directories
from lettergen.directory.routing import country_code, route, served_by_errors, serving_office
from lettergen.errors import DataError, InputError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "routing-offices.yaml"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directories(FIXTURE)


def ranked(directory: Directory, country: str) -> list[tuple[str, str]]:
    return [(r.office.id, r.how) for r in route(directory, country)]


def test_non_resident_reaches_the_office_it_is_served_by(directory: Directory) -> None:
    routes = route(directory, "NL")
    assert [(r.office.id, r.how, r.via) for r in routes] == [
        ("be-brussels-embassy", "served-by", "nl-non-resident")
    ]
    assert routes[0].country == "NL"


def test_cross_accreditation_alone_reaches_the_office(directory: Directory) -> None:
    assert ranked(directory, "LU") == [("be-brussels-embassy", "accredited")]


def test_resident_mission_first_then_the_embassy_accredited_from_abroad(
    directory: Directory,
) -> None:
    assert ranked(directory, "MN") == [
        ("mn-ulan-bator-mission", "resident"),
        ("cn-beijing-embassy", "accredited"),
    ]


def test_un_mission_reached_through_its_accredited_to(directory: Directory) -> None:
    assert ranked(directory, "CU") == [("un-new-york-permanent-mission", "accredited")]


def test_un_mission_is_not_a_resident_office_of_its_host_country(directory: Directory) -> None:
    assert ranked(directory, "US") == [
        ("us-washington-embassy", "resident"),
        ("us-new-york-consulate", "resident"),
    ]


def test_embassy_ranks_before_visa_office_whatever_the_directory_order(
    directory: Directory,
) -> None:
    assert ranked(directory, "CN") == [
        ("cn-beijing-embassy", "resident"),
        ("cn-urumqi-visa-office", "resident"),
    ]


def test_resident_consulate_first_then_the_embassy_covering_from_abroad_once(
    directory: Directory,
) -> None:
    # Washington is reached both by ca-non-resident's served_by and by accredited_to [CA, MX]:
    # it is listed once, under the first way found.
    assert ranked(directory, "CA") == [
        ("ca-toronto-consulate", "resident"),
        ("us-washington-embassy", "served-by"),
    ]


def test_served_by_chain_is_followed_to_a_resident_office(directory: Directory) -> None:
    routes = route(directory, "MD")
    assert [(r.office.id, r.how, r.via) for r in routes] == [
        ("ru-moscow-embassy", "served-by", "md-non-resident")
    ]


def test_country_nobody_handles_gives_no_routes(directory: Directory) -> None:
    assert route(directory, "JP") == []


def test_country_with_only_an_empty_non_resident_entry_and_no_accreditation() -> None:
    lone = Directory("KZ", [Office(id="xx-non-resident", country="GH", kind="non-resident")])
    assert route(lone, "GH") == []


def test_lower_case_code_and_spaces_are_accepted(directory: Directory) -> None:
    assert ranked(directory, " nl ") == ranked(directory, "NL")


def test_unknown_country_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"unknown country 'Atlantis'"):
        country_code("Atlantis")


def test_route_is_stable(directory: Directory) -> None:
    assert route(directory, "CA") == route(directory, "CA")


def office(office_id: str, served_by: str = "", kind: str = "non-resident") -> Office:
    return Office(
        id=office_id,
        country=office_id[:2].upper(),
        kind=kind,
        served_by=served_by,
        file=Path("dir.yaml"),
        line=7,
    )


def test_served_by_pointing_to_unknown_id_names_file_line_and_office() -> None:
    broken = Directory("KZ", [office("nl-non-resident", "be-brussels-embasy")])
    with pytest.raises(DataError) as info:
        route(broken, "NL")
    assert str(info.value) == (
        "dir.yaml:7: office nl-non-resident, served_by: served_by 'be-brussels-embasy' is not an"
        " office id of this directory ('lettergen missions list' shows the ids)"
    )


def test_served_by_cycle_is_a_data_error() -> None:
    looped = Directory(
        "KZ",
        [
            office("md-non-resident", "ua-non-resident"),
            office("ua-non-resident", "md-non-resident"),
        ],
    )
    with pytest.raises(
        DataError,
        match=r"served_by cycle: md-non-resident -> ua-non-resident -> "
        r"md-non-resident",
    ):
        route(looped, "MD")


def test_served_by_pointing_to_itself_is_a_cycle() -> None:
    looped = Directory("KZ", [office("md-non-resident", "md-non-resident")])
    with pytest.raises(DataError, match="served_by cycle: md-non-resident -> md-non-resident"):
        route(looped, "MD")


def test_served_by_chain_ending_nowhere_is_a_data_error() -> None:
    stuck = Directory(
        "KZ", [office("md-non-resident", "ua-non-resident"), office("ua-non-resident")]
    )
    with pytest.raises(DataError) as info:
        route(stuck, "MD")
    message = str(info.value)
    assert message.startswith("dir.yaml:7: office ua-non-resident, served_by: served_by chain")
    assert "md-non-resident -> ua-non-resident ends at 'ua-non-resident'" in message


def test_broken_chain_of_another_country_does_not_block_routing() -> None:
    mixed = Directory(
        "KZ",
        [office("md-non-resident", "nowhere"), office("be-brussels-embassy", kind="embassy")],
    )
    assert [r.office.id for r in route(mixed, "BE")] == ["be-brussels-embassy"]


def test_served_by_errors_collects_every_broken_chain() -> None:
    broken = Directory(
        "KZ",
        [
            office("md-non-resident", "nowhere"),
            office("ua-non-resident", "ua-non-resident"),
            office("ru-moscow-embassy", kind="embassy"),
            office("by-non-resident", "ru-moscow-embassy"),
        ],
    )
    assert [e.place.field if e.place else None for e in served_by_errors(broken)] == [
        "office md-non-resident, served_by",
        "office ua-non-resident, served_by",
    ]


def test_serving_office_of_a_resident_office_with_served_by(directory: Directory) -> None:
    # "Mongolia – Mission (Ulan-Bator) / Ambassador with residence in Beijing": a resident
    # office may name the embassy whose head covers it.
    mission = Office(id="mn-mission", country="MN", kind="mission", served_by="cn-beijing-embassy")
    both = Directory("KZ", [*directory.offices, mission])
    assert serving_office(both, mission).id == "cn-beijing-embassy"
    assert [(r.office.id, r.how) for r in route(both, "MN")] == [
        ("mn-ulan-bator-mission", "resident"),
        ("mn-mission", "resident"),
        ("cn-beijing-embassy", "served-by"),
    ]


def test_office_json_keeps_e164_and_fills_every_key(directory: Directory) -> None:
    from lettergen.directory.report import office_json
    from lettergen.errors import Place
    from lettergen.findings import Finding

    finding = Finding(
        "no-fax", "an office has no fax number", "warning", Place(), "cn-beijing-embassy"
    )
    record = office_json(directory.get("cn-beijing-embassy"), [finding])
    assert record == {
        "id": "cn-beijing-embassy",
        "country": "CN",
        "country_name": "China",
        "kind": "embassy",
        "city": "Beijing",
        "addressee": "ambassador",
        "organisation": None,
        "address": [],
        "phones": [],
        "faxes": ["+861065326183"],
        "emails": [],
        "website": None,
        "accredited_to": ["MN"],
        "served_by": None,
        "notes": [],
        "source_line": None,
        "warnings": [
            {"code": "no-fax", "message": "an office has no fax number", "severity": "warning"}
        ],
    }


def test_route_json_adds_how_and_for(directory: Directory) -> None:
    from lettergen.directory.report import route_json

    first, second = route(directory, "Mongolia")
    assert route_json(first)["route"] == {"how": "resident", "for": "MN", "via": None}
    assert route_json(second)["route"] == {"how": "accredited", "for": "MN", "via": None}
    assert route_json(second)["id"] == "cn-beijing-embassy"


@pytest.mark.parametrize(
    "name", ["US", "us", "United States", "United States of America", "USA", "the United States"]
)
def test_united_states_by_any_name_is_one_country(name: str) -> None:
    assert country_code(name) == "US"


def test_old_names_are_countries() -> None:
    assert country_code("Irish Republic") == "IE"
    assert country_code("Libyan Arab Jamahiriya") == "LY"


# The shipped directory, imported from the 2002 appeal and reviewed by hand.
SHIPPED = Path(__file__).parents[2] / "data" / "directories" / "kazakhstan.yaml"


@pytest.fixture(scope="module")
def kazakhstan() -> Directory:
    return load_directories(SHIPPED)


def test_shipped_netherlands_goes_to_brussels(kazakhstan: Directory) -> None:
    assert [r.office.id for r in route(kazakhstan, "NL")] == ["be-brussels-embassy"]


def test_shipped_cuba_goes_to_the_un_mission_in_new_york(kazakhstan: Directory) -> None:
    (only,) = route(kazakhstan, "Cuba")
    assert (only.office.kind, only.office.organisation, only.office.city) == (
        "permanent-mission",
        "UN",
        "New York",
    )
    assert "CU" in only.office.accredited_to


def test_shipped_mongolia_mission_first_then_beijing(kazakhstan: Directory) -> None:
    assert [(r.office.id, r.how) for r in route(kazakhstan, "MN")] == [
        ("mn-ulan-bator-mission", "resident"),
        ("cn-beijing-embassy", "accredited"),
    ]


def test_shipped_united_states_by_both_names(kazakhstan: Directory) -> None:
    by_name = route(kazakhstan, "United States")
    assert route(kazakhstan, "United States of America") == by_name == route(kazakhstan, "US")
    assert [r.office.kind for r in by_name] == ["embassy", "consulate"]


def test_shipped_non_resident_entries_each_reach_a_resident_office(kazakhstan: Directory) -> None:
    entries = [o for o in kazakhstan if o.kind == "non-resident"]
    assert len(entries) == 21
    assert served_by_errors(kazakhstan) == []
    for entry in entries:
        routes = route(kazakhstan, entry.country)
        assert routes, entry.id
        assert all(r.office.resident for r in routes)
        assert any(r.how == "served-by" and r.via == entry.id for r in routes), entry.id


def test_shipped_every_country_of_an_accredited_to_list_is_reached(kazakhstan: Directory) -> None:
    for office in kazakhstan:
        for code in office.accredited_to:
            if len(code) == 2:
                assert office in [r.office for r in route(kazakhstan, code)], (office.id, code)


SHIPPED = Path(__file__).resolve().parents[2] / "data" / "directories" / "kazakhstan.yaml"


def test_meshed_is_routed_for_iran_not_for_pakistan() -> None:
    # The appeal lists the consulate general in Meshed (Mashhad) under Pakistan; it is in Iran.
    shipped = load_directories(SHIPPED)
    meshed = shipped.get("pk-meshed-consulate-general")
    assert meshed.country == "IR"
    assert any("Listed under Pakistan" in note for note in meshed.notes)
    assert ranked(shipped, "IR") == [
        ("ir-tehran-embassy", "resident"),
        ("pk-meshed-consulate-general", "resident"),
    ]
    assert ranked(shipped, "PK") == [
        ("pk-islamabad-embassy", "resident"),
        ("pk-karachi-consulate", "resident"),
    ]


def test_meshed_letters_take_the_language_of_iran() -> None:
    from lettergen.language.languages import auto_language

    meshed = load_directories(SHIPPED).get("pk-meshed-consulate-general")
    languages = {"en", "fa", "ur"}
    # --lang auto follows the office's country: Persian for Iran, not Pakistan's Urdu.
    assert auto_language(meshed.country, languages, "en", languages=languages) == "fa"
    assert auto_language("PK", languages, "en", languages=languages) == "ur"
