"""Composition and the PDF writer: checked by the text read back from the PDF."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import flat, pdffonts, pdftotext, plain
from lettergen.campaign.signers import Signer
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.markdown import to_blocks
from lettergen.errors import TemplateError
from lettergen.language.markup import escape
from lettergen.render.pdf import css_string, render_pdf


def letter_for(campaign, directory, office_id, country=None, **kw):  # type: ignore[no-untyped-def]
    office = directory.get(office_id)
    return compose_letter(
        campaign, Recipient(office, country or office.country), lang="en", state="KZ", **kw
    )


def test_berlin_letter_reads_right(campaign, directory, tmp_path: Path) -> None:
    letter = letter_for(campaign, directory, "de-berlin-embassy")
    rendered = render_pdf(letter)
    pdf = tmp_path / "berlin.pdf"
    pdf.write_bytes(rendered.data)
    text = flat(pdftotext(pdf))

    assert "H.E. the Ambassador of the Republic of Kazakhstan" in text
    assert "Embassy of the Republic of Kazakhstan" in text
    assert "Nordendstraße 14-17" in text  # corrected in the directory, with its source
    assert "13156 Berlin GERMANY" in text  # posted from London: the country line
    assert "Fax to +49 30 47007125" in text
    assert "Page 1 of 1" in text
    assert "Sent by fax to +49 30 47007125" in text  # the first page states the destination
    assert "Saken Zhanusov and the Karaganda Confederation of Free Trade Unions" in text
    assert "Your Excellency," in text
    assert "7 September 2002" in text
    for demand in campaign.demands["en"]:
        assert flat(plain(demand)) in plain(text)
    assert "Anna Weber" in text
    assert rendered.pages == 1
    fonts = pdffonts(pdf)
    assert fonts and all(row["emb"] == "yes" for row in fonts), fonts
    assert all("Liberation" in row["name"] for row in fonts), fonts


def test_every_page_carries_the_fax_header(campaign, directory) -> None:
    long_case = campaign.case["en"] + "\n\n" + "\n\n".join([campaign.case["en"]] * 3)
    longer = dataclasses.replace(campaign, case={"en": long_case})
    rendered = render_pdf(letter_for(longer, directory, "de-berlin-embassy"))
    assert rendered.pages >= 2
    pages = pdftotext(rendered.data).split("\f")
    for number in range(1, rendered.pages + 1):
        assert f"Fax to +49 30 47007125 · Page {number} of {rendered.pages}" in pages[number - 1]


def test_us_offices_get_letter_paper(campaign, directory) -> None:
    washington = letter_for(campaign, directory, "us-washington-embassy")
    berlin = letter_for(campaign, directory, "de-berlin-embassy")
    assert (washington.page_size, berlin.page_size) == ("Letter", "A4")
    import pypdfium2

    for letter, size in ((washington, (612, 792)), (berlin, (595, 842))):
        page = pypdfium2.PdfDocument(render_pdf(letter).data)[0]
        assert tuple(round(v) for v in page.get_size()) == size


def test_accredited_ambassador_is_addressed_as_such(campaign, directory) -> None:
    letter = letter_for(campaign, directory, "eg-cairo-embassy", country="DZ")
    assert plain(letter.addressee[0]) == (
        "H.E. the Ambassador of the Republic of Kazakhstan to Algeria, resident in Cairo"
    )
    assert "in your capacity as Ambassador" in letter.body[0].text  # type: ignore[union-attr]
    assert "accredited to Algeria" in letter.body[0].text  # type: ignore[union-attr]
    assert letter.salutation == "Your Excellency,"


@pytest.mark.parametrize(
    ("office_id", "first_line", "salutation"),
    [
        (
            "de-frankfurt-consulate-general",
            "The Consul General of the Republic of Kazakhstan",
            "Dear Consul General,",
        ),
        ("de-hannover-consulate", "The Consul of the Republic of Kazakhstan", "Dear Consul,"),
        (
            "ch-geneva-un-mission",
            "H.E. the Permanent Representative of the Republic of Kazakhstan to the "
            "United Nations Office at Geneva",
            "Your Excellency,",
        ),
        (
            "cz-prague-mission",
            "The Head of the Mission of the Republic of Kazakhstan",
            "Dear Sir or Madam,",
        ),
    ],
)
def test_forms_of_address_by_office_kind(
    campaign, directory, office_id, first_line, salutation
) -> None:  # type: ignore[no-untyped-def]
    letter = letter_for(campaign, directory, office_id)
    assert plain(letter.addressee[0]) == first_line
    assert letter.salutation == salutation


def test_demands_are_a_list_in_the_content_model(campaign, directory) -> None:
    letter = letter_for(campaign, directory, "de-berlin-embassy")
    assert [plain(d) for d in letter.demands] == list(campaign.demands["en"])


@pytest.mark.parametrize(
    "hostile", ["{{ 7*7 }}", "<img src=http://example.org/x>", "**bold** [link](http://x)"]
)
def test_untrusted_text_stays_text(campaign, directory, hostile: str) -> None:
    sneaky = dataclasses.replace(
        campaign, demands={"en": (*campaign.demands["en"], f"Demand {hostile}")}
    )
    letter = letter_for(sneaky, directory, "de-berlin-embassy", signer=Signer(hostile))
    text = flat(pdftotext(render_pdf(letter).data))
    assert f"Demand {hostile}" in text  # the demand, as written
    assert text.count(hostile) >= 2  # and the signer's name
    assert "49" not in text.replace("+49", "")  # {{ 7*7 }} never ran


def test_campaign_markdown_html_prints_literally(campaign, directory) -> None:
    sneaky = dataclasses.replace(campaign, case={"en": "<script>alert(1)</script> and {{ 7*7 }}"})
    text = flat(pdftotext(render_pdf(letter_for(sneaky, directory, "de-berlin-embassy")).data))
    assert "<script>alert(1)</script> and {{ 7*7 }}" in text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
def test_escaped_text_reads_back_unchanged(text: str) -> None:
    blocks = to_blocks("Before " + escape(text) + " after")
    expected = " ".join(("Before " + text + " after").split())
    assert [" ".join(b.text.split()) for b in blocks] == [expected]  # type: ignore[union-attr]


def test_css_strings_cannot_break_out() -> None:
    value = css_string('a"b\\c</style>')
    assert '"' not in value[1:-1] and "<" not in value and "\\" in value


def test_css_strings_keep_every_space() -> None:
    import tinycss2

    for text in ("Fax to +49 30 · Page ", "a  b", " ·  "):
        (token,) = [
            t for t in tinycss2.parse_component_value_list(css_string(text)) if t.type == "string"
        ]
        assert token.value == text


def test_rendering_fetches_nothing_from_the_network(
    campaign, directory, tmp_path: Path, caplog
) -> None:  # type: ignore[no-untyped-def]
    from lettergen import paths

    templates = tmp_path / "templates"
    shutil.copytree(paths.templates_dir(), templates)
    css = templates / "layout" / "letter.css"
    css.write_text(
        css.read_text() + "\nbody { background: url(http://example.org/tracker.png); }\n"
    )
    office = directory.get("de-berlin-embassy")
    letter = compose_letter(
        campaign, Recipient(office, "DE"), lang="en", state="KZ", templates=templates
    )
    with caplog.at_level(logging.WARNING, logger="lettergen"):
        rendered = render_pdf(letter, templates)
    assert rendered.pages == 1
    assert "refused to fetch http://example.org/tracker.png" in caplog.text


def test_missing_template_field_names_template_and_line(
    campaign, directory, tmp_path: Path
) -> None:
    from lettergen import paths

    templates = tmp_path / "templates"
    shutil.copytree(paths.templates_dir(), templates)
    body = templates / "en" / "letter.md.j2"
    body.write_text(body.read_text() + "\n{{ no_such_field }}\n")
    office = directory.get("de-berlin-embassy")
    with pytest.raises(TemplateError) as caught:
        compose_letter(
            campaign, Recipient(office, "DE"), lang="en", state="KZ", templates=templates
        )
    message = str(caught.value)
    assert "letter.md.j2:" in message and "no_such_field" in message
    line = len(body.read_text().splitlines())
    assert f"letter.md.j2:{line}" in message


def test_pdf_bytes_are_deterministic(campaign, directory) -> None:
    letter = letter_for(campaign, directory, "de-berlin-embassy")
    assert render_pdf(letter).data == render_pdf(letter).data


def test_the_library_api_writes_a_letter() -> None:
    import lettergen

    campaign = lettergen.load_campaign("free-zhanusov-2002")
    directory = lettergen.load_directories()
    (first, *_) = lettergen.route(directory, "NL")
    letter = lettergen.compose_letter(
        campaign, lettergen.Recipient(first.office, "NL"), lang="en", state=directory.state
    )
    (pdf,) = lettergen.render_pdfs([letter])
    assert first.office.id == "be-brussels-embassy"
    assert "to the Netherlands, resident in Brussels" in flat(pdftotext(pdf.data))
    assert lettergen.pdf_to_tiff(pdf.data).pages == pdf.pages


def test_campaign_markdown_cannot_reach_into_the_letter(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    fenced = dataclasses.replace(
        campaign, case={"en": "```\nAn unclosed code fence.\n\n# A heading"}
    )
    letter = letter_for(fenced, directory, "de-berlin-embassy")
    assert [plain(d) for d in letter.demands] == list(campaign.demands["en"])
    text = flat(pdftotext(render_pdf(letter).data))
    assert "Release Saken Zhanusov immediately." in text
    assert "immediately\\." not in text  # no escapes printed
    assert "Yours faithfully," in text
