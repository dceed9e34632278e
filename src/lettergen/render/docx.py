"""Letter → editable DOCX with python-docx.

The second writer of the one content model: every word comes from the composed Letter, and every
measure (margins, font sizes, line height, spacing, column widths) is read from the PDF's own
letter_templates/layout/letter.css, so the two layouts cannot drift apart. A supporter who opens
the DOCX sees the letter the PDF shows and can edit it naturally:

- Paragraph styles carry the layout ("Addressee", "Sender", "Date", "Fax Notice", "Subject",
  "Salutation", Normal for the body, the built-in "List Bullet"/"List Number" for lists, "Closing",
  "Signer", "Signature"); runs carry only the campaign's own bold and italic.
- Addressee and sender sit side by side in a borderless one-row table, as Word's own letter
  templates do: each column wraps on its own, which tab stops cannot do once a line wraps.
- The running header holds the destination fax and real PAGE and NUMPAGES fields, so Word and
  LibreOffice keep "Page 1 of 2" right after any edit.
- Fonts are named, not embedded: Arial, which Word has and which LibreOffice replaces with the
  metric-compatible Liberation Sans that the PDF embeds, so line breaks and page counts agree.
  Right-to-left letters name Noto Naskh Arabic as the complex-script font, as the PDF does.
- The bytes are deterministic: fixed document dates and fixed ZIP entry dates.
- What does not depend on a letter's words (styles, numbering, settings, page setup, the header
  part) is built once per variant and copied for each letter; the bytes are those of a
  document built from scratch (render_docx(…, cached=False)).

Page count: the DOCX is not laid out here (LibreOffice takes seconds per letter), so `pages` is
None and the batch records the page count of the PDF of the same letter as an "estimate"; the
tests check that LibreOffice's layout of the DOCX agrees with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen import paths
from lettergen.errors import LettergenError, Place, RenderError
from lettergen.letter import Letter, ListBlock, Paragraph, Runs

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph as DocxParagraph

#: Latin text: Arial (Word) = Liberation Sans (LibreOffice's substitute, the PDF's font).
FONT = "Arial"
#: Complex-script text (Arabic …), by direction, as in render/pdf.py's FONTS.
COMPLEX_SCRIPT_FONT = {"ltr": FONT, "rtl": "Noto Naskh Arabic"}

PAGE_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: The metrics Word and LibreOffice set a font with: the files the PDF embeds.
METRIC_FAMILIES = {FONT: "Liberation Sans"}
#: Added to the widest cover label, so rounding in an office suite never wraps it.
LABEL_SLACK_MM = 0.5
#: Where "•" and "1." hang left of a list item's text (the PDF's markers sit just before it).
BULLET_HANG_MM, NUMBER_HANG_MM = 2.5, 5.0

#: Document and ZIP entry dates: fixed, so the same letter gives the same bytes. 1980-01-01 is
#: the earliest date a ZIP entry can carry.
FIXED_TIME = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)

# Parts of python-docx's default template a letter does not need: a stale preview picture,
# sample custom XML and Word 2010's duplicate style sheet.
_DROPPED_PACKAGE_RELS = ("/metadata/thumbnail",)
_DROPPED_DOCUMENT_RELS = ("/customXml", "/stylesWithEffects")

_APP_XML = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>lettergen</Application><DocSecurity>0</DocSecurity></Properties>"
)


# --- the layout, read from letter.css ------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The measures of letter.css that a Word document can express, in mm and pt: the PDF's
    layout is the one source, so a change to letter.css changes both writers."""

    page_mm: tuple[float, float]
    margins_mm: tuple[float, float, float, float]  # top, right, bottom, left
    header_mm: float  # page top edge → top of the running header's line
    header_pt: float
    body_pt: float
    line_height: float  # a multiple of the font size (Word: a minimum line pitch)
    addressee_share: float  # of the text width
    sender_share: float
    sender_pt: float
    sender_name_bold: bool
    head_gap_mm: float  # below the addressee and sender block
    date_pt: float
    date_before_mm: float
    notice_pt: float
    notice_italic: bool
    notice_rule_pt: float
    notice_padding_mm: float
    notice_after_mm: float
    subject_bold: bool
    subject_after_mm: float
    salutation_after_mm: float
    paragraph_after_mm: float
    list_after_mm: float
    list_indent_mm: float
    item_after_mm: float
    closing_before_mm: float
    signature_space_mm: float
    signer_bold: bool
    # The fax cover sheet (.cover): its own page, in large type.
    cover_pt: float
    cover_line_height: float
    cover_title_pt: float
    cover_title_bold: bool
    cover_title_after_mm: float
    cover_label_bold: bool
    cover_label_gap_mm: float  # label column's end padding
    cover_padding_mm: tuple[float, float]  # above and below each row's text
    cover_rule_pt: float  # below each row

    @property
    def text_width_mm(self) -> float:
        return self.page_mm[0] - self.margins_mm[1] - self.margins_mm[3]


