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
from lettergen.compose import Recipient, compose
from lettergen.letter import Letter, ListBlock, Paragraph, Run
from lettergen.render.docx import FONT, header_parts, layout, render_docx, word_language
from lettergen.render.pdf import render_pdf

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

#: Offices of the shipped directory: A4 and US Letter, with and without a postal address.
OFFICES = [
    "de-berlin-embassy",
    "us-washington-embassy",
    "cn-urumqi-visa-office",
    "ch-geneva-un-mission",
]


def letter_for(campaign, directory, office_id: str) -> Letter:  # type: ignore[no-untyped-def]
    office = directory.get(office_id)
    return compose(campaign, Recipient(office, office.country), lang="en", state="KZ")


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
        ("text", "Fax an +49 30 4700 7125 · "),
        ("text", "Seite "),
        ("field", "PAGE"),
        ("text", " von "),
        ("field", "NUMPAGES"),
    ]
    letter = dataclasses.replace(letter, page_label="{pages}/{page}")
    assert [value for _, value in header_parts(letter)][1:] == ["NUMPAGES", "/", "PAGE"]
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
        berlin, direction="rtl", language="ar", body=(Paragraph((Run("نص", bold=True),)),)
    )
    document = read(letter)
    assert document.styles["Normal"].element.pPr.find(f"{W}bidi") is not None
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults.find(f"{W}rFonts").get(f"{W}cs") == "Noto Naskh Arabic"
    assert defaults.find(f"{W}lang").get(f"{W}bidi") == word_language("ar")
    (paragraph,) = [p for p in document.paragraphs if p.style.name == "Normal"]
    rpr = paragraph.runs[0]._r.rPr
    assert rpr.find(f"{W}rtl") is not None and rpr.find(f"{W}bCs") is not None
    assert document.tables[0]._tbl.tblPr.find(f"{W}bidiVisual") is not None


def test_properties_are_in_schema_order(berlin: Letter) -> None:
    """Word refuses a document whose property elements are out of order; LibreOffice does not
    care, so only this test would notice."""
    from lettergen.render import docx as writer

    orders = {"pPr": writer._PPR_ORDER, "rPr": writer._RPR_ORDER, "tblPr": writer._TBLPR_ORDER}
    rtl = dataclasses.replace(berlin, direction="rtl", language="ar")
    for letter in (berlin, rtl):
        with zipfile.ZipFile(io.BytesIO(render_docx(letter).data)) as package:
            for name in package.namelist():
                if not (name.startswith("word/") and name.endswith(".xml")):
                    continue
                root = docx.oxml.parse_xml(package.read(name))
                for tag, order in orders.items():
                    for element in root.iter(f"{W}{tag}"):
                        if tag == "rPr" and element.getparent().tag == f"{W}pPr":
                            continue  # a paragraph mark's run properties: same order, checked below
                        names = [c.tag[len(W) :] for c in element if c.tag.startswith(W)]
                        positions = [order.index(n) for n in names]
                        assert positions == sorted(positions), (name, tag, names)


def _any_letter() -> Letter:
    return Letter(
        campaign="c", office_id="o", country="DE", language="en", signer_slug="", fax=None,
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
    """Every test letter as DOCX, plus one with a demand edited in python-docx, converted by
    LibreOffice in one call."""
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
