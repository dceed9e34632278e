"""The one exception hierarchy of lettergen.

Nothing here knows about click: the CLI turns these into messages and exit codes at the
boundary, so the core stays usable as a library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def shown(path: Path | str) -> str:
    """A path as messages show it: relative to the current folder when it is below it
    (data/campaigns/x.yaml), else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


@dataclass(frozen=True)
class Place:
    """Where a problem is: a file, optionally a line (and column), optionally a field or
    office id."""

    path: Path | str | None = None
    line: int | None = None
    field: str | None = None
    #: The character on the line, from 1: for a character that is invisible or misleading.
    column: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            where = f":{self.line}" if self.line else ""
            if self.line and self.column:
                where += f":{self.column}"
            parts.append(shown(self.path) + where)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)


class LettergenError(Exception):
    """Base of every error lettergen reports to a user. Its message is the whole story."""

    def __init__(self, message: str, place: Place | None = None, hint: str | None = None):
        self.message = message
        self.place = place
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.place}: {self.message}" if self.place and str(self.place) else self.message
        return f"{text} ({self.hint})" if self.hint else text


class InputError(LettergenError):
    """A file the user gave us is missing, unreadable or malformed."""


class DataError(LettergenError):
    """Data that parses but does not make sense: unknown ids, cycles, missing texts."""


class TemplateError(LettergenError):
    """A letter template failed: a missing field, a syntax error."""


class RenderError(LettergenError):
    """A writer (PDF, DOCX, TIFF) could not produce its file."""


class ManyErrors(LettergenError):
    """Several problems found at once: we report them all before aborting."""

    def __init__(self, errors: Iterable[LettergenError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))
