"""Sending a campaign's letters, with a ledger that never faxes twice.

    manifest (letters written) ──send──▶ ledger (SQLite) ──transport──▶ fax server / gateway
    ledger ──status──▶ table / JSON / delivery report / dead numbers

`send()` is what `lettergen send` runs; `ledger.py` holds the states and their rules,
`schedule.py` decides when, `transports/` hands letters over, `report.py` tells what reached
whom.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.batch import manifest
from lettergen.batch import run as batch
from lettergen.batch.plan import BatchOptions, directory_for, from_request, prepare
from lettergen.campaign import load as load_campaign
from lettergen.campaign.signers import load_signers
from lettergen.errors import DataError, InputError, LettergenError, Place
from lettergen.send import channels as ways
from lettergen.send.channels import ways_from_directory
from lettergen.send.config import SendConfig
from lettergen.send.identity import Guard, adopt_journal, open_checked, recorded_id
from lettergen.send.ledger import FILENAME, PENDING, Delivery, Ledger, Synced, ledger_errors
from lettergen.send.report import write_reports
from lettergen.send.runner import (
    Progress,
    Runner,
    check_folder,
    in_memory_copy,
    lock,
)
from lettergen.send.runner import requeue as requeue
from lettergen.send.transports import create
from lettergen.send.transports.office_email import Covering
from lettergen.util.clock import utcnow

log = logging.getLogger(__name__)


def campaign_name(campaign: str | Path) -> str:
    """The batch folder's name: a campaign given as a file is named by its stem."""
    text = str(campaign)
    return Path(text).stem if text.endswith((".yaml", ".yml")) else text


def batch_folder(campaign: str | Path, out: Path | None = None) -> Path:
    return paths.batch_folder(campaign_name(campaign), out)


def config_path(campaign: str | Path, given: Path | None) -> Path | None:
    """--config, else <campaign>.send.toml beside the campaign file, if there is one."""
    if given is not None:
        return given
    text = str(campaign)
    candidate = (
        Path(text).with_suffix(".send.toml")
        if text.endswith((".yaml", ".yml"))
        else paths.campaigns_dir() / f"{text}.send.toml"
    )
    return candidate if candidate.is_file() else None


def render_first(
    campaign: str | Path,
    folder: Path,
    formats: tuple[str, ...],
    *,
    beyond_fax: bool = False,
) -> None:
    """Bring the batch folder up to date before sending: the letters its manifest says it was
    asked for (`plan.to_request`: the same offices, signers, language and formats), rendered
    again where the campaign, directory or templates changed. A folder without a batch yet gets
    the campaign's own targets in the transport's preferred format.

    Never a different set of letters: a folder whose manifest does not record its request
    (written by an older release, or with single letters merged in by `render`), or whose
    signers file changed, is an error that points to `lettergen batch` or `--no-render`."""
    path = folder / manifest.JSON_NAME
    if not path.is_file():
        # E-mail and post send the PDF, also to offices without a fax.
        wanted = tuple(dict.fromkeys((*formats[:1], "pdf"))) if beyond_fax else formats[:1]
        options = BatchOptions(
            campaign, formats=wanted, output=folder.parent, include_no_fax=beyond_fax
        )
    else:
        try:
            head = json.loads(path.read_text("utf-8"))
            request = head.get("request") if isinstance(head, dict) else None
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(request, dict):
            raise DataError(
                f"{path}: the manifest does not say which letters the batch was asked for "
                "(it was written by an older lettergen, or single letters were rendered into "
                "the folder)",
                hint="run `lettergen batch` again with the options you want, or send the "
                "letters as they are (--no-render)",
            )
        options = from_request(campaign, request, str(path), output=folder.parent)
    result = batch.run(prepare(options))
    for failure in result.failures:
        log.warning("%s: not written: %s", failure.office_id, failure.message)


