"""Channels: a letter reaches its office by fax, by e-mail to the office's own address, or by
post — in the order the campaign gives (`channels: [fax, email, post]`, per office if need be).

    manifest letter ──first channel that can carry it──▶ ledger row (queued)
                    ◀──row failed for good (a dead number, no tries left)──
                    ──next channel──▶ ledger row (queued, `fallback_from` the failed one)

A channel can carry a letter when the office offers it: a fax number valid under today's
numbering plan (a number that is not is skipped when a later channel can carry the letter, and
dialled with a warning when none can), an e-mail address that is well formed, a street address
for post; and when the batch wrote the letter's PDF (e-mail and post send the PDF; fax the TIFF
when there is one).

The ledger stays the single truth: every attempt at a letter is a row carrying the letter's
key, and a new row is added only while no attempt at that letter is waiting, being sent, sent
or of unknown outcome (`Ledger.add_attempt` checks and inserts in one transaction). A letter
therefore reaches its office once, by one channel, unless a person asks again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lettergen.batch import manifest
from lettergen.directory import countries, phones
from lettergen.directory.emails import email_problem
from lettergen.directory.model import Directory
from lettergen.errors import InputError, Place
from lettergen.send.identity import inside
from lettergen.send.ledger import Attempt, Delivery, Ledger, Outgoing, letter_key

log = logging.getLogger(__name__)

CHANNELS = ("fax", "email", "post")
#: Rows that stop another attempt at the same letter: it is on its way, arrived, or may have.
REACHED = ("sending", "sent", "unknown")
WAITING = ("queued", "retry")


@dataclass(frozen=True)
class LetterFile:
    file: str
    sha256: str
    pages: int


@dataclass(frozen=True)
class BatchLetter:
    """One letter of the batch, with every file the batch wrote for it (by format)."""

    office_id: str
    signer: str
    language: str
    country: str
    fax: str  # the number printed on the letter ("" for a letter written for post)
    addressee: str = ""  # the letter's first addressee line
    files: dict[str, LetterFile] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        return letter_key(self.office_id, self.signer, self.language)

    def file_for(self, formats: Iterable[str]) -> LetterFile | None:
        for fmt in formats:
            if fmt in self.files:
                return self.files[fmt]
        return None


def read_letters(folder: Path) -> list[BatchLetter]:
    """Every letter of the batch's manifest, fax number or not, with its files by format. Only
    the manifest's documented keys are read, and every file it names is proven to lie inside
    the folder before anything is opened or sent."""
    path = folder / manifest.JSON_NAME
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["letters"]
    except OSError as exc:
        raise InputError(
            "no manifest: the batch has not been written", Place(path), hint="run 'lettergen batch'"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a lettergen manifest ({exc})", Place(path)) from exc
    if not isinstance(rows, list):
        raise InputError("not a lettergen manifest (letters is not a list)", Place(path))
    letters: dict[tuple[str, str, str, str], BatchLetter] = {}
    for number, row in enumerate(rows, start=1):
        where = Place(path, None, f"letter {number}")
        if not isinstance(row, dict) or not row.get("office_id") or not row.get("sha256"):
            raise InputError("not a letter record (office_id, file and sha256 needed)", where)
        where = Place(path, None, f"letter {number} ({row['office_id']})")
        inside(folder, row.get("file"), where)
        key = (
            str(row["office_id"]),
            str(row.get("signer", "")),
            str(row.get("language", "")),
            str(row.get("fax") or ""),
        )
        letter = letters.setdefault(
            key,
            BatchLetter(
                key[0],
                key[1],
                key[2],
                str(row.get("country", "")),
                key[3],
                str(row.get("addressee", "")),
            ),
        )
        try:
            pages = int(str(row.get("pages") or 0))
        except ValueError as exc:
            raise InputError(f"pages {row.get('pages')!r} is not a number", where) from exc
        letter.files[str(row.get("format"))] = LetterFile(
            str(row["file"]), str(row["sha256"]), pages
        )
    return list(letters.values())


@dataclass(frozen=True)
class Ways:
    """What the directory offers for one office: e-mail addresses that passed the syntax
    check, the postal address (lines, the country last), and its fax numbers' problems."""

    emails: tuple[str, ...] = ()
    postal: tuple[str, ...] = ()
    name: str = ""  # the office as people name it ("Embassy of … in Berlin"), for messages
    fax_problems: dict[str, str] = field(default_factory=dict)


