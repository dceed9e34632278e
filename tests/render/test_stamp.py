"""Stamped letters (render/stamp.py) read, look and measure like the same letters laid out alone."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2
import pytest

from conftest import FIXTURES, SEED_CAMPAIGN, SHIPPED_DIRECTORY, pdffonts, pdftotext
from lettergen import campaign as campaigns
from lettergen.batch import run as batch
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.directory.model import load_directories
from lettergen.render import stamp
from lettergen.render.pdf import render_pdf

SIGNERS = [
    Signer("Maria López", "Amnesty International, Leeds group", "Leeds", "GB"),
    Signer("Анна Смирнова", city="Москва"),
    Signer("Jo Bloggs"),
]
ARABIC_SIGNER = Signer("محمد الأحمد", city="عمان")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def letter(campaign: Any, office: Any, lang: str = "en", **kw: Any) -> Letter:
    return compose_letter(campaign, Recipient(office, office.country), lang=lang, state="KZ", **kw)


@pytest.fixture(scope="module")
def letters(campaign, directory) -> list[Letter]:  # type: ignore[no-untyped-def]
    """Every signer to Berlin (A4) with and without a cover, and to New York (US Letter)."""
    berlin, new_york = directory.get("de-berlin-embassy"), directory.get("us-new-york-consulate")
    made = [
        letter(campaign, office, signer=signer, cover=cover)
        for office, cover in ((berlin, False), (berlin, True), (new_york, False))
        for signer in SIGNERS
    ]
    arabic = campaigns.load(FIXTURES / "campaign-ar.yaml")
    cairo = load_directories(FIXTURES / "lang" / "offices.yaml").get("eg-cairo-embassy")
    made += [letter(arabic, cairo, "ar", signer=ARABIC_SIGNER, cover=c) for c in (False, True)]
    return made


@pytest.fixture(scope="module", params=[True, False], ids=["set-directly", "weasyprint-parts"])
def stamped(
    letters: list[Letter], request: pytest.FixtureRequest
) -> tuple[list[bytes], stamp.StampReport]:
    """The letters stamped, their signers' parts set directly where they can be (HarfBuzz,
    render/direct.py) or all laid out by WeasyPrint: every test below holds for both."""
    report = stamp.StampReport()
    rendered = list(
        stamp.render_stamped(
            letters, cache=stamp.StampCache(), report=report, set_direct=request.param
        )
    )
    assert all(not r.error for r in rendered)
    return [r.data for r in rendered], report


def words(data: bytes) -> list[tuple[str, tuple[float, ...]]]:
    """Every word pdftotext reads, with its box in points."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True
    ).stdout.decode("utf-8")
    return [(m[4], tuple(float(v) for v in m[:4])) for m in WORD.findall(out)]


def pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def ink_difference(one: bytes, other: bytes) -> float:
    """The share of pixels that differ clearly when pdfium draws both PDFs at 80 dpi."""
    share = []
    for a, b in zip(pypdfium2.PdfDocument(one), pypdfium2.PdfDocument(other), strict=True):
        image_a = a.render(scale=80 / 72).to_pil().convert("L")
        image_b = b.render(scale=80 / 72).to_pil().convert("L")
        assert image_a.size == image_b.size
        pa, pb = image_a.tobytes(), image_b.tobytes()
        share.append(sum(abs(x - y) > 64 for x, y in zip(pa, pb, strict=True)) / len(pa))
    return max(share)


def test_every_letter_was_stamped(stamped: tuple[list[bytes], stamp.StampReport]) -> None:
    _, report = stamped
    assert report.fallbacks == []
    assert report.stamped == 11
    # One layout per letter text and signature length: Berlin, Berlin with a cover, New York
    # and Cairo with and without a cover, for 3-line, 2-line and 1-line signatures.
    assert report.layouts == 3 + 3 + 3 + 2
    # A signature is made once per signer and box width (A4, US Letter): 3 × 2, and the
    # Arabic signer's once; set directly (HarfBuzz) when the test runs with that, else by
    # WeasyPrint.
    assert report.direct + report.parts == 3 * 2 + 1
    # Only date lines are declined: a town in another script than the date ("Москва, 7
    # September 2002"), or digits in a right-to-left line; their parts are laid out by
    # WeasyPrint.
    assert {why for _, why in report.declined} <= {
        "date: more than one script",
        "date: a control or format character",
        "date: text of the other direction, or digits in a right-to-left line",
    }
    assert report.direct in (0, 7 - len(report.declined))


