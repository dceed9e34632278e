"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the e-mail transport's tests: it keeps
every message it accepts and can be told to refuse (5xx, 4xx) or to drop the connection.

It can speak TLS as providers do — STARTTLS (required before MAIL and AUTH) or TLS from the
first byte — with certificates made at test time (`make_certificates`: a CA and server
certificates for 127.0.0.1/localhost, for another host, and a self-signed one; the keys live
only in the test's temporary folder). It records every byte it heard in clear and, for each
login, whether TLS was on."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any


@dataclass
class Behaviour:
    """What the server does with mail to an address containing `match`."""

    rcpt: str | None = None  # a reply to RCPT ("550 ...", "451 ...") or "reset"
    data: str | None = None  # a reply to the message, or "reset" after reading it
    times: int = 1_000_000  # how many times, then it accepts


@dataclass
class Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    rules: dict[str, Behaviour] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)
    #: (mechanism, TLS on?) for each AUTH the server was given
    auths: list[tuple[str, bool]] = field(default_factory=list)
    #: every byte the server received before TLS (or on a connection without it)
    clear: bytearray = field(default_factory=bytearray)
    delay: float = 0.0  # seconds to sit on a message before accepting it
    #: how many logins to answer by breaking the connection: bytes that are not TLS, then gone
    drop_at_auth: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _rule(self, address: str, stage: str) -> str | None:
        with self.lock:
            for match, rule in self.rules.items():
                reply = getattr(rule, stage)
                if match in address and reply and rule.times > 0:
                    rule.times -= 1
                    return str(reply)
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, _o: Any
    ) -> str:
        reply = self._rule(address, "rcpt")
        if reply == "reset":
            server.transport.abort()
            return "421 gone"
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            time.sleep(self.delay)  # hold the server: a client killed now has handed it over
        reply = self._rule(",".join(envelope.rcpt_tos), "data")
        if reply == "reset":
            server.transport.abort()
            return "421 gone"
        if reply:
            return reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.auths.append((mechanism, _tls_on(server)))
        if self.drop_at_auth > 0:
            self.drop_at_auth -= 1
            underneath = getattr(server, "_original_transport", None) or server.transport
            underneath.write(b"\x15\x03\x03\x00\x02\x02\x50 not a TLS record\r\n")
            underneath.close()
            return AuthResult(success=False, handled=False)
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password == b"s3cret-pass", handled=False)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tls_on(server: Any) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


@dataclass(frozen=True)
class Certificates:
    """Certificates made for one test run, as PEM files in a temporary folder."""

    ca: Path  # the certificate authority's certificate: what a client trusts
    localhost: tuple[Path, Path]  # (certificate, key) for 127.0.0.1 and localhost, from the CA
    elsewhere: tuple[Path, Path]  # from the same CA, for smtp.elsewhere.example only
    self_signed: tuple[Path, Path]  # for 127.0.0.1 and localhost, signed by itself
    expired: tuple[Path, Path]  # for 127.0.0.1 and localhost, from the CA, expired yesterday


def make_certificates(folder: Path) -> Certificates:
    """A CA and four server certificates (EC keys: quick to make), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def certificate(
        subject: str,
        names: list[x509.GeneralName],
        issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
        *,
        ca: bool = False,
        days: int = 1,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer_name, signing_key = (
            (issuer[0].subject, issuer[1]) if issuer else (name(subject), key)
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            usage = dict(digital_signature=True, key_cert_sign=True, crl_sign=True)
        else:
            usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False)
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        builder = builder.add_extension(
            x509.KeyUsage(
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
        return builder.sign(signing_key, hashes.SHA256()), key

    def write(
        stem: str, made: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
    ) -> tuple[Path, Path]:
        cert, key = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert.write_bytes(made[0].public_bytes(serialization.Encoding.PEM))
        key.write_bytes(
            made[1].private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)
        return cert, key

    here = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    authority = certificate("lettergen test CA", [], None, ca=True)
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(authority[0].public_bytes(serialization.Encoding.PEM))
    return Certificates(
        ca=ca_file,
        localhost=write("localhost", certificate("localhost", here, authority)),
        elsewhere=write(
            "elsewhere",
            certificate(
                "smtp.elsewhere.example", [x509.DNSName("smtp.elsewhere.example")], authority
            ),
        ),
        self_signed=write("self-signed", certificate("localhost", here, None)),
        expired=write("expired", certificate("localhost", here, authority, days=-1)),
    )


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@contextmanager
def smtp_server(
    *,
    tls: str | None = None,
    certificate: tuple[Path, Path] | None = None,
    refuse_mechanisms: tuple[str, ...] = ("LOGIN",),
    **handler_args: Any,
) -> Iterator[tuple[Handler, int]]:
    """Start the server on 127.0.0.1 and stop it however the test ends.

    `tls`: None (plain SMTP, AUTH offered in clear), "starttls" (STARTTLS offered and required
    before MAIL; AUTH offered only after it) or "ssl" (TLS from the first byte), with
    `certificate` (certificate, key). `refuse_mechanisms`: AUTH mechanisms not offered (by
    default LOGIN, so a client has one mechanism and a refusal is final at once)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    handler = Handler(**handler_args)

    class Recording(SMTP):
        def data_received(self, data: bytes) -> None:
            if not _tls_on(self):
                with handler.lock:
                    handler.clear.extend(data)
            super().data_received(data)

    class Server(Controller):
        def factory(self) -> SMTP:
            return Recording(self.handler, **self.SMTP_kwargs)

    options: dict[str, Any] = {"auth_require_tls": False}
    if tls is not None:
        if certificate is None:
            raise ValueError("a TLS server needs a certificate")
        context = server_context(certificate)
        if tls == "starttls":
            options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        elif tls == "ssl":
            options = {"ssl_context": context, "auth_require_tls": False}
        else:
            raise ValueError(f"tls: {tls!r}")
    port = free_port()
    controller = Server(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_exclude_mechanism=list(refuse_mechanisms),
        **options,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def main() -> None:
    """`python smtp_server.py FOLDER`: the server as a process of its own (for a client inside
    a network namespace, which reaches only the namespace's 127.0.0.1). It prints its port,
    serves until its standard input closes, then writes every message it accepted to
    FOLDER/1.eml, 2.eml … and exits."""
    import sys

    folder = Path(sys.argv[1])
    with smtp_server() as (handler, port):
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        sys.stdin.read()
    for number, message in enumerate(handler.messages, start=1):
        (folder / f"{number}.eml").write_bytes(message.as_bytes(policy=email.policy.SMTP))


if __name__ == "__main__":
    main()