def layout(page_size: str, templates: Path | None = None) -> Layout:
    """The layout of a page size, from letter_templates/layout/letter.css."""
    return _layout((templates or paths.templates_dir()).resolve(), page_size)


@cache
def _layout(templates: Path, page_size: str) -> Layout:
    path = templates / "layout" / "letter.css"
    try:
        rules = _css_rules(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RenderError(f"cannot read the page layout: {exc}", Place(path)) from exc

    def get(selector: str, prop: str) -> str:
        value = rules.get(selector, {}).get(prop)
        if value is None:
            raise RenderError(
                f"'{selector} {{ {prop}: … }}' is missing",
                Place(path),
                hint="the DOCX writer reads it",
            )
        return value

    def box(selector: str, prop: str, side: int) -> float:
        """One side (top, right, bottom, left) of a margin or padding, longhand or shorthand."""
        longhand = rules.get(selector, {}).get(f"{prop}-{('top', 'right', 'bottom', 'left')[side]}")
        if longhand is not None:
            return _mm(longhand, path)
        values = get(selector, prop).split()
        values = {1: values * 4, 2: values * 2, 3: [*values, values[1]], 4: values}.get(
            len(values), values
        )
        return _mm(values[side], path)

    def share(selector: str) -> float:
        percent = [v for v in get(selector, "width").split() if v.endswith("%")]
        if not percent:
            raise RenderError(f"'{selector}' needs a width in %", Place(path))
        return float(percent[0][:-1]) / 100

    def pt(selector: str, default: float | None = None) -> float:
        value = rules.get(selector, {}).get("font-size")
        return (
            default
            if value is None and default is not None
            else _mm(get(selector, "font-size"), path) / MM_PER_PT
        )

    def has(selector: str, prop: str, value: str) -> bool:
        return rules.get(selector, {}).get(prop) == value

    paper = "@page letter-paper" if page_size == "Letter" else "@page"
    margins = [box("@page", "margin", side) for side in range(4)]
    for side, name in enumerate(("top", "right", "bottom", "left")):
        if f"margin-{name}" in rules.get(paper, {}) and paper != "@page":
            margins[side] = _mm(rules[paper][f"margin-{name}"], path)
    body_pt = pt("html")
    line_height = float(get("html", "line-height"))
    header_pt = pt("@page @top-left", body_pt)
    header_mm = (
        margins[0] - box("@page @top-left", "padding", 2) - header_pt * line_height * MM_PER_PT
    )
    return Layout(
        page_mm=PAGE_MM[page_size],
        margins_mm=(margins[0], margins[1], margins[2], margins[3]),
        header_mm=header_mm,
        header_pt=header_pt,
        body_pt=body_pt,
        line_height=line_height,
        addressee_share=share(".addressee"),
        sender_share=share(".sender"),
        sender_pt=pt(".sender", body_pt),
        sender_name_bold=has(".sender .name", "font-weight", "bold"),
        head_gap_mm=box(".head", "margin", 2),
        date_pt=pt(".date", body_pt),
        date_before_mm=box(".date", "margin", 0),
        notice_pt=pt(".fax-notice", body_pt),
        notice_italic=has(".fax-notice", "font-style", "italic"),
        notice_rule_pt=_mm(get(".fax-notice", "border-top").split()[0], path) / MM_PER_PT,
        notice_padding_mm=box(".fax-notice", "padding", 0),
        notice_after_mm=box(".fax-notice", "margin", 2),
        subject_bold=has(".subject", "font-weight", "bold"),
        subject_after_mm=box(".subject", "margin", 2),
        salutation_after_mm=box(".salutation", "margin", 2),
        paragraph_after_mm=box(".body p", "margin", 2),
        list_after_mm=box(".body ul", "margin", 2),
        list_indent_mm=_mm(get(".body ul", "padding-inline-start"), path),
        item_after_mm=box(".body li", "margin", 2),
        closing_before_mm=box(".closing", "margin", 0),
        signature_space_mm=_mm(get(".closing .signature-space", "height"), path),
        signer_bold=has(".closing .signer", "font-weight", "bold"),
        cover_pt=pt(".cover"),
        cover_line_height=float(get(".cover", "line-height")),
        cover_title_pt=pt(".cover h1"),
        # h1 and th are bold unless letter.css says otherwise (the browser's own style).
        cover_title_bold=not has(".cover h1", "font-weight", "normal"),
        cover_title_after_mm=box(".cover h1", "margin", 2),
        cover_label_bold=not has(".cover th", "font-weight", "normal"),
        cover_label_gap_mm=_mm(get(".cover th", "padding-inline-end"), path),
        cover_padding_mm=(box(".cover td", "padding", 0), box(".cover td", "padding", 2)),
        cover_rule_pt=_mm(get(".cover tr", "border-bottom").split()[0], path) / MM_PER_PT,
    )


MM_PER_PT = 25.4 / 72
_UNITS_MM = {
    "mm": 1.0,
    "cm": 10.0,
    "in": 25.4,
    "pt": MM_PER_PT,
    "pc": 12 * MM_PER_PT,
    "px": 25.4 / 96,
}


def _mm(value: str, path: Path) -> float:
    match = re.fullmatch(r"(-?[\d.]+)([a-z]*)", value.strip())
    if match and (match[2] in _UNITS_MM or (match[2] == "" and float(match[1]) == 0)):
        return float(match[1]) * _UNITS_MM.get(match[2], 0.0)
    raise RenderError(f"cannot read the length {value!r}", Place(path), hint="use mm, pt, cm or in")


def _css_rules(css: str) -> dict[str, dict[str, str]]:
    """letter.css as {selector: {property: value}}, a nested rule keyed by both preludes
    ("@page @top-left"); a selector list gives each selector the declarations. Enough CSS for
    our own layout file, not a general parser."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, str]] = {}

    def parse(text: str, outer: str) -> None:
        position = 0
        while True:
            brace = text.find("{", position)
            if brace < 0:
                return
            prelude = " ".join(text[position:brace].split(";")[-1].split())
            depth, end = 1, brace + 1
            while depth and end < len(text):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            block = text[brace + 1 : end - 1]
            for selector in prelude.split(","):
                name = " ".join(f"{outer} {selector}".split())
                declarations = rules.setdefault(name, {})
                flat = re.sub(r"[^;{}]*\{[^{}]*\}", "", block)  # nested rules are not declarations
                for declaration in flat.split(";"):
                    prop, colon, value = declaration.partition(":")
                    if colon:
                        declarations[prop.strip()] = value.strip()
                if "{" in block:
                    parse(block, name)
            position = end

    parse(css, "")
    return rules


@dataclass(frozen=True)
class RenderedDocx:
    letter: Letter
    data: bytes
    pages: int | None = None  # None: not laid out here; the batch takes the PDF's count
    pages_source: str = "estimate"


def render_docx(
    letter: Letter, templates: Path | None = None, *, cached: bool = True
) -> RenderedDocx:
    """One letter as DOCX bytes, laid out as letter.css lays out the PDF; raises RenderError if
    it cannot be written.

    By default the letter starts from a copy of its variant's base document (see
    render_docxs), which is built once per process. `cached=False` builds the whole document
    from scratch with python-docx and saves it, as a standalone script would: the bytes are the
    same either way."""
    page = layout(letter.page_size, templates)
    try:
        if cached:
            data = _cached_base(
                page, letter.locale or letter.language, letter.direction, bool(letter.cover)
            ).render(letter, page)
        else:
            base = _base(
                page, letter.locale or letter.language, letter.direction, bool(letter.cover)
            )
            _letter(base, letter, page)
            buffer = io.BytesIO()
            base.document.save(buffer)
            data = _fixed_zip(buffer.getvalue())
    except LettergenError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds; report which letter failed
        raise RenderError(
            f"could not write the DOCX: {exc}", hint=f"office {letter.office_id}"
        ) from exc
    return RenderedDocx(letter, data)


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


def word_language(code: str) -> str:
    """The tag Word's proofing tools know for a letter language: a bare "en" becomes the locale
    its translators declared in strings.yaml ("en-GB"); a tag with a region stays as it is."""
    if "-" in code or "_" in code:
        return code.replace("_", "-")
    from lettergen.i18n import language

    try:
        locale = language(code).locale
    except LettergenError:
        return code
    return locale.replace("_", "-") if locale.split("_")[0] == code else code


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
    import docx

    document = docx.Document()
    _clean_package(document)
    lang = word_language(language)
    _settings(document, lang)
    styles = _styles(document, page, lang, direction, cover)
    bullets, numbers, number_abstract = _numbering(document, page)
    _page(document, page)
    # The running header of the first section; a cover sheet takes it over (see _cover).
    header = document.sections[0].header
    header.is_linked_to_previous = False
    header.paragraphs[0]._p.style = styles["Header"]
    return _Base(document, lang, direction == "rtl", styles, bullets, numbers, number_abstract)


def _letter(base: _Base, letter: Letter, page: Layout) -> None:
    """Add a letter's words to its base document: cover sheet, addressee and sender, body,
    closing, header text and document properties."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm

    document, styles, rtl = base.document, base.styles, base.rtl
    body = document._body._body  # the w:body element; the base's body holds only sectPr

    if letter.cover:
        _cover(document, styles, letter, page, rtl)

    # Addressee (where a window envelope shows it) and sender side by side.
    sender_mm = page.text_width_mm * page.sender_share
    addressee_mm = page.text_width_mm - sender_mm
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _table_properties(table, rtl, padding_mm=(0.0, page.head_gap_mm))
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
        return _restarted_num(document, base.number_abstract)

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
                    _set_num(item, num_id)
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

    # The section properties stay last in the body (add_paragraph inserts before them).
    assert body[-1].tag.endswith("}sectPr")
    _header(document, letter, rtl)
    _core_properties(document, letter, base.lang)


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

    def render(self, letter: Letter, page: Layout) -> bytes:
        import copy

        parts = self.parts
        with self.lock:
            originals = [part._element for part in parts]
            try:
                for part, element in zip(parts, originals, strict=True):
                    part._element = copy.deepcopy(element)
                # A python-docx Document of the fresh copy of the body.
                document = self.base.document.part.document
                base = dataclasses.replace(self.base, document=document)
                _letter(base, letter, page)
                blobs = {part.partname.membername: part.blob for part in parts}
            finally:
                for part, element in zip(parts, originals, strict=True):
                    part._element = element
        unknown = blobs.keys() - {name for name, _ in self.entries}
        assert not unknown, f"parts missing from the base package: {sorted(unknown)}"
        return _zip((name, blobs.get(name, blob)) for name, blob in self.entries)


