"""The parts of a letter's document that do not depend on its words: the document defaults and
paragraph styles, list numbering, page setup and table properties, all measured from letter.css
(layout.py). Paragraph styles carry the layout; runs carry only the campaign's bold and italic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from lettergen.render.docx.layout import MM_PER_PT, Layout
from lettergen.render.docx.ooxml import (
    COMPLEX_SCRIPT_FONT,
    FONT,
    PPR_ORDER,
    TBLPR_ORDER,
    insert,
    set_fonts,
    set_lang,
    set_size,
    toggle,
)

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph as DocxParagraph

#: Where "•" and "1." hang left of a list item's text (the PDF's markers sit just before it).
BULLET_HANG_MM, NUMBER_HANG_MM = 2.5, 5.0


def add_styles(
    document: Document, page: Layout, lang: str, direction: str, cover: bool
) -> dict[str, str | None]:
    """The document defaults and the letter's paragraph styles; returns each paragraph style's
    name → the w:pStyle value a paragraph of it carries (None for the default style, as
    python-docx writes it), so paragraphs are styled without python-docx's lookup by name."""
    _defaults(document, page, lang, direction)
    # Right to left: lines as tall as the PDF's exactly. CSS line-height is exact; Word's "at
    # least" would let Naskh's tall ascent and descent open every line, and LibreOffice then
    # breaks an Arabic letter onto a page the PDF does not have.
    maker = _StyleMaker(document, page, exact=direction == "rtl")
    _letter_styles(maker, page, rtl=direction == "rtl")
    if cover:
        _cover_styles(maker, page)
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_id = None if default is None else default.style_id
    return {
        name: None if style.style_id == default_id else style.style_id
        for name, style in maker.known.items()
        if style.type == WD_STYLE_TYPE.PARAGRAPH
    }


def _defaults(document: Document, page: Layout, lang: str, direction: str) -> None:
    """Document defaults: the fonts for every script, the language, no spacing of the
    template's."""
    doc_defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = doc_defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    set_fonts(rpr, COMPLEX_SCRIPT_FONT[direction])
    set_size(rpr, page.body_pt)
    set_lang(rpr, lang, direction == "rtl")
    if direction == "rtl":
        toggle(rpr, "rtl")
    ppr = doc_defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(
        OxmlElement(
            "w:spacing", {qn("w:after"): "0", qn("w:line"): "240", qn("w:lineRule"): "auto"}
        )
    )


@dataclass
class _StyleMaker:
    """Adds or updates paragraph styles; remembers them by name, since python-docx finds a
    style by name by scanning them all."""

    document: Document
    page: Layout
    known: dict[str, Any] = field(default_factory=dict)
    exact: bool = False  # line pitch exactly the CSS line height (right-to-left letters)

    def get(self, name: str) -> Any:
        if name not in self.known:
            self.known[name] = self.document.styles[name]
        return self.known[name]

    def paragraph(
        self,
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
            style = self.get(name)
        except KeyError:
            style = self.document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH, builtin=builtin)
            self.known[name] = style
            style.quick_style = True
        if name != "Normal":
            style.base_style = self.get(base)
        rpr = style.element.get_or_add_rPr()
        if size is not None:
            set_size(rpr, size)
            style.paragraph_format.line_spacing_rule = (
                WD_LINE_SPACING.EXACTLY if self.exact else WD_LINE_SPACING.AT_LEAST
            )
            style.paragraph_format.line_spacing = Pt(size * (line_height or self.page.line_height))
        if bold:
            toggle(rpr, "b")
            toggle(rpr, "bCs")
        if italic:
            toggle(rpr, "i")
            toggle(rpr, "iCs")
        fmt = style.paragraph_format
        fmt.space_before = Mm(before)
        fmt.space_after = Mm(after)
        if align is not None:
            fmt.alignment = align
        if keep_with_next:
            fmt.keep_with_next = True
        if next_style:
            style.next_paragraph_style = self.get(next_style)
        return style


