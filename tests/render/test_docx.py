"""The DOCX writer: read back with python-docx, and laid out by a real office suite."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from conftest import flat, pdftotext, soffice_to_pdf
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter, ListBlock, Paragraph, Run
from lettergen.render.docx import (
    FONT,
    header_parts,
    layout,
    render_docx,
    render_docxs,
    word_language,
)
from lettergen.render.pdf import render_pdf

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

#: Offices of the shipped directory: A4 and US Letter, with and without a postal address.
OFFICES = [
    "de-berlin-embassy",
    "us-washington-embassy",
    "cn-urumqi-visa-office",
    "ch-geneva-un-mission",
]
#: Letters with a fax cover sheet: A4 and US Letter.
COVER_OFFICES = ["de-berlin-embassy", "us-washington-embassy"]


def letter_for(
    campaign, directory, office_id: str, *, cover: bool = False, lang: str = "en"
) -> Letter:  # type: ignore[no-untyped-def]
    office = directory.get(office_id)
    return compose_letter(
        campaign, Recipient(office, office.country), lang=lang, state="KZ", cover=cover
    )


def read(letter: Letter) -> docx.document.Document:
    return docx.Document(io.BytesIO(render_docx(letter).data))


def body_paragraphs(document: docx.document.Document) -> list[tuple[str, str]]:
    """(style, text) of the paragraphs after the addressee/sender table, in order."""
    return [(p.style.name, p.text) for p in document.paragraphs]


@pytest.fixture(scope="module")
def berlin(campaign, directory) -> Letter:  # type: ignore[no-untyped-def]
    return letter_for(campaign, directory, "de-berlin-embassy")


def test_paragraphs_read_back_in_order_with_their_styles(berlin: Letter) -> None:
    document = read(berlin)
    expected = [
        ("Fax Notice", berlin.fax_notice),
        ("Subject", berlin.subject),
        ("Salutation", berlin.salutation),
    ]
    for block in berlin.body:
        if isinstance(block, Paragraph):
            expected.append(("Normal", block.text))
        else:
            expected.extend(("List Bullet", text) for text in block.texts)
    expected.append(("Closing", berlin.closing))
    expected.append(("Signer", berlin.signature[0]))
    expected.extend(("Signature", line) for line in berlin.signature[1:])
    assert body_paragraphs(document) == expected

    # Addressee and sender side by side: one borderless row, no empty paragraph in it.
    (table,) = document.tables
    addressee, sender = table.rows[0].cells
    assert [(p.style.name, p.text) for p in addressee.paragraphs] == [
        ("Addressee", line) for line in berlin.addressee
    ]
    assert [(p.style.name, p.text) for p in sender.paragraphs] == [
        ("Sender Name", berlin.sender[0]),
        *(("Sender", line) for line in berlin.sender[1:]),
        ("Date", berlin.date),
    ]
    every = [*document.paragraphs, *addressee.paragraphs, *sender.paragraphs]
    assert all(p.text.strip() for p in every), "no stray empty paragraphs"
    # Nothing after the last signature line: no empty last page.
    assert document.element.body[-2] is document.paragraphs[-1]._p
    assert document.element.body[-1].tag == f"{W}sectPr"


def test_demands_are_a_real_bullet_list(berlin: Letter) -> None:
    document = read(berlin)
    demands = [p for p in document.paragraphs if p.style.name == "List Bullet"]
    assert [p.text for p in demands] == berlin.demands
    style = document.styles["List Bullet"].element
    num_id = style.pPr.find(f"{W}numPr/{W}numId").get(f"{W}val")
    numbering = document.part.numbering_part.element
    (num,) = [n for n in numbering.findall(f"{W}num") if n.get(f"{W}numId") == num_id]
    abstract_id = num.find(f"{W}abstractNumId").get(f"{W}val")
    (abstract,) = [
        a for a in numbering.findall(f"{W}abstractNum") if a.get(f"{W}abstractNumId") == abstract_id
    ]
    assert abstract.find(f"{W}lvl/{W}numFmt").get(f"{W}val") == "bullet"
    assert abstract.find(f"{W}lvl/{W}lvlText").get(f"{W}val") == "•"


def test_numbered_lists_each_start_at_one(berlin: Letter) -> None:
    items = ((Run("one"),), (Run("two"),))
    letter = dataclasses.replace(
        berlin,
        body=(
            ListBlock(items, ordered=True),
            Paragraph((Run("between"),)),
            ListBlock(items, ordered=True),
        ),
    )
    document = read(letter)
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["one", "two", "one", "two"]
    ids = [p._p.pPr.find(f"{W}numPr/{W}numId").get(f"{W}val") for p in numbered]
    assert ids[0] == ids[1] != ids[2] == ids[3]


def test_bold_and_italic_are_real_runs(berlin: Letter) -> None:
    runs = (
        Run("Release "),
        Run("Saken Zhanusov", bold=True),
        Run(" "),
        Run("now", italic=True),
        Run("."),
    )
    letter = dataclasses.replace(berlin, body=(Paragraph(runs),))
    (paragraph,) = [p for p in read(letter).paragraphs if p.style.name == "Normal"]
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in paragraph.runs] == [
        ("Release ", False, False),
        ("Saken Zhanusov", True, False),
        (" ", False, False),
        ("now", False, True),
        (".", False, False),
    ]
    # Bold and italic in the styles, where the layout wants them.
    styles = read(berlin).styles
    assert styles["Subject"].font.bold and styles["Signer"].font.bold
    assert styles["Sender Name"].font.bold and styles["Fax Notice"].font.italic


def test_fonts_sizes_and_language(berlin: Letter) -> None:
    document = read(berlin)
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    fonts = defaults.find(f"{W}rFonts")
    assert {fonts.get(f"{W}{a}") for a in ("ascii", "hAnsi", "cs", "eastAsia")} == {FONT}
    assert not [k for k in fonts.attrib if k.endswith("Theme")], "theme fonts would override Arial"
    assert defaults.find(f"{W}lang").get(f"{W}val") == "en-GB"  # the locale of en/strings.yaml
    assert document.styles["Normal"].font.size.pt == 11
    assert document.styles["Sender"].font.size.pt == 9.5
    assert document.styles["Fax Notice"].font.size.pt == 9.5
    assert document.core_properties.language == "en-GB"


def test_header_has_the_fax_and_live_page_fields(berlin: Letter) -> None:
    document = read(berlin)
    header = document.sections[0].header
    assert not header.is_linked_to_previous
    (paragraph,) = header.paragraphs
    # Field results read "1" until Word or LibreOffice lay the page out.
    assert paragraph.text == f"{berlin.header} · Page 1 of 1"
    xml = paragraph._p.xml
    instructions = [i.strip() for i in re.findall(r"<w:instrText[^>]*>([^<]*)<", xml)]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert xml.count('w:fldCharType="begin"') == xml.count('w:fldCharType="end"') == 2


def test_header_parts_follow_the_page_label() -> None:
    base = dict(header="Fax an +49 30 4700 7125")
    letter = dataclasses.replace(_any_letter(), page_label="Seite {page} von {pages}", **base)
    assert header_parts(letter) == [
        ("text", "Fax an +49 30 4700 7125 · Seite "),
        ("field", "PAGE"),
        ("text", " von "),
        ("field", "NUMPAGES"),
    ]
    letter = dataclasses.replace(letter, page_label="{pages}/{page}")
    assert [value for _, value in header_parts(letter)][1:] == ["NUMPAGES", "/", "PAGE"]
    assert header_parts(letter)[0] == ("text", "Fax an +49 30 4700 7125 · ")
    assert header_parts(dataclasses.replace(letter, page_label="")) == [("text", letter.header)]


@pytest.mark.parametrize(
    ("office_id", "size"), [("de-berlin-embassy", "A4"), ("us-washington-embassy", "Letter")]
)
def test_page_size_and_margins_follow_letter_css(
    campaign, directory, office_id: str, size: str
) -> None:  # type: ignore[no-untyped-def]
    letter = letter_for(campaign, directory, office_id)
    assert letter.page_size == size
    section = read(letter).sections[0]
    page = layout(size)
    assert [round(section.page_width.mm, 1), round(section.page_height.mm, 1)] == [
        round(v, 1) for v in page.page_mm
    ]
    margins = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
    assert [round(m.mm, 1) for m in margins] == [round(v, 1) for v in page.margins_mm]
    # The fax-ready page: nothing in the top 15 mm, the header above the body.
    assert 15 <= section.header_distance.mm < section.top_margin.mm


def test_layout_is_read_from_letter_css() -> None:
    a4, letter = layout("A4"), layout("Letter")
    assert a4.margins_mm == (30, 20, 16, 24)
    assert letter.margins_mm[1:4:2] == (20, 24)  # US Letter changes only top and bottom
    assert a4.body_pt == 11 and a4.sender_pt == 9.5
    assert (a4.addressee_share, a4.sender_share) == (0.58, 0.38)


def test_core_properties(berlin: Letter) -> None:
    props = read(berlin).core_properties
    assert props.title == berlin.title
    assert props.subject == berlin.subject
    assert props.author == "Anna Weber" == berlin.author
    assert props.language == "en-GB"
    assert props.created == props.modified
    assert props.created.year == 1980
    assert "python-docx" not in (props.comments + props.author)


def test_same_letter_same_bytes(berlin: Letter) -> None:
    first, second = render_docx(berlin).data, render_docx(berlin).data
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        names = package.namelist()
    assert names[0] == "[Content_Types].xml"
    assert not [n for n in names if "thumbnail" in n or n.startswith("customXml")]


def test_right_to_left_paragraphs_runs_and_table(berlin: Letter) -> None:
    letter = dataclasses.replace(
        berlin,
        direction="rtl",
        language="ar",
        locale="ar-EG",
        body=(Paragraph((Run("نص", bold=True),)),),
    )
    document = read(letter)
    assert document.styles["Normal"].element.pPr.find(f"{W}bidi") is not None
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults.find(f"{W}rFonts").get(f"{W}cs") == "Noto Naskh Arabic"
    assert defaults.find(f"{W}lang").get(f"{W}bidi") == "ar-EG" == word_language(letter.locale)
    (paragraph,) = [p for p in document.paragraphs if p.style.name == "Normal"]
    rpr = paragraph.runs[0]._r.rPr
    assert rpr.find(f"{W}rtl") is not None and rpr.find(f"{W}bCs") is not None
    assert document.tables[0]._tbl.tblPr.find(f"{W}bidiVisual") is not None


#: Child sequences of WordprocessingML complex types, as ECMA-376 Part 1 (§17, the schema
#: wml.xsd) gives them: each element's children must come in this order (the xsd:sequence),
#: and Word refuses a document where they do not. Written out here from the standard, not
#: taken from the writer, so a wrong order in the writer fails this test.
SCHEMA_ORDER = {
    # CT_PPr (pPr): CT_PPrBase, then rPr, sectPr, pPrChange
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    # CT_RPr (rPr): EG_RPrBase; a paragraph mark's CT_ParaRPr starts with ins/del/moveFrom/moveTo
    "rPr": "ins del moveFrom moveTo rStyle rFonts b bCs i iCs caps smallCaps strike dstrike "
    "outline shadow emboss imprint noProof snapToGrid vanish webHidden color spacing w kern "
    "position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang "
    "eastAsianLayout specVanish oMath rPrChange",
    # CT_TblPr (tblPr)
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
    "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription tblPrChange",
    # CT_TblBorders, CT_TblCellMar (logical names start/end as well as left/right)
    "tblBorders": "top left start bottom right end insideH insideV",
    "tblCellMar": "top left start bottom right end",
    # CT_TcPr (tcPr)
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
    "tcFitText vAlign hideMark headers cellIns cellDel cellMerge tcPrChange",
    # CT_SectPr (sectPr): EG_HdrFtrReferences first, then EG_SectPrContents
    "sectPr": "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc "
    "pgBorders lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi "
    "rtlGutter docGrid printerSettings sectPrChange",
    # CT_Style (style)
    "style": "name aliases basedOn next link autoRedefine hidden uiPriority semiHidden "
    "unhideWhenUsed qFormat locked personal personalCompose personalReply rsid pPr rPr tblPr "
    "trPr tcPr tblStylePr",
    # CT_AbstractNum, CT_Lvl, CT_Num (numbering)
    "abstractNum": "nsid multiLevelType tmpl name styleLink numStyleLink lvl",
    "lvl": "start numFmt lvlRestart pStyle isLgl suff lvlText lvlPicBulletId legacy lvlJc pPr rPr",
    "num": "abstractNumId lvlOverride",
    # CT_DocDefaults
    "docDefaults": "rPrDefault pPrDefault",
}


def schema_order_errors(xml: bytes) -> list[tuple[str, list[str]]]:
    """(element, its children) for each element whose w: children break SCHEMA_ORDER or are
    not in it at all (headerReference/footerReference may repeat in any order among
    themselves)."""
    root = docx.oxml.parse_xml(xml)
    wrong = []
    for tag, sequence in SCHEMA_ORDER.items():
        order = sequence.split()
        for element in root.iter(f"{W}{tag}"):
            names = [c.tag[len(W) :] for c in element if c.tag.startswith(W)]
            positions = [order.index(n) if n in order else -1 for n in names]
            if tag == "sectPr":  # header and footer references form one group
                positions = [min(p, 1) if p in (0, 1) else p for p in positions]
            if -1 in positions or positions != sorted(positions):
                wrong.append((tag, names))
    return wrong


def test_the_schema_order_check_catches_a_wrong_order() -> None:
    bad = (
        f'<w:p xmlns:w="{W[1:-1]}"><w:pPr><w:spacing w:after="0"/><w:keepNext/>'
        f'<w:pStyle w:val="x"/></w:pPr><w:r><w:rPr><w:sz w:val="22"/><w:b/></w:rPr></w:r></w:p>'
    ).encode()
    assert schema_order_errors(bad) == [
        ("pPr", ["spacing", "keepNext", "pStyle"]),
        ("rPr", ["sz", "b"]),
    ]
    good = f'<w:p xmlns:w="{W[1:-1]}"><w:pPr><w:pStyle w:val="x"/><w:keepNext/></w:pPr></w:p>'
    assert schema_order_errors(good.encode()) == []


def test_properties_are_in_schema_order(berlin: Letter, berlin_cover: Letter) -> None:
    """Word refuses a document whose property elements are out of order; LibreOffice does not
    care, so only this test would notice."""
    rtl = dataclasses.replace(berlin, direction="rtl", language="ar")
    listed = dataclasses.replace(
        berlin,
        body=(
            *berlin.body,
            ListBlock(items=((Run("one", bold=True),), (Run("two"),)), ordered=True),
            ListBlock(items=((Run("again", italic=True),),), ordered=True),
        ),
    )
    for letter in (berlin, rtl, berlin_cover, listed):
        with zipfile.ZipFile(io.BytesIO(render_docx(letter).data)) as package:
            parts = [n for n in package.namelist() if n.startswith("word/") and n.endswith(".xml")]
            assert {"word/document.xml", "word/styles.xml", "word/numbering.xml"} <= set(parts)
            for name in parts:
                assert schema_order_errors(package.read(name)) == [], name


def _any_letter() -> Letter:
    return Letter(
        campaign="c", office_id="o", country="DE", office_country="DE", language="en",
        signer_slug="", fax=None,
        fax_display="", page_size="A4", direction="ltr", sender=("S",), addressee=("A",), date="",
        fax_notice="", subject="", salutation="", body=(), closing="", signature=("N",),
        header="Fax", page_label="Page {page} of {pages}",
    )  # fmt: skip


# --- with LibreOffice ---------------------------------------------------------------------------


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]


@pytest.fixture(scope="module")
def converted(campaign, directory, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Every test letter as DOCX, plus one with a demand edited in python-docx and letters with a
    cover sheet ("<office>+cover"), converted by LibreOffice in one call."""
    folder = tmp_path_factory.mktemp("office")
    letters = {office_id: letter_for(campaign, directory, office_id) for office_id in OFFICES}
    files = {}
    for office_id, letter in letters.items():
        files[office_id] = folder / f"{office_id}.docx"
        files[office_id].write_bytes(render_docx(letter).data)
    # A supporter's edit: the first demand reworded, saved by python-docx (as any editor would).
    edited = docx.Document(str(files["de-berlin-embassy"]))
    demand = next(p for p in edited.paragraphs if p.style.name == "List Bullet")
    for run in demand.runs[1:]:
        run._r.getparent().remove(run._r)
    demand.runs[0].text = "Release Saken Zhanusov today, unconditionally."
    files["edited"] = folder / "edited.docx"
    edited.save(str(files["edited"]))
    for office_id in COVER_OFFICES:
        letters[f"{office_id}+cover"] = letter = letter_for(
            campaign, directory, office_id, cover=True
        )
        files[f"{office_id}+cover"] = folder / f"{office_id}+cover.docx"
        files[f"{office_id}+cover"].write_bytes(render_docx(letter).data)
    # Letters of several pages: German and Russian, with a cover, their body twice over (a
    # letter that only just runs over is set tighter to fit one page, render/pdf.py).
    for office_id, lang in (("de-berlin-embassy", "de"), ("ru-moscow-embassy", "ru")):
        key = f"{office_id}+{lang}"
        letter = letter_for(campaign, directory, office_id, cover=True, lang=lang)
        letters[key] = letter = dataclasses.replace(letter, body=letter.body * 2)
        files[key] = folder / f"{key}.docx"
        files[key].write_bytes(render_docx(letter).data)
    pdfs = soffice_to_pdf(list(files.values()), folder)
    return letters, {key: pdfs[path] for key, path in files.items()}


