"""A print batch for post: letters in envelope order, each behind an address sheet laid out for
a window envelope, and the list a post office takes the letters in with.

The address sheet follows DIN 5008 form B, which fits the window of both a DL envelope (the
A4 sheet folded in three, Z-fold, at the fold marks: 105 and 210 mm) and a C5 (folded once) —
DL and C5/6 windows sit 20 mm from the left edge, 45 mm from the top of the sheet, 90 × 45 mm:

    the window 20 mm from the left, 90 mm wide; the text 25 mm from the left (DIN 5008's margin)
    45 – 50.5 mm   the return address, one small line (it shows through the window)
    50.5 – 90 mm   the recipient: addressee, street, town, COUNTRY in capitals, last

Printed single-sided, in the order of the file: each sheet then lies on its letter, so the
piles can be folded and put into envelopes one after the other, and the envelopes are in the
list's order. Envelope order is by destination country, then town, then office: what a post
office sorts by.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettergen.util import spreadsheet
from lettergen.util.files import atomic_write

#: The window area of a DL/C5 window envelope on the A4 sheet (DIN 5008 form B), in mm from the
#: sheet's top left corner: (left, top, right, bottom).
WINDOW_MM = (20.0, 45.0, 110.0, 90.0)
RETURN_TOP_MM = 46.0
RECIPIENT_TOP_MM = 52.0
TEXT_LEFT_MM = 25.0  # DIN 5008's left margin: 5 mm inside the window's edge
SHEET_GRAMS = 5.0  # A4, 80 g/m²
ENVELOPE_GRAMS = 5.0
DL_SHEETS = 5  # more than this and a DL envelope will not close: use C5
LIST_FIELDS = (
    "envelope",
    "envelope_size",
    "addressee",
    "address",
    "country",
    "sheets",
    "grams",
    "reference",
    "file",
)


@dataclass(frozen=True)
class PostLetter:
    """One letter for post: the recipient's lines (addressee first, the country last), the
    letter's PDF and our reference (printed small on the sheet and in the list)."""

    reference: str
    recipient: tuple[str, ...]
    country: str  # ISO code, for the order
    letter: Path
    pages: int
    town: str = ""

    @property
    def sheets(self) -> int:
        return self.pages + 1  # the address sheet, and the letter printed single-sided

    @property
    def grams(self) -> float:
        return ENVELOPE_GRAMS + SHEET_GRAMS * self.sheets

    @property
    def envelope(self) -> str:
        return "DL" if self.sheets <= DL_SHEETS else "C5"


#: The return line's length that fits the window at its type size.
RETURN_CHARACTERS = 66


def return_line(sender: str, limit: int = RETURN_CHARACTERS) -> str:
    """The sender as one line that fits the window: "name, street, town, country" with parts
    after the name left out, from the street on, until it fits."""
    parts = [p.strip() for p in sender.split(",") if p.strip()]
    while len(", ".join(parts)) > limit and len(parts) > 2:
        del parts[1]
    line = ", ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def envelope_order(letters: Iterable[PostLetter]) -> list[PostLetter]:
    return sorted(
        letters, key=lambda p: (p.recipient[-1].casefold(), p.town.casefold(), p.reference)
    )


def sheets_html(letters: Sequence[PostLetter], sender: str) -> str:
    """The address sheets, one page each; every value is escaped text."""
    e = html.escape
    _, _, right, bottom = WINDOW_MM
    left = TEXT_LEFT_MM
    pages = []
    for number, letter in enumerate(letters, start=1):
        lines = "".join(f"<div>{e(line)}</div>" for line in letter.recipient)
        pages.append(
            f"""<section class="sheet">
<div class="fold" style="top: 105mm"></div><div class="fold" style="top: 210mm"></div>
<div class="punch"></div>
<div class="return">{e(return_line(sender))}</div>
<div class="recipient">{lines}</div>
<div class="ref">{e(letter.reference)} · {number}/{len(letters)} ·
{letter.pages} p.</div>
</section>"""
        )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 0; }}
