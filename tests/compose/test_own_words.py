"""The supporter's own words: a short paragraph from the signers file's `message` column and
`render --message`, read back from the PDF and the DOCX in any script, kept literal, limited."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, flat, pdftotext
from lettergen import campaign as campaigns
from lettergen.campaign.signers import Signer, load_signers, with_message
from lettergen.cli import cli
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import ListBlock, Paragraph
from lettergen.errors import InputError, LettergenError
from lettergen.render.docx import render_docx
from lettergen.render.pdf import render_pdf, to_html

# With lam-alef ligatures ("لا", "الآن"): in a Latin letter, Arabic is set in the letter's own
# Naskh, whose ligatures read back as their letters (another font's were read swapped).
ARABIC = "أنا من عمان وأطالب بحريته الآن، لا غدا"
CYRILLIC = "Я из Москвы. Свободу Сакену Жанусову!"
MIXED = "I met Saken in Karaganda in 1999; друзья зовут его Сакен."
INJECTION = (
    "**Free** him <script>alert(1)</script> {{ state.name }} {% if true %}x{% endif %} "
    "[link](http://example.org) %% or"
)
#: Arabic's vowel marks and the bidi controls pdftotext adds, and punctuation it sets apart.
_APART = re.compile("[\u064b-\u065f\u0670\u200e\u200f\u202a-\u202e\u2066-\u2069\u060c.;:!]")


def _words(text: str) -> str:
    return flat(_APART.sub(" ", text))


def _letter(directory, message: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    office = next(o for o in directory if o.id == "de-berlin-embassy")
    signer = with_message(Signer("Maria Lopez", city="Köln", country="DE"), message)
    return compose_letter(
        campaigns.load(SEED_CAMPAIGN), Recipient(office, "DE"), lang=lang, state="KZ", signer=signer
    )


def _own(letter) -> Paragraph:  # type: ignore[no-untyped-def]
    (paragraph,) = [b for b in letter.body if isinstance(b, Paragraph) and b.role == "own-words"]
    return paragraph


@pytest.mark.parametrize(
    ("message", "direction", "lang"),
    [(ARABIC, "rtl", "en"), (CYRILLIC, "ltr", "de"), (MIXED, "ltr", "fr"), (MIXED, "ltr", "ar")],
)
def test_her_words_read_back_from_the_pdf_and_the_docx(
    message: str, direction: str, lang: str, directory
) -> None:  # type: ignore[no-untyped-def]
    letter = _letter(directory, message, lang)
    own = _own(letter)
    assert own.text == message and own.direction == direction
    # After the demands, before the closing paragraph.
    at = letter.body.index(own)
    assert isinstance(letter.body[at - 1], ListBlock) and letter.body[at - 1].role == "demands"
    pdf = pdftotext(render_pdf(letter).data)
    document = docx.Document(io.BytesIO(render_docx(letter).data))
    paragraphs = [p.text for p in document.paragraphs]
    assert message in paragraphs  # the DOCX holds it as one paragraph, as written
    if lang == "ar" or direction == "rtl":
        # pdftotext reorders runs of the other direction within a line: every word is there.
        assert set(_words(message).split()) <= set(_words(pdf).split())
    else:
        assert message in flat(pdf)
    assert f' dir="{direction}"' in to_html(letter)


def test_an_arabic_paragraph_is_set_from_the_right(directory) -> None:  # type: ignore[no-untyped-def]
    letter = _letter(directory, ARABIC)
    text = pdftotext(render_pdf(letter).data, layout=True)
    (line,) = [line for line in text.splitlines() if "عمان" in line]
    demands = [line for line in text.splitlines() if "Release Saken Zhanusov" in line]
    # Ragged on the left: the paragraph starts further right than the demands' list.
    assert len(line) - len(line.lstrip()) > len(demands[0]) - len(demands[0].lstrip()) + 20


def test_her_words_are_text_not_markup_or_template(directory) -> None:  # type: ignore[no-untyped-def]
    letter = _letter(directory, INJECTION)
    assert _own(letter).text == INJECTION
    html = to_html(letter)
    assert "<script>" not in html and "&lt;script&gt;" in html
    pdf = pdftotext(render_pdf(letter).data)
    # No bold, no link, no field filled in, no variant marker read (the line may wrap anywhere).
    assert INJECTION.replace(" ", "") in "".join(pdf.split())
    document = docx.Document(io.BytesIO(render_docx(letter).data))
    assert INJECTION in [p.text for p in document.paragraphs]
    # Printed as written: the letter's typography (curly quotes) leaves her words alone.
    quoted = _letter(directory, 'He said "free them" and it\'s true.')
    assert _own(quoted).text == 'He said "free them" and it\'s true.'


def test_the_demands_and_the_prose_are_the_same_with_or_without_her_words(directory) -> None:  # type: ignore[no-untyped-def]
    without = _letter(directory, "")
    with_words = _letter(directory, CYRILLIC)
    assert not [b for b in without.body if getattr(b, "role", "") == "own-words"]
    assert [b for b in with_words.body if b is not _own(with_words)] == list(without.body)


def test_the_signers_file_message_column(tmp_path: Path) -> None:
    path = tmp_path / "signers.csv"
    long = "a" * 601
    path.write_text(
        f'name,city,message\nMaria Lopez,Köln,"{CYRILLIC}\nSecond   line."\nJohn Smith,Leeds,\n',
        encoding="utf-8",
    )
    maria, john = load_signers(path)
    assert maria.message == f"{CYRILLIC} Second line."  # one paragraph: line breaks are spaces
    assert john.message == ""
    path.write_text(f"name,message\nMaria Lopez,{long}\n", encoding="utf-8")
    with pytest.raises(LettergenError) as caught:
        load_signers(path)
    assert f"{path}:2: message: 601 characters; a letter takes at most 600" in str(caught.value)
    path.write_text("name,message\nMaria Lopez,a\u202eb\n", encoding="utf-8")
    with pytest.raises(LettergenError) as caught:
        load_signers(path)
    assert "message" in str(caught.value) and "U+202E" in str(caught.value)


def test_render_message(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "letter.pdf"
    base = ["render", "free-zhanusov-2002", "--office", "de-berlin-embassy", "-o", str(target)]
    done = runner.invoke(cli, [*base, "--signer", "Anna Smirnova", "--message", CYRILLIC])
    assert done.exit_code == 0, done.output
    assert CYRILLIC in flat(pdftotext(target))
    target.unlink()
    alone = runner.invoke(cli, [*base, "--message", CYRILLIC])
    assert alone.exit_code != 0 and "--message needs --signer" in alone.output
    too_long = runner.invoke(cli, [*base, "--signer", "A", "--message", "x" * 601])
    assert too_long.exit_code != 0
    assert "--message: 601 characters; a letter takes at most 600" in too_long.output
    assert "Traceback" not in too_long.output and not target.exists()
    with pytest.raises(InputError):
        with_message(Signer("A"), "x" * 601)