@pytest.mark.office
@pytest.mark.parametrize("office_id", OFFICES)
def test_libreoffice_lays_out_the_docx_as_the_pdf(converted, office_id: str) -> None:  # type: ignore[no-untyped-def]
    letters, pdfs = converted
    letter = letters[office_id]
    ours = render_pdf(letter)
    assert ours.pages == 1  # one-page letters: the batch's DOCX page count is the PDF's
    assert pdf_pages(pdfs[office_id]) == ours.pages
    text = flat(pdftotext(pdfs[office_id]))
    for line in letter.addressee:
        assert flat(line) in text
    assert letter.fax_display and letter.fax_display in text
    assert f"{letter.header} · Page 1 of 1" in text  # the fields, evaluated by LibreOffice
    for demand in letter.demands:
        assert flat(demand) in text


@pytest.mark.office
def test_an_edited_docx_keeps_its_header_and_page_fields(converted) -> None:  # type: ignore[no-untyped-def]
    letters, pdfs = converted
    letter = letters["de-berlin-embassy"]
    text = flat(pdftotext(pdfs["edited"]))
    assert "Release Saken Zhanusov today, unconditionally." in text
    assert letter.demands[0] not in text
    assert f"{letter.header} · Page 1 of 1" in text
    assert pdf_pages(pdfs["edited"]) == 1