@dataclass
class Sent:
    """What `send()` did."""

    folder: Path
    synced: Synced
    progress: Progress
    counts: dict[str, int]
    reports: list[Path]
    plan: list[tuple[Delivery, datetime]]  # letters waiting before the run, and when each goes
    #: letters the journal says went through a ledger that does not remember them
    adopted: list[str] = field(default_factory=list)
    #: Letters no channel can carry (office id, why), and what was said before sending.
    no_channel: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Letters that ended failed or unknown and reached their office by no other channel.
    unresolved: list[str] = field(default_factory=list)
    #: Fax numbers invalid under today's numbering plan → why (for the dry run's plan lines).
    invalid_faxes: dict[str, str] = field(default_factory=dict)


def send(
    campaign: str | Path,
    config: SendConfig,
    *,
    out: Path | None = None,
    render: bool = True,
    watch: bool = False,
    resend_unknown: bool = False,
    retry_failed: bool = False,
    changed_is_new: bool = False,
    ledger_lost: bool = False,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    on_change: Callable[[Progress], None] | None = None,
    poll_seconds: float | None = None,
) -> Sent:
    """Send the batch's letters that are due, each by the first of the campaign's channels
    that can carry it; see the module runner for the loop and `channels` for the order.

    The ledger must be the one the folder recorded (send/identity.py): a missing or replaced
    ledger stops here, unless `ledger_lost` (the user's --i-know-the-ledger-was-lost) accepts
    a new one; letters the journal says were handed over are never sent again either way."""
    folder = batch_folder(campaign, out)
    loaded = _campaign(campaign)
    orders = loaded.channels if loaded is not None else {"": ("fax",)}
    used = {c for order in orders.values() for c in order}
    transport = create(config.transport, config.for_transport())
    if render:
        render_first(campaign, folder, transport.formats, beyond_fax=bool(used - {"fax"}))
    check_folder(folder)
    letters = ways.read_letters(folder)
    plan = ways.Plan(orders, _ways(loaded), transport.formats)
    warnings = [*date_warnings(loaded, clock()), *ways.fax_warnings(plan, letters)]
    warnings += _skipped_warnings(folder, used)
    for line in warnings:
        log.warning("%s", line)
    others = _channel_transports(config, used, folder, loaded, campaign)
    with ledger_errors(folder / FILENAME):
        held = lock(folder)
        try:
            with open_checked(folder, accept_new=ledger_lost) as ledger:
                return _run(
                    ledger,
                    folder,
                    config,
                    transport,
                    others,
                    plan,
                    letters,
                    warnings,
                    campaign_name(campaign),
                    changed_is_new=changed_is_new,
                    resend_unknown=resend_unknown,
                    retry_failed=retry_failed,
                    watch=watch,
                    clock=clock,
                    stop=stop,
                    on_change=on_change,
                    poll_seconds=poll_seconds,
                )
        finally:
            held.close()


