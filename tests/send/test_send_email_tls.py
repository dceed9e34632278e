"""The e-mail transport over TLS, against a real SMTP server on 127.0.0.1 that speaks STARTTLS
or TLS from the first byte: letters arrive, the login goes only inside TLS, and a server that
cannot be trusted gets nothing — the letter stays queued and the run stops with one line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_send_ledger import write_batch

from lettergen.cli import cli
from lettergen.errors import DataError
from lettergen.send.config import SendConfig, load
from lettergen.send.ledger import Ledger
from lettergen.send.runner import Runner, read_manifest
from lettergen.send.transports import TransportError, create
from smtp_server import Behaviour, Certificates, Handler, make_certificates, smtp_server

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PASSWORD = "s3cret-pass"  # the one the test server takes


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(autouse=True)
def login(monkeypatch: pytest.MonkeyPatch) -> None:
    """A login from the environment, as groups set it; the system's trust as the only trust."""
    monkeypatch.setenv("LETTERGEN_SMTP_USER", "campaign-user")
    monkeypatch.setenv("LETTERGEN_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("LETTERGEN_NETRC", "/nonexistent")


def settings(port: int, security: str, **more: object) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "from": "campaign@example.org",
        "gateway": "{number}@fax.example.net",
        "timeout": 10,
        **more,
    }


def send(folder: Path, port: int, security: str, **more: object) -> Ledger:
    """One `send` pass over the batch in `folder`; the ledger, open, for the test to read."""
    ledger = Ledger.beside(folder)
    ledger.sync(read_manifest(folder, ("pdf",)))
    try:
        transport = create("email", settings(port, security, **more))
        Runner(ledger, folder, transport, load(None).policy, clock=lambda: MONDAY).run()
    except BaseException:
        ledger.close()
        raise
    return ledger


def clear_commands(server: Handler) -> list[str]:
    """The SMTP commands the server heard outside TLS (their verbs only)."""
    lines = bytes(server.clear).decode("ascii", "replace").split("\r\n")
    return [line.split(" ")[0].upper() for line in lines if line]


def states(folder: Path) -> list[str]:
    with Ledger.beside(folder) as ledger:
        return [d.state for d in ledger.deliveries()]


# --- letters arrive, and the login only inside TLS ---------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_letter_arrives_over_starttls_and_the_login_only_after_it(
    tmp_path: Path, certificates: Certificates, mechanism: str
) -> None:
    write_batch(tmp_path, 2)
    other = ("LOGIN",) if mechanism == "PLAIN" else ("PLAIN",)
    server_options = {"certificate": certificates.localhost, "refuse_mechanisms": other}
    with smtp_server(tls="starttls", **server_options) as (server, port):
        send(tmp_path, port, "starttls", ca_file=str(certificates.ca)).close()
    assert states(tmp_path) == ["sent", "sent"]
    assert sorted(m["To"] for m in server.messages) == [
        "493012340000@fax.example.net",
        "493012340001@fax.example.net",
    ]
    assert server.auths == [(mechanism, True)] * 2  # each login inside TLS
    assert server.logins == [("campaign-user", PASSWORD)] * 2
    # In clear, each connection said EHLO and STARTTLS, and nothing else.
    assert clear_commands(server) == ["EHLO", "STARTTLS"] * 2
    assert PASSWORD.encode() not in server.clear


def test_a_letter_arrives_over_tls_from_the_first_byte(
    tmp_path: Path, certificates: Certificates
) -> None:
    write_batch(tmp_path, 1)
    with smtp_server(tls="ssl", certificate=certificates.localhost) as (server, port):
        send(tmp_path, port, "ssl", ca_file=str(certificates.ca)).close()
    assert states(tmp_path) == ["sent"]
    (message,) = server.messages
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content() == (tmp_path / "en/office-00.pdf").read_bytes()
    assert server.auths == [("PLAIN", True)]
    assert server.clear == b""  # not one byte outside TLS


