"""A real fax transmission: `lettergen send --transport hylafax` faxes a batch's letter from one
HylaFAX modem to the other over the loopback line (see hylafax_loopback.py), and the received
image is the letter sent. Two transmissions in all (about 35-60 s each): the ledger's rules are
tested without a modem in test_send_ledger.py.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import SEED_CAMPAIGN
from lettergen.send.ledger import Ledger

NAME = "free-zhanusov-2002"
TAG_ROWS = 32  # the sender's tag line ("From ttyIAX0 … Page 1 of 1") sits in the top rows


@pytest.fixture(scope="session")
def fax_line() -> Iterator[object]:
    from hylafax_loopback import loopback, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(f"no fax loopback: {reason}")
    with loopback() as loop:
        yield loop


#: After a call the modems report "Running and idle" before the line is free again: a dial
#: at once gets "No local dialtone" (seen when two transmissions follow each other).
SETTLE_SECONDS = 15


@pytest.fixture
def idle_line(fax_line):  # type: ignore[no-untyped-def]
    """The fax line, its modems idle and settled since any earlier call."""
    deadline = time.monotonic() + 120
    while not fax_line.modems_idle():
        assert time.monotonic() < deadline, "the fax modems did not become idle"
        time.sleep(1)
    time.sleep(SETTLE_SECONDS)
    return fax_line


def batch(folder: Path, office: str) -> Path:
    """One letter of the seed campaign, as PDF and fax TIFF, with its manifest."""
    import lettergen

    options = lettergen.BatchOptions(
        SEED_CAMPAIGN,
        lettergen.Targets(offices=(office,)),
        formats=("pdf", "tiff"),
        output=folder,
    )
    lettergen.run_batch(lettergen.prepare(options))
    return folder / NAME


def send(loop, out: Path, *extra: str, **kwargs: object):  # type: ignore[no-untyped-def]
    args = [sys.executable, "-m", "lettergen", "send", NAME, "-o", str(out), "--no-render",
            "--transport", "hylafax", "--host", "127.0.0.1", "--modem", "ttyIAX0", "--now",
            *extra]  # fmt: skip
    return loop.popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def pages(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(np.array(image.convert("1")))  # True = white
        return frames


def job_state(loop, home: Path, tag: str) -> str:  # type: ignore[no-untyped-def]
    """The HylaFAX state letter of the job tagged `tag` (P, W, R, D, F …), or ''."""
    (home / ".hylarc").write_text('JobFmt: "%J|%a"\n')
    listing = loop.run(["env", f"HOME={home}", "faxstat", "-h", "127.0.0.1", "-s", "-d"]).stdout
    states = [line.split("|")[1] for line in listing.splitlines() if line.startswith(tag + "|")]
    return states[0] if states else ""


def assert_same_letter(sent: Path, received: Path) -> None:
    """Same page count; each page equal to the one sent, except the tag line at the top and
    white rows a receiver may trim from the bottom."""
    ours, theirs = pages(sent), pages(received)
    assert len(theirs) == len(ours)
    for page, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        assert a.shape[1] == b.shape[1] == 1728
        height = min(a.shape[0], b.shape[0])
        assert height > 0.9 * a.shape[0], f"page {page}: {b.shape[0]} of {a.shape[0]} rows"
        differing = np.nonzero((a[:height] != b[:height]).any(axis=1))[0]
        assert differing.size == 0 or differing.max() < TAG_ROWS, (page, differing[-5:])
        assert a[height:].all(), f"page {page}: rows with ink were cut off"


def finished(process: subprocess.Popen[bytes], timeout: float = 240) -> str:
    """The output of a `lettergen send` that must end well in time; killed (and its pipe
    closed) if it does not, so no process outlives the test."""
    try:
        output = process.communicate(timeout=timeout)[0].decode()
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, output
    return output


def test_a_letter_is_faxed_and_arrives_as_written(idle_line, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = batch(tmp_path, "de-berlin-embassy")
    before = set(idle_line.received())
    # A crash before sendfax ran leaves the row `sending` with no job on the server: the
    # restart finds no job with the attempt's tag and sends it (attempt 2), once.
    with Ledger.beside(folder) as ledger:
        from lettergen.send.runner import read_manifest

        ledger.sync(read_manifest(folder))
        (row,) = ledger.deliveries()
        ledger.claim(row, "hylafax")
    started = time.monotonic()
    output = finished(send(idle_line, tmp_path))
    elapsed = time.monotonic() - started
    with Ledger.beside(folder) as ledger:
        (row,) = ledger.deliveries()
        assert (row.state, row.attempts) == ("sent", 2), output
        assert any("no job with this attempt's tag" in e["detail"] for e in ledger.events(row.id))
        tag = ledger.tag(row)
    (received,) = set(idle_line.received()) - before
    assert_same_letter(folder / row.file, received)
    sends = [line for line in idle_line.xferfaxlog().splitlines() if f'"{tag}"' in line]
    assert len(sends) == 1 and "\tSEND\t" in sends[0]
    # The proof: the remote station id (CSID) and pages as HylaFAX recorded the call, in the
    # ledger and in the letter's transmission report.
    fields = sends[0].split("\t")
    csid, logged_pages = fields[8].strip('"'), int(fields[10])
    assert csid == "lettergen 2000"  # the receiving modem's LocalIdentifier
    assert (row.remote_id, row.pages_sent, row.last_error) == (csid, logged_pages, None)
    assert logged_pages == row.pages
    report_run = idle_line.run(
        [sys.executable, "-m", "lettergen", "status", NAME, "-o", str(tmp_path), "--report"]
    )
    assert report_run.returncode == 0, report_run.stdout + report_run.stderr
    stem = folder / "reports" / "en" / "de-berlin-embassy--fax"
    report = json.loads(stem.with_suffix(".json").read_text())
    assert (report["remote_id"], report["pages_sent"], report["job_id"]) == (
        csid,
        logged_pages,
        row.job_id,
    )
    assert report["to"] == "+493047007125" and report["time_zone"] == "Europe/Berlin"
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(stem.with_suffix(".pdf")), "-"], capture_output=True, text=True
        ).stdout.split()
    )
    assert f"Remote station id (CSID) {csid}" in text
    assert f"Pages {logged_pages} of {row.pages}" in text
    assert f"Fax server job {row.job_id}" in text
    sys.stderr.write(
        f"hylafax loopback: {row.pages} page(s) sent and confirmed in {elapsed:.0f} s, "
        f"remote station {csid!r}\n"
    )


def test_kill_9_during_a_transmission_then_reconciled_by_tag(idle_line, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = batch(tmp_path, "it-rome-embassy")
    before = set(idle_line.received())
    # The state a crash leaves between sendfax's answer and the job id reaching the ledger:
    # the row `sending`, the job queued on the server under the attempt's tag.
    with Ledger.beside(folder) as ledger:
        from lettergen.send.runner import read_manifest

        ledger.sync(read_manifest(folder))
        (row,) = ledger.deliveries()
        row = ledger.claim(row, "hylafax")
        tag = ledger.tag(row)
    queued = idle_line.run(["sendfax", "-n", "-m", "-h", "ttyIAX0@127.0.0.1", "-i", tag, "-T",
                           "1", "-t", "1", "-d", row.fax, str(folder / row.file)])  # fmt: skip
    assert "request id is" in queued.stdout, queued.stdout + queued.stderr
    # lettergen finds the job by its tag and follows it; kill -9 while the modem transmits.
    process = send(idle_line, tmp_path)
    try:
        deadline = time.monotonic() + 120
        while job_state(idle_line, tmp_path, tag) != "R":
            assert time.monotonic() < deadline, "the transmission never started"
            time.sleep(0.5)
        time.sleep(10)  # well into the call: dialled, answered, the page on its way
        with Ledger.beside(folder) as ledger:
            deadline = time.monotonic() + 30
            while not ledger.get(row.id).job_id:
                assert time.monotonic() < deadline, "the job was not reconciled"
                time.sleep(0.2)
        process.kill()
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
    with Ledger.beside(folder) as ledger:
        killed = ledger.get(row.id)
        assert killed.state == "sending" and killed.job_id, killed
    finished(send(idle_line, tmp_path))  # the restart polls the job until it is done
    with Ledger.beside(folder) as ledger:
        done = ledger.get(row.id)
        assert (done.state, done.attempts, done.job_id) == ("sent", 1, killed.job_id)
        assert any("reconciled" in e["detail"] for e in ledger.events(row.id))
    (received,) = set(idle_line.received()) - before  # exactly one fax arrived
    assert_same_letter(folder / row.file, received)
    sends = [line for line in idle_line.xferfaxlog().splitlines() if f'"{tag}"' in line]
    assert len(sends) == 1


WARSAW = "pl-warsaw-embassy"
WARSAW_EMAIL = "kazdipmis@hot.pl"


def test_a_fax_nobody_answers_falls_back_to_email_once(idle_line, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Warsaw's fax rings and nobody answers (the receiving modem is told not to answer).
    With `channels: [fax, email]` and one try per number, the letter goes on to the embassy's
    own address over a real SMTP server: it arrives once, by e-mail, and no fax arrives; a
    second run, with the fax answering again, sends nothing more."""
    import lettergen

    text = SEED_CAMPAIGN.read_text(encoding="utf-8")
    campaign = tmp_path / "dead-line.yaml"
    campaign.write_text(text + "\nchannels: [fax, email]\n", encoding="utf-8")
    options = lettergen.BatchOptions(
        campaign, lettergen.Targets(offices=(WARSAW,)), formats=("pdf", "tiff"), output=tmp_path
    )
    lettergen.run_batch(lettergen.prepare(options))
    folder = tmp_path / "dead-line"
    mail = tmp_path / "mail"
    mail.mkdir()
    # The SMTP server runs in the fax line's network namespace: lettergen runs there and
    # reaches only the namespace's 127.0.0.1.
    server = idle_line.popen(
        [sys.executable, str(Path(__file__).parents[1] / "smtp_server.py"), str(mail)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    before = set(idle_line.received())
    try:
        assert server.stdout is not None and server.stdin is not None
        port = int(server.stdout.readline())
        config = tmp_path / "send.toml"
        config.write_text(
            'transport = "hylafax"\n[retry]\nattempts = 1\n'
            '[hylafax]\nhost = "127.0.0.1"\nmodem = "ttyIAX0"\n'
            f'[email]\nhost = "127.0.0.1:{port}"\nsecurity = "none"\n'
            'from = "campaign@example.org"\n'
        )
        args = [sys.executable, "-m", "lettergen", "send", str(campaign), "-o", str(tmp_path),
                "--no-render", "--config", str(config), "--now"]  # fmt: skip
        deaf = idle_line.run(["faxconfig", "-m", "ttyIAX1", "RingsBeforeAnswer", "0"])
        assert deaf.returncode == 0, deaf.stdout + deaf.stderr
        try:
            started = time.monotonic()
            output = finished(
                idle_line.popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), 420
            )
            elapsed = time.monotonic() - started
        finally:
            idle_line.run(["faxconfig", "-m", "ttyIAX1", "RingsBeforeAnswer", "1"])
        # The line answers again: a second run sends the letter by no channel a second time.
        again = finished(idle_line.popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        server.stdin.close()
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for stream in (server.stdin, server.stdout):
            if stream is not None and not stream.closed:
                stream.close()
    assert set(idle_line.received()) == before  # no fax arrived
    with Ledger.beside(folder) as ledger:
        fax, mailed = ledger.deliveries()
        tag = ledger.tag(fax)
    assert (fax.channel, fax.state) == ("fax", "failed"), output
    assert (mailed.channel, mailed.state, mailed.fallback_from) == ("email", "sent", fax.id)
    assert mailed.to == WARSAW_EMAIL and mailed.last_error is None
    assert mailed.why.startswith(f"fax {fax.fax} failed: "), mailed.why
    # HylaFAX's own record of the call that nobody answered.
    calls = [line for line in idle_line.xferfaxlog().splitlines() if f'"{tag}"' in line]
    assert len(calls) <= 1 and all("\tSEND\t" in line for line in calls)
    messages = sorted(mail.glob("*.eml"))
    assert len(messages) == 1, (output, again)  # once, across both runs
    message = email.message_from_bytes(messages[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == WARSAW_EMAIL and message["Reply-To"] == "solidarity@example.org"
    assert message["Message-ID"] == mailed.job_id
    (attachment,) = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_content() == (folder / mailed.file).read_bytes()
    assert "falling back to email" in output and "sending by" not in again
    sys.stderr.write(
        f"hylafax loopback: a fax nobody answered failed after {elapsed:.0f} s "
        f"({fax.last_error!r}); the letter went by e-mail, once\n"
    )


def test_as_many_faxes_in_flight_as_the_server_has_modems(fax_line) -> None:  # type: ignore[no-untyped-def]
    """The modem count is read from the real server's `faxstat` (two modems on the line);
    a named modem means one fax at a time."""
    probe = (
        "from lettergen.send.transports import create\n"
        "for settings in ({}, {'modem': 'ttyIAX0'}):\n"
        "    t = create('hylafax', {'host': '127.0.0.1', 'concurrency': 4, **settings})\n"
        "    t.prepare()\n"
        "    print(t.concurrency)\n"
    )
    done = fax_line.run([sys.executable, "-c", probe])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "1"], done.stdout + done.stderr