def _run(
    ledger: Ledger,
    folder: Path,
    config: SendConfig,
    transport: Any,
    others: dict[str, Any],
    plan: ways.Plan,
    letters: list[ways.BatchLetter],
    warnings: list[str],
    title: str,
    *,
    changed_is_new: bool,
    resend_unknown: bool,
    retry_failed: bool,
    watch: bool,
    clock: Callable[[], datetime],
    stop: threading.Event | None,
    on_change: Callable[[Progress], None] | None,
    poll_seconds: float | None,
) -> Sent:
    """One run over the folder's own ledger (held and checked by send)."""
    synced = ledger.sync(plan.fax_rows(letters, ledger), changed_is_new=changed_is_new)
    for label in synced.held:
        log.warning(
            "%s: the letter changed after it was sent; not sent again "
            "(--changed-is-new sends it as a new letter)",
            label,
        )
    # Every attempt the ledger adds is first checked against the journal: a letter that went
    # by any channel through a lost ledger is never handed over again, and one whose attempt
    # failed for good there goes on to its next channel (itself checked in turn).
    adopted = adopt_journal(ledger, folder)
    working = in_memory_copy(ledger) if config.transport == "dry-run" else ledger
    guard = Guard(ledger, folder) if working is ledger else None
    if resend_unknown:
        requeue(working, ["unknown"], "a person asked to resend (--resend-unknown)")
    if retry_failed:
        requeue(working, ["failed"], "a person asked to try again (--retry-failed)")
    by_key = {letter.key: letter for letter in letters}
    no_channel: dict[str, tuple[str, str]] = {}
    for _ in range(len(ways.CHANNELS) + 1):
        for letter in letters:
            found = plan.advance(working, letter)
            if isinstance(found, str):
                no_channel[letter.key] = (letter.office_id, found)
        more = adopt_journal(working, folder)  # a dry run's copy too: it shows what will go
        adopted += more
        if not more:
            break
    for label in adopted:
        log.warning("%s, as the journal of a lost ledger records it; not sent again", label)

    def fallback(failed: Delivery) -> Delivery | str | None:
        letter = by_key.get(failed.letter_key)
        if letter is None:
            return None
        following = plan.advance(working, letter)
        if isinstance(following, Delivery):
            for label in adopt_journal(working, folder):
                log.warning("%s, as the journal of a lost ledger records it", label)
            following = working.get(following.id)
        return following

    runner = Runner(
        working,
        folder,
        transport,
        config.policy,
        clock=clock,
        stop=stop,
        on_change=on_change,
        guard=guard,
        channels=others,
        fallback=fallback,
        **({"poll_seconds": poll_seconds} if poll_seconds is not None else {}),
    )
    plan_rows = [(d, runner.due_at(d)) for d in working.deliveries(*PENDING)]
    try:
        progress = runner.run(watch=watch)
    finally:
        if guard is not None:
            guard.close()
    counts = working.counts()
    unresolved = ways.unresolved(working)
    reports = []
    if working is ledger:
        # The PDF summary waits for `status --report`: WeasyPrint takes seconds to load.
        reports = write_reports(ledger, folder, title, pdf=False)
    else:
        working.close()
    return Sent(
        folder,
        synced,
        progress,
        counts,
        reports,
        plan_rows,
        adopted,
        list(no_channel.values()),
        warnings,
        unresolved,
        {n: why for ways_ in plan.ways.values() for n, why in ways_.fax_problems.items()},
    )


def _campaign(campaign: str | Path) -> Any:
    """The campaign, for its channels, sender and dates; None when it cannot be read (the
    letters then go by fax alone, as the manifest lists them)."""
    try:
        return load_campaign(campaign)
    except LettergenError as exc:
        log.info("the campaign cannot be read (%s): sending by fax only", exc)
        return None


def _ways(campaign: Any) -> dict[str, Any]:
    """What the campaign's directory offers each office (e-mail, post, fax problems)."""
    if campaign is None:
        return {}
    try:
        return ways_from_directory(directory_for(campaign))
    except LettergenError as exc:
        log.warning("the directory cannot be read (%s): e-mail and post have no addresses", exc)
        return {}


#: A letter dated further than this from the day it is sent, or an action day further past,
#: is said before anything goes out.
DATE_SLACK_DAYS = 14


def date_warnings(campaign: Any, now: datetime) -> list[str]:
    """One line when the letters are dated far from today, or the action day is long past."""
    if campaign is None:
        return []
    today = now.date()
    letter_date, action_date = campaign.letter_date, campaign.action_date
    apart = (today - letter_date).days
    past = (today - action_date).days
    if abs(apart) <= DATE_SLACK_DAYS and past <= DATE_SLACK_DAYS:
        return []
    what = []
    if abs(apart) > DATE_SLACK_DAYS:
        when = f"{apart} days ago" if apart > 0 else f"in {-apart} days"
        what.append(f"the letters are dated {letter_date.isoformat()} ({when})")
    if past > DATE_SLACK_DAYS:
        what.append(f"the action day {action_date.isoformat()} was {past} days ago")
    return [
        f"{' and '.join(what)}: check the letters' wording before they go; 'letter_date: "
        "today' in the campaign dates them the day they are rendered"
    ]