# --- a server that cannot be trusted gets nothing ----------------------------------------------


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_refused_and_the_letters_stay_queued(
    tmp_path: Path, certificates: Certificates, security: str
) -> None:
    """The test CA is in no system store: without ca_file, its server is a stranger."""
    write_batch(tmp_path, 2)
    server_options = {"tls": security, "certificate": certificates.localhost}
    with smtp_server(**server_options) as (server, port), pytest.raises(TransportError) as refused:
        send(tmp_path, port, security)
    assert str(refused.value) == (
        f"TLS with the SMTP server 127.0.0.1:{port} failed: its certificate is not trusted "
        "(unable to get local issuer certificate; trusted: the system's certificates); nothing "
        "was sent (a group's own certificate authority, or a self-signed server's "
        "certificate, goes in email.ca_file)"
    )
    assert states(tmp_path) == ["queued", "queued"]  # not sent, not lost
    with Ledger.beside(tmp_path) as ledger:
        assert ledger.deliveries()[0].last_error == str(refused.value)
    assert server.messages == [] and server.auths == []
    assert clear_commands(server) == (["EHLO", "STARTTLS"] if security == "starttls" else [])


def test_a_self_signed_certificate_is_refused_unless_given_as_ca_file(
    tmp_path: Path, certificates: Certificates
) -> None:
    write_batch(tmp_path, 1)
    with smtp_server(tls="starttls", certificate=certificates.self_signed) as (server, port):
        with pytest.raises(TransportError, match=r"not trusted \(self-signed certificate;"):
            send(tmp_path, port, "starttls")
        assert server.messages == []
        # The group trusts exactly that certificate: no switch turns checking off.
        own = str(certificates.self_signed[0])
        send(tmp_path, port, "starttls", ca_file=own).close()
    assert states(tmp_path) == ["sent"] and len(server.messages) == 1


@pytest.mark.parametrize(
    ("host", "mismatch"),
    [
        ("127.0.0.1", "IP address mismatch, certificate is not valid for '127.0.0.1'."),
        ("localhost", "Hostname mismatch, certificate is not valid for 'localhost'."),
    ],
)
def test_a_certificate_for_another_host_is_refused(
    tmp_path: Path, certificates: Certificates, host: str, mismatch: str
) -> None:
    """Signed by a CA the client trusts, but for smtp.elsewhere.example: someone else's."""
    write_batch(tmp_path, 1)
    server_options = {"tls": "starttls", "certificate": certificates.elsewhere}
    with smtp_server(**server_options) as (server, port), pytest.raises(TransportError) as refused:
        send(tmp_path, port, "starttls", host=host, ca_file=str(certificates.ca))
    assert str(refused.value) == (
        f"TLS with the SMTP server {host}:{port} failed: its certificate names another host "
        f"({mismatch}); nothing was sent (email.host must be a name the certificate gives, as "
        "the provider spells it)"
    )
    assert states(tmp_path) == ["queued"]
    assert server.messages == [] and server.auths == []


def test_the_host_name_on_the_certificate_is_accepted(
    tmp_path: Path, certificates: Certificates
) -> None:
    """host = "localhost" against a certificate that names localhost (not only its address)."""
    write_batch(tmp_path, 1)
    with smtp_server(tls="ssl", certificate=certificates.localhost) as (server, port):
        send(tmp_path, port, "ssl", host="localhost", ca_file=str(certificates.ca)).close()
    assert states(tmp_path) == ["sent"] and len(server.messages) == 1


def test_an_expired_certificate_is_refused(tmp_path: Path, certificates: Certificates) -> None:
    write_batch(tmp_path, 1)
    server_options = {"tls": "ssl", "certificate": certificates.expired}
    with smtp_server(**server_options) as (server, port), pytest.raises(TransportError) as refused:
        send(tmp_path, port, "ssl", ca_file=str(certificates.ca))
    assert str(refused.value) == (
        f"TLS with the SMTP server 127.0.0.1:{port} failed: its certificate is outside its dates "
        "(certificate has expired); nothing was sent (the server's administrator must renew "
        "it; check this machine's clock)"
    )
    assert server.messages == [] and states(tmp_path) == ["queued"]


