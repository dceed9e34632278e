"""Trusting the ledger only while it is the ledger: its identity checked while it is used, a
journal beside it of every letter handed to a transport, and paths read from a manifest or a
ledger proven to lie inside their folder.

The ledger is the truth about delivery, so losing it must never mean sending again. Beside it:

- ``ledger.id``: the id of the folder's ledger (the random id in its ``meta`` table, also in
  every job tag). A ledger file that is missing, or holds another id (replaced, emptied and
  recreated), is not used: `lettergen send` and the supporter page's sender stop with one line,
  until the user says the old one is lost (``--i-know-the-ledger-was-lost``; the file found
  there is kept as ``ledger.sqlite.lost-<n>``).
- ``ledger.journal`` (batch folders): one JSON line per letter handed to a transport (fax,
  e-mail or post), written and flushed to disk right after the ledger's ``sending`` and before
  the transport is called, and one when it is sent or has failed for good. A ledger that does
  not know a letter the journal says was handed over (a new ledger, or one restored from an
  older backup) does not send it: the row becomes ``sent`` (the journal saw it sent),
  ``failed`` (the journal saw it fail for good: the letter goes on to the campaign's next
  channel, which the journal is asked about in turn) or ``unknown`` (waiting for a person, as
  after a crash).

While a ledger is used, `Watch.check` compares the file at its path with the one opened (device
and inode, a size that never shrinks): deleted, replaced or truncated, the run stops before the
next letter instead of writing on into a file nobody will read again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lettergen.errors import DataError, InputError, Place
from lettergen.send.ledger import FILENAME, PENDING, Delivery, Ledger, stamp

log = logging.getLogger(__name__)

ID_FILE = "ledger.id"
JOURNAL = "ledger.journal"
#: The option with which a user accepts that the ledger is lost and a new one starts.
LOST_FLAG = "--i-know-the-ledger-was-lost"
#: How the event of a row that took the journal's word begins.
_ADOPTED = f"from {JOURNAL}:"


class LedgerLost(DataError):
    """The ledger a folder recorded is gone, replaced or emptied: nothing is sent until a
    person decides (restore it, or accept a new one with LOST_FLAG)."""


def inside(folder: Path, relative: object, what: str | Place) -> Path:
    """folder/relative for reading, proven to lie under folder once resolved (symlinks
    followed): a manifest or ledger that names another file (``../../etc/passwd``, an absolute
    path, a symlink leading out) is refused before the file is opened."""
    root = folder.resolve()
    text = str(relative) if isinstance(relative, str | Path) else ""
    target = (root / text).resolve() if text else root
    if not text or Path(text).is_absolute() or not target.is_relative_to(root) or target == root:
        place = what if isinstance(what, Place) else None
        where = "" if place else f"{what}: "
        raise DataError(
            f"{where}the letter file {text!r} lies outside {folder}; refused (nothing was sent: "
            "check who changed this file, and run 'lettergen batch' again)",
            place,
        )
    return target


# --- the id beside the ledger ---------------------------------------------------------------


def recorded_id(folder: Path) -> str | None:
    return _recorded(folder)[0]


def _recorded(folder: Path) -> tuple[str | None, str | None]:
    """The recorded ledger id, and the mark of a ledger damaged in place while in use
    ("lost DEVICE INODE HOW": the file may look whole again once SQLite closed it)."""
    try:
        lines = (folder / ID_FILE).read_text(encoding="ascii").split("\n")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the ledger's id ({exc})", Place(folder / ID_FILE)) from None
    mark = lines[1].strip() if len(lines) > 1 and lines[1].startswith("lost ") else None
    return lines[0].strip() or None, mark


def _record_id(folder: Path, ledger_id: str, mark: str | None = None) -> None:
    temporary = folder / f".{ID_FILE}.{secrets.token_hex(6)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(ledger_id + "\n" + (f"{mark}\n" if mark else ""))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / ID_FILE)
    finally:
        temporary.unlink(missing_ok=True)


def _lost_message(folder: Path, found: str | None, recorded: str) -> str:
    what = (
        "is missing"
        if found is None
        else f"holds another ledger ({found}, not {recorded}): replaced, or emptied and made anew"
    )
    return (
        f"the delivery ledger {what}; nothing is sent with it. Restore ledger {recorded} from a "
        f"backup, or run again with {LOST_FLAG} to start a new one (letters its journal "
        "records as handed over are still never sent twice)"
    )


def open_checked(
    folder: Path, *, accept_new: bool = False, busy_seconds: float | None = None
) -> Ledger:
    """The folder's ledger, if it is the one the folder recorded (``ledger.id``); the first
    ledger of a folder is recorded. A missing or different ledger is LedgerLost, unless
    `accept_new`: then what is there is kept as ``ledger.sqlite.lost-<n>`` and a new ledger
    starts (and is recorded)."""
    path = folder / FILENAME
    recorded, mark = _recorded(folder)
    if mark is not None and recorded is not None and path.exists() and not accept_new:
        _, device, inode, how = [*mark.split(), "", "", "", ""][:4]
        status = os.stat(path)
        if f"{status.st_dev} {status.st_ino}" == f"{device} {inode}":
            raise LedgerLost(
                f"the delivery ledger was {how} while in use and cannot be trusted; restore "
                f"ledger {recorded} from a backup, or run again with {LOST_FLAG}",
                Place(path),
            )
    if recorded is not None and not path.exists():
        if not accept_new:
            raise LedgerLost(_lost_message(folder, None, recorded), Place(path))
        log.warning("%s: a new delivery ledger replaces the lost %s", path, recorded)
    options: dict[str, Any] = {} if busy_seconds is None else {"busy_seconds": busy_seconds}
    try:
        ledger = Ledger(path, **options)
    except InputError:
        if not (accept_new and path.exists()):
            raise
        _set_aside(path)
        ledger = Ledger(path, **options)
    if recorded is not None and ledger.ledger_id != recorded:
        if not accept_new:
            found = ledger.ledger_id
            ledger.close()
            raise LedgerLost(_lost_message(folder, found, recorded), Place(path))
        ledger.close()
        kept = _set_aside(path)
        log.warning("%s: not ledger %s; kept as %s, a new ledger starts", path, recorded, kept)
        ledger = Ledger(path, **options)
    if ledger.ledger_id != recorded or mark is not None:
        _record_id(folder, ledger.ledger_id)
    return ledger


def _set_aside(path: Path) -> str:
    number = 1
    while path.with_name(f"{path.name}.lost-{number}").exists():
        number += 1
    kept = path.with_name(f"{path.name}.lost-{number}")
    os.replace(path, kept)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.replace(extra, kept.with_name(kept.name + suffix))
    return kept.name


# --- watching the file while it is used ------------------------------------------------------


@dataclass
class Watch:
    """The ledger file as it was opened; `check` says if the path still leads to it."""

    path: Path
    ledger_id: str
    device: int
    inode: int
    size: int

    @classmethod
    def of(cls, ledger: Ledger) -> Watch:
        status = os.stat(ledger.path)
        return cls(ledger.path, ledger.ledger_id, status.st_dev, status.st_ino, status.st_size)

    def check(self) -> None:
        """Raise LedgerLost (one line, how it was lost) if the ledger was deleted, replaced or
        truncated since it was opened."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            self._lost("deleted")
        if (status.st_dev, status.st_ino) != (self.device, self.inode):
            # What replaced it may be joined by the old ledger's write-ahead log when SQLite
            # next opens it, and pass for the ledger: that file is not to be trusted either.
            self._damaged("replaced", status.st_dev, status.st_ino)
        if status.st_size < self.size:
            self._damaged("truncated")
        self.size = status.st_size
        # Only stat(): opening and closing the file in this process would drop the POSIX locks
        # SQLite holds on it, and another connection closing would then delete the write-ahead
        # log this one still reads (and it would see nothing new again).

    def _damaged(self, how: str, device: int | None = None, inode: int | None = None) -> Any:
        """Damaged in place: SQLite may write its log back into the file when it closes, and
        make it look whole; the folder records that the file now at the path is not to be
        trusted (a backup put back later is another file, and is)."""
        device = self.device if device is None else device
        inode = self.inode if inode is None else inode
        with contextlib.suppress(OSError):
            _record_id(self.path.parent, self.ledger_id, f"lost {device} {inode} {how}")
        self._lost(how)

    def _lost(self, how: str) -> Any:
        raise LedgerLost(
            f"the delivery ledger was {how} while in use; nothing more is sent. The letters "
            f"handed over are in {self.path.with_name(JOURNAL).name}: restore ledger "
            f"{self.ledger_id} from a backup, or run again with {LOST_FLAG}",
            Place(self.path),
        )


