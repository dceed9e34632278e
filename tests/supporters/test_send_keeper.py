"""The sender beside the supporter page is kept running: restarted when it stops on its own,
with growing pauses when it keeps failing, and stopped with the page."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from lettergen.supporters.keeper import SenderKeeper
from serve_process import processes_with, serving


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie not yet reaped counts as gone.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def _wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_killed_sender_is_started_again_and_stopped_with_the_keeper() -> None:
    said: list[str] = []
    keeper = SenderKeeper(
        [sys.executable, "-c", "import time; time.sleep(120)"], said.append, first_pause=0.2
    )
    try:
        first = keeper.pid
        os.kill(first, signal.SIGKILL)
        assert _wait_for(lambda: keeper.pid != first, 10), "restarted"
        second = keeper.pid
        assert _alive(second) and not _alive(first)
        assert said[0].startswith("The fax sender stopped (exit status -9)")
        assert _wait_for(lambda: len(said) == 2, 5) and "running again" in said[1]
    finally:
        keeper.stop()
    assert not _alive(second)
    time.sleep(0.5)
    assert keeper.pid == second, "nothing started after stop()"


def test_a_sender_that_keeps_failing_is_restarted_ever_more_slowly() -> None:
    said: list[str] = []
    keeper = SenderKeeper(
        [sys.executable, "-c", "raise SystemExit(3)"], said.append, first_pause=0.1
    )
    try:
        time.sleep(2.0)
    finally:
        keeper.stop()
    stops = [line for line in said if line.startswith("The fax sender stopped")]
    assert stops and all("exit status 3" in line for line in stops)
    # Pauses of 0.1, 0.2, 0.4, 0.8 s (plus start-up time): at most five restarts in 2 s, not
    # the dozens a loop without pauses would make.
    assert 2 <= keeper.restarts <= 5, said


def _fax_for_me(tmp_path: Path) -> tuple[tuple[str, ...], str]:
    """serve's options for Fax it for me with the dry-run transport, and the sender's command
    line as /proc shows it (serve and its workers name the config too)."""
    config = tmp_path / "campaign.send.toml"
    config.write_text(
        f'transport = "dry-run"\n[fax_for_me]\npoll_seconds = 0.5\n'
        f'folder = "{tmp_path / "supporters"}"\n',
        encoding="utf-8",
    )
    options = ("--fax-for-me", "--config", str(config), "--workers", "1")
    return options, f"supporters\0send\0free-zhanusov-2002\0--config\0{config}"


def test_serve_starts_its_sender_again_when_it_dies(tmp_path: Path) -> None:
    options, mark = _fax_for_me(tmp_path)
    log = tmp_path / "serve.log"
    with serving(*options, log=log) as (_, process):
        assert _wait_for(lambda: bool(processes_with(mark)), 20), "the sender started"
        (first,) = processes_with(mark)
        os.kill(first, signal.SIGKILL)
        again = lambda: [p for p in processes_with(mark) if p != first]  # noqa: E731
        assert _wait_for(lambda: bool(again()), 20), log.read_text()
        # Its exit status went to gunicorn's master, which reaps every child.
        assert "The fax sender stopped; starting it again in 2 s." in log.read_text()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        assert log.read_text().count("The fax sender stopped") == 1, "not restarted on stop"
    assert processes_with(mark) == []


def test_the_sender_stops_by_itself_when_serve_is_killed(tmp_path: Path) -> None:
    """serve killed outright cannot stop its sender: the sender notices and stops."""
    options, mark = _fax_for_me(tmp_path)
    with serving(*options, log=tmp_path / "serve.log") as (_, process):
        assert _wait_for(lambda: bool(processes_with(mark)), 20), "the sender started"
        (sender,) = processes_with(mark)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert _wait_for(lambda: not _alive(sender), 15), "the sender stopped by itself"
