"""Composition: Campaign × Office × Signer × language → Letter, the one content model.

Every word of a letter is decided here, from the language's strings and prose template. The
writers (PDF, DOCX, TIFF) only lay out what this returns.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettergen.campaign import Campaign, Sender
from lettergen.campaign.signers import Signer
from lettergen.compose.letter import Block, Letter, ListBlock, Paragraph
from lettergen.compose.markdown import to_blocks
from lettergen.directory.countries import country_name
from lettergen.directory.model import Head, Office
from lettergen.directory.phones import international as display_number
from lettergen.errors import Place, TemplateError
from lettergen.language.languages import BODY_TEMPLATE, CountryIn, Language, language
from lettergen.language.markup import MarkdownText

log = logging.getLogger(__name__)

#: Stands for the campaign's case in the prose until the case's own blocks replace it.
CASE_MARK = "lettergencasetext"

#: Countries whose offices use US Letter paper (CLDR's paperSize data: the Americas mostly).
LETTER_PAPER = frozenset(
    {"US", "CA", "MX", "PR", "CL", "CO", "VE", "PH", "GT", "CR", "PA", "DO", "SV", "NI", "BZ"}
)


# --- the fields each text of a language gets ---------------------------------------------------

#: What _context() gives every string that names the office or its addressee, and the prose.
CONTEXT_FIELDS = frozenset(
    {"state", "country", "country_in", "country_code", "city", "organisation", "head"}
)
#: The fields of each text, by strings.yaml key (a key ending in "." stands for every key under
#: it) or BODY_TEMPLATE for the prose; other texts take none. compose_letter() passes exactly
#: these (tests/compose/test_compose_fields.py records its calls to check), and `lettergen lang
#: check` reads them here, so a new field is added once. `country_in` is the pattern
#: `languages` fills.
TEXT_FIELDS: dict[str, frozenset[str]] = {
    "offices.": CONTEXT_FIELDS,
    "addressees.": CONTEXT_FIELDS,
    "closing": CONTEXT_FIELDS,
    "labels.header": CONTEXT_FIELDS | {"fax"},
    "labels.header_post": CONTEXT_FIELDS | {"office"},
    "labels.fax_notice": CONTEXT_FIELDS | {"fax", "contact", "office_kind"},
    "labels.date_line": frozenset({"city", "date"}),
    "labels.replies": frozenset({"contact"}),
    "country_in": frozenset({"country"}),
    "joint.": frozenset({"count"}),
    BODY_TEMPLATE: CONTEXT_FIELDS
    | {
        "accredited",
        "office",
        "sender",
        "signer",
        "case",
        "demands",
        "action_date",
        "letter_date",
        "action_date_text",
    },
}


def fields(key: str) -> frozenset[str]:
    """The fields a text gets when a letter is composed: `key` is a strings.yaml key
    ("addressees.ambassador.salutation") or BODY_TEMPLATE for the prose."""
    if key in TEXT_FIELDS:
        return TEXT_FIELDS[key]
    for prefix, names in TEXT_FIELDS.items():
        if prefix.endswith(".") and key.startswith(prefix):
            return names
    return frozenset()


@dataclass(frozen=True)
class Recipient:
    """Where one letter goes: the office, and the country it is written about (the office's own
    country, or a country its head is accredited to from there)."""

    office: Office
    country: str
    fax: str | None = None  # which of the office's faxes; default its first

    @property
    def accredited(self) -> bool:
        return self.country != self.office.country

    @property
    def fax_number(self) -> str | None:
        return self.fax or self.office.fax


def compose_letter(
    campaign: Campaign,
    recipient: Recipient,
    *,
    lang: str,
    state: str,
    signer: Signer | None = None,
    sender: Sender | None = None,
    templates: Path | None = None,
    cover: bool = False,
) -> Letter:
    """Compose one letter. `state` is the sending state's ISO code (the directory's); `cover`
    adds a fax cover sheet."""
    language_ = language(lang, templates)
    campaign.require_language(lang)
    sender = sender or campaign.sender
    signer = signer or sender.signer()
    # A supporter's letter is hers (`letterhead: signer`): her block and place head it; the
    # group's letters, and every letter of a campaign whose group signs for all, carry the
    # sender's.
    own = campaign.letterhead == "signer" and signer != sender.signer()
    office = recipient.office
    context = _context(language_, recipient, state)
    role = (
        "accredited"
        if recipient.accredited and office.role in ("ambassador", "permanent-representative")
        else office.role
    )
    office_line = language_.string(f"offices.{office.kind}", **context)
    head = office.head
    to = (
        *(
            language_.bind_titles(line)
            for line in language_.lines(_form(language_, role, "lines", head), **context)
        ),
        office_line,
    )
    fax = recipient.fax_number
    fax_display = display_number(fax) if fax else ""
    date_text = language_.format_date(campaign.letter_date)
    header, notice = _fax_lines(language_, recipient, sender, office_line, context)
    return Letter(
        campaign=campaign.name,
        office_id=office.id,
        country=recipient.country,
        office_country=office.country,
        language=lang,
        signer_slug="" if signer == sender.signer() else signer.slug,
        fax=fax,
        fax_display=fax_display,
        page_size="Letter" if office.country in LETTER_PAPER else "A4",
        direction="rtl" if language_.direction == "rtl" else "ltr",
        sender=_signer_block(language_, signer) if own else _sender_block(language_, sender),
        addressee=(*to, *map(language_.isolate, office.address)),
        # The place the letter is written from is the letterhead's: the signer's town under
        # her own letterhead, else the sender's city.
        date=_date_line(language_, date_text, signer.city if own else sender.city),
        fax_notice=notice,
        subject=(
            language_.string("labels.subject") + " " + language_.bind_titles(campaign.subject[lang])
        ).strip(),
        salutation=language_.string(_form(language_, role, "salutation", head), **context),
        body=_body(language_, campaign, recipient, sender, signer, context),
        # A language may close differently by addressee (French repeats the form of address).
        closing=language_.string(_form(language_, role, "closing", head), **context),
        signature=tuple(
            language_.isolate(line)
            for line in (signer.name, signer.organisation, _place(language_, signer))
            if line
        ),
        header=header,
        page_label=language_.raw("labels.page"),
        # A fax cover names the addressee and office, not the postal address.
        cover=_cover(
            language_, to, language_.isolate(fax_display), sender, date_text, campaign.subject[lang]
        )
        if cover
        else (),
        cover_title=language_.string("cover.title") if cover else "",
        signer_letterhead=own,
        replies=_replies(language_, sender) if own and campaign.replies_to_sender else "",
        locale=language_.locale.replace("_", "-"),
        title=campaign.subject[lang],
        author=signer.name,
    )


def office_line(language_: Language, recipient: Recipient, state: str) -> str:
    """The office as the letter's address names it ("Embassy of the Republic of Kazakhstan"),
    for a page that says where a letter goes in the same words."""
    context = _context(language_, recipient, state)
    return language_.string(f"offices.{recipient.office.kind}", **context)


def state_names(language_: Language, state: str) -> dict[str, str]:
    """The sending state's names in a language: `states.<code>` of its strings; where the
    language lacks them, CLDR's name of the country in every form the language's other states
    use, with a warning (no grammar is guessed: the translator should add them)."""
    states = language_.raw("states")
    if isinstance(states, dict) and isinstance(states.get(state), dict):
        return dict(states[state])
    _warn_cldr_state(language_.code, state, str(language_.folder / "strings.yaml"))
    name = language_.country_name(state)
    forms = {"name", "short"}
    for names in (states or {}).values() if isinstance(states, dict) else ():
        if isinstance(names, dict):
            forms.update(str(key) for key in names)
    return {form: name for form in sorted(forms)}


@functools.cache
def _warn_cldr_state(lang: str, state: str, strings: str) -> None:
    # Once per language and state, not once per letter.
    log.warning(
        "language %r has no names for the sending state %s: CLDR's country name is used in "
        "every form (add states.%s to %s)",
        lang,
        state,
        state,
        strings,
    )


def _context(language_: Language, recipient: Recipient, state: str) -> dict[str, Any]:
    """The fields every string naming the office and the prose get (CONTEXT_FIELDS): see
    letter_templates/README.md."""
    context = {
        "state": state_names(language_, state),
        "country": language_.country_name(recipient.country),
        "country_code": recipient.country,
        "city": recipient.office.city,
        "organisation": _organisation(language_, recipient.office),
        "country_in": CountryIn(language_, recipient.country),
        # A head of office the directory knows by name (the office's `head:`); "" otherwise.
        "head": {
            "name": recipient.office.head.name if recipient.office.head else "",
            "gender": recipient.office.head.gender if recipient.office.head else "",
        },
    }
    assert context.keys() == CONTEXT_FIELDS, "keep CONTEXT_FIELDS in step"
    return context


def _form(language_: Language, role: str, part: str, head: Head | None) -> str:
    """The strings key of a part of the form of address ("lines", "salutation", "closing").

    For a head of office the directory knows by name, the language's named form for the
    head's gender (`addressees.<role>.named.female.salutation`), then its named form for any
    gender (`addressees.<role>.named.salutation`); else, and for an office whose head is not
    known, the office's form (`addressees.<role>.salutation`), and for a closing the
    language's general `closing`. A language without named forms addresses a known head by
    the office, as for any other.
    """
    keys = [f"addressees.{role}.{part}"]
    if head is not None:
        named = f"addressees.{role}.named"
        keys[:0] = [f"{named}.{head.gender}.{part}"] if head.gender else []
        keys.insert(len(keys) - 1, f"{named}.{part}")
    if part == "closing":
        keys.append("closing")
    return next((key for key in keys if language_.has(key)), keys[-1])


def _fax_lines(
    language_: Language,
    recipient: Recipient,
    sender: Sender,
    office_line: str,
    context: dict[str, Any],
) -> tuple[str, str]:
    """The running header ("Fax to …") and the first page's note asking to report an
    outdated number; a letter for post is headed by its office and has no note."""
    fax = recipient.fax_number
    if not fax:
        return language_.string("labels.header_post", office=office_line, **context), ""
    shown = language_.isolate(display_number(fax))
    contact = sender.email or display_number(sender.fax)
    header = language_.string("labels.header", fax=shown, **context)
    notice = language_.string(
        "labels.fax_notice",
        fax=shown,
        contact=language_.isolate(contact),
        office_kind=language_.string(f"labels.office_kinds.{recipient.office.kind}"),
        **context,
    )
    return header, notice


def _date_line(language_: Language, date: str, city: str) -> str:
    if not city:
        return date
    return language_.string(
        "labels.date_line", city=language_.isolate(language_.city_name(city)), date=date
    )


def _body(
    language_: Language,
    campaign: Campaign,
    recipient: Recipient,
    sender: Sender,
    signer: Signer,
    context: dict[str, Any],
) -> tuple[Block, ...]:
    """The prose template filled with the campaign's case and demands, as blocks.

    The case is Markdown of its own: it is parsed on its own and its blocks put where the
    template's {{ case }} paragraph stands, so nothing in it (an unclosed code fence, say) can
    reach into the template's text or the demands.
    """
    lang = language_.code
    markdown = language_.render_body(
        **context,
        accredited=recipient.accredited,
        office=recipient.office,
        sender=sender,
        signer=signer,
        case=MarkdownText(CASE_MARK),
        demands=tuple(language_.bind_titles(d) for d in campaign.demands[lang]),
        action_date=campaign.action_date,
        letter_date=campaign.letter_date,
        action_date_text=language_.format_date(campaign.action_date),
    )
    blocks: list[Block] = []
    for block in to_blocks(markdown):
        if isinstance(block, Paragraph) and CASE_MARK in block.text:
            if block.text.strip() != CASE_MARK:
                raise TemplateError(
                    "{{ case }} must stand in a paragraph of its own",
                    Place(language_.folder / BODY_TEMPLATE),
                )
            blocks.extend(to_blocks(language_.bind_titles(campaign.case[lang])))
        else:
            blocks.append(block)
    marked = _mark_demands(
        tuple(blocks), tuple(language_.bind_titles(d) for d in campaign.demands[lang])
    )
    if not any(isinstance(b, ListBlock) and b.role == "demands" for b in marked):
        raise TemplateError(
            "the letter does not list the campaign's demands (a '- {{ demand }}' list)",
            Place(language_.folder / BODY_TEMPLATE),
        )
    return marked


def _cover(
    language_: Language, to: tuple[str, ...], fax: str, sender: Sender, date: str, subject: str
) -> tuple[tuple[str, str], ...]:
    """The cover sheet's rows: To (addressee and office), Fax, From, Date, Pages, Re."""
    pages = language_.raw("cover.pages_value")
    if not isinstance(pages, str) or "{pages}" not in pages:
        raise TemplateError(
            "cover.pages_value must be a text holding {pages}",
            hint=f"see cover.pages_value in {language_.folder / 'strings.yaml'}",
        )
    names = [language_.isolate(line) for line in (sender.name, sender.organisation) if line]
    rows = [
        ("to", "\n".join(to)),
        ("fax", fax),
        ("from", "\n".join([*names, *_contact_lines(language_, sender)])),
        ("date", date),
        ("pages", pages),
        ("re", subject),
    ]
    return tuple((language_.string(f"cover.{key}"), value) for key, value in rows if value)


