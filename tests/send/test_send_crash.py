"""Crash tests: `lettergen send` killed with SIGKILL at random moments while it mails 24
letters to a real SMTP server, restarted, killed again… At the end every letter reached the
server exactly once and is `sent`, or reached it at most once and is `unknown` (reported,
waiting for a person): never two, never missing. SIGTERM instead stops cleanly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from test_send_ledger import write_batch

from lettergen.send.ledger import Ledger
from smtp_server import Handler, smtp_server

LETTERS = 24
KILLS = 8


def command(folder: Path, port: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "lettergen", "send", folder.name, "-o", str(folder.parent),
        "--no-render", "--transport", "email", "--host", f"127.0.0.1:{port}", "--security",
        "none", "--from", "campaign@example.org", "--gateway", "{number}@fax.example.net",
        "--now", *extra,
    ]  # fmt: skip


def received_per_delivery(server: Handler, ledger: Ledger) -> Counter[int]:
    """Messages the server accepted, per ledger row (the tag names row and attempt)."""
    prefix = f"lettergen-{ledger.ledger_id}-"
    counts: Counter[int] = Counter()
    for message in server.messages:
        tag = message["X-Lettergen-Tag"]
        assert tag.startswith(prefix), tag
        counts[int(tag[len(prefix) :].split("-")[0])] += 1
    return counts


def test_kill_9_at_random_moments_never_twice_never_lost(tmp_path: Path) -> None:
    folder = tmp_path / "crash"
    write_batch(folder, LETTERS)
    seed = int(os.environ.get("LETTERGEN_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    kills = runs = 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The server sits 40 ms on each message, so that kills land while one is handed over.
    with smtp_server(delay=0.04) as (server, port):
        while runs < 40:
            runs += 1
            process = subprocess.Popen(
                command(folder, port, "--interval", "0.02"),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                if kills < KILLS:
                    # A random moment: after 0-4 more messages arrive, plus up to 80 ms (0 more:
                    # while it starts or reconciles), however fast this machine is.
                    target = len(server.messages) + rng.randint(0, 4)
                    deadline = time.monotonic() + 60
                    while len(server.messages) < target and time.monotonic() < deadline:
                        if process.poll() is not None:
                            break
                        time.sleep(0.005)
                    time.sleep(rng.uniform(0, 0.08))
                    if process.poll() is None:
                        process.kill()  # SIGKILL: no handler, no cleanup
                        process.wait()
                        kills += 1
                        continue
                process.wait(timeout=120)
            finally:
                assert process.stdout is not None
                output = process.stdout.read().decode()
                process.stdout.close()
            assert process.returncode in (0, 1), output  # finished: all sent, or some unknown
            assert "Traceback" not in output
            break
        else:
            raise AssertionError(f"no run finished in {runs} runs (seed {seed})")
    with Ledger.beside(folder) as ledger:
        rows = ledger.deliveries()
        received = received_per_delivery(server, ledger)
        states = Counter(d.state for d in rows)
    assert len(rows) == LETTERS
    assert set(states) <= {"sent", "unknown"}, states
    for row in rows:
        if row.state == "sent":
            assert received[row.id] == 1, (row, seed)
        else:
            assert received[row.id] <= 1, (row, seed)
    assert max(received.values()) == 1  # never two
    if states["unknown"]:
        status = subprocess.run(
            [sys.executable, "-m", "lettergen", "status", "crash", "-o", str(tmp_path), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        reported = [r for r in json.loads(status.stdout)["letters"] if r["state"] == "unknown"]
        assert len(reported) == states["unknown"]
    figures = (
        f"crash test (seed {seed}): {runs} runs, {kills} kill -9, {len(server.messages)} "
        f"messages for {LETTERS} letters, sent {states['sent']}, unknown {states['unknown']}, "
        f"duplicates {sum(n - 1 for n in received.values() if n > 1)}, "
        f"lost {LETTERS - states['sent'] - states['unknown']}"
    )
    (tmp_path / "figures.txt").write_text(figures)
    sys.stderr.write(figures + "\n")
    assert kills >= 1, figures


def test_sigterm_finishes_the_letter_in_hand_and_a_restart_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "term"
    write_batch(folder, 8)
    with smtp_server(delay=0.3) as (server, port):
        process = subprocess.Popen(
            command(folder, port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while not server.messages and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.15)  # now in the middle of the next message
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0].decode()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, output
        assert "SIGTERM: stopping after the current letter" in output
        with Ledger.beside(folder) as ledger:
            states = Counter(d.state for d in ledger.deliveries())
        assert states["sending"] == 0 and states["unknown"] == 0, states
        assert 1 <= states["sent"] < 8 and states["sent"] == len(server.messages)
        again = subprocess.run(command(folder, port), capture_output=True, check=False)
        assert again.returncode == 0, again.stdout + again.stderr
    with Ledger.beside(folder) as ledger:
        assert [d.state for d in ledger.deliveries()] == ["sent"] * 8
        assert sorted(received_per_delivery(server, ledger).values()) == [1] * 8
