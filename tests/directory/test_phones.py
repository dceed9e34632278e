"""Phone numbers: "(CCAA) local" prefixes, inheritance, E.164, display, per-number issues."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lettergen.directory import phones


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("7095", (7, "095")),
        ("99412", (994, "12")),
        ("375172", (375, "172")),
        ("4202", (420, "2")),
        ("1212", (1, "212")),
        ("612", (61, "2")),
        ("9851", (98, "51")),
        ("3906", (39, "06")),
    ],
)
def test_split_prefix_into_calling_code_and_area(prefix: str, expected: tuple[int, str]) -> None:
    assert phones.split_prefix(prefix) == expected


@pytest.mark.parametrize("prefix", ["", "0712", "abc"])
def test_split_prefix_without_calling_code(prefix: str) -> None:
    assert phones.split_prefix(prefix) is None


def _e164s(text: str) -> list[str]:
    return [n.e164 for n, _written, _prefix in phones.find_numbers(text) if n]


def test_number_without_prefix_inherits_the_entry_prefix() -> None:
    assert _e164s("(612)9365-3011, 9365-3044") == ["+61293653011", "+61293653044"]
    assert _e164s("(4969) 971-4670, 97146818") == ["+49699714670", "+496997146818"]


def test_inheritance_is_marked() -> None:
    numbers = [n for n, _w, _p in phones.find_numbers("(4930) 470-07-111, 470-07-125") if n]
    assert [n.inherited for n in numbers] == [False, True]
    assert (numbers[0].calling_code, numbers[0].area, numbers[0].local) == (49, "30", "47007111")


def test_separators_dashes_and_spaces() -> None:
    assert _e164s("(9851) – 71-61-67") == ["+9851716167"]
    assert _e164s("(431) -367-91-750") == ["+43136791750"]
    assert _e164s("(4202)-333-756-42, 333 756 43") == ["+420233375642", "+420233375643"]
    assert _e164s("(813)3791-5273, 3791- 5279") == ["+81337915273", "+81337915279"]


def test_a_number_with_no_prefix_anywhere_is_not_guessed() -> None:
    found = list(phones.find_numbers("9365-3044"))
    assert found == [(None, "9365-3044", "")]


def test_display_formats() -> None:
    assert phones.international("+493047007125") == "+49 30 47007125"
    assert phones.national("+493047007125") == "030 47007125"
    assert phones.national("+61293653044") == "(02) 9365 3044"
    assert phones.international("not a number") == "not a number"


def test_moscow_095_is_not_valid_today_but_495_is() -> None:
    assert not phones.is_valid_today("+70952082650")
    assert phones.is_valid_today("+74952082650")


def test_issues_of_the_meshed_fax() -> None:
    issues = phones.number_issues("+98517625590", "PK", "fax")
    assert [i.code for i in issues] == ["number-invalid-today", "number-foreign-country"]
    assert "+98 (IR)" in issues[1].message


def test_a_valid_fax_of_the_right_country_has_no_issues() -> None:
    assert phones.number_issues("+493047007125", "DE", "fax") == []
    # US and Canada share +1: compared by calling code, Toronto's fax is at home.
    assert phones.number_issues("+14165934037", "CA", "fax") == []


def test_mobile_fax() -> None:
    assert [i.code for i in phones.number_issues("+491701234567", "DE", "fax")] == ["fax-is-mobile"]
    assert phones.number_issues("+491701234567", "DE", "phone") == []
    assert not phones.is_mobile("+12025550123")  # NANP: fixed line or mobile, not flagged


def test_shared_numbers() -> None:
    pairs = [("a", "+1"), ("b", "+1"), ("a", "+2"), ("a", "+1")]
    assert phones.shared(pairs) == {"+1": ["a", "b"]}


def test_is_e164() -> None:
    assert phones.is_e164("+493047007125")
    assert not phones.is_e164("493047007125")
    assert not phones.is_e164("+0123456")
    assert not phones.is_e164("+1234567890123456")


@given(st.text())
def test_find_numbers_never_fails_and_yields_e164(text: str) -> None:
    for number, _written, _prefix in phones.find_numbers(text, "49"):
        assert number is None or phones.is_e164(number.e164)


@given(
    st.text(alphabet="0123456789()-– ,", max_size=60), st.text(alphabet="0123456789", max_size=8)
)
def test_find_numbers_on_digit_soup(text: str, prefix: str) -> None:
    for number, _written, _prefix in phones.find_numbers(text, prefix):
        if number:
            assert phones.is_e164(number.e164)
            assert phones.number_issues(number.e164, "DE", "fax") is not None