# --- the fax cover sheet ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def berlin_cover(campaign, directory) -> Letter:  # type: ignore[no-untyped-def]
    return letter_for(campaign, directory, "de-berlin-embassy", cover=True)


def instructions(element) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.text.strip() for i in element.iter(f"{W}instrText")]


def test_cover_rows_read_back_in_order(berlin_cover: Letter) -> None:
    letter = berlin_cover
    assert letter.cover and letter.cover_title
    document = read(letter)
    title = document.paragraphs[0]
    assert (title.style.name, title.text) == ("Cover Title", letter.cover_title)
    cover, head = document.tables
    rows = [[cell.paragraphs for cell in row.cells] for row in cover.rows]
    assert [(lp.style.name, lp.text) for (lp,), _ in rows] == [
        ("Cover Label", label) for label, _ in letter.cover
    ]
    pages = render_pdf(letter).pages
    assert pages >= 2  # the cover and the letter
    for (_, (value_paragraph,)), (_, value) in zip(rows, letter.cover, strict=True):
        assert value_paragraph.style.name == "Cover Value"
        if "{pages}" in value:
            # A live field whose stored result is already the PDF's count, so a reader that
            # does not update fields shows the right number too.
            assert instructions(value_paragraph._p) == ["NUMPAGES"]
            assert value_paragraph.text == value.replace("{pages}", str(pages))
        else:
            assert instructions(value_paragraph._p) == []
            assert value_paragraph.text == value  # "\n" read back from line breaks
    assert any("{pages}" in value for _, value in letter.cover)
    # The running header's NUMPAGES stores the same count; PAGE stores "1".
    header = document.sections[0].header.paragraphs[0]
    assert header.text.endswith(f" 1 of {pages}")
    # Told the count (as a batch does, from the PDF it made), the writer stores that one.
    told = docx.Document(io.BytesIO(render_docx(letter, pages=7).data))
    assert any("7 (" in c.text for row in told.tables[0].rows for c in row.cells)
    # The letter follows as without a cover: the addressee table, then the fax notice.
    assert head.rows[0].cells[0].paragraphs[0].text == letter.addressee[0]
    assert document.paragraphs[2].style.name == "Fax Notice"


