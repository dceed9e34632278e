""" "Fax it for me": the page's routes over the supporter folder's ledger (send.supporters).

A supporter asks from the preview page, on the same path as her downloads: the form's fields
come again with the fingerprint of the letter she saw, and only that letter is faxed (the same
PDF the preview showed, from `Site.pdf`); it and the request are kept in the supporter
folder; the page answers with a private status link (``/fax/<token>``), where the supporter
follows the request and deletes it. With confirmation on, the request waits for the link
mailed to the supporter (``/fax/<token>/confirm/<code>``); with moderation on, for the group
on /admin. The sender
(`lettergen supporters send`, or the process `serve` starts) does the rest.

What the page keeps and for how long: see docs/serving.md, "Fax it for me".
"""

from __future__ import annotations

import hmac
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, abort, redirect, request, url_for

from lettergen.errors import DataError
from lettergen.send.identity import LedgerLost
from lettergen.send.ledger import FILENAME, LedgerUnusable, ledger_errors
from lettergen.send.transmission import report_pdf, transmission
from lettergen.supporters.service import send_mail
from lettergen.supporters.store import Refused, Request, Supporters, keyed
from lettergen.web import security
from lettergen.web.campaign import form_page, letter_digest, read_letter
from lettergen.web.pages import language, message, office_label, page, served
from lettergen.web.strings import Strings

log = logging.getLogger(__name__)

bp = Blueprint("fax", __name__)

#: Seconds a page waits for the supporter ledger another process holds, then says "busy"
#: (the sender's transactions take milliseconds; a worker must not hang on a held lock).
BUSY_SECONDS = 2.0


class Unavailable(Exception):
    """The supporter ledger cannot be used now (locked, lost): the page says so (503)."""


def pages_of(pdf: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


@contextmanager
def store() -> Iterator[Supporters]:
    """The supporter folder's requests and ledger; 404 when "Fax it for me" is off. A ledger
    that is locked, lost or damaged is a friendly 503 and one log line naming the file (never
    the request's link)."""
    current = served()
    setup = current.fax_for_me
    if setup is None:
        abort(404)
    try:
        with (
            ledger_errors(setup.folder / FILENAME),
            Supporters.open(
                setup.folder,
                setup.rules,
                clock=current.clock,
                secret=current.secret,
                busy_seconds=BUSY_SECONDS,
            ) as opened,
        ):
            yield opened
    except (LedgerLost, LedgerUnusable) as exc:
        log.error("Fax it for me is unavailable for now: %s", exc)
        raise Unavailable from None


@bp.app_errorhandler(Unavailable)
def unavailable(_error: Unavailable) -> Response:
    response = message(language(), 503, "fax_busy")
    response.headers["Retry-After"] = "60"
    return response


def status_page(
    found: Request, token: str, status: int = 200, *, notice: str = "", link: str = ""
) -> Response:
    site = served().site
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
        office_label=office_label(lang, found.office_id)
        if site.has_office(found.office_id)
        else "",
        asked_on=language_.format_date(found.created_at.date()),
        kept_until=language_.format_date(found.expires_at.date()),
    )


def public_url(token: str, *rest: str) -> str:
    """The address of a private page: under `public_url` (required with confirmation, so
    an e-mailed link never comes from a request's Host header), else this request's own
    root, for the link the page itself shows to the supporter who asked."""
    setup = served().fax_for_me
    assert setup is not None
    base = (setup.rules.public_url or request.url_root).rstrip("/")
    return "/".join([f"{base}/fax/{token}", *rest])


@bp.post("/fax")
def ask() -> Response:
    lang = language()
    current = served()
    setup, site = current.fax_for_me, current.site
    if setup is None:
        return message(lang, 503, "fax_for_me_off")
    form, made = read_letter(lang)
    if made is None:
        return form_page(lang, form, 400)
    choice, letter = made
    fax = choice.recipient.fax_number
    if not fax:
        return message(lang, 400, "no_fax")
    if not hmac.compare_digest(request.form.get("letter", ""), letter_digest(letter)):
        # Not the letter she saw (the directory or the campaign changed meanwhile): she
        # checks the new one first.
        return message(lang, 409, "letter_changed")
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
                message=form.message,
                office_id=choice.office.id,
                fax=fax,
                country=choice.office.country,
                language=lang,
                address_key=keyed(current.secret, security.client_address()),
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
                        office=office_label(lang, choice.office.id),
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


@bp.get("/fax/<token>")
def status(token: str) -> Response:
    with store() as supporters:
        found = supporters.find(token)
    if found is None:
        return message(language(), 404, "fax_link_gone")
    return status_page(found, token)


@bp.get("/fax/<token>/report.pdf")
def transmission_report(token: str) -> Response:
    """The supporter's proof: the transmission report of the letter sent for her (no
    personal data in it: office, number, times, pages, the fax server's word)."""
    with store() as supporters:
        found = supporters.find(token)
        if found is None or found.shown_state != "sent":
            return message(language(), 404, "fax_link_gone")
        row = supporters.ledger.db.execute(
            "SELECT delivery_id FROM requests WHERE id = ?", (found.id,)
        ).fetchone()
        delivery = supporters.ledger.get(int(row["delivery_id"]))
    directory = served().site.directory
    office = directory.get(delivery.office_id) if delivery.office_id in directory else None
    # The office's city gives its local time (its fax number's zone otherwise).
    report = transmission(delivery, served().site.campaign.name, office.city if office else "")
    report["letter"] = None  # the supporter's file name is no business of the report
    response = Response(report_pdf(report), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="transmission-report.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/fax/<token>/delete")
def delete(token: str) -> Response:
    with store() as supporters:
        found = supporters.find(token)
        if found is None:
            return message(language(), 404, "fax_link_gone")
        try:
            found = supporters.delete_by_supporter(found)
        except DataError:  # handed to the transport meanwhile: it is being sent
            return status_page(supporters.get(found.id), token, 409, notice="fax_too_late")
    return status_page(found, token, notice="fax_deleted")


@bp.route("/fax/<token>/confirm/<code>", methods=["GET", "POST"])
def confirm(token: str, code: str) -> Response:
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
    return redirect(url_for("fax.status", token=token), 303)  # type: ignore[return-value]
