"""CSRF protection, security headers and a rate limit: small, and in one place.

CSRF is the double-submit pattern Datasette uses (asgi-csrf): a random token in a cookie
(the page's only cookie) must come back in the form. It needs no server-side session and no
secret shared between worker processes, so nothing about a supporter is kept; a page from
another site can neither read the cookie nor set it, so it cannot forge a form.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from flask import Flask, Response, abort, g, request

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


def csrf_token() -> str:
    """The token for this request's forms: the cookie's, or a new one set on the response."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) != 43:  # token_urlsafe(32)
        token = g.get("new_csrf") or secrets.token_urlsafe(32)
        g.new_csrf = token
    return token


def install(app: Flask) -> None:
    """Check the token on every POST, add the headers to every response."""

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
