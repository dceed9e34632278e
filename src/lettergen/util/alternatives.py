"""The marker syntax of phrasing variants in Markdown text (a letter template's prose, a
campaign's case): alternatives of a sentence or paragraph between lines of their own::

    %% opening
    I am writing to you to express my serious concern about the case set out below.
    %% or
    I write to draw your attention to the case set out below, which concerns me deeply.
    %% end

Which alternative a letter takes is `lettergen.compose.variants`' business; this module only
reads and joins the text (it sits low, so the campaign loader can check a case's markers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: What starts a marker line.
MARK = "%%"
_MARKER = re.compile(r"^%%[ \t]*(\S*)[ \t]*$")
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class VariantSyntaxError(ValueError):
    """A marker out of place: `line` is the line of the text (1-based) where it stands."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Group:
    """One sentence or paragraph and its alternatives (each Markdown, without the markers)."""

    name: str
    alternatives: tuple[str, ...]
    line: int = 0  # of its `%% name` line in the text it was read from, 1-based


Piece = str | Group


def has_markers(text: str) -> bool:
    return MARK in text and any(_MARKER.match(line) for line in text.split("\n"))


def parse(text: str, *, unique: bool = True) -> tuple[Piece, ...]:
    """The text as lines and groups, in order; VariantSyntaxError for a marker out of place
    (an `%% or` outside a group, a group not closed, an empty alternative, a name used twice —
    allowed with `unique=False`, for a template's source, where a name may stand in each
    branch of an `{% if %}`)."""
    if MARK not in text:
        return tuple(text.split("\n"))
    pieces: list[Piece] = []
    group: tuple[str, int] | None = None
    current: list[str] = []
    alternatives: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), 1):
        found = _MARKER.match(line)
        if not found:
            if group:
                current.append(line)
            else:
                pieces.append(line)
            continue
        word = found.group(1)
        if group is None:
            if word in ("or", "end") or not word:
                raise VariantSyntaxError(
                    f"'{MARK} {word}' outside a group of alternatives "
                    f"(a group starts with '{MARK} <name>')",
                    number,
                )
            if not NAME.match(word):
                raise VariantSyntaxError(
                    f"{word!r} cannot name a group of alternatives: use lower-case letters, "
                    "digits, '-' and '_'",
                    number,
                )
            if word in seen and unique:
                raise VariantSyntaxError(f"a second group named {word!r}", number)
            seen.add(word)
            group, current, alternatives = (word, number), [], []
            continue
        if word not in ("or", "end"):
            raise VariantSyntaxError(
                f"'{MARK} {word}' inside group {group[0]!r}: close it with '{MARK} end' first",
                number,
            )
        alternative = "\n".join(current).strip("\n")
        if not alternative.strip():
            raise VariantSyntaxError(f"an empty alternative in group {group[0]!r}", number)
        alternatives.append(alternative)
        current = []
        if word == "end":
            pieces.append(Group(group[0], tuple(alternatives), group[1]))
            group = None
    if group is not None:
        raise VariantSyntaxError(
            f"group {group[0]!r} is not closed (a '{MARK} end' line)", group[1]
        )
    return tuple(pieces)


def groups(pieces: Sequence[Piece]) -> list[Group]:
    return [piece for piece in pieces if isinstance(piece, Group)]


def sizes(pieces: Sequence[Piece]) -> dict[str, int]:
    """Group name → number of alternatives (the largest, for a name that stands twice)."""
    found: dict[str, int] = {}
    for group in groups(pieces):
        found[group.name] = max(found.get(group.name, 0), len(group.alternatives))
    return found


def join(pieces: Sequence[Piece], picks: dict[str, int]) -> str:
    """The text with each group's marker lines replaced by its picked alternative (the first
    when none is picked): an alternative stands where the group stood, in the same paragraph
    as the lines around it unless a blank line parts them."""
    return "\n".join(
        piece if isinstance(piece, str) else piece.alternatives[picks.get(piece.name, 0)]
        for piece in pieces
    )