@lru_cache(maxsize=64)
def _cached_base(page: Layout, language: str, direction: str, cover: bool) -> _CachedBase:
    return _CachedBase(page, language, direction, cover)


def _add_runs(paragraph: DocxParagraph, runs: Runs | str, rtl: bool) -> None:
    from lettergen.letter import Run

    for run in (Run(runs),) if isinstance(runs, str) else runs:
        if not run.text:
            continue
        r = paragraph.add_run(run.text)  # "\n" becomes a line break, as <br> in the PDF
        rpr = r._r.get_or_add_rPr()
        if run.bold:
            _toggle(rpr, "b")
            _toggle(rpr, "bCs")
        if run.italic:
            _toggle(rpr, "i")
            _toggle(rpr, "iCs")
        if rtl:
            _toggle(rpr, "rtl")
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
    document: Document, styles: dict[str, str | None], letter: Letter, page: Layout, rtl: bool
) -> None:
    """The fax cover sheet, as .cover in letter.css: the title, then one table row per (label,
    value) with a rule below, the labels as wide as the widest. It is a section of its own, so
    the letter starts on the next page with nothing above it; the letter's section inherits the
    running header. {pages} is a NUMPAGES field: the count includes the cover and stays right
    after any edit."""
    import copy

    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

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
    _table_properties(table, rtl, padding_mm=page.cover_padding_mm, rule_pt=page.cover_rule_pt)
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
            _field(value_paragraph, "NUMPAGES", rtl)
        _add_runs(value_paragraph, after, rtl)

    # The section break: a paragraph after the table (Word needs one) that holds the cover's
    # section properties, a copy of the letter's; its mark is a point high, so it never spills.
    end = document.add_paragraph()
    fmt = end.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(1)
    ppr = end._p.get_or_add_pPr()
    mark = OxmlElement("w:rPr")
    _set_size(mark, 1)
    _insert(ppr, mark, _PPR_ORDER)
    sect_pr = document.element.body.sectPr
    _insert(ppr, copy.deepcopy(sect_pr), _PPR_ORDER)
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
    from lettergen.render.fonts import faces

    try:
        found = {face.weight: face.path for face in faces(family) if face.style == "normal"}
    except RenderError:
        return None
    return found.get("bold" if bold else "normal", found.get("normal"))


