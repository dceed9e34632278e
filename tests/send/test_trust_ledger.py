"""The ledger and the manifest under attack and accident: paths that lead outside the folder,
a ledger deleted, emptied or replaced while `lettergen send` runs, a corrupt, locked or full
ledger. The sending cases run the real command against a real SMTP server (tests/smtp_server.py)
and count what it received: whatever happens to the ledger, no letter arrives twice."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_send_ledger import write_batch

from smtp_server import Handler, smtp_server

LETTERS = 12
LOST = "--i-know-the-ledger-was-lost"


def lettergen(folder: Path, port: int, *extra: str, timeout: float = 120) -> tuple[int, str]:
    done = subprocess.run(
        command(folder, port, *extra), capture_output=True, text=True, timeout=timeout
    )
    return done.returncode, done.stdout + done.stderr


def command(folder: Path, port: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "lettergen", "send", folder.name, "-o", str(folder.parent),
        "--no-render", "--transport", "email", "--host", f"127.0.0.1:{port}", "--security",
        "none", "--from", "campaign@example.org", "--gateway", "{number}@fax.example.net",
        "--now", *extra,
    ]  # fmt: skip


def one_line_error(output: str) -> str:
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


def received(server: Handler) -> Counter[str]:
    """Messages the gateway received, per fax number."""
    return Counter(str(m["To"]).split("@")[0] for m in server.messages)


def status(folder: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "lettergen", "status", folder.name, "-o", str(folder.parent),
         "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {k: v for k, v in json.loads(done.stdout)["counts"].items() if v}


# Paths from the manifest and the ledger


@pytest.mark.parametrize("how", ["dot-dot", "absolute", "symlink"])
def test_a_manifest_cannot_make_send_read_a_file_outside_its_folder(
    tmp_path: Path, how: str
) -> None:
    folder = tmp_path / "out" / "x"
    write_batch(folder, 2)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a letter\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    row = manifest["letters"][0]
    if how == "dot-dot":
        row["file"] = "../../secret.txt"
    elif how == "absolute":
        row["file"] = str(secret)
    else:
        (folder / "en" / "link.pdf").symlink_to(secret)
        row["file"] = "en/link.pdf"
    row["sha256"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with smtp_server() as (server, port):
        code, output = lettergen(folder, port)
    assert code == 1
    line = one_line_error(output)
    assert "manifest.json" in line and "outside" in line and row["file"] in line
    assert server.messages == []


def test_a_ledger_row_cannot_make_the_sender_read_a_file_outside_its_folder(
    tmp_path: Path,
) -> None:
    """A supporter folder's ledger edited to point a request at another file: the sender
    refuses it, sends nothing, and the purge does not delete that file either."""
    import threading

    from lettergen.errors import LettergenError
    from lettergen.send.config import SendConfig
    from lettergen.send.schedule import Policy
    from lettergen.supporters.rules import Rules
    from lettergen.supporters.service import Settings, run_sender
    from lettergen.supporters.store import Supporters

    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 someone else's file")
    with smtp_server() as (server, port):
        email = {
            "host": "127.0.0.1", "port": port, "security": "none",
            "from": "campaign@example.org", "gateway": "{number}@fax.example.net",
        }  # fmt: skip
        setup = Settings(
            folder=tmp_path / "supporters",
            config=SendConfig("email", Policy(ignore_hours=True), settings={"email": email}),
            rules=Rules(),
        )
        with Supporters.open(setup.folder, setup.rules, secret=b"k") as store:
            asked = store.ask(
                b"%PDF-1.4 a letter", pages=1, name="Anna Weber", organisation="", town="",
                office_id="de-berlin-embassy", fax="+493047007125", country="DE",
                language="en", address_key="a",
            )  # fmt: skip
            store.db.execute(
                "UPDATE requests SET file = ?, sha256 = ? WHERE id = ?",
                (
                    "../secret.pdf",
                    hashlib.sha256(secret.read_bytes()).hexdigest(),
                    asked.request.id,
                ),
            )
        with pytest.raises(LettergenError, match=r"outside"):
            run_sender(setup, stop=threading.Event(), once=True)
        assert server.messages == []
    assert secret.is_file()


# The ledger's identity while it is used


def _wait_for(server: Handler, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while len(server.messages) < count and time.monotonic() < deadline:
        assert process.poll() is None, "send ended before the ledger was touched"
        time.sleep(0.005)


def _lose(folder: Path, how: str) -> None:
    ledger = folder / "ledger.sqlite"
    if how == "deleted":
        for path in folder.glob("ledger.sqlite*"):
            path.unlink()
    elif how == "truncated":
        os.truncate(ledger, 0)
    elif how == "replaced":
        other = folder / "other.sqlite"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE t (x)")
        os.replace(other, ledger)


@pytest.mark.parametrize("how", ["deleted", "truncated", "replaced"])
def test_a_ledger_lost_during_send_stops_it_and_no_letter_goes_twice(
    tmp_path: Path, how: str
) -> None:
    folder = tmp_path / "out" / "x"
    write_batch(folder, LETTERS)
    with smtp_server(delay=0.05) as (server, port):
        process = subprocess.Popen(
            command(folder, port, "--interval", "0.05"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_for(server, 3, process)
            _lose(folder, how)
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 1, output
        line = one_line_error(output)
        assert "ledger.sqlite" in line and how in line, line
        first = len(server.messages)
        assert first < LETTERS, "the run went on after its ledger was lost"
        # A rerun does not start a new ledger behind the user's back ...
        code, output = lettergen(folder, port)
        assert code == 1
        line = one_line_error(output)
        assert LOST in line and "ledger.sqlite" in line, line
        assert len(server.messages) == first
        # ... and with the user's word, the new ledger sends only what never went.
        code, output = lettergen(folder, port, LOST)
        assert code == 0, output
        counts = received(server)
        assert max(counts.values()) == 1, counts  # 0 duplicates
        assert len(counts) == LETTERS
        assert status(folder) == {"sent": LETTERS}
        code, output = lettergen(folder, port)  # and later runs go on as usual
        assert code == 0, output
        assert len(server.messages) == LETTERS


def test_a_replaced_ledger_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "x"
    write_batch(folder, 3)
    with smtp_server() as (server, port):
        assert lettergen(folder, port)[0] == 0
        assert len(server.messages) == 3
        shutil.copy(folder / "ledger.sqlite", tmp_path / "backup.sqlite")
        for path in folder.glob("ledger.sqlite*"):
            path.unlink()
        with sqlite3.connect(folder / "ledger.sqlite") as db:
            db.execute("CREATE TABLE t (x)")  # another file where the ledger was
        code, output = lettergen(folder, port)
        assert code == 1 and LOST in one_line_error(output)
        assert len(server.messages) == 3
        # The ledger put back (a backup): it is the same ledger, and it goes on.
        for path in folder.glob("ledger.sqlite*"):
            path.unlink()
        shutil.copy(tmp_path / "backup.sqlite", folder / "ledger.sqlite")
        code, output = lettergen(folder, port)
        assert code == 0, output
        assert len(server.messages) == 3


# One-line errors


def test_a_corrupt_ledger_is_one_line_in_status_and_send(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "x"
    write_batch(folder, 2)
    (folder / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    for args in (["status", "x"], ["send", "x", "--no-render"]):
        done = subprocess.run(
            [sys.executable, "-m", "lettergen", *args, "-o", str(folder.parent)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1, done.stderr
        line = one_line_error(done.stdout + done.stderr)
        assert "ledger.sqlite" in line and "not a delivery ledger" in line, line


def test_a_ledger_locked_by_another_program_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from lettergen.cli import cli
    from lettergen.send import ledger as ledgers

    monkeypatch.setattr(ledgers, "BUSY_SECONDS", 0.5)
    folder = tmp_path / "out" / "x"
    write_batch(folder, 2)
    assert (
        CliRunner().invoke(cli, ["send", "x", "-o", str(folder.parent), "--no-render"]).exit_code
        == 0
    )
    other = sqlite3.connect(folder / "ledger.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["send", "x", "-o", str(folder.parent), "--no-render"])
        assert time.monotonic() - started < 10
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "ledger.sqlite" in line and "locked" in line, line


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    """Fill the file system to its last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_a_full_disk_at_start_and_mid_run_is_one_line_and_sends_nothing_twice(
    small_fs: Path,
) -> None:
    folder = small_fs / "out" / "x"
    write_batch(folder, 4)
    _fill(small_fs)
    with smtp_server() as (server, port):
        code, output = lettergen(folder, port)
        assert code == 1
        line = one_line_error(output)
        assert "no space left" in line or "disk is full" in line, line
        assert server.messages == []
        (small_fs / "filler").unlink()

        # Mid-run: the disk fills up while the first letter is handed over.
        original = Handler.handle_DATA

        async def fill_then_accept(self, *args):  # type: ignore[no-untyped-def]
            if not self.messages:
                _fill(small_fs)
            return await original(self, *args)

        Handler.handle_DATA = fill_then_accept  # type: ignore[method-assign]
        try:
            code, output = lettergen(folder, port)
        finally:
            Handler.handle_DATA = original  # type: ignore[method-assign]
        assert code == 1
        line = one_line_error(output)
        assert "no space left" in line or "disk is full" in line, line
        assert len(server.messages) == 1
        (small_fs / "filler").unlink()
        code, output = lettergen(folder, port)
        counts = received(server)
        assert max(counts.values()) == 1 and len(server.messages) == 4, counts


