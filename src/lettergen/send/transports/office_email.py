"""The `email` channel: a letter to the office's own e-mail address, over SMTP.

One message per letter: a short covering message in the letter's language (its wording is the
language's `email` strings in letter_templates/<lang>/strings.yaml, English where a language
has none yet), the letter attached as PDF, `Reply-To` the group (the campaign's sender) or the
supporter who signed (`reply_to: supporter` in the campaign, when the signers file gives an
address), and a Message-ID that carries the attempt's tag, kept in the ledger as the row's job
id. The SMTP server, its security and the login are the `[email]` settings of the e-mail
gateway transport, and an SMTP reply means for the letter what it means there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from lettergen.errors import DataError, LettergenError
from lettergen.language.languages import load_language
from lettergen.send.transports import Job, register
from lettergen.send.transports.email import Email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Covering:
    """What the covering message needs from the campaign."""

    subjects: dict[str, str] = field(default_factory=dict)  # by language
    sender_name: str = ""
    sender_email: str = ""  # the group's address: Reply-To unless the supporter's is asked for
    reply_to: str = "group"  # or "supporter"
    supporters: dict[str, str] = field(default_factory=dict)  # signer name → e-mail address
    default_language: str = "en"


class OfficeEmail(Email):
    name = "office-email"

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self.covering = Covering()
        self.formats = ("pdf",)

    def _check_gateway(self) -> None:
        """Letters go to the office's own address: no gateway to check."""

    def reply_to(self, job: Job) -> str:
        if self.covering.reply_to == "supporter":
            found = self.covering.supporters.get(job.signer, "")
            if found:
                return found
        return self.covering.sender_email or self.sender

    def message(self, job: Job) -> EmailMessage:
        if not job.to:
            raise DataError(f"{job.office_id}: no e-mail address to send the letter to")
        texts = covering_texts(job.language or self.covering.default_language)
        subject = self.covering.subjects.get(job.language) or next(
            iter(self.covering.subjects.values()), ""
        )
        reply_to = self.reply_to(job)
        pages = job.pages or "?"
        context = {"subject": subject, "pages": pages, "reply_to": reply_to}
        body = "\n\n".join(
            (
                texts.string("salutation", **context),
                texts.string("body", **context),
                texts.string("reply", **context),
                f"{texts.string('closing', **context)}\n{self.covering.sender_name}".rstrip(),
            )
        )
        message = EmailMessage()
        message["From"] = (
            formataddr((self.covering.sender_name, self.sender))
            if self.covering.sender_name
            else self.sender
        )
        message["To"] = job.to
        message["Reply-To"] = reply_to
        message["Subject"] = subject or f"Letter to {job.office_id}"
        message["Date"] = formatdate(localtime=False)
        domain = self.sender.rsplit("@", 1)[-1] or "lettergen.invalid"
        message["Message-ID"] = f"<{job.tag}@{domain}>"
        message["X-Lettergen-Tag"] = job.tag
        message.set_content(body + "\n")
        message.add_attachment(
            job.path.read_bytes(), maintype="application", subtype="pdf", filename=job.path.name
        )
        if job.language:  # after the parts: setting content clears Content-* headers
            message["Content-Language"] = job.language
        return message


class _Texts:
    """The `email` strings of one letter language, rendered like its other strings."""

    def __init__(self, language: Any, prefix: str):
        self.language = language
        self.prefix = prefix

    def string(self, key: str, **context: Any) -> str:
        return str(self.language.string(f"{self.prefix}.{key}", **context))


def covering_texts(code: str) -> _Texts:
    """The covering message's strings in `code`, else in English."""
    for candidate in (code, "en"):
        try:
            chosen = load_language(candidate)
        except LettergenError:
            continue
        if chosen.has("email.body"):
            return _Texts(chosen, "email")
        log.debug("language %s has no e-mail strings: the covering message is English", code)
    raise DataError("no language has the e-mail strings (letter_templates/en/strings.yaml)")


register("office-email", OfficeEmail)
