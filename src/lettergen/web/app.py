"""The supporter page as a Flask application: wiring only; the letter comes from the library.

Flask, because its templates are Jinja2 (the engine the letters already use, with
autoescaping on for every .html template), it is small and well kept, and a WSGI app runs under
gunicorn without glue. The pages work without JavaScript: every step is a plain form.

The routes live in blueprints, one per kind of page: the campaign's pages and the letter's
preview (web/campaign.py), the files (web/downloads.py), "Fax it for me" (web/fax.py) and the
group's /admin (web/admin.py). What they serve — the site and the group's settings — is kept
in `app.extensions["lettergen"]` (web/pages.py).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from lettergen.errors import LettergenError
from lettergen.render.html import runs_html
from lettergen.supporters.service import Settings
from lettergen.util.clock import utcnow
from lettergen.web import admin, campaign, downloads, fax, security
from lettergen.web.counts import Counts
from lettergen.web.pages import EXTENSION, Served, language, page
from lettergen.web.site import Site
from lettergen.web.strings import Strings

log = logging.getLogger(__name__)

#: The largest form a supporter sends is well under 4 kB; anything far bigger is refused.
MAX_FORM_BYTES = 16 * 1024

#: Page strings for the HTTP errors a supporter may meet.
ERRORS = {403: "csrf", 404: "not_found", 413: "too_large", 429: "rate_limited"}


def create_app(
    site: Site,
    *,
    letters_per_minute: int = 30,
    admin_password: str | None = None,
    counts: Path | None = None,
    fax_for_me: Settings | None = None,
    secret: bytes | None = None,
    clock: Callable[[], datetime] = utcnow,
    trusted_proxies: Collection[str] = (),
    monotonic: Callable[[], float] = time.monotonic,
) -> Flask:
    """The application for one campaign. `admin_password` turns on /admin (HTTP Basic);
    `counts` is the SQLite file of letters made per office and language (only with admin).
    `fax_for_me` turns on "Fax it for me" (web/fax.py); `secret` keys the hashes of client
    addresses (made here, in the process that forks the workers, when not given); `clock` is
    the time the fax requests see; `trusted_proxies`: the reverse proxies (addresses or
    networks) whose X-Forwarded-For names the client (web/security.py); `monotonic` the
    clock of the /admin throttle."""
    app = Flask(__name__)
    app.config[security.TRUSTED_PROXIES] = security.networks(trusted_proxies)
    app.config["MAX_CONTENT_LENGTH"] = MAX_FORM_BYTES
    app.config["MAX_FORM_PARTS"] = 20
    app.extensions[EXTENSION] = Served(
        site=site,
        limit=security.RateLimit(letters_per_minute),
        tally=Counts(counts) if admin_password and counts else None,
        fax_for_me=fax_for_me,
        admin_password=admin_password,
        secret=secret or secrets.token_bytes(32),
        clock=clock,
    )
    app.jinja_env.globals.update(csrf_token=security.csrf_token, runs_html=runs_html)
    security.install(app)
    security.AdminThrottle(monotonic).install(app)
    for blueprint in (campaign.bp, downloads.bp, fax.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(LettergenError, letter_error)
    return app


def http_error(error: HTTPException) -> Response:
    lang = language()
    code = error.code or 500
    key = ERRORS.get(code, "server_error" if code >= 500 else "not_found")
    return page("message.html", lang, code, message=Strings(lang)(key))


def letter_error(error: LettergenError) -> Response:
    # The campaign's data or templates are wrong: a matter for the group, not the supporter.
    log.error("could not make a letter: %s", error)
    return page("message.html", language(), 500, message=str(error.message))
