"""`lettergen serve` as a real subprocess for the browser tests: started on a free port on
127.0.0.1, waited for until it says where to open it, and stopped (with every process it
started) even when a test fails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    *options: str,
    log: Path,
    env: dict[str, str] | None = None,
    campaign: str = "free-zhanusov-2002",
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`lettergen serve CAMPAIGN --port P OPTIONS…`, its output in `log`; yields the address
    to open and the process. Its whole process group is stopped at the end."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "lettergen", "serve", campaign, "--port", str(port)]
    if "--warm-up" not in options:
        # The other wordings laid out in the background would only compete with the tests'
        # requests for the two cores; test_web_warm.py covers them.
        command += ["--warm-up", "first"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, *options],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + 120
        url = f"http://127.0.0.1:{port}/"
        # Listening ("Open …"), then every worker warmed up (each says "Worker … ready"): the
        # tests' first requests do not wait behind the warm-up and its time limit.
        workers = int(options[options.index("--workers") + 1]) if "--workers" in options else 1
        while (
            f"Open {url} in your browser" not in (text := log.read_text(errors="replace"))
            or text.count("ready (letters of every office laid out") < workers
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url, process
    finally:
        # The whole group, even when serve itself is gone (a test may kill it): its gunicorn
        # workers would otherwise linger until they notice their parent changed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + 20
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def processes_with(text: str) -> list[int]:
    """Processes whose command line holds `text` (read from /proc; nothing is signalled)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
