"""The supporter page as a Flask application: routes only; the letter comes from the library.

Flask, because its templates are Jinja2 (the engine the letters already use, with
autoescaping on for every .html template), it is small and well kept, and a WSGI app runs under
gunicorn without glue. The pages work without JavaScript: every step is a plain form.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from lettergen.campaign.signers import Signer
from lettergen.compose.letter import Letter, Runs
from lettergen.compose.markdown import to_blocks
from lettergen.errors import LettergenError
from lettergen.supporters.service import Settings
from lettergen.util.clock import utcnow
from lettergen.web import fax, security
from lettergen.web.counts import Counts
from lettergen.web.forms import SignerForm, read_form
from lettergen.web.site import Choice, Site
from lettergen.web.strings import Strings

log = logging.getLogger(__name__)

#: The largest form a supporter sends is well under 4 kB; anything far bigger is refused.
MAX_FORM_BYTES = 16 * 1024

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "tiff": "image/tiff",
}


def runs_html(runs: Runs) -> Markup:
    """A run of the campaign's text as HTML: escaped, with its emphasis and nothing else."""
    parts = []
    for run in runs:
        text = escape(run.text)
        if run.italic:
            text = Markup("<em>%s</em>") % text
        if run.bold:
            text = Markup("<strong>%s</strong>") % text
        parts.append(text)
    return Markup("").join(parts)


