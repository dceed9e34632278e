"""A supporter's own paragraph set directly (render/stamp/paragraph.py) is the paragraph
WeasyPrint would set.

Each letter here is stamped twice, her paragraph (and the signature) set directly and laid
out by WeasyPrint, and the two PDFs are compared: the lines pdftotext reads, every word's box,
and the pixels pdfium draws. Paragraphs the direct path must not set are declined with their
reason, and their letters still read like the letter laid out alone.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_stamp import ink_difference, lines_read, words

from conftest import FIXTURES
from lettergen import campaign as campaigns
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.directory.model import load_directories
from lettergen.render import stamp
from lettergen.render.pdf import render_pdf
from lettergen.render.stamp import paragraph

#: Sentences a supporter might write, by script.
SENTENCES = {
    "latin": (
        "Our branch of the bakers' union read about this case at its last meeting.",
        "Nobody should spend a single night in a cell for asking that wages be paid.",
        "I am a retired teacher from Ghent, and I have written to you before.",
        "Please tell his wife and children that they are not alone.",
        "Wir haben in Köln Unterschriften gesammelt, und alle wollen seine Freilassung.",
        "Nous demandons un procès équitable, public et rapide.",
        "Los trabajadores de Zaragoza siguen este caso con atención.",
        "Workers in Wales, Tórshavn and Łódź stand by the miners of Karaganda.",
        "Our trade-union branch re-elected its shop-steward, a well-known mother-of-three.",
    ),
    "cyrillic": (
        "Мы, члены профсоюза учителей, следим за этим делом.",
        "Никто не должен сидеть в тюрьме за то, что требовал свою зарплату.",
        "Передайте его семье, что о них помнят в Томске и в Риге.",
        "Просим вас обеспечить открытый и справедливый суд.",
    ),
    "arabic": (
        "نحن أعضاء نقابة المعلمين ونتابع هذه القضية عن كثب.",
        "لا يجوز أن يُسجن أحد لأنه طالب بأجره.",
        "أرجو أن تبلغوا أسرته أننا نفكر فيهم كل يوم.",
        "نطالب بمحاكمة علنية وعادلة دون تأخير.",
    ),
}


def paragraph_of(script: str, length: int, seed: int = 0) -> str:
    """Sentences of one script, shuffled, cut at the first space after `length` characters."""
    sentences = list(SENTENCES[script])
    random.Random(seed).shuffle(sentences)
    text, count = "", 0
    while len(text) < length:
        text = f"{text} {sentences[count % len(sentences)]}".strip()
        count += 1
    cut = text.find(" ", length)
    return at_most(text if cut < 0 else text[:cut])


def at_most(text: str, limit: int = 600) -> str:
    """The text cut at its last space within the limit of her words (600 characters)."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def her_letter(campaign: Any, office: Any, words_: str, lang: str = "en") -> Letter:
    signer = Signer("Ann Lee", city="Leeds", country="GB", message=words_)
    return compose_letter(
        campaign,
        Recipient(office, office.country),
        lang=lang,
        state="KZ",
        signer=signer,
        choice=variants.Choice(number=0),
    )


#: Caches that live across the examples of a test: the office's layouts are made once.
FAST, SLOW = stamp.StampCache(), stamp.StampCache()


def both_ways(one: Letter) -> tuple[bytes, bytes, stamp.StampReport]:
    """The letter stamped with her paragraph set directly, and laid out by WeasyPrint."""
    report = stamp.StampReport()
    (fast,) = stamp.render_stamped([one], cache=FAST, report=report)
    (slow,) = stamp.render_stamped([one], cache=SLOW, set_direct=False)
    assert fast.layout and slow.layout and not fast.fallback and not slow.fallback
    return fast.data, slow.data, report


def assert_same(fast: bytes, slow: bytes, tolerance: float = 0.1) -> None:
    """The same lines, words within `tolerance` points of each other, the same pixels. Not
    closer: WeasyPrint writes each glyph's width as it found it at the size the document
    first used the glyph at (draw/text.py), which moves a word by a few thousandths of a
    point at another size."""
    assert lines_read(fast) == lines_read(slow)
    got, want = words(fast), words(slow)
    assert [w for w, _ in got] == [w for w, _ in want]
    for (word, box), (_, expected) in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) <= tolerance, word
    assert ink_difference(fast, slow) < 0.0005