@cache
def _measure(path: Path, text: str) -> float:
    """The advance of text in em."""
    from PIL import ImageFont

    return ImageFont.truetype(str(path), 1000).getlength(text) / 1000


def _header(document: Document, letter: Letter, rtl: bool) -> None:
    # The first section: the cover's, when there is one; the letter's section inherits it. Its
    # header part and paragraph style come with the base document (see _base).
    p = document.sections[0].header.paragraphs[0]
    for kind, value in header_parts(letter):
        if kind == "text":
            _add_runs(p, value, rtl)
        else:
            _field(p, value, rtl)


def _field(paragraph: DocxParagraph, instruction: str, rtl: bool) -> None:
    """A complex field (begin, instruction, separate, result, end). Its result "1" is only what
    a reader that does not lay out the page shows; Word and LibreOffice compute the real one."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run() -> Any:
        r = OxmlElement("w:r")
        if rtl:
            rpr = OxmlElement("w:rPr")
            rpr.append(OxmlElement("w:rtl"))
            r.append(rpr)
        paragraph._p.append(r)
        return r

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run().append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run().append(instr)
    char("separate")
    result = OxmlElement("w:t")
    result.text = "1"
    run().append(result)
    char("end")


# --- styles, numbering, page --------------------------------------------------------------------


def _styles(
    document: Document, page: Layout, lang: str, direction: str, cover: bool
) -> dict[str, str | None]:
    """The document defaults and the letter's paragraph styles; returns each paragraph style's
    name → the w:pStyle value a paragraph of it carries (None for the default style, as
    python-docx writes it), so paragraphs are styled without python-docx's lookup by name."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    rtl = direction == "rtl"
    styles = document.styles
    known: dict[str, Any] = {}  # name → style: python-docx finds a style by name by scanning all

    def get(name: str) -> Any:
        if name not in known:
            known[name] = styles[name]
        return known[name]

    # Document defaults: the fonts for every script, the language, no spacing of the template's.
    doc_defaults = styles.element.find(qn("w:docDefaults"))
    rpr = doc_defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(rpr, COMPLEX_SCRIPT_FONT[direction])
    _set_size(rpr, page.body_pt)
    _set_lang(rpr, lang, rtl)
    if rtl:
        _toggle(rpr, "rtl")
    ppr = doc_defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(
        OxmlElement(
            "w:spacing", {qn("w:after"): "0", qn("w:line"): "240", qn("w:lineRule"): "auto"}
        )
    )

    def paragraph_style(
        name: str,
        *,
        base: str = "Normal",
        builtin: bool = False,
        size: float | None = None,
        bold: bool = False,
        italic: bool = False,
        before: float = 0.0,
        after: float = 0.0,
        align: Any = None,
        keep_with_next: bool = False,
        next_style: str | None = None,
        line_height: float | None = None,
    ) -> Any:
        try:
            style = get(name)
        except KeyError:
            style = known[name] = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH, builtin=builtin)
            style.quick_style = True
        if name != "Normal":
            style.base_style = get(base)
        rpr = style.element.get_or_add_rPr()
        if size is not None:
            _set_size(rpr, size)
            style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
            style.paragraph_format.line_spacing = Pt(size * (line_height or page.line_height))
        if bold:
            _toggle(rpr, "b")
            _toggle(rpr, "bCs")
        if italic:
            _toggle(rpr, "i")
            _toggle(rpr, "iCs")
        fmt = style.paragraph_format
        fmt.space_before = Mm(before)
        fmt.space_after = Mm(after)
        if align is not None:
            fmt.alignment = align
        if keep_with_next:
            fmt.keep_with_next = True
        if next_style:
            style.next_paragraph_style = get(next_style)
        return style

    # Normal is the body text of the letter.
    normal = paragraph_style("Normal", size=page.body_pt, after=page.paragraph_after_mm)
    normal.paragraph_format.widow_control = True
    if rtl:
        _insert(normal.element.get_or_add_pPr(), OxmlElement("w:bidi"), _PPR_ORDER)
    # The gap between addressee and sender is the Addressee style's end indent: its lines wrap
    # at the PDF's width (an indent, unlike a cell margin, is logical: it stays on the inner
    # side in right-to-left letters).
    addressee = paragraph_style("Addressee", next_style="Addressee")
    gap = 1 - page.addressee_share - page.sender_share
    addressee.paragraph_format.right_indent = Mm(page.text_width_mm * gap)
    # End-aligned: "right" is the end of a right-to-left (bidi) paragraph too.
    end = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph_style("Sender", size=page.sender_pt, align=end, next_style="Sender")
    paragraph_style("Sender Name", base="Sender", bold=page.sender_name_bold, next_style="Sender")
    paragraph_style("Date", builtin=True, size=page.date_pt, before=page.date_before_mm, align=end)
    notice = paragraph_style(
        "Fax Notice",
        size=page.notice_pt,
        italic=page.notice_italic,
        after=page.notice_after_mm,
        next_style="Normal",
    )
    _rules(notice.element.get_or_add_pPr(), page)
    paragraph_style(
        "Salutation",
        builtin=True,
        after=page.salutation_after_mm,
        keep_with_next=True,
        next_style="Normal",
    )
    paragraph_style(
        "Subject",
        bold=page.subject_bold,
        after=page.subject_after_mm,
        keep_with_next=True,
        next_style="Salutation",
    )
    for name in ("List Bullet", "List Number"):
        style = paragraph_style(name, after=page.item_after_mm)
        # Word's list styles drop the gap between items; the PDF keeps it.
        spacing = style.element.pPr.find(qn("w:contextualSpacing"))
        if spacing is not None:
            style.element.pPr.remove(spacing)
    # The closing block stays together (letter.css: break-inside: avoid). The gap above it is
    # .closing's less what the last paragraph already leaves: CSS margins collapse, Word's add.
    before_closing = max(
        page.closing_before_mm - max(page.paragraph_after_mm, page.list_after_mm), 0.0
    )
    paragraph_style("Signature", builtin=True, keep_with_next=True, next_style="Signature")
    paragraph_style(
        "Closing", builtin=True, before=before_closing, keep_with_next=True, next_style="Signature"
    )
    paragraph_style(
        "Signer",
        base="Signature",
        bold=page.signer_bold,
        before=page.signature_space_mm,
        next_style="Signature",
    )
    header = paragraph_style("Header", size=page.header_pt)
    if cover:
        paragraph_style(
            "Cover Title",
            size=page.cover_title_pt,
            line_height=page.cover_line_height,
            bold=page.cover_title_bold,
            after=page.cover_title_after_mm,
            keep_with_next=True,
        )
        cover_label = paragraph_style(
            "Cover Label",
            size=page.cover_pt,
            line_height=page.cover_line_height,
            bold=page.cover_label_bold,
        )
        # The label's end padding as an end indent: logical, as the Addressee style's.
        cover_label.paragraph_format.right_indent = Mm(page.cover_label_gap_mm)
        paragraph_style("Cover Value", size=page.cover_pt, line_height=page.cover_line_height)
    tabs = header.element.pPr.find(qn("w:tabs"))
    if tabs is not None:  # the template's tab stops are for US Letter with 1.25" margins
        header.element.pPr.remove(tabs)
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_id = None if default is None else default.style_id
    return {
        name: None if style.style_id == default_id else style.style_id
        for name, style in known.items()
        if style.type == WD_STYLE_TYPE.PARAGRAPH
    }


