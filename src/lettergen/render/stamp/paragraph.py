"""A supporter's own paragraph set directly: broken into lines and shaped by HarfBuzz.

Her words are new in every letter, so the stamped path cannot keep them; laying her paragraph
out with WeasyPrint costs a document's fixed price (the style cascade, a page, a PDF written:
~25 ms), and a second one when her words push the letter to a tighter setting. Yet a plain
paragraph is simple to set: Pango, inside WeasyPrint, breaks a line at the last space where
the words before it still fit the measure, and every line of one face is as tall as the next.

So her paragraph is set here only where that is all there is to it:

- one face sets every character (`face_of`: Pango gives each character the first family
  that has it, spaces their neighbours' face). The letter sets her words in the families of
  their own direction (pdf.FONTS, `own_words_fonts`), so an Arabic paragraph in a Latin
  letter is Naskh throughout, its spaces and full stops too;
- lines break at spaces, and after a hyphen that joins two words (`why_not`, `break_lines`):
  letters of scripts that put spaces between words, marks, digits, and punctuation that gives
  no break opportunity of its own (UAX #14) — a dash between two spaces, an exclamation mark
  before a space, and so on;
- the words are shaped at Pango's own scale (the pixel size × 1024), so every advance is the
  one WeasyPrint measures and draws, and no break is a near thing (`NEAR_UNITS`);
- every line passes `direct.set_line`'s own test (one script, one direction, in the face).

How tall a line is and where its baseline sits are not modelled: they are read from a
WeasyPrint layout of a probe paragraph in the same face and setting (`Setting`, made by
render.stamp once per face, setting and language). Anything else returns the reason, and her
paragraph is laid out by WeasyPrint as before. tests/render/test_paragraph.py compares the
lines and the drawn pages of both ways.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lettergen.render.stamp import direct
from lettergen.render.stamp.direct import PT_PER_PX, LineSpec, SetLine

#: Scripts that put a space between words: Pango breaks their lines at spaces (others break
#: between syllables or by dictionary, which this module does not do).
SPACED_SCRIPTS = frozenset(
    {"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "ARMENIAN", "GEORGIAN"}
)
#: Punctuation that never gives a line break of its own next to a letter (UAX #14 classes
#: IS, QU, OP, CP): full stops, commas, colons, quotes, brackets.
NO_BREAK = frozenset(
    ".,;:'\"()[]\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u060c\u061b"
)
#: Punctuation after which a line may break before a letter (exclamation, ellipsis, percent):
#: set directly only before a space, the end, or punctuation of NO_BREAK.
BEFORE_SPACE = frozenset("!?\u061f\u2026%")
#: Hyphens and dashes, which give break opportunities on their own sides: set directly only
#: between spaces (or at an end), where the breaks they give are the spaces' own.
DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015")
#: Hyphens a line may also break after where they join two words ("trade-union", "e-mail"):
#: UAX #14's HY and BA, no break before them; set directly between two letters only (a digit
#: after a hyphen holds it: "COVID-19").
HYPHENS = frozenset("-\u2010")
#: Pango's units per CSS px: it measures, and WeasyPrint places, glyphs in whole units.
PANGO_SCALE = 1024
#: A line that fits its measure by less than this (Pango units), or a word that would overflow
#: it by less, is a near thing, left to WeasyPrint: a rounding apart from a different break.
NEAR_UNITS = 2


@dataclass(frozen=True)
class Setting:
    """How the letter sets a paragraph of one face: the face, size (CSS px), the height of a
    line, the first baseline from the paragraph's top, the edge lines start from — as
    WeasyPrint laid out a probe paragraph in that face, setting and language."""

    font: Path
    size: float
    pitch: float
    baseline: float
    align: str  # "left" or "right"
    rtl: bool
    #: The em in Pango's units (1/1024 px) as Pango scales the face: the pixel size × 1024,
    #: truncated after a round trip through points that may leave it one below (`pango_units`).
    units: int


@dataclass(frozen=True)
class SetParagraph:
    """Her paragraph set: its lines (relative to the paragraph's top left) and its height."""

    lines: tuple[SetLine, ...]
    height: float


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]


def _letter(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] == "L"


def joining_hyphen(text: str, index: int) -> bool:
    """Whether the character at `index` is a hyphen between two letters, after which Pango
    may break the line."""
    return (
        text[index] in HYPHENS
        and 0 < index < len(text) - 1
        and _letter(text[index - 1])
        and _letter(text[index + 1])
    )


def why_not(text: str) -> str:
    """Why Pango could break this text other than at its spaces and after the hyphens that
    join two words ("" when it cannot)."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        before, after = text[index - 1 : index], text[index + 1 : index + 2]
        if char == " " or category[0] == "M" or category == "Nd" or char in NO_BREAK:
            continue
        if category[0] == "L":
            if _script(char) not in SPACED_SCRIPTS:
                return f"letters of a script not spaced into words (U+{ord(char):04X})"
            continue
        if char in BEFORE_SPACE and (after in ("", " ") or after in NO_BREAK):
            continue
        if char in DASHES and before in ("", " ") and after in ("", " "):
            continue
        if joining_hyphen(text, index):
            continue
        return f"a character that may break a line by itself (U+{ord(char):04X})"
    return ""


def face_of(text: str, fonts: Iterable[Path]) -> Path | str:
    """The face Pango sets all of the text in, given the regular faces of the paragraph's
    families in order: for each character the first that has it; spaces take their
    neighbours'. Why not, where the text needs two faces or one it was not given."""
    found: Path | None = None
    listed = list(fonts)
    for char in dict.fromkeys(text):
        if char == " ":
            continue
        face = next((path for path in listed if direct.face(path).covers(char)), None)
        if face is None:
            return f"a character none of the letter's fonts has (U+{ord(char):04X})"
        if found is not None and face != found:
            return "characters of two fonts"
        found = face
    return found if found is not None else "no letter to set"


