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
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lettergen.batch import manifest
from lettergen.errors import DataError, LettergenError, Place
from lettergen.send.channels import read_letters
from lettergen.send.identity import inside
from lettergen.send.ledger import PENDING, Delivery, Ledger, Outgoing
from lettergen.send.schedule import Policy
from lettergen.send.transports import Job, Outcome, Transport, TransportError
from lettergen.util.clock import utcnow

if TYPE_CHECKING:
    from lettergen.send.identity import Guard

log = logging.getLogger(__name__)

#: How often jobs in flight are polled, and the longest sleep of --watch (a stop is seen at once).
POLL_SECONDS = 5.0
#: How long a letter waits when our own modem was busy with another of our letters.
WAIT_FOR_LINE = timedelta(minutes=1)


def read_manifest(folder: Path, formats: Iterable[str] = ("tiff", "pdf")) -> list[Outgoing]:
    """The batch's letters with a fax number, one file each: the first of `formats` the batch
    wrote for it (the manifest read and its paths proven by channels.read_letters)."""
    order = tuple(formats)
    found = []
    for letter in read_letters(folder):
        chosen = letter.file_for(order) if letter.fax else None
        if chosen is None:
            continue
        found.append(
            Outgoing(
                office_id=letter.office_id,
                fax=letter.fax,
                file=chosen.file,
                sha256=chosen.sha256,
                pages=chosen.pages,
                signer=letter.signer,
                country=letter.country,
                language=letter.language,
            )
        )
    return found


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
    fallbacks: int = 0
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
        guard: Guard | None = None,
        channels: dict[str, Transport] | None = None,
        fallback: Callable[[Delivery], Delivery | str | None] | None = None,
    ):
        self.ledger = ledger
        self.folder = folder
        self.transport = transport
        #: The transport of each channel: fax is `transport`; e-mail and post, when the
        #: campaign uses them (lettergen.send.channels).
        self.channels: dict[str, Transport] = {**(channels or {}), "fax": transport}
        #: Called with a row that failed for good: adds the letter's next channel, if any.
        self.fallback = fallback
        self.policy = policy
        self.clock = clock
        self.stop = stop or threading.Event()
        self.on_change = on_change or (lambda _: None)
        self.poll_seconds = poll_seconds
        #: The ledger's identity and journal (send/identity.py): checked before every letter.
        self.guard = guard
        self.progress = Progress()
        #: The rows in flight when the current round of polls began (see poll).
        self._polled: list[Delivery] = []

    # --- the loop --------------------------------------------------------------------------

    def run(self, *, watch: bool = False) -> Progress:
        self._check()
        busy = {d.channel for d in self.ledger.deliveries(*PENDING, "sending")}
        for channel, transport in self.channels.items():
            prepare = getattr(transport, "prepare", None)
            if prepare is not None and channel in busy:
                prepare()  # e.g. HylaFAX: how many modems (only when there is a fax to send)
        self.reconcile()
        while not self.stop.is_set():
            self._check()
            self.poll()
            submitted = self.submit_due()
            if self._flush():
                self.poll()
            in_flight = self._in_flight()
            pending = [
                d
                for d in self.ledger.deliveries(*PENDING)
                if d.channel in self.channels and not self._reached_otherwise(d, quiet=True)
            ]
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
            found = self._by_name(delivery).find(self._job(delivery))
            if found is None:
                found = Outcome(
                    "unknown",
                    error="interrupted while handing over; the transport cannot tell if it went",
                )
            self.progress.reconciled += 1
            log.info("%s: reconciled after an interruption: %s", delivery.office_id, found.state)
            self.apply(delivery, found, reconciled=True)

    def poll(self) -> None:
        """Ask about every job in flight first, then record the answers: a letter whose call
        found our own line busy is seen as such even when the call holding the line ended
        in the same round (and was recorded first)."""
        names = {t.name: t for t in self.channels.values()}
        flying = [d for d in self.ledger.deliveries("sending") if d.job_id and d.transport in names]
        answers = [(d, names[str(d.transport)].poll(self._job(d))) for d in flying]
        self._polled = flying
        try:
            for delivery, outcome in answers:
                if outcome.state != "sending":
                    self.apply(delivery, outcome)
        finally:
            self._polled = []

    def submit_due(self) -> int:
        """Hand over the letters due now, within the transport's limit on letters in flight."""
        submitted = 0
        now = self.clock()
        last: Transport | None = None
        for delivery in self.ledger.deliveries(*PENDING):
            if self.stop.is_set():
                break
            transport = self.channels.get(delivery.channel)
            if transport is None:
                continue  # a channel this run does not serve (set up none for it)
            if self._in_flight(transport) >= transport.concurrency:
                continue
            if self.due_at(delivery, now) > now:
                continue
            if not self._file_is_current(delivery) or self._reached_otherwise(delivery):
                continue
            if last is transport and transport.interval:
                self.stop.wait(transport.interval)
                if self.stop.is_set():
                    break
            last = transport
            job = self._job(delivery)  # its path proven inside the folder first
            self._check()  # never hand a letter over with a ledger nobody will read again
            claimed = self.ledger.claim(delivery, transport.name, now=self.clock())
            if self.guard is not None:
                try:
                    self.guard.handed(claimed)
                except BaseException as exc:
                    self.ledger.move(claimed, "queued", f"not handed over: {exc}")
                    raise
            log.info(
                "%s (%s): sending by %s, attempt %d",
                delivery.office_id,
                delivery.to,
                delivery.channel,
                claimed.attempts,
            )
            job = self._job(claimed)
            try:
                outcome = transport.submit(job)
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

    def due_at(self, delivery: Delivery, now: datetime | None = None) -> datetime:
        """Fax goes in the office's hours; e-mail and post are not a line that rings."""
        now = now or self.clock()
        if delivery.channel != "fax":
            return max(now, delivery.next_at) if delivery.next_at else now
        return self.policy.due_at(delivery.fax, delivery.country, delivery.next_at, now)

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
                log.info("%s (%s): job %s", delivery.office_id, delivery.to, outcome.job_id)
            elif outcome.error:  # handed over, no job id: reconciled by its tag on the next run
                self.ledger.note(delivery, outcome.error)
            return
        busy = [
            d
            for d in (*self.ledger.deliveries("sending"), *self._polled)
            if d.id != delivery.id and d.job_id and d.transport == delivery.transport
        ]
        if state == "retry" and outcome.wait and busy:
            # Our own line was busy with another letter of ours: not a try, wait for the line.
            later = now + WAIT_FOR_LINE
            self.ledger.move(
                delivery,
                "retry",
                f"{prefix}{error}: our line was busy, not counted as a try; next try "
                f"{later:%H:%M} UTC",
                now=now,
                next_at=later,
                attempts=max(delivery.attempts - 1, 0),
                job_id=outcome.job_id,
            )
            log.info("%s (%s): waiting for the line", delivery.office_id, delivery.to)
            return
        if state == "retry":
            again = self.policy.backoff.retry_at(delivery.attempts, now)
            if again is None:
                tries = f"{delivery.attempts} attempt{'' if delivery.attempts == 1 else 's'}"
                state, error = "failed", f"gave up after {tries}: {error}"
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
            fields["last_error"] = None  # a retried letter that went: its old error is history
        if state == "queued":  # the transport never got it: safe to hand over again
            fields["job_id"] = None
        moved = self.ledger.move(delivery, state, prefix + (error or state), now=now, **fields)
        if outcome.reply or outcome.remote_id or outcome.pages_sent is not None:
            self.ledger.set_proof(
                moved,
                reply=outcome.reply,
                remote_id=outcome.remote_id,
                pages_sent=outcome.pages_sent,
            )
        if state == "sent" and self.guard is not None:
            self.guard.sent(delivery)
        if state == "failed" and self.guard is not None:
            self.guard.failed(delivery, error or "failed")
        self._count(state, delivery)
        if state == "failed" and self.fallback is not None:
            following = self.fallback(moved)
            if isinstance(following, Delivery):
                self.progress.fallbacks += 1
                log.warning(
                    "%s: %s %s failed; falling back to %s (%s)",
                    delivery.office_id,
                    delivery.channel,
                    delivery.to,
                    following.channel,
                    following.to,
                )
            elif isinstance(following, str):
                log.info("%s: no channel left: %s", delivery.office_id, following)

    def _count(self, state: str, delivery: Delivery) -> None:
        if hasattr(self.progress, state):
            setattr(self.progress, state, getattr(self.progress, state) + 1)
        self.progress.events.append(f"{delivery.office_id} {delivery.to}: {state}")
        log.info("%s (%s): %s", delivery.office_id, delivery.to, state)

    # --- helpers ---------------------------------------------------------------------------

    def _check(self) -> None:
        if self.guard is not None:
            self.guard.check()

    def _in_flight(self, transport: Transport | None = None) -> int:
        name = transport.name if transport is not None else None
        return sum(
            1 for d in self.ledger.deliveries("sending") if d.job_id and name in (None, d.transport)
        )

    def _by_name(self, delivery: Delivery) -> Transport:
        for transport in self.channels.values():
            if transport.name == delivery.transport:
                return transport
        return self.channels.get(delivery.channel, self.transport)

    def _flush(self) -> bool:
        """Transports that gather letters (post) write what they gathered."""
        flushed = False
        for transport in self.channels.values():
            flush = getattr(transport, "flush", None)
            if flush is not None and getattr(transport, "_pending", None):
                flush()
                flushed = True
        return flushed

    def _reached_otherwise(self, delivery: Delivery, *, quiet: bool = False) -> bool:
        """Another attempt at the same letter reached its office, is on its way or may have
        arrived: this one must not go too (never two deliveries of one letter)."""
        others = [
            d
            for d in self.ledger.attempts_at(delivery.letter_key)
            if d.id != delivery.id and d.state in ("sending", "sent", "unknown")
        ]
        if others and not quiet:
            log.warning(
                "%s: not sent by %s: the letter went by %s (%s) already",
                delivery.office_id,
                delivery.channel,
                others[0].channel,
                others[0].state,
            )
        return bool(others)

    def _job(self, delivery: Delivery) -> Job:
        return Job(
            tag=self.ledger.tag(delivery),
            fax=delivery.fax,
            path=inside(self.folder, delivery.file, f"{self.ledger.path}: delivery {delivery.id}"),
            pages=delivery.pages,
            office_id=delivery.office_id,
            job_id=delivery.job_id,
            channel=delivery.channel,
            to=delivery.address or delivery.fax,
            language=delivery.language,
            signer=delivery.signer,
            country=delivery.country,
        )

    def _file_is_current(self, delivery: Delivery) -> bool:
        """The file on disk is the one the ledger knows: never fax bytes nobody recorded."""
        path = inside(self.folder, delivery.file, f"{self.ledger.path}: delivery {delivery.id}")
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
        elsewhere = [
            d
            for d in ledger.attempts_at(delivery.letter_key)
            if d.id != delivery.id and d.state in ("queued", "retry", "sending", "sent", "unknown")
        ]
        if elsewhere:  # the letter went (or goes) by another channel: never twice
            log.info(
                "%s: not queued again: the letter went by %s (%s)",
                delivery.office_id,
                elsewhere[0].channel,
                elsewhere[0].state,
            )
            continue
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
