"""Composition: Campaign × Office × Signer × language → Letter, the one content model.

Every word of a letter is decided here, from the language's strings and prose template. The
writers (PDF, DOCX, TIFF) only lay out what this returns.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lettergen.campaign import Campaign, Sender
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.letter import Block, Letter, ListBlock, Paragraph, Run
from lettergen.compose.markdown import to_blocks
from lettergen.directory.countries import country_name
from lettergen.directory.model import Head, Office
from lettergen.errors import Place, TemplateError
from lettergen.language.languages import BODY_TEMPLATE, CountryIn, Language, load_language
from lettergen.language.markup import MarkdownText
from lettergen.language.typography import phone, protected_phrase, written_groups
from lettergen.util.text import direction as text_direction

log = logging.getLogger(__name__)

#: Stands for the campaign's case in the prose until the case's own blocks replace it.
CASE_MARK = "lettergencasetext"
#: Stands for the supporter's own words (`{{ own_words }}`) until her paragraph replaces it.
OWN_WORDS_MARK = "lettergenownwords"

#: Countries whose offices use US Letter paper (CLDR's paperSize data: the Americas mostly).
LETTER_PAPER = frozenset(
    {"US", "CA", "MX", "PR", "CL", "CO", "VE", "PH", "GT", "CR", "PA", "DO", "SV", "NI", "BZ"}
)


# --- the fields each text of a language gets ---------------------------------------------------

#: What _context() gives every string that names the office or its addressee, and the prose.
CONTEXT_FIELDS = frozenset(
    {"state", "country", "country_in", "country_code", "city", "organisation", "head", "joint"}
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
    # the covering message of a letter e-mailed to an office (send.transports.office_email)
    "email.": frozenset({"pages", "subject", "reply_to"}),
    "cover.": CONTEXT_FIELDS,
    BODY_TEMPLATE: CONTEXT_FIELDS
    | {
        "accredited",
        "office",
        "sender",
        "signer",
        "case",
        "own_words",
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
    signatories: int = 0,
    choice: variants.Choice | None = None,
) -> Letter:
    """Compose one letter. `state` is the sending state's ISO code (the directory's); `cover`
    adds a fax cover sheet; `signatories`: the number of people a joint letter speaks for
    (joint.make_joint adds their list), whose letter says "we"; `choice` picks the phrasing
    variants (default: a single letter's, one of the office's few wordings picked by the signer's
    name, see compose.variants)."""
    language = load_language(lang, templates)
    campaign.require_language(lang)
    sender = sender or campaign.sender
    signer = signer or sender.signer()
    # A supporter's letter is hers (`letterhead: signer`): her block and place head it; the
    # group's letters, and every letter of a campaign whose group signs for all, carry the
    # sender's.
    own = campaign.letterhead == "signer" and signer != sender.signer()
    office = recipient.office
    context = _context(language, recipient, state, signatories)
    written = _written_numbers(office.file)
    role = (
        "accredited"
        if recipient.accredited and office.role in ("ambassador", "permanent-representative")
        else office.role
    )
    office_line = language.string(f"offices.{office.kind}", **context)
    head = office.head
    to = (
        *(
            language.bind_titles(line)
            for line in language.lines(_form(language, role, "lines", head), **context)
        ),
        office_line,
    )
    fax = recipient.fax_number
    fax_display = phone(fax, written) if fax else ""
    date_text = language.format_date(campaign.letter_date)
    header, notice = _fax_lines(language, recipient, sender, office_line, context, fax_display)
    letter = Letter(
        campaign=campaign.name,
        office_id=office.id,
        country=recipient.country,
        office_country=office.country,
        language=lang,
        signer_slug="" if signer == sender.signer() else signer.slug,
        fax=fax,
        fax_display=fax_display,
        page_size="Letter" if office.country in LETTER_PAPER else "A4",
        direction="rtl" if language.direction == "rtl" else "ltr",
        sender=_signer_block(language, signer) if own else _sender_block(language, sender),
        # Posted from the letterhead's country: hers under her own letterhead (a letter from
        # Köln to Berlin needs no "GERMANY"), else the sender's.
        addressee=(
            *to,
            *map(language.isolate, postal_address(office, sender, signer.country if own else "")),
        ),
        # The place the letter is written from is the letterhead's: the signer's town under
        # her own letterhead, else the sender's city.
        date=_date_line(language, date_text, signer.city if own else sender.city),
        fax_notice=notice,
        subject=(
            language.string("labels.subject") + " " + language.bind_titles(campaign.subject[lang])
        ).strip(),
        salutation=language.string(_form(language, role, "salutation", head), **context),
        body=_body(
            language, campaign, recipient, sender, signer, context, choice or variants.Choice()
        ),
        # A language may close differently by addressee (French repeats the form of address).
        closing=language.string(_form(language, role, "closing", head), **context),
        signature=tuple(
            language.isolate(line)
            for line in (signer.name, signer.organisation, _place(language, signer))
            if line
        ),
        header=header,
        page_label=language.raw("labels.page"),
        # A fax cover names the addressee and office, not the postal address.
        cover=_cover(
            language,
            to,
            language.isolate(fax_display),
            sender,
            signer,
            date_text,
            campaign.subject[lang],
            context,
        )
        if cover
        else (),
        cover_title=language.string("cover.title", **context) if cover else "",
        signer_letterhead=own,
        replies=_replies(language, sender) if own and campaign.replies_to_sender else "",
        locale=language.locale.replace("_", "-"),
        title=campaign.subject[lang],
        author=signer.name,
    )
    return typeset(letter, language, state_names(language, state).values())


def typeset(letter: Letter, language: Language, protected: Iterable[str] = ()) -> Letter:
    """Typography as the last step of composition: every text the letter prints, the
    campaign's as well as the templates', set by the language's rules (language/typography.py)
    — its quotation marks, its non-breaking spaces, the sending state's name kept on one line."""
    phrases = tuple(dict.fromkeys(protected_phrase(name) for name in protected))
    rules = language.typography

    def text(value: str) -> str:
        return rules(value, phrases)

    def texts(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(text(v) for v in values)

    def runs(items: tuple[Run, ...]) -> tuple[Run, ...]:
        return tuple(replace(run, text=text(run.text)) for run in items)

    body: list[Block] = []
    for block in letter.body:
        if isinstance(block, Paragraph) and block.role == "own-words":
            body.append(block)  # the supporter's words, printed as she wrote them
        elif isinstance(block, Paragraph):
            body.append(replace(block, runs=runs(block.runs)))
        else:
            body.append(replace(block, items=tuple(runs(item) for item in block.items)))
    return replace(
        letter,
        # A person's own words stay as she typed them: her name and letterhead, the signatories.
        sender=letter.sender if letter.signer_letterhead else texts(letter.sender),
        addressee=texts(letter.addressee),
        date=text(letter.date),
        fax_notice=text(letter.fax_notice),
        subject=text(letter.subject),
        salutation=text(letter.salutation),
        body=tuple(body),
        closing=text(letter.closing),
        signature=letter.signature,
        header=text(letter.header),
        cover=tuple((text(label), text(value)) for label, value in letter.cover),
        cover_title=text(letter.cover_title),
        signatories_heading=text(letter.signatories_heading),
        signatories=letter.signatories,
        title=text(letter.title),
    )


@functools.cache
def _written_numbers(directory_file: Path | None) -> dict[str, str]:
    """The numbers of a directory's source text as it groups them (E.164 → "+7 095 208 26 50"),
    for numbers today's numbering plan no longer knows: the directory's `source:`, found next
    to the directory file or above it, or from the working folder; {} without one."""
    if directory_file is None:
        return {}
    try:
        head = directory_file.read_text(encoding="utf-8")[:4000]
    except OSError:
        return {}
    found = re.search(r"^source:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", head, re.M)
    if not found:
        return {}
    name = Path(found.group(1).strip())
    for base in (Path.cwd(), *directory_file.resolve().parents):
        candidate = base / name
        if candidate.is_file():
            try:
                return written_groups(candidate.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                return {}
    return {}


def office_line(language: Language, recipient: Recipient, state: str) -> str:
    """The office as the letter's address names it ("Embassy of the Republic of Kazakhstan"),
    for a page that says where a letter goes in the same words."""
    context = _context(language, recipient, state)
    return language.string(f"offices.{recipient.office.kind}", **context)


def state_names(language: Language, state: str) -> dict[str, str]:
    """The sending state's names in a language: `states.<code>` of its strings; where the
    language lacks them, CLDR's name of the country in every form the language's other states
    use, with a warning (no grammar is guessed: the translator should add them)."""
    states = language.raw("states")
    if isinstance(states, dict) and isinstance(states.get(state), dict):
        return dict(states[state])
    _warn_cldr_state(language.code, state, str(language.folder / "strings.yaml"))
    name = language.country_name(state)
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


def _context(
    language: Language, recipient: Recipient, state: str, signatories: int = 0
) -> dict[str, Any]:
    """The fields every string naming the office and the prose get (CONTEXT_FIELDS): see
    letter_templates/README.md."""
    context = {
        "state": state_names(language, state),
        "country": language.country_name(recipient.country),
        "country_code": recipient.country,
        "city": recipient.office.city,
        "organisation": _organisation(language, recipient.office),
        "country_in": CountryIn(language, recipient.country),
        # A head of office the directory knows by name (the office's `head:`); "" otherwise.
        # In a right-to-left letter the name, a field of its own, is isolated in its direction.
        "head": {
            "name": language.isolate(recipient.office.head.name) if recipient.office.head else "",
            "gender": recipient.office.head.gender if recipient.office.head else "",
        },
        # A joint letter speaks for its signatories: "we", not "I" (0 for a letter of one).
        "joint": signatories,
    }
    assert context.keys() == CONTEXT_FIELDS, "keep CONTEXT_FIELDS in step"
    return context


def _form(language: Language, role: str, part: str, head: Head | None) -> str:
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
    return next((key for key in keys if language.has(key)), keys[-1])


def _fax_lines(
    language: Language,
    recipient: Recipient,
    sender: Sender,
    office_line: str,
    context: dict[str, Any],
    fax_display: str,
) -> tuple[str, str]:
    """The running header ("Fax to …") and the first page's note asking to report an
    outdated number; a letter for post is headed by its office and has no note."""
    fax = recipient.fax_number
    if not fax:
        return language.string("labels.header_post", office=office_line, **context), ""
    shown = language.isolate(fax_display)
    contact = sender.email or phone(sender.fax)
    header = language.string("labels.header", fax=shown, **context)
    notice = language.string(
        "labels.fax_notice",
        fax=shown,
        contact=language.isolate(contact),
        office_kind=language.string(f"labels.office_kinds.{recipient.office.kind}"),
        **context,
    )
    return header, notice


def _date_line(language: Language, date: str, city: str) -> str:
    if not city:
        return date
    return language.string(
        "labels.date_line", city=language.isolate(language.city_name(city)), date=date
    )


def _body(
    language: Language,
    campaign: Campaign,
    recipient: Recipient,
    sender: Sender,
    signer: Signer,
    context: dict[str, Any],
    choice: variants.Choice,
) -> tuple[Block, ...]:
    """The prose template filled with the campaign's case and demands, as blocks, each group of
    phrasing variants (the template's, the case's, the demands') set in the chosen wording.

    The case is Markdown of its own: it is parsed on its own and its blocks put where the
    template's {{ case }} paragraph stands, so nothing in it (an unclosed code fence, say) can
    reach into the template's text or the demands.
    """
    lang = language.code
    template = Place(language.folder / BODY_TEMPLATE)
    case = variants.parse(campaign.case[lang])
    demand_words = campaign.demand_alternatives(lang)
    framing = _template_sizes(language.folder / BODY_TEMPLATE)
    sizes = [
        *((("template", name), size) for name, size in framing.items()),
        *((("case", name), size) for name, size in variants.sizes(case).items()),
        *((("demand", str(n)), len(words)) for n, words in enumerate(demand_words, 1)),
    ]
    varied = [(key, size) for key, size in sizes if size > 1]
    picks = choice.picks(
        recipient.office.id, signer.name, [(f"{k[0]}:{k[1]}", n) for k, n in varied]
    )
    chosen = {key: picks[f"{key[0]}:{key[1]}"] for key, _ in varied}
    _warn_missing(language, campaign, framing, variants.sizes(case), demand_words)
    demands = tuple(
        language.bind_titles(words[chosen.get(("demand", str(n)), 0)])
        for n, words in enumerate(demand_words, 1)
    )
    markdown = language.render_body(
        **context,
        accredited=recipient.accredited,
        office=recipient.office,
        sender=sender,
        signer=signer,
        case=MarkdownText(CASE_MARK),
        own_words=MarkdownText(OWN_WORDS_MARK),
        demands=demands,
        action_date=campaign.action_date,
        letter_date=campaign.letter_date,
        action_date_text=language.format_date(campaign.action_date),
    )
    try:
        pieces = variants.parse(markdown)
    except variants.VariantSyntaxError as exc:
        raise TemplateError(f"phrasing variants: {exc.message}", template) from None
    markdown = variants.join(pieces, {name: chosen.get(("template", name), 0) for name in framing})
    case_text = variants.join(
        case, {name: chosen.get(("case", name), 0) for name, _ in variants.sizes(case).items()}
    )
    blocks: list[Block] = []
    placed = False
    for block in to_blocks(markdown):
        if isinstance(block, Paragraph) and CASE_MARK in block.text:
            if block.text.strip() != CASE_MARK:
                raise TemplateError("{{ case }} must stand in a paragraph of its own", template)
            blocks.extend(to_blocks(language.bind_titles(case_text)))
        elif isinstance(block, Paragraph) and OWN_WORDS_MARK in block.text:
            if block.text.strip() != OWN_WORDS_MARK:
                raise TemplateError(
                    "{{ own_words }} must stand in a paragraph of its own", template
                )
            placed = True
            blocks.extend(_own_words(signer))
        else:
            blocks.append(block)
    marked = _mark_demands(tuple(blocks), demands)
    if not any(isinstance(b, ListBlock) and b.role == "demands" for b in marked):
        raise TemplateError(
            "the letter does not list the campaign's demands (a '- {{ demand }}' list)", template
        )
    if not placed and signer.message:
        # A template without {{ own_words }}: her words after the demands, never dropped.
        at = next(n for n, b in enumerate(marked) if isinstance(b, ListBlock)) + 1
        marked = (*marked[:at], *_own_words(signer), *marked[at:])
    return marked


def _own_words(signer: Signer) -> tuple[Paragraph, ...]:
    """The supporter's own words as a paragraph of plain text, set in its own direction; none
    without them. Never Markdown or a template: the text is a Run, escaped where it is written."""
    if not signer.message:
        return ()
    return (
        Paragraph(
            (Run(signer.message),), role="own-words", direction=text_direction(signer.message)
        ),
    )


def most_alternatives(language: Language, campaign: Campaign) -> int:
    """The most wordings any group of phrasing variants has in a language's letters of a
    campaign (1: no variants): trial letters and proofs show each in turn."""
    counts = [1, *_template_sizes(language.folder / BODY_TEMPLATE).values()]
    if language.code in campaign.case:
        counts.extend(variants.sizes(variants.parse(campaign.case[language.code])).values())
    if language.code in campaign.demands:
        counts.extend(len(words) for words in campaign.demand_alternatives(language.code))
    return max(counts)


def _template_sizes(path: Path) -> dict[str, int]:
    """The phrasing variants of a prose template, read from its source: group → alternatives
    (a group may stand in each branch of an {% if %}: the larger count)."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _template_sizes_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _template_sizes_of(path: str, _mtime: int, _size: int) -> dict[str, int]:
    try:
        return variants.sizes(variants.parse(Path(path).read_text(encoding="utf-8"), unique=False))
    except variants.VariantSyntaxError as exc:
        raise TemplateError(
            f"phrasing variants: {exc.message}", Place(Path(path), exc.line)
        ) from None


#: The language the templates' variants are compared with.
SOURCE_LANGUAGE = "en"


def _warn_missing(
    language: Language,
    campaign: Campaign,
    framing: dict[str, int],
    case: dict[str, int],
    demand_words: tuple[tuple[str, ...], ...],
) -> None:
    """Variants the language lacks where the reference has them (English for the templates, the
    campaign's default language for its texts) — the language's own wordings are used, fewer
    of them: said once per language and group, naming it."""
    lang = language.code
    if lang != SOURCE_LANGUAGE:
        source = language.folder.parent / SOURCE_LANGUAGE / BODY_TEMPLATE
        for name, size in _template_sizes(source).items():
            if framing.get(name, 1) < size:
                _warn_fewer(
                    str(language.folder / BODY_TEMPLATE),
                    name,
                    framing.get(name, 1),
                    size,
                    SOURCE_LANGUAGE,
                )
    default = campaign.default_language
    if lang == default or default not in campaign.case:
        return
    for name, size in variants.sizes(variants.parse(campaign.case[default])).items():
        if case.get(name, 1) < size:
            _warn_fewer(f"{campaign.path}: case.{lang}", name, case.get(name, 1), size, default)
    reference = campaign.demand_alternatives(default)
    for n, (mine, theirs) in enumerate(zip(demand_words, reference, strict=False), 1):
        if len(mine) < len(theirs):
            _warn_fewer(
                f"{campaign.path}: demands.{lang}", f"demand {n}", len(mine), len(theirs), default
            )


@functools.cache
def _warn_fewer(where: str, name: str, mine: int, theirs: int, reference: str) -> None:
    # Once per place and group, not once per letter.
    log.warning(
        "%s: %s has %d wording(s) of %s where %s has %d: its letters vary less (add the "
        "missing variants, see letter_templates/README.md)",
        where,
        "the group" if not name.startswith("demand ") else "the list",
        mine,
        repr(name) if not name.startswith("demand ") else name,
        reference,
        theirs,
    )


def _cover(
    language: Language,
    to: tuple[str, ...],
    fax: str,
    sender: Sender,
    signer: Signer,
    date: str,
    subject: str,
    context: dict[str, Any],
) -> tuple[tuple[str, str], ...]:
    """The cover sheet's rows: To (addressee and office), Fax, From, Date, Pages, Re. "From"
    is whoever signs the letter, then where replies go (the sender's numbers and address)."""
    pages = language.raw("cover.pages_value")
    if not isinstance(pages, str) or "{pages}" not in pages:
        raise TemplateError(
            "cover.pages_value must be a text holding {pages}",
            hint=f"see cover.pages_value in {language.folder / 'strings.yaml'}",
        )
    # The numbers below the names are the sender's: where a signer writes for an organisation
    # of her own, the sender's name stands above them, so no number is taken for hers.
    contact = _contact_lines(language, sender)
    sender_name = sender.organisation if contact or not signer.organisation else ""
    names = [
        language.isolate(line)
        for line in dict.fromkeys((signer.name, signer.organisation, sender_name))
        if line
    ]
    rows = [
        ("to", "\n".join(to)),
        ("fax", fax),
        ("from", "\n".join([*names, *contact])),
        ("date", date),
        ("pages", pages),
        ("re", subject),
    ]
    return tuple(
        (language.string(f"cover.{key}", **context), value) for key, value in rows if value
    )


#: Short forms directories use for a country in an address line, beyond CLDR's names.
COUNTRY_ABBREVIATIONS = {
    "DE": ("BRD", "Deutschland"),
    "GB": ("UK", "U.K."),
    "US": ("USA", "U.S.A."),
    "AE": ("UAE", "U.A.E."),
    "KR": ("Korea",),
    "TR": ("Turkey", "Türkiye"),
}


def postal_address(office: Office, sender: Sender, posted_from: str = "") -> tuple[str, ...]:
    """The office's address as a letter posted from the sender's country needs it: with the
    country's name in capitals on a last line of its own (UPU: in English, a language every
    postal service reads) where the directory's lines do not name it and the sender writes from
    another country. A letter faxed carries it too: the same block goes in a window envelope.
    `posted_from`, when known, is the country the letter is posted from instead of the
    sender's (a supporter's, under her own letterhead): an ISO code or a country's name."""
    address = tuple(office.address)
    if not address or office.kind == "non-resident":
        return address
    if posted_from:
        code = posted_from.strip()
        if code.upper() == office.country or _names_country(code, office.country):
            return address  # posted within the country
    elif _names_country(" ".join(sender.address[-1:]), office.country):
        return address  # posted within the country
    if _names_country(" ".join(address), office.country):
        return address
    from babel import Locale

    name = Locale.parse("en").territories.get(office.country, office.country)
    return (*address, name.upper())


@functools.cache
def _country_names(code: str) -> tuple[str, ...]:
    """The names a country goes by in an address line: CLDR's in English, French, German,
    Spanish, Russian and its own official languages, and common abbreviations."""
    from babel import Locale
    from babel.languages import get_official_languages

    names = set(COUNTRY_ABBREVIATIONS.get(code, ()))
    for lang in ("en", "fr", "de", "es", "ru", *get_official_languages(code)):
        try:
            name = Locale.parse(lang).territories.get(code)
        except (ValueError, LookupError):
            continue
        if name:
            names.add(name)
    return tuple(sorted(names, key=len, reverse=True))


def _names_country(text: str, code: str) -> bool:
    words = text.casefold()
    return any(
        re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", words)
        for name in _country_names(code)
    )


def _organisation(language: Language, office: Office) -> str:
    if not office.organisation:
        return ""
    key = f"organisations.{office.organisation}"
    return language.string(key) if language.has(key) else office.organisation


def _place(language: Language, signer: Signer) -> str:
    """The signer's town and country, in the letter's language ("Madrid, Espagne")."""
    country = signer.country
    if len(country) == 2 and country.isalpha():  # an ISO code, as signer files give it
        country = language.country_name(country.upper())
    city = language.city_name(signer.city) if signer.city else ""
    return ", ".join(part for part in (city, country) if part)


def _sender_block(language: Language, sender: Sender) -> tuple[str, ...]:
    lines = [
        language.isolate(line) for line in (sender.organisation or sender.name, *sender.address)
    ]
    lines.extend(_contact_lines(language, sender))
    return tuple(line for line in lines if line)


def _signer_block(language: Language, signer: Signer) -> tuple[str, ...]:
    """The signer's own letterhead: name, organisation, town and country, each on its line, in
    the letter's language ("Köln", "Deutschland")."""
    country = signer.country
    if len(country) == 2 and country.isalpha():  # an ISO code, as signer files give it
        # The name as an address gives it (CLDR's), not as the prose does ("the United Kingdom").
        country = country_name(country.upper(), language.locale) or country
    city = language.city_name(signer.city) if signer.city else ""
    lines = (signer.name, signer.organisation, city, country)
    return tuple(language.isolate(line) for line in lines if line)


def _replies(language: Language, sender: Sender) -> str:
    """'Replies may also be sent to <the group>, <its e-mail or fax>.', or '' when the sender
    has no way to be reached."""
    contact = sender.email or (phone(sender.fax) if sender.fax else "")
    if not contact:
        return ""
    who = sender.organisation or sender.name
    shown = ", ".join(language.isolate(part) for part in (who, contact) if part)
    return language.string("labels.replies", contact=shown)


def _contact_lines(language: Language, sender: Sender) -> list[str]:
    """'Tel. …', 'Fax …', 'E-mail …' for what the sender has."""
    lines = []
    for label, value in (("phone", sender.phone), ("fax", sender.fax), ("email", sender.email)):
        if value:
            # Numbers as people dial them; one phonenumbers cannot read stays as written.
            shown = value if label == "email" else phone(value)
            lines.append(f"{language.string(f'labels.{label}')} {language.isolate(shown)}")
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
