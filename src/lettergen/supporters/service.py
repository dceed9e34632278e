"""What "Fax it for me" needs besides the requests: its settings, the sender, the e-mail.

The settings are the campaign's send configuration (the same file and transport as
`lettergen send`) with a ``[fax_for_me]`` section of rules (`supporters.Rules`). The sender is
one loop — purge what has expired, release the requests whose office hours have come, run the
ledger's `Runner` over them — run by `lettergen serve --fax-for-me` in a process of its own, or
by the group as `lettergen supporters send`. One sender per folder (the ledger's lock).
"""

from __future__ import annotations

import logging
import smtplib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen import paths
from lettergen import send as sending
from lettergen.errors import DataError, InputError, LettergenError, Place
from lettergen.send import config as configs
from lettergen.send.config import SendConfig
from lettergen.send.identity import Guard, LedgerLost
from lettergen.send.ledger import FILENAME, ledger_errors
from lettergen.send.runner import Busy, Runner, lock
from lettergen.send.transports import create
from lettergen.send.transports.email import Email
from lettergen.supporters.rules import Rules
from lettergen.supporters.store import Supporters
from lettergen.util.clock import utcnow

if TYPE_CHECKING:
    from lettergen.send.transports.email import Email

log = logging.getLogger(__name__)

#: Seconds between two tries to take the folder's lock when another sender holds it.
BUSY_WAIT = 60.0


@dataclass(frozen=True)
class Settings:
    """A campaign's fax-for-me settings: where, how to send, and the group's rules."""

    folder: Path
    config: SendConfig = field(default_factory=SendConfig)
    rules: Rules = field(default_factory=Rules)
    config_path: Path | None = None
    #: The file a supporter's letter is kept as: the transport's preferred format (a fax
    #: server takes the fax image lettergen made and checked, a mail gateway the PDF).
    letter_format: str = "pdf"

    @property
    def rehearsal(self) -> bool:
        """The dry-run transport: requests are recorded as sent, nothing is faxed."""
        return self.config.transport == "dry-run"


def settings(campaign: str | Path, config_path: Path | None = None) -> Settings:
    """The send configuration (--config, else <campaign>.send.toml) and its rules; checked
    at once (transport, e-mail settings for confirmations), so a mistake stops the server at
    start, not the first supporter."""

    path = sending.config_path(campaign, config_path)
    if path is None:
        raise InputError(
            "'Fax it for me' needs the campaign's send settings, and there are none",
            Place(paths.campaigns_dir() / f"{sending.campaign_name(campaign)}.send.toml"),
            hint="write that file (see docs/sending.md) or give --config",
        )
    config = configs.load(path)
    section = config.settings.get("fax_for_me", {})
    rules = Rules.read(section, path)
    # A wrong transport setting stops here.
    formats = create(config.transport, config.for_transport()).formats
    letter_format = next((f for f in formats if f in ("pdf", "tiff")), "pdf")
    if rules.confirm:
        mail = config.settings.get("email", {})
        if not mail.get("host") or "@" not in str(mail.get("from", "")):
            raise DataError(
                "fax_for_me.confirm needs [email] host and from, to send the confirmation links",
                Place(path),
            )
        _mailer(config)  # its TLS settings (a ca_file that cannot be read) are checked now
    folder = rules.folder or paths.batch_folder(sending.campaign_name(campaign)) / "supporters"
    return Settings(folder, config, rules, path, letter_format)


def run_sender(
    setup: Settings,
    *,
    stop: threading.Event,
    clock: Callable[[], datetime] = utcnow,
    once: bool = False,
    ledger_lost: bool = False,
) -> None:
    """Send supporters' letters until `stop` is set (or one pass, `once`): purge, release,
    run the ledger's Runner; a transport that cannot work at all is tried again later.

    The ledger must stay the one the folder recorded (send/identity.py): one that is
    deleted, replaced or truncated stops the sender at once (LedgerLost, one line), before it
    purges, releases or sends anything more; `ledger_lost` (--i-know-the-ledger-was-lost)
    accepts a new one at start."""
    setup.folder.mkdir(parents=True, exist_ok=True)
    transport = create(setup.config.transport, setup.config.for_transport())
    while True:
        try:
            held = lock(setup.folder)
            break
        except Busy:
            if once:
                raise
            log.warning("another sender holds %s; trying again in a minute", setup.folder)
            if stop.wait(BUSY_WAIT):
                return
    try:
        with (
            ledger_errors(setup.folder / FILENAME),
            Supporters.open(
                setup.folder, setup.rules, clock=clock, accept_new=ledger_lost
            ) as store,
        ):
            # No journal here: it would keep a hash of each supporter's letter; the requests
            # a new ledger could send again are in the lost one.
            guard = Guard(store.ledger, setup.folder, journal=False)
            runner = Runner(
                store.ledger,
                setup.folder,
                transport,
                setup.config.policy,
                clock=clock,
                stop=stop,
                poll_seconds=setup.rules.poll_seconds,
                guard=guard,
            )
            purged_at: datetime | None = None
            while not stop.is_set():
                now = clock()
                try:
                    # A purge with a ledger that is no longer the folder's would delete the
                    # letters of requests it cannot see.
                    guard.check()
                    if purged_at is None or now - purged_at >= setup.rules.purge_every:
                        store.purge()
                        purged_at = now
                    store.release(setup.config.policy)
                    sent = runner.progress.sent
                    runner.run()
                    if runner.progress.sent != sent:  # a letter that reached its office goes
                        store.purge()
                except LedgerLost:
                    raise
                except (LettergenError, sqlite3.Error, OSError) as exc:
                    # The sender outlives a bad moment (a refused login, a full disk, a busy
                    # database); what it was doing is in the ledger, so the next pass goes on.
                    if once:
                        raise
                    log.error("sending stopped for now (%s); trying again in a minute", exc)
                    stop.wait(BUSY_WAIT)
                if once:
                    break
                stop.wait(setup.rules.poll_seconds)
    finally:
        held.close()


def _mailer(config: SendConfig) -> Email:
    """The e-mail transport's connection (TLS, login) without its gateway, for mail to a
    person: whatever the letters are sent with, confirmations go through ``[email]``."""

    settings_ = dict(config.settings.get("email", {}))
    settings_["gateway"] = "{number}@gateway.invalid"
    return Email(settings_)


def send_mail(setup: Settings, to: str, subject: str, body: str) -> None:
    """One plain-text message to a supporter (the confirmation link), through the SMTP server
    of the ``[email]`` settings and its login from the environment or netrc. Raises OSError or
    smtplib.SMTPException when it could not be handed over."""
    mailer = _mailer(setup.config)
    message = EmailMessage()
    message["From"] = mailer.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="lettergen.invalid")
    message.set_content(body)
    with mailer.connect() as client:
        refused = client.send_message(message)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
