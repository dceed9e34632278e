"""The letter as a file: PDF (to download or to print), DOCX, and the fax image (TIFF).

Each download posts the form's fields again (the preview carries them) and makes the very
letter the preview showed, through the stamped path; nothing is kept. The formats and their
media types are the format registry's (lettergen.render.formats).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from lettergen.render.formats import REGISTRY
from lettergen.web.campaign import form_page, read_letter
from lettergen.web.pages import language, served

bp = Blueprint("downloads", __name__)


@bp.post("/letter.<fmt>")
def download(fmt: str) -> Response:
    if fmt not in REGISTRY:
        abort(404)
    lang = language()
    form, made = read_letter(lang)
    if made is None:
        return form_page(lang, form, 400)
    choice, letter = made
    current = served()
    site = current.site
    pdf = site.pdf(letter) if REGISTRY[fmt].needs_pdf else b""
    data = pdf if fmt == "pdf" else site.tiff(pdf) if fmt == "tiff" else site.docx(letter)
    if current.tally:
        current.tally.add(choice.office.id, lang, fmt)
    inline = fmt == "pdf" and request.form.get("inline") == "1"
    response = Response(data, content_type=REGISTRY[fmt].media_type)
    suffix = REGISTRY[fmt].suffix
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="letter-{choice.office.id}.{suffix}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