# --- the journal of letters handed over ------------------------------------------------------


class Journal:
    """``ledger.journal``: JSON lines, appended and flushed to disk, never rewritten."""

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._out = os.fdopen(fd, "a", encoding="utf-8")

    def close(self) -> None:
        self._out.close()

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())

    def handed(self, ledger_id: str, delivery: Delivery) -> None:
        self._write(
            {
                "event": "handed",
                "ledger": ledger_id,
                "delivery": delivery.id,
                "attempt": delivery.attempts,
                "sha256": delivery.sha256,
                "fax": delivery.fax,
                "office_id": delivery.office_id,
                "signer": delivery.signer,
                "at": stamp(datetime.now(UTC)),
            }
        )

    def sent(self, ledger_id: str, delivery: Delivery) -> None:
        self._write(
            {
                "event": "sent",
                "ledger": ledger_id,
                "delivery": delivery.id,
                "at": stamp(datetime.now(UTC)),
            }
        )

    def failed(self, ledger_id: str, delivery: Delivery, error: str) -> None:
        """Failed for good (a dead number, no tries left): a new ledger knows that attempt
        is over, and the letter goes on to the campaign's next channel as it did."""
        self._write(
            {
                "event": "failed",
                "ledger": ledger_id,
                "delivery": delivery.id,
                "attempt": delivery.attempts,
                "error": error,
                "at": stamp(datetime.now(UTC)),
            }
        )


