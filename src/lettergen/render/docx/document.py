"""A letter's DOCX: the base document of its variant, then the letter's own words.

What does not depend on a letter's words (styles, numbering, settings, page setup, the header
part) is built once per variant (page size, language, direction, with or without a cover sheet)
and copied for each letter; the bytes are those of a document built from scratch
(render_docx(…, cached=False)).
"""

from __future__ import annotations

import copy
import dataclasses
import io
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from PIL import ImageFont

from lettergen.compose.letter import Letter, ListBlock, Paragraph, Run, Runs
from lettergen.errors import LettergenError, RenderError
from lettergen.render.docx.layout import MM_PER_PT, Layout, layout
from lettergen.render.docx.ooxml import (
    COMPLEX_SCRIPT_FONT,
    FONT,
    PPR_ORDER,
    SECTPR_ORDER,
    clean_package,
    core_properties,
    field,
    fixed_zip,
    insert,
    set_size,
    toggle,
    word_settings,
    zip_entries,
)
from lettergen.render.docx.styles import (
    add_numbering,
    add_styles,
    page_setup,
    restarted_num,
    set_num,
    table_properties,
)
from lettergen.render.fonts import faces
from lettergen.render.pdf import page_count

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph as DocxParagraph

#: The metrics Word and LibreOffice set a font with: the files the PDF embeds.
METRIC_FAMILIES = {FONT: "Liberation Sans"}
#: Added to the widest cover label, so rounding in an office suite never wraps it.
LABEL_SLACK_MM = 0.5


@dataclass(frozen=True)
class RenderedDocx:
    letter: Letter
    data: bytes
    pages: int | None = None  # None: not laid out here; the batch takes the PDF's count
    pages_source: str = "estimate"


def render_docx(
    letter: Letter,
    templates: Path | None = None,
    *,
    cached: bool = True,
    pages: int | None = None,
    fit: int | None = None,
) -> RenderedDocx:
    """One letter as DOCX bytes, laid out as letter.css lays out the PDF; raises RenderError if
    it cannot be written.

    By default the letter starts from a copy of its variant's base document (see
    render_docxs), which is built once per process. `cached=False` builds the whole document
    from scratch with python-docx and saves it, as a standalone script would: the bytes are the
    same either way.

    `fit`: the setting of the letter's PDF (render.pdf.letter_fit; found here if not given).
    `pages`: the letter's page count (its PDF's), stored as the result of its NUMPAGES fields.
    A letter with a cover sheet shows it as "Pages: N", so without `pages` it is counted here
    from the PDF's layout (nothing is written); other letters store "1" and leave the count to
    the office suite, which updates the running header's fields as it lays out the pages."""
    if fit is None:
        # The setting the letter's PDF takes (a tighter one where that keeps it on one page):
        # the document is set alike, so Word and LibreOffice break its pages where the PDF does.
        # Imported here: it loads WeasyPrint, which a DOCX given its fit never needs.
        from lettergen.render.pdf import letter_fit

        fit = letter_fit(letter, templates)
    page = layout(letter.page_size, templates, fit)
    if pages is None and letter.cover:
        pages = page_count(letter, templates)
    try:
        if cached:
            data = _cached_base(
                page, letter.locale or letter.language, letter.direction, bool(letter.cover)
            ).render(letter, page, pages)
        else:
            base = _base(
                page, letter.locale or letter.language, letter.direction, bool(letter.cover)
            )
            _letter(base, letter, page, pages)
            buffer = io.BytesIO()
            base.document.save(buffer)
            data = fixed_zip(buffer.getvalue())
    except LettergenError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds; report which letter failed
        raise RenderError(
            f"could not write the DOCX: {exc}", hint=f"office {letter.office_id}"
        ) from exc
    return RenderedDocx(letter, data, pages if letter.cover else None)


def render_docxs(
    letters: Iterable[Letter], templates: Path | None = None
) -> Iterator[RenderedDocx]:
    """Many letters as DOCX, in order; raises RenderError for a letter that cannot be written.

    What does not depend on a letter's words — styles, numbering, settings, page setup and the
    header part — is built once per variant (page size, language, direction, with or without a
    cover sheet) and kept for the process; each letter starts from a copy of it and adds its own
    content, header text and properties. Each letter's bytes are those render_docx(letter,
    cached=False) gives, whatever the order of the letters."""
    for letter in letters:
        yield render_docx(letter, templates)


def word_language(locale: str) -> str:
    """The tag Word's proofing tools know for a letter's locale (`Letter.locale`, "en-GB"),
    with a hyphen: composition has already chosen it from the language's strings.yaml."""
    return locale.replace("_", "-")


