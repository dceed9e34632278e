"""Channels against real servers: letters to offices' own e-mail addresses over a real SMTP
server on 127.0.0.1, the fallback from a dead fax to e-mail (exactly once, also when `send`
is killed with SIGKILL during the fallback), the print batch for post read back from its PDF,
and the transmission reports."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, flat, pdftotext
from lettergen.cli import cli
from lettergen.send.ledger import Ledger
from smtp_server import Behaviour, smtp_server

#: Offices of the seed directory with an e-mail address: Athens's fax is invalid under today's
#: numbering plan, Warsaw's, Dushanbe's and Bangkok's are valid.
ATHENS, WARSAW, DUSHANBE, BANGKOK = (
    "gr-athens-consulate",
    "pl-warsaw-embassy",
    "tj-dushanbe-embassy",
    "th-bangkok-mission",
)
EMAILS = {
    ATHENS: "conskaz@otenet.gr",
    WARSAW: "kazdipmis@hot.pl",
    DUSHANBE: "dipmiskz@tajik.net",
    BANGKOK: "kzdipmis@asianet.co.th",
}
#: Offices with a street address and no e-mail, whose faxes are invalid today.
POST = ("ru-moscow-embassy", "az-baku-embassy", "lt-vilnius-embassy", "in-new-delhi-embassy")


def campaign_with(folder: Path, extra: str, name: str = "channels") -> Path:
    """The seed campaign with `extra` YAML lines added (channels, reply_to …)."""
    text = SEED_CAMPAIGN.read_text(encoding="utf-8")
    for line in extra.splitlines():
        key = re.match(r"(\w+):", line)
        if key:  # a key the campaign has already: this line replaces it
            text = re.sub(rf"(?m)^{key[1]}:.*$", "", text)
    path = folder / f"{name}.yaml"
    path.write_text(text + "\n" + extra + "\n", encoding="utf-8")
    return path


def batch(campaign: Path, out: Path, offices: tuple[str, ...]) -> Path:
    import lettergen

    options = lettergen.BatchOptions(
        campaign,
        lettergen.Targets(offices=offices),
        formats=("pdf", "tiff"),
        output=out,
        include_no_fax=True,
    )
    lettergen.run_batch(lettergen.prepare(options))
    return out / campaign.stem


def send_args(campaign: Path, out: Path, port: int, *extra: str) -> list[str]:
    return [
        "send", str(campaign), "-o", str(out), "--no-render", "--transport", "email",
        "--host", f"127.0.0.1:{port}", "--security", "none", "--from", "group@example.org",
        "--gateway", "{number}@fax.example.net", "--now", *extra,
    ]  # fmt: skip


def invoke(args: list[str], code: int = 0) -> str:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def to(server, address: str) -> list:  # type: ignore[no-untyped-def]
    return [m for m in server.messages if m["To"] == address]


def test_a_letter_goes_to_the_offices_own_address_with_a_covering_message(
    tmp_path: Path,
) -> None:
    """Athens's fax is invalid today: with channels [fax, email] its letter goes by e-mail
    to the consulate's address, the PDF attached, and the report shows why."""
    campaign = campaign_with(tmp_path, "channels: [fax, email]")
    folder = batch(campaign, tmp_path, (ATHENS, "de-berlin-embassy"))
    with smtp_server() as (server, port):
        output = invoke(send_args(campaign, tmp_path, port))
        invoke(send_args(campaign, tmp_path, port))  # a rerun sends nothing more
    (message,) = to(server, EMAILS[ATHENS])
    assert len(server.messages) == 2  # Berlin's letter went to the fax gateway
    (berlin,) = to(server, "493047007125@fax.example.net")
    assert berlin["Reply-To"] is None  # the gateway's messages are as before
    manifest = json.loads((folder / "manifest.json").read_text())["letters"]
    pdf_row = next(r for r in manifest if r["office_id"] == ATHENS and r["format"] == "pdf")
    # Headers: from the group, replies to the campaign's sender, the subject of the campaign.
    (sender,) = message["From"].addresses
    assert sender.display_name == "Anna Weber, Trade Union Solidarity Committee"
    assert sender.addr_spec == "group@example.org"
    assert message["Reply-To"] == "solidarity@example.org"
    assert (
        message["Subject"] == "Saken Zhanusov and the Karaganda Confederation of Free Trade Unions"
    )
    assert message["Content-Language"] == "en"
    assert message["Date"] and message["Message-ID"].endswith("@example.org>")
    # The covering message, read back.
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Dear Sir or Madam,")
    assert "our letter to you (1 pages, PDF)" in body or "pages, PDF), concerning" in body
    assert "Please send your reply to solidarity@example.org." in body
    assert body.rstrip().endswith("Anna Weber, Trade Union Solidarity Committee")
    # The attachment is the letter's PDF, byte for byte, and reads as the letter.
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == Path(pdf_row["file"]).name
    data = attachment.get_content()
    assert data == (folder / pdf_row["file"]).read_bytes()
    assert "Saken Zhanusov" in flat(pdftotext(data))
    # The ledger keeps the Message-ID and the server's reply; status says why e-mail.
    with Ledger.beside(folder) as ledger:
        (row,) = [d for d in ledger.deliveries() if d.office_id == ATHENS]
        assert (row.channel, row.state, row.to) == ("email", "sent", EMAILS[ATHENS])
        assert row.job_id == message["Message-ID"]
        assert row.reply and row.reply.startswith("250 ")
        assert "not valid under today's numbering plan" in row.why
        assert [d.channel for d in ledger.deliveries()].count("email") == 1
    status = invoke(["status", str(campaign), "-o", str(tmp_path)])
    line = next(x for x in status.splitlines() if x.startswith(ATHENS))
    assert " email " in line and EMAILS[ATHENS] in line and "fallback: fax" in line
    assert "sent 2" in output


