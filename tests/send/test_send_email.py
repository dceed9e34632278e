"""The e-mail transport against a real SMTP server on 127.0.0.1: what arrives, and what a
refusal or a dropped connection does to the ledger."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_send_ledger import write_batch

from conftest import SEED_CAMPAIGN
from lettergen.cli import cli
from lettergen.send.config import load
from lettergen.send.ledger import Ledger
from lettergen.send.runner import Runner
from lettergen.send.transports import create
from smtp_server import Behaviour, smtp_server

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def transport(port: int, **more: object):  # type: ignore[no-untyped-def]
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "campaign@example.org",
        "gateway": "{number}@fax.example.net",
        **more,
    }
    return create("email", settings)


def run(folder: Path, port: int, now: datetime = MONDAY, **more: object) -> Ledger:
    ledger = Ledger.beside(folder)
    from lettergen.send.ledger import Outgoing  # noqa: F401
    from lettergen.send.runner import read_manifest

    ledger.sync(read_manifest(folder, ("pdf",)))
    Runner(ledger, folder, transport(port, **more), load(None).policy, clock=lambda: now).run()
    return ledger


def test_a_batch_is_rendered_and_each_letter_arrives_once(tmp_path: Path) -> None:
    """`lettergen send` renders what is missing, then mails each PDF to its gateway address."""
    with smtp_server() as (server, port):
        args = [
            "send", str(SEED_CAMPAIGN), "-o", str(tmp_path), "--transport", "email",
            "--host", f"127.0.0.1:{port}", "--security", "none", "--from", "c@example.org",
            "--gateway", "FAX={e164}@fax.example.net", "--now",
        ]  # fmt: skip
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(cli, args, catch_exceptions=False)  # a rerun sends nothing
        assert again.exit_code == 0, again.output
    folder = tmp_path / "free-zhanusov-2002"
    letters = [r for r in json.loads((folder / "manifest.json").read_text())["letters"]]
    assert len(letters) == 12 and len(server.messages) == 12
    by_address = {m["To"]: m for m in server.messages}
    for row in letters:
        message = by_address[f"FAX={row['fax']}@fax.example.net"]  # RFC 3192's form
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == Path(row["file"]).name
        assert attachment.get_content() == (folder / row["file"]).read_bytes()
        assert message["From"] == "c@example.org"
        assert message["Subject"] == f"Letter to {row['office_id']}"
        assert message["Message-ID"].startswith("<lettergen-") and message["Date"]
    assert "sent 12" in again.output


def test_number_becomes_the_gateway_address(tmp_path: Path) -> None:
    write_batch(tmp_path, 2)
    with smtp_server() as (server, port):
        run(tmp_path, port).close()
    assert sorted(m["To"] for m in server.messages) == [
        "493012340000@fax.example.net",
        "493012340001@fax.example.net",
    ]
    for message in server.messages:
        (attachment,) = list(message.iter_attachments())
        digest = hashlib.sha256(attachment.get_content()).hexdigest()
        assert digest in {o.sha256 for o in write_batch(tmp_path, 2)}


def test_a_permanent_refusal_fails_and_a_temporary_one_is_retried(tmp_path: Path) -> None:
    write_batch(tmp_path, 3)
    rules = {
        "493012340000": Behaviour(rcpt="550 5.1.1 number not in service"),
        "493012340001": Behaviour(rcpt="451 4.3.0 line busy, try later", times=1),
        "493012340002": Behaviour(data="452 4.3.1 queue full", times=1),
    }
    with smtp_server(rules=rules) as (server, port):
        with run(tmp_path, port) as ledger:
            states = [(d.state, d.last_error) for d in ledger.deliveries()]
            assert states == [
                ("failed", "550 5.1.1 number not in service (recipient)"),
                ("retry", "451 4.3.0 line busy, try later (recipient)"),
                ("retry", "452 4.3.1 queue full (message)"),
            ]
            assert len(server.messages) == 0
        later = MONDAY + timedelta(minutes=21)
        with run(tmp_path, port, later) as ledger:
            assert [d.state for d in ledger.deliveries()] == ["failed", "sent", "sent"]
            assert [d.attempts for d in ledger.deliveries()] == [1, 2, 2]
        with run(tmp_path, port, later + timedelta(days=1)) as ledger:
            assert ledger.deliveries()[0].attempts == 1  # never tried again
    assert sorted(m["To"] for m in server.messages) == [
        "493012340001@fax.example.net",
        "493012340002@fax.example.net",
    ]


def test_a_dropped_connection_before_the_message_is_retried(tmp_path: Path) -> None:
    write_batch(tmp_path, 1)
    with smtp_server(rules={"49": Behaviour(rcpt="reset", times=1)}) as (server, port):
        with run(tmp_path, port) as ledger:
            (row,) = ledger.deliveries()
            assert row.state == "retry" and row.last_error and "connection" in row.last_error
        with run(tmp_path, port, MONDAY + timedelta(hours=1)) as ledger:
            assert ledger.deliveries()[0].state == "sent"
    assert len(server.messages) == 1


def test_a_dropped_connection_while_handing_over_is_unknown(tmp_path: Path) -> None:
    write_batch(tmp_path, 1)
    with smtp_server(rules={"49": Behaviour(data="reset", times=1)}) as (server, port):
        with run(tmp_path, port) as ledger:
            (row,) = ledger.deliveries()
            assert row.state == "unknown" and "while handing over" in (row.last_error or "")
        with run(tmp_path, port, MONDAY + timedelta(days=2)) as ledger:
            assert ledger.deliveries()[0].state == "unknown"  # waits for a person
    assert server.messages == []


def test_no_server_is_a_retry_not_a_crash(tmp_path: Path) -> None:
    from smtp_server import free_port

    write_batch(tmp_path, 1)
    with run(tmp_path, free_port()) as ledger:
        (row,) = ledger.deliveries()
        assert row.state == "retry" and "connection" in (row.last_error or "")


def test_login_from_the_environment_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(tmp_path / "c", 2)
    monkeypatch.setenv("LETTERGEN_SMTP_USER", "campaign-user")
    monkeypatch.setenv("LETTERGEN_SMTP_PASSWORD", "s3cret-pass")
    with smtp_server() as (server, port):
        args = [
            "-vv", "send", "c", "-o", str(tmp_path), "--transport", "email", "--no-render",
            "--host", f"127.0.0.1:{port}", "--security", "none", "--from", "c@example.org",
            "--gateway", "{number}@fax.example.net", "--now",
        ]  # fmt: skip
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        status = CliRunner().invoke(cli, ["status", "c", "-o", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert server.logins == [("campaign-user", "s3cret-pass")] * 2
    assert len(server.messages) == 2
    written = [p.read_bytes() for p in (tmp_path / "c").rglob("*") if p.is_file()]
    for text in (result.output, status.output, *(w.decode("latin-1") for w in written)):
        assert "s3cret-pass" not in text


def test_login_from_a_netrc_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_batch(tmp_path, 1)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password s3cret-pass\n")
    netrc.chmod(0o600)
    monkeypatch.delenv("LETTERGEN_SMTP_USER", raising=False)
    monkeypatch.setenv("LETTERGEN_NETRC", str(netrc))
    with smtp_server() as (server, port):
        run(tmp_path, port).close()
    assert server.logins == [("netrc-user", "s3cret-pass")] and len(server.messages) == 1


def test_a_refused_login_stops_the_run_and_keeps_the_letter_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lettergen.send.transports import TransportError

    write_batch(tmp_path, 2)
    monkeypatch.setenv("LETTERGEN_SMTP_USER", "campaign-user")
    monkeypatch.setenv("LETTERGEN_SMTP_PASSWORD", "wrong-pass")
    with smtp_server() as (server, port), pytest.raises(TransportError, match="refused us"):
        run(tmp_path, port)
    with Ledger.beside(tmp_path) as ledger:
        assert [d.state for d in ledger.deliveries()] == ["queued", "queued"]
    assert "wrong-pass" not in str(server.logins[0][0]) and server.messages == []


def test_credentials_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.send.toml"
    config.write_text('transport = "email"\n[email]\nhost = "x"\npassword = "hunter2"\n')
    write_batch(tmp_path / "c", 1)
    result = CliRunner().invoke(
        cli, ["send", "c", "-o", str(tmp_path), "--config", str(config), "--no-render"]
    )
    assert result.exit_code == 1
    assert "email.password: credentials do not belong in this file" in result.output
    assert "hunter2" not in result.output


def test_unknown_waits_for_resend_unknown(tmp_path: Path) -> None:
    write_batch(tmp_path / "c", 2)
    with Ledger.beside(tmp_path / "c") as ledger:
        from lettergen.send.runner import read_manifest

        ledger.sync(read_manifest(tmp_path / "c", ("pdf",)))
        ledger.claim(ledger.deliveries()[0], "email")  # interrupted while handing over
    args = [
        "send", "c", "-o", str(tmp_path), "--no-render", "--transport", "email",
        "--host", "", "--security", "none", "--from", "c@example.org",
        "--gateway", "{number}@fax.example.net", "--now",
    ]  # fmt: skip
    with smtp_server() as (server, port):
        args[args.index("--host") + 1] = f"127.0.0.1:{port}"
        first = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert first.exit_code == 1 and "sent 1, unknown 1" in first.output
        assert len(server.messages) == 1
        second = CliRunner().invoke(cli, [*args, "--resend-unknown"], catch_exceptions=False)
        assert second.exit_code == 0 and "sent 2" in second.output
    assert sorted(m["To"] for m in server.messages) == [
        "493012340000@fax.example.net",
        "493012340001@fax.example.net",
    ]
    with Ledger.beside(tmp_path / "c") as ledger:
        events = [e["detail"] for e in ledger.events(ledger.deliveries()[0].id)]
    assert any("--resend-unknown" in e for e in events)


def test_concurrency_above_one_is_said_to_be_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """One SMTP conversation at a time (docs/sending.md says why); --concurrency does not
    silently promise more."""
    assert transport(25, concurrency=4).concurrency == 1
    assert "email: one message at a time; concurrency 4 is ignored (interval paces it)" in (
        caplog.text
    )
