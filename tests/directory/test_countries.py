"""Country names as directories write them -> ISO codes, and back to names."""

from __future__ import annotations

import pytest

from lettergen.directory import countries


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Irish Republic", "IE"),
        ("Libyan Arab Jamahiriya", "LY"),
        ("Syrian Arab Rep.", "SY"),
        ("Marocco", "MA"),
        ("Morocco", "MA"),
        ("Korea, Republic of", "KR"),
        ("United States of America", "US"),
        ("United States", "US"),
        ("USA", "US"),
        ("Russia", "RU"),
        ("Vietnam", "VN"),
        ("UAE", "AE"),
        ("United Arab Emirates", "AE"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Cote d'Ivoire", "CI"),
        ("the Netherlands", "NL"),
        ("  united   KINGDOM ", "GB"),
        ("nl", "NL"),
        ("DE", "DE"),
    ],
)
def test_country_code(name: str, code: str) -> None:
    assert countries.country_code(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnia & Herzegovina", "BA"),
        ("Trinidad and Tobago", "TT"),
        ("Antigua and Barbuda", "AG"),
        ("Saint Lucia", "LC"),
        ("St Lucia", "LC"),
        ("St. Lucia", "LC"),
        ("Saint Kitts and Nevis", "KN"),
        ("Saint Vincent and the Grenadines", "VC"),
        ("Myanmar", "MM"),
        ("Burma", "MM"),
        ("Myanmar (Burma)", "MM"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Congo - Kinshasa", "CD"),
        ("Republic of the Congo", "CG"),
        ("Congo-Brazzaville", "CG"),
        ("Hong Kong", "HK"),
        ("Hong Kong SAR", "HK"),
        ("Macao", "MO"),
        ("Palestine", "PS"),
        ("State of Palestine", "PS"),
        ("Sao Tome and Principe", "ST"),
        ("São Tomé and Príncipe", "ST"),
        ("Turks and Caicos Islands", "TC"),
    ],
)
def test_official_names(name: str, code: str) -> None:
    assert countries.country_code(name) == code


def test_saint_and_ampersand_are_normalised() -> None:
    assert countries.normalise("St. Kitts & Nevis") == "saint kitts and nevis"
    assert countries.same_city("St Petersburg", "Saint Petersburg")


@pytest.mark.parametrize("name", ["Atlantis", "", "UN", "EU", "international organizations"])
def test_unknown_names(name: str) -> None:
    assert countries.country_code(name) is None


def test_country_name() -> None:
    assert countries.country_name("DE") == "Germany"
    assert countries.country_name("de") == "Germany"
    assert countries.country_name("DE", "de") == "Deutschland"
    assert countries.country_name("RU", "ru") == "Россия"
    assert countries.country_name("XX") is None
    assert countries.country_name("DE", "xx") is None


def test_iso_codes_leave_out_cldr_specials() -> None:
    codes = countries.iso_codes()
    assert {"KZ", "US", "GB"} <= codes
    assert not {"EU", "UN", "ZZ", "XK", "001"} & codes
    assert countries.is_country("KZ")
    assert not countries.is_country("UN")


def test_suggest_for_misspellings() -> None:
    assert countries.suggest("Marroco") == "Morocco"
    assert countries.suggest("qqqqqq") is None


@pytest.mark.parametrize(
    ("city", "canonical"),
    [
        ("Riadh", "Riyadh"),
        ("Roma", "Rome"),
        ("Seul", "Seoul"),
        ("Geneve", "Geneva"),
        ("Washington D.C.", "Washington"),
        ("Ulan-Bator", "Ulan-Bator"),
    ],
)
def test_canonical_city(city: str, canonical: str) -> None:
    assert countries.canonical_city(city) == canonical


def test_same_city() -> None:
    assert countries.same_city("Riadh", "Riyadh")
    assert countries.same_city("new york", "New York")
    assert not countries.same_city("Cairo", "Riyadh")