def read_journal(folder: Path) -> list[dict[str, Any]]:
    """The journal's records; a line cut short by a crash is skipped."""
    records = []
    with contextlib.suppress(FileNotFoundError):
        for line in (folder / JOURNAL).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
    return records


def adopt_journal(ledger: Ledger, folder: Path) -> list[str]:
    """Letters waiting in this ledger that the journal says were handed over through a ledger
    that does not remember it (a lost one, or this one before a backup was restored): never
    sent again by themselves. Each becomes `sent` when the journal saw it sent, else
    `unknown` (resend with --resend-unknown after checking). Returns their labels."""
    records = read_journal(folder)
    if not records:
        return []
    sent = {(r.get("ledger"), r.get("delivery")) for r in records if r.get("event") == "sent"}
    failed = {
        (r.get("ledger"), r.get("delivery"), r.get("attempt")): str(r.get("error") or "failed")
        for r in records
        if r.get("event") == "failed"
    }
    handed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        if record.get("event") == "handed":
            for key in _keys(record):
                handed.setdefault(key, []).append(record)
    adopted = []
    own = ledger.ledger_id
    attempts = dict(ledger.db.execute("SELECT id, attempts FROM deliveries").fetchall())

    def remembered(record: dict[str, Any]) -> bool:
        """This ledger knows of that handing over (its row counts the attempt)."""
        if record.get("ledger") != own:
            return False
        return int(attempts.get(record.get("delivery"), -1)) >= int(record.get("attempt") or 0)

    already = {
        d
        for (d,) in ledger.db.execute(
            "SELECT DISTINCT delivery_id FROM events WHERE detail LIKE ?", (f"{_ADOPTED}%",)
        )
    }
    for delivery in ledger.deliveries(*PENDING):
        if delivery.id in already:  # adopted before, then queued again by a person
            continue
        earlier = [
            r for key in _keys(delivery.__dict__) for r in handed.get(key, []) if not remembered(r)
        ]
        if not earlier:
            continue
        record = earlier[-1]
        went = any((r.get("ledger"), r.get("delivery")) in sent for r in earlier)
        error = failed.get((record.get("ledger"), record.get("delivery"), record.get("attempt")))
        state = "sent" if went else "failed" if error is not None else "unknown"
        outcome = {"sent": "sent", "failed": f"failed: {error}"}.get(state, "outcome unknown")
        detail = (
            f"{_ADOPTED} handed over at {record.get('at')} through ledger "
            f"{record.get('ledger')}, which does not remember it; {outcome}"
        )
        _adopt(ledger, delivery, state, detail, str(record.get("at") or ""), error)
        adopted.append(f"{delivery.office_id} ({delivery.fax}): {state}")
    return adopted


def _keys(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A letter as the journal and the ledger both name it: its file's bytes and number, or
    its office, signer and number (a letter rendered again since is the same letter)."""
    fax = str(record.get("fax") or "")
    if record.get("sha256"):
        yield ("sha256", f"{record['sha256']} {fax}")
    yield ("letter", f"{record.get('office_id')}\t{record.get('signer')}\t{fax}")


def _adopt(
    ledger: Ledger, delivery: Delivery, state: str, detail: str, at: str, error: str | None
) -> None:
    """A waiting row takes what the journal knows: outside the state machine's steps (the
    handing over happened in another ledger), recorded as an event like every change."""
    if state == "unknown":
        error = "handed over through a lost ledger"
    with ledger.transaction() as db:
        db.execute(
            "UPDATE deliveries SET state = ?, sent_at = ?, updated_at = ?, next_at = NULL,"
            " last_error = ? WHERE id = ? AND state = ?",
            (
                state,
                at if state == "sent" else None,
                stamp(datetime.now(UTC)),
                None if state == "sent" else error,
                delivery.id,
                delivery.state,
            ),
        )
        Ledger._event(db, delivery.id, state, detail)


class Guard:
    """What a sender holds while it uses a ledger: the watch on its file and, in a batch
    folder, the journal. The Runner calls `check` before each letter and at each pass,
    `handed` right after a letter is claimed for a transport, `sent` when it is sent."""

    def __init__(self, ledger: Ledger, folder: Path, *, journal: bool = True):
        self.ledger_id = ledger.ledger_id
        self.watch = Watch.of(ledger)
        self.journal = Journal(folder) if journal else None

    def check(self) -> None:
        self.watch.check()

    def handed(self, delivery: Delivery) -> None:
        if self.journal is not None:
            self.journal.handed(self.ledger_id, delivery)

    def sent(self, delivery: Delivery) -> None:
        if self.journal is not None:
            self.journal.sent(self.ledger_id, delivery)

    def failed(self, delivery: Delivery, error: str) -> None:
        if self.journal is not None:
            self.journal.failed(self.ledger_id, delivery, error)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