def test_cover_is_a_section_of_its_own_with_the_same_header(berlin_cover: Letter) -> None:
    document = read(berlin_cover)
    body = list(document.element.body)
    cover_table, section_break, head_table = body[1:4]
    assert [cover_table.tag, head_table.tag] == [f"{W}tbl", f"{W}tbl"]
    # The paragraph that ends the cover's section holds nothing but its section properties.
    assert section_break.find(f"{W}pPr/{W}sectPr") is not None
    assert not "".join(section_break.itertext()).strip()
    cover, letter = document.sections
    assert (cover.page_width, cover.page_height) == (letter.page_width, letter.page_height)
    assert [cover.top_margin, cover.header_distance] == [letter.top_margin, letter.header_distance]
    assert not cover.header.is_linked_to_previous
    assert letter.header.is_linked_to_previous  # the letter's pages show the cover's header
    (paragraph,) = cover.header.paragraphs
    assert instructions(paragraph._p) == ["PAGE", "NUMPAGES"]
    assert paragraph.text.startswith(berlin_cover.header)


def test_cover_styles_follow_letter_css(berlin_cover: Letter, berlin: Letter) -> None:
    styles = read(berlin_cover).styles
    page = layout("A4")
    assert styles["Cover Title"].font.size.pt == page.cover_title_pt == 40
    assert styles["Cover Title"].font.bold
    assert styles["Cover Label"].font.size.pt == styles["Cover Value"].font.size.pt == 16
    assert styles["Cover Label"].font.bold and not styles["Cover Value"].font.bold
    assert round(styles["Cover Label"].paragraph_format.right_indent.mm, 1) == 8
    # A letter without a cover: one section, one table, no cover styles.
    document = read(berlin)
    assert len(document.sections) == 1 and len(document.tables) == 1
    assert "Cover Title" not in [style.name for style in document.styles]


