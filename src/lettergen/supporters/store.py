"""Letters supporters ask the page to fax for them ("Fax it for me"), kept in a delivery ledger.

The supporter folder (default ``output/<campaign>/supporters/``) is a batch folder of its own:
``ledger.sqlite`` (the same ledger as `lettergen send`, with a ``requests`` table) and
``letters/`` (one PDF per request, under a random name). A request moves through

    awaiting  → held, approved, withdrawn, expired    (the supporter opens the e-mail link)
    held      → approved, rejected, withdrawn          (the group reviews it)
    approved  → a delivery (queued … sent) once the office's hours come (`release`)

and a delivery, once made, follows the ledger's own rules (committed `sending` before the
transport, never sent twice). A request becomes a delivery only when it is due, so a supporter
can withdraw a letter waiting for office hours.

What is personal — the name, organisation and town, the letter file and its sha256, the keyed
hashes that enforce the limits, the hashes of the private links — is erased when it is no longer
needed (see `purge` and docs/serving.md); the row keeps only office, language, states and dates.
Nothing kept lets whoever holds the ledger confirm a guessed name: the letter's sha256 (a
rendered guess would match it) goes with the letter, and the limits' hashes are keyed with the
server's secret, which is not in the ledger (send/secret.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lettergen.errors import DataError
from lettergen.send.identity import inside, open_checked
from lettergen.send.ledger import Ledger, parse_stamp, stamp
from lettergen.send.schedule import Policy
from lettergen.send.secret import server_secret
from lettergen.supporters.rules import Rules
from lettergen.util import text as hygiene
from lettergen.util.clock import utcnow

log = logging.getLogger(__name__)

REQUEST_STATES = ("awaiting", "held", "approved", "rejected", "withdrawn", "expired")
#: What a supporter's status page can say: the request's state until it is a delivery, then
#: the delivery's (queued, sending, retry, sent, failed, unknown).
LETTERS = "letters"
#: Deliveries still in the sender's hands: their letter file is kept until they end.
IN_HAND = ("queued", "retry", "sending")
#: Requests that have ended without a letter to send.
ENDED = ("rejected", "withdrawn", "expired")
DAY = timedelta(days=1)


class Refused(Exception):
    """A request the limits refuse, as a key of the page's strings (fax_limits.*)."""

    def __init__(self, key: str, limit: int = 0):
        self.key = key
        self.limit = limit
        super().__init__(key)


@dataclass(frozen=True)
class Request:
    """One row of `requests`, and the state of its delivery if it has one."""

    id: int
    state: str
    office_id: str
    fax: str
    country: str
    language: str
    name: str | None
    organisation: str | None
    town: str | None
    #: Her own words, as printed in the letter ("" without): shown to the moderator.
    message: str | None
    file: str | None
    created_at: datetime
    expires_at: datetime
    confirm_by: datetime | None
    erased_at: datetime | None
    delivery_state: str | None

    @property
    def shown_state(self) -> str:
        """What the supporter's page says: the delivery's state once there is one."""
        if self.delivery_state:
            return self.delivery_state
        return "queued" if self.state == "approved" else self.state

    @property
    def can_withdraw(self) -> bool:
        """Still the supporter's to take back: nothing has been handed to a transport."""
        return self.state in ("awaiting", "held") or (
            self.state == "approved" and self.delivery_state is None
        )

    @property
    def can_erase(self) -> bool:
        """Sent or ended, with personal data left to delete."""
        return self.erased_at is None and (
            self.delivery_state not in (None, *IN_HAND) or self.state in ENDED
        )