def _organisation(language_: Language, office: Office) -> str:
    if not office.organisation:
        return ""
    key = f"organisations.{office.organisation}"
    return language_.string(key) if language_.has(key) else office.organisation


def _place(language_: Language, signer: Signer) -> str:
    """The signer's town and country, in the letter's language ("Madrid, Espagne")."""
    country = signer.country
    if len(country) == 2 and country.isalpha():  # an ISO code, as signer files give it
        country = language_.country_name(country.upper())
    city = language_.city_name(signer.city) if signer.city else ""
    return ", ".join(part for part in (city, country) if part)


def _sender_block(language_: Language, sender: Sender) -> tuple[str, ...]:
    lines = [
        language_.isolate(line) for line in (sender.organisation or sender.name, *sender.address)
    ]
    lines.extend(_contact_lines(language_, sender))
    return tuple(line for line in lines if line)


def _signer_block(language_: Language, signer: Signer) -> tuple[str, ...]:
    """The signer's own letterhead: name, organisation, town and country, each on its line, in
    the letter's language ("Köln", "Deutschland")."""
    country = signer.country
    if len(country) == 2 and country.isalpha():  # an ISO code, as signer files give it
        # The name as an address gives it (CLDR's), not as the prose does ("the United Kingdom").
        country = country_name(country.upper(), language_.locale) or country
    city = language_.city_name(signer.city) if signer.city else ""
    lines = (signer.name, signer.organisation, city, country)
    return tuple(language_.isolate(line) for line in lines if line)


