""" "Fax it for me" with confirmation by e-mail and the e-mail transport, against a real SMTP
server on 127.0.0.1 (aiosmtpd): the link arrives, opening it queues the letter, the fax
gateway receives it exactly once."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_web import NAME, post
from test_web_fax import Clock, app_for, ask, rows, token_of

from lettergen.send.config import SendConfig
from lettergen.send.schedule import Policy
from lettergen.supporters.rules import Rules
from lettergen.supporters.service import Settings, run_sender
from lettergen.web import Site
from smtp_server import free_port, smtp_server

EMAIL = "anna@example.org"
# The links in the e-mail are under public_url, never under the request's Host (localhost here).
LINKS = re.compile(
    r"https://letters\.example\.org(/fax/[A-Za-z0-9_-]{32}(?:/confirm/[A-Za-z0-9_-]{32})?)"
)


@pytest.fixture(autouse=True)
def no_smtp_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The test server takes mail without a login: no credentials from this machine."""
    monkeypatch.delenv("LETTERGEN_SMTP_USER", raising=False)
    monkeypatch.delenv("LETTERGEN_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("LETTERGEN_NETRC", str(tmp_path / "no-netrc"))


@pytest.fixture(scope="module")
def site() -> Site:
    from conftest import SEED_CAMPAIGN

    return Site(SEED_CAMPAIGN)


def mail_settings(folder: Path, port: int, **rules: Any) -> Settings:
    email = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "campaign@example.org",
        "gateway": "{number}@fax.example.net",
        "timeout": 10,
    }
    return Settings(
        folder=folder / "supporters",
        config=SendConfig("email", Policy(ignore_hours=True), {"email": email}),
        rules=replace(Rules(confirm=True, public_url="https://letters.example.org/"), **rules),
    )


def test_the_letter_is_faxed_once_after_the_supporter_opens_the_link(
    site: Site, tmp_path: Path
) -> None:
    clock = Clock()
    with smtp_server() as (server, port):
        setup = mail_settings(tmp_path, port)
        client = app_for(site, setup, clock)
        preview = post(client, "/letter", name=NAME, country="DE")
        assert "We send a link to your e-mail address" in preview.text
        # No address in the form: the offer asks for one in its own field.
        assert 'action="/fax"' in preview.text and 'id="fax-email" name="email"' in preview.text
        refused = ask(client)
        assert refused.status_code == 400
        assert "please give your e-mail address for the confirmation link" in refused.text
        pdf = post(client, "/letter.pdf", name=NAME, country="DE", email=EMAIL).data
        response = ask(client, email=EMAIL)
        assert response.status_code == 200
        token = token_of(response)
        assert "Waiting for your confirmation" in response.text
        (mail,) = server.messages
        assert mail["To"] == EMAIL and mail["From"] == "campaign@example.org"
        assert mail["Subject"].startswith("Please confirm your fax: ")
        body = mail.get_content()
        links = LINKS.findall(body)
        confirm = next(link for link in links if "/confirm/" in link)
        assert f"/fax/{token}" in links and confirm.startswith(f"/fax/{token}/confirm/")
        assert "Berlin — embassy (Germany)" in body and NAME not in body
        (row,) = rows(setup)
        assert row["state"] == "awaiting" and EMAIL not in str(row)  # the address is not kept

        run_sender(setup, stop=threading.Event(), clock=clock, once=True)
        assert len(server.messages) == 1  # not confirmed: not sent
        page = client.get(confirm)
        assert page.status_code == 200 and "Yes, fax my letter" in page.text
        assert client.post(confirm, data={"lang": "en"}).status_code == 403  # CSRF
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        done = client.post(confirm, data={"csrf_token": csrf.group(1), "lang": "en"})
        assert done.status_code == 303 and done.headers["Location"].endswith(f"/fax/{token}")
        assert rows(setup)[0]["state"] == "approved" and rows(setup)[0]["confirm_hash"] is None
        assert "Queued" in client.get(confirm).text  # the used link shows where it is

        for _ in range(2):
            run_sender(setup, stop=threading.Event(), clock=clock, once=True)
        faxes = [m for m in server.messages if m["To"] == "493047007125@fax.example.net"]
        assert len(faxes) == 1  # exactly once
        (attachment,) = list(faxes[0].iter_attachments())
        assert attachment.get_content() == pdf  # the letter the supporter previewed
        assert [d["state"] for d in rows(setup, "deliveries")] == ["sent"]
        assert "Sent; the office" in client.get(f"/fax/{token}").text


def test_a_late_confirmation_is_refused(site: Site, tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (server, port):
        setup = mail_settings(tmp_path, port, confirm_within=timedelta(hours=48))
        client = app_for(site, setup, clock)
        ask(client, email=EMAIL)
        (confirm,) = [
            link for link in LINKS.findall(server.messages[0].get_content()) if "/confirm/" in link
        ]
    clock.now += timedelta(hours=49)
    page = client.get(confirm)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    late = client.post(confirm, data={"csrf_token": csrf.group(1), "lang": "en"})
    assert late.status_code == 410 and "no longer valid" in late.text
    assert rows(setup)[0]["state"] == "awaiting"


def test_when_the_mail_cannot_go_nothing_is_kept(site: Site, tmp_path: Path) -> None:
    setup = mail_settings(tmp_path, free_port())  # nothing listens there
    client = app_for(site, setup, Clock())
    response = ask(client, email=EMAIL)
    assert response.status_code == 503
    assert "We could not send the confirmation e-mail, so nothing was kept" in response.text
    (row,) = rows(setup)
    assert row["state"] == "withdrawn" and row["name"] is None and row["file"] is None
    assert list((setup.folder / "letters").iterdir()) == []


def test_the_sender_outlives_a_refused_login(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A transport that cannot work at all puts the letter back in the queue and waits; the
    sender does not die (serve would go on taking requests nobody sends)."""
    import time

    monkeypatch.setenv("LETTERGEN_SMTP_USER", "campaign")
    monkeypatch.setenv("LETTERGEN_SMTP_PASSWORD", "wrong")
    clock = Clock()
    with smtp_server() as (server, port):
        setup = mail_settings(tmp_path, port, confirm=False)
        client = app_for(site, setup, clock)
        ask(client)
        stop = threading.Event()
        sender = threading.Thread(target=run_sender, args=(setup,), kwargs={"stop": stop})
        sender.start()
        try:
            deadline = time.monotonic() + 20
            while "sending stopped for now" not in caplog.text:
                assert time.monotonic() < deadline and sender.is_alive()
                time.sleep(0.1)
            assert sender.is_alive()
        finally:
            stop.set()
            sender.join(timeout=20)
        assert not sender.is_alive()
    (delivery,) = rows(setup, "deliveries")
    assert delivery["state"] == "queued" and "refused us" in delivery["last_error"]
    assert server.logins == [("campaign", "wrong")] and server.messages == []
