"""The campaign's pages: the case and the one form, and the letter it makes, to check.

One form asks for everything once: the supporter's country (the office that handles it is
shown in words as soon as it is known — at once with JavaScript, with "Find the office"
without), or an office of her choice, then who signs. Whatever order she fills it in, the
big button makes the letter from what the form holds; an error names the field that needs
her. Each step posts the fields again; nothing is kept.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass, replace

from flask import Blueprint, Response, abort, request

from lettergen.campaign.signers import Signer
from lettergen.compose.letter import Letter
from lettergen.compose.markdown import to_blocks
from lettergen.web import security
from lettergen.web.forms import SignerForm, read_form
from lettergen.web.pages import language, office_label, page, served
from lettergen.web.site import Choice

bp = Blueprint("campaign", __name__)

#: The form's fields, as the preview carries them on to downloads and "Fax it for me".
FORM_KEYS = ("name", "organisation", "town", "email", "message", "country", "office")


@dataclass(frozen=True)
class Found:
    """Where a letter goes, in words: the office as its address names it and where it is;
    `abroad` names the supporter's country when the office covers it from another; `none`
    names a country no office handles."""

    name: str = ""
    where: str = ""
    abroad: str = ""
    none: str = ""
    comma: str = ", "  # the page language's, between the office and where it is


def found_office(lang: str, country: str, office_id: str) -> Found | None:
    """What the form says of the office: the one chosen from the list, else the one routing
    finds for the country, else None (nothing chosen yet)."""
    site = served().site
    comma = site.comma(lang)
    if office_id and site.has_office(office_id):
        return Found(*site.office_name(lang, office_id), comma=comma)
    if country not in site.country_codes:
        return None
    country_name = site.language(lang).country_name(country)
    office_id = site.routed_office(country)
    if not office_id:
        return Found(none=country_name)
    name, where = site.office_name(lang, office_id)
    abroad = country_name if site.office(office_id).country != country else ""
    return Found(name, where, abroad, comma=comma)


def form_page(lang: str, form: SignerForm | None = None, status: int = 200) -> Response:
    """The campaign and its form, filled in with `form` (or the `?country=` asked for)."""
    site = served().site
    campaign = site.campaign
    if form is None:
        form = SignerForm(country=request.args.get("country", "").strip().upper()[:2])
    if form.country not in site.country_codes:
        form.country = "" if "country" not in form.errors else form.country
    return page(
        "index.html",
        lang,
        status,
        case=to_blocks(campaign.case[lang]),
        action_day=site.language(lang).format_date(campaign.action_date),
        countries=site.countries(lang),
        routed=site.routed_offices,
        offices=site.office_choices(lang, lambda _, lang_, office: office_label(lang_, office)),
        office_names={o.id: site.office_name(lang, o.id) for o in site.offices},
        office_countries={o.id: o.country for o in site.offices},
        form=form,
        comma=site.comma(lang),
        found=found_office(lang, form.country, form.office),
    )


def read_letter(lang: str) -> tuple[SignerForm, tuple[Choice, Letter] | None]:
    """The posted form, checked, and the letter it makes (None while the form has errors,
    which are then in the form). Counts against the client's rate limit."""
    current = served()
    if not current.limit.allow(security.client_address()):
        abort(429)
    site = current.site
    values = {key: request.form.get(key, "") for key in FORM_KEYS}
    form = read_form(values, site.country_codes, site.office_ids)
    if form.errors:
        return form, None
    choice = site.choose(form.country, form.office)
    if choice is None:  # a country no office handles, and no office chosen
        form.errors["country"] = "no_office"
        return form, None
    signer = Signer(form.name, form.organisation, form.town, form.country, form.email, form.message)
    return form, (choice, site.compose(choice, signer, lang))


def fields(form: SignerForm) -> dict[str, str]:
    """The form's fields, to carry on as hidden fields."""
    return {key: value for key, value in asdict(form).items() if key in FORM_KEYS}


def letter_digest(letter: Letter) -> str:
    """A fingerprint of every word and setting of a letter: the preview carries it, so
    "Fax it for me" faxes the letter the supporter saw, or nothing."""
    return hashlib.sha256(repr(letter).encode("utf-8")).hexdigest()[:32]


@bp.get("/")
def index() -> Response:
    return form_page(language())


@bp.post("/")
def edit() -> Response:
    """The form again with what the supporter typed: back from the preview ("Change
    something"), or "Find the office" without JavaScript."""
    form = SignerForm()
    for key in FORM_KEYS:
        setattr(form, key, request.form.get(key, "").strip())
    form.country = form.country.upper()
    if form.office and not served().site.has_office(form.office):
        form.office = ""
    return form_page(language(), form)


@bp.post("/letter")
def preview() -> Response:
    lang = language()
    form, made = read_letter(lang)
    if made is None:
        return form_page(lang, form, 400)
    choice, letter = made
    choice = replace(choice, written=letter.fax_display)  # the page's number as the letter's
    current = served()
    site = current.site
    stamped = site.stamped(letter)
    if current.tally:
        current.tally.add(choice.office.id, lang, "preview")
    pages = [
        ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in tiles]
        for tiles in site.preview(letter, stamped.data, layout=stamped.layout)
    ]
    found = found_office(lang, choice.recipient.country, "") if choice.route else None
    return page(
        "letter.html",
        lang,
        form=form,
        fields=fields(form),
        fax_fields={k: v for k, v in fields(form).items() if k != "email"},
        choice=choice,
        letter=letter,
        found=found or Found(*site.office_name(lang, choice.office.id), comma=site.comma(lang)),
        office_label=office_label(lang, choice.office.id),
        office_country=site.language(lang).country_name(choice.office.country),
        digest=letter_digest(letter),
        pages=pages,
    )