def _numbering(document: Document, page: Layout) -> tuple[str, str, int]:
    """A bullet list for "List Bullet" (text indented as the PDF's lists) and a numbered list
    for "List Number": their numIds, and the abstractNumId that later numbered lists of a
    letter restart (_restarted_num)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Mm

    numbering = document.part.numbering_part.element
    abstracts = numbering.findall(qn("w:abstractNum"))
    nums = numbering.findall(qn("w:num"))
    next_abstract = max(int(a.get(qn("w:abstractNumId"))) for a in abstracts) + 1
    indent = round(Mm(page.list_indent_mm).twips)

    def abstract(number: int, fmt: str, text: str, hanging: int, style: str) -> None:
        font = f'w:ascii="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}" w:hint="default"'
        fonts = f"<w:rPr><w:rFonts {font}/></w:rPr>" if fmt == "bullet" else ""
        element = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">'
            f'<w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:pStyle w:val="{style}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{indent}" w:hanging="{hanging}"/></w:pPr>{fonts}</w:lvl>'
            f"</w:abstractNum>"
        )
        (numbering.findall(qn("w:abstractNum")) or nums)[-1].addnext(element)

    bullet_abstract, number_abstract = next_abstract, next_abstract + 1
    abstract(bullet_abstract, "bullet", "•", round(Mm(BULLET_HANG_MM).twips), "ListBullet")
    abstract(number_abstract, "decimal", "%1.", round(Mm(NUMBER_HANG_MM).twips), "ListNumber")
    bullets = _add_num(numbering, bullet_abstract, restart=False)
    numbers = _add_num(numbering, number_abstract, restart=False)
    for name, num_id in (("List Bullet", bullets), ("List Number", numbers)):
        pstyle = document.styles[name].element.get_or_add_pPr()
        num_pr = pstyle.find(qn("w:numPr"))
        num_pr.find(qn("w:numId")).set(qn("w:val"), num_id)
    return bullets, numbers, number_abstract


def _restarted_num(document: Document, abstract_id: int) -> str:
    """A new numbered list of a letter, starting at 1."""
    return _add_num(document.part.numbering_part.element, abstract_id, restart=True)


def _add_num(numbering: Any, abstract_id: int, *, restart: bool) -> str:
    """A w:num of the abstract numbering, numbered after the last; its numId."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    number = max(int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))) + 1
    override = (
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{number}"><w:abstractNumId w:val="{abstract_id}"/>'
            f"{override}</w:num>"
        )
    )
    return str(number)


