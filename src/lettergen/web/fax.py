""" "Fax it for me": the page's routes over the supporter folder's ledger (send.supporters).

A supporter asks from the preview page; the letter (the same PDF the preview showed, from
`Site.pdf`) and the request are kept in the supporter folder; the page answers with a private
status link (``/fax/<token>``), where the supporter follows the request and deletes it. With
confirmation on, the request waits for the link mailed to the supporter
(``/fax/<token>/confirm/<code>``); with moderation on, for the group on /admin. The sender
(`lettergen supporters send`, or the process `serve` starts) does the rest.

What the page keeps and for how long: see docs/serving.md, "Fax it for me".
"""

from __future__ import annotations

import hmac
import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, redirect, request, url_for

from lettergen.errors import DataError
from lettergen.supporters.service import Settings, send_mail
from lettergen.supporters.store import Refused, Request, Supporters, keyed
from lettergen.util.clock import utcnow
from lettergen.web.forms import SignerForm
from lettergen.web.site import Choice, Site
from lettergen.web.strings import Strings

log = logging.getLogger(__name__)

Page = Callable[..., Response]


def pages_of(pdf: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def install(
    app: Flask,
    site: Site,
    setup: Settings | None,
    *,
    page: Page,
    language: Callable[[], str],
    read: Callable[[str], tuple[SignerForm, tuple[Choice, Any] | None]],
    form_page: Callable[[str, SignerForm, int], Response],
    label: Callable[[str, str], str],
    secret: bytes,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Add /fax and its status pages to `app`. Without `setup` (the group did not turn
    "Fax it for me" on, or has no transport), POST /fax is refused with 503, as before."""
    app.jinja_env.globals["fax_for_me"] = (
        None
        if setup is None
        else {
            "rehearsal": setup.rehearsal,
            "confirm": setup.rules.confirm,
            "moderate": setup.rules.moderate,
            "days": str(setup.rules.retention.days),
        }
    )

    @contextmanager
    def store() -> Iterator[Supporters]:
        assert setup is not None
        with Supporters.open(setup.folder, setup.rules, clock=clock) as opened:
            yield opened

    def message(lang: str, status: int, key: str, **values: str) -> Response:
        return page("message.html", lang, status, message=Strings(lang)(key, **values))

    def status_page(
        found: Request, token: str, status: int = 200, *, notice: str = "", link: str = ""
    ) -> Response:
        wanted = request.args.get("lang", "")
        lang = wanted if wanted in site.languages else found.language
        if lang not in site.languages:
            lang = site.default_language
        language_ = site.language(lang)
        return page(
            "fax_status.html",
            lang,
            status,
            found=found,
            token=token,
            notice=notice,
            link=link,
            office_label=label(lang, found.office_id) if site.has_office(found.office_id) else "",
            asked_on=language_.format_date(found.created_at.date()),
            kept_until=language_.format_date(found.expires_at.date()),
        )

    def public_url(token: str, *rest: str) -> str:
        """The address of a private page: under `public_url` (required with confirmation, so
        an e-mailed link never comes from a request's Host header), else this request's own
        root, for the link the page itself shows to the supporter who asked."""
        assert setup is not None
        base = (setup.rules.public_url or request.url_root).rstrip("/")
        return "/".join([f"{base}/fax/{token}", *rest])

    @app.post("/fax")
    def ask() -> Response:
        lang = language()
        if setup is None:
            return message(lang, 503, "fax_for_me_off")
        form, made = read(lang)
        if made is None:
            return form_page(lang, form, 400)
        choice, letter = made
        fax = choice.recipient.fax_number
        if not fax:
            return message(lang, 400, "no_fax")
        if setup.rules.confirm and not form.email:
            form.errors["email"] = "email_for_fax"
            return form_page(lang, form, 400)
        pdf = site.pdf(letter)  # the stamped path: the very PDF the preview showed
        kept = site.tiff(pdf) if setup.letter_format == "tiff" else pdf
        with store() as supporters:
            try:
                asked = supporters.ask(
                    kept,
                    suffix=setup.letter_format,
                    pages=pages_of(pdf),
                    name=form.name,
                    organisation=form.organisation,
                    town=form.town,
                    office_id=choice.office.id,
                    fax=fax,
                    country=choice.office.country,
                    language=lang,
                    address_key=keyed(secret, request.remote_addr or ""),
                )
            except Refused as refused:
                return message(lang, 429, f"fax_limits.{refused.key}", limit=str(refused.limit))
            link = public_url(asked.token)
            if asked.confirm_token:
                t = Strings(lang)
                try:
                    send_mail(
                        setup,
                        form.email,
                        t("fax_mail_subject", subject=site.campaign.subject[lang]),
                        t(
                            "fax_mail_body",
                            office=label(lang, choice.office.id),
                            confirm=public_url(asked.token, "confirm", asked.confirm_token),
                            status=link,
                            hours=str(int(setup.rules.confirm_within.total_seconds() // 3600)),
                        ),
                    )
                except (OSError, smtplib.SMTPException) as exc:
                    # Not the address or the reply: they may hold what the supporter typed.
                    log.warning("a confirmation e-mail could not be sent (%s)", type(exc).__name__)
                    supporters.withdraw(asked.request)
                    return message(lang, 503, "fax_mail_failed")
        return status_page(asked.request, asked.token, notice="fax_asked", link=link)

    @app.get("/fax/<token>")
    def status(token: str) -> Response:
        if setup is None:
            abort(404)
        with store() as supporters:
            found = supporters.find(token)
        if found is None:
            return message(language(), 404, "fax_link_gone")
        return status_page(found, token)

    @app.post("/fax/<token>/delete")
    def delete(token: str) -> Response:
        if setup is None:
            abort(404)
        with store() as supporters:
            found = supporters.find(token)
            if found is None:
                return message(language(), 404, "fax_link_gone")
            try:
                found = supporters.delete_by_supporter(found)
            except DataError:  # handed to the transport meanwhile: it is being sent
                return status_page(supporters.get(found.id), token, 409, notice="fax_too_late")
        return status_page(found, token, notice="fax_deleted")

    @app.route("/fax/<token>/confirm/<code>", methods=["GET", "POST"])
    def confirm(token: str, code: str) -> Response:
        if setup is None:
            abort(404)
        with store() as supporters:
            found = supporters.find(token)
            matches = found is not None and found.id == getattr(
                supporters.find_confirmation(code), "id", None
            )
            if found is None or not matches:
                if found is not None and found.state != "awaiting":
                    return status_page(found, token)  # confirmed already: show where it is
                return message(language(), 404, "fax_confirm_gone")
            if request.method == "GET":  # a page with a button: mail scanners open links
                return status_page(found, token, notice="fax_confirm")
            try:
                supporters.confirm(found)
            except DataError:
                return message(language(), 410, "fax_confirm_gone")
        return redirect(url_for("status", token=token), 303)  # type: ignore[return-value]


def authorized(password: str | None) -> bool:
    """HTTP Basic with the group's password (any user name), compared in constant time."""
    auth = request.authorization
    return bool(
        password
        and auth is not None
        and auth.type == "basic"
        and hmac.compare_digest((auth.password or "").encode(), password.encode())
    )


def install_admin(
    app: Flask,
    setup: Settings | None,
    password: str | None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[], dict[str, Any]]:
    """The moderation routes under /admin; returns what the admin page shows of the queue."""

    def queue() -> dict[str, Any]:
        if setup is None:
            return {}
        with Supporters.open(setup.folder, setup.rules, clock=clock) as supporters:
            return {
                "requests": supporters.counts(),
                "deliveries": supporters.ledger.counts(),
                "held": supporters.requests("held"),
                "transport": setup.config.transport,
            }

    def guard() -> None:
        if setup is None or not password:
            abort(404)
        if not authorized(password):
            abort(
                Response(
                    "Password required", 401, {"WWW-Authenticate": 'Basic realm="lettergen admin"'}
                )
            )

    @app.get("/admin/fax/<int:request_id>/letter")
    def held_letter(request_id: int) -> Response:
        guard()
        assert setup is not None
        with Supporters.open(setup.folder, setup.rules, clock=clock) as supporters:
            try:
                data = supporters.letter(supporters.get(request_id))
            except (DataError, OSError):
                abort(404)
        kind = "image/tiff" if data.startswith((b"II*\0", b"MM\0*")) else "application/pdf"
        response = Response(data, content_type=kind)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/admin/fax/<int:request_id>/<action>")
    def moderate(request_id: int, action: str) -> Response:
        guard()
        assert setup is not None
        if action not in ("approve", "reject"):
            abort(404)
        with Supporters.open(setup.folder, setup.rules, clock=clock) as supporters:
            try:
                found = supporters.get(request_id)
                getattr(supporters, action)(found)
            except DataError:
                abort(409)
        return redirect(url_for("admin"), 303)  # type: ignore[return-value]

    return queue