def test_a_server_without_starttls_gets_nothing_in_clear(
    tmp_path: Path, certificates: Certificates
) -> None:
    """Asked for STARTTLS, a server that does not offer it (it offers AUTH in clear) is refused
    after EHLO: no login, no sender, no letter."""
    write_batch(tmp_path, 1)
    with smtp_server() as (server, port), pytest.raises(TransportError) as refused:
        send(tmp_path, port, "starttls", ca_file=str(certificates.ca))
    assert str(refused.value) == (
        f"the SMTP server 127.0.0.1:{port} does not offer STARTTLS; nothing was sent (a server "
        'that takes TLS from the first byte, usually on port 465, needs security = "ssl")'
    )
    assert clear_commands(server) == ["EHLO"]  # and then the connection was closed
    assert server.auths == [] and server.logins == [] and server.messages == []
    assert PASSWORD.encode() not in server.clear
    assert states(tmp_path) == ["queued"]


def test_tls_from_the_first_byte_against_a_plain_server_is_explained(
    tmp_path: Path, certificates: Certificates
) -> None:
    write_batch(tmp_path, 1)
    with smtp_server() as (server, port), pytest.raises(TransportError) as refused:
        send(tmp_path, port, "ssl", ca_file=str(certificates.ca))
    assert re.fullmatch(
        re.escape(f"TLS with the SMTP server 127.0.0.1:{port} failed (the server did not answer ")
        + r"in TLS: (WRONG_VERSION_NUMBER|RECORD_LAYER_FAILURE)\); "
        + re.escape(
            "nothing was sent (does the server take TLS from the first byte? else use "
            'security = "starttls")'
        ),
        str(refused.value),
    ), str(refused.value)
    assert server.auths == [] and server.messages == [] and states(tmp_path) == ["queued"]


