"""OOXML helpers: property elements in schema order, fields, and the package's fixed bytes.

Word refuses a document whose property elements (w:pPr, w:rPr, w:tblPr children) are out of the
order ECMA-376 Part 1 gives them; LibreOffice does not care, so every property goes in through
insert(). The package helpers make the bytes deterministic: fixed document dates, fixed ZIP
entry dates and attributes, none of the template's stale parts.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from lettergen.compose.letter import Letter

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph as DocxParagraph

#: Latin text: Arial (Word) = Liberation Sans (LibreOffice's substitute, the PDF's font).
FONT = "Arial"
#: Complex-script text (Arabic …), by direction, as in render/pdf.py's FONTS.
COMPLEX_SCRIPT_FONT = {"ltr": FONT, "rtl": "Noto Naskh Arabic"}

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


# --- property elements in schema order ---------------------------------------------------------

# The child sequences of CT_RPr, CT_PPr and CT_TblPr (ECMA-376 Part 1, 17.3.2.28, 17.3.1.26,
# 17.4.60), as far as a letter uses them.
RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
             "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish",
             "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight",
             "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
             "eastAsianLayout", "specVanish", "oMath"]  # fmt: skip


PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
             "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
             "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
             "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
             "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
             "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
             "sectPr", "pPrChange"]  # fmt: skip


# ECMA-376 Part 1, 17.6.17 (CT_SectPr): a section's properties, in schema order.
SECTPR_ORDER = ["headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz",
                "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
                "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter",
                "docGrid", "printerSettings", "sectPrChange"]  # fmt: skip

TBLPR_ORDER = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
               "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
               "shd", "tblLayout", "tblCellMar", "tblLook"]  # fmt: skip


def insert(parent: Any, element: Any, order: list[str]) -> None:
    """Insert or replace a property element in schema order (Word rejects misordered ones)."""

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


def toggle(rpr: Any, name: str) -> None:

    insert(rpr, OxmlElement(f"w:{name}"), RPR_ORDER)


def set_size(rpr: Any, points: float) -> None:

    half_points = str(round(points * 2))
    for name in ("sz", "szCs"):  # szCs: complex-script text has its own size
        insert(rpr, OxmlElement(f"w:{name}", {qn("w:val"): half_points}), RPR_ORDER)


def set_fonts(rpr: Any, complex_script: str) -> None:

    # Explicit names, no theme fonts (a theme font attribute would win over the name).
    attrs = {
        qn("w:ascii"): FONT,
        qn("w:hAnsi"): FONT,
        qn("w:eastAsia"): FONT,
        qn("w:cs"): complex_script,
    }
    insert(rpr, OxmlElement("w:rFonts", attrs), RPR_ORDER)


def set_lang(rpr: Any, lang: str, rtl: bool) -> None:

    attrs = {qn("w:val"): lang}
    if rtl:
        attrs[qn("w:bidi")] = lang  # right-to-left text is checked as complex script
    insert(rpr, OxmlElement("w:lang", attrs), RPR_ORDER)


def field(paragraph: DocxParagraph, instruction: str, rtl: bool, result: str = "1") -> None:
    """A complex field (begin, instruction, separate, result, end). The stored result is what
    a reader that does not lay out the page shows (a PAGE field: "1"; NUMPAGES: the count the
    PDF of the same letter has, when known); Word and LibreOffice compute their own."""

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
    shown = OxmlElement("w:t")
    shown.text = result
    run().append(shown)
    char("end")


# --- package: settings, properties, bytes -------------------------------------------------------


def clean_package(document: Document) -> None:
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


def word_settings(document: Document, lang: str) -> None:

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


def core_properties(document: Document, letter: Letter, lang: str) -> None:
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


def fixed_zip(data: bytes) -> bytes:
    """The same package with fixed entry dates and attributes: python-docx stamps each entry with
    the current time, which would make every run's bytes differ."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return zip_entries((name, source.read(name)) for name in source.namelist())


def zip_entries(entries: Iterable[tuple[str, bytes]]) -> bytes:
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
