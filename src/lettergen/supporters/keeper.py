"""Keeps `lettergen supporters send` running beside the supporter page.

Supporters who asked for a fax are waiting on the sender: if it stops (a crash, an out-of-memory
kill, a bug), their letters would sit in the queue while the page kept accepting more. The
keeper watches the process from a thread of `lettergen serve`, says when it stopped, and starts
it again after a pause that doubles with each quick failure (up to five minutes, back to the
first pause once it has run for ten), so a sender that cannot start does not spin.

The sender runs in a session of its own, so a Ctrl-C meant for the page reaches only the page,
which then stops the sender itself (`stop()`: the letter in hand is finished first); the
command it is given should make it stop by itself if the page dies (`--parent-pid`). Its exit
status is not always known: gunicorn's master reaps every child it has, ours included.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

FIRST_PAUSE = 2.0  # seconds before the first restart
LONGEST_PAUSE = 300.0
HEALTHY_AFTER = 600.0  # a sender that ran this long starts again after the first pause
STOP_WAIT = 30.0  # seconds the sender has to finish the letter in hand when asked to stop


class SenderKeeper:
    """Starts `command`, restarts it when it ends on its own, stops it on `stop()`.
    `say` gets one line for the group's console each time the sender stops or starts again."""

    def __init__(
        self,
        command: Sequence[str],
        say: Callable[[str], None] = log.warning,
        *,
        first_pause: float = FIRST_PAUSE,
    ) -> None:
        self.command = list(command)
        self.say = say
        self.first_pause = first_pause
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process = self._start()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="sender-keeper", daemon=True)
        self._thread.start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command, start_new_session=True)

    @property
    def pid(self) -> int:
        with self._lock:
            return self._process.pid

    def _watch(self) -> None:
        pause = self.first_pause
        while not self._stopping.is_set():
            with self._lock:
                code = self._process.poll()
            if code is None:
                self._stopping.wait(0.5)
                continue
            if time.monotonic() - self._started > HEALTHY_AFTER:
                pause = self.first_pause
            # 0 also when another process reaped it first (gunicorn's master reaps all).
            status = f" (exit status {code})" if code else ""
            self.say(
                f"The fax sender stopped{status}; starting it again in {pause:.0f} s. "
                "Letters wait in the queue meanwhile."
            )
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._start()
                self._started = time.monotonic()
                self.restarts += 1
            self.say(f"The fax sender is running again (process {self._process.pid}).")
            pause = min(pause * 2, LONGEST_PAUSE)

    def stop(self) -> None:
        """Ask the sender to finish the letter in hand (SIGTERM), wait for it, and stop
        watching; a sender that does not finish in time is killed."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._thread.join(timeout=5)