def break_lines(
    text: str, advances: Sequence[tuple[int, int]], limit: int
) -> list[tuple[int, int]] | str:
    """Where Pango would break the text within `limit`: each line's (start, end) in the text,
    the space it breaks at left out, the hyphen it breaks after kept (`joining_hyphen`), as
    Pango breaks: at the last of them where the line still fits. `advances` are the text's
    glyphs shaped whole, as (cluster, advance), in Pango's units (1/1024 px), `limit` the
    measure in them. A line is measured without the space it breaks at, from the paragraph's
    shaping: its words shape as they would from the line's start (a space or a hyphen stands
    between them and the words before). Why not, where the break is a near thing
    (`NEAR_UNITS`)."""
    by_char = [0] * (len(text) + 1)
    for cluster, advance in advances:
        by_char[cluster] += advance
    lines: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        # the breaks after this line's start: (where the line ends, its width, the next start)
        breaks: list[tuple[int, int, int]] = []
        width = 0
        for index in range(start, len(text)):
            if text[index] == " ":
                breaks.append((index, width, index + 1))
            width += by_char[index]
            if joining_hyphen(text, index):
                breaks.append((index + 1, width, index + 1))
            if breaks and breaks[-1][1] > limit:
                break  # the lines after this break do not fit either
        else:
            breaks.append((len(text), width, len(text)))
        fitting = [b for b in breaks if b[1] <= limit]
        if not fitting:
            return "a word wider than the measure"
        end, width, after = fitting[-1]
        beyond = breaks[len(fitting)][1] if len(fitting) < len(breaks) else None
        if limit - width < NEAR_UNITS or (beyond is not None and beyond - limit < NEAR_UNITS):
            return "a line that fits its measure by a hair"
        lines.append((start, end))
        start = after
    return lines


def probe_text(text: str, count: int = 24) -> str:
    """A word of the text's first distinct letters (and marks), for `pango_units`: enough
    glyphs that two scales a unit apart advance them differently."""
    return "".join(list(dict.fromkeys(c for c in text if c != " "))[:count])


def pango_units(
    word: str, width: float, font: Path, size: float, rtl: bool, language: str
) -> int | str:
    """The scale Pango shapes the face at, found from a word it laid out `width` CSS px wide:
    the one of the pixel size × 1024 and its neighbours at which HarfBuzz advances the word
    by exactly as many units. Why not, where none or several do."""
    want = round(width * PANGO_SCALE)
    base = int(size * PANGO_SCALE)
    hb = direct.face(font).hb
    found = [
        units
        for units in (base - 1, base, base + 1)
        if sum(g.x_advance for g in hb.shape(word, "rtl" if rtl else "ltr", language, units))
        == want
    ]
    if len(found) == 1:
        return found[0]
    if base in found:  # the probe's glyphs advance alike at these scales: the usual one
        return base
    return f"Pango's scale for the face is not told by its probe ({len(found)} match)"


def set_paragraph(text: str, setting: Setting, measure: float, language: str) -> SetParagraph | str:
    """Her paragraph broken, shaped and placed as WeasyPrint would set it in this setting, at
    this measure (CSS px); or why it cannot be. Shaped at Pango's scale (the pixel size in
    its units), so each glyph advances exactly as WeasyPrint draws it. Lines are relative to
    the paragraph's top left (points, y up), as `direct.set_line` places a signer's."""
    spec = LineSpec(
        baseline=setting.baseline,
        left=0.0,
        right=measure,
        size=setting.size,
        font=setting.font,
        align=setting.align,
        rtl=setting.rtl,
    )
    why = why_not(text) or direct.why_not(text, spec)
    if why:
        return why
    units = setting.units
    glyphs = direct.shape(text, spec, language, units)
    if any(glyph.gid == 0 for glyph in glyphs):
        return "a character the font cannot shape"
    per_unit = units / direct.face(setting.font).upem  # Pango units per font unit
    advances = [(glyph.cluster, round(glyph.advance * per_unit)) for glyph in glyphs]
    breaks = break_lines(text, advances, int(measure * PANGO_SCALE))
    if isinstance(breaks, str):
        return breaks
    lines = []
    for number, (start, end) in enumerate(breaks):
        line = tuple(glyph for glyph in glyphs if start <= glyph.cluster < end)
        width = sum(round(glyph.advance * per_unit) for glyph in line) / PANGO_SCALE
        x = 0.0 if setting.align == "left" else measure - width
        y = -(setting.baseline + number * setting.pitch)
        lines.append(
            SetLine(setting.font, setting.size * PT_PER_PX, x * PT_PER_PX, y * PT_PER_PX, line)
        )
    return SetParagraph(tuple(lines), len(lines) * setting.pitch)
