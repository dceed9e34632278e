"""The supporter page under gunicorn, a production WSGI server (pre-forked worker processes).

The campaign and directory are loaded once in the master process before it forks, so a
mistake in them stops the server at start with its file and line, and every worker shares the
loaded data. WeasyPrint is first touched in each worker after the fork (never shared across a
fork), where a first letter is laid out so the first supporter does not wait for the fonts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from lettergen.web.security import private_path, scrub

log = logging.getLogger(__name__)

#: gunicorn's access log: method, path (no query string), status, bytes, milliseconds. No
#: client address, referrer or user agent; form bodies are never logged by anyone.
ACCESS_LOG_FORMAT = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with private links masked in the access log and neither private
    links nor client addresses in its error log (gunicorn's own "Invalid request from
    ip=…" included)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = private_path(str(atoms.get("U", "")))
        return atoms

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().critical(_scrubbed(msg, args), **kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().error(_scrubbed(msg, args), **kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().warning(_scrubbed(msg, args), **kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().info(_scrubbed(msg, args), **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().debug(_scrubbed(msg, args), **kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().exception(_scrubbed(msg, args), **kwargs)


def _scrubbed(msg: object, args: tuple[Any, ...]) -> str:
    """The message with its arguments in place, scrubbed (a request's URI is an argument)."""
    text = str(msg)
    if args:
        try:
            text = text % args
        except (TypeError, ValueError):
            text = " ".join([text, *map(str, args)])
    return scrub(text)


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]):
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app


def run(
    app: Flask,
    *,
    host: str,
    port: int,
    workers: int,
    ready: Callable[[str], None],
    warm_up: Callable[[], None] | None = None,
    warmed: Callable[[int, float], None] | None = None,
    warm_rest: Callable[[threading.Event], int] | None = None,
    rested: Callable[[int, int, float], None] | None = None,
) -> None:
    """Serve `app` until interrupted; `ready` gets the address to open once it listens, and
    `warmed` each worker's process id and warm-up seconds once it takes requests. `warm_rest`
    then runs in a thread of each worker beside its requests (the letters the warm-up left
    for later), stopped when the worker exits; `rested` gets the worker's process id, what
    it returned and its seconds."""
    shown = f"[{host}]" if ":" in host else host
    stop = threading.Event()

    def when_ready(_server: Any) -> None:
        ready(f"http://{shown}:{port}/")

    def post_worker_init(worker: Any) -> None:
        start = time.monotonic()
        if warm_up is not None:
            try:
                warm_up()
            except Exception:  # a failed warm-up only means a slower first letter
                log.warning("warming up the worker failed", exc_info=True)
        if warmed is not None:
            warmed(worker.pid, time.monotonic() - start)
        if warm_rest is not None:
            threading.Thread(
                target=_rest, args=(worker.pid,), name="lay-out-ahead", daemon=True
            ).start()

    def _rest(pid: int) -> None:
        assert warm_rest is not None
        start = time.monotonic()
        try:
            count = warm_rest(stop)
        except Exception:  # as for the warm-up: slower letters, not a broken page
            log.warning("laying out letters ahead failed", exc_info=True)
            return
        if rested is not None and not stop.is_set():
            rested(pid, count, time.monotonic() - start)

    def worker_exit(_server: Any, _worker: Any) -> None:
        stop.set()

    _Server(
        app,
        {
            "bind": f"{shown}:{port}",
            "workers": workers,
            "worker_class": "sync",
            "timeout": 120,
            "graceful_timeout": 10,
            "accesslog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": AccessLogger,
            "errorlog": "-",
            "loglevel": "warning",
            "when_ready": when_ready,
            "post_worker_init": post_worker_init,
            "worker_exit": worker_exit,
            "proc_name": "lettergen-serve",
            # Headers larger than this are refused: a supporter's browser sends far less.
            "limit_request_field_size": 8190,
        },
    ).run()