# Private files


def test_ledgers_and_supporter_letters_are_private(tmp_path: Path) -> None:
    from lettergen.supporters.rules import Rules
    from lettergen.supporters.store import Supporters

    with Supporters.open(tmp_path / "supporters", Rules(), secret=b"k") as store:
        store.ask(
            b"%PDF-1.4 x", pages=1, name="Anna Weber", organisation="", town="",
            office_id="o", fax="+493047007125", country="DE", language="en", address_key="a",
        )  # fmt: skip
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (tmp_path / "supporters").rglob("*")
            if p.is_file()
        }
    assert {name for name in modes if name.startswith("ledger.sqlite")} >= {
        "ledger.sqlite",
        "ledger.sqlite-wal",
    }
    assert all(mode == 0o600 for mode in modes.values()), modes
    assert stat.S_IMODE((tmp_path / "supporters" / "letters").stat().st_mode) == 0o700


def test_a_corrupt_supporter_ledger_is_one_line_for_every_supporters_command(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "supporters"
    folder.mkdir()
    (folder / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    config = tmp_path / "x.send.toml"
    config.write_text(f'transport = "dry-run"\n[fax_for_me]\nfolder = "{folder}"\n')
    from conftest import SEED_CAMPAIGN as campaign

    for command in (["list"], ["purge"], ["approve", "1"], ["send", "--once"]):
        done = subprocess.run(
            [sys.executable, "-m", "lettergen", "supporters", command[0], str(campaign),
             *command[1:], "--config", str(config)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 1, (command, done.stdout + done.stderr)
        line = one_line_error(done.stdout + done.stderr)
        assert "ledger.sqlite" in line and "not a delivery ledger" in line, line


def test_a_letter_the_journal_says_went_is_resent_only_when_a_person_asks(
    tmp_path: Path,
) -> None:
    """After a lost ledger, a letter handed over but not known to be sent is `unknown`;
    --resend-unknown sends it (once), and later runs do not take it back to `unknown`."""
    from lettergen.send.identity import Journal, read_journal
    from lettergen.send.ledger import Delivery

    folder = tmp_path / "out" / "x"
    letters = write_batch(folder, 2)
    with smtp_server(refuse_mechanisms=()) as (server, port):
        journal = Journal(folder)
        first = letters[0]
        journal.handed(
            "0123456789ab",
            Delivery(
                1, first.office_id, first.signer, first.fax, "DE", "en", first.file,
                first.sha256, 1, "sending", 1, "email", None, None, None, None, None, None,
            ),  # type: ignore[arg-type]
        )  # fmt: skip
        journal.close()
        (folder / "ledger.id").write_text("0123456789ab\n")
        code, output = lettergen(folder, port)
        assert code == 1 and LOST in one_line_error(output)
        code, output = lettergen(folder, port, LOST)
        assert code == 1, output  # one letter is unknown: a person must look
        assert received(server) == Counter({letters[1].fax.lstrip("+"): 1})
        assert status(folder) == {"sent": 1, "unknown": 1}
        code, output = lettergen(folder, port, "--resend-unknown")
        assert code == 0, output
        assert status(folder) == {"sent": 2}
        assert lettergen(folder, port)[0] == 0
        assert len(server.messages) == 2
    assert [r["event"] for r in read_journal(folder)][:2] == ["handed", "handed"]
