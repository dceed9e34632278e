""" "Fax it for me" end to end: `lettergen serve --fax-for-me` as a subprocess (gunicorn and
its sender process, the dry-run transport), Debian's Chromium driven by Playwright. A supporter
asks, the group approves on /admin, the sender sends, the supporter sees it sent and deletes
it. Screenshots at 1280 and 375 px go to output/screenshots/ to be looked at."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_web_browser import CHROMIUM, SHOTS, browser  # noqa: F401

from serve_process import processes_with, serving

NAME = "Анна Смирнова-Ωμέγα"
PASSWORD = "group-s3cret"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """The server with fax-for-me on (moderated); yields its address, log and folder."""
    work = tmp_path_factory.mktemp("fax-for-me")
    folder = work / "supporters"
    config = work / "campaign.send.toml"
    config.write_text(
        'transport = "dry-run"\n'
        '[hours]\nhours = "00:00-24:00"\ndays = "mon-sun"\n'
        f'[fax_for_me]\nmoderate = true\npoll_seconds = 0.5\nfolder = "{folder}"\n',
        encoding="utf-8",
    )
    log = work / "serve.log"
    options = ["--admin", "--fax-for-me", "--config", str(config), "--workers", "1"]
    env = {"LETTERGEN_ADMIN_PASSWORD": PASSWORD}
    with serving(*options, "--letters-per-minute", "0", log=log, env=env) as (url, process):
        assert processes_with(str(config)), "serve started its sender"
        yield url, log, folder
        # Stopping serve (not its process group) stops the sender it started.
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        assert [p for p in processes_with(str(config)) if p != process.pid] == []


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)


def test_ask_approve_send_and_delete(served: tuple[str, Path, Path], browser: Any) -> None:  # noqa: F811
    url, log, folder = served
    supporter = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="de-DE")
    group = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="de-DE",
        http_credentials={"username": "group", "password": PASSWORD},
    )
    try:
        page = supporter.new_page()
        page.goto(url)
        page.fill("#name", NAME)
        page.fill("#town", "Köln")
        page.select_option("#country", "DE")
        page.click("button.primary")
        page.wait_for_selector("figure.preview img")
        section = page.locator("#fax-for-me-heading").locator("..")
        assert "Die Kampagnengruppe liest jede Anfrage" in section.inner_text()
        section.screenshot(path=SHOTS / "fax-for-me-offer-1280.png")
        page.click("button:text('Für mich faxen')")
        page.wait_for_selector(".notice")
        link = page.locator(".notice .link a").inner_text()
        assert link.startswith(url + "fax/")
        assert (
            "Wartet darauf, dass die Kampagnengruppe es liest"
            in page.locator(".state").inner_text()
        )
        _shot(page, "fax-status-held-1280.png")

        small = phone.new_page()
        small.goto(link)
        assert small.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(small, "fax-status-held-375.png")

        admin = group.new_page()
        admin.goto(url + "admin")
        assert NAME in admin.locator(".held").inner_text()
        _shot(admin, "fax-admin-1280.png")
        admin.set_viewport_size({"width": 375, "height": 800})
        _shot(admin, "fax-admin-375.png")
        admin.click("button:text('Freigeben')")  # the group's browser speaks German
        admin.wait_for_load_state()
        assert "Nichts wartet." in admin.locator("main").inner_text()

        deadline = time.monotonic() + 30
        while "Gesendet" not in page.locator(".state").inner_text():
            assert time.monotonic() < deadline, "the sender did not send the letter"
            time.sleep(0.5)
            page.goto(link)
        # The letter reached its office: the sender deleted it and the name at once.
        assert "Ihr Brief und Ihr Name sind gelöscht" in page.locator("main").inner_text()
        _shot(page, "fax-status-sent-1280.png")
        assert list((folder / "letters").iterdir()) == []

        # A second letter, to another office, withdrawn while it waits for the group.
        page.goto(url)
        page.fill("#name", NAME)
        page.select_option("#office", "de-frankfurt-consulate-general")
        page.click("button.primary")
        page.wait_for_selector("figure.preview img")
        page.click("button:text('Für mich faxen')")
        page.wait_for_selector(".notice")
        second = page.locator(".notice .link a").inner_text()
        page.click("text=Zurückziehen und meinen Brief löschen")
        assert "Erledigt" in page.locator(".notice").inner_text()
        assert "Sie haben es zurückgezogen." in page.locator(".state").inner_text()
        small.goto(second)
        _shot(small, "fax-status-withdrawn-375.png")
        small.goto(link)
        _shot(small, "fax-status-sent-375.png")

        # On a phone, the same supporter asks again for Berlin: refused, with the reason.
        small.goto(url)
        small.fill("#name", NAME)
        small.select_option("#country", "DE")
        small.click("button.primary")
        small.wait_for_selector("figure.preview img")
        offer = small.locator("#fax-for-me-heading").locator("..")
        offer.screenshot(path=SHOTS / "fax-for-me-offer-375.png")
        small.click("button:text('Für mich faxen')")
        refusal = small.locator("main").inner_text()
        assert "Sie haben bereits ein Fax Ihres Briefes an diese Vertretung angefordert" in refusal
        assert small.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(small, "fax-refused-375.png")

        with sqlite3.connect(folder / "ledger.sqlite") as db:
            assert db.execute("SELECT state FROM deliveries").fetchall() == [("sent",)]
            assert db.execute("SELECT state, name, file FROM requests").fetchall() == [
                ("approved", None, None),
                ("withdrawn", None, None),
            ]  # the refused third request left nothing
        assert list((folder / "letters").iterdir()) == []
        text = log.read_text(errors="replace")
        assert NAME not in text and "Köln" not in text and "Traceback" not in text
        # The private links are masked in the access log: whoever reads it cannot use them.
        for private in (link, second):
            assert private.rsplit("/", 1)[1] not in text
        assert '"GET /fax/…" 200' in text and '"POST /fax/…/delete" 200' in text
    finally:
        for context in (supporter, phone, group):
            context.close()