def test_cover_same_letter_same_bytes(berlin_cover: Letter) -> None:
    assert render_docx(berlin_cover).data == render_docx(berlin_cover).data


@pytest.mark.office
@pytest.mark.parametrize("office_id", COVER_OFFICES)
def test_libreoffice_lays_out_the_cover_as_the_pdf(converted, office_id: str) -> None:  # type: ignore[no-untyped-def]
    letters, pdfs = converted
    letter, pdf = letters[f"{office_id}+cover"], pdfs[f"{office_id}+cover"]
    ours = render_pdf(letter)
    pages = pdf_pages(pdf)
    assert pages == ours.pages >= 2  # what the manifest records for the DOCX
    texts = [flat(page) for page in pdftotext(pdf).split("\f")[:pages]]
    for number, text in enumerate(texts, 1):
        assert text.startswith(f"{letter.header} · Page {number} of {pages}")
    cover = texts[0]
    assert letter.cover_title in cover
    label, value = next(row for row in letter.cover if "{pages}" in row[1])
    assert label == "Pages"
    assert flat(f"{label} {value.replace('{pages}', str(pages))}") in cover
    # The letter starts on the next page: nothing of it on the cover, no empty page between.
    assert letter.salutation not in cover
    assert flat(letter.addressee[0]) in texts[1]
    assert flat(letter.signature[0]) in texts[-1]