def test_starttls_against_a_tls_port_is_a_retry_and_warned_at_start(
    tmp_path: Path, certificates: Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    """The server waits for TLS, the client for a greeting: nothing can be said, so the
    letter waits for its retry; the warning at start names the likely fix."""
    create("email", settings(465, "starttls"))
    assert (
        "port 465 usually takes TLS from the first byte; "
        'if the connection hangs, set security = "ssl"' in caplog.text
    )
    write_batch(tmp_path, 1)
    with smtp_server(tls="ssl", certificate=certificates.localhost) as (server, port):
        send(tmp_path, port, "starttls", ca_file=str(certificates.ca), timeout=0.5).close()
    with Ledger.beside(tmp_path) as ledger:
        (row,) = ledger.deliveries()
        assert row.state == "retry" and (row.last_error or "").startswith("connection: ")
    assert server.messages == [] and server.auths == []


def test_ssl_against_a_submission_port_is_warned_at_start(caplog: pytest.LogCaptureFixture) -> None:
    create("email", settings(587, "ssl"))
    assert (
        'port 587 usually starts in clear and upgrades; if TLS fails, set security = "starttls"'
        in caplog.text
    )


def test_a_login_in_clear_to_another_host_is_refused_before_connecting(tmp_path: Path) -> None:
    """security = "none" is for a relay on this machine; a login to any other host would cross
    a network readable by anyone on the path. 192.0.2.1 is a documentation address: nothing
    answers there, so a refusal (not a connection error) proves nothing was attempted."""
    write_batch(tmp_path, 1)
    with pytest.raises(TransportError) as refused:
        send(tmp_path, 25, "none", host="192.0.2.1", timeout=2)
    assert str(refused.value) == (
        'the SMTP server 192.0.2.1:25 would get the login in clear text (security = "none"); '
        'nothing was sent (use "starttls" or "ssl": "none" is for a relay on this machine only)'
    )
    assert states(tmp_path) == ["queued"]


@pytest.mark.parametrize(
    ("host", "here"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("relay.localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("192.0.2.1", False),
        ("10.0.0.1", False),
        ("localhost.example.org", False),
        ("smtp.example.net", False),
        ("", False),
    ],
)
def test_which_hosts_count_as_this_machine(host: str, here: bool) -> None:
    from lettergen.send.transports.email import on_this_machine

    assert on_this_machine(host) is here


def test_none_without_a_login_to_another_host_is_warned(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("LETTERGEN_SMTP_USER")
    create("email", settings(25, "none", host="relay.example.org"))
    assert 'security = "none": letters go to relay.example.org:25 unencrypted' in caplog.text
    caplog.clear()
    create("email", settings(25, "none", host="localhost"))
    assert caplog.text == ""  # a relay on this machine: nothing crosses a network


def test_a_connection_lost_inside_tls_while_handing_over_is_unknown(
    tmp_path: Path, certificates: Certificates
) -> None:
    """A TLS error after the message began is a lost connection like any other: the gateway
    may have the letter, so it is unknown — never queued to go again."""
    write_batch(tmp_path, 1)
    rules = {"49": Behaviour(data="reset", times=1)}
    with (
        smtp_server(tls="starttls", certificate=certificates.localhost, rules=rules) as (
            server,
            port,
        ),
        send(tmp_path, port, "starttls", ca_file=str(certificates.ca)) as ledger,
    ):
        (row,) = ledger.deliveries()
        assert row.state == "unknown" and "while handing over" in (row.last_error or "")
    assert server.messages == []


def test_a_connection_lost_inside_tls_before_the_message_is_retried(
    tmp_path: Path, certificates: Certificates
) -> None:
    """Dropped at the login, after the handshake: a lost line, not a server to distrust — the
    letter waits for its retry and the run goes on."""
    from datetime import timedelta

    write_batch(tmp_path, 1)
    server_options = {"tls": "starttls", "certificate": certificates.localhost}
    with smtp_server(drop_at_auth=1, **server_options) as (server, port):
        send(tmp_path, port, "starttls", ca_file=str(certificates.ca)).close()
        with Ledger.beside(tmp_path) as ledger:
            (row,) = ledger.deliveries()
            assert row.state == "retry" and (row.last_error or "").startswith("connection: ")
        ledger = Ledger.beside(tmp_path)
        try:
            transport = create("email", settings(port, "starttls", ca_file=str(certificates.ca)))
            later = MONDAY + timedelta(hours=1)
            Runner(ledger, tmp_path, transport, load(None).policy, clock=lambda: later).run()
        finally:
            ledger.close()
    assert states(tmp_path) == ["sent"] and len(server.messages) == 1
    assert server.auths == [("PLAIN", True)] * 2


# --- trusting a group's own server -------------------------------------------------------------


def test_ssl_cert_file_is_honoured(
    tmp_path: Path, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(tmp_path, 1)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with smtp_server(tls="ssl", certificate=certificates.localhost) as (server, port):
        send(tmp_path, port, "ssl").close()
    assert states(tmp_path) == ["sent"] and len(server.messages) == 1


def test_the_untrusted_message_names_ssl_cert_file_when_it_is_set(
    tmp_path: Path, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(tmp_path, 1)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.self_signed[0]))
    with (
        smtp_server(tls="ssl", certificate=certificates.localhost) as (_, port),
        pytest.raises(
            TransportError,
            match=re.escape(f"trusted: SSL_CERT_FILE {certificates.self_signed[0]})"),
        ),
    ):
        send(tmp_path, port, "ssl")


def test_ca_file_in_the_config_is_read_beside_it_and_used_by_send(
    tmp_path: Path, certificates: Certificates
) -> None:
    campaigns = tmp_path / "campaigns"
    (campaigns / "certs").mkdir(parents=True)
    (campaigns / "certs" / "group-ca.pem").write_bytes(certificates.ca.read_bytes())
    write_batch(tmp_path / "out" / "c", 2)
    with smtp_server(tls="starttls", certificate=certificates.localhost) as (server, port):
        config = campaigns / "c.send.toml"
        config.write_text(
            'transport = "email"\n[email]\nhost = "127.0.0.1"\n'
            f'port = {port}\nsecurity = "starttls"\nca_file = "certs/group-ca.pem"\n'
            'from = "c@example.org"\ngateway = "{number}@fax.example.net"\n'
        )
        assert load(config).settings["email"]["ca_file"] == str(campaigns / "certs/group-ca.pem")
        args = ["send", "c", "-o", str(tmp_path / "out"), "--config", str(config)]
        result = CliRunner().invoke(cli, [*args, "--no-render", "--now"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output and len(server.messages) == 2
    assert server.auths == [("PLAIN", True)] * 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "No such file or directory"), (b"not a certificate\n", "no PEM certificate in it")],
)
def test_a_ca_file_that_cannot_be_used_stops_at_start(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    ca_file = tmp_path / "group-ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    with pytest.raises(DataError) as stopped:
        create("email", settings(587, "starttls", ca_file=str(ca_file)))
    assert str(stopped.value) == (
        f"email.ca_file {ca_file}: cannot use it as trusted certificates ({reason}) (give the "
        "PEM file of the certificate authority that signed the server's certificate, or the "
        "server's own certificate)"
    )


# --- what a group sees ------------------------------------------------------------------------


def test_the_command_says_one_line_and_keeps_the_letters(
    tmp_path: Path, certificates: Certificates
) -> None:
    write_batch(tmp_path / "c", 2)
    with smtp_server(tls="starttls", certificate=certificates.localhost) as (server, port):
        args = [
            "send", "c", "-o", str(tmp_path), "--transport", "email", "--no-render", "--now",
            "--host", f"127.0.0.1:{port}", "--security", "starttls", "--from", "c@example.org",
            "--gateway", "{number}@fax.example.net",
        ]  # fmt: skip
        result = CliRunner().invoke(cli, args)
        status = CliRunner().invoke(cli, ["status", "c", "-o", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exception is not None
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert line.startswith(f"Error: TLS with the SMTP server 127.0.0.1:{port} failed: its ")
    assert "not trusted" in line and server.messages == []
    letters = json.loads(status.output)["letters"]
    assert [row["state"] for row in letters] == ["queued", "queued"]
    # The first letter tried carries the reason; the run stopped before the second.
    assert sorted(str(row["last_error"]) for row in letters) == ["None", line[len("Error: ") :]]


def test_fax_for_me_confirmations_take_the_same_tls_path(
    tmp_path: Path, certificates: Certificates
) -> None:
    """The supporter page's confirmation mail goes through the transport's own connection:
    verified TLS, login inside it, and the same refusal (an SMTP error the page handles)."""
    import smtplib

    from lettergen.supporters.service import Settings, send_mail

    def setup(port: int, **more: object) -> Settings:
        mail = settings(port, "starttls", **more)
        del mail["gateway"]
        return Settings(tmp_path, SendConfig("email", settings={"email": mail}))

    with smtp_server(tls="starttls", certificate=certificates.localhost) as (server, port):
        send_mail(setup(port, ca_file=str(certificates.ca)), "ann@example.org", "Confirm", "Hi")
        with pytest.raises(smtplib.SMTPException, match="its certificate is not trusted"):
            send_mail(setup(port), "bob@example.org", "Confirm", "Hi")
    (message,) = server.messages
    assert message["To"] == "ann@example.org" and message.get_content().strip() == "Hi"
    assert server.auths == [("PLAIN", True)]
    assert clear_commands(server) == ["EHLO", "STARTTLS"] * 2
