"""The delivery ledger: the single source of truth about what reached whom.

One SQLite file beside the batch's manifest (``ledger.sqlite``), plain ``sqlite3`` in WAL mode.
One row per (letter file sha256, fax number) — a *delivery* — with its state, attempts, the
transport's job id, timestamps and the last error; plus an append-only ``events`` table.

Every change of state is one committed transaction that checks the state it leaves
(compare-and-set), so a row can be claimed for sending by one process only, and a row is
``sending`` on disk *before* the transport is called: after a crash it is reconciled with the
transport, never blindly sent again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lettergen.errors import DataError, InputError, Place
from lettergen.util.clock import utcnow

log = logging.getLogger(__name__)

FILENAME = "ledger.sqlite"
#: Seconds a ledger waits for another process's write before it says the ledger is locked.
BUSY_SECONDS = 30.0

#: The state machine, printable (``lettergen status --states``): which state may follow which.
#: ``sent`` has no way out: a letter that reached its office is never sent again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("sending",),
    "retry": ("sending", "queued"),
    # A transport that never got the letter (found no job by its tag) puts it back in the queue.
    "sending": ("sent", "retry", "failed", "unknown", "queued"),
    "unknown": ("queued", "sent", "failed"),  # a person decided: resend, or it did arrive
    "failed": ("queued",),  # only when a person asks for it (a corrected number)
    "sent": (),
}
STATES = ("queued", "sending", "sent", "retry", "failed", "unknown")
PENDING = ("queued", "retry")  # waiting for their time to be sent

#: Numbered migration steps; PRAGMA user_version says how many have run.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        office_id TEXT NOT NULL,
        signer TEXT NOT NULL DEFAULT '',
        fax TEXT NOT NULL,
        country TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pages INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued','sending','sent','retry','failed','unknown')),
        attempts INTEGER NOT NULL DEFAULT 0,
        transport TEXT,
        job_id TEXT,
        next_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        last_error TEXT,
        UNIQUE (sha256, fax)
    );
    CREATE INDEX deliveries_state ON deliveries (state);
    CREATE INDEX deliveries_letter ON deliveries (office_id, signer, fax);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_delivery ON events (delivery_id);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    """,
    # 2: letters supporters asked the page to fax for them ("Fax it for me", supporters.py).
    # The personal columns (name, organisation, town, file) and the keys and token hashes are
    # emptied when the request ends or its retention period is over; the row stays, for counts.
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL
            CHECK (state IN ('awaiting','held','approved','rejected','withdrawn','expired')),
        token_hash TEXT UNIQUE,
        confirm_hash TEXT UNIQUE,
        office_id TEXT NOT NULL,
        fax TEXT NOT NULL,
        country TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        name TEXT,
        organisation TEXT,
        town TEXT,
        file TEXT,
        sha256 TEXT,
        pages INTEGER NOT NULL DEFAULT 0,
        signer_key TEXT,
        address_key TEXT,
        delivery_id INTEGER REFERENCES deliveries (id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        confirm_by TEXT,
        expires_at TEXT NOT NULL,
        erased_at TEXT
    );
    CREATE INDEX requests_state ON requests (state);
    CREATE INDEX requests_signer ON requests (signer_key, created_at);
    CREATE INDEX requests_address ON requests (address_key, created_at);
    """,
    # 3: channels (see CHANNEL_COLUMNS): fax, e-mail or post, one row per letter and channel.
    """
    ALTER TABLE deliveries ADD COLUMN channel TEXT NOT NULL DEFAULT 'fax'
        CHECK (channel IN ('fax','email','post'));
    ALTER TABLE deliveries ADD COLUMN letter TEXT NOT NULL DEFAULT '';
    ALTER TABLE deliveries ADD COLUMN address TEXT NOT NULL DEFAULT '';
    ALTER TABLE deliveries ADD COLUMN fallback_from INTEGER REFERENCES deliveries (id);
    ALTER TABLE deliveries ADD COLUMN why TEXT NOT NULL DEFAULT '';
    ALTER TABLE deliveries ADD COLUMN reply TEXT;
    ALTER TABLE deliveries ADD COLUMN remote_id TEXT;
    ALTER TABLE deliveries ADD COLUMN pages_sent INTEGER;
    UPDATE deliveries SET letter = office_id || '|' || signer || '|' || language;
    CREATE INDEX deliveries_by_letter ON deliveries (letter);
    """,
    # 4: the supporter's own words beside her request, for the moderator to read; erased with
    # her name.
    """
    ALTER TABLE requests ADD COLUMN message TEXT;
    """,
)

#: What migration 3 added to a delivery row, for the channels (lettergen.send.channels):
#: - channel: fax, email or post; `fax` then holds where the attempt goes: the number dialled,
#:   the office's e-mail address, or "post" (one row per letter file and channel);
#: - letter: the letter's key, office|signer|language — every attempt at one letter, whatever
#:   its channel, shares it, so the letter is delivered to its office once;
#: - address: the e-mail address or the postal address (lines joined by "; ");
#: - fallback_from, why: the attempt this one falls back from, and why;
#: - reply, remote_id, pages_sent: the proof for the transmission report (SMTP reply, the fax
#:   machine's station id as HylaFAX recorded it, pages that went through).
CHANNEL_COLUMNS = (
    "channel",
    "letter",
    "address",
    "fallback_from",
    "why",
    "reply",
    "remote_id",
    "pages_sent",
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_stamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Outgoing:
    """A letter of the batch to send: one file to one fax number (read from the manifest)."""

    office_id: str
    fax: str
    file: str  # relative to the batch folder
    sha256: str
    pages: int = 0
    signer: str = ""
    country: str = ""
    language: str = ""


@dataclass(frozen=True)
class Delivery:
    """One ledger row."""

    id: int
    office_id: str
    signer: str
    fax: str
    country: str
    language: str
    file: str
    sha256: str
    pages: int
    state: str
    attempts: int
    transport: str | None
    job_id: str | None
    next_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    last_error: str | None
    channel: str = "fax"
    letter: str = ""
    address: str = ""
    fallback_from: int | None = None
    why: str = ""
    reply: str | None = None
    remote_id: str | None = None
    pages_sent: int | None = None

    @property
    def letter_key(self) -> str:
        return self.letter or letter_key(self.office_id, self.signer, self.language)

    @property
    def to(self) -> str:
        """Where this attempt goes: the fax number, the e-mail address or the postal address."""
        return self.address or self.fax

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Delivery:
        values: dict[str, Any] = dict(row)
        for key in ("next_at", "created_at", "updated_at", "sent_at"):
            values[key] = parse_stamp(values[key])
        return cls(**values)


def letter_key(office_id: str, signer: str, language: str) -> str:
    """What makes attempts on several channels one letter: its office, signer and language."""
    return f"{office_id}|{signer}|{language}"


@dataclass(frozen=True)
class Attempt:
    """A row to add for one letter on one channel (Ledger.add_attempt)."""

    office_id: str
    channel: str
    fax: str  # the number, the e-mail address, or "post"
    address: str  # the e-mail address or the postal address, for people
    file: str
    sha256: str
    letter: str
    pages: int = 0
    signer: str = ""
    country: str = ""
    language: str = ""
    fallback_from: int | None = None
    why: str = ""


@dataclass
class Synced:
    """What reading the manifest into the ledger did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # a queued letter's file changed
    held: list[str] = field(default_factory=list)  # changed after sending: not a new letter


