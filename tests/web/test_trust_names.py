"""Names and towns as people type them, and what is refused: line and paragraph separators
(which printed as extra signature lines), C1 controls, names that print as nothing — in the
web form, the signers CSV and --signer alike, each with a message. One folding function says
when two names are the same signer. A malformed signers CSV is reported with its line; an
absurd campaign date is one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_web import errors_by_field, post

from conftest import SEED_CAMPAIGN
from lettergen.campaign.signers import load_signers, signer_named
from lettergen.errors import LettergenError
from lettergen.web import Site, create_app

REFUSED = {
    "line separator": "Anna\u2028Weber",
    "paragraph separator": "Anna\u2029Weber",
    "new line": "Anna\nWeber",
    "C1 control": "Anna\u009bWeber",
    "hangul filler only": "\u3164",
    "braille blank only": "\u2800\u2800",
    "fillers and spaces": "\u3164 \u2800 \u115f",
    "a filler inside": "Anna\u3164Weber",
    "soft hyphen only": "\u00ad",
}


@pytest.fixture(scope="module")
def client() -> Any:
    return create_app(Site(SEED_CAMPAIGN), letters_per_minute=0).test_client()


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_the_form_refuses_it_with_a_message_beside_the_field(client: Any, value: str) -> None:
    for field in ("name", "town"):
        fields = {"name": "Anna Weber", "country": "DE", field: value}
        response = post(client, "/letter", **fields)
        assert response.status_code == 400, (field, value)
        errors = errors_by_field(response.text)
        assert field in errors and len(errors[field]) > 10, errors


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_the_signers_file_refuses_it_with_its_line(tmp_path: Path, value: str) -> None:
    for column in ("name", "city"):
        path = tmp_path / "signers.csv"
        row = {"name": "Anna Weber", "city": "Köln", column: value}
        quoted = ",".join('"' + row[k] + '"' for k in ("name", "city"))
        path.write_text(f"name,city\nJan Novák,Brno\n{quoted}\n", encoding="utf-8")
        with pytest.raises(LettergenError) as caught:
            load_signers(path)
        message = str(caught.value)
        assert "signers.csv:3" in message and column in message, message


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_the_command_line_refuses_it(value: str) -> None:
    with pytest.raises(LettergenError, match="--signer"):
        signer_named(value)


def test_fullwidth_letters_are_the_same_signer_for_fax_it_for_me(tmp_path: Path) -> None:
    """The limit "once per office" folds names as the signers file's duplicate check does."""
    from test_web_fax import Clock, app_for, ask, settings

    from lettergen.supporters.store import signer_text
    from lettergen.util import text

    assert (
        signer_text("ＡＮＮＡ　ＷＥＢＥＲ") == text.key("Anna Weber") == signer_text("Anna Weber")
    )
    client = app_for(Site(SEED_CAMPAIGN), settings(tmp_path), Clock())
    assert ask(client, name="Anna Weber").status_code == 200
    assert ask(client, name="ＡＮＮＡ　ＷＥＢＥＲ").status_code == 429


def test_an_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "signers.csv"
    path.write_text('name,city\nJan Novák,Brno\n"Anna Weber,Köln\nMaria Lopez,Madrid\n')
    with pytest.raises(LettergenError) as caught:
        load_signers(path)
    assert "signers.csv:3" in str(caught.value) and "quote" in str(caught.value)


def test_a_column_named_twice_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "signers.csv"
    path.write_text("name,name\nAnna Weber,Jan Novák\n")
    with pytest.raises(LettergenError) as caught:
        load_signers(path)
    assert "signers.csv:1" in str(caught.value) and "'name'" in str(caught.value)


@pytest.mark.parametrize("value", ["1" * 5000, "99999-01-01", "2002-13-45"])
def test_an_absurd_campaign_date_is_one_line(tmp_path: Path, value: str) -> None:
    source = SEED_CAMPAIGN.read_text(encoding="utf-8")
    lines = [f"date: {value}" if line.startswith("date:") else line for line in source.splitlines()]
    campaign = tmp_path / "x.yaml"
    campaign.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lettergen", "render", str(campaign), "--office",
         "de-berlin-embassy", "-o", str(tmp_path / "x.pdf")],
        capture_output=True, text=True,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output, output[-2000:]
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "x.yaml" in errors[0] and "date" in errors[0], output[-500:]
    assert len(errors[0]) < 300