def test_reply_to_the_supporter_and_the_covering_message_in_the_letters_language(
    tmp_path: Path,
) -> None:
    from lettergen.send.transports import Job
    from lettergen.send.transports.office_email import Covering, OfficeEmail

    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 test")
    transport = OfficeEmail({"host": "127.0.0.1:2525", "security": "none", "from": "g@ex.org"})
    transport.covering = Covering(
        subjects={"de": "Saken Zhanusov", "en": "Saken Zhanusov (en)"},
        sender_name="Gruppe",
        sender_email="group@ex.org",
        reply_to="supporter",
        supporters={"Maria Lopez": "maria@ex.org"},
    )
    job = Job("lettergen-x-1-1", "", letter, 2, "de-berlin-embassy", None, "email",
              "kazakhstan@botschaft.example", "de", "Maria Lopez", "DE")  # fmt: skip
    message = transport.message(job)
    assert message["Reply-To"] == "maria@ex.org"
    assert message["Subject"] == "Saken Zhanusov"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Sehr geehrte Damen und Herren,")
    assert "(2 Seiten, PDF) zum Thema: Saken Zhanusov." in body
    assert "Bitte richten Sie Ihre Antwort an maria@ex.org." in body
    # A signer without an address: replies go to the group.
    other = transport.message(Job(**{**job.__dict__, "signer": "Someone Else"}))
    assert other["Reply-To"] == "group@ex.org"
    # A language without e-mail strings yet: English.
    from lettergen.send.transports.office_email import covering_texts

    assert covering_texts("xx").string("salutation") == "Dear Sir or Madam,"


