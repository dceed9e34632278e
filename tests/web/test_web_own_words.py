"""The supporter's own words on the supporter page: the field and what it says, the letter she
previews, and the letter the moderator of "Fax it for me" reads before approving it."""

from __future__ import annotations

import threading
from pathlib import Path

from test_web import post
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