def ways_from_directory(directory: object) -> dict[str, Ways]:
    """Every office's ways, from a lettergen Directory."""
    assert isinstance(directory, Directory)
    found = {}
    for office in directory:
        emails = []
        for address in office.emails:
            problem = email_problem(address)
            if problem:
                log.warning("%s: %s (not used)", office.id, problem)
            else:
                emails.append(address)
        lines = [line.strip() for line in office.address if line.strip()]
        country = countries.country_name(office.country) or office.country
        if lines and lines[-1].casefold() == country.casefold():
            lines.pop()  # the country goes last, in capitals, as post offices read it
        street = [x for x in lines if x.casefold() != office.city.strip().casefold()]
        if street and office.city and not any(office.city in line for line in lines):
            lines.append(office.city)
        postal = (*lines, country.upper()) if street else ()
        problems = {}
        for number in office.faxes:
            issues = [i for i in phones.number_issues(number, office.country, "fax")]
            invalid = [i.message for i in issues if i.code == "number-invalid-today"]
            if invalid:
                problems[number] = invalid[0]
        name = f"{office.kind.replace('-', ' ')} in {office.city or office.country}"
        found[office.id] = Ways(tuple(emails), postal, name, problems)
    return found


@dataclass
class Plan:
    """Which channel each letter goes by, decided from the campaign and the directory."""

    orders: dict[str, tuple[str, ...]]  # office id (or "" for every other) → channels in order
    ways: dict[str, Ways]
    fax_formats: tuple[str, ...] = ("tiff", "pdf")
    warnings: list[str] = field(default_factory=list)

    def order(self, office_id: str) -> tuple[str, ...]:
        return self.orders.get(office_id) or self.orders.get("") or ("fax",)

    def why_not(self, letter: BatchLetter, channel: str) -> str | None:
        """Why `channel` cannot carry `letter`, or None when it can."""
        ways = self.ways.get(letter.office_id, Ways())
        if channel == "fax":
            if not letter.fax:
                return "no fax number"
            if letter.file_for(self.fax_formats) is None:
                return "the batch wrote no fax file (TIFF or PDF)"
            return None
        if letter.file_for(("pdf",)) is None:
            return f"the batch wrote no PDF to send by {channel}"
        if channel == "email" and not ways.emails:
            return "no e-mail address"
        if channel == "post" and not ways.postal:
            return "no street address"
        return None

    def attempt(self, letter: BatchLetter, channel: str, why: str = "") -> Attempt:
        ways = self.ways.get(letter.office_id, Ways())
        chosen = letter.file_for(self.fax_formats if channel == "fax" else ("pdf",))
        assert chosen is not None
        destination, address = {
            "fax": (letter.fax, ""),
            "email": (ways.emails[0] if ways.emails else "", ways.emails[0] if ways.emails else ""),
            "post": ("post", "; ".join((letter.addressee or ways.name, *ways.postal))),
        }[channel]
        return Attempt(
            office_id=letter.office_id,
            channel=channel,
            fax=destination,
            address=address,
            file=chosen.file,
            sha256=chosen.sha256,
            letter=letter.key,
            pages=chosen.pages,
            signer=letter.signer,
            country=letter.country,
            language=letter.language,
            why=why,
        )

    def next_channel(
        self, letter: BatchLetter, tried: Iterable[str]
    ) -> tuple[str | None, list[str]]:
        """The next channel that can carry the letter after those `tried`, and why the ones
        passed over could not. A fax number invalid today is passed over only when a later
        channel can carry the letter."""
        done = set(tried)
        passed: list[str] = []
        order = [c for c in self.order(letter.office_id) if c not in done]
        for index, channel in enumerate(order):
            reason = self.why_not(letter, channel)
            if reason is None and channel == "fax":
                problem = self.ways.get(letter.office_id, Ways()).fax_problems.get(letter.fax)
                later = [c for c in order[index + 1 :] if self.why_not(letter, c) is None]
                if problem and later:
                    reason = problem
            if reason is None:
                return channel, passed
            passed.append(reason if reason.startswith(channel) else f"{channel}: {reason}")
        return None, passed

    def fax_rows(self, letters: Iterable[BatchLetter], ledger: Ledger) -> list[Outgoing]:
        """The letters whose first channel is fax, as the ledger's sync takes them — except a
        letter that already went on to another channel (it never goes back to fax)."""
        rows = []
        for letter in letters:
            channel, _ = self.next_channel(letter, ())
            if channel != "fax":
                continue
            if any(d.channel != "fax" for d in ledger.attempts_at(letter.key)):
                continue
            chosen = letter.file_for(self.fax_formats)
            assert chosen is not None
            rows.append(
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
        return rows

    def advance(self, ledger: Ledger, letter: BatchLetter) -> Delivery | str | None:
        """Give the letter its next attempt when it has none waiting or reached: the first
        channel (other than fax, which the sync adds), or the one after those that failed.
        The new row, or why no channel is left (a text), or None (nothing to do)."""
        rows = ledger.attempts_at(letter.key)
        if any(r.state in (*WAITING, *REACHED) for r in rows):
            return None
        tried = [r.channel for r in rows]
        channel, passed = self.next_channel(letter, tried)
        last = rows[-1] if rows else None
        if channel is None:
            failed = f"{last.channel} failed: {last.last_error}" if last else ""
            return "; ".join(x for x in (failed, *passed) if x) or "no channel"
        if channel == "fax" and last is None:
            return None  # the sync adds first fax rows (and knows about changed files)
        why = []
        if last is not None:
            what = last.fax if last.channel == "fax" else last.channel
            why.append(f"{last.channel} {what} failed: {last.last_error or 'failed'}")
        why += passed
        attempt = replace(
            self.attempt(letter, channel, "; ".join(why)),
            fallback_from=last.id if last is not None else None,
        )
        return ledger.add_attempt(attempt)


def fax_warnings(plan: Plan, letters: Iterable[BatchLetter]) -> list[str]:
    """Letters that will be faxed to a number invalid today because no other channel can
    carry them: said before anything is sent."""
    found = []
    for letter in letters:
        channel, _ = plan.next_channel(letter, ())
        problem = plan.ways.get(letter.office_id, Ways()).fax_problems.get(letter.fax)
        if channel == "fax" and problem:
            others = [c for c in plan.order(letter.office_id) if c != "fax"]
            hint = (
                "add email or post to the campaign's channels"
                if not others
                else f"{', '.join(others)}: "
                + "; ".join(f"{c} {plan.why_not(letter, c)}" for c in others)
            )
            found.append(f"{letter.office_id}: {problem}; it will probably fail ({hint})")
    return found


def unresolved(ledger: Ledger) -> list[str]:
    """Letters whose last word is failed or unknown: no attempt at them was sent or waits."""
    letters: dict[str, list[Delivery]] = {}
    for delivery in ledger.deliveries():
        letters.setdefault(delivery.letter_key, []).append(delivery)
    return [
        key
        for key, rows in letters.items()
        if any(r.state in ("failed", "unknown") for r in rows)
        and not any(r.state in ("sent", *WAITING, "sending") for r in rows)
    ]