def test_a_dead_fax_falls_back_to_email_and_the_letter_arrives_once(tmp_path: Path) -> None:
    """Warsaw's fax is valid but dead: the fax gateway refuses it for good (550). The letter
    then goes by e-mail to the embassy, once, and the run ends well: the office was reached."""
    campaign = campaign_with(tmp_path, "channels: [fax, email, post]")
    folder = batch(campaign, tmp_path, (WARSAW,))
    rules = {"48226460705@fax": Behaviour(rcpt="550 5.1.1 number not in service")}
    with smtp_server(rules=rules) as (server, port):
        output = invoke(send_args(campaign, tmp_path, port))
        again = invoke(send_args(campaign, tmp_path, port, "--retry-failed"))
    assert len(to(server, EMAILS[WARSAW])) == 1
    assert len(server.messages) == 1  # the fax gateway never accepted the refused number
    assert "1 fell back to another channel" in output
    assert "sent 1, failed 1" in output and "not sent by fax" not in again
    with Ledger.beside(folder) as ledger:
        fax, email = ledger.deliveries()
        assert (fax.channel, fax.state) == ("fax", "failed")
        assert (email.channel, email.state, email.fallback_from) == ("email", "sent", fax.id)
        assert email.why.startswith("fax +48226460705 failed: 550 5.1.1 number not in service")
    # The summary counts the office as reached by e-mail, the fax among dead numbers.
    invoke(["status", str(campaign), "-o", str(tmp_path), "--report"])
    dead = (folder / "dead-numbers.csv").read_text()
    assert "+48226460705" in dead
    summary = flat(pdftotext(folder / "delivery.pdf"))
    assert "1 of 1 offices reached (1 by email)" in summary and "Not reached" not in summary


def received_per_letter(server, ledger: Ledger) -> Counter[str]:  # type: ignore[no-untyped-def]
    """Messages the office addresses accepted, per office."""
    counts: Counter[str] = Counter()
    for message in server.messages:
        for office, address in EMAILS.items():
            if message["To"] == address:
                counts[office] += 1
    return counts