class ConflictError(DataError):
    """A state change that the ledger's state machine or the row's current state forbids."""


class Ledger:
    """The ledger of one batch folder. Use as a context manager, or call close()."""

    def __init__(self, path: Path, *, busy_seconds: float | None = None):
        self.path = path
        with ledger_errors(path):
            _create_private(path)
            self.db = sqlite3.connect(
                path,
                timeout=BUSY_SECONDS if busy_seconds is None else busy_seconds,
                isolation_level=None,
            )
            try:
                self.db.row_factory = sqlite3.Row
                self.db.execute("PRAGMA journal_mode=WAL")
                # a committed 'sending' survives power loss
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
            except BaseException:
                self.db.close()
                raise

    @classmethod
    def beside(cls, folder: Path) -> Ledger:
        return cls(folder / FILENAME)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: one writer at a time, all or nothing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise InputError(
                    f"the delivery ledger is from a newer lettergen (schema {version})",
                    hint=str(self.path),
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
                log.debug("ledger %s: migration %d applied", self.path, number)
            if db.execute("SELECT 1 FROM meta WHERE key = 'ledger_id'").fetchone() is None:
                db.execute("INSERT INTO meta VALUES ('ledger_id', ?)", (uuid.uuid4().hex[:12],))

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def ledger_id(self) -> str:
        """A random id of this ledger, in every job tag: a recreated ledger never mistakes an
        old job on a fax server for one of its own."""
        return str(self.db.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()[0])

    def tag(self, delivery: Delivery) -> str:
        """The tag a transport carries for this attempt (HylaFAX jobtag, Message-ID)."""
        return f"lettergen-{self.ledger_id}-{delivery.id}-{delivery.attempts}"

    # --- reading ---------------------------------------------------------------------------

    def get(self, delivery_id: int) -> Delivery:
        row = self.db.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        if row is None:
            raise DataError(f"no delivery {delivery_id} in the ledger")
        return Delivery.from_row(row)

    def deliveries(self, *states: str) -> list[Delivery]:
        if states:
            marks = ",".join("?" * len(states))
            rows = self.db.execute(
                f"SELECT * FROM deliveries WHERE state IN ({marks}) ORDER BY id", states
            )
        else:
            rows = self.db.execute("SELECT * FROM deliveries ORDER BY id")
        return [Delivery.from_row(r) for r in rows]

    def events(self, delivery_id: int | None = None) -> list[sqlite3.Row]:
        if delivery_id is None:
            return list(self.db.execute("SELECT * FROM events ORDER BY id"))
        return list(
            self.db.execute(
                "SELECT * FROM events WHERE delivery_id = ? ORDER BY id", (delivery_id,)
            )
        )

    def counts(self) -> dict[str, int]:
        found = dict(
            self.db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
        )
        return {state: int(found.get(state, 0)) for state in STATES}

    # --- writing ---------------------------------------------------------------------------

    def sync(self, letters: Iterable[Outgoing], *, changed_is_new: bool = False) -> Synced:
        """Add the batch's letters. A letter already in the ledger (same file bytes, same
        number) is left as it is, whatever its state. A letter whose file changed:
        - not yet sent: the queued row takes the new file;
        - sent, being sent or unknown: held back (a new letter only with `changed_is_new`)."""
        result = Synced()
        now = stamp(utcnow())
        with self.transaction() as db:
            for letter in letters:
                same = db.execute(
                    "SELECT id, file FROM deliveries WHERE sha256 = ? AND fax = ?",
                    (letter.sha256, letter.fax),
                ).fetchone()
                if same is not None:
                    if same["file"] != letter.file:
                        db.execute(
                            "UPDATE deliveries SET file = ? WHERE id = ?", (letter.file, same["id"])
                        )
                    continue
                earlier = db.execute(
                    "SELECT id, state FROM deliveries"
                    " WHERE office_id = ? AND signer = ? AND fax = ? ORDER BY id",
                    (letter.office_id, letter.signer, letter.fax),
                ).fetchall()
                label = f"{letter.office_id} ({letter.fax})"
                waiting = [r for r in earlier if r["state"] in PENDING]
                reached = [r for r in earlier if r["state"] in ("sent", "sending", "unknown")]
                if waiting:
                    row_id = waiting[-1]["id"]
                    db.execute(
                        "UPDATE deliveries SET file = ?, sha256 = ?, pages = ?, updated_at = ?"
                        " WHERE id = ?",
                        (letter.file, letter.sha256, letter.pages, now, row_id),
                    )
                    self._event(db, row_id, "queued", f"file changed before sending: {letter.file}")
                    result.updated.append(label)
                elif reached and not changed_is_new:
                    result.held.append(label)
                else:
                    cursor = db.execute(
                        "INSERT INTO deliveries (office_id, signer, fax, country, language, file,"
                        " sha256, pages, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            letter.office_id,
                            letter.signer,
                            letter.fax,
                            letter.country,
                            letter.language,
                            letter.file,
                            letter.sha256,
                            letter.pages,
                            now,
                            now,
                        ),
                    )
                    assert cursor.lastrowid is not None
                    detail = "changed after sending, sent as a new letter" if reached else ""
                    self._event(db, cursor.lastrowid, "queued", detail or letter.file)
                    result.added.append(label)
        return result

    def move(
        self,
        delivery: Delivery,
        to: str,
        detail: str = "",
        *,
        now: datetime | None = None,
        **fields: Any,
    ) -> Delivery:
        """Change a row's state, checking that it is still in the state `delivery` shows
        (compare-and-set) and that the state machine allows the step; with an event, committed.
        `fields`: attempts, transport, job_id, next_at, sent_at, last_error."""
        if to not in TRANSITIONS[delivery.state]:
            raise ConflictError(f"delivery {delivery.id}: {delivery.state} → {to} is not allowed")
        allowed = {"attempts", "transport", "job_id", "next_at", "sent_at", "last_error"}
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(f"unknown fields {sorted(unknown)}")
        moment = stamp(now or utcnow())
        values = {k: (stamp(v) if isinstance(v, datetime) else v) for k, v in fields.items()} | {
            "state": to,
            "updated_at": moment,
        }
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE deliveries SET {assignments} WHERE id = ? AND state = ? AND attempts = ?",
                (*values.values(), delivery.id, delivery.state, delivery.attempts),
            )
            if cursor.rowcount != 1:
                raise ConflictError(
                    f"delivery {delivery.id} changed under us (another lettergen send?)"
                )
            self._event(db, delivery.id, to, detail, moment)
        return self.get(delivery.id)

    def claim(self, delivery: Delivery, transport: str, now: datetime | None = None) -> Delivery:
        """queued/retry → sending, one more attempt: committed before the transport is called."""
        return self.move(
            delivery,
            "sending",
            f"attempt {delivery.attempts + 1} via {transport}",
            now=now,
            attempts=delivery.attempts + 1,
            transport=transport,
            job_id=None,
            next_at=None,
        )

    def set_job(self, delivery: Delivery, job_id: str, detail: str = "") -> Delivery:
        """Record the transport's job id of a row being sent (it stays `sending`)."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET job_id = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND attempts = ?",
                (job_id, stamp(utcnow()), delivery.id, delivery.attempts),
            )
            if cursor.rowcount != 1:
                raise ConflictError(f"delivery {delivery.id} is no longer being sent")
            self._event(db, delivery.id, "sending", detail or f"job {job_id}")
        return self.get(delivery.id)

    def note(self, delivery: Delivery, detail: str) -> None:
        """An event that changes nothing (a job id learnt, a reconciliation looked at)."""
        with self.transaction() as db:
            self._event(db, delivery.id, delivery.state, detail)

    # --- channels (lettergen.send.channels) ------------------------------------------------

    def attempts_at(self, letter: str) -> list[Delivery]:
        """Every row of one letter, whatever its channel, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM deliveries WHERE letter = ? OR (letter = '' AND"
            " office_id || '|' || signer || '|' || language = ?) ORDER BY id",
            (letter, letter),
        )
        return [Delivery.from_row(r) for r in rows]

    def add_attempt(self, attempt: Attempt) -> Delivery | None:
        """A row for one letter on one channel (a first channel other than fax, or a fallback),
        added only while no attempt at the letter has reached or may have reached its office
        and none is waiting: the check and the insert are one transaction. None when the row
        exists already or the letter needs no other attempt."""
        now = stamp(utcnow())
        with self.transaction() as db:
            if db.execute(
                "SELECT 1 FROM deliveries WHERE sha256 = ? AND fax = ?",
                (attempt.sha256, attempt.fax),
            ).fetchone():
                return None
            busy = db.execute(
                "SELECT 1 FROM deliveries WHERE (letter = ? OR (letter = '' AND"
                " office_id || '|' || signer || '|' || language = ?))"
                " AND state IN ('queued','retry','sending','sent','unknown')",
                (attempt.letter, attempt.letter),
            ).fetchone()
            if busy:
                return None
            cursor = db.execute(
                "INSERT INTO deliveries (office_id, signer, fax, country, language, file, sha256,"
                " pages, created_at, updated_at, channel, letter, address, fallback_from, why)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt.office_id,
                    attempt.signer,
                    attempt.fax,
                    attempt.country,
                    attempt.language,
                    attempt.file,
                    attempt.sha256,
                    attempt.pages,
                    now,
                    now,
                    attempt.channel,
                    attempt.letter,
                    attempt.address,
                    attempt.fallback_from,
                    attempt.why,
                ),
            )
            assert cursor.lastrowid is not None
            row_id = cursor.lastrowid
            detail = f"by {attempt.channel} to {attempt.address or attempt.fax}"
            self._event(db, row_id, "queued", f"{detail}: {attempt.why}" if attempt.why else detail)
        return self.get(row_id)

    def set_proof(
        self,
        delivery: Delivery,
        *,
        reply: str | None = None,
        remote_id: str | None = None,
        pages_sent: int | None = None,
    ) -> None:
        """What the transport said when the letter went (for its transmission report)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET reply = coalesce(?, reply),"
                " remote_id = coalesce(?, remote_id), pages_sent = coalesce(?, pages_sent)"
                " WHERE id = ?",
                (reply, remote_id, pages_sent, delivery.id),
            )

    @staticmethod
    def _event(
        db: sqlite3.Connection, delivery_id: int, state: str, detail: str, at: str | None = None
    ) -> None:
        db.execute(
            "INSERT INTO events (delivery_id, at, state, detail) VALUES (?, ?, ?, ?)",
            (delivery_id, at or stamp(utcnow()), state, detail),
        )


def _create_private(path: Path) -> None:
    """A new ledger is created 0600: it holds signers' names (a batch's) or supporters'
    requests; SQLite gives its -wal and -shm files the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class LedgerUnusable(InputError):
    """The ledger file cannot be used (damaged, locked, on a full disk): one line saying what,
    where and what to do."""


@contextmanager
def ledger_errors(path: Path) -> Iterator[None]:
    """SQLite's and the file system's errors while a ledger is used, as one line naming the
    file and what to do (never a traceback)."""
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            message = (
                f"not a delivery ledger, or a damaged one ({text}): restore it from a backup, "
                "or move it away (nothing it recorded will then be known)"
            )
        elif "locked" in text or "busy" in text:
            message = (
                "the delivery ledger is locked by another program (an SQLite browser, a backup "
                "tool?): close it, then run again"
            )
        elif "full" in text:
            message = (
                f"the disk is full ({text}): free some space, then run again; what was sent "
                "is recorded"
            )
        elif "readonly" in text or "read-only" in text:
            message = f"the delivery ledger cannot be written ({text}): check its permissions"
        else:
            message = f"the delivery ledger cannot be used ({text})"
        raise LedgerUnusable(message, Place(path)) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise LedgerUnusable(
                "no space left on the device: free some space, then run again; what was sent "
                "is recorded",
                Place(Path(exc.filename) if exc.filename else path),
            ) from None
        raise


def _statements(script: str) -> list[str]:
    """A migration script as statements (triggers hold semicolons of their own)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements
