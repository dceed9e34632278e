"""The supporter page under attack and accident: a locked supporter ledger, logs that must hold
no token and no client address, a forged Host header, password guessing on /admin, and the
per-address limit behind a reverse proxy (a real nginx, started by the test)."""

from __future__ import annotations

import base64
import html
import http.client
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_web_fax import FAX_FORM, HIDDEN, Clock, app_for, ask, settings, token_of

from conftest import SEED_CAMPAIGN
from lettergen.web import Site, create_app
from serve_process import free_port, serving


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED_CAMPAIGN)


# A locked ledger


def test_a_locked_supporter_ledger_is_a_quick_friendly_page_and_logs_no_token(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    setup = settings(tmp_path)
    client = app_for(site, setup, Clock())
    token = token_of(ask(client))
    other = sqlite3.connect(setup.folder / "ledger.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.DEBUG):
            started = time.monotonic()
            page = client.get(f"/fax/{token}")
            took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert took < 8, took
    assert page.status_code == 503
    assert "try again" in page.text.lower()
    assert token not in caplog.text
    assert client.get(f"/fax/{token}").status_code == 200  # once the lock is gone


def test_an_unexpected_error_on_a_private_link_logs_no_token(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lettergen.supporters.store import Supporters

    setup = settings(tmp_path)
    client = app_for(site, setup, Clock())
    token = token_of(ask(client))

    def broken(self: Any, token: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Supporters, "find", broken)
    with caplog.at_level(logging.DEBUG):
        page = client.get(f"/fax/{token}")
    assert page.status_code == 500
    assert "/fax/" in caplog.text and token not in caplog.text


# Redirects and the Host header


def test_a_redirect_never_carries_a_forged_host(site: Site) -> None:
    """Werkzeug answers a path with doubled slashes with a 308 to the merged one, and built
    its address from the Host header."""
    client = create_app(site, letters_per_minute=0).test_client()
    for path, merged in [("//", "/"), ("/fax//abc", "/fax/abc"), ("/static//style.css", None)]:
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 308
        location = response.headers["Location"]
        assert "evil.example" not in location and location.startswith("/"), location
        assert not location.startswith("//")
        if merged:
            assert location == merged


# /admin


def test_admin_password_guesses_are_throttled_per_client(site: Site, tmp_path: Path) -> None:
    from lettergen.web import security

    clock = [1000.0]
    client = create_app(
        site,
        letters_per_minute=0,
        admin_password="s3cret",
        fax_for_me=settings(tmp_path),
        secret=b"k",
        monotonic=lambda: clock[0],
    ).test_client()

    def login(password: str, address: str = "192.0.2.1") -> int:
        auth = base64.b64encode(f"group:{password}".encode()).decode()
        return int(
            client.get(
                "/admin",
                headers={"Authorization": f"Basic {auth}"},
                environ_base={"REMOTE_ADDR": address},
            ).status_code
        )

    assert login("s3cret") == 200
    codes = [login(f"guess-{n}") for n in range(security.ADMIN_FAILURES + 5)]
    assert codes[: security.ADMIN_FAILURES] == [401] * security.ADMIN_FAILURES
    assert set(codes[security.ADMIN_FAILURES :]) == {429}
    assert login("s3cret") == 429  # even the right password waits: guessing is stopped
    assert login("s3cret", "192.0.2.2") == 200  # another client is not held up
    clock[0] += security.ADMIN_WINDOW + 1
    assert login("s3cret") == 200


# Logs of the real server


def test_the_server_logs_no_client_address_even_for_an_invalid_request(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serving("--workers", "1", log=log) as (url, _process):
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n")
            sock.recv(4096)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"NOT-A-REQUEST\r\n\r\n")
            sock.recv(4096)
        time.sleep(0.5)
    text = log.read_text(errors="replace")
    assert "Invalid request" in text  # gunicorn did log the refusal …
    assert "127.0.0.1" not in text.replace(url, "")  # … without the client's address


# The per-address limit behind a reverse proxy


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@contextmanager
def nginx_in_front(folder: Path, upstream: int) -> Iterator[int]:
    """nginx on 127.0.0.1, proxying to the page as docs/serving.md shows; stopped at the end."""
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian package nginx-light or nginx)")
    port = free_port()
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
    )
    with (folder / "logs" / "stderr.log").open("wb") as errors:
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = (folder / "logs" / "stderr.log").read_text(errors="replace")
                    pytest.fail(f"nginx did not start: {error}")
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Browser:
    """One supporter at a loopback address of their own (127.0.0.2, 127.0.0.3 …): nginx
    sees that address, as it would a supporter's on the internet."""

    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookie = port, address, ""

    def request(self, method: str, path: str, body: str = "", **headers: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.address, 0)
        )
        try:
            sent = {"Host": "letters.example.org", **headers}
            if self.cookie:
                sent["Cookie"] = self.cookie
            if body:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body.encode(), headers=sent)
            response = connection.getresponse()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";")[0]
            return response.status, response.read().decode()
        finally:
            connection.close()

    def ask(self, name: str, **headers: str) -> int:
        """As a browser does: the page, the letter's preview, then the preview's "Fax it for
        me" form as the page filled it in."""
        from urllib.parse import urlencode

        _, page = self.request("GET", "/")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found
        body = urlencode(
            {"csrf_token": found.group(1), "lang": "en", "name": name, "country": "DE"}
        )
        status, preview = self.request("POST", "/letter", body, **headers)
        form = FAX_FORM.search(preview)
        if form is None:  # refused before a preview (the limit): the status says so
            return status
        sent = {key: html.unescape(value) for key, value in HIDDEN.findall(form.group(1))}
        return self.request("POST", "/fax", urlencode(sent), **headers)[0]


def _loopback_aliases() -> None:
    try:
        socket.create_connection  # noqa: B018
        with socket.socket() as sock:
            sock.bind(("127.0.0.3", 0))
    except OSError as exc:
        pytest.skip(f"no second loopback address to be a second supporter from: {exc}")


@pytest.mark.parametrize("trusted", [True, False], ids=["proxy-trusted", "proxy-not-configured"])
def test_the_per_address_limit_counts_supporters_not_the_proxy(
    tmp_path: Path, trusted: bool
) -> None:
    _loopback_aliases()
    config = tmp_path / "x.send.toml"
    config.write_text(
        'transport = "dry-run"\n[fax_for_me]\nper_address_per_day = 2\n'
        f'folder = "{tmp_path / "supporters"}"\n'
    )
    options = ["--workers", "1", "--fax-for-me", "--config", str(config)]
    if trusted:
        options += ["--trusted-proxy", "127.0.0.1"]
    env = {"LETTERGEN_SERVER_SECRET": "test"}
    with serving(*options, log=tmp_path / "serve.log", env=env) as (url, _process):
        upstream = int(url.rstrip("/").rsplit(":", 1)[1])
        with nginx_in_front(tmp_path / "nginx", upstream) as port:
            anna = Browser(port, "127.0.0.2")
            assert anna.ask("Anna Weber") == 200
            # A forged X-Forwarded-For does not make Anna someone else: nginx appends the
            # address it saw, and only that one is believed.
            assert anna.ask("Anna Weber 2", **{"X-Forwarded-For": "198.51.100.7"}) == 200
            assert anna.ask("Anna Weber 3", **{"X-Forwarded-For": "198.51.100.8"}) == 429
            jan = Browser(port, "127.0.0.3")
            assert jan.ask("Jan Novák") == (200 if trusted else 429)
            if trusted:  # straight to the page, bypassing the proxy: the header is not believed
                direct = Browser(upstream, "127.0.0.2")
                assert direct.ask("Anna Weber 4", **{"X-Forwarded-For": "198.51.100.9"}) == 429
    assert "127.0.0.2" not in (tmp_path / "serve.log").read_text()


# A lost supporter ledger


