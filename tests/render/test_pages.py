"""One page where the text allows: the letter to every office, and to every country reached from
an office abroad, in every shipped language and for both shipped campaigns, counted from the
pages of its PDF. A fax page costs 30–45 s of line time; a second page for a closing paragraph
doubles it."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pikepdf
import pytest

from lettergen import campaign as campaigns
from lettergen import paths
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.directory.model import load_directories
from lettergen.language.languages import available
from lettergen.render.pdf import render_pdfs

LANGUAGES = available(paths.templates_dir())
CAMPAIGNS = {"free-zhanusov-2002": ("KZ", ""), "free-bialiatski-2023": ("BY", "by")}


def pages_of(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def routes(directory: Any) -> list[Recipient]:
    """Every office in its own country, and every country an office writes for from abroad."""
    found = [Recipient(o, o.country) for o in directory.offices if o.resident]
    by_id = {o.id: o for o in directory.offices}
    for office in directory.offices:
        if not office.resident and office.served_by in by_id:
            found.append(Recipient(by_id[office.served_by], office.country))
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_every_letter_is_one_page(name: str, lang: str) -> None:
    state, folder = CAMPAIGNS[name]
    directory = load_directories(paths.directories_dir() / folder, state=state)
    campaign = campaigns.load(name)
    letters: list[Letter] = [
        compose_letter(campaign, recipient, lang=lang, state=state)
        for recipient in routes(directory)
    ]
    assert len(letters) >= 5
    counts = {}
    for rendered in render_pdfs(letters):
        assert not rendered.error
        key = f"{rendered.letter.office_id}/{rendered.letter.country}"
        counts[key] = pages_of(rendered.data)
        assert counts[key] == rendered.pages
    longer = {key: pages for key, pages in counts.items() if pages != 1}
    assert not longer, f"{name} in {lang}: letters of more than one page: {longer}"


def test_a_letter_longer_than_a_page_keeps_its_text_and_breaks() -> None:
    """Nothing is cut to fit: a case too long for the smallest setting takes a second page,
    in the ordinary setting, every word of it printed."""
    from conftest import pdftotext

    campaign = campaigns.load("free-zhanusov-2002")
    directory = load_directories(state="KZ")
    office = directory.get("de-berlin-embassy")
    long_case = "\n\n".join(f"Paragraph {n}: " + "the case goes on. " * 40 for n in range(6))
    longer = dataclasses.replace(campaign, case={**campaign.case, "en": long_case})
    letter = compose_letter(longer, Recipient(office, "DE"), lang="en", state="KZ")
    (rendered,) = list(render_pdfs([letter]))
    assert rendered.pages == 2 and rendered.fit == 0
    text = " ".join(pdftotext(rendered.data).split())
    for n in range(6):
        assert f"Paragraph {n}:" in text
