"""What every page of the supporter site shares: the site and its settings (kept in
`app.extensions`), the language a page speaks, and a page rendered in it.

The blueprints (campaign, downloads, fax, admin) read what they serve through `served()`, so
`create_app` only wires them together and no route is a closure over another's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from lettergen.supporters.service import Settings
from lettergen.web import security
from lettergen.web.counts import Counts
from lettergen.web.site import Site
from lettergen.web.strings import Strings

#: The key of the served campaign in `app.extensions`.
EXTENSION = "lettergen"


@dataclass
class Served:
    """One campaign as this application serves it, with the group's settings."""

    site: Site
    limit: security.RateLimit
    tally: Counts | None  # letters counted per office and language (with /admin)
    fax_for_me: Settings | None  # "Fax it for me", when the group turned it on
    admin_password: str | None
    secret: bytes  # keys the hashes of client addresses
    clock: Callable[[], datetime]


def served() -> Served:
    served_: Served = current_app.extensions[EXTENSION]
    return served_


def language() -> str:
    """The page's language: `?lang=` (or the form's), else the browser's best among the
    campaign's languages, else the campaign's default."""
    site = served().site
    wanted = request.args.get("lang", "")
    if not wanted and request.method == "POST":
        try:
            wanted = request.form.get("lang", "")
        except HTTPException:  # a form too large to read: the page speaks the browser's
            wanted = ""
    if wanted in site.languages:
        return wanted
    return request.accept_languages.best_match(site.languages) or site.default_language


def page(template: str, lang: str, status: int = 200, **context: Any) -> Response:
    """A page in `lang`, never kept by a cache (it carries this browser's CSRF token, and
    perhaps a name)."""
    site = served().site
    body = render_template(
        template,
        site=site,
        campaign=site.campaign,
        lang=lang,
        language=site.language(lang),
        t=Strings(lang),
        language_names=language_names(site.languages),
        fax_for_me=fax_offer(),
        error=status >= 400,
        **context,
    )
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "no-store"
    return response


def message(lang: str, status: int, key: str, **values: str) -> Response:
    """A page saying one thing (a refusal, an error), with the way back."""
    return page("message.html", lang, status, message=Strings(lang)(key, **values))


def fax_offer() -> dict[str, Any] | None:
    """What the page says of "Fax it for me": None when the group has not turned it on."""
    setup = served().fax_for_me
    if setup is None:
        return None
    return {
        "rehearsal": setup.rehearsal,
        "confirm": setup.rules.confirm,
        "moderate": setup.rules.moderate,
        "days": str(setup.rules.retention.days),
    }


def office_label(lang: str, office_id: str) -> str:
    """ "Berlin — embassy (Germany)", in the letter language's words: the list's entries."""
    site = served().site
    office = site.office(office_id)
    language_ = site.language(lang)
    kind = language_.string(f"labels.office_kinds.{office.kind}")
    return f"{office.city} — {kind} ({language_.country_name(office.country)})"


def language_names(codes: list[str]) -> list[tuple[str, str]]:
    """Each language in its own name ("Deutsch"), for the switcher."""
    from babel import Locale

    return [(code, Locale.parse(code).get_display_name(code) or code) for code in codes]
