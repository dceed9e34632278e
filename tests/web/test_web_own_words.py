"""The supporter's own words on the supporter page: the field and what it says, the letter she
previews, and the letter the moderator of "Fax it for me" reads before approving it."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from test_web import assert_tiles_are_the_page, post
from test_web_fax import ADMIN, Clock, app_for, ask, rows, settings, token_of

from conftest import SEED_CAMPAIGN, flat, pdftotext
from lettergen.supporters.service import run_sender
from lettergen.web import Site

WORDS = "Я из Москвы. <b>Свободу</b> Сакену! {{ state.name }}"


def test_the_page_offers_the_field_and_says_it_is_printed_as_written(tmp_path: Path) -> None:
    client = app_for(Site(SEED_CAMPAIGN), None, Clock())
    page = client.get("/").text
    assert '<textarea id="message" name="message"' in page and 'maxlength="600"' in page
    assert "printed in your letter exactly as you write them" in page
    preview = post(client, "/letter", name="Anna Smirnova", country="DE", message=WORDS)
    assert preview.status_code == 200
    assert "&lt;b&gt;Свободу&lt;/b&gt;" in preview.text and "<b>Свободу" not in preview.text
    too_long = post(client, "/letter", name="Anna Smirnova", country="DE", message="x" * 601)
    assert too_long.status_code == 400 and 'id="message-error"' in too_long.text


def test_the_moderator_reads_her_words_in_the_held_letter(tmp_path: Path) -> None:
    clock = Clock()
    setup = settings(tmp_path, moderate=True)
    client = app_for(Site(SEED_CAMPAIGN), setup, clock)
    token_of(ask(client, town="Köln", message=WORDS))
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    assert rows(setup, "deliveries") == []  # held until the group has read it
    (row,) = rows(setup)
    letter = client.get(f"/admin/fax/{row['id']}/letter", headers=ADMIN)
    assert letter.status_code == 200
    assert WORDS in flat(pdftotext(letter.data))
    # Her words beside her name in the held list, escaped: the moderator reads them there.
    admin = client.get("/admin", headers=ADMIN).text
    assert "Her own words, printed as written:" in admin
    assert "&lt;b&gt;Свободу&lt;/b&gt; Сакену! {{ state.name }}" in admin
    assert "<b>Свободу" not in admin
    assert row["message"] == WORDS
    # Rejected: erased with her name, from the row and from the ledger's file.
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', admin)
    assert csrf
    client.post(f"/admin/fax/{row['id']}/reject", headers=ADMIN, data={"csrf_token": csrf.group(1)})
    (row,) = rows(setup)
    assert row["state"] == "rejected" and row["message"] is None and row["name"] is None
    for path in setup.folder.glob("ledger.sqlite*"):
        assert "Сакену".encode() not in path.read_bytes(), path.name


def test_her_preview_is_her_letter_drawn_around_the_offices_bands() -> None:
    """A letter with her words is stamped on a layout that keeps room for them: the preview
    draws her paragraph and her other parts for her and takes the office's bands from that
    layout; stacked, the tiles are the downloaded PDF's pages, pixel for pixel. The worker
    keeps no word of hers."""
    import pypdfium2

    site = Site(SEED_CAMPAIGN)
    client = app_for(site, None, Clock())
    fields = {"name": "Anna Smirnova", "town": "Köln", "country": "DE", "message": WORDS}
    response = post(client, "/letter", **fields)
    pdf = post(client, "/letter.pdf", **fields).data
    assert WORDS in flat(pdftotext(pdf))
    document = pypdfium2.PdfDocument(pdf)
    pages = re.findall(r'<div class="page">(.*?)</div>', response.text)
    assert len(pages) == len(document)
    banded = sum(
        assert_tiles_are_the_page(markup, page) > 1
        for page, markup in zip(document, pages, strict=True)
    )
    assert banded == len(pages)  # the office's bands kept, not the whole page drawn for her
    assert site._stamps is not None and len(site._stamps.parts) == 0
    for key in list(site._stamps.layouts._entries):
        layout = site._stamps.layouts.get(key)
        assert layout is not None and "Москвы" not in pdftotext(layout.data)
