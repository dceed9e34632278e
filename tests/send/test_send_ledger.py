"""The delivery ledger and the runner's rules, without a network: states, never twice,
reconciliation, retries, the manifest's letters in and the reports out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lettergen.send.ledger import (
    MIGRATIONS,
    STATES,
    TRANSITIONS,
    ConflictError,
    Ledger,
    Outgoing,
)
from lettergen.send.report import dead_csv, delivery_csv, records, summary_html
from lettergen.send.runner import Runner, lock, read_manifest
from lettergen.send.schedule import Backoff, Policy
from lettergen.send.transports import Job, Outcome

MONDAY_NOON_UTC = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def write_batch(folder: Path, count: int, *, fmt: str = "pdf", prefix: str = "") -> list[Outgoing]:
    """A batch folder with `count` small letter files and a manifest listing them."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in range(count):
        data = f"%PDF-1.4 letter {prefix}{n}\n".encode()
        name = f"en/office-{n:02}.{fmt}"
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        rows.append(
            {
                "office_id": f"office-{n:02}",
                "country": "DE",
                "fax": f"+49301234{n:04}",
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "pages": 1,
                "language": "en",
                "format": fmt,
                "signer": "Anna Weber",
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"campaign": "x", "letters": rows}))
    return read_manifest(folder, (fmt,))


class Scripted:
    """A transport that answers from a script, recording every submission."""

    name = "scripted"
    concurrency = 2
    interval = 0.0
    formats: tuple[str, ...] = ("pdf",)

    def __init__(
        self, answers: dict[str, list[Outcome]] | None = None, found: Outcome | None = None
    ):
        self.answers = answers or {}
        self.found = found
        self.submitted: list[Job] = []
        self.polls: dict[str, list[Outcome]] = {}

    def submit(self, job: Job) -> Outcome:
        self.submitted.append(job)
        script = self.answers.get(job.office_id)
        return script.pop(0) if script else Outcome("sent", job_id=f"j{len(self.submitted)}")

    def poll(self, job: Job) -> Outcome:
        script = self.polls.get(job.office_id)
        return script.pop(0) if script else Outcome("sent", job_id=job.job_id)

    def find(self, job: Job) -> Outcome | None:
        return self.found


def runner(
    ledger: Ledger,
    folder: Path,
    transport: Scripted,
    now: datetime = MONDAY_NOON_UTC,
    **policy: object,
) -> Runner:
    return Runner(
        ledger,
        folder,
        transport,
        Policy(**policy),  # type: ignore[arg-type]
        clock=lambda: now,
        poll_seconds=0,
    )