def _set_num(paragraph: DocxParagraph, num_id: str) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    ppr = paragraph._p.get_or_add_pPr()
    num_pr = f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
    _insert(ppr, parse_xml(num_pr), _PPR_ORDER)


def _page(document: Document, page: Layout) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(page.page_mm[0]), Mm(page.page_mm[1])
    top, right, bottom, left = page.margins_mm
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    section.header_distance = Mm(page.header_mm)
    section.footer_distance = Mm(bottom / 2)  # no footer; Word wants a value
    section.gutter = Mm(0)


def _table_properties(
    table: Any, rtl: bool, *, padding_mm: tuple[float, float], rule_pt: float = 0.0
) -> None:
    """No borders but a rule below each row if rule_pt, no cell padding but padding_mm above
    and below; right to left: columns mirrored. Rows do not split across pages."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Mm

    tbl_pr = table._tbl.tblPr
    for tag in ("w:tblBorders", "w:tblCellMar", "w:tblInd", "w:bidiVisual"):
        old = tbl_pr.find(qn(tag))
        if old is not None:
            tbl_pr.remove(old)
    top, bottom = (round(Mm(mm).twips) for mm in padding_mm)
    # w:sz in eighths of a point (Word's thinnest is 2).
    rule = f'w:val="single" w:sz="{max(round(rule_pt * 8), 2)}" w:space="0" w:color="000000"'
    nil, ruled = 'w:val="nil"', ("bottom", "insideH") if rule_pt else ()
    borders = "".join(
        f"<w:{side} {rule if side in ruled else nil}/>"
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    elements = [
        f'<w:tblInd {nsdecls("w")} w:w="0" w:type="dxa"/>',
        f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>",
        f'<w:tblCellMar {nsdecls("w")}><w:top w:w="{top}" w:type="dxa"/>'
        f'<w:left w:w="0" w:type="dxa"/><w:bottom w:w="{bottom}" w:type="dxa"/>'
        f'<w:right w:w="0" w:type="dxa"/></w:tblCellMar>',
    ]
    if rtl:
        elements.insert(0, f"<w:bidiVisual {nsdecls('w')}/>")
    for xml in elements:
        _insert(tbl_pr, parse_xml(xml), _TBLPR_ORDER)
    for row in table.rows:  # each row on one page
        row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))


# --- small XML helpers --------------------------------------------------------------------------

_RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
              "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish",
              "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight",
              "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
              "eastAsianLayout", "specVanish", "oMath"]  # fmt: skip
_PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
              "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
              "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
              "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
              "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange"]  # fmt: skip
_TBLPR_ORDER = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
                "shd", "tblLayout", "tblCellMar", "tblLook"]  # fmt: skip


def _toggle(rpr: Any, name: str) -> None:
    from docx.oxml import OxmlElement

    _insert(rpr, OxmlElement(f"w:{name}"), _RPR_ORDER)


def _set_size(rpr: Any, points: float) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    half_points = str(round(points * 2))
    for name in ("sz", "szCs"):  # szCs: complex-script text has its own size
        _insert(rpr, OxmlElement(f"w:{name}", {qn("w:val"): half_points}), _RPR_ORDER)


def _set_fonts(rpr: Any, complex_script: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # Explicit names, no theme fonts (a theme font attribute would win over the name).
    attrs = {
        qn("w:ascii"): FONT,
        qn("w:hAnsi"): FONT,
        qn("w:eastAsia"): FONT,
        qn("w:cs"): complex_script,
    }
    _insert(rpr, OxmlElement("w:rFonts", attrs), _RPR_ORDER)


def _set_lang(rpr: Any, lang: str, rtl: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    attrs = {qn("w:val"): lang}
    if rtl:
        attrs[qn("w:bidi")] = lang  # right-to-left text is checked as complex script
    _insert(rpr, OxmlElement("w:lang", attrs), _RPR_ORDER)


def _rules(ppr: Any, page: Layout) -> None:
    """Thin rules above and below, as .fax-notice's borders and padding."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    # w:sz in eighths of a point (Word's thinnest is 2), w:space in whole points.
    size = max(round(page.notice_rule_pt * 8), 2)
    space = round(page.notice_padding_mm / MM_PER_PT)
    rule = f'w:val="single" w:sz="{size}" w:space="{space}" w:color="000000"'
    _insert(
        ppr,
        parse_xml(f"<w:pBdr {nsdecls('w')}><w:top {rule}/><w:bottom {rule}/></w:pBdr>"),
        _PPR_ORDER,
    )


