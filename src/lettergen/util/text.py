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
layout should not have to guess where to break it.
"""

from __future__ import annotations

import unicodedata

#: Zero-width characters removed from every text.
ZERO_WIDTH = "\u200b\u2060\ufeff"
#: Zero-width (non-)joiners: kept only between two letters of a script other than Latin.
JOINERS = "\u200c\u200d"
#: Bidirectional formatting characters refused in every text, with their Unicode names.
BIDI = {chr(c): unicodedata.name(chr(c)) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}

#: The longest signer or sender field (a name, an organisation, an address line).
MAX_NAME = 200


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
    """A text as duplicates are found: cleaned, without any joiner, compatibility-normalised,
    case-folded, runs of white space made one space ("Анна  Смирнова", "анна смирнова" and
    "Анна Смир\u200bнова" are the same person)."""
    text = clean(text)
    for char in JOINERS:
        text = text.replace(char, "")
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def position(text: str, index: int) -> tuple[int, int]:
    """Line and column (both from 1) of text[index]."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column
