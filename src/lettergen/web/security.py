"""CSRF protection, security headers, rate limits and who the client is: small, in one place.

CSRF is the double-submit pattern Datasette uses (asgi-csrf): a random token in a cookie
(the page's only cookie) must come back in the form. It needs no server-side session and no
secret shared between worker processes, so nothing about a supporter is kept; a page from
another site can neither read the cookie nor set it, so it cannot forge a form.

The client's address (for the rate limits) is the connection's, unless the connection comes
from a reverse proxy the group named (`serve --trusted-proxy`): then it is the last address in
`X-Forwarded-For` that is not one of those proxies — the one the proxy itself saw. A header
from anyone else is ignored, so a client cannot pick its own address.

Redirects carry a path, never a host: the Host header is the client's to forge. Errors are
logged with private links masked (/fax/…), as the access log shows them.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request

log = logging.getLogger(__name__)

CSRF_COOKIE = "lettergen_csrf"
CSRF_FIELD = "csrf_token"

#: No inline script or style anywhere: every script and the stylesheet are files of this
#: server; images may be the letter preview (a data: PNG).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


#: A fax request's private link (/fax/<token>, /fax/<token>/confirm/<code>): whoever holds it
#: may see and delete the request, so logs show the route, not the token.
_PRIVATE_PATH = re.compile(r"(?<![^\s\"'=])/fax/[^/\s'\"?]+(/confirm/[^/\s'\"?]+)?")
#: gunicorn's "Invalid request from ip=…": the client's address, in a message.
_ADDRESS = re.compile(r"\bip=.*?(?=: |\s|$)")
#: The config key of the trusted proxies' networks (create_app sets it).
TRUSTED_PROXIES = "LETTERGEN_TRUSTED_PROXIES"
#: /admin: failed logins one client may make within ADMIN_WINDOW seconds, then it waits.
ADMIN_FAILURES = 10
ADMIN_WINDOW = 15 * 60.0


def private_path(text: str) -> str:
    """ "/fax/<token>/delete" → "/fax/…/delete", anywhere in a text."""
    return _PRIVATE_PATH.sub(lambda m: "/fax/…" + ("/confirm/…" if m.group(1) else ""), text)


def scrub(text: str) -> str:
    """A log line without private links and client addresses."""
    return _ADDRESS.sub("ip=…", private_path(text))


def networks(values: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or networks ("127.0.0.1", "10.0.0.0/8"); a wrong one raises ValueError."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _within(address: str, trusted: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address() -> str:
    """This request's client, as the rate limits count it (see the module's docstring)."""
    remote = request.remote_addr or ""
    trusted = current_app.config.get(TRUSTED_PROXIES) or ()
    if not trusted or not _within(remote, trusted):
        return remote
    hops = [h.strip() for h in ",".join(request.headers.getlist("X-Forwarded-For")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _within(hop, trusted):
            return hop
    return remote


def csrf_token() -> str:
    """The token for this request's forms: the cookie's, or a new one set on the response."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) != 43:  # token_urlsafe(32)
        token = g.get("new_csrf") or secrets.token_urlsafe(32)
        g.new_csrf = token
    return token


def install(app: Flask) -> None:
    """Check the token on every POST, add the headers to every response, keep tokens out of
    the error log."""

    def log_exception(exc_info: Any) -> None:
        app.logger.error(
            "Exception on %s [%s]", private_path(request.path), request.method, exc_info=exc_info
        )

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.before_request
    def check_csrf() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            cookie = request.cookies.get(CSRF_COOKIE, "")
            sent = request.form.get(CSRF_FIELD, "")
            if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
                abort(403, description="csrf")

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        location = response.headers.get("Location")
        if location and response.status_code in (301, 302, 303, 307, 308):
            # Werkzeug builds a redirect's address (//x → /x) from the Host header, which the
            # client sets: keep the path only, so no forged host ever comes back.
            parts = urlsplit(location)
            path = "/" + parts.path.lstrip("/")  # never "//host": a link to another site
            response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")
        if g.get("new_csrf"):
            response.set_cookie(
                CSRF_COOKIE,
                g.new_csrf,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
                path="/",
            )
        return response


class RateLimit:
    """At most `limit` letters per `window` seconds per client address (0: no limit).

    Kept in the memory of each worker process, so the bound a client meets is per worker; it is
    there to stop a script from burning the server's cores, not to count exactly."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.limit <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients rather than grow without bound
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return True


class AdminThrottle:
    """At most ADMIN_FAILURES failed logins on /admin per client within ADMIN_WINDOW seconds;
    then the client's requests to /admin are answered 429 until the window has passed, the
    right password included (so guessing stops, rather than slows). Kept in each worker's
    memory, like RateLimit: with N workers a client gets at most N × ADMIN_FAILURES guesses a
    window, instead of hundreds a second."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic):
        self.monotonic = monotonic
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        now = self.monotonic()
        failures = self._failures.setdefault(client, deque())
        while failures and now - failures[0] > ADMIN_WINDOW:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= ADMIN_FAILURES

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.monotonic())
            if len(self._failures) > 10_000:  # forget idle clients rather than grow
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def install(self, app: Flask) -> None:
        """Count the 401s /admin answers to a request that carried a password."""

        @app.before_request
        def throttle_admin() -> None:
            if request.path.startswith("/admin") and self.blocked(client_address()):
                abort(429)

        @app.after_request
        def count_failure(response: Response) -> Response:
            if (
                request.path.startswith("/admin")
                and response.status_code == 401
                and request.authorization is not None
            ):
                self.failed(client_address())
                log.warning("/admin: a wrong password")
            return response
