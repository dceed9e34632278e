""" "Fax it for me" through Flask's test client: the switch, the request read back from the
ledger's SQLite file, the limits, the status link, withdrawal and deletion, moderation, the
sender (dry-run), and the purge after the retention period (an injected clock, no sleeps)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_web import NAME, post

from conftest import SEED_CAMPAIGN
from lettergen.cli import cli
from lettergen.send.config import SendConfig
from lettergen.send.schedule import Policy
from lettergen.supporters.rules import Rules
from lettergen.supporters.service import Settings, run_sender
from lettergen.web import Site, create_app

SECRET = b"test-secret"
ADMIN = {"Authorization": "Basic " + base64.b64encode(b"group:s3cret").decode()}
LINK = re.compile(r"https?://[^/\s\"<]+/fax/([A-Za-z0-9_-]{32})")


class Clock:
    """The time the page and the sender see; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED_CAMPAIGN)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def settings(folder: Path, transport: str = "dry-run", **rules: Any) -> Settings:
    return Settings(
        folder=folder / "supporters",
        config=SendConfig(transport, Policy(ignore_hours=True)),
        rules=replace(Rules(), **rules),
    )


def app_for(site: Site, setup: Settings | None, clock: Clock) -> Any:
    return create_app(
        site,
        letters_per_minute=0,
        fax_for_me=setup,
        secret=SECRET,
        clock=clock,
        admin_password="s3cret",
    ).test_client()


