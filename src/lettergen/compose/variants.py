"""Phrasing variants: alternatives of a sentence or paragraph that say the same thing, and the
choice of one combination of them per letter.

Officials discount identical letters. A letter template's prose and a campaign's case may give
alternatives of any sentence or paragraph, in Markdown, between marker lines of their own::

    %% opening
    I am writing to you to express my serious concern about the case set out below.
    %% or
    I write to draw your attention to the case set out below, which concerns me deeply.
    %% end

A group has a name (lower-case letters, digits, `-`, `_`), one alternative or more, and ends
with `%% end`. A campaign's demand may be a list of reviewed alternatives instead of a text
(demands stay exact otherwise). `letter_templates/README.md` is the translator's guide.

Which alternative a letter takes is decided here, deterministically: a letter has a
*combination number* — in a batch with a signers file, the signer's place in the file plus a
number of the office; otherwise one of the office's first `SINGLE_WORDINGS` numbers, picked by a
stable hash (sha256) of the office id and the signer's folded name — and `digits()` turns it
into one alternative per group. Consecutive numbers differ in most groups, and no two numbers
below the product of the group sizes give the same combination: the first N letters to an
office are N different texts, as far as the variants allow. The same supporter to the same
office gets the same letter on the web page and from `render`; a rerun is byte-identical.

Why single letters take one of a few wordings rather than any: the supporter page lays out
every office's letter in each of its wordings ahead (web/site.py), so a supporter's letter is
stamped in milliseconds instead of laid out in a tenth of a second. Nine wordings keep that
warm-up to minutes and memory to tens of MiB per worker, and two supporters writing to the same
office still send different texts eight times in nine; a drive with a signers file takes every
combination.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lettergen.compose.letter import Letter, Paragraph
from lettergen.util.alternatives import (
    MARK,
    Group,
    Piece,
    VariantSyntaxError,
    groups,
    has_markers,
    join,
    parse,
    sizes,
)

__all__ = [
    "MARK",
    "SINGLE_WORDINGS",
    "Choice",
    "Group",
    "Piece",
    "VariantSyntaxError",
    "body_text",
    "combinations",
    "digits",
    "fold",
    "groups",
    "has_markers",
    "join",
    "parse",
    "seed",
    "sizes",
    "text_key",
]

# --- the choice -----------------------------------------------------------------------------

#: The wordings a single letter to an office (the supporter page, `render --signer`) takes one
#: of: the office's first combination numbers, those a drive's first signers get too.
SINGLE_WORDINGS = 9


def fold(name: str) -> str:
    """A signer's name as one person writes it in different ways: NFKC, case-folded, spaces
    collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def seed(office_id: str, signer_name: str = "") -> int:
    """A stable number of an office and a signer (sha256; never Python's hash(), which
    changes between runs)."""
    digest = hashlib.sha256(f"{office_id}\0{fold(signer_name)}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class Choice:
    """Which combination of alternatives a letter takes.

    `number`: a combination number (see `digits`); None: a single letter's, one of the office's
    first SINGLE_WORDINGS picked by the hash of the office and the signer (`single`).
    `alternative`: every group's alternative of that index (or its last, if it has fewer) —
    for trial letters and proofs, which show each alternative in turn, and joint letters, which
    take the first (a joint letter is one per office: nothing to vary).
    """

    number: int | None = None
    alternative: int | None = None

    @classmethod
    def in_batch(cls, office_id: str, index: int) -> Choice:
        """The choice of the `index`-th signer of a batch's signers file to an office: letters
        to one office take consecutive combination numbers, from a point that differs by office."""
        return cls(number=seed(office_id) + index)

    @classmethod
    def single(cls, office_id: str, signer_name: str) -> Choice:
        """A single letter's choice (the supporter page, `render --signer`): one of the office's
        first SINGLE_WORDINGS combinations, by the hash of office and signer."""
        return cls.wording(office_id, seed(office_id, signer_name) % SINGLE_WORDINGS)

    @classmethod
    def wording(cls, office_id: str, index: int) -> Choice:
        """The office's `index`-th wording of a single letter (0 ≤ index < SINGLE_WORDINGS):
        what the supporter page lays out ahead."""
        return cls.in_batch(office_id, index)

    def picks(
        self, office_id: str, signer_name: str, sizes: Sequence[tuple[str, int]]
    ) -> dict[str, int]:
        """Group name → alternative index, for groups of the given (name, size)."""
        if self.alternative is not None:
            return {name: min(self.alternative, size - 1) for name, size in sizes}
        number = self.number
        if number is None:
            number = Choice.single(office_id, signer_name).number
            assert number is not None
        return dict(zip((n for n, _ in sizes), digits(number, [s for _, s in sizes]), strict=True))


def combinations(sizes: Sequence[int]) -> int:
    return math.prod(sizes) if sizes else 1


def digits(number: int, sizes: Sequence[int]) -> list[int]:
    """One index per group for a combination number: a bijection of [0, product of sizes) onto
    the combinations (numbers beyond it wrap around). Mixed-radix digits d₀, d₁, … of the
    number, each group's index the sum of its digit and those before it, modulo its size: so
    n and n + 1 differ in the first group and mostly in all (four groups of three: in all four
    for 72 of 80 neighbours), not in the first alone as counting would."""
    total = combinations(sizes)
    rest = number % total
    raw = []
    for size in sizes:
        rest, digit = divmod(rest, size)
        raw.append(digit)
    result = []
    running = 0
    for size, digit in zip(sizes, raw, strict=True):
        running += digit
        result.append(running % size)
    return result


def body_text(letter: Letter) -> str:
    """The letter's wording between the greeting and the closing, as plain text."""
    return "\n".join(
        "\n".join([block.text] if isinstance(block, Paragraph) else block.texts)
        for block in letter.body
    )


def text_key(letter: Letter) -> str:
    """A short hash of the letter's wording (subject, greeting, body, closing): letters to an
    office with the same key say the same words, whoever signs them."""
    words = "\n".join((letter.subject, letter.salutation, body_text(letter), letter.closing))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]