def email_sending(folder: Path, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until the ledger has an e-mail row being sent (read-only: the sender writes)."""
    import sqlite3

    path = folder / "ledger.sqlite"
    while process.poll() is None and time.monotonic() < deadline:
        if path.exists():
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
                    found = db.execute(
                        "SELECT 1 FROM deliveries WHERE channel = 'email' AND state = 'sending'"
                    ).fetchone()
                if found:
                    return
            except sqlite3.Error:
                pass  # not migrated yet
        time.sleep(0.01)


def test_kill_9_during_a_fallback_never_delivers_twice(tmp_path: Path) -> None:
    """Three offices whose faxes are dead; `lettergen send` killed with SIGKILL at random
    moments while it falls back to e-mail, restarted, until a run finishes: every office's
    letter reached its address once (`sent`) or at most once (`unknown`), never twice."""
    campaign = campaign_with(tmp_path, "channels: [fax, email]")
    offices = (WARSAW, DUSHANBE, BANGKOK)
    folder = batch(campaign, tmp_path, offices)
    seed = int(os.environ.get("LETTERGEN_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    rules = {"@fax.example.net": Behaviour(rcpt="550 5.1.1 number not in service")}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    python = [sys.executable, "-m", "lettergen"]
    kills = runs = mid_fallback = 0
    with smtp_server(rules=rules, delay=0.3) as (server, port):
        while runs < 20:
            runs += 1
            process = subprocess.Popen(
                [*python, *send_args(campaign, tmp_path, port)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                if kills < 6:
                    if kills % 2 == 0:
                        # While an e-mail of the fallback is being handed over, or just after.
                        email_sending(folder, process, deadline=time.monotonic() + 60)
                        time.sleep(rng.uniform(0, 0.4))
                    else:
                        time.sleep(rng.uniform(0.3, 3.0))  # any moment: start, fax, fallback
                    if process.poll() is None:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        kills += 1
                        with Ledger.beside(folder) as ledger:
                            states = [d.state for d in ledger.deliveries() if d.channel == "email"]
                        # Killed with a fallback under way: an e-mail row not yet done.
                        mid_fallback += any(s in ("queued", "sending") for s in states)
                        continue
                output = process.communicate(timeout=120)[0].decode()
                if process.returncode in (0, 1):
                    break
                raise AssertionError(output)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                if process.stdout:
                    process.stdout.close()
    assert mid_fallback >= 1, f"seed {seed}: no kill landed during a fallback"
    with Ledger.beside(folder) as ledger:
        received = received_per_letter(server, ledger)
        for office in offices:
            rows = [d for d in ledger.deliveries() if d.office_id == office]
            emails = [d for d in rows if d.channel == "email"]
            assert len(emails) == 1, (seed, office, rows)  # one e-mail attempt per letter
            assert received[office] <= 1, (seed, office)  # never twice
            if emails[0].state == "sent":
                assert received[office] == 1, (seed, office)  # sent means arrived
            else:
                assert emails[0].state == "unknown", (seed, office, emails[0])
    sys.stderr.write(
        f"fallback crash test (seed {seed}): {kills} kills in {runs} runs, {mid_fallback} "
        "during a fallback, "
        f"{sum(received.values())} of {len(offices)} letters received, 0 twice\n"
    )


def test_post_batch_addresses_sit_in_the_window_in_envelope_order(tmp_path: Path) -> None:
    """Offices reachable only by post: a print batch whose address sheets put each address
    inside the window of a DL envelope (DIN 5008 form B), the envelopes in the order of the
    posting list, each letter behind its sheet."""
    campaign = campaign_with(tmp_path, "channels: [fax, email, post]")
    folder = batch(campaign, tmp_path, POST)
    with smtp_server() as (server, port):
        output = invoke(send_args(campaign, tmp_path, port))
    assert not server.messages and "sent 4" in output
    (pdf,) = sorted((folder / "post").glob("post-*Z.pdf"))
    listing = pdf.with_name(pdf.stem + "-list.csv").read_text()
    assert listing.startswith("envelope,envelope_size,addressee,address,country")
    rows = list(csv.DictReader(io.StringIO(listing)))
    assert [r["envelope"] for r in rows] == ["1", "2", "3", "4"]
    assert {r["envelope_size"] for r in rows} == {"DL"}
    countries = [r["country"] for r in rows]
    assert countries == ["AZ", "IN", "LT", "RU"]  # by destination country's name: envelope order
    # Read the batch back: page sizes, and the words of each address sheet with their boxes.
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S)
    letters = json.loads((folder / "manifest.json").read_text())["letters"]
    pdf_pages = {r["office_id"]: r["pages"] for r in letters if r["format"] == "pdf"}
    order = ["az-baku-embassy", "in-new-delhi-embassy", "lt-vilnius-embassy", "ru-moscow-embassy"]
    assert len(pages) == sum(1 + pdf_pages[o] for o in order)
    index = 0
    mm = 25.4 / 72
    last_lines = {
        "az-baku-embassy": "AZERBAIJAN",
        "in-new-delhi-embassy": "INDIA",
        "lt-vilnius-embassy": "LITHUANIA",
        "ru-moscow-embassy": "RUSSIA",
    }
    for office in order:
        width, height, words = pages[index]
        assert abs(float(width) * mm - 210) < 1 and abs(float(height) * mm - 297) < 1
        found = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            words,
        )
        address = [(float(a) * mm, float(b) * mm, float(c) * mm, float(d) * mm, w)
                   for a, b, c, d, w in found if float(b) * mm < 100]  # fmt: skip
        text = " ".join(w for *_, w in address)
        assert last_lines[office] in text and "Ambassador" in text, (office, text)
        assert "Trade Union Solidarity Committee" in text  # the return line
        for x0, y0, x1, y1, word in address:
            assert x0 >= 20 and x1 <= 110 and y0 >= 45 and y1 <= 90, (office, word, y0, y1)
        # The letter follows its sheet: its first page reads as the letter to this office.
        letter_text = flat(
            subprocess.run(
                ["pdftotext", "-f", str(index + 2), "-l", str(index + 2), str(pdf), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert "Saken Zhanusov" in letter_text
        index += 1 + pdf_pages[office]
    # The posting list as PDF, and the ledger: each letter sent by post with its envelope.
    assert "Posting list" in flat(pdftotext(pdf.with_name(pdf.stem + "-list.pdf")))
    with Ledger.beside(folder) as ledger:
        rows_by_office = {d.office_id: d for d in ledger.deliveries()}
        assert {d.channel for d in rows_by_office.values()} == {"post"}
        assert rows_by_office["ru-moscow-embassy"].reply.startswith("envelope 4 of 4 in post-")


def test_a_fallback_to_post_later_in_the_run_gets_a_print_batch_of_its_own(
    tmp_path: Path,
) -> None:
    """Moscow goes by post from the start (its fax is invalid today); Berlin's fax is refused
    for good and falls back to post later in the same run, often within the same second. Two
    print batches: the first is never overwritten by the second, and each letter's envelope is
    in the batch its ledger row names."""
    campaign = campaign_with(tmp_path, "channels: [fax, email, post]")
    moscow, berlin = "ru-moscow-embassy", "de-berlin-embassy"
    folder = batch(campaign, tmp_path, (moscow, berlin))
    rules = {"493047007125@fax": Behaviour(rcpt="550 5.1.1 number not in service")}
    with smtp_server(rules=rules) as (_server, port):
        output = invoke(send_args(campaign, tmp_path, port))
    assert "sent 2, failed 1; 1 fell back to another channel" in output
    batches = sorted((folder / "post").glob("post-*.pdf"))
    batches = [b for b in batches if not b.stem.endswith("-list")]
    assert len(batches) == 2, batches
    with Ledger.beside(folder) as ledger:
        rows = {d.office_id: d for d in ledger.deliveries() if d.channel == "post"}
    for office, country in ((moscow, "RUSSIA"), (berlin, "GERMANY")):
        row = rows[office]
        assert row.state == "sent" and row.reply.startswith("envelope 1 of 1 in post-")
        named = folder / "post" / row.reply.split(" in ", 1)[1].split(" ", 1)[0]
        assert named in batches, (row.reply, batches)
        listing = list(csv.DictReader(io.StringIO(named.with_name(named.stem + "-list.csv")
                                                  .read_text())))  # fmt: skip
        assert [r["reference"] for r in listing] == [row.job_id.split(":", 1)[1]]
        assert country in flat(pdftotext(named))
    assert rows[moscow].job_id.split(":")[0] != rows[berlin].job_id.split(":")[0]


def test_transmission_reports_for_email_and_post(tmp_path: Path) -> None:
    campaign = campaign_with(tmp_path, "channels: [fax, email, post]")
    folder = batch(campaign, tmp_path, (ATHENS, "ru-moscow-embassy"))
    with smtp_server() as (server, port):
        invoke(send_args(campaign, tmp_path, port))
    output = invoke(["status", str(campaign), "-o", str(tmp_path), "--report"])
    assert "reports/en/gr-athens-consulate--email.pdf" in output
    report = json.loads((folder / "reports/en/gr-athens-consulate--email.json").read_text())
    (message,) = server.messages
    assert report["channel"] == "email" and report["to"] == EMAILS[ATHENS]
    assert report["message_id"] == message["Message-ID"] and report["reply"].startswith("250")
    assert report["reply"].endswith(f"(from 127.0.0.1:{port})")  # whose word it is
    assert report["time_zone"] == "Europe/Athens" and report["result"] == "sent"
    utc = datetime.fromisoformat(report["sent_at_utc"])
    local = datetime.fromisoformat(report["sent_at_local"])
    assert utc == local and local.utcoffset() != utc.utcoffset()  # same moment, Athens time
    text = flat(pdftotext(folder / "reports/en/gr-athens-consulate--email.pdf"))
    assert "Transmission report" in text and message["Message-ID"] in text.replace(" ", "")
    assert re.search(
        r"Office's local time \d{4}-\d\d-\d\d [\d:]{8} \(Europe/Athens, UTC\+0[23]:00\)", text
    )
    assert "Campaign channels Office gr-athens-consulate" in text
    assert report["office"] == "The Consul of the Republic of Kazakhstan, Athens"
    assert f"Addressed to {report['office']} Letter" in text
    pages = subprocess.run(
        ["pdfinfo", str(folder / "reports/en/gr-athens-consulate--email.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"Pages:\s+1\n", pages)
    post = json.loads((folder / "reports/en/ru-moscow-embassy--post.json").read_text())
    assert post["channel"] == "post" and post["reply"].startswith("envelope 1 of 1")
    assert post["time_zone"] == "Europe/Moscow"
    # Written again only when something changed.
    again = invoke(["status", str(campaign), "-o", str(tmp_path), "--report"])
    assert "reports/" not in again


def test_without_channels_a_dry_run_says_which_numbers_are_invalid_today(tmp_path: Path) -> None:
    campaign = campaign_with(tmp_path, "")
    batch(campaign, tmp_path, (ATHENS, "de-berlin-embassy"))
    result = CliRunner().invoke(
        cli,
        ["send", str(campaign), "-o", str(tmp_path), "--no-render", "--transport", "dry-run"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = [x for x in result.output.splitlines() if "numbering plan" in x]
    assert len(lines) == 2 and "gr-athens-consulate: fax +3013616689" in lines[0]
    assert "add email or post to the campaign's channels" in lines[0]
    # The plan's own line says it too; Berlin's valid number goes without a word.
    assert lines[1].startswith("would send en/gr-athens-consulate.tiff by fax to +3013616689")
    assert lines[1].endswith("numbering plan (changed since the directory was written?); "
                             "no other channel can carry it")  # fmt: skip
    (berlin,) = [x for x in result.output.splitlines() if "(de-berlin-embassy)" in x]
    assert berlin.endswith(" UTC")
    # And the letters' date, 2002, is said before anything goes out.
    assert re.search(r"the letters are dated 2002-09-07 \(\d+ days ago\)", result.output)
    assert "letter_date: today" in result.output


def test_with_channels_a_dry_run_plans_the_fallback(tmp_path: Path) -> None:
    campaign = campaign_with(tmp_path, "channels: [fax, email]\nletter_date: today")
    batch(campaign, tmp_path, (ATHENS,))
    output = invoke(
        ["send", str(campaign), "-o", str(tmp_path), "--no-render", "--transport", "dry-run"]
    )
    assert f"by email to {EMAILS[ATHENS]} (gr-athens-consulate)" in output
    assert "— fax +3013616689 is not valid under today's numbering plan" in output
    assert "letters are dated" not in output  # dated today; the action day is still long past
    assert "the action day 2002-09-07 was" in output


def test_send_without_a_terminal_logs_each_change_of_state(tmp_path: Path) -> None:
    campaign = campaign_with(tmp_path, "channels: [fax, email]")
    batch(campaign, tmp_path, (ATHENS,))
    with smtp_server() as (_server, port):
        done = subprocess.run(
            [sys.executable, "-m", "lettergen", *send_args(campaign, tmp_path, port)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    stamped = [x for x in done.stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\dT[\d:]+Z ", x)]
    assert any("gr-athens-consulate (conskaz@otenet.gr): sending by email" in x for x in stamped)
    assert any(x.endswith("gr-athens-consulate (conskaz@otenet.gr): sent") for x in stamped)


def test_host_and_port_in_the_email_settings(tmp_path: Path, caplog: Any) -> None:
    """`host = "HOST:PORT"` in [email], as docs/sending.md shows it: the port is split off,
    and this machine is not called a remote host."""
    from lettergen.send.transports import create

    with smtp_server() as (_server, port):
        settings = tmp_path / "send.toml"
        settings.write_text(
            f'transport = "email"\n[email]\nhost = "127.0.0.1:{port}"\nsecurity = "none"\n'
            'from = "g@example.org"\ngateway = "{number}@fax.example.net"\n'
        )
        from lettergen.send.config import load

        transport = create("email", load(settings).for_transport())
        assert (transport.host, transport.port) == ("127.0.0.1", port)  # type: ignore[attr-defined]
        assert transport.server == f"127.0.0.1:{port}"  # type: ignore[attr-defined]
        assert not [r for r in caplog.records if r.levelname == "WARNING"], caplog.text
        client = transport.connect()  # type: ignore[attr-defined]
        client.quit()
    with pytest.raises(Exception, match="the port after ':' is not a number"):
        create(
            "email", {"host": "smtp.example.org:smtp", "from": "g@x.org", "gateway": "{number}@x"}
        )


def test_campaign_channels_are_checked(tmp_path: Path) -> None:
    from lettergen.campaign import load
    from lettergen.errors import LettergenError

    campaign = load(
        campaign_with(tmp_path, "channels:\n  default: [fax, post]\n  gr-athens-consulate: [email]")
    )
    assert campaign.channels_for("gr-athens-consulate") == ("email",)
    assert campaign.channels_for("de-berlin-embassy") == ("fax", "post")
    with pytest.raises(LettergenError) as refused:
        load(campaign_with(tmp_path, "channels: [fax, pigeon]", "bad"))
    assert re.search(r"bad\.yaml:\d+: channels: .*must list channels from fax, email, post",
                     str(refused.value))  # fmt: skip
    assert load(campaign_with(tmp_path, "letter_date: today", "today")).letter_date == (
        datetime.now(UTC).date()
    )


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_lost_ledger_never_sends_an_email_or_post_letter_twice(tmp_path: Path, how: str) -> None:
    """Letters that went by e-mail (Athens: its fax is invalid today; Warsaw: after its dead
    fax) and by post (Moscow): the ledger lost afterwards, a new one accepted with the user's
    word. The journal holds every channel's handing over, so the new ledger sends no e-mail
    again and puts no letter into a second print batch."""
    import sqlite3

    campaign = campaign_with(tmp_path, "channels: [fax, email, post]")
    folder = batch(campaign, tmp_path, (ATHENS, WARSAW, "ru-moscow-embassy"))
    rules = {"48226460705@fax": Behaviour(rcpt="550 5.1.1 number not in service")}
    with smtp_server(rules=rules) as (server, port):
        output = invoke(send_args(campaign, tmp_path, port))
        assert "sent 3" in output, output
        assert len(server.messages) == 2
        for path in folder.glob("ledger.sqlite*"):
            path.unlink()
        if how == "replaced":
            with sqlite3.connect(folder / "ledger.sqlite") as db:
                db.execute("CREATE TABLE t (x)")
        refused = invoke(send_args(campaign, tmp_path, port), code=1)
        assert "--i-know-the-ledger-was-lost" in refused
        output = invoke(send_args(campaign, tmp_path, port, "--i-know-the-ledger-was-lost"))
        invoke(send_args(campaign, tmp_path, port))  # and a later run as usual
        assert Counter(m["To"] for m in server.messages) == {
            EMAILS[ATHENS]: 1,
            EMAILS[WARSAW]: 1,
        }, output
    assert len(list((folder / "post").glob("post-*Z.pdf"))) == 1, output
    with Ledger.beside(folder) as ledger:
        states = {(d.office_id, d.channel): d.state for d in ledger.deliveries()}
    # What the journal saw, and nothing waiting: Warsaw's dead fax failed, its e-mail went.
    assert states == {
        (ATHENS, "email"): "sent",
        (WARSAW, "fax"): "failed",
        (WARSAW, "email"): "sent",
        ("ru-moscow-embassy", "post"): "sent",
    }, states