def create_app(
    site: Site,
    *,
    letters_per_minute: int = 30,
    admin_password: str | None = None,
    counts: Path | None = None,
    fax_for_me: Settings | None = None,
    secret: bytes | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Flask:
    """The application for one campaign. `admin_password` turns on /admin (HTTP Basic);
    `counts` is the SQLite file of letters made per office and language (only with admin).
    `fax_for_me` turns on "Fax it for me" (web/fax.py); `secret` keys the hashes of client
    addresses (made here, in the process that forks the workers, when not given); `clock` is
    the time the fax requests see."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_FORM_BYTES
    app.config["MAX_FORM_PARTS"] = 20
    app.jinja_env.globals.update(csrf_token=security.csrf_token, runs_html=runs_html)
    security.install(app)
    limit = security.RateLimit(letters_per_minute)
    tally = Counts(counts) if admin_password and counts else None
    secret = secret or secrets.token_bytes(32)

    def language() -> str:
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
        t = Strings(lang)
        body = render_template(
            template,
            site=site,
            campaign=site.campaign,
            lang=lang,
            language=site.language(lang),
            t=t,
            language_names=_language_names(site.languages),
            **context,
        )
        response = Response(body, status, content_type="text/html; charset=utf-8")
        response.headers["Content-Language"] = lang
        response.vary.add("Accept-Language")
        # Pages carry this browser's CSRF token (and perhaps a name): no cache may keep them.
        response.headers["Cache-Control"] = "no-store"
        return response

    def campaign_page(lang: str, form: SignerForm | None = None, status: int = 200) -> Response:
        campaign = site.campaign
        language_ = site.language(lang)
        country = (form.country if form else request.args.get("country", "")).upper()
        routed = site.routes(country) if country in site.country_codes else []
        return page(
            "index.html",
            lang,
            status,
            case=to_blocks(campaign.case[lang]),
            action_day=language_.format_date(campaign.action_date),
            countries=site.countries(lang),
            offices=site.office_choices(lang, office_label),
            country=country if country in site.country_codes else "",
            country_name=dict(site.countries(lang)).get(country, ""),
            routed=routed[0] if routed else None,
            routed_label=office_label(site, lang, routed[0].office.id) if routed else "",
            form=form or SignerForm(country=country),
        )

    def letter_for(form: SignerForm, lang: str) -> tuple[Choice, Letter] | None:
        choice = site.choose(form.country, form.office)
        if choice is None:
            form.errors["office"] = "no_office"
            return None
        country = site.language(lang).country_name(form.country) if form.country else ""
        signer = Signer(form.name, form.organisation, form.town, country, form.email)
        return choice, site.compose(choice, signer, lang)

    def read(lang: str) -> tuple[SignerForm, tuple[Choice, Letter] | None]:
        if not limit.allow(request.remote_addr or ""):
            abort(429)
        values = {key: request.form.get(key, "") for key in _FIELDS}
        form = read_form(values, site.country_codes, site.office_ids)
        made = None if form.errors else letter_for(form, lang)
        return form, made

    @app.get("/")
    def index() -> Response:
        return campaign_page(language())

    @app.post("/")
    def change() -> Response:
        """Back to the form from the preview, with what the supporter typed."""
        form = SignerForm()
        for key in _FORM_KEYS:
            setattr(form, key, request.form.get(key, ""))
        return campaign_page(language(), form)

    @app.post("/letter")
    def preview() -> Response:
        lang = language()
        form, made = read(lang)
        if made is None:
            return campaign_page(lang, form, 400)
        choice, letter = made
        pdf = site.pdf(letter)
        if tally:
            tally.add(choice.office.id, lang, "preview")
        pages = [
            ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in tiles]
            for tiles in site.preview(letter, pdf)
        ]
        return page(
            "letter.html",
            lang,
            form=form,
            fields={k: v for k, v in asdict(form).items() if k in _FORM_KEYS},
            choice=choice,
            office_label=office_label(site, lang, choice.office.id),
            country_name=site.language(lang).country_name(choice.recipient.country),
            pages=pages,
        )

    @app.post("/letter.<fmt>")
    def download(fmt: str) -> Response:
        if fmt not in FORMATS:
            abort(404)
        lang = language()
        form, made = read(lang)
        if made is None:
            return campaign_page(lang, form, 400)
        choice, letter = made
        pdf = site.pdf(letter) if fmt in ("pdf", "tiff") else b""
        data = pdf if fmt == "pdf" else site.tiff(pdf) if fmt == "tiff" else site.docx(letter)
        if tally:
            tally.add(choice.office.id, lang, fmt)
        inline = fmt == "pdf" and request.form.get("inline") == "1"
        response = Response(data, content_type=FORMATS[fmt])
        response.headers["Content-Disposition"] = (
            f'{"inline" if inline else "attachment"}; filename="letter-{choice.office.id}.{fmt}"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    fax.install(
        app,
        site,
        fax_for_me,
        page=page,
        language=language,
        read=read,
        form_page=campaign_page,
        label=lambda lang, office: office_label(site, lang, office),
        secret=secret,
        clock=clock,
    )
    queue = fax.install_admin(app, fax_for_me, admin_password, clock=clock)

    @app.get("/admin")
    def admin() -> Response:
        if not admin_password or (tally is None and fax_for_me is None):
            abort(404)
        if not fax.authorized(admin_password):
            return Response(
                "Password required", 401, {"WWW-Authenticate": 'Basic realm="lettergen admin"'}
            )
        lang = language()
        rows = [
            (office_label(site, lang, office) if site.has_office(office) else office, *rest)
            for office, *rest in (tally.rows() if tally else [])
        ]
        waiting = queue()
        held = [
            (r, office_label(site, lang, r.office_id) if site.has_office(r.office_id) else "")
            for r in waiting.get("held", [])
        ]
        return page(
            "admin.html",
            lang,
            rows=rows,
            total=sum(r[-1] for r in rows),
            counted=tally is not None,
            queue=waiting,
            held=held,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        lang = language()
        t = Strings(lang)
        key = {403: "csrf", 404: "not_found", 413: "too_large", 429: "rate_limited"}.get(
            error.code or 500, "server_error" if (error.code or 500) >= 500 else "not_found"
        )
        return page("message.html", lang, error.code or 500, message=t(key))

    @app.errorhandler(LettergenError)
    def letter_error(error: LettergenError) -> Response:
        # The campaign's data or templates are wrong: a matter for the group, not the supporter.
        log.error("could not make a letter: %s", error)
        return page("message.html", language(), 500, message=str(error.message))

    return app


_FORM_KEYS = ("name", "organisation", "town", "email", "country", "office")
_FIELDS = (*_FORM_KEYS, "lang")


def office_label(site: Site, lang: str, office_id: str) -> str:
    """ "Berlin — embassy (Germany)", in the letter language's words."""
    office = site.office(office_id)
    language_ = site.language(lang)
    kind = language_.string(f"labels.office_kinds.{office.kind}")
    return f"{office.city} — {kind} ({language_.country_name(office.country)})"


def _language_names(codes: list[str]) -> list[tuple[str, str]]:
    """Each language in its own name ("Deutsch"), for the switcher."""
    from babel import Locale

    return [(code, Locale.parse(code).get_display_name(code) or code) for code in codes]
