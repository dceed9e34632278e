"""The e-mail transport: an e-mail-to-fax gateway, over SMTP.

Most online fax services take a fax as a message to an address built from the number
(``{number}@fax.example.net``, or RFC 3192's ``FAX=+number@domain``) with the PDF or TIFF
attached. The login comes from the environment or a netrc file (see config.py), never from a
campaign file.

What an SMTP reply means for the letter:
- the final ``250`` after the message: sent;
- a ``4xx`` anywhere, or a connection lost before the message was handed over: retry;
- a ``5xx`` to the recipient or the message: failed (a number the gateway will not fax);
- a connection lost *while* the message was being handed over: unknown — the gateway may
  have it, and sending again could fax it twice;
- a refused login or sender, TLS trouble: a TransportError (nothing was handed over).
"""

from __future__ import annotations

import email.policy
import functools
import logging
import mimetypes
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from lettergen.errors import DataError
from lettergen.send.config import smtp_login
from lettergen.send.transports import Job, Outcome, TransportError, register

log = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")
SMTP_POLICY = email.policy.SMTP


class Email:
    name = "email"

    def __init__(self, settings: dict[str, Any]):
        self.host = str(settings.get("host", "localhost"))
        self.security = str(settings.get("security", "starttls"))
        if self.security not in SECURITY:
            raise DataError(f"email.security {self.security!r}: choose from {', '.join(SECURITY)}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[self.security]
        self.port = int(settings.get("port", default_port))
        self.gateway = str(settings.get("gateway", ""))
        if "{number}" not in self.gateway and "{e164}" not in self.gateway:
            raise DataError(
                "email.gateway must build the address from the number",
                hint="e.g. {number}@fax.example.net or FAX={e164}@fax.example.net",
            )
        self.sender = str(settings.get("from", ""))
        if "@" not in self.sender:
            raise DataError("email.from: the sender's address is missing")
        self.subject = str(settings.get("subject", "Letter to {office_id}"))
        self.timeout = float(settings.get("timeout", 60))
        self.concurrency = 1  # one SMTP conversation at a time
        self.interval = float(settings.get("interval", 0))
        preferred = str(settings.get("format", "pdf"))
        self.formats = (preferred, *(f for f in ("pdf", "tiff") if f != preferred))

    def address(self, fax: str) -> str:
        return self.gateway.format(number=fax.lstrip("+"), e164=fax)

    def message(self, job: Job) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.address(job.fax)
        message["Subject"] = self.subject.format(office_id=job.office_id, number=job.fax)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{job.tag}@lettergen.invalid>"
        message["X-Lettergen-Tag"] = job.tag
        message.set_content(f"Fax for {job.fax}: {job.pages or '?'} page(s) attached.\n")
        kind = mimetypes.guess_type(job.path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(
            job.path.read_bytes(), maintype=maintype, subtype=subtype, filename=job.path.name
        )
        return message

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once: loading the system's certificates costs a good part of a second."""
        return ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=self._tls)
            client.ehlo_or_helo_if_needed()
            login = smtp_login(self.host)
            if login is not None:
                client.login(*login)
        except BaseException:
            client.close()
            raise
        return client

    def submit(self, job: Job) -> Outcome:
        message = self.message(job)
        handing_over = False
        try:
            with self._connect() as client:
                code, reply = client.mail(self.sender)
                if code >= 500:
                    raise TransportError(f"the SMTP server refused the sender: {_text(reply)}")
                if code >= 400:
                    return Outcome("retry", error=f"{code} {_text(reply)} (sender)")
                code, reply = client.rcpt(message["To"])
                if code >= 300:
                    return _refused(code, reply, "recipient")
                handing_over = True
                # smtplib sends bytes as they are: the lines must already end in CRLF.
                code, reply = client.data(message.as_bytes(policy=SMTP_POLICY))
                if code >= 300:  # smtplib returns, not raises, the reply to the message
                    return _refused(code, reply, "message")
        except smtplib.SMTPDataError as exc:
            return _refused(exc.smtp_code, exc.smtp_error, "message")
        except (
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
            ssl.SSLError,
        ) as exc:
            raise TransportError(
                f"the SMTP server {self.host}:{self.port} refused us: {exc}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise TransportError(
                    f"the SMTP server {self.host}:{self.port} refused us: "
                    f"{exc.smtp_code} {_text(exc.smtp_error)}"
                ) from exc
            return Outcome("retry", error=f"{exc.smtp_code} {_text(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:
            if handing_over:
                return Outcome("unknown", error=f"connection lost while handing over: {exc}")
            return Outcome("retry", error=f"connection: {exc or type(exc).__name__}")
        return Outcome("sent", job_id=message["Message-ID"])

    def poll(self, job: Job) -> Outcome:
        return Outcome("sent", job_id=job.job_id)  # submit never leaves a job in flight

    def find(self, job: Job) -> Outcome | None:
        return None  # a gateway keeps no queue we can ask: the row waits for a person


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(code: int, reply: bytes | str, what: str) -> Outcome:
    error = f"{code} {_text(reply)} ({what})"
    return Outcome("failed" if code >= 500 else "retry", error=error)


register("email", Email)
