"""Text hygiene for what people type: signer names, the sender, the campaign's texts.

Three things go wrong with pasted text, and each is handled where the text is read, once:

- The same name in two Unicode forms ("é" as one character or as "e" + accent) looks the same
  and is the same person: every text is put in NFC, the form fonts and files expect.
- Zero-width characters (U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF, and U+200C/U+200D
  between characters that do not need them) print as nothing, so removing them changes nothing
  a reader sees; keeping them lets "Anna Smirnova" and "Anna Smir\u200bnova" pass as two
  signers. ZERO WIDTH NON-JOINER and JOINER stay between two letters of a script that joins
  (Persian, Arabic, Indic scripts), where they change the shape of the word; the duplicate key
  ignores them everywhere.
- Bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates)
  change the order in which a reader sees the characters: "\u202eevil" prints as "live". A
  letter must say what its file says, so these are refused, with the place of the character.

Over-long fields are refused too: a name of 10,000 characters cannot fit on a letter, and the
layout should not have to guess where to break it. So is what a one-line field (a name, an
organisation, a town) cannot carry: line and paragraph separators (U+2028, U+2029, a new line),
which would print as more signature lines; control characters, C0 and C1 (U+0080–U+009F);
and characters that print as nothing although Unicode counts them as letters or symbols (the
Hangul fillers U+3164, U+115F, U+1160, U+FFA0, the blank Braille pattern U+2800), which let an
empty-looking name or a look-alike of another pass. A field must show at least one character.
`refusal` says why, in one place, for the web form, the signers file and --signer alike.
"""

from __future__ import annotations

import unicodedata

#: Zero-width characters removed from every text.
ZERO_WIDTH = "\u200b\u2060\ufeff"
#: Zero-width (non-)joiners: kept only between two letters of a script other than Latin.
JOINERS = "\u200c\u200d"
#: Bidirectional formatting characters refused in every text, with their Unicode names.
BIDI = {chr(c): unicodedata.name(chr(c)) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}

#: Line breaks: a one-line field holding one would print as two lines.
LINE_BREAKS = "\n\r\x85\u2028\u2029"
#: Letters and symbols to Unicode that print as nothing.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _is_control(char: str) -> bool:
    """C0 and C1 controls but tab, DEL, and the non-characters U+FFFE/U+FFFF."""
    code = ord(char)
    return (code < 0x20 and char != "\t") or 0x7F <= code <= 0x9F or code in (0xFFFE, 0xFFFF)


def _shows(char: str) -> bool:
    """A character that leaves a mark on the page (not a space, a format or control
    character, a lone combining mark or a filler)."""
    return (
        unicodedata.category(char)[0] not in "ZC"
        and char not in FILLERS
        and (unicodedata.category(char) not in ("Mn", "Me"))
    )


def refusal(text: str) -> tuple[str, int, str] | None:
    """Why a one-line field (a name, organisation, town, country, e-mail) cannot go on a letter,
    as (kind, index of the character, message), or None. Kinds: ``bidi``, ``line_break``,
    ``control``, ``invisible``. Give it cleaned text (`clean`)."""
    for index, char in enumerate(text):
        if char in BIDI:
            return "bidi", index, bidi_message(char)
        if char in LINE_BREAKS:
            return (
                "line_break",
                index,
                f"U+{ord(char):04X} ({_name(char)}) refused: a name, organisation or town is one "
                "line of the signature (remove the line break)",
            )
        if _is_control(char):
            return "control", index, f"holds a control character (U+{ord(char):04X}; remove it)"
        if char in FILLERS:
            return (
                "invisible",
                index,
                f"U+{ord(char):04X} {_name(char)} refused: it prints as nothing (remove it)",
            )
    if text and not any(_shows(char) for char in text):
        return "invisible", 0, "refused: it holds no character that prints (type the name again)"
    return None


def _name(char: str) -> str:
    names = {"\n": "NEW LINE", "\r": "CARRIAGE RETURN", "\x85": "NEXT LINE"}
    return names.get(char) or str(unicodedata.name(char, "LINE BREAK"))


#: The longest signer or sender field (a name, an organisation, an address line).
MAX_NAME = 200
#: The longest text of a supporter's own words (a short paragraph: a few sentences).
MAX_MESSAGE = 600


def own_words(text: str) -> str:
    """A supporter's own words as one paragraph: cleaned like a name (clean), line breaks and
    runs of white space made one space. Refuse what is left with refusal(), like a name."""
    return " ".join(clean(text).split())


def direction(text: str) -> str:
    """The direction ("rtl" or "ltr") of the text's first strong letter (Unicode's rule for a
    paragraph set by its content), "" when it has none (digits, punctuation)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


def find_bidi(text: str) -> int | None:
    """The index of the first bidirectional control in text, or None."""
    for index, char in enumerate(text):
        if char in BIDI:
            return index
    return None


def bidi_message(char: str) -> str:
    """Why a bidi control is refused, naming it: the message every reader gives."""
    return (
        f"U+{ord(char):04X} {BIDI[char]} refused: it changes the order in which a reader "
        "sees the text (remove it)"
    )


def _joins(char: str) -> bool:
    """A letter or mark of a script where a joiner can matter (not ASCII, not Latin)."""
    if char.isascii() or unicodedata.category(char)[0] not in "LM":
        return False
    return "LATIN" not in unicodedata.name(char, "")


def clean(text: str) -> str:
    """NFC, without zero-width characters that change nothing a reader sees.

    Bidi controls are left for the caller to refuse with a place (find_bidi)."""
    text = unicodedata.normalize("NFC", text)
    if not any(c in text for c in ZERO_WIDTH + JOINERS):
        return text
    kept = []
    for index, char in enumerate(text):
        if char in ZERO_WIDTH:
            continue
        if char in JOINERS:
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (before and after and _joins(before) and _joins(after)):
                continue
        kept.append(char)
    return "".join(kept)


def key(text: str) -> str:
    """The one folding that says two names are the same signer, wherever it is asked (the
    signers file's duplicate check, Fax it for me's limits): cleaned, without any joiner,
    compatibility-normalised (fullwidth letters are letters), case-folded, runs of white space
    made one space ("Анна  Смирнова", "анна смирнова", "Анна Смир\u200bнова" and "ＡＮＮＡ"
    for "Anna" are the same person)."""
    text = clean(text)
    for char in JOINERS:
        text = text.replace(char, "")
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def position(text: str, index: int) -> tuple[int, int]:
    """Line and column (both from 1) of text[index]."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column