def test_a_lost_supporter_ledger_stops_the_sender_and_the_page_starts_no_new_one(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The ledger deleted under a running sender: the page does not start a new ledger (the
    sender, still on the old one, would take its letters for strays and delete them), the
    sender stops with one line, and a new ledger starts only when the group says so."""
    import threading
    from dataclasses import replace

    from click.testing import CliRunner

    from lettergen.cli import cli
    from lettergen.supporters.service import run_sender

    setup = settings(tmp_path)
    setup = replace(setup, rules=replace(setup.rules, poll_seconds=0.1))
    clock = Clock()
    client = app_for(site, setup, clock)
    assert ask(client, name="Anna Weber").status_code == 200
    stop, failures = threading.Event(), []

    def sender() -> None:
        try:
            run_sender(setup, stop=stop, clock=clock)
        except Exception as exc:  # what the sender process would print, and exit 1
            failures.append(exc)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(setup.folder / "ledger.sqlite") as db:
                if db.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0]:
                    break
            time.sleep(0.05)
        for path in setup.folder.glob("ledger.sqlite*"):
            path.unlink()
        with caplog.at_level(logging.ERROR):
            refused = ask(client, name="Jan Novák")
        assert refused.status_code == 503 and "try again" in refused.text.lower()
        assert not (setup.folder / "ledger.sqlite").exists()
        assert list((setup.folder / "letters").iterdir()) == []  # nothing kept
        assert "ledger.sqlite" in caplog.text and "missing" in caplog.text
        thread.join(timeout=10)
        assert not thread.is_alive(), "the sender went on with a deleted ledger"
    finally:
        stop.set()
        thread.join(timeout=10)
    (lost,) = failures
    assert "deleted" in str(lost) and "ledger.sqlite" in str(lost) and "\n" not in str(lost)
    config = tmp_path / "x.send.toml"
    config.write_text(f'transport = "dry-run"\n[fax_for_me]\nfolder = "{setup.folder}"\n')
    args = ["supporters", "send", str(SEED_CAMPAIGN), "--config", str(config), "--once"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "--i-know-the-ledger-was-lost" in result.output
    result = CliRunner().invoke(cli, [*args, "--i-know-the-ledger-was-lost"])
    assert result.exit_code == 0, result.output
    assert ask(client, name="Jan Novák").status_code == 200
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    with sqlite3.connect(setup.folder / "ledger.sqlite") as db:
        assert [s for (s,) in db.execute("SELECT state FROM deliveries")] == ["sent"]


def test_the_sender_sees_requests_the_page_adds_while_it_watches_its_ledger(
    site: Site, tmp_path: Path
) -> None:
    """The sender checks its ledger's identity with stat() only: opening and closing the file
    in its process would drop SQLite's locks on it, the page's connection would then delete
    the write-ahead log the sender still reads, and the sender would never see a new request
    (seen once: a request approved on /admin was never sent)."""
    import sys

    setup = settings(tmp_path)
    config = tmp_path / "x.send.toml"
    config.write_text(
        'transport = "dry-run"\n[hours]\nhours = "00:00-24:00"\ndays = "mon-sun"\n'
        f'[fax_for_me]\npoll_seconds = 0.2\nfolder = "{setup.folder}"\n'
    )
    client = app_for(site, setup, Clock())
    assert ask(client, name="Anna Weber").status_code == 200  # the ledger exists
    sender = subprocess.Popen(
        [sys.executable, "-m", "lettergen", "supporters", "send", str(SEED_CAMPAIGN),
         "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        for number, name in enumerate(("Jan Novák", "Maria Lopez"), start=2):
            time.sleep(1.5)  # the sender has looked at its ledger a few times meanwhile
            assert ask(client, name=name).status_code == 200
            deadline = time.monotonic() + 30
            while True:
                # Closed at once: an open connection here would hold a lock of its own.
                with closing(sqlite3.connect(setup.folder / "ledger.sqlite")) as db:
                    sent = db.execute(
                        "SELECT count(*) FROM deliveries WHERE state = 'sent'"
                    ).fetchone()[0]
                if sent == number:
                    break
                assert time.monotonic() < deadline, f"request {number} was never sent"
                time.sleep(0.2)
    finally:
        os.killpg(sender.pid, signal.SIGTERM)
        sender.wait(timeout=30)