def _letter_styles(make: _StyleMaker, page: Layout, *, rtl: bool) -> None:
    """The styles of a letter's blocks, in the order they appear."""
    style = make.paragraph
    # Normal is the body text of the letter.
    normal = style("Normal", size=page.body_pt, after=page.paragraph_after_mm)
    normal.paragraph_format.widow_control = True
    if rtl:
        insert(normal.element.get_or_add_pPr(), OxmlElement("w:bidi"), PPR_ORDER)
    # The gap between addressee and sender is the Addressee style's end indent: its lines wrap
    # at the PDF's width (an indent, unlike a cell margin, is logical: it stays on the inner
    # side in right-to-left letters).
    addressee = style("Addressee", next_style="Addressee")
    gap = 1 - page.addressee_share - page.sender_share
    addressee.paragraph_format.right_indent = Mm(page.text_width_mm * gap)
    # End-aligned: "right" is the end of a right-to-left (bidi) paragraph too.
    end = WD_ALIGN_PARAGRAPH.RIGHT
    style("Sender", size=page.sender_pt, align=end, next_style="Sender")
    style("Sender Name", base="Sender", bold=page.sender_name_bold, next_style="Sender")
    style("Date", builtin=True, size=page.date_pt, before=page.date_before_mm, align=end)
    notice = style(
        "Fax Notice",
        size=page.notice_pt,
        italic=page.notice_italic,
        after=page.notice_after_mm,
        next_style="Normal",
    )
    notice_rules(notice.element.get_or_add_pPr(), page)
    style(
        "Salutation",
        builtin=True,
        after=page.salutation_after_mm,
        keep_with_next=True,
        next_style="Normal",
    )
    style(
        "Subject",
        bold=page.subject_bold,
        after=page.subject_after_mm,
        keep_with_next=True,
        next_style="Salutation",
    )
    for name in ("List Bullet", "List Number"):
        listed = style(name, after=page.item_after_mm)
        # Word's list styles drop the gap between items; the PDF keeps it.
        spacing = listed.element.pPr.find(qn("w:contextualSpacing"))
        if spacing is not None:
            listed.element.pPr.remove(spacing)
    # The closing block stays together (letter.css: break-inside: avoid). The gap above it is
    # .closing's less what the last paragraph already leaves: CSS margins collapse, Word's add.
    before_closing = max(
        page.closing_before_mm - max(page.paragraph_after_mm, page.list_after_mm), 0.0
    )
    style("Signature", builtin=True, keep_with_next=True, next_style="Signature")
    style(
        "Closing", builtin=True, before=before_closing, keep_with_next=True, next_style="Signature"
    )
    style(
        "Signer",
        base="Signature",
        bold=page.signer_bold,
        before=page.signature_space_mm,
        next_style="Signature",
    )
    # After a supporter's signature under her own letterhead: where replies may also go.
    style("Replies", size=page.replies_pt, before=page.replies_before_mm, next_style="Normal")
    # A joint letter's signatories: a heading, then numbered lines in smaller type.
    style(
        "Signatory",
        base="List Number",
        size=page.signatories_pt,
        line_height=page.signatories_line_height,
        after=page.signatory_after_mm,
        next_style="Signatory",
    )
    style(
        "Signatories Heading",
        size=page.signatories_heading_pt,
        bold=True,
        before=page.signatories_before_mm,
        after=page.signatories_heading_after_mm,
        keep_with_next=True,
        next_style="Signatory",
    )
    header = style("Header", size=page.header_pt)
    tabs = header.element.pPr.find(qn("w:tabs"))
    if tabs is not None:  # the template's tab stops are for US Letter with 1.25" margins
        header.element.pPr.remove(tabs)


def _cover_styles(make: _StyleMaker, page: Layout) -> None:
    """The fax cover sheet's styles (.cover in letter.css): large type, its own line height."""
    style = make.paragraph
    style(
        "Cover Title",
        size=page.cover_title_pt,
        line_height=page.cover_line_height,
        bold=page.cover_title_bold,
        after=page.cover_title_after_mm,
        keep_with_next=True,
    )
    cover_label = style(
        "Cover Label",
        size=page.cover_pt,
        line_height=page.cover_line_height,
        bold=page.cover_label_bold,
    )
    # The label's end padding as an end indent: logical, as the Addressee style's.
    cover_label.paragraph_format.right_indent = Mm(page.cover_label_gap_mm)
    style("Cover Value", size=page.cover_pt, line_height=page.cover_line_height)


# --- numbering, page, tables ----------------------------------------------------------------------


def add_numbering(document: Document, page: Layout) -> tuple[str, str, int]:
    """A bullet list for "List Bullet" (text indented as the PDF's lists) and a numbered list
    for "List Number": their numIds, and the abstractNumId that later numbered lists of a
    letter restart (restarted_num)."""

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


def restarted_num(document: Document, abstract_id: int) -> str:
    """A new numbered list of a letter, starting at 1."""
    return _add_num(document.part.numbering_part.element, abstract_id, restart=True)


def _add_num(numbering: Any, abstract_id: int, *, restart: bool) -> str:
    """A w:num of the abstract numbering, numbered after the last; its numId."""

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


def set_num(paragraph: DocxParagraph, num_id: str) -> None:

    ppr = paragraph._p.get_or_add_pPr()
    num_pr = f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
    insert(ppr, parse_xml(num_pr), PPR_ORDER)


def page_setup(document: Document, page: Layout) -> None:

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(page.page_mm[0]), Mm(page.page_mm[1])
    top, right, bottom, left = page.margins_mm
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    section.header_distance = Mm(page.header_mm)
    section.footer_distance = Mm(bottom / 2)  # no footer; Word wants a value
    section.gutter = Mm(0)


def table_properties(
    table: Any, rtl: bool, *, padding_mm: tuple[float, float], rule_pt: float = 0.0
) -> None:
    """No borders but a rule below each row if rule_pt, no cell padding but padding_mm above
    and below; right to left: columns mirrored. Rows do not split across pages."""

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
        insert(tbl_pr, parse_xml(xml), TBLPR_ORDER)
    for row in table.rows:  # each row on one page
        row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))


def notice_rules(ppr: Any, page: Layout) -> None:
    """Thin rules above and below, as .fax-notice's borders and padding."""

    # w:sz in eighths of a point (Word's thinnest is 2), w:space in whole points.
    size = max(round(page.notice_rule_pt * 8), 2)
    space = round(page.notice_padding_mm / MM_PER_PT)
    rule = f'w:val="single" w:sz="{size}" w:space="{space}" w:color="000000"'
    insert(
        ppr,
        parse_xml(f"<w:pBdr {nsdecls('w')}><w:top {rule}/><w:bottom {rule}/></w:pBdr>"),
        PPR_ORDER,
    )