FAX_FORM = re.compile(r'<form method="post" action="/fax">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def ask(client: Any, name: str = NAME, **fields: str) -> Any:
    """As a browser does: the preview, then its "Fax it for me" form as the page filled it
    in (the letter's fields and the fingerprint of the letter shown), with the e-mail typed
    into the form's own field where it asks for one."""
    values = {"country": "DE"} | fields
    preview = post(client, "/letter", name=name, **values)
    form = FAX_FORM.search(preview.text)
    if form is None:  # the preview offers none: the request a page without it would send
        return post(client, "/fax", name=name, **values)
    sent = {key: html.unescape(value) for key, value in HIDDEN.findall(form.group(1))}
    if 'name="email" type="email"' in form.group(1) and "email" in values:
        sent["email"] = values["email"]
    return client.post("/fax", data=sent)


def token_of(response: Any) -> str:
    found = LINK.search(response.text)
    assert found, response.text
    return found.group(1)


def rows(setup: Settings, table: str = "requests") -> list[dict[str, Any]]:
    with sqlite3.connect(setup.folder / "ledger.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]


# The switch


def test_off_by_default_it_is_not_offered_and_fax_is_refused(site: Site, clock: Clock) -> None:
    client = app_for(site, None, clock)
    preview = post(client, "/letter", name=NAME, country="DE")
    assert "Fax it for me" not in preview.text and 'action="/fax"' not in preview.text
    refused = post(client, "/fax", name=NAME, country="DE")
    assert refused.status_code == 503
    assert "This server does not send faxes for supporters" in refused.text
    assert client.get("/fax/" + "a" * 32).status_code == 404


def test_only_the_letter_seen_is_faxed(site: Site, clock: Clock, tmp_path: Path) -> None:
    """The request carries the fingerprint of the letter on the preview: a request for
    another letter (another office, another name than the one shown) is refused, and nothing
    is kept."""
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    preview = post(client, "/letter", name=NAME, country="DE")
    form = FAX_FORM.search(preview.text)
    assert form
    sent = {key: html.unescape(value) for key, value in HIDDEN.findall(form.group(1))}
    for changed in ({"country": "AT"}, {"name": "Someone Else"}, {"letter": ""}):
        refused = client.post("/fax", data=sent | changed)
        assert refused.status_code == 409, changed
        assert "<title>Error:" in refused.text and "has changed since you saw it" in refused.text
    assert not (setup.folder / "ledger.sqlite").exists() or rows(setup) == []
    assert client.post("/fax", data=sent).status_code == 200
    assert [row["office_id"] for row in rows(setup)] == ["de-berlin-embassy"]


def test_on_the_preview_offers_it_and_says_what_is_kept(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    client = app_for(site, settings(tmp_path, retention=timedelta(days=30)), clock)
    preview = post(client, "/letter", name=NAME, country="DE")
    assert 'action="/fax"' in preview.text and "Fax it for me</button>" in preview.text
    assert "never longer than 30 days" in preview.text
    assert "Test mode: this server records requests but faxes nothing." in preview.text


# The request


def test_a_request_keeps_the_previewed_pdf_and_a_row_in_the_ledger(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    pdf = post(client, "/letter.pdf", name=NAME, town="Köln", country="DE").data
    response = ask(client, town="Köln")
    assert response.status_code == 200
    assert "Keep this private link" in response.text
    token = token_of(response)
    (row,) = rows(setup)
    assert row["state"] == "approved" and row["office_id"] == "de-berlin-embassy"
    assert row["fax"] == "+493047007125" and row["language"] == "en"
    assert (row["name"], row["town"]) == (NAME, "Köln")
    letter = (setup.folder / row["file"]).read_bytes()
    assert letter == pdf  # the very PDF the supporter previewed and downloaded
    assert row["sha256"] == hashlib.sha256(pdf).hexdigest() and row["pages"] >= 1
    assert not list((setup.folder / "letters").glob(".writing-*"))
    # Only hashes of the link and of the client address are stored.
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    dump = "\n".join(sqlite3.connect(setup.folder / "ledger.sqlite").iterdump())
    assert token not in dump and "127.0.0.1" not in dump
    assert row["address_key"] and row["signer_key"] and NAME.casefold() not in row["signer_key"]
    # No delivery yet: it is made when the office's hours come (the sender's release).
    assert rows(setup, "deliveries") == []


def test_a_fax_server_gets_the_fax_image_of_the_previewed_letter(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    """A transport that prefers TIFF (HylaFAX) gets the fax image lettergen makes and checks,
    from the same PDF, not a PDF for the fax server to convert."""
    setup = replace(settings(tmp_path), letter_format="tiff")
    client = app_for(site, setup, clock)
    tiff = post(client, "/letter.tiff", name=NAME, country="DE").data
    assert ask(client).status_code == 200
    (row,) = rows(setup)
    assert row["file"].endswith(".tiff")
    assert (setup.folder / row["file"]).read_bytes() == tiff
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    (delivery,) = rows(setup, "deliveries")
    assert delivery["file"] == row["file"] and delivery["state"] == "sent"


def test_an_office_without_a_fax_number_cannot_be_faxed(clock: Clock, tmp_path: Path) -> None:
    site = Site(SEED_CAMPAIGN.with_name("free-bialiatski-2023.yaml"))  # letters by post too
    no_fax = next(o for o in site.offices if not o.faxes)
    client = app_for(site, settings(tmp_path), clock)
    preview = post(client, "/letter", name=NAME, office=no_fax.id)
    assert "This office has no fax number" in preview.text
    response = ask(client, office=no_fax.id)
    assert response.status_code == 400 and "This office has no fax number" in response.text


def test_a_form_error_goes_back_to_the_form(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path)
    response = ask(app_for(site, setup, clock), name="")
    assert response.status_code == 400 and "Please give your name." in response.text
    assert not setup.folder.exists()  # nothing kept, not even a ledger


# Limits


def test_one_signer_asks_once_per_office(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    assert ask(client).status_code == 200
    # The same name, cleaned and case-folded, to the same office: refused.
    again = ask(client, name="  " + NAME.upper().replace(" ", "   ") + " ")
    assert again.status_code == 429
    assert "You have already asked for a fax of your letter to this office" in again.text
    clock.now += timedelta(days=31)  # past the retention period: may ask again
    assert ask(client).status_code == 200
    assert len(rows(setup)) == 2


def test_one_signer_asks_at_most_n_a_day(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path, per_signer_per_day=2)
    client = app_for(site, setup, clock)
    offices = [o.id for o in site.offices if o.faxes][:3]
    assert ask(client, office=offices[0]).status_code == 200
    assert ask(client, office=offices[1]).status_code == 200
    refused = ask(client, office=offices[2])
    assert refused.status_code == 429
    assert "You have asked for 2 faxes today, the most one person can" in refused.text
    clock.now += timedelta(days=1, minutes=1)
    assert ask(client, office=offices[2]).status_code == 200


def test_one_address_asks_at_most_m_a_day(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path, per_address_per_day=2)
    client = app_for(site, setup, clock)
    assert ask(client, name="Anna Weber").status_code == 200
    assert ask(client, name="Jan Novák").status_code == 200
    refused = ask(client, name="Eva Dvořák")
    assert refused.status_code == 429 and "from your connection today" in refused.text
    # A withdrawn request does not count against the supporter.
    first = rows(setup)[0]
    assert first["state"] == "approved"
    assert len(rows(setup)) == 2


def test_a_withdrawn_request_does_not_count(site: Site, clock: Clock, tmp_path: Path) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    assert post(client, f"/fax/{token}/delete").status_code == 200
    assert ask(client).status_code == 200  # a typo fixed, say


# The status link


def test_the_status_link_speaks_the_supporters_language(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    client = app_for(site, settings(tmp_path), clock)
    response = ask(client, lang="de")
    token = token_of(response)
    assert "Bewahren Sie diesen privaten Link auf" in response.text
    page = client.get(f"/fax/{token}")
    assert page.status_code == 200 and '<html lang="de"' in page.text
    assert "In der Warteschlange" in page.text and "Berlin" in page.text
    assert "Zurückziehen und meinen Brief löschen" in page.text
    assert "Queued" in client.get(f"/fax/{token}?lang=en").text
    assert client.get("/fax/" + "x" * 32).status_code == 404


def test_withdrawing_deletes_the_letter_and_the_name(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    file = setup.folder / rows(setup)[0]["file"]
    assert file.is_file()
    no_token = client.post(f"/fax/{token}/delete", data={"lang": "en"})
    assert no_token.status_code == 403 and file.is_file()  # CSRF
    response = post(client, f"/fax/{token}/delete")
    assert response.status_code == 200 and "You withdrew it." in response.text
    assert "Your letter and your name are deleted" in response.text
    (row,) = rows(setup)
    assert row["state"] == "withdrawn" and not file.exists()
    assert row["name"] is row["town"] is row["file"] is row["signer_key"] is None
    # The sender finds nothing to send.
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    assert rows(setup, "deliveries") == []


# The sender, then deletion after sending


def test_the_sender_sends_once_then_the_letter_is_deleted(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    for _ in range(2):  # a second pass sends nothing again
        run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    (delivery,) = rows(setup, "deliveries")
    assert delivery["state"] == "sent" and delivery["attempts"] == 1
    assert delivery["signer"].startswith("request-")  # never the name
    page = client.get(f"/fax/{token}")
    assert "Sent; the office" in page.text
    # It reached its office: the sender erased the letter and the name at once.
    assert "Your letter and your name are deleted." in page.text
    (row,) = rows(setup)
    assert row["file"] is None and row["name"] is None
    assert row["signer_key"] is not None  # the limit holds for the retention period
    assert list((setup.folder / "letters").iterdir()) == []


def test_a_letter_in_the_senders_hands_cannot_be_withdrawn(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    from lettergen.supporters.store import Supporters

    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    with Supporters.open(setup.folder, setup.rules, clock=clock) as store:
        store.release(setup.config.policy)  # now a queued delivery
    page = client.get(f"/fax/{token}")
    assert "You can delete your letter once it is sent." in page.text
    response = post(client, f"/fax/{token}/delete")
    assert response.status_code == 409 and "being faxed right now" in response.text
    assert (setup.folder / rows(setup)[0]["file"]).is_file()


# Moderation


def test_moderation_holds_requests_until_the_group_approves(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path, moderate=True)
    client = app_for(site, setup, clock)
    token = token_of(ask(client, town="Köln"))
    assert "Waiting for the campaign group to read it." in client.get(f"/fax/{token}").text
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    assert rows(setup, "deliveries") == []  # held: not sent
    assert client.get("/admin").status_code == 401
    admin = client.get("/admin", headers=ADMIN)
    assert admin.status_code == 200 and NAME in admin.text and "Köln" in admin.text
    (row,) = rows(setup)
    letter = client.get(f"/admin/fax/{row['id']}/letter", headers=ADMIN)
    assert letter.data == (setup.folder / row["file"]).read_bytes()
    assert letter.content_type == "application/pdf"
    assert client.get(f"/admin/fax/{row['id']}/letter").status_code == 401
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', admin.text)
    assert csrf
    url = f"/admin/fax/{row['id']}/approve"
    assert client.post(url, headers=ADMIN, data={}).status_code == 403  # no CSRF token
    assert client.post(url, data={"csrf_token": csrf.group(1)}).status_code == 401
    done = client.post(url, headers=ADMIN, data={"csrf_token": csrf.group(1)})
    assert done.status_code == 303 and rows(setup)[0]["state"] == "approved"
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    assert [d["state"] for d in rows(setup, "deliveries")] == ["sent"]
    assert "Nothing is waiting." in client.get("/admin", headers=ADMIN).text


def test_a_rejected_request_is_deleted_and_still_counts(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    setup = settings(tmp_path, moderate=True)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    (row,) = rows(setup)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin", headers=ADMIN).text)
    assert csrf
    client.post(f"/admin/fax/{row['id']}/reject", headers=ADMIN, data={"csrf_token": csrf.group(1)})
    (row,) = rows(setup)
    assert row["state"] == "rejected" and row["name"] is None and row["file"] is None
    assert "decided not to send it" in client.get(f"/fax/{token}").text
    assert ask(client).status_code == 429  # no second try at the same office
    admin = client.get("/admin", headers=ADMIN).text
    assert re.search(r"<th scope=\"row\">rejected</th><td class=\"number\">1</td>", admin)


def test_moderation_from_the_command_line(site: Site, clock: Clock, tmp_path: Path) -> None:
    config = tmp_path / "x.send.toml"
    config.write_text(
        'transport = "dry-run"\n[fax_for_me]\nmoderate = true\n'
        f'folder = "{tmp_path / "supporters"}"\n'
    )
    setup = settings(tmp_path, moderate=True)
    client = app_for(site, setup, clock)
    ask(client, name="Anna Weber")
    ask(client, name="Jan Novák")
    runner = CliRunner()
    listed = runner.invoke(cli, ["supporters", "list", str(SEED_CAMPAIGN), "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "held 1: Anna Weber → de-berlin-embassy (en)" in listed.output
    args = ["--config", str(config)]
    as_json = runner.invoke(cli, ["supporters", "list", str(SEED_CAMPAIGN), "--json", *args])
    listing = json.loads(as_json.output)
    assert listing["requests"]["held"] == 2 and listing["faxes"]["sent"] == 0
    assert [sorted(r) for r in listing["held"]] == [
        [
            *("created_at", "file", "id", "language", "message", "name", "office_id"),
            *("organisation", "town"),
        ]
    ] * 2
    assert Path(listing["held"][1]["file"]).read_bytes().startswith(b"%PDF")
    result = runner.invoke(cli, ["supporters", "approve", str(SEED_CAMPAIGN), "1", *args])
    assert result.exit_code == 0 and "request 1: approved" in result.output
    result = runner.invoke(cli, ["supporters", "reject", str(SEED_CAMPAIGN), "2", *args])
    assert result.exit_code == 0 and "request 2: rejected" in result.output
    again = runner.invoke(cli, ["supporters", "reject", str(SEED_CAMPAIGN), "2", *args])
    assert again.exit_code == 1 and "fax request 2 is rejected, not held" in again.output
    assert [r["state"] for r in rows(setup)] == ["approved", "rejected"]


# Retention


def test_purge_after_retention_leaves_nothing_personal(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    from lettergen.supporters.store import Supporters

    setup = settings(tmp_path, moderate=True, retention=timedelta(days=30))
    client = app_for(site, setup, clock)
    held = token_of(ask(client, name="Anna Weber", town="Zwickau"))
    token_of(ask(client, name="Jan Novák", town="Brno", office="at-vienna-embassy"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin", headers=ADMIN).text)
    assert csrf
    client.post("/admin/fax/2/approve", headers=ADMIN, data={"csrf_token": csrf.group(1)})
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)  # Jan's letter goes
    clock.now += timedelta(days=29)
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    assert rows(setup)[0]["name"] == "Anna Weber"  # within the period: kept
    clock.now += timedelta(days=2)
    with Supporters.open(setup.folder, setup.rules, clock=clock) as store:
        assert store.purge()["retention"] == 2
    assert client.get(f"/fax/{held}").status_code == 404
    assert [(r["state"], r["office_id"]) for r in rows(setup)] == [
        ("expired", "de-berlin-embassy"),
        ("approved", "at-vienna-embassy"),
    ]
    personal = ("name", "organisation", "town", "file", "signer_key", "address_key")
    for row in rows(setup):
        assert all(row[key] is None for key in (*personal, "token_hash", "confirm_hash"))
    assert list((setup.folder / "letters").iterdir()) == []
    for path in setup.folder.glob("ledger.sqlite*"):  # the file and its WAL, byte by byte
        data = path.read_bytes()
        for word in ("Anna Weber", "Zwickau", "Jan Novák", "Brno"):
            assert word.encode() not in data, (path.name, word)
    assert [d["state"] for d in rows(setup, "deliveries")] == ["sent"]  # the count stays


def test_an_unconfirmed_request_expires(site: Site, clock: Clock, tmp_path: Path) -> None:
    from lettergen.supporters.store import Supporters

    setup = settings(tmp_path, confirm=True)
    with Supporters.open(setup.folder, setup.rules, clock=clock) as store:
        asked = store.ask(
            b"%PDF-1.4 x", pages=1, name="Anna Weber", organisation="", town="", office_id="o",
            fax="+493047007125", country="DE", language="en", address_key="k",
        )  # fmt: skip
        assert asked.request.state == "awaiting" and asked.confirm_token
        clock.now += timedelta(hours=49)
        assert store.purge()["expired"] == 1
        found = store.get(asked.request.id)
        assert found.state == "expired" and found.name is None and found.file is None


def test_purge_from_the_command_line_removes_stray_files(tmp_path: Path) -> None:
    """A letter a crash left without its request (written, never committed) goes too."""
    setup = settings(tmp_path)
    stray = setup.folder / "letters" / ".writing-x.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF-1.4 half")
    args = ["supporters", "purge", str(SEED_CAMPAIGN), "--config", str(_config(tmp_path, setup))]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == "expired 0, sent 0, past retention 0, stray files 1\n"
    assert not stray.exists()


def _config(tmp_path: Path, setup: Settings) -> Path:
    config = tmp_path / "x.send.toml"
    config.write_text(
        f'transport = "dry-run"\n[fax_for_me]\nretention_days = 30\nfolder = "{setup.folder}"\n'
    )
    return config


# Settings and the command line


def test_serve_needs_send_settings_for_fax_for_me(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "x.yaml"), "--fax-for-me"])
    assert result.exit_code != 0
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--fax-for-me" in help_text and "--config" in help_text


def test_config_goes_with_fax_for_me(tmp_path: Path) -> None:
    config = tmp_path / "x.send.toml"
    config.write_text('transport = "dry-run"\n')
    result = CliRunner().invoke(cli, ["serve", str(SEED_CAMPAIGN), "--config", str(config)])
    assert result.exit_code == 2 and "--config goes with --fax-for-me" in result.output


def test_the_address_limit_holds_across_a_restart_with_the_same_secret(
    site: Site, clock: Clock, tmp_path: Path
) -> None:
    """The client address is stored only as an HMAC keyed with the server's secret: the same
    secret (LETTERGEN_SERVER_SECRET) keeps the limit across a restart, a new one starts over."""
    setup = settings(tmp_path, per_address_per_day=1)
    assert ask(app_for(site, setup, clock), name="Anna Weber").status_code == 200
    assert ask(app_for(site, setup, clock), name="Jan Novák").status_code == 429
    other = create_app(site, letters_per_minute=0, fax_for_me=setup, clock=clock, secret=b"new")
    assert ask(other.test_client(), name="Jan Novák").status_code == 200


def test_settings_are_checked(tmp_path: Path) -> None:
    from lettergen.errors import LettergenError
    from lettergen.supporters.service import settings as read_settings

    campaign = tmp_path / "x.yaml"
    campaign.write_text("")
    with pytest.raises(LettergenError, match="needs the campaign's send settings"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text("[fax_for_me]\nretention_days = 0\n")
    with pytest.raises(LettergenError, match="retention_days: 0 is not a number of at least 1"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text("[fax_for_me]\nconfirm = true\n")
    with pytest.raises(LettergenError, match="confirm needs public_url"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text('[fax_for_me]\npublic_url = "letters.example.org"\n')
    with pytest.raises(LettergenError, match="is not a web address"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text(
        '[fax_for_me]\nconfirm = true\npublic_url = "https://letters.example.org/"\n'
    )
    with pytest.raises(LettergenError, match="confirm needs \\[email\\] host and from"):
        read_settings(campaign)
    # Confirmations go through [email] whatever sends the letters: its TLS settings are
    # checked at start too, not at the first supporter's confirmation.
    (tmp_path / "x.send.toml").write_text(
        'transport = "dry-run"\n[email]\nhost = "smtp.example.org"\nfrom = "a@example.org"\n'
        'ca_file = "missing-ca.pem"\n[fax_for_me]\nconfirm = true\n'
        'public_url = "https://letters.example.org/"\n'
    )
    with pytest.raises(LettergenError, match=r"missing-ca\.pem"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text('transport = "pigeon"\n')
    with pytest.raises(LettergenError, match="unknown transport 'pigeon'"):
        read_settings(campaign)
    (tmp_path / "x.send.toml").write_text("[fax_for_me]\nmoderate = true\n")
    setup = read_settings(campaign)
    assert setup.rules.moderate and setup.rehearsal
    assert setup.folder.parts[-2:] == ("x", "supporters")


def test_an_old_ledger_gains_the_requests_table(tmp_path: Path) -> None:
    from lettergen.send.ledger import MIGRATIONS, Ledger

    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
    with Ledger(path) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)  # every migration since, in order
        assert ledger.db.execute("SELECT count(*) FROM requests").fetchone()[0] == 0


def test_one_sender_per_folder(tmp_path: Path) -> None:
    """A second sender on the same folder (serve's and one the group started) waits its turn:
    it would reconcile the first one's letters in flight."""
    from lettergen.send.runner import Busy, lock

    setup = settings(tmp_path)
    setup.folder.mkdir(parents=True)
    held = lock(setup.folder)
    try:
        with pytest.raises(Busy):
            run_sender(setup, stop=threading.Event(), once=True)
        stop = threading.Event()
        stop.set()  # not once: it would wait for the lock, until asked to stop
        run_sender(setup, stop=stop)
    finally:
        held.close()