@pytest.mark.parametrize("index", range(11))
def test_stamped_letter_equals_the_letter_alone(
    letters: list[Letter], stamped: tuple[list[bytes], stamp.StampReport], index: int
) -> None:
    one = letters[index]
    data, alone = stamped[0][index], render_pdf(one).data
    assert pdftotext(data) == pdftotext(alone)
    assert pages(data) == pages(alone)
    got, want = words(data), words(alone)
    assert [w for w, _ in got] == [w for w, _ in want]
    for (word, box), (_, expected) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 1.0, word
    # The signer's name is among the words read back (Arabic ones in visual order).
    name = one.signature[0].strip("\u2066\u2067\u2068\u2069").split()[0]
    assert any(name in (w, w[::-1]) for w, _ in got)
    # pdfium draws the same letter: the signer's glyphs are embedded, not missing boxes.
    assert ink_difference(data, alone) < 0.001


def test_stamped_letter_is_self_contained(
    letters: list[Letter], stamped: tuple[list[bytes], stamp.StampReport], tmp_path: Path
) -> None:
    for index in (1, 10):  # Cyrillic; Arabic with a cover
        path = tmp_path / f"{index}.pdf"
        path.write_bytes(stamped[0][index])
        fonts = pdffonts(path)
        assert fonts and all(row["emb"] == "yes" for row in fonts), fonts
        with pikepdf.open(path) as pdf:  # every font the page uses lives in this file
            assert pdf.docinfo["/Author"] == letters[index].author
            assert str(pdf.Root.Lang) == letters[index].language
            for page in pdf.pages:
                for _, xobject in page.Resources.get("/XObject", {}).items():
                    assert xobject.Resources.Font  # a part's form carries its own fonts
    text = pdftotext(stamped[0][1])
    assert "Анна Смирнова" in text and "Москва" in text
    assert "محمد" in pdftotext(stamped[0][9])