def _insert(parent: Any, element: Any, order: list[str]) -> None:
    """Insert or replace a property element in schema order (Word rejects misordered ones)."""
    from docx.oxml.ns import qn

    name = element.tag.split("}")[1]
    old = parent.find(qn(f"w:{name}"))
    if old is not None:
        old.addprevious(element)
        parent.remove(old)
        return
    later = {qn(f"w:{n}") for n in order[order.index(name) + 1 :]}
    for child in parent:
        if child.tag in later:
            child.addprevious(element)
            return
    parent.append(element)


# --- package: settings, properties, bytes -------------------------------------------------------


def _clean_package(document: Document) -> None:
    package = document.part.package
    for rels, dropped in (
        (package.rels, _DROPPED_PACKAGE_RELS),
        (document.part.rels, _DROPPED_DOCUMENT_RELS),
    ):
        for r_id, rel in list(rels.items()):
            if rel.reltype.endswith(dropped):
                rels.pop(r_id)
    for rel in package.rels.values():
        if rel.reltype.endswith("/extended-properties"):
            rel.target_part._blob = _APP_XML


def _settings(document: Document, lang: str) -> None:
    from docx.oxml.ns import qn

    settings = document.settings.element
    # The template claims it was spell-checked ("clean"); let Word check the letter's text.
    proof = settings.find(qn("w:proofState"))
    if proof is not None:
        settings.remove(proof)
    # Word 2013+ layout, so Word does not open the letter in "Compatibility Mode".
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), lang)


def _core_properties(document: Document, letter: Letter, lang: str) -> None:
    props = document.core_properties
    props.title = letter.title or letter.subject
    props.subject = letter.subject
    props.author = letter.author
    props.language = lang
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.last_modified_by = letter.author
    props.revision = 1
    # python-docx writes naive datetimes as UTC ("Z").
    props.created = props.modified = FIXED_TIME.replace(tzinfo=None)


def _fixed_zip(data: bytes) -> bytes:
    """The same package with fixed entry dates and attributes: python-docx stamps each entry with
    the current time, which would make every run's bytes differ."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return _zip((name, source.read(name)) for name in source.namelist())


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A package of (name, bytes) entries, in order, with fixed entry dates and attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, blob in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # ZipInfo's default depends on the platform
            info.external_attr = 0
            target.writestr(info, blob)
    return out.getvalue()