def _skipped_warnings(folder: Path, used: set[str]) -> list[str]:
    """Offices the batch wrote no letter for, for want of a fax, that e-mail or post could
    reach."""
    if not used - {"fax"}:
        return []
    try:
        skipped = json.loads((folder / manifest.JSON_NAME).read_text("utf-8")).get("skipped", [])
    except (OSError, ValueError, AttributeError):
        return []
    no_fax = [s.get("office_id", "") for s in skipped if "no fax" in str(s.get("reason", ""))]
    if not no_fax:
        return []
    return [
        f"{len(no_fax)} office(s) without a fax have no letter in the batch "
        f"({', '.join(no_fax[:5])}{', …' if len(no_fax) > 5 else ''}): 'lettergen batch … "
        "--include-no-fax --format pdf,tiff' writes them for e-mail and post"
    ]


def _channel_transports(
    config: SendConfig, used: set[str], folder: Path, campaign: Any, name: str | Path
) -> dict[str, Any]:
    """The transports of the e-mail and post channels the campaign uses: in a dry run, dry
    runs too; else the office e-mail (the [email] section's server) and the print batch."""
    found: dict[str, Any] = {}
    for channel in sorted(used - {"fax"}):
        if config.transport == "dry-run":
            found[channel] = create("dry-run", {})
            continue
        if channel == "email":
            settings = dict(config.settings.get("email", {}))
            if not settings.get("from"):
                log.warning(
                    "channel email: no [email] from address in the send settings; "
                    "letters for e-mail wait in the queue"
                )
                continue
            office_email = create("office-email", settings)
            office_email.covering = _covering(campaign, folder)  # type: ignore[attr-defined]
            found["email"] = office_email
        if channel == "post":
            sender = campaign.sender if campaign is not None else None
            parts = [sender.organisation or sender.name, *sender.address] if sender else []
            if sender and sender.city and not any(sender.city in p for p in parts):
                parts.append(sender.city)
            line = ", ".join(x for x in parts if x)
            found["post"] = create(
                "post", {"folder": folder / "post", "sender": line, "title": campaign_name(name)}
            )
    return found


def _covering(campaign: Any, folder: Path) -> Any:
    if campaign is None:
        return Covering()
    supporters: dict[str, str] = {}
    if campaign.reply_to == "supporter":
        supporters = _supporter_addresses(folder)
    sender = campaign.sender
    return Covering(
        subjects=dict(campaign.subject),
        sender_name=", ".join(x for x in (sender.name, sender.organisation) if x),
        sender_email=sender.email,
        reply_to=campaign.reply_to,
        supporters=supporters,
        default_language=campaign.default_language,
    )


def _supporter_addresses(folder: Path) -> dict[str, str]:
    """Signer name → e-mail address, from the signers file the batch was made from."""
    try:
        request = json.loads((folder / manifest.JSON_NAME).read_text("utf-8")).get("request") or {}
        path = (request.get("signers") or {}).get("path")
        if not path:
            return {}
        return {s.name: s.email for s in load_signers(Path(path)) if s.email}
    except (OSError, ValueError, AttributeError, LettergenError) as exc:
        log.warning("reply_to supporter: the signers' addresses cannot be read (%s)", exc)
        return {}


def open_ledger(campaign: str | Path, out: Path | None = None) -> Ledger:
    """The campaign's ledger for reading (`lettergen status`)."""
    folder = batch_folder(campaign, out)

    if not (folder / FILENAME).is_file():
        recorded = recorded_id(folder)
        if recorded is not None:
            raise InputError(
                f"the delivery ledger {recorded} is missing: what was sent is known only from "
                "its journal (ledger.journal) until it is restored from a backup",
                Place(folder / FILENAME),
            )
        raise InputError(
            "nothing has been sent yet: no delivery ledger",
            Place(folder / FILENAME),
            hint="run 'lettergen send CAMPAIGN'",
        )
    ledger = Ledger.beside(folder)
    recorded = recorded_id(folder)
    if recorded is not None and recorded != ledger.ledger_id:
        log.warning(
            "%s is not the folder's ledger %s (replaced?): 'lettergen send' will not use it",
            folder / FILENAME,
            recorded,
        )
    return ledger


__all__ = ["Ledger", "SendConfig", "Sent", "batch_folder", "open_ledger", "send"]