def set_directly(report: stamp.StampReport) -> bool:
    return not any(why.startswith("her words") for _, why in report.declined)


@pytest.mark.parametrize("length", [60, 300, 600])
@pytest.mark.parametrize("script", ["latin", "cyrillic", "arabic"])
def test_her_paragraph_set_directly_equals_weasyprint(
    campaign: Any, directory: Any, script: str, length: int
) -> None:
    """Short and long paragraphs (the longest push the letter to a tighter setting), in a
    Latin letter: Latin, Cyrillic, and Arabic set right to left in the Naskh face."""
    one = her_letter(campaign, directory.get("de-berlin-embassy"), paragraph_of(script, length))
    fast, slow, report = both_ways(one)
    assert set_directly(report), report.declined
    assert_same(fast, slow)
    longest = max(stamp.own_words(one).text.split(), key=len)  # type: ignore[union-attr]
    assert longest in " ".join(lines_read(fast))


def test_the_longest_paragraph_takes_a_tighter_setting_set_directly(
    campaign: Any, directory: Any
) -> None:
    """Words that push the letter past its page: her paragraph is set again in the tighter
    setting, without WeasyPrint, and the letter is the letter laid out alone."""
    longest = paragraph_of("latin", 600, seed=3)
    one = her_letter(campaign, directory.get("de-berlin-embassy"), longest)
    report = stamp.StampReport()
    (rendered,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    alone = render_pdf(one)
    assert rendered.fit == alone.fit >= 1 and rendered.pages == alone.pages
    assert set_directly(report) and report.parts == 0  # no WeasyPrint pass for her words
    assert lines_read(rendered.data) == lines_read(alone.data)


@pytest.mark.parametrize("script", ["arabic", "latin"])
def test_her_paragraph_in_an_arabic_letter(script: str) -> None:
    """An Arabic letter: her Arabic words in its own direction, her Latin words left to
    right in the Latin face, each set directly."""
    arabic = campaigns.load(FIXTURES / "campaign-ar.yaml")
    cairo = load_directories(FIXTURES / "lang" / "offices.yaml").get("eg-cairo-embassy")
    words_ = paragraph_of(script, 250, seed=5)
    if script == "latin":  # no digits, which a right-to-left line would reorder
        words_ = words_.replace("Łódź", "Lodz")
    one = her_letter(arabic, cairo, words_, "ar")
    fast, slow, report = both_ways(one)
    assert set_directly(report), report.declined
    assert_same(fast, slow)


@pytest.mark.parametrize(
    ("words_", "why"),
    [
        ("COVID-19 did not stop our branch from meeting.", "may break a line by itself"),
        ("Free him!Now, and let the union work.", "may break a line by itself"),
        ("Workers and/or their families write to you.", "may break a line by itself"),
        ("労働組合の仲間は彼の釈放を求めます。", "none of the letter's fonts"),
        ("I write from عمان to ask for his release.", "two fonts"),
        ("Москва and London stand with him.", "more than one script"),
    ],
    ids=["hyphen", "exclamation", "slash", "no-spaces", "two-fonts", "two-scripts"],
)
def test_what_may_break_otherwise_is_laid_out_by_weasyprint(
    campaign: Any, directory: Any, words_: str, why: str
) -> None:
    """Paragraphs whose lines Pango could break elsewhere than at a space, or set in two
    faces, are declined with their reason; WeasyPrint lays them out, and the letter reads
    like the letter laid out alone."""
    one = her_letter(campaign, directory.get("de-berlin-embassy"), words_)
    report = stamp.StampReport()
    (rendered,) = stamp.render_stamped([one], cache=stamp.StampCache(), report=report)
    reasons = [reason for _, reason in report.declined if reason.startswith("her words")]
    assert len(reasons) == 1 and why in reasons[0], reasons
    assert not rendered.fallback
    assert lines_read(rendered.data) == lines_read(render_pdf(one).data)


def test_hyphenated_words_break_after_the_hyphen_as_pango_breaks_them(
    campaign: Any, directory: Any
) -> None:
    """Pango breaks after a hyphen that joins two words; set directly, the lines end where
    WeasyPrint ends them, the hyphen on the line before. The same words shifted by a word at
    a time until some line breaks after a hyphen."""
    base = "Our trade-union branch re-elected its shop-steward, a well-known mother-of-three."
    after_hyphen = 0
    for shift in range(12):
        words_ = at_most(" ".join(["Leeds"] * shift + [base] * 5))
        one = her_letter(campaign, directory.get("de-berlin-embassy"), words_)
        fast, slow, report = both_ways(one)
        assert set_directly(report), report.declined
        assert_same(fast, slow)
        # pdftotext joins a line that ends in a hyphen to the next; its words do not
        after_hyphen += sum(word.endswith("-") for word, _ in words(fast))
        if after_hyphen >= 2:
            break
    assert after_hyphen >= 2


def test_dashes_between_spaces_are_set_directly(campaign: Any, directory: Any) -> None:
    words_ = "A fair trial — held soon, in public — is the least any law requires. Free him!"
    one = her_letter(campaign, directory.get("de-berlin-embassy"), words_)
    fast, slow, report = both_ways(one)
    assert set_directly(report)
    assert_same(fast, slow)


def test_lines_break_at_the_last_space_that_fits() -> None:
    """Pango's rule, on made-up advances (100 units a letter, 50 a space)."""
    text = "aa bb cc"
    advances = [(i, 50 if c == " " else 100) for i, c in enumerate(text)]
    # "aa bb" is 450 units wide, the whole 700, each word 200.
    assert paragraph.break_lines(text, advances, 460) == [(0, 5), (6, 8)]
    assert paragraph.break_lines(text, advances, 710) == [(0, 8)]
    assert paragraph.break_lines(text, advances, 210) == [(0, 2), (3, 5), (6, 8)]
    assert "wider than the measure" in str(paragraph.break_lines(text, advances, 150))
    # A line that fits by less than NEAR_UNITS, or a word that overflows by less, is left to
    # WeasyPrint: a unit of rounding apart from another break.
    assert "by a hair" in str(paragraph.break_lines(text, advances, 451))
    assert "by a hair" in str(paragraph.break_lines(text, advances, 699))
    assert paragraph.break_lines(text, advances, 452) == [(0, 5), (6, 8)]
    assert paragraph.break_lines(text, advances, 698) == [(0, 5), (6, 8)]
    # After a hyphen joining two words: the hyphen ends the line, nothing is skipped.
    text = "ab-cd ef"
    advances = [(i, 50 if c == " " else 100) for i, c in enumerate(text)]
    assert paragraph.break_lines(text, advances, 350) == [(0, 3), (3, 5), (6, 8)]
    assert paragraph.break_lines(text, advances, 550) == [(0, 5), (6, 8)]


def test_why_not_names_the_character() -> None:
    assert paragraph.why_not("Free him — now.") == ""
    assert paragraph.why_not("« Libérez-le »") == ""
    assert "U+002F" in paragraph.why_not("and/or")
    assert paragraph.why_not("trade-union") == ""  # Pango breaks after it: modelled
    assert "U+002D" in paragraph.why_not("COVID-19")  # a digit after it holds it
    assert "U+002D" in paragraph.why_not("-ish")  # word-initial
    assert "U+0E01" in paragraph.why_not("ก ข")  # Thai: no spaces between words


WORD = st.sampled_from([w for s in SENTENCES["latin"] + SENTENCES["cyrillic"] for w in s.split()])


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(WORD, min_size=8, max_size=90))
def test_any_paragraph_of_these_words_is_set_as_weasyprint_sets_it(
    campaign: Any, directory: Any, drawn: list[str]
) -> None:
    """Words of one script in any order and number: set directly where they can be, and
    then the letter is the one WeasyPrint sets."""
    script = "CYRILLIC" if any("\u0400" <= c <= "\u04ff" for c in drawn[0]) else "LATIN"
    kept = [w for w in drawn if ("\u0400" <= w[0] <= "\u04ff") == (script == "CYRILLIC")]
    words_ = at_most(" ".join(kept))
    if not words_:
        return
    one = her_letter(campaign, directory.get("de-berlin-embassy"), words_)
    fast, slow, report = both_ways(one)
    if set_directly(report):
        assert_same(fast, slow)
    else:
        assert lines_read(fast) == lines_read(slow)