def _replies(language_: Language, sender: Sender) -> str:
    """'Replies may also be sent to <the group>, <its e-mail or fax>.', or '' when the sender
    has no way to be reached."""
    contact = sender.email or (display_number(sender.fax) if sender.fax else "")
    if not contact:
        return ""
    who = sender.organisation or sender.name
    shown = ", ".join(language_.isolate(part) for part in (who, contact) if part)
    return language_.string("labels.replies", contact=shown)


def _contact_lines(language_: Language, sender: Sender) -> list[str]:
    """'Tel. …', 'Fax …', 'E-mail …' for what the sender has."""
    lines = []
    for label, value in (("phone", sender.phone), ("fax", sender.fax), ("email", sender.email)):
        if value:
            # Numbers as people dial them; one phonenumbers cannot read stays as written.
            shown = value if label == "email" else display_number(value)
            lines.append(f"{language_.string(f'labels.{label}')} {language_.isolate(shown)}")
    return lines


def _mark_demands(blocks: tuple[Block, ...], demands: tuple[str, ...]) -> tuple[Block, ...]:
    """Mark the list that holds the campaign's demands, so writers and checks can find it."""
    wanted = [" ".join(d.split()) for d in demands]
    marked: list[Block] = []
    for block in blocks:
        if isinstance(block, ListBlock) and [" ".join(t.split()) for t in block.texts] == wanted:
            block = ListBlock(block.items, block.ordered, role="demands")
        marked.append(block)
    return tuple(marked)
