"""The findings every checker reports: severity from the checker's codes, unknown codes refused."""

from __future__ import annotations

import pytest

from lettergen.errors import Place
from lettergen.findings import ERROR, WARNING, Codes

CODES = Codes({"broken": (ERROR, "something is broken"), "odd": (WARNING, "something is odd")})


def test_a_finding_takes_its_codes_severity() -> None:
    broken = CODES.finding("broken", "it broke", Place("a.yaml", 3, "key"), "de")
    assert (broken.severity, broken.is_error, broken.subject) == (ERROR, True, "de")
    assert str(broken) == "a.yaml:3: key: error: broken: it broke"
    odd = CODES.finding("odd", "how odd", Place())
    assert not odd.is_error
    assert str(odd) == "warning: odd: how odd"


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown finding code 'missing'"):
        CODES.finding("missing", "no such code", Place())
