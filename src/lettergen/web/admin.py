"""The group's page, /admin (HTTP Basic with the group's password): letters made per office
and language, and the "Fax it for me" queue with the requests waiting for review."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, abort, redirect, url_for

from lettergen.errors import DataError
from lettergen.supporters.store import Supporters
from lettergen.web.pages import language, office_label, page, served

bp = Blueprint("admin", __name__)


def authorized(password: str | None) -> bool:
    """HTTP Basic with the group's password (any user name), compared in constant time."""
    from flask import request

    auth = request.authorization
    return bool(
        password
        and auth is not None
        and auth.type == "basic"
        and hmac.compare_digest((auth.password or "").encode(), password.encode())
    )


def _password_required() -> Response:
    return Response("Password required", 401, {"WWW-Authenticate": 'Basic realm="lettergen admin"'})


def queue() -> dict[str, Any]:
    """What the admin page shows of "Fax it for me": requests and faxes per state, the held
    requests and the transport ({} when it is off)."""
    current = served()
    setup = current.fax_for_me
    if setup is None:
        return {}
    with Supporters.open(setup.folder, setup.rules, clock=current.clock) as supporters:
        return {
            "requests": supporters.counts(),
            "deliveries": supporters.ledger.counts(),
            "held": supporters.requests("held"),
            "transport": setup.config.transport,
        }


def guard() -> None:
    """Only with "Fax it for me" and a password, and only for the group."""
    current = served()
    if current.fax_for_me is None or not current.admin_password:
        abort(404)
    if not authorized(current.admin_password):
        abort(_password_required())


@bp.get("/admin")
def overview() -> Response:
    current = served()
    site, tally = current.site, current.tally
    if not current.admin_password or (tally is None and current.fax_for_me is None):
        abort(404)
    if not authorized(current.admin_password):
        return _password_required()
    lang = language()

    def label(office: str) -> str:
        return office_label(lang, office) if site.has_office(office) else office

    rows = [(label(office), *rest) for office, *rest in (tally.rows() if tally else [])]
    waiting = queue()
    held = [
        (r, office_label(lang, r.office_id) if site.has_office(r.office_id) else "")
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


@bp.get("/admin/fax/<int:request_id>/letter")
def held_letter(request_id: int) -> Response:
    guard()
    current = served()
    setup = current.fax_for_me
    assert setup is not None
    with Supporters.open(setup.folder, setup.rules, clock=current.clock) as supporters:
        try:
            data = supporters.letter(supporters.get(request_id))
        except (DataError, OSError):
            abort(404)
    kind = "image/tiff" if data.startswith((b"II*\0", b"MM\0*")) else "application/pdf"
    response = Response(data, content_type=kind)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/fax/<int:request_id>/<action>")
def moderate(request_id: int, action: str) -> Response:
    guard()
    if action not in ("approve", "reject"):
        abort(404)
    current = served()
    setup = current.fax_for_me
    assert setup is not None
    with Supporters.open(setup.folder, setup.rules, clock=current.clock) as supporters:
        try:
            found = supporters.get(request_id)
            getattr(supporters, action)(found)
        except DataError:
            abort(409)
    return redirect(url_for("admin.overview"), 303)  # type: ignore[return-value]
