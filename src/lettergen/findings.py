"""Findings: what the checkers report (`missions validate`, `fax check`, `lang check`).

A finding is one problem with a stable code, a message for people, a severity and a place. Each
checker keeps its own registry of codes (a `Codes`), and makes every finding through it, so a
finding's severity is always the one its code is registered with. The codes are a promise to
other tools: add codes, never rename them.

Every checker prints a finding as one line of the same shape (finding_line, the same as
`str()`): `place: severity: code: message`, where the place is the file (relative to the current
folder when below it), its line, and the field, office or page the finding is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from lettergen.errors import Place

#: Severities. An error stops the work (no usable directory, file or letter); a warning is a
#: fact to know before going on; a note is for information only.
ERROR = "error"
WARNING = "warning"
NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One problem: its code, message and severity, where it is, and whom or what it is about
    (`subject`: the office id of a directory finding, the language of a translation's; empty
    when the place says it all)."""

    code: str
    message: str
    severity: str
    place: Place
    subject: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = str(self.place)
        text = f"{self.severity}: {self.code}: {self.message}"
        return f"{where}: {text}" if where else text


def finding_line(finding: Finding) -> str:
    """The line `missions validate`, `fax check` and `lang check` print for a finding:
    `data/directories/kazakhstan.yaml:406: office ru-moscow-embassy: warning: code: message`,
    `letter.tiff: page 1: error: code: message`, `de/strings.yaml:12: key: error: code: …`."""
    return str(finding)


class Codes(dict[str, tuple[str, str]]):
    """A checker's codes: code → (severity, meaning). The meanings are documented in README.md
    and letter_templates/README.md."""

    def finding(self, code: str, message: str, place: Place, subject: str = "") -> Finding:
        """A finding of a registered code, with that code's severity."""
        if code not in self:
            raise ValueError(f"unknown finding code {code!r} (known: {', '.join(self)})")
        return Finding(code, message, self[code][0], place, subject)
