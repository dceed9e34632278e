"""Rule checks on composed letters: classes of mistake a rule can catch in every letter of a
language, whatever the office or campaign.

- `cover-preposition`: a cover sheet's label followed by a preposition of its own ("An · An den
  Generalkonsul", "À · À l'attention de", "Para · A la atención de"): the label and the
  addressee line both say "to".
- `protected-break`: a space that may break inside a protected phrase — a courtesy title and
  its name, the words of the sending state's name ("der Republik / Kasachstan").
- `guillemet-space`: a guillemet without the space its language puts inside it (French
  « Viasna », with non-breaking spaces).
- `phone-styles`: telephone numbers of one letter written in different styles ("+1 212-230-1172"
  beside "+49 30 47007125").
- `arabic-seated-mark`: a vowel mark on an alef that carries a hamza ("أُرسلت"). HarfBuzz draws
  the pair with glyphs every other such alef and mark share, and a PDF's text layer has one
  text per glyph: the whole letter's hamza-seated alefs then read back wrong ("كتب" for
  "أكتب") when copied, searched or read aloud, though the page prints right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lettergen.compose.letter import Letter
from lettergen.language.languages import Language
from lettergen.language.typography import NBSP, NNBSP, protected_phrase

#: Words that open an addressee line by saying "to"/"for the attention of", by language; a
#: cover label that is one of them doubles the line's own.
TO_WORDS = {
    "en": {"to", "attn", "attention"},
    "de": {"an", "z.", "zu", "zhd", "zu handen"},
    "fr": {"à", "a", "pour", "attention"},
    "es": {"a", "para", "atención"},
    "ru": {"кому"},
    "ar": {"إلى", "الى"},
}

#: An alef carrying a hamza (above, below) followed by a vowel, tanween, shadda or sukun mark.
_SEATED_MARK = re.compile("[\u0623\u0625][\u064b-\u0652]")

#: A telephone number as letters print it: a plus, then digits grouped by spaces or hyphens.
_PHONE = re.compile(r"\+\d[\d \-\u00a0().]{5,}\d")
_BREAKABLE = re.compile(r"[ \t\n]")


def findings(letter: Letter, language: Language, protected: Iterable[str] = ()) -> Iterator[str]:
    """(code, message) pairs as "code: message" texts for one composed letter."""
    yield from _cover(letter, language)
    yield from _protected(letter, language, protected)
    yield from _guillemets(letter, language)
    yield from _phones(letter)
    yield from _seated_marks(letter)


def texts(letter: Letter) -> list[str]:
    """Every text a letter prints, each on its own."""
    out = [
        *letter.sender,
        *letter.addressee,
        letter.date,
        letter.fax_notice,
        letter.subject,
        letter.salutation,
        letter.closing,
        *letter.signature,
        letter.header,
        *(value for _, value in letter.cover),
        *letter.signatories,
    ]
    for block in letter.body:
        if block.kind == "paragraph":
            out.append(block.text)
        else:
            out.extend(block.texts)
    return [t for t in out if t]


def _first_word(text: str) -> str:
    words = text.strip().strip("\u2068\u2069").split()
    return words[0].casefold().rstrip(":,") if words else ""


def _cover(letter: Letter, language: Language) -> Iterator[str]:
    if not letter.cover:
        return
    to_label = language.string("cover.to") if language.has("cover.to") else ""
    words = TO_WORDS.get(language.code, set())
    label = _first_word(to_label)
    for shown, value in letter.cover:
        if shown != to_label:
            continue
        first = _first_word(value.splitlines()[0] if value else "")
        if label and (first == label or (label in words and first in words)):
            yield (
                f"cover-preposition: the cover's label {to_label!r} is followed by "
                f"{value.splitlines()[0]!r}, which says it again (label and preposition doubled)"
            )


def _protected(letter: Letter, language: Language, protected: Iterable[str]) -> Iterator[str]:
    phrases = [protected_phrase(p) for p in protected]
    titles = language.typography.titles
    for text in texts(letter):
        for phrase in phrases:
            words = phrase.split()
            if len(words) < 2:
                continue
            pattern = r"(?<!\w)" + r"[\s\u00a0]+".join(map(re.escape, words)) + r"(?!\w)"
            for match in re.finditer(pattern, text):
                if _BREAKABLE.search(match.group(0)):
                    yield (
                        f"protected-break: {match.group(0)!r} may break between its words "
                        "(the state's name stays on one line)"
                    )
        for title in titles:
            for match in re.finditer(rf"(?<!\w){re.escape(title)}[ \t\n]+(?=[A-ZА-ЯЁ])", text):
                yield (
                    f"protected-break: {match.group(0).strip()!r} may end a line apart from "
                    "the name after it"
                )


def _guillemets(letter: Letter, language: Language) -> Iterator[str]:
    spaces_after = dict(language.typography.space_after)
    spaces_before = dict(language.typography.space_before)
    wants_space = "«" in spaces_after or "»" in spaces_before
    if not wants_space and language.code != "fr":
        return
    for text in texts(letter):
        for match in re.finditer(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»", text):
            start = max(0, match.start() - 12)
            yield (
                f"guillemet-space: {text[start : match.end() + 12]!r} has a guillemet without "
                f"its non-breaking space ({NNBSP!r} or {NBSP!r})"
            )


def phone_style(number: str) -> str:
    """A number's style: the separators it uses between digit groups."""
    separators = set(re.sub(r"[\d+]", "", number))
    return "".join(sorted(separators)) or "none"


def _phones(letter: Letter) -> Iterator[str]:
    numbers = {m.group(0).strip() for t in texts(letter) for m in _PHONE.finditer(t)}
    styles = {phone_style(n) for n in numbers}
    if len(styles) > 1:
        shown = ", ".join(sorted(numbers))
        yield f"phone-styles: numbers in different styles in one letter: {shown}"


def _seated_marks(letter: Letter) -> Iterator[str]:
    for text in texts(letter):
        for match in _SEATED_MARK.finditer(text):
            start, end = text.rfind(" ", 0, match.start()) + 1, text.find(" ", match.end())
            word = text[start : end if end >= 0 else len(text)]
            yield (
                f"arabic-seated-mark: {word!r} puts a vowel mark on an alef with hamza: the "
                "PDF's text layer then loses the letter's alefs (copying, search, screen "
                "readers); write it without the mark"
            )