# --- the cached base document -------------------------------------------------------------------


@pytest.fixture(scope="module")
def varied(campaign, directory) -> list[Letter]:  # type: ignore[no-untyped-def]
    """Letters of different base documents: A4 and US Letter, with and without a cover sheet,
    two languages, right to left, and numbered lists that restart (the numbering part)."""

    def to(office_id: str, lang: str, cover: bool = False) -> Letter:
        office = directory.get(office_id)
        recipient = Recipient(office, office.country)
        return compose_letter(campaign, recipient, lang=lang, state="KZ", cover=cover)

    berlin = to("de-berlin-embassy", "en")
    items = ((Run("one"),), (Run("two", bold=True),))
    numbered = (ListBlock(items, ordered=True), Paragraph((Run("x"),)), ListBlock(items, True))
    return [
        berlin,
        to("de-berlin-embassy", "de", cover=True),
        to("us-washington-embassy", "en"),
        to("us-washington-embassy", "ru", cover=True),
        to("ch-geneva-un-mission", "de"),
        to("cn-urumqi-visa-office", "en", cover=True),
        dataclasses.replace(berlin, direction="rtl", language="ar"),
        dataclasses.replace(berlin, body=numbered),
    ]


def test_cached_and_uncached_documents_are_the_same_bytes(varied: list[Letter]) -> None:
    """The batch starts each letter from a copy of a base document built once; a letter built
    from scratch gives the same bytes, so the cache changes nothing."""
    fresh = [render_docx(letter, cached=False).data for letter in varied]
    assert len(set(fresh)) == len(varied)
    assert [render_docx(letter).data for letter in varied] == fresh
    assert [rendered.data for rendered in render_docxs(varied)] == fresh
    # Again in reverse order, each base reused after letters of other bases.
    reverse = [rendered.data for rendered in render_docxs(varied[::-1])]
    assert reverse[::-1] == fresh
    twice = [rendered.data for rendered in render_docxs([*varied, *varied])]
    assert twice == [*fresh, *fresh]


@pytest.mark.office
@pytest.mark.parametrize("key", ["de-berlin-embassy+de", "ru-moscow-embassy+ru"])
def test_libreoffice_breaks_long_letters_where_the_pdf_does(converted, key: str) -> None:  # type: ignore[no-untyped-def]
    letters, pdfs = converted
    ours = render_pdf(letters[key])
    assert ours.pages >= 3  # a cover and two pages of letter
    assert pdf_pages(pdfs[key]) == ours.pages
    theirs = pdftotext(pdfs[key]).split("\f")
    mine = pdftotext(ours.data).split("\f")
    for page in range(ours.pages):
        # The first line under the header: each page starts with the same words.
        first = [line for line in mine[page].splitlines() if line.strip()][1]
        assert first in theirs[page], (page + 1, first)