def test_schema_is_versioned_wal_and_events_append_only(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ledger.sync(write_batch(tmp_path, 1))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            ledger.db.execute("UPDATE events SET detail = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            ledger.db.execute("DELETE FROM events")
        first_id = ledger.ledger_id
    with Ledger(tmp_path / "ledger.sqlite") as again:  # reopening migrates nothing
        assert again.schema_version == len(MIGRATIONS) and again.ledger_id == first_id
        assert len(again.deliveries()) == 1


def test_state_machine_has_no_way_out_of_sent() -> None:
    assert set(TRANSITIONS) == set(STATES)
    assert TRANSITIONS["sent"] == ()
    assert all(s in STATES for following in TRANSITIONS.values() for s in following)


def test_a_sent_letter_is_never_sent_again(tmp_path: Path) -> None:
    letters = write_batch(tmp_path, 3)
    transport = Scripted()
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(letters)
        runner(ledger, tmp_path, transport).run()
        assert [d.state for d in ledger.deliveries()] == ["sent"] * 3
        for _ in range(3):  # rerun after rerun
            ledger.sync(read_manifest(tmp_path, ("pdf",)))
            runner(ledger, tmp_path, transport).run()
        assert len(transport.submitted) == 3
        sent = ledger.deliveries()[0]
        with pytest.raises(ConflictError, match="not allowed"):
            ledger.move(sent, "queued")


def test_sending_is_committed_before_the_transport_is_called(tmp_path: Path) -> None:
    letters = write_batch(tmp_path, 1)
    seen: list[tuple[str, int]] = []

    class Peeking(Scripted):
        def submit(self, job: Job) -> Outcome:
            # Another connection, as a process started after a crash would see the file.
            other = sqlite3.connect(tmp_path / "ledger.sqlite")
            seen.append(other.execute("SELECT state, attempts FROM deliveries").fetchone())
            other.close()
            return super().submit(job)

    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(letters)
        runner(ledger, tmp_path, Peeking()).run()
    assert seen == [("sending", 1)]


def test_claim_is_compare_and_set(tmp_path: Path) -> None:
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        (row,) = ledger.deliveries()
        ledger.claim(row, "email")
        with pytest.raises(ConflictError, match="changed under us"):
            ledger.claim(row, "email")  # a second sender holding the old row loses


def test_interrupted_sending_becomes_unknown_when_transport_cannot_tell(tmp_path: Path) -> None:
    transport = Scripted(found=None)
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 2))
        first, _ = ledger.deliveries()
        ledger.claim(first, "scripted")  # ... and the process died here
        runner(ledger, tmp_path, transport).run()
        states = {d.office_id: d.state for d in ledger.deliveries()}
        assert states == {"office-00": "unknown", "office-01": "sent"}
        assert [j.office_id for j in transport.submitted] == ["office-01"]
        # Reruns leave it alone; --resend-unknown is a person's decision.
        runner(ledger, tmp_path, transport).run()
        assert len(transport.submitted) == 1
        events = [e["detail"] for e in ledger.events(first.id)]
        assert any("interrupted" in e for e in events)


def test_interrupted_sending_found_by_tag_is_followed_not_resent(tmp_path: Path) -> None:
    transport = Scripted(found=Outcome("sending", job_id="42"))
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        (row,) = ledger.deliveries()
        claimed = ledger.claim(row, "scripted")
        runner(ledger, tmp_path, transport).run()
        (done,) = ledger.deliveries()
        assert (done.state, done.job_id, done.attempts) == ("sent", "42", 1)
        assert transport.submitted == []
        assert ledger.tag(claimed).endswith(f"-{row.id}-1")


def test_not_found_by_tag_goes_back_to_the_queue(tmp_path: Path) -> None:
    transport = Scripted(found=Outcome("queued"))
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        (row,) = ledger.deliveries()
        ledger.claim(row, "scripted")
        runner(ledger, tmp_path, transport).run()
        (done,) = ledger.deliveries()
        assert (done.state, done.attempts, len(transport.submitted)) == ("sent", 2, 1)


def test_busy_lines_are_retried_with_capped_backoff_then_fail(tmp_path: Path) -> None:
    busy = [Outcome("retry", error="busy")] * 5
    transport = Scripted({"office-00": list(busy)})
    backoff = Backoff(first=timedelta(minutes=20), factor=1.9, cap=timedelta(hours=1), attempts=3)
    now = MONDAY_NOON_UTC
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        runner(ledger, tmp_path, transport, now, backoff=backoff).run()
        (row,) = ledger.deliveries()
        assert row.state == "retry" and row.next_at == now + timedelta(minutes=20)
        runner(ledger, tmp_path, transport, now + timedelta(minutes=19), backoff=backoff).run()
        assert len(transport.submitted) == 1  # not before its time
        now += timedelta(minutes=20)
        runner(ledger, tmp_path, transport, now, backoff=backoff).run()
        (row,) = ledger.deliveries()
        assert row.next_at == now + timedelta(minutes=38)  # 20 × 1.9
        now += timedelta(hours=2)
        runner(ledger, tmp_path, transport, now, backoff=backoff).run()
        (row,) = ledger.deliveries()
        assert (row.state, row.attempts) == ("failed", 3)
        assert row.last_error == "gave up after 3 attempts: busy"
    assert backoff.delay(10) == timedelta(hours=1)  # capped