#: Word's fields for the page numbers of Letter.header_parts().
FIELDS = {"page": "PAGE", "pages": "NUMPAGES"}


def header_parts(letter: Letter) -> list[tuple[str, str]]:
    """The running header as ("text", …) and ("field", "PAGE" / "NUMPAGES") pieces."""
    return [
        (kind, FIELDS[value] if kind == "field" else value) for kind, value in letter.header_parts()
    ]


# --- the document -------------------------------------------------------------------------------


@dataclass
class _Base:
    """A letter's document before its words: what every letter of a variant shares."""

    document: Document
    lang: str  # the Word language tag
    rtl: bool
    styles: dict[str, str | None]  # paragraph style name → w:pStyle value (None: the default)
    bullets: str  # numId of "List Bullet"
    numbers: str  # numId of "List Number"'s own list (the first numbered list)
    number_abstract: int  # abstractNumId of later numbered lists, which restart at 1


def _base(page: Layout, language: str, direction: str, cover: bool) -> _Base:
    """The document of every letter of a variant, before the letter's words: the package,
    settings, styles, numbering, page setup and the (empty) running header."""

    document = docx.Document()
    clean_package(document)
    lang = word_language(language)
    word_settings(document, lang)
    styles = add_styles(document, page, lang, direction, cover)
    bullets, numbers, number_abstract = add_numbering(document, page)
    page_setup(document, page)
    # The running header of the first section; a cover sheet takes it over (see _cover).
    header = document.sections[0].header
    header.is_linked_to_previous = False
    header.paragraphs[0]._p.style = styles["Header"]
    return _Base(document, lang, direction == "rtl", styles, bullets, numbers, number_abstract)


def _letter(base: _Base, letter: Letter, page: Layout, pages: int | None = None) -> None:
    """Add a letter's words to its base document: cover sheet, addressee and sender, body,
    closing, header text and document properties."""

    document, styles, rtl = base.document, base.styles, base.rtl
    body = document._body._body  # the w:body element; the base's body holds only sectPr

    if letter.cover:
        _cover(document, styles, letter, page, rtl, pages)

    # Addressee (where a window envelope shows it) and sender side by side.
    sender_mm = page.text_width_mm * page.sender_share
    addressee_mm = page.text_width_mm - sender_mm
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table_properties(table, rtl, padding_mm=(0.0, page.head_gap_mm))
    for column, width in zip(table.columns, (addressee_mm, sender_mm), strict=True):
        column.width = Mm(width)
    addressee_cell, sender_cell = table.rows[0].cells
    addressee_cell.width, sender_cell.width = Mm(addressee_mm), Mm(sender_mm)
    _fill_cell(addressee_cell, styles, [(line, "Addressee") for line in letter.addressee], rtl)
    sender_lines = [
        (line, "Sender Name" if i == 0 else "Sender") for i, line in enumerate(letter.sender)
    ]
    if letter.date:
        sender_lines.append((letter.date, "Date"))
    _fill_cell(sender_cell, styles, sender_lines, rtl)

    def paragraph(style: str, runs: Runs | str = "") -> DocxParagraph:
        p = document.add_paragraph()
        p._p.style = styles[style]  # by id: python-docx's lookup by name scans every style
        _add_runs(p, runs, rtl)
        return p

    numbered_lists = 0

    def numbers() -> str:
        # The first numbered list uses the style's own numbering; later ones restart at 1.
        nonlocal numbered_lists
        numbered_lists += 1
        if numbered_lists == 1:
            return base.numbers
        return restarted_num(document, base.number_abstract)

    if letter.fax_notice:
        paragraph("Fax Notice", letter.fax_notice)
    if letter.subject:
        paragraph("Subject", letter.subject)
    if letter.salutation:
        paragraph("Salutation", letter.salutation)
    last = None
    for block in letter.body:
        if isinstance(block, Paragraph):
            last = paragraph("Normal", block.runs)
        elif isinstance(block, ListBlock) and block.items:
            style = "List Number" if block.ordered else "List Bullet"
            num_id = numbers() if block.ordered else base.bullets
            items = [paragraph(style, item) for item in block.items]
            for item in items:
                if block.ordered:
                    set_num(item, num_id)
            # The list's own gap to what follows (letter.css: ul margin, collapsed with li's).
            items[-1].paragraph_format.space_after = Mm(max(page.list_after_mm, page.item_after_mm))
            last = items[-1]
    if last is not None and letter.closing:
        # The closing never stands alone on a page: the last paragraph comes along, as in
        # letter.css (.body > :last-child { break-after: avoid }).
        last.paragraph_format.keep_with_next = True
    if letter.closing:
        paragraph("Closing", letter.closing)
    for i, line in enumerate(letter.signature):
        paragraph("Signer" if i == 0 else "Signature", line)
    if letter.replies:
        paragraph("Replies", letter.replies)
    if letter.signatories:
        heading = paragraph("Signatories Heading", letter.signatories_heading)
        long = len(letter.signatories) > LONG_LIST
        if long:
            _columns_after(document, heading, page)
        num_id = numbers()
        indent = Mm(page.signatories_indent_mm[long])
        for line in letter.signatories:
            item = paragraph("Signatory", line)
            set_num(item, num_id)
            # The number hangs in the indent, as in the PDF (the list style's is for 11 pt).
            item.paragraph_format.left_indent = indent
            item.paragraph_format.first_line_indent = -indent

    # The section properties stay last in the body (add_paragraph inserts before them).
    assert body[-1].tag.endswith("}sectPr")
    _header(document, letter, rtl, pages)
    core_properties(document, letter, base.lang)


