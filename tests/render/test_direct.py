"""Signers' lines set directly (render/direct.py) are the lines WeasyPrint would have set.

Each letter here is stamped twice, its signer's parts set directly and laid out by WeasyPrint,
and the two PDFs are compared: the text pdftotext reads, every word's box, and the pixels
pdfium draws. Lines the direct path must not set are declined with their reason, and their
letters still read like the letter laid out alone.
"""

from __future__ import annotations

import functools
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from test_stamp import ink_difference, words

from conftest import pdftotext
from lettergen.campaign.signers import Signer
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.render import stamp
from lettergen.render.fonts import faces
from lettergen.render.pdf import render_pdf
from lettergen.render.stamp import direct


def letter(
    campaign: Any, office: Any, signer: Signer, lang: str = "en", letterhead: str = "group"
) -> Letter:
    """The signer's letter; under the group's letterhead unless asked, so that the signature
    alone is the signer's part (the signer's own letterhead is tested below)."""
    return compose_letter(
        replace(campaign, letterhead=letterhead),
        Recipient(office, office.country),
        lang=lang,
        state="KZ",
        signer=signer,
    )


def both_ways(one: Letter) -> tuple[bytes, bytes, stamp.StampReport]:
    report = stamp.StampReport()
    (fast,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    slow = stamp.stamped_pdf(one, cache=stamp.StampCache(), set_direct=False)
    return fast.data, slow, report


@pytest.mark.parametrize(
    ("signer", "lang"),
    [
        # Kerning pairs (Ta, Wa, AV, Yo) and an fi ligature: HarfBuzz must position them as
        # Pango does, or the words' boxes move.
        (Signer("Tavo Wayne-AVery", "Griffin & Yorke Office Staff", "Tōkyō"), "en"),
        (Signer("Łukasz Żółć", "NSZZ „Solidarność”", "Kraków"), "de"),
        (Signer("Ελένη Παπαδοπούλου", city="Θεσσαλονίκη"), "fr"),
        (Signer("Алексей Фёдоров", "Профсоюз «Единство»", "Санкт-Петербург"), "ru"),
        (Signer("Øyvind Æsøy", city="Tromsø"), "es"),
    ],
    ids=["kerning-ligature", "polish-de", "greek-fr", "russian", "nordic-es"],
)
def test_set_directly_equals_weasyprint(campaign, directory, signer: Signer, lang: str) -> None:  # type: ignore[no-untyped-def]
    one = letter(campaign, directory.get("de-berlin-embassy"), signer, lang)
    fast, slow, report = both_ways(one)
    assert (report.direct, report.parts, report.declined) == (1, 0, [])
    assert pdftotext(fast) == pdftotext(slow) == pdftotext(render_pdf(one).data)
    got, want = words(fast), words(slow)
    assert [w for w, _ in got] == [w for w, _ in want]
    for (word, box), (_, expected) in zip(got, want, strict=True):
        # Same shaper, same font, same size: only rounding of the declared widths differs.
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 0.05, word
    assert signer.name.split()[0] in {w for w, _ in got}
    assert ink_difference(fast, slow) < 0.0002


@pytest.mark.parametrize(
    ("signer", "lang"),
    [
        (Signer("Tavo Wayne-AVery", "Griffin & Yorke Office", "Leeds", "GB"), "en"),
        (Signer("Łukasz Żółć", "NSZZ „Solidarność”", "Kraków", "PL"), "de"),
        (Signer("Алексей Фёдоров", "Профсоюз «Единство»", "Тверь", "RU"), "ru"),
    ],
    ids=["english", "polish-de", "russian"],
)
def test_a_signers_own_letterhead_set_directly_equals_weasyprint(  # type: ignore[no-untyped-def]
    campaign, directory, signer: Signer, lang: str
) -> None:
    """Under her own letterhead, her block and the date line with her town are set directly
    too, and read, measure and look as WeasyPrint sets them."""
    one = letter(campaign, directory.get("de-berlin-embassy"), signer, lang, letterhead="signer")
    assert one.signer_letterhead and signer.name in one.sender
    fast, slow, report = both_ways(one)
    assert (report.direct, report.parts, report.declined) == (1, 0, [])
    # Word for word (pdftotext's guess at paragraphs may differ where a box moved by a
    # hundredth of a point).
    alone = render_pdf(one).data
    assert (
        [w for w, _ in words(fast)] == [w for w, _ in words(slow)] == [w for w, _ in words(alone)]
    )
    got, want = words(fast), words(slow)
    for (word, box), (_, expected) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 0.05, word
    assert ink_difference(fast, slow) < 0.0002


def test_an_arabic_signature_with_marks_equals_weasyprint() -> None:
    """Harakat and shadda sit above and below their letters (HarfBuzz's offsets, drawn with
    text rise): the letter reads and looks as WeasyPrint sets it. WeasyPrint moves marks by
    their offset in Pango units over 1000 where a unit is 1/1024 (draw/text.py), 2.4 % further
    than HarfBuzz says: a few hundredths of a point, enough for pdftotext to start a paragraph
    elsewhere, so lines are compared without the blank ones."""
    from conftest import FIXTURES
    from lettergen import campaign as campaigns
    from lettergen.directory.model import load_directories

    arabic = campaigns.load(FIXTURES / "campaign-ar.yaml")
    cairo = load_directories(FIXTURES / "lang" / "offices.yaml").get("eg-cairo-embassy")
    signer = Signer("مُحَمَّد الأحمد", "نقابة عمال النسيج", "الإسكندرية")
    one = letter(arabic, cairo, signer, "ar")  # the group's letterhead: no digits to set
    fast, slow, report = both_ways(one)
    assert (report.direct, report.declined) == (1, [])

    def lines(data: bytes) -> list[str]:
        return [line for line in pdftotext(data).splitlines() if line.strip()]

    assert lines(fast) == lines(slow) == lines(render_pdf(one).data)
    assert any("الأحمد" in line and "\u0651" in line for line in lines(fast))  # with shadda
    got, want = words(fast), words(slow)
    assert [w for w, _ in got] == [w for w, _ in want]
    for (word, box), (_, expected) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 0.1, word
    assert ink_difference(fast, slow) < 0.0002


@pytest.mark.parametrize(
    ("name", "organisation", "why"),
    [
        ("Anna Смирнова", "", "signature: more than one script"),
        ("王小明", "", "signature: a character outside the line's font"),
        ("Ann Lee", "Committee for the Defence of Workers' Rights " * 3, "it would wrap"),
        ("Ann\u00a0\u00a0Lee", "", ""),  # no-break spaces do not collapse: set directly
    ],
    ids=["mixed-scripts", "no-glyph", "too-long", "no-break-spaces"],
)
def test_what_cannot_be_set_directly_is_declined(  # type: ignore[no-untyped-def]
    campaign, directory, name: str, organisation: str, why: str
) -> None:
    one = letter(campaign, directory.get("de-berlin-embassy"), Signer(name, organisation.strip()))
    report = stamp.StampReport()
    (rendered,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    if why:
        assert report.direct == 0 and len(report.declined) == 1
        assert why in report.declined[0][1]
    else:
        assert report.direct == 1
    assert pdftotext(rendered.data) == pdftotext(render_pdf(one).data)


def test_an_arabic_signature_line_is_shaped_and_joined() -> None:
    """Arabic letters join: the shaped line uses contextual forms, not the isolated ones the
    character map names, and the glyphs run right to left (visual order)."""
    naskh = next(f for f in faces("Noto Naskh Arabic") if f.weight == "normal").path
    spec = direct.LineSpec(
        baseline=14.0, left=0.0, right=600.0, size=14.0, font=naskh, align="right", rtl=True
    )
    line = direct.set_line("\u2068محمد الأحمد\u2069", spec, "ar")
    assert isinstance(line, direct.SetLine)
    nominal = {direct.face(naskh).hb.glyph(c) for c in "محمد الأحمد"}
    shaped = {g.gid for g in line.glyphs}
    assert len(shaped - nominal) >= 4  # initial, medial and final forms, not the isolated ones
    # The text each glyph stands for, read in visual order from the right, is the name.
    assert "".join(g.text for g in reversed(line.glyphs)) == "محمد الأحمد"
    # Right-aligned in a right-to-left letter: the line ends at the box's right edge.
    width = sum(g.advance for g in line.glyphs) * spec.size / direct.face(naskh).upem
    assert line.x == pytest.approx((spec.right - width) * direct.PT_PER_PX)
    # Digits inside right-to-left text need bidi reordering: declined, not set wrongly.
    assert "digits" in str(direct.set_line("عمان 2002", spec, "ar"))


def test_the_subset_keeps_glyphs_and_ids() -> None:
    """The embedded font (hb-subset, as WeasyPrint embeds its own): a valid TrueType
    (checksums raise if wrong) whose kept glyphs have the original outlines, advances and ids,
    composites with their components, and no shaping tables."""
    path = next(f for f in faces("Liberation Sans") if f.weight == "normal").path
    face = direct.face(path)
    original = TTFont(path)
    order = original.getGlyphOrder()
    glyf = original["glyf"]
    composite = next(  # an accented letter built from outlined parts, such as "Á"
        gid
        for gid, name in enumerate(order)
        if glyf[name].isComposite()
        and len(glyf[name].components) >= 2
        and all(glyf[c.glyphName].numberOfContours > 0 for c in glyf[name].components)
    )
    plain = face.hb.glyph("a")
    subset = TTFont(io.BytesIO(face.subset([plain, composite])), checkChecksums=2)
    assert "GSUB" not in subset and "GPOS" not in subset
    mine = subset["glyf"]
    kept = {plain, composite}  # .notdef is never drawn (such a line is declined)
    kept |= {order.index(c.glyphName) for c in glyf[order[composite]].components}
    assert len(kept) >= 4  # 'a', the composite and at least two parts
    for gid in range(subset["maxp"].numGlyphs):
        name = subset.getGlyphOrder()[gid]
        ours, theirs = mine[name], glyf[order[gid]]
        if gid in kept:
            assert ours.numberOfContours == theirs.numberOfContours
            if ours.numberOfContours > 0:
                assert list(ours.coordinates) == list(theirs.coordinates)
            assert subset["hmtx"][name][0] == original["hmtx"][order[gid]][0]
        elif not theirs.isComposite():
            assert ours.numberOfContours == 0, gid


def test_the_shaper_is_the_one_pango_uses() -> None:
    """render.harfbuzz loads the system's HarfBuzz, the library Pango (and so WeasyPrint)
    shapes with: the one a process that has laid out a letter has mapped."""
    import re

    from lettergen.render.pdf import render_pdf as _  # noqa: F401  (loads Pango)
    from lettergen.render.stamp import harfbuzz

    maps = Path("/proc/self/maps").read_text()
    loaded = set(re.findall(r"(/\S*libharfbuzz\.so[.\d]*)", maps))
    assert harfbuzz.version()
    assert len({Path(p).resolve() for p in loaded}) == 1, loaded


_LATIN = (
    "AÁÄĄBCĆČDĎEÉĚĘFGHIÍJKLŁMNŃŇOÓÖŐPRŘSŚŠTŤUÚŮÜVWYÝZŹŻŽ"
    "aáäąbcćčdďeéěęfghiíjklłmnńňoóöőprřsśštťuúůüvwyýzźżžßøæ'-"
)
_SCRIPTS = {
    "latin": _LATIN,
    "cyrillic": "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяЇїІіЄєҐґ-",
    "greek": "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋΐΰς-",
}


@st.composite
def _names(draw: st.DrawFn) -> tuple[str, str]:
    script = draw(st.sampled_from(sorted(_SCRIPTS)))
    word = st.text(st.sampled_from(_SCRIPTS[script]), min_size=1, max_size=12)
    words = draw(st.lists(word, min_size=1, max_size=3))
    return script, " ".join(w.strip("-'") or _SCRIPTS[script][0] for w in words)


@functools.cache
def _seed() -> tuple[Any, Any]:
    from conftest import SEED_CAMPAIGN, SHIPPED_DIRECTORY
    from lettergen import campaign as campaigns
    from lettergen.directory.model import load_directories

    return campaigns.load(SEED_CAMPAIGN), load_directories(SHIPPED_DIRECTORY)


@settings(max_examples=20, deadline=None)
@given(_names())
def test_any_name_in_one_script_is_set_as_weasyprint_sets_it(drawn: tuple[str, str]) -> None:
    """Names drawn from Latin, Cyrillic and Greek letters (accents, ß, ligature-prone pairs):
    set directly, each reads back and lands where WeasyPrint puts it."""
    _, name = drawn
    campaign, directory = _seed()
    one = letter(campaign, directory.get("de-berlin-embassy"), Signer(name, city="Graz"), "de")
    fast, slow, report = both_ways(one)
    assert report.direct == 1, report.declined
    assert pdftotext(fast) == pdftotext(slow)
    for (word, box), (_, expected) in zip(words(fast), words(slow), strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= 0.05, word
