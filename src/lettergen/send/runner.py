"""Sending a batch: the manifest into the ledger, then the ledger through a transport.

One pass (`send`) reconciles what a crash left `sending`, polls the jobs in flight and
submits what is due now, until nothing is due and nothing is in flight; `watch` keeps going
until no letter is waiting, sleeping until the next office hours or retry. A stop request
(SIGTERM, Ctrl-C) ends the loop between two letters: the letter being handed over is finished
and recorded first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from lettergen.batch import manifest
from lettergen.errors import DataError, InputError, LettergenError, Place
from lettergen.send.ledger import PENDING, Delivery, Ledger, Outgoing
from lettergen.send.schedule import Policy
from lettergen.send.transports import Job, Outcome, Transport, TransportError
from lettergen.util.clock import utcnow

log = logging.getLogger(__name__)

#: How often jobs in flight are polled, and the longest sleep of --watch (a stop is seen at once).
POLL_SECONDS = 5.0


def read_manifest(folder: Path, formats: Iterable[str] = ("tiff", "pdf")) -> list[Outgoing]:
    """The batch's letters with a fax number, one file each: the first of `formats` the batch
    wrote for it. Only the manifest's documented keys are read."""
    path = folder / manifest.JSON_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        rows = document["letters"]
    except OSError as exc:
        raise InputError(
            "no manifest: the batch has not been written", Place(path), hint="run 'lettergen batch'"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a lettergen manifest ({exc})", Place(path)) from exc
    order = list(formats)
    chosen: dict[tuple[str, str, str, str], dict[str, object]] = {}
    for row in rows:
        if not row.get("fax") or row.get("format") not in order:
            continue
        key = (row["office_id"], row.get("signer", ""), row.get("language", ""), row["fax"])
        if key not in chosen or order.index(row["format"]) < order.index(
            str(chosen[key]["format"])
        ):
            chosen[key] = row
    return [
        Outgoing(
            office_id=str(r["office_id"]),
            fax=str(r["fax"]),
            file=str(r["file"]),
            sha256=str(r["sha256"]),
            pages=int(str(r.get("pages") or 0)),
            signer=str(r.get("signer", "")),
            country=str(r.get("country", "")),
            language=str(r.get("language", "")),
        )
        for r in chosen.values()
    ]


class Busy(LettergenError):
    """Another `lettergen send` is working on this batch."""


def lock(folder: Path) -> IO[str]:
    """One sender per batch: a second one would reconcile the first one's letters in flight.
    The lock goes with the process, even on kill -9."""
    handle = open(folder / "ledger.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise Busy(f"another 'lettergen send' is sending this batch ({folder})") from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


@dataclass
class Progress:
    """What a run did, for the progress line and the closing summary."""

    submitted: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    reconciled: int = 0
    stopped: bool = False
    waiting_until: datetime | None = None
    events: list[str] = field(default_factory=list)


class Runner:
    def __init__(
        self,
        ledger: Ledger,
        folder: Path,
        transport: Transport,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        on_change: Callable[[Progress], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
    ):
        self.ledger = ledger
        self.folder = folder
        self.transport = transport
        self.policy = policy
        self.clock = clock
        self.stop = stop or threading.Event()
        self.on_change = on_change or (lambda _: None)
        self.poll_seconds = poll_seconds
        self.progress = Progress()

    # --- the loop --------------------------------------------------------------------------

    def run(self, *, watch: bool = False) -> Progress:
        self.reconcile()
        while not self.stop.is_set():
            self.poll()
            submitted = self.submit_due()
            in_flight = self._in_flight()
            pending = self.ledger.deliveries(*PENDING)
            self.progress.waiting_until = self.next_due(pending)
            self.on_change(self.progress)
            if submitted or self.stop.is_set():
                continue
            if not in_flight and not (watch and pending):
                break
            wait = self.poll_seconds
            if not in_flight and self.progress.waiting_until is not None:
                until = (self.progress.waiting_until - self.clock()).total_seconds()
                wait = max(0.0, min(wait, until))
            self.stop.wait(wait)
        self.progress.stopped = self.stop.is_set()
        self.on_change(self.progress)
        return self.progress

    def reconcile(self) -> None:
        """Rows a crash left `sending` without a job id: ask the transport by the attempt's
        tag; when it cannot tell, the row is `unknown` and waits for a person."""
        for delivery in self.ledger.deliveries("sending"):
            if delivery.job_id:
                continue  # in flight: poll() follows it
            found = self.transport.find(self._job(delivery))
            if found is None:
                found = Outcome(
                    "unknown",
                    error="interrupted while handing over; the transport cannot tell if it went",
                )
            self.progress.reconciled += 1
            log.info("%s: reconciled after an interruption: %s", delivery.office_id, found.state)
            self.apply(delivery, found, reconciled=True)

    def poll(self) -> None:
        for delivery in self.ledger.deliveries("sending"):
            if delivery.job_id and delivery.transport == self.transport.name:
                outcome = self.transport.poll(self._job(delivery))
                if outcome.state != "sending":
                    self.apply(delivery, outcome)

    def submit_due(self) -> int:
        """Hand over the letters due now, within the transport's limit on letters in flight."""
        submitted = 0
        now = self.clock()
        for delivery in self.ledger.deliveries(*PENDING):
            if self.stop.is_set() or self._in_flight() >= self.transport.concurrency:
                break
            if self.policy.due_at(delivery.fax, delivery.country, delivery.next_at, now) > now:
                continue
            if not self._file_is_current(delivery):
                continue
            if submitted and self.transport.interval:
                self.stop.wait(self.transport.interval)
                if self.stop.is_set():
                    break
            claimed = self.ledger.claim(delivery, self.transport.name, now=self.clock())
            job = self._job(claimed)
            try:
                outcome = self.transport.submit(job)
            except TransportError as exc:
                self.ledger.move(claimed, "queued", f"not handed over: {exc}", last_error=str(exc))
                raise
            except LettergenError as exc:
                # The letter did not reach the transport (its file vanished, say).
                self.ledger.move(claimed, "queued", f"not handed over: {exc}", last_error=str(exc))
                raise
            self.progress.submitted += 1
            submitted += 1
            self.apply(claimed, outcome)
        return submitted

    def due_at(self, delivery: Delivery) -> datetime:
        return self.policy.due_at(delivery.fax, delivery.country, delivery.next_at, self.clock())

    def next_due(self, pending: list[Delivery]) -> datetime | None:
        times = [self.due_at(d) for d in pending]
        return min(times) if times else None

    # --- outcomes --------------------------------------------------------------------------

    def apply(self, delivery: Delivery, outcome: Outcome, *, reconciled: bool = False) -> None:
        """Record what the transport said about a row being sent."""
        now = self.clock()
        prefix = "reconciled: " if reconciled else ""
        state, error = outcome.state, outcome.error
        if state == "sending":
            if outcome.job_id and outcome.job_id != delivery.job_id:
                self.ledger.set_job(delivery, outcome.job_id, f"{prefix}job {outcome.job_id}")
            elif outcome.error:  # handed over, no job id: reconciled by its tag on the next run
                self.ledger.note(delivery, outcome.error)
            return
        if state == "retry":
            again = self.policy.backoff.retry_at(delivery.attempts, now)
            if again is None:
                state, error = "failed", f"gave up after {delivery.attempts} attempts: {error}"
            else:
                self.ledger.move(
                    delivery,
                    "retry",
                    f"{prefix}{error}; next try {again:%Y-%m-%d %H:%M} UTC",
                    now=now,
                    next_at=again,
                    last_error=error,
                    job_id=outcome.job_id,
                )
                self._count("retry", delivery)
                return
        fields: dict[str, object] = {"job_id": outcome.job_id or delivery.job_id}
        if error:
            fields["last_error"] = error
        if state == "sent":
            fields["sent_at"] = now
        if state == "queued":  # the transport never got it: safe to hand over again
            fields["job_id"] = None
        self.ledger.move(delivery, state, prefix + (error or state), now=now, **fields)
        self._count(state, delivery)

    def _count(self, state: str, delivery: Delivery) -> None:
        if hasattr(self.progress, state):
            setattr(self.progress, state, getattr(self.progress, state) + 1)
        self.progress.events.append(f"{delivery.office_id} {delivery.fax}: {state}")
        log.info("%s (%s): %s", delivery.office_id, delivery.fax, state)

    # --- helpers ---------------------------------------------------------------------------

    def _in_flight(self) -> int:
        return sum(1 for d in self.ledger.deliveries("sending") if d.job_id)

    def _job(self, delivery: Delivery) -> Job:
        return Job(
            tag=self.ledger.tag(delivery),
            fax=delivery.fax,
            path=self.folder / delivery.file,
            pages=delivery.pages,
            office_id=delivery.office_id,
            job_id=delivery.job_id,
        )

    def _file_is_current(self, delivery: Delivery) -> bool:
        """The file on disk is the one the ledger knows: never fax bytes nobody recorded."""
        path = self.folder / delivery.file
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest != delivery.sha256:
            log.warning(
                "%s: %s is missing or changed since the ledger read it; not sent "
                "(run 'lettergen send' again to pick up the batch's current files)",
                delivery.office_id,
                delivery.file,
            )
            return False
        return True


def requeue(ledger: Ledger, states: Iterable[str], detail: str) -> list[Delivery]:
    """Put rows back in the queue at a person's request (--resend-unknown, --retry-failed)."""
    moved = []
    for delivery in ledger.deliveries(*states):
        moved.append(ledger.move(delivery, "queued", detail, next_at=None))
    return moved


def in_memory_copy(ledger: Ledger) -> Ledger:
    """A throwaway copy of the ledger for a dry run: the whole state machine runs, nothing is
    recorded."""
    copy = Ledger.__new__(Ledger)
    import sqlite3

    copy.path = Path(":memory:")
    copy.db = sqlite3.connect(":memory:", isolation_level=None)
    ledger.db.backup(copy.db)
    copy.db.row_factory = sqlite3.Row
    return copy


def check_folder(folder: Path) -> None:
    if not (folder / manifest.JSON_NAME).is_file():
        raise DataError(
            "no letters to send: the batch has not been written",
            Place(folder / manifest.JSON_NAME),
            hint="run 'lettergen batch CAMPAIGN --format pdf,tiff' first",
        )
