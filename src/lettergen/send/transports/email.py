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

TLS is the rule: ``starttls`` (port 587) upgrades the conversation before anything but EHLO is
said, and refuses a server that does not offer it; ``ssl`` (port 465) speaks TLS from the first
byte. The server's certificate is always verified, against the system's certificates (or
``SSL_CERT_FILE``), or against ``ca_file`` when the group runs its own certificate authority;
there is no switch to turn that off, because trusting the actual certificate (``ca_file`` may
hold a self-signed server's own certificate) covers every case such a switch would serve.
``none`` is for a relay on this machine: a login is never sent in clear to any other host.
The confirmation e-mails of "Fax it for me" (fax_for_me.send_mail) use this same connection.
"""

from __future__ import annotations

import email.policy
import functools
import ipaddress
import logging
import mimetypes
import os
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
        self.host, port = split_host(str(settings.get("host", "localhost")))
        self.security = str(settings.get("security", "starttls"))
        if self.security not in SECURITY:
            raise DataError(f"email.security {self.security!r}: choose from {', '.join(SECURITY)}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[self.security]
        try:
            self.port = int(settings.get("port") or port or default_port)
        except ValueError:
            raise DataError(
                f"email.port {settings.get('port')!r} is not a port number", hint="e.g. 587"
            ) from None
        self.gateway = str(settings.get("gateway", ""))
        self._check_gateway()
        self.sender = str(settings.get("from", ""))
        if "@" not in self.sender:
            raise DataError("email.from: the sender's address is missing")
        self.subject = str(settings.get("subject", "Letter to {office_id}"))
        self.timeout = float(settings.get("timeout", 60))
        self.ca_file = str(settings.get("ca_file") or "") or None
        self._check_security()
        # One SMTP conversation at a time: a letter takes a fraction of a second to hand over,
        # the gateway's fax lines are the bottleneck, and each letter in flight at a crash
        # would become `unknown` (see docs/sending.md).
        self.concurrency = 1
        if settings.get("concurrency") not in (None, 1):
            log.warning(
                "email: one message at a time; concurrency %s is ignored (interval paces it)",
                settings["concurrency"],
            )
        self.interval = float(settings.get("interval", 0))
        preferred = str(settings.get("format", "pdf"))
        self.formats = (preferred, *(f for f in ("pdf", "tiff") if f != preferred))

    def _check_gateway(self) -> None:
        if "{number}" not in self.gateway and "{e164}" not in self.gateway:
            raise DataError(
                "email.gateway must build the address from the number",
                hint="e.g. {number}@fax.example.net or FAX={e164}@fax.example.net",
            )

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

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def _check_security(self) -> None:
        """Settings that cannot work, or that a group probably did not mean, said at start."""
        if self.ca_file is not None:
            if self.security == "none":
                log.warning('email.ca_file is ignored: security is "none" (no TLS)')
            else:
                _ = self._tls  # a ca_file that cannot be read stops the run before any letter
        if self.security == "starttls" and self.port == 465:
            log.warning(
                "email: port 465 usually takes TLS from the first byte; "
                'if the connection hangs, set security = "ssl"'
            )
        elif self.security == "ssl" and self.port in (25, 587):
            log.warning(
                "email: port %d usually starts in clear and upgrades; "
                'if TLS fails, set security = "starttls"',
                self.port,
            )
        elif self.security == "none" and not on_this_machine(self.host):
            log.warning(
                'email: security = "none": letters go to %s unencrypted, and a login is refused',
                self.server,
            )

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once: loading the system's certificates costs a good part of a second.
        Verification (chain and host name) is never turned off; `ca_file` replaces the
        system's certificates with the group's own, for this server only."""
        if self.ca_file is None:
            return ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except OSError as exc:  # ssl.SSLError too: not a PEM certificate
            if isinstance(exc, ssl.SSLError):
                found = exc.reason != "NO_CERTIFICATE_OR_CRL_FOUND"
                reason = str(exc.reason or exc) if found else "no PEM certificate in it"
            else:
                reason = exc.strerror or str(exc)
            raise DataError(
                f"email.ca_file {self.ca_file}: cannot use it as trusted certificates ({reason})",
                hint="give the PEM file of the certificate authority that signed the server's "
                "certificate, or the server's own certificate",
            ) from None

    def connect(self) -> smtplib.SMTP:
        """An SMTP conversation ready for a message: encrypted (unless "none"), the server's
        certificate verified, logged in when a login is set. When the server cannot be used
        safely, UnsafeServer says why in one line and nothing has been sent but EHLO.
        Other failures are smtplib's and socket's own exceptions."""
        login = smtp_login(self.host)
        if login is not None and self.security == "none" and not on_this_machine(self.host):
            raise UnsafeServer(
                f"the SMTP server {self.server} would get the login in clear text "
                '(security = "none"); nothing was sent (use "starttls" or "ssl": "none" is '
                "for a relay on this machine only)"
            )
        client: smtplib.SMTP
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._tls
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except ssl.SSLError as exc:  # the handshake of "ssl"
            raise UnsafeServer(self._tls_failed(exc)) from exc
        try:
            if self.security == "starttls":
                client.ehlo_or_helo_if_needed()
                if not client.has_extn("starttls"):
                    raise UnsafeServer(
                        f"the SMTP server {self.server} does not offer STARTTLS; nothing was "
                        "sent (a server that takes TLS from the first byte, usually on port "
                        '465, needs security = "ssl")'
                    )
                try:
                    client.starttls(context=self._tls)
                except ssl.SSLError as exc:  # the handshake; later TLS errors are lost lines
                    raise UnsafeServer(self._tls_failed(exc)) from exc
            client.ehlo_or_helo_if_needed()
            if login is not None:
                client.login(*login)
        except BaseException:
            client.close()
            raise
        return client

    def _tls_failed(self, exc: ssl.SSLError) -> str:
        """One line: which server, what went wrong with TLS, and what to do about it."""
        start = f"TLS with the SMTP server {self.server} failed"
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = exc.verify_message or exc.reason or "certificate verify failed"
            if exc.verify_code in (X509_HOSTNAME_MISMATCH, X509_IP_ADDRESS_MISMATCH):
                return (
                    f"{start}: its certificate names another host ({reason}); nothing was sent "
                    "(email.host must be a name the certificate gives, as the provider spells it)"
                )
            if exc.verify_code in (X509_CERT_NOT_YET_VALID, X509_CERT_HAS_EXPIRED):
                return (
                    f"{start}: its certificate is outside its dates ({reason}); nothing was "
                    "sent (the server's administrator must renew it; check this machine's clock)"
                )
            return (
                f"{start}: its certificate is not trusted ({reason}; trusted: "
                f"{self._trusted()}); nothing was sent (a group's own certificate authority, or "
                "a self-signed server's certificate, goes in email.ca_file)"
            )
        reason = exc.reason or str(exc)
        if reason in NOT_TLS:
            reason = f"the server did not answer in TLS: {reason}"
        hint = (
            'does the server take TLS from the first byte? else use security = "starttls"'
            if self.security == "ssl"
            else "check the server's TLS settings"
        )
        return f"{start} ({reason}); nothing was sent ({hint})"

    def _trusted(self) -> str:
        if self.ca_file is not None:
            return f"email.ca_file {self.ca_file}"
        if os.environ.get("SSL_CERT_FILE"):
            return f"SSL_CERT_FILE {os.environ['SSL_CERT_FILE']}"
        return "the system's certificates"

    def submit(self, job: Job) -> Outcome:
        message = self.message(job)
        handing_over = False
        try:
            with self.connect() as client:
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
                # Whose word it is: a relay's 250 is not the office's server's.
                accepted = f"{code} {_text(reply)} (from {self.server})"
        except UnsafeServer as exc:
            raise TransportError(str(exc)) from exc
        except smtplib.SMTPDataError as exc:
            return _refused(exc.smtp_code, exc.smtp_error, "message")
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
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
        return Outcome("sent", job_id=message["Message-ID"], reply=accepted)

    def poll(self, job: Job) -> Outcome:
        return Outcome("sent", job_id=job.job_id)  # submit never leaves a job in flight

    def find(self, job: Job) -> Outcome | None:
        return None  # a gateway keeps no queue we can ask: the row waits for a person


# OpenSSL's verify codes: a certificate out of its dates, issued to another name or address.
X509_CERT_NOT_YET_VALID = 9
X509_CERT_HAS_EXPIRED = 10
X509_HOSTNAME_MISMATCH = 62
X509_IP_ADDRESS_MISMATCH = 64
# OpenSSL's reasons when what came back was not TLS at all (a server that starts in clear).
NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "HTTP_REQUEST")


class UnsafeServer(smtplib.SMTPException):
    """The SMTP server cannot be used safely as set up (TLS failed or was not offered, or a
    login would go in clear): nothing was sent. An SMTPException, so a caller that handles
    SMTP failures (the supporter page's confirmation mail) handles this one too."""


def split_host(text: str) -> tuple[str, int | None]:
    """ "smtp.example.net:587" → ("smtp.example.net", 587); a bare name or address, or an IPv6
    address (in brackets when it has a port), keeps its port unset."""
    text = text.strip()
    if text.startswith("["):
        inside, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return inside, int(port) if port.isdigit() else None
    if text.count(":") == 1:
        name, port = text.split(":")
        if not port.isdigit():
            raise DataError(f"host {text!r}: the port after ':' is not a number", hint="HOST:PORT")
        return name, int(port)
    return text, None


def on_this_machine(host: str) -> bool:
    """localhost, a name under .localhost (RFC 6761) or a loopback address: the only hosts
    "none" may send a login to, since nothing said to them crosses a network."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(code: int, reply: bytes | str, what: str) -> Outcome:
    error = f"{code} {_text(reply)} ({what})"
    return Outcome("failed" if code >= 500 else "retry", error=error)


register("email", Email)
