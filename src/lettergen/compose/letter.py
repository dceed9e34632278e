"""The content model of one letter: what every writer (PDF, DOCX, TIFF) consumes.

Composition (compose.py) decides every word; writers decide only how it looks. A writer never
renders templates, picks a form of address or formats a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Run:
    """A stretch of text with one emphasis. Text is always plain text, never markup."""

    text: str
    bold: bool = False
    italic: bool = False


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Paragraph:
    runs: Runs
    kind: Literal["paragraph"] = "paragraph"
    #: "own-words": the supporter's own paragraph, printed as written (no typography).
    role: str = ""
    #: "rtl"/"ltr" for a paragraph set in its own direction (own words); "": the letter's.
    direction: str = ""
    #: For the stamped path (render/stamp): the height, in CSS px, of an empty paragraph kept
    #: as blank space for the supporter's own words; 0 for every paragraph with text.
    height: float = 0.0

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class ListBlock:
    """A bulleted or numbered list; `role` marks the campaign's demands."""

    items: tuple[Runs, ...]
    ordered: bool = False
    role: str = ""
    kind: Literal["list"] = "list"

    @property
    def texts(self) -> list[str]:
        return ["".join(run.text for run in item) for item in self.items]


Block = Paragraph | ListBlock


@dataclass(frozen=True)
class Letter:
    """One letter to one office, in one language, from one signer."""

    # What it is, for file names, the manifest and document properties.
    campaign: str
    office_id: str
    country: str  # ISO code of the country the letter is about (may differ from the office's)
    office_country: str  # ISO code of the country the office is in
    language: str  # the letter's language: its templates' folder name, e.g. "en", "de"
    signer_slug: str  # "" for the campaign's default sender
    fax: str | None  # E.164 of the destination fax, None when sent by post
    fax_display: str  # the fax number as people read it ("+49 30 4700 7125"), "" if none
    page_size: Literal["A4", "Letter"]
    direction: Literal["ltr", "rtl"]

    # The page, top to bottom.
    sender: tuple[str, ...]  # sender block lines
    addressee: tuple[str, ...]  # addressee block: role, office, postal address
    date: str  # localized date line, e.g. "London, 7 September 2002" or "7 September 2002"
    fax_notice: str  # first-page note: destination fax and "tell us if it is outdated"
    subject: str
    salutation: str
    body: tuple[Block, ...]  # the letter's text; the demands are a ListBlock with role "demands"
    closing: str  # "Yours respectfully,"
    signature: tuple[str, ...]  # signer's name, then organisation / city lines

    # The running header on every page: "Fax to +49 30 4700 7125 · Page 1 of 2". Writers fill
    # {page} and {pages} with their own page fields.
    header: str  # "Fax to +49 30 4700 7125"
    page_label: str  # "Page {page} of {pages}"

    # The fax cover sheet, when asked for: (label, value) rows, To, Fax, From, Date, Pages, Re; a
    # value may hold several lines. The Pages value holds {pages}, which writers fill with the
    # page count including the cover. () for no cover.
    cover: tuple[tuple[str, str], ...] = ()
    cover_title: str = ""  # "Fax", the cover's heading

    # A joint letter (batch --joint): one letter signed by many. The heading and one line per
    # signatory ("Maria Lopez, Union A, Madrid"), listed after the signature. () otherwise.
    signatories_heading: str = ""
    signatories: tuple[str, ...] = ()

    # A letter a supporter signs under her own letterhead: `sender` and the place on the date
    # line are hers, so they are stamped in with the signature (render/stamp.py), and
    # `replies` may give the campaign's sender as a contact ("Replies may also be sent to …").
    signer_letterhead: bool = False
    replies: str = ""

    # Document properties.
    locale: str = ""  # BCP 47 tag for spelling and dates, e.g. "en-GB" (default: `language`)
    title: str = ""
    author: str = ""

    def header_parts(self) -> list[tuple[str, str]]:
        """The running header as pieces for a writer: ("text", "Fax to … · Page "),
        ("field", "page"), ("text", " of "), ("field", "pages") — from `header` and the
        {page} / {pages} placeholders of `page_label`. Each writer turns fields into its own
        page numbers (CSS counters, Word's PAGE and NUMPAGES)."""
        parts: list[tuple[str, str]] = [
            ("text", f"{self.header} · " if self.page_label else self.header)
        ]
        rest = self.page_label
        while rest:
            found = {key: rest.find("{" + key + "}") for key in ("page", "pages")}
            found = {key: at for key, at in found.items() if at >= 0}
            if not found:
                parts.append(("text", rest))
                break
            key = min(found, key=lambda k: found[k])
            before, rest = rest[: found[key]], rest[found[key] + len(key) + 2 :]
            if before:
                parts.append(("text", before))
            parts.append(("field", key))
        # One piece per run of text: "Fax to … · Page ", not "Fax to … · " and "Page ".
        merged: list[tuple[str, str]] = []
        for kind, value in parts:
            if merged and kind == "text" == merged[-1][0]:
                merged[-1] = ("text", merged[-1][1] + value)
            else:
                merged.append((kind, value))
        return merged

    @property
    def demands(self) -> list[str]:
        for block in self.body:
            if isinstance(block, ListBlock) and block.role == "demands":
                return block.texts
        return []

    def plain_text(self) -> str:
        """All the words of the letter in reading order, for checks and content hashes."""
        parts = [
            *self.sender,
            *self.addressee,
            self.date,
            self.fax_notice,
            self.subject,
            self.salutation,
        ]
        for block in self.body:
            parts.extend([block.text] if isinstance(block, Paragraph) else block.texts)
        parts.extend([self.closing, *self.signature, self.replies])
        parts.extend([self.signatories_heading, *self.signatories])
        return "\n".join(p for p in parts if p)
