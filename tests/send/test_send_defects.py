"""Mends found in the held-out runs: the last error of a letter that went in the end, one
modem's worth of faxes in flight, our own busy line as a wait, HylaFAX's transfer log read for
the proof, and a ledger of an older lettergen gaining the channels' columns."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_send_ledger import Scripted, write_batch

from lettergen.send.ledger import Ledger
from lettergen.send.runner import Runner
from lettergen.send.schedule import Backoff, Policy
from lettergen.send.transports import Outcome, create
from lettergen.send.transports.hylafax import Transfer

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_letter_retried_then_sent_keeps_no_old_error(tmp_path: Path) -> None:
    transport = Scripted({"office-00": [Outcome("retry", error="451 4.3.0 try again later")]})
    later = MONDAY
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        policy = Policy(backoff=Backoff(first=timedelta(minutes=1)), ignore_hours=True)
        Runner(ledger, tmp_path, transport, policy, clock=lambda: later).run()
        (row,) = ledger.deliveries()
        assert (row.state, row.last_error) == ("retry", "451 4.3.0 try again later")
        later = MONDAY + timedelta(minutes=2)
        Runner(ledger, tmp_path, transport, policy, clock=lambda: later).run()
        (row,) = ledger.deliveries()
        assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
        # The history stays in the events.
        assert any("451 4.3.0" in e["detail"] for e in ledger.events(row.id))


def test_our_own_busy_line_is_a_wait_not_a_failed_try(tmp_path: Path) -> None:
    """Two letters, one modem: the second dials while the first holds the line ("No local
    dialtone"). It waits a minute for the line; the try is not counted."""
    busy = Outcome("retry", job_id="2", error="No local dialtone; too many attempts", wait=True)
    transport = Scripted()
    transport.polls = {"office-00": [Outcome("sending", job_id="1")], "office-01": [busy]}
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 2))
        transport.answers = {
            "office-00": [Outcome("sending", job_id="1")],
            "office-01": [Outcome("sending", job_id="2")],
        }
        runner = Runner(
            ledger, tmp_path, transport, Policy(ignore_hours=True), clock=lambda: MONDAY
        )
        runner.poll_seconds = 0
        runner.run()
        first, second = ledger.deliveries()
        assert first.state == "sent"
        assert (second.state, second.attempts) == ("retry", 0)
        assert second.next_at == MONDAY + timedelta(minutes=1)
        assert any("not counted as a try" in e["detail"] for e in ledger.events(second.id))


def test_our_busy_line_is_a_wait_also_when_the_call_holding_it_ended_in_the_same_poll(
    tmp_path: Path,
) -> None:
    """The call holding the line is done and the second letter's "No local dialtone" is read
    in the same round of polls (the done one recorded first): still a wait, not a try."""
    busy = Outcome("retry", job_id="2", error="No local dialtone; too many attempts", wait=True)
    transport = Scripted()
    transport.answers = {
        "office-00": [Outcome("sending", job_id="1")],
        "office-01": [Outcome("sending", job_id="2")],
    }
    transport.polls = {"office-00": [Outcome("sent", job_id="1")], "office-01": [busy]}
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 2))
        runner = Runner(
            ledger, tmp_path, transport, Policy(ignore_hours=True), clock=lambda: MONDAY
        )
        runner.poll_seconds = 0
        runner.run()
        first, second = ledger.deliveries()
        assert first.state == "sent"
        assert (second.state, second.attempts) == ("retry", 0)
        assert second.next_at == MONDAY + timedelta(minutes=1)


def test_hylafax_sends_as_many_faxes_at_once_as_the_server_has_modems(
    tmp_path: Path, monkeypatch: Any
) -> None:
    transport = create("hylafax", {"host": "127.0.0.1", "concurrency": 2})
    status = "HylaFAX scheduler on localhost: Running\nModem ttyIAX0 (1000): Running and idle\n"

    def faxstat(args: list[str]) -> subprocess.CompletedProcess[str]:
        assert args[:3] == ["faxstat", "-h", "127.0.0.1"]
        return subprocess.CompletedProcess(args, 0, status, "")

    monkeypatch.setattr(transport, "_run", faxstat)
    transport.prepare()  # type: ignore[attr-defined]
    assert transport.concurrency == 1
    pinned = create("hylafax", {"host": "127.0.0.1", "modem": "ttyS0", "concurrency": 4})
    pinned.prepare()  # type: ignore[attr-defined]
    assert pinned.concurrency == 1  # one named modem: one call at a time


def test_the_transfer_log_gives_the_remote_station_and_pages(tmp_path: Path) -> None:
    # A SEND line as HylaFAX 6 writes it (xferfaxlog, tab-separated).
    line = "\t".join([
        "12/07/26 06:41", "SEND", "00000003", "ttyIAX0", "1", '"lettergen-ab12-1-2"',
        "root", '"+493047007125"', '"lettergen 2000"', "65568", "1", "0:34", "0:29", '""',
        '"fax00001.tif"', '""', '""', '""', '""', '""', '""',
    ])  # fmt: skip
    record = Transfer.parse(line)
    assert record is not None
    assert (record.tag, record.csi, record.pages, record.seconds, record.commid) == (
        "lettergen-ab12-1-2",
        "lettergen 2000",
        1,
        29,
        "00000003",
    )
    assert Transfer.parse(line.replace("\tSEND\t", "\tRECV\t")) is None
    spool = tmp_path / "spool"
    (spool / "log").mkdir(parents=True)
    (spool / "log" / "xferfaxlog").write_text(line + "\n")
    transport = create("hylafax", {"host": "127.0.0.1", "spool": str(spool)})
    found = transport.transfer_record("lettergen-ab12-1-2", "00000003")  # type: ignore[attr-defined]
    assert found == record
    proven = transport._proven(  # type: ignore[attr-defined]
        Outcome("sent", job_id="1"), ("lettergen-ab12-1-2", "D", "1", "00000003", "")
    )
    assert (proven.remote_id, proven.pages_sent) == ("lettergen 2000", 1)
    assert proven.reply == "job done, call 00000003: OK, 29 s on the line"


def test_a_ledger_of_an_older_lettergen_gains_the_channel_columns(tmp_path: Path) -> None:
    from lettergen.send.ledger import MIGRATIONS, _statements

    step = next(i for i, m in enumerate(MIGRATIONS) if "ADD COLUMN channel" in m)
    db = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:step], start=1):  # as an older release left it
        for statement in _statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute(
        "INSERT INTO deliveries (office_id, signer, fax, language, file, sha256, state,"
        " created_at, updated_at) VALUES ('de-berlin-embassy', 'Anna Weber', '+493047007125',"
        " 'de', 'de/de-berlin-embassy.tiff', 'ab', 'sent', '2026-11-30T12:00:00+00:00',"
        " '2026-11-30T12:00:00+00:00')"
    )
    db.close()
    with Ledger.beside(tmp_path) as ledger:
        assert ledger.schema_version >= step + 1
        (row,) = ledger.deliveries()
        assert (row.channel, row.letter, row.to) == (
            "fax",
            "de-berlin-embassy|Anna Weber|de",
            "+493047007125",
        )
        assert [d.id for d in ledger.attempts_at("de-berlin-embassy|Anna Weber|de")] == [row.id]