def test_permanent_errors_are_not_retried_and_reported_as_dead_numbers(tmp_path: Path) -> None:
    transport = Scripted({"office-01": [Outcome("failed", error="550 no such number")]})
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 2))
        runner(ledger, tmp_path, transport).run()
        runner(ledger, tmp_path, transport).run()
        assert len(transport.submitted) == 2
        rows = records(ledger)
    dead = list(csv.DictReader(io.StringIO(dead_csv(rows))))
    assert [(d["office_id"], d["fax"], d["error"]) for d in dead] == [
        ("office-01", "+493012340001", "550 no such number")
    ]
    report = list(csv.DictReader(io.StringIO(delivery_csv(rows))))
    assert [r["state"] for r in report] == ["sent", "failed"]


def test_jobs_in_flight_respect_the_concurrency_limit(tmp_path: Path) -> None:
    transport = Scripted({f"office-0{n}": [Outcome("sending", job_id=f"{n}")] for n in range(4)})
    transport.polls = {f"office-0{n}": [Outcome("sending")] for n in range(4)}
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 4))
        r = runner(ledger, tmp_path, transport)
        r.submit_due()
        assert [d.state for d in ledger.deliveries()] == ["sending", "sending", "queued", "queued"]
        r.poll()  # still running
        r.submit_due()
        assert len(transport.submitted) == 2
        r.poll()  # the next poll says done: room for the other two
        r.submit_due()
        assert [d.state for d in ledger.deliveries()] == ["sent", "sent", "sending", "sending"]


def test_a_changed_letter_is_held_after_sending_and_updated_before(tmp_path: Path) -> None:
    transport = Scripted()
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 2))
        (first, _) = ledger.deliveries()
        runner(ledger, tmp_path, transport).run()
        (tmp_path / first.file).write_bytes(b"%PDF-1.4 a corrected letter\n")
        changed = write_batch(tmp_path, 2, prefix="v2-")
        synced = ledger.sync(changed)
        assert synced.held == ["office-00 (+493012340000)", "office-01 (+493012340001)"]
        assert len(ledger.deliveries()) == 2
        synced = ledger.sync(changed, changed_is_new=True)
        assert len(synced.added) == 2 and len(ledger.deliveries()) == 4


def test_a_queued_letter_takes_the_new_file(tmp_path: Path) -> None:
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        synced = ledger.sync(write_batch(tmp_path, 1, prefix="v2-"))
        assert synced.updated == ["office-00 (+493012340000)"]
        (row,) = ledger.deliveries()
        assert row.sha256 == hashlib.sha256(b"%PDF-1.4 letter v2-0\n").hexdigest()


def test_a_file_changed_behind_the_ledgers_back_is_not_sent(tmp_path: Path) -> None:
    transport = Scripted()
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        (tmp_path / "en/office-00.pdf").write_bytes(b"something else")
        runner(ledger, tmp_path, transport).run()
        assert transport.submitted == [] and ledger.deliveries()[0].state == "queued"


def test_manifest_prefers_the_tiff_and_skips_letters_without_fax(tmp_path: Path) -> None:
    rows = [
        {"office_id": "a", "fax": "+4930", "file": "a.pdf", "sha256": "1", "format": "pdf"},
        {"office_id": "a", "fax": "+4930", "file": "a.docx", "sha256": "2", "format": "docx"},
        {"office_id": "a", "fax": "+4930", "file": "a.tiff", "sha256": "3", "format": "tiff"},
        {"office_id": "b", "fax": "", "file": "b.pdf", "sha256": "4", "format": "pdf"},
        {"office_id": "c", "fax": "+4931", "file": "c.pdf", "sha256": "5", "format": "pdf"},
    ]
    (tmp_path / "manifest.json").write_text(json.dumps({"letters": rows}))
    assert [o.file for o in read_manifest(tmp_path, ("tiff", "pdf"))] == ["a.tiff", "c.pdf"]
    assert [o.file for o in read_manifest(tmp_path, ("pdf", "tiff"))] == ["a.pdf", "c.pdf"]


def test_one_sender_per_batch(tmp_path: Path) -> None:
    from lettergen.send.runner import Busy

    held = lock(tmp_path)
    try:
        with pytest.raises(Busy, match="another 'lettergen send'"):
            lock(tmp_path)
    finally:
        held.close()
    lock(tmp_path).close()  # released