class _CachedBase:
    """A variant's base document, built and saved once. A letter's render swaps fresh copies of
    the base's XML into the parts a letter changes (document body, header, numbering — a
    letter's later numbered lists restart — and core properties), serializes just those, and
    takes every other entry of the package as the base's saved bytes. A lock keeps threads
    from sharing the swap."""

    def __init__(self, page: Layout, language: str, direction: str, cover: bool) -> None:
        self.base = _base(page, language, direction, cover)
        document = self.base.document
        package = document.part.package
        core_part = next(
            rel.target_part
            for rel in package.rels.values()
            if rel.reltype.endswith("/core-properties")
        )
        self.parts = [
            document.part,
            document.sections[0].header.part,
            document.part.numbering_part,
            core_part,
        ]
        buffer = io.BytesIO()
        document.save(buffer)
        with zipfile.ZipFile(buffer) as saved:
            self.entries = [(name, saved.read(name)) for name in saved.namelist()]
        self.lock = threading.Lock()

    def render(self, letter: Letter, page: Layout, pages: int | None = None) -> bytes:

        parts = self.parts
        with self.lock:
            originals = [part._element for part in parts]
            try:
                for part, element in zip(parts, originals, strict=True):
                    part._element = copy.deepcopy(element)
                # A python-docx Document of the fresh copy of the body.
                document = self.base.document.part.document
                base = dataclasses.replace(self.base, document=document)
                _letter(base, letter, page, pages)
                blobs = {part.partname.membername: part.blob for part in parts}
            finally:
                for part, element in zip(parts, originals, strict=True):
                    part._element = element
        unknown = blobs.keys() - {name for name, _ in self.entries}
        assert not unknown, f"parts missing from the base package: {sorted(unknown)}"
        return zip_entries((name, blobs.get(name, blob)) for name, blob in self.entries)


@lru_cache(maxsize=64)
def _cached_base(page: Layout, language: str, direction: str, cover: bool) -> _CachedBase:
    return _CachedBase(page, language, direction, cover)


def _add_runs(paragraph: DocxParagraph, runs: Runs | str, rtl: bool) -> None:

    for run in (Run(runs),) if isinstance(runs, str) else runs:
        if not run.text:
            continue
        r = paragraph.add_run(run.text)  # "\n" becomes a line break, as <br> in the PDF
        rpr = r._r.get_or_add_rPr()
        if run.bold:
            toggle(rpr, "b")
            toggle(rpr, "bCs")
        if run.italic:
            toggle(rpr, "i")
            toggle(rpr, "iCs")
        if rtl:
            toggle(rpr, "rtl")
        if not len(rpr):
            r._r.remove(rpr)


def _fill_cell(
    cell: Any, styles: dict[str, str | None], lines: list[tuple[str, str]], rtl: bool
) -> None:
    """The cell's own first paragraph takes the first line: no empty paragraph is left over."""
    first = True
    for text, style in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        p._p.style = styles[style]
        _add_runs(p, text, rtl)
        first = False