@dataclass(frozen=True)
class Asked:
    """A new request: its private tokens (only their hashes are stored)."""

    request: Request
    token: str
    confirm_token: str | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keyed(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def signer_text(name: str) -> str:
    """The signer as the limits compare them: lettergen.util.text.key, the folding the signers
    file's duplicate check uses (case, fullwidth letters, spaces, zero-width characters)."""
    return hygiene.key(name)


class Supporters:
    """The requests of one supporter folder, over its ledger. `clock` is injectable so that
    expiry and retention can be tested without waiting."""

    def __init__(
        self,
        ledger: Ledger,
        folder: Path,
        rules: Rules,
        *,
        clock: Callable[[], datetime] = utcnow,
        secret: bytes | None = None,
    ):
        self.ledger = ledger
        self.folder = folder
        self.rules = rules
        self.clock = clock
        self._secret = secret
        (folder / LETTERS).mkdir(mode=0o700, parents=True, exist_ok=True)
        # Erased names are overwritten in the file, not left in its free pages.
        self.db.execute("PRAGMA secure_delete=ON")
        self._drop_ledger_salt()

    @classmethod
    def open(
        cls,
        folder: Path,
        rules: Rules,
        *,
        clock: Callable[[], datetime] = utcnow,
        secret: bytes | None = None,
        busy_seconds: float | None = None,
        accept_new: bool = False,
    ) -> Supporters:
        """The folder's requests over its ledger, if it is the ledger the folder recorded
        (send/identity.py: a missing or replaced one is LedgerLost, unless `accept_new`).
        `secret` keys the signer hashes (default: the server's secret, send/secret.py);
        `busy_seconds`: how long to wait for a ledger another process holds (the page waits
        little, see web/fax.py)."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        ledger = open_checked(folder, accept_new=accept_new, busy_seconds=busy_seconds)
        try:
            return cls(ledger, folder, rules, clock=clock, secret=secret)
        except BaseException:
            ledger.close()
            raise

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Supporters:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        return self.ledger.db

    @property
    def secret(self) -> bytes:
        """The key of the signer hashes: never kept in the ledger (send/secret.py)."""
        if self._secret is None:
            self._secret = server_secret()
        return self._secret

    def _drop_ledger_salt(self) -> None:
        """Ledgers of earlier releases keyed signer hashes with a salt kept in the ledger
        itself, so whoever held the file could confirm a guessed name: the kept requests are
        keyed again with the server's secret, the others' hashes and the salt deleted."""
        if self.db.execute("SELECT 1 FROM meta WHERE key = 'signer_salt'").fetchone() is None:
            return
        with self.ledger.transaction() as db:
            for row_id, name in db.execute("SELECT id, name FROM requests").fetchall():
                key = keyed(self.secret, signer_text(name)) if name else None
                db.execute("UPDATE requests SET signer_key = ? WHERE id = ?", (key, row_id))
            db.execute("DELETE FROM meta WHERE key = 'signer_salt'")
        self._checkpoint()

    # --- asking --------------------------------------------------------------------------

    def ask(
        self,
        letter: bytes,
        *,
        pages: int,
        name: str,
        organisation: str,
        town: str,
        office_id: str,
        fax: str,
        country: str,
        language: str,
        address_key: str,
        suffix: str = "pdf",
        message: str = "",
    ) -> Asked:
        """Keep the letter (a `suffix` file: the transport's format) and the request, if the
        limits allow (else `Refused`): checked and written in one transaction, so two workers
        cannot both squeeze under a limit."""
        now = self.clock()
        signer_key = keyed(self.secret, signer_text(name))
        token = secrets.token_urlsafe(24)
        confirm_token = secrets.token_urlsafe(24) if self.rules.confirm else None
        state = "awaiting" if self.rules.confirm else "held" if self.rules.moderate else "approved"
        with self.ledger.transaction() as db:
            self._check_limits(db, signer_key, address_key, office_id, now)
            file = self._write(letter, suffix)
            try:
                cursor = db.execute(
                    "INSERT INTO requests (state, token_hash, confirm_hash, office_id, fax,"
                    " country, language, name, organisation, town, message, file, sha256,"
                    " pages, signer_key, address_key, created_at, updated_at, confirm_by,"
                    " expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        state,
                        digest(token),
                        digest(confirm_token) if confirm_token else None,
                        office_id,
                        fax,
                        country,
                        language,
                        name,
                        organisation,
                        town,
                        message,
                        file,
                        hashlib.sha256(letter).hexdigest(),
                        pages,
                        signer_key,
                        address_key,
                        stamp(now),
                        stamp(now),
                        stamp(now + self.rules.confirm_within) if confirm_token else None,
                        stamp(now + self.rules.retention),
                    ),
                )
            except BaseException:
                (self.folder / file).unlink(missing_ok=True)
                raise
        assert cursor.lastrowid is not None
        log.info("fax request %d for %s: %s", cursor.lastrowid, office_id, state)
        return Asked(self.get(cursor.lastrowid), token, confirm_token)

    def _check_limits(
        self, db: sqlite3.Connection, signer_key: str, address_key: str, office: str, now: datetime
    ) -> None:
        """Once per office per signer within the retention period (withdrawn requests do not
        count: the supporter may ask again); N a day per signer; M a day per address."""
        counted = "state != 'withdrawn'"
        since = stamp(now - self.rules.retention)
        again = db.execute(
            f"SELECT count(*) FROM requests WHERE signer_key = ? AND office_id = ?"
            f" AND created_at > ? AND {counted}",
            (signer_key, office, since),
        ).fetchone()[0]
        if again:
            raise Refused("again")
        day = stamp(now - DAY)
        for column, key, limit, refusal in (
            ("signer_key", signer_key, self.rules.per_signer_per_day, "signer"),
            ("address_key", address_key, self.rules.per_address_per_day, "address"),
        ):
            count = db.execute(
                f"SELECT count(*) FROM requests WHERE {column} = ? AND created_at > ?"
                f" AND {counted}",
                (key, day),
            ).fetchone()[0]
            if count >= limit:
                raise Refused(refusal, limit)

    def _write(self, data: bytes, suffix: str) -> str:
        """The letter under a random name, whole or not at all."""
        folder = self.folder / LETTERS
        name = f"{LETTERS}/{secrets.token_hex(12)}.{suffix}"
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix=f".{suffix}")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return name

    # --- reading -------------------------------------------------------------------------

    _SELECT = (
        "SELECT r.*, d.state AS delivery_state FROM requests r"
        " LEFT JOIN deliveries d ON d.id = r.delivery_id"
    )

    @staticmethod
    def _request(row: sqlite3.Row) -> Request:
        values = {k: row[k] for k in Request.__dataclass_fields__}
        for key in ("created_at", "expires_at", "confirm_by", "erased_at"):
            values[key] = parse_stamp(values[key])
        return Request(**values)

    def get(self, request_id: int) -> Request:
        row = self.db.execute(f"{self._SELECT} WHERE r.id = ?", (request_id,)).fetchone()
        if row is None:
            raise DataError(f"no fax request {request_id}")
        return self._request(row)

    def find(self, token: str) -> Request | None:
        """The request of a private status link, or None (unknown, or past its retention)."""
        row = self.db.execute(f"{self._SELECT} WHERE r.token_hash = ?", (digest(token),)).fetchone()
        return self._request(row) if row else None

    def find_confirmation(self, token: str) -> Request | None:
        row = self.db.execute(
            f"{self._SELECT} WHERE r.confirm_hash = ?", (digest(token),)
        ).fetchone()
        return self._request(row) if row else None

    def requests(self, *states: str) -> list[Request]:
        marks = ",".join("?" * len(states))
        where = f" WHERE r.state IN ({marks})" if states else ""
        rows = self.db.execute(f"{self._SELECT}{where} ORDER BY r.id", states)
        return [self._request(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Requests per state, every state named (what stays after the purge)."""
        found = dict(self.db.execute("SELECT state, count(*) FROM requests GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in REQUEST_STATES}

    def letter(self, request: Request) -> bytes:
        if not request.file:
            raise DataError(f"fax request {request.id}: its letter is deleted")
        return self._path(request).read_bytes()

    def _path(self, request: Request) -> Path:
        """The request's letter file, proven to lie in letters/ (the ledger names it)."""
        name = str(request.file).removeprefix(f"{LETTERS}/")
        return inside(self.folder / LETTERS, name, f"fax request {request.id}")

    # --- changing ------------------------------------------------------------------------

    def _move(self, request: Request, to: str, allowed: tuple[str, ...], **fields: Any) -> Request:
        """Compare-and-set, as the ledger's deliveries: a request another worker changed in
        between is not changed again."""
        if request.state not in allowed:
            raise DataError(f"fax request {request.id} is {request.state}, not {'/'.join(allowed)}")
        values = {**fields, "state": to, "updated_at": stamp(self.clock())}
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.ledger.transaction() as db:
            cursor = db.execute(
                f"UPDATE requests SET {assignments} WHERE id = ? AND state = ?"
                " AND delivery_id IS NULL",
                (*values.values(), request.id, request.state),
            )
            if cursor.rowcount != 1:
                raise DataError(f"fax request {request.id} changed meanwhile")
        log.info("fax request %d: %s → %s", request.id, request.state, to)
        return self.get(request.id)

    def confirm(self, request: Request) -> Request:
        """The supporter opened the e-mail link in time: held for review, or approved."""
        if request.confirm_by is not None and self.clock() > request.confirm_by:
            raise DataError(f"fax request {request.id}: the confirmation came too late")
        to = "held" if self.rules.moderate else "approved"
        return self._move(request, to, ("awaiting",), confirm_hash=None)

    def approve(self, request: Request) -> Request:
        return self._move(request, "approved", ("held",))

    def reject(self, request: Request) -> Request:
        moved = self._move(request, "rejected", ("held",))
        return self.erase(moved, keep_limits=True)

    def withdraw(self, request: Request) -> Request:
        """The supporter takes the request back before it was handed to a transport."""
        moved = self._move(request, "withdrawn", ("awaiting", "held", "approved"))
        return self.erase(moved, keep_limits=False)

    def erase(self, request: Request, *, keep_limits: bool, keep_link: bool = True) -> Request:
        """Delete the letter file and the personal fields. `keep_limits` keeps the keyed hashes
        (so a rejected signer cannot ask again within the period); `keep_link` keeps the
        status link working (it shows only states)."""
        if request.delivery_state in IN_HAND:
            raise DataError(f"fax request {request.id}: its letter is being sent")
        # The letter's sha256 goes with the letter: a guessed name, rendered, would match it.
        fields = {
            "name": None,
            "organisation": None,
            "town": None,
            "message": None,
            "file": None,
            "sha256": None,
        }
        if not keep_limits:
            fields |= {"signer_key": None, "address_key": None}
        if not keep_link:
            fields |= {"token_hash": None, "confirm_hash": None}
        values = {**fields, "erased_at": stamp(self.clock())}
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.ledger.transaction() as db:
            db.execute(
                f"UPDATE requests SET {assignments} WHERE id = ?", (*values.values(), request.id)
            )
            # Its delivery row keeps states and dates for the counts, not the letter's hash
            # (UNIQUE with the number, so a placeholder of its own).
            db.execute(
                "UPDATE deliveries SET sha256 = 'erased-' || id"
                " WHERE id = (SELECT delivery_id FROM requests WHERE id = ?)",
                (request.id,),
            )
            if request.file:
                self._path(request).unlink(missing_ok=True)
        self._checkpoint()
        log.info("fax request %d: personal data erased", request.id)
        return self.get(request.id)

    def _checkpoint(self) -> None:
        """Fold the write-ahead log into the file and empty it: the WAL would otherwise keep
        earlier copies of the erased rows until it is reused (best effort while other
        connections read)."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def delete_by_supporter(self, request: Request) -> Request:
        """The status page's delete button: withdraw if still possible, else erase what is
        personal once the letter is out of the sender's hands."""
        if request.can_withdraw:
            return self.withdraw(request)
        return self.erase(request, keep_limits=False)

    # --- the sender's side ---------------------------------------------------------------

    def release(self, policy: Policy) -> int:
        """Approved requests whose office hours have come become deliveries (queued), one
        transaction each, checked against a withdrawal that came first."""
        now = self.clock()
        released = 0
        for request in self.requests("approved"):
            if request.delivery_state is not None or not request.file:
                continue
            if policy.due_at(request.fax, request.country, None, now) > now:
                continue
            with self.ledger.transaction() as db:
                row = db.execute(
                    "SELECT sha256, pages FROM requests"
                    " WHERE id = ? AND state = 'approved' AND delivery_id IS NULL",
                    (request.id,),
                ).fetchone()
                if row is None:
                    continue
                moment = stamp(now)
                cursor = db.execute(
                    "INSERT INTO deliveries (office_id, signer, fax, country, language, file,"
                    " sha256, pages, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        request.office_id,
                        f"request-{request.id}",  # never the supporter's name
                        request.fax,
                        request.country,
                        request.language,
                        request.file,
                        row["sha256"],
                        row["pages"],
                        moment,
                        moment,
                    ),
                )
                assert cursor.lastrowid is not None
                Ledger._event(db, cursor.lastrowid, "queued", f"fax request {request.id}", moment)
                db.execute(
                    "UPDATE requests SET delivery_id = ?, updated_at = ? WHERE id = ?",
                    (cursor.lastrowid, moment, request.id),
                )
            released += 1
        return released

    def purge(self) -> dict[str, int]:
        """Delete what is no longer needed, and say how many of each:
        - `expired`: requests awaiting confirmation past their time;
        - `sent`: letters that reached their office (file and name deleted at once);
        - `retention`: everything personal of requests past their retention period, links
          included, unless the letter is still in the sender's hands (then at its end);
        - `stray`: files in letters/ no request refers to (a write a crash interrupted)."""
        now = self.clock()
        done = {"expired": 0, "sent": 0, "retention": 0, "stray": 0}
        for request in self.requests("awaiting"):
            if request.confirm_by and now > request.confirm_by:
                self.erase(self._move(request, "expired", ("awaiting",)), keep_limits=False)
                done["expired"] += 1
        for request in self.requests():
            if request.delivery_state in IN_HAND:
                continue
            if request.expires_at <= now:
                if request.state in ("awaiting", "held") or (
                    request.state == "approved" and request.delivery_state is None
                ):
                    request = self._move(request, "expired", (request.state,))
                if self._has_more_than_counts(request.id):
                    self.erase(request, keep_limits=False, keep_link=False)
                    done["retention"] += 1
            elif request.delivery_state == "sent" and request.erased_at is None:
                self.erase(request, keep_limits=True)
                done["sent"] += 1
        with self.ledger.transaction() as db:
            known = {str(f) for (f,) in db.execute("SELECT file FROM requests WHERE file != ''")}
            for path in (self.folder / LETTERS).iterdir():
                if f"{LETTERS}/{path.name}" not in known:
                    path.unlink(missing_ok=True)
                    done["stray"] += 1
        if any(done.values()):
            log.info("purged: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
        return done

    def _has_more_than_counts(self, request_id: int) -> bool:
        row = self.db.execute(
            "SELECT name, file, sha256, signer_key, address_key, token_hash, confirm_hash"
            " FROM requests WHERE id = ?",
            (request_id,),
        ).fetchone()
        return any(value is not None for value in row)
