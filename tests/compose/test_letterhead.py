"""A supporter's letter is hers: her block heads it and her town is on its date line, unless the
campaign's group signs for all (`letterhead: group`). Read back from the PDF and the DOCX that
`batch --signers` writes, and from the composed letters."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, flat, pdftotext
from lettergen import campaign as campaigns
from lettergen.campaign.signers import Signer
from lettergen.cli import cli
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.errors import LettergenError

MARIA = Signer("María López", "Sindicato Unido", "Sevilla", "ES")


def berlin_letter(campaign: Any, directory: Any, lang: str = "de", **kw: Any) -> Any:
    office = directory.get("de-berlin-embassy")
    return compose_letter(campaign, Recipient(office, "DE"), lang=lang, state="KZ", **kw)


def test_her_block_heads_her_letter_and_her_town_dates_it(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    letter = berlin_letter(campaign, directory, signer=MARIA)
    assert letter.signer_letterhead
    # In the letter's language: "Spanien", not "ES" nor "Spain".
    assert letter.sender == ("María López", "Sindicato Unido", "Sevilla", "Spanien")
    assert letter.date == "Sevilla, 7. September 2002"
    assert letter.signature == ("María López", "Sindicato Unido", "Sevilla, Spanien")
    assert letter.replies == (
        "Antworten können auch an Trade Union Solidarity Committee, solidarity@example.org "
        "gerichtet werden."
    )
    # No English letterhead in a German letter: every label is the letter's language's.
    assert "Tel." not in letter.sender and "E-mail" not in " ".join(letter.sender)


def test_the_groups_letters_keep_the_groups_letterhead(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    own = berlin_letter(campaign, directory)  # no signer: the group signs
    assert not own.signer_letterhead and own.replies == ""
    assert own.sender[0] == "Trade Union Solidarity Committee"
    assert "E-Mail solidarity@example.org" in own.sender  # the German label
    assert own.date == "London, 7. September 2002"
    group = replace(campaign, letterhead="group")
    signed = berlin_letter(group, directory, signer=MARIA)
    assert signed.sender == own.sender and signed.date == own.date and signed.replies == ""
    assert signed.signature[0] == "María López"


@pytest.mark.parametrize(
    ("country", "posted_abroad"),
    [("DE", False), ("Deutschland", False), ("Germany", False), ("ES", True), ("", True)],
)
def test_the_country_line_follows_where_she_posts_from(  # type: ignore[no-untyped-def]
    campaign, directory, country: str, posted_abroad: bool
) -> None:
    """Under her letterhead the letter is posted from her country: from Köln to Berlin the
    address needs no "GERMANY"; from Sevilla it does. Without her country, the group's (London)
    decides, as for the group's own letters."""
    anna = Signer("Anna Müller", city="Köln", country=country)
    letter = berlin_letter(campaign, directory, signer=anna)
    end = ("13156 Berlin", "GERMANY") if posted_abroad else ("13156 Berlin",)
    assert letter.addressee[-len(end) :] == end
    assert ("GERMANY" in letter.addressee) is posted_abroad
    assert "GERMANY" in berlin_letter(campaign, directory).addressee  # the group, in London
    group = replace(campaign, letterhead="group")  # the group posts every letter
    assert "GERMANY" in berlin_letter(group, directory, signer=anna).addressee


def test_the_reply_line_is_the_campaigns_choice(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    quiet = replace(campaign, replies_to_sender=False)
    letter = berlin_letter(quiet, directory, lang="en", signer=MARIA)
    assert letter.signer_letterhead and letter.replies == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("letterhead: everyone", "letterhead must be signer or group, not 'everyone'"),
        ("replies_to_sender: maybe", "replies_to_sender must be true or false"),
    ],
)
def test_a_wrong_setting_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    text = SEED_CAMPAIGN.read_text(encoding="utf-8")
    key = line.split(":")[0]
    lines = [row for row in text.splitlines() if not row.startswith(f"{key}:")]
    path = tmp_path / "campaign.yaml"
    path.write_text("\n".join([*lines, line]) + "\n", encoding="utf-8")
    with pytest.raises(LettergenError) as raised:
        campaigns.load(path)
    assert message in str(raised.value)
    assert f"campaign.yaml:{len(lines) + 1}" in str(raised.value)


def test_batch_signers_letters_are_theirs_in_pdf_and_docx(tmp_path: Path) -> None:
    """`batch --signers`: the PDF (stamped) and the DOCX carry each signer's block, date line
    and signature; the office's fax is on both."""
    signers = tmp_path / "signers.csv"
    signers.write_text(
        "name,organisation,city,country\n"
        "María López,Sindicato Unido,Sevilla,ES\nJo Bloggs,,Leeds,GB\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["batch", "free-zhanusov-2002", "--offices", "de-berlin-embassy", "--signers",
         str(signers), "--format", "pdf,docx", "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (pdf,) = (out / "free-zhanusov-2002").rglob("de-berlin-embassy--maria-lopez-*.pdf")
    text = flat(pdftotext(pdf))
    assert text.count("María López") == 2 and text.count("Sindicato Unido") == 2
    assert "Sevilla, 7 September 2002" in text and text.count("Spain") == 2
    assert "+49 30 47007125" in text
    # Her block is at the top of the page, beside the address: its words are above the subject.
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    rows = [line for line in boxes.splitlines() if ">María<" in line or ">Saken<" in line]
    assert ">María<" in rows[0]  # María stands before the first mention of the case

    from docx import Document

    (docx,) = (out / "free-zhanusov-2002").rglob("de-berlin-embassy--maria-lopez-*.docx")
    document = Document(io.BytesIO(docx.read_bytes()))
    # The head is a borderless table: the address on one side, her block and the date line
    # on the other.
    head = document.tables[0].rows[0].cells[-1].text.splitlines()
    assert head[:4] == ["María López", "Sindicato Unido", "Sevilla", "Spain"]
    assert "Sevilla, 7 September 2002" in head
    paragraphs = [p.text for p in document.paragraphs]
    assert sum("María López" in p for p in paragraphs) == 1  # and her signature
    # After it, as in the PDF, where replies may also go: the group.
    assert paragraphs[-1] == (
        "Replies may also be sent to Trade Union Solidarity Committee, solidarity@example.org."
    )
    assert document.paragraphs[-1].style.name == "Replies"
    assert "Replies may also be sent to Trade Union Solidarity Committee" in text