def _cover(
    document: Document,
    styles: dict[str, str | None],
    letter: Letter,
    page: Layout,
    rtl: bool,
    pages: int | None,
) -> None:
    """The fax cover sheet, as .cover in letter.css: the title, then one table row per (label,
    value) with a rule below, the labels as wide as the widest. It is a section of its own, so
    the letter starts on the next page with nothing above it; the letter's section inherits the
    running header. {pages} is a NUMPAGES field: the count includes the cover and stays right
    after any edit; its stored result is `pages`, right before any field update too."""

    if letter.cover_title:
        title = document.add_paragraph()
        title._p.style = styles["Cover Title"]
        _add_runs(title, letter.cover_title, rtl)

    # The label column fits the widest label (letter.css: width 1%, nowrap), plus its padding.
    widest = max(
        _text_width_mm(label, page.cover_pt, page.cover_label_bold, letter.direction)
        for label, _ in letter.cover
    )
    label_mm = min(widest + page.cover_label_gap_mm + LABEL_SLACK_MM, page.text_width_mm / 2)
    widths = (label_mm, page.text_width_mm - label_mm)
    table = document.add_table(rows=len(letter.cover), cols=2)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table_properties(table, rtl, padding_mm=page.cover_padding_mm, rule_pt=page.cover_rule_pt)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for row, (label, value) in zip(table.rows, letter.cover, strict=True):
        label_cell, value_cell = row.cells
        label_cell.width, value_cell.width = Mm(widths[0]), Mm(widths[1])
        label_paragraph, value_paragraph = label_cell.paragraphs[0], value_cell.paragraphs[0]
        label_paragraph._p.style = styles["Cover Label"]
        value_paragraph._p.style = styles["Cover Value"]
        _add_runs(label_paragraph, label, rtl)
        before, found, after = value.partition("{pages}")
        _add_runs(value_paragraph, before, rtl)
        if found:
            field(value_paragraph, "NUMPAGES", rtl, str(pages or 1))
        _add_runs(value_paragraph, after, rtl)

    # The section break: a paragraph after the table (Word needs one) that holds the cover's
    # section properties, a copy of the letter's; its mark is a point high, so it never spills.
    end = document.add_paragraph()
    fmt = end.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(1)
    ppr = end._p.get_or_add_pPr()
    mark = OxmlElement("w:rPr")
    set_size(mark, 1)
    insert(ppr, mark, PPR_ORDER)
    sect_pr = document.element.body.sectPr
    insert(ppr, copy.deepcopy(sect_pr), PPR_ORDER)
    # The base put the running header on the one section there was; it is the cover's now.
    for reference in sect_pr.findall(qn("w:headerReference")):
        sect_pr.remove(reference)


def _text_width_mm(text: str, points: float, bold: bool, direction: str) -> float:
    """How wide one line of text is set: measured (and shaped) with the font files the PDF
    embeds, Liberation Sans for Arial; right-to-left runs are set in the complex-script font."""
    family = COMPLEX_SCRIPT_FONT[direction] if direction == "rtl" else FONT
    font = _font_file(METRIC_FAMILIES.get(family, family), bold)
    if font is None:  # the font is not installed: an average letter width
        return len(text) * 0.6 * points * MM_PER_PT
    return _measure(font, text) * points * MM_PER_PT


@cache
def _font_file(family: str, bold: bool) -> Path | None:

    try:
        found = {face.weight: face.path for face in faces(family) if face.style == "normal"}
    except RenderError:
        return None
    return found.get("bold" if bold else "normal", found.get("normal"))


@cache
def _measure(path: Path, text: str) -> float:
    """The advance of text in em."""

    return ImageFont.truetype(str(path), 1000).getlength(text) / 1000


#: Signatories from which the list is set in two columns (letter.html.j2: class "long").
LONG_LIST = 24


def _columns_after(document: Document, paragraph: DocxParagraph, page: Layout) -> None:
    """Everything after `paragraph` in two columns: a continuous section break at its end.

    Word keeps a section's properties at the section's end, so the letter's own properties
    (page size, margins, header) move into the paragraph's mark, and the document's last
    properties become the list's: the same page, continuous, two columns, header inherited."""
    last = document.element.body[-1]
    letter_section = copy.deepcopy(last)
    insert(paragraph._p.get_or_add_pPr(), letter_section, PPR_ORDER)
    for reference in last.findall(qn("w:headerReference")) + last.findall(qn("w:footerReference")):
        last.remove(reference)
    insert(last, OxmlElement("w:type", {qn("w:val"): "continuous"}), SECTPR_ORDER)
    gap = str(round(Mm(page.signatories_gap_mm).twips))
    insert(last, OxmlElement("w:cols", {qn("w:num"): "2", qn("w:space"): gap}), SECTPR_ORDER)


def _header(document: Document, letter: Letter, rtl: bool, pages: int | None) -> None:
    # The first section: the cover's, when there is one; the letter's section inherits it. Its
    # header part and paragraph style come with the base document (see _base).
    p = document.sections[0].header.paragraphs[0]
    for kind, value in header_parts(letter):
        if kind == "text":
            _add_runs(p, value, rtl)
        else:
            field(p, value, rtl, str(pages) if pages and value == "NUMPAGES" else "1")