body {{ margin: 0; font-family: "DejaVu Sans", sans-serif; color: #000; }}
.sheet {{ position: relative; width: 210mm; height: 297mm; page-break-after: always; }}
.sheet:last-child {{ page-break-after: auto; }}
.fold {{ position: absolute; left: 4mm; width: 5mm; border-top: 0.3pt solid #000; }}
.punch {{ position: absolute; left: 4mm; top: 148.5mm; width: 8mm;
  border-top: 0.3pt solid #000; }}
.return {{ position: absolute; left: {left}mm; top: {RETURN_TOP_MM}mm;
  width: {right - left - 5}mm; font-size: 6pt; white-space: nowrap; overflow: hidden;
  text-decoration: underline; }}
.recipient {{ position: absolute; left: {left}mm; top: {RECIPIENT_TOP_MM}mm;
  width: {right - left - 5}mm; max-height: {bottom - RECIPIENT_TOP_MM - 1}mm;
  font-size: 10pt; line-height: 1.2; overflow: hidden; }}
.ref {{ position: absolute; left: {left}mm; top: 280mm; font-size: 6.5pt; color: #444; }}
</style></head><body>{"".join(pages)}</body></html>"""


def list_csv(letters: Sequence[PostLetter], folder: Path) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LIST_FIELDS, lineterminator="\n")
    writer.writeheader()
    for number, letter in enumerate(letters, start=1):
        writer.writerow(
            spreadsheet.record(
                {
                    "envelope": number,
                    "envelope_size": letter.envelope,
                    "addressee": letter.recipient[0],
                    "address": "; ".join(letter.recipient[1:]),
                    "country": letter.country,
                    "sheets": letter.sheets,
                    "grams": f"{letter.grams:.0f}",
                    "reference": letter.reference,
                    "file": _relative(letter.letter, folder),
                }
            )
        )
    return buffer.getvalue()


def list_html(letters: Sequence[PostLetter], title: str, sender: str) -> str:
    """The posting list: one row per envelope, in the batch's order, with a total."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{n}</td><td>{e(p.recipient[0])}<br><small>{e(', '.join(p.recipient[1:]))}"
        f"</small></td><td>{e(p.country)}</td><td>{p.envelope}</td><td>{p.grams:.0f} g</td>"
        f"<td><small>{e(p.reference)}</small></td></tr>"
        for n, p in enumerate(letters, start=1)
    )
    grams = sum(p.grams for p in letters)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 0.3pt solid #888; padding: 1mm; text-align: left; vertical-align: top; }}
</style></head><body>
<h1 style="font-size: 13pt">Posting list: {e(title)}</h1>
<p>Sender: {e(sender)}. {len(letters)} letters, about {grams:.0f} g in all.</p>
<table><tr><th>No.</th><th>Recipient</th><th>Country</th><th>Envelope</th><th>Weight</th>
<th>Reference</th></tr>{rows}</table></body></html>"""


def write_print_batch(
    letters: Iterable[PostLetter], pdf: Path, sender: str, title: str
) -> list[PostLetter]:
    """`pdf` (address sheets and letters, in envelope order), beside it `<stem>-list.csv` and
    `<stem>-list.pdf`; each file whole or not at all, the list CSV last (it is what says that
    a letter is in the batch). The letters in the order written."""
    import pikepdf

    ordered = envelope_order(letters)
    if not ordered:
        return []
    sheets = pikepdf.open(io.BytesIO(_pdf(sheets_html(ordered, sender))))
    out = pikepdf.new()
    opened: list[Any] = [sheets]
    try:
        for index, letter in enumerate(ordered):
            out.pages.append(sheets.pages[index])
            source = pikepdf.open(letter.letter)
            opened.append(source)
            out.pages.extend(source.pages)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
    finally:
        for document in opened:
            document.close()
    atomic_write(pdf, buffer.getvalue())
    stem = pdf.with_suffix("")
    atomic_write(Path(f"{stem}-list.pdf"), _pdf(list_html(ordered, title, sender)))
    atomic_write(Path(f"{stem}-list.csv"), list_csv(ordered, pdf.parent.parent))
    return ordered


def _pdf(document: str) -> bytes:
    import weasyprint

    def refuse(url: str, *_: Any, **__: Any) -> Any:
        raise ValueError(f"the print batch reads no URL: {url}")

    data: bytes = weasyprint.HTML(string=document, url_fetcher=refuse).write_pdf()
    return data


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)