def test_summary_escapes_ledger_text() -> None:
    row = {"office_id": "<b>x</b>", "fax": "+1", "state": "failed", "last_error": "<script>"}
    page = summary_html("<i>c</i>", [row])
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>x" not in page


def test_watch_keeps_going_until_the_retry_is_sent_and_stops_on_request(tmp_path: Path) -> None:
    import threading
    import time

    transport = Scripted({"office-00": [Outcome("retry", error="busy")]})
    backoff = Backoff(first=timedelta(seconds=1.5), attempts=3)  # stored to the second
    progress_seen: list[int] = []
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        watcher = Runner(
            ledger,
            tmp_path,
            transport,
            Policy(backoff=backoff, ignore_hours=True),
            poll_seconds=5,
            on_change=lambda p: progress_seen.append(p.sent),
        )
        started = time.monotonic()
        done = watcher.run(watch=True)  # sleeps until the retry is due, not the 5 s poll
        assert 0.4 < time.monotonic() - started < 4
        assert (done.retry, done.sent, done.stopped) == (1, 1, False)
        assert ledger.deliveries()[0].state == "sent" and progress_seen[-1] == 1
    # Waiting for office hours (a Saturday), a stop request ends the watch at once.
    later = tmp_path / "later"
    letters = write_batch(later, 1)
    with Ledger.beside(later) as ledger:
        ledger.sync(letters)
        stop = threading.Event()
        saturday = datetime(2026, 12, 5, 12, tzinfo=UTC)
        waiting = Runner(
            ledger, later, transport, Policy(), clock=lambda: saturday, stop=stop, poll_seconds=60
        )
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        assert waiting.run(watch=True).stopped
        assert time.monotonic() - started < 5
        assert ledger.deliveries()[0].state == "queued"


def test_hylafax_job_states_become_ledger_outcomes() -> None:
    from lettergen.send.transports.hylafax import _outcome

    assert _outcome("7", "t", "D", "1", "00000042", "").state == "sent"
    assert _outcome("7", "t", "R", "0", "00000042", "").state == "sending"
    assert _outcome("7", "t", "W", "0", "00000042", "").state == "sending"
    busy = _outcome("7", "t", "F", "0", "00000042", "Busy signal detected")
    assert (busy.state, busy.error) == ("retry", "Busy signal detected")
    assert _outcome("7", "t", "F", "0", "00000042", "No answer from remote").state == "retry"
    assert _outcome("7", "t", "F", "0", "00000042", "No carrier detected").state == "retry"
    assert (
        _outcome("7", "t", "F", "0", "00000042", "Phone number rejected by dial rules").state
        == "failed"
    )
    assert (
        _outcome("7", "t", "F", "0", "00000042", "Remote does not support T.30: not a fax").state
        == "failed"
    )
    partial = _outcome("7", "t", "F", "1", "00000042", "Communication failure during Phase C")
    assert partial.state == "unknown" and "1 page(s) sent" in partial.error
    # Our own modem, busy with another of our calls, has no dial tone: wait, not a failed try.
    own = _outcome("7", "t", "F", "0", "00000042", "No local dialtone; too many attempts to dial")
    assert (own.state, own.wait) == ("retry", True)


def test_a_hand_over_without_a_job_id_is_reconciled_on_the_next_run(tmp_path: Path) -> None:
    """A fax client that timed out may or may not have queued the job: the row stays
    `sending`, and the next run asks the transport by the attempt's tag."""
    timed_out = Outcome("sending", error="sendfax: no answer in time")
    transport = Scripted({"office-00": [timed_out]}, found=Outcome("sending", job_id="9"))
    with Ledger.beside(tmp_path) as ledger:
        ledger.sync(write_batch(tmp_path, 1))
        runner(ledger, tmp_path, transport).run()
        (row,) = ledger.deliveries()
        assert (row.state, row.job_id) == ("sending", None)
        runner(ledger, tmp_path, transport).run()
        (row,) = ledger.deliveries()
        assert (row.state, row.job_id, row.attempts) == ("sent", "9", 1)
        assert len(transport.submitted) == 1