def test_a_too_long_organisation_falls_back_and_is_reported(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    berlin = directory.get("de-berlin-embassy")
    short = letter(campaign, berlin, signer=Signer("Ann Lee", "Short group", "Leeds"))
    long_name = "Committee for the Defence of Workers' Rights " * 3
    long = letter(campaign, berlin, signer=Signer("Ann Lee", long_name.strip(), "Leeds"))
    report = stamp.StampReport()
    rendered = list(stamp.render_stamped([short, long], cache=stamp.StampCache(), report=report))
    assert report.stamped == 1
    assert len(report.fallbacks) == 1
    who, why = report.fallbacks[0]
    # Her organisation heads the letter and signs it: the first part that does not fit is named.
    assert who.startswith("de-berlin-embassy/") and why.startswith("the letterhead takes")
    assert pdftotext(rendered[1].data) == pdftotext(render_pdf(long).data)


def test_the_cache_is_bounded_and_refills(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    offices = [o for o in directory.offices if o.fax][:4]
    cache = stamp.StampCache(layouts=2, parts=1)
    report = stamp.StampReport()
    signer = Signer("Ann Lee", city="Leeds")
    for office in [*offices, offices[0], offices[0]]:
        one = letter(campaign, office, signer=signer)
        (rendered,) = stamp.render_stamped([one], cache=cache, report=report)
        assert "Ann Lee" in pdftotext(rendered.data)
    assert len(cache.layouts) == 2 and len(cache.parts) == 1
    # Four layouts, then the first office's again: it had been dropped for newer ones. Asked
    # for once more, it is kept.
    assert report.layouts == 5
    assert report.stamped == 6


def test_same_letter_same_bytes(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    one = letter(campaign, directory.get("de-berlin-embassy"), signer=SIGNERS[0])
    first = stamp.stamped_pdf(one, cache=stamp.StampCache())
    assert stamp.stamped_pdf(one, cache=stamp.StampCache()) == first


def test_layout_key_ignores_only_the_signer(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    berlin = directory.get("de-berlin-embassy")
    same = variants.Choice(number=0)  # one wording: a signer's name otherwise picks one
    ann, bob = (
        letter(campaign, berlin, signer=Signer(n, city=c), choice=same)
        for n, c in [("Ann", "Graz"), ("Bob", "Lyon")]
    )
    assert stamp.layout_key(ann) == stamp.layout_key(bob)
    assert stamp.layout_key(ann) != stamp.layout_key(replace(ann, subject="Another subject"))
    other = letter(campaign, berlin, signer=Signer("Ann", city="Graz"), choice=variants.Choice(1))
    assert stamp.layout_key(other) != stamp.layout_key(ann)  # another wording, another layout


@pytest.mark.parametrize("name", ['<b>Ann</b> & "</style>', "{{ 7 * 7 }} {% raw %}"])
def test_signer_text_stays_text(campaign, directory, name: str) -> None:  # type: ignore[no-untyped-def]
    one = letter(campaign, directory.get("de-berlin-embassy"), signer=Signer(name))
    text = pdftotext(stamp.stamped_pdf(one, cache=stamp.StampCache()))
    # Printed as typed, not read as markup (the letter's typography leaves names alone).
    assert name in text


def test_a_batch_of_signers_is_stamped_and_reports_fallbacks(tmp_path: Path) -> None:
    """Through the batch: every letter reads like the letter laid out alone, and the one
    whose organisation does not fit is named in the summary."""
    long_name = "Committee for the Defence of Workers' Rights " * 3
    signers_csv = tmp_path / "signers.csv"
    signers_csv.write_text(
        "name,organisation,city\nAnn Lee,,Leeds\nАнна Смирнова,,Москва\n"
        f'Bo Ek,"{long_name}",Umeå\n',
        encoding="utf-8",
    )
    work = batch.prepare(
        SEED_CAMPAIGN,
        offices=["de-berlin-embassy", "at-vienna-embassy"],
        signers=signers_csv,
        directory=SHIPPED_DIRECTORY,
    )
    result = batch.run(work, output=tmp_path / "out", formats=["pdf"], force=True)
    assert not result.failures and result.letters == 6
    assert len(result.laid_out_in_full) == 2
    assert all("Bo Ek" in line and "letterhead" in line for line in result.laid_out_in_full)
    assert any("Laid out in full" in line for line in batch.summary(result))
    for row in result.rows:
        data = (result.folder / row.file).read_bytes()
        planned = next(
            p
            for p in work.plan.letters()
            if p.recipient.office.id == row.office_id and p.signer and p.signer.name == row.signer
        )
        alone = render_pdf(work.compose(planned)).data
        assert pdftotext(data) == pdftotext(alone), row.file


# --- her own words: a part of its own, in room the office's layout keeps for it ---------------

WORDS = {
    "short": "I stand with the workers of Karaganda.",
    "latin": (
        "I visited Karaganda in 2001 and met the members of this union: miners, teachers and "
        "nurses who asked for nothing more than the wages they had earned. Please let Saken "
        "Zhanusov go home to his family, and let his union do its work."
    ),
    "cyrillic": (
        "Я была в Караганде в 2001 году и видела, как профсоюз защищает шахтёров. "
        "Освободите Сакена Жанусова."
    ),
    "arabic": "أكتب إليكم من عمان تضامنا مع العمال في كاراغاندا وأطلب الإفراج عن النقابي فورا.",
    "markup": "**not bold** <b>not a tag</b> {{ 7 * 7 }} {% raw %} [a link](http://example.org)",
}


def lines_read(data: bytes) -> list[str]:
    """The lines pdftotext reads, in order, without the blank lines it puts between the
    blocks it finds: it groups lines into blocks by their fonts and places, and her paragraph
    set directly (its own embedded face, in a form of its own) may start a block where the
    letter laid out alone does not. Words, order and places are compared apart (`words`)."""
    return [line for line in pdftotext(data).split("\n") if line.strip()]


def own(campaign: Any, office: Any, name: str, message: str, **kw: Any) -> Letter:
    signer = Signer(name, city="Leeds", country="GB", message=message)
    return letter(campaign, office, signer=signer, choice=variants.Choice(number=0), **kw)


@pytest.mark.parametrize("kind", sorted(WORDS))
def test_her_own_words_are_stamped_and_read_like_the_letter_alone(
    campaign: Any, directory: Any, kind: str
) -> None:
    """Her paragraph is laid out as a part and placed into the room the office's layout keeps
    for it: the letter reads, word by word and in place, like the letter laid out alone, and
    draws the same."""
    one = own(campaign, directory.get("de-berlin-embassy"), "Ann Lee", WORDS[kind])
    report = stamp.StampReport()
    (rendered,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    assert report.fallbacks == [] and report.stamped == 1
    assert rendered.layout  # stamped, not laid out in full
    alone = render_pdf(one).data
    assert lines_read(rendered.data) == lines_read(alone)
    got, want = words(rendered.data), words(alone)
    assert [w for w, _ in got] == [w for w, _ in want]
    for (word, box), (_, expected) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 1.0, word
    assert ink_difference(rendered.data, alone) < 0.001
    if kind == "markup":
        assert WORDS["markup"] in pdftotext(rendered.data).replace("\n", " ")


def test_the_layout_keeps_room_for_her_words_and_holds_none_of_them(
    campaign: Any, directory: Any
) -> None:
    """Paragraphs of as many lines share the office's layout, whoever wrote them: the layouts
    grow with the heights, not with the supporters; a layout holds no supporter's words."""
    berlin = directory.get("de-berlin-embassy")
    two_lines = [
        "I stand with the workers of Karaganda and with their union, whose leader has been "
        "held for far too long. Free him.",
        "I write as a nurse and a member of my union: nobody should be jailed for asking that "
        "workers be paid. Release him now.",
    ]
    longer = WORDS["latin"]
    cache, report = stamp.StampCache(), stamp.StampReport()
    letters_ = [
        own(campaign, berlin, "Ann Lee", two_lines[0]),
        own(campaign, berlin, "Bo Ek", two_lines[1]),
        own(campaign, berlin, "Cy Li", longer),
        own(campaign, berlin, "Di Ho", ""),
    ]
    rendered = list(stamp.render_stamped(letters_, cache=cache, report=report))
    assert report.fallbacks == [] and report.stamped == 4
    # The letter without words (its measure, and Di's letter), two lines, four lines.
    assert report.layouts == 3
    assert rendered[0].layout == rendered[1].layout != rendered[2].layout
    for one, pdf in zip(letters_, rendered, strict=True):
        text = pdftotext(pdf.data).replace("\n", " ")
        assert one.signature[0] in text
        if own_words := stamp.own_words(one):
            assert own_words.text in text
    for layout in cache.layouts._entries.values():
        text = pdftotext(layout.data)
        assert "Karaganda and with" not in text and "nurse" not in text and "2001" not in text


def test_words_that_push_the_letter_to_a_tighter_setting_are_stamped_in_it(
    campaign: Any, directory: Any
) -> None:
    """A paragraph long enough to need the tighter setting (letter.css .fit-N) to keep the
    letter on one page: her paragraph is laid out again in that setting, and the letter reads
    like the letter laid out alone."""
    berlin = directory.get("de-berlin-embassy")
    longest = (WORDS["latin"] + " ") * 3
    one = own(campaign, berlin, "Ann Lee", longest[:600].strip())
    report = stamp.StampReport()
    (rendered,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    alone = render_pdf(one)
    assert lines_read(rendered.data) == lines_read(alone.data)
    assert rendered.pages == alone.pages and rendered.fit == alone.fit >= 1
    # Measured at the letter's own setting, placed into room that needs the tighter one,
    # measured again in it: stamped, not laid out in full.
    assert report.stamped == 1 and report.fallbacks == []
    assert report.layouts == 3  # without her words, with room for them, and again


def test_a_batch_with_her_words_stamps_them(tmp_path: Path) -> None:
    signers_csv = tmp_path / "signers.csv"
    signers_csv.write_text(
        "name,city,message\n"
        f'Ann Lee,Leeds,"{WORDS["latin"]}"\n'
        f'Анна Смирнова,Москва,"{WORDS["cyrillic"]}"\n'
        "Bo Ek,Umeå,\n",
        encoding="utf-8",
    )
    work = batch.prepare(
        SEED_CAMPAIGN,
        offices=["de-berlin-embassy"],
        signers=signers_csv,
        directory=SHIPPED_DIRECTORY,
    )
    result = batch.run(work, output=tmp_path / "out", formats=["pdf"], force=True)
    assert not result.failures and result.letters == 3 and not result.laid_out_in_full
    for row in result.rows:
        data = (result.folder / row.file).read_bytes()
        planned = next(p for p in work.plan.letters() if p.signer and p.signer.name == row.signer)
        alone = render_pdf(work.compose(planned)).data
        assert lines_read(data) == lines_read(alone), row.file
        assert [w for w, _ in words(data)] == [w for w, _ in words(alone)], row.file


# --- a drive: every body paragraph set apart, the wordings sharing the office's layout --------


def test_a_drive_in_many_wordings_shares_the_offices_layouts(campaign: Any, directory: Any) -> None:
    """Letters to three offices in 27 different wordings each: their paragraphs are laid out
    apart and kept (each wording of a paragraph once per measure), the office's layout keeps
    room of their heights, so the layouts made are a handful per office, not one per text;
    every letter reads, word by word and in place, like the letter laid out alone."""
    names = ("de-berlin-embassy", "at-vienna-embassy", "fr-paris-embassy")
    offices = [directory.get(o) for o in names]
    signers = [Signer(f"Ann {i}", ["", "Unite"][i % 2], "Leeds", "GB") for i in range(27)]
    letters_ = [
        letter(campaign, office, signer=signer, choice=variants.Choice.in_batch(office.id, i))
        for i, signer in enumerate(signers)
        for office in offices
    ]
    texts = {(one.office_id, variants.text_key(one)) for one in letters_}
    assert len(texts) == 81  # every letter to an office a text of its own
    report = stamp.StampReport()
    rendered = list(
        stamp.render_stamped(
            letters_, cache=stamp.StampCache(), report=report, every_paragraph=True
        )
    )
    assert report.fallbacks == [] and report.stamped == len(letters_)
    assert report.layouts <= 3 * 6, report.layouts  # heights × letterheads, not 81 texts
    for index in (0, 4, 40, 80):
        data, alone = rendered[index].data, render_pdf(letters_[index]).data
        assert pdftotext(data).split() == pdftotext(alone).split()
        got, want = words(data), words(alone)
        assert [w for w, _ in got] == [w for w, _ in want]
        for (word, box), (_, expected) in zip(got, want, strict=True):
            assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 1.0, word
        assert ink_difference(data, alone) < 0.001


def test_a_drive_paragraph_is_laid_out_once_per_measure(campaign: Any, directory: Any) -> None:
    """The same wording to two offices of one paper size: its paragraphs are laid out once;
    her own words are set for her letter alone (directly: HarfBuzz), and never kept."""
    berlin, vienna = directory.get("de-berlin-embassy"), directory.get("at-vienna-embassy")
    same = variants.Choice(number=0)
    mine = Signer("Ann Lee", city="Leeds", country="GB", message="I write from Leeds, in anger.")
    first = letter(campaign, berlin, signer=mine, choice=same)
    second = letter(campaign, vienna, signer=mine, choice=same)
    cache, report = stamp.StampCache(), stamp.StampReport()
    list(stamp.render_stamped([first], cache=cache, report=report, every_paragraph=True))
    paragraphs = sum(1 for b in first.body if b.kind == "paragraph")
    assert report.parts == paragraphs - 1  # the campaign's paragraphs laid out
    assert report.direct == 2 and report.declined == []  # hers and the signature set directly
    assert len(cache.rooms) == paragraphs - 1  # hers not kept
    report = stamp.StampReport()
    (again,) = stamp.render_stamped([second], cache=cache, report=report, every_paragraph=True)
    assert report.parts == 0  # the others are the same words at the same measure
    assert report.direct >= 1  # hers, set again
    assert "I write from Leeds, in anger." in pdftotext(again.data)
    for kept in cache.rooms._entries.values():
        assert kept.parts is not None and "anger" not in pdftotext(kept.parts.data)
