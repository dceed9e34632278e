"""The translator's tools: `lettergen lang new` scaffolds a language from English, `lang check`
says what a language still lacks, `lang mark-current` records that it follows today's English.

A translation records the English text it was made from (`source_hash:` in its strings.yaml, a
sha256 per English file), so a later change to English shows up as `outdated`. The checks are
static (string keys and {{ fields }} compared with English, with jinja2.meta) and practical (a
trial letter to every kind of office, composed as the batch would), so a template branch that
a trial never takes is still checked, and a problem the static checks cannot see still fails.
A finding's subject is its language's code (lettergen.findings).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from lettergen import paths, yamlio
from lettergen.errors import InputError, LettergenError, Place
from lettergen.findings import ERROR, NOTE, WARNING, Codes, Finding
from lettergen.i18n import (
    BODY_TEMPLATE,
    LAYOUT,
    STRINGS,
    Language,
    available,
    clear_caches,
    kind_of,
)
from lettergen.i18n import language as cached_language

#: The language every translation is made from and compared with.
SOURCE = "en"
FILES = (STRINGS, BODY_TEMPLATE)

#: Every code `check` reports, with its severity and meaning (letter_templates/README.md).
CODES = Codes(
    {
        "unreadable": (ERROR, "strings.yaml or letter.md.j2 cannot be read or parsed"),
        "missing-key": (ERROR, "a string English has is missing"),
        "wrong-type": (
            ERROR,
            "a string is another kind of value than English's (a list, a text, empty)",
        ),
        "unknown-field": (ERROR, "a {{ field }} no letter provides at that place"),
        "missing-field": (WARNING, "a {{ field }} English uses at that place is not used"),
        "placeholder": (
            ERROR,
            "a {page}-style placeholder of English's text is missing, or an unknown one is used",
        ),
        "country-code": (ERROR, "a key under countries or countries_in is not an ISO 3166 code"),
        "untranslated": (WARNING, "a text is still the English one"),
        "no-source-hash": (
            WARNING,
            "the translation does not record which English text it follows",
        ),
        "outdated": (WARNING, "the English text changed after the translation was made"),
        "cannot-compose": (ERROR, "a trial letter in this language could not be made"),
        "country-form": (ERROR, "no 'in <country>' form for a country a letter may be about"),
        "campaign-text": (NOTE, "a campaign has no subject, case or demands in this language"),
        "campaign-text-required": (
            ERROR,
            "a campaign named with --campaign lacks texts in this language",
        ),
        "demands-count": (
            WARNING,
            "a campaign's demands in this language differ in number from its default language's",
        ),
        "campaign-unreadable": (ERROR, "a campaign file cannot be loaded"),
    }
)

# --- what a letter provides to each text (keep in step with compose.compose) ---------------

#: Fields of every string that names the office or its addressee, and of the prose.
CONTEXT = frozenset({"state", "country", "country_in", "country_code", "city", "organisation"})
#: Fields of particular strings, on top of none (labels.date_line) or CONTEXT (the others).
EXTRA = {
    "labels.header": CONTEXT | {"fax"},
    "labels.header_post": CONTEXT | {"office"},
    "labels.fax_notice": CONTEXT | {"fax", "contact", "office_kind"},
    "labels.date_line": frozenset({"city", "date"}),
    "country_in": frozenset({"country"}),
}
WITH_CONTEXT = ("offices.", "addressees.", "closing")
#: Fields of the prose (letter.md.j2).
BODY = CONTEXT | {
    "accredited",
    "office",
    "sender",
    "signer",
    "case",
    "demands",
    "action_date",
    "letter_date",
    "action_date_text",
}
#: Fields a text must use, or the letter would lose something essential.
REQUIRED = {
    BODY_TEMPLATE: {"case", "demands"},
    "labels.header": {"fax"},
    "labels.fax_notice": {"fax", "contact"},
    "labels.date_line": {"date"},
}
#: Fields that stand for the same thing: a translation may use either.
SAME = {"country_in": "country", "country_code": "country"}
#: Fields English uses that a translation may leave out (the city is in the postal address).
OPTIONAL = frozenset({"city"})
#: Strings that are the language's own data, not translations of English: never "missing".
OWN = (
    "language",
    "locale",
    "direction",
    "status",
    "source_hash",
    "date_format",
    "countries",
    "country_in",
)


def finding_line(finding: Finding) -> str:
    """The line `lang check` prints: `place: severity: code: message`, the place's path relative
    to the current folder when it is below it."""
    return f"{finding.place}: {finding.severity}: {finding.code}: {finding.message}"


# --- lang new, lang mark-current -----------------------------------------------------------


def source_hashes(templates: Path | None = None) -> dict[str, str]:
    """sha256 of each English file, as a translation records it."""
    english = paths.language_dir(SOURCE, templates)
    return {name: hashlib.sha256((english / name).read_bytes()).hexdigest() for name in FILES}


def _hash_block(hashes: dict[str, str]) -> str:
    lines = [
        "source_hash:           # the English text this translation follows"
        " ('lettergen lang check' compares)"
    ]
    lines.extend(f"  {name}: {digest}" for name, digest in hashes.items())
    return "\n".join(lines) + "\n"


_HASH_BLOCK = re.compile(r"^source_hash:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)
_CODE = re.compile(r"^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_[A-Z]{2})?$")


def new_language(code: str, templates: Path | None = None) -> Path:
    """Scaffold letter_templates/<code>/ in the working folder (or `templates`) from English:
    the same files, marked draft, recording the English text they start from. Never inside
    the installed package, which an upgrade replaces. Returns the new folder."""
    from babel import Locale, UnknownLocaleError

    folder = (templates or paths.user_templates_dir()) / code
    english = paths.language_dir(SOURCE, templates)
    if not _CODE.match(code) or code == LAYOUT:
        raise InputError(
            f"{code!r} is not a language code",
            hint="use a code like 'pt', 'uk' or 'pt_BR' (ISO 639 language, optional region)",
        )
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        raise InputError(
            f"{code!r} is no language CLDR knows", hint="check the code, e.g. 'pt' or 'uk'"
        ) from None
    existing = paths.language_dir(code, templates)
    if folder.exists() or existing.exists():
        shipped = not folder.exists()
        raise InputError(
            "this language exists already" + (" (shipped with lettergen)" if shipped else ""),
            Place(folder if folder.exists() else existing),
            hint=f"to change it, copy that folder to {folder}/ and edit the copy"
            if shipped
            else f"edit its files, or run 'lettergen lang check {code}'",
        )
    text = yamlio.read_text(english / STRINGS)
    text = re.sub(r"^language: .*$", f"language: {code}", text, count=1, flags=re.MULTILINE)
    text = re.sub(
        r"^locale: .*$",
        f"locale: {code}"
        + " " * max(1, 15 - len(code))
        + "# dates and country names (CLDR); e.g. pt_BR",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    text = re.sub(
        r"^status: .*\n",
        'status: draft          # "reviewed" once a native speaker has reviewed the language\n'
        + _hash_block(source_hashes(templates)),
        text,
        count=1,
        flags=re.MULTILINE,
    )
    # English's country names ("the Netherlands") are no use in another language: start empty.
    text = re.sub(
        r"^countries:\n(?:[ \t]+.*\n)*",
        "countries: {}          # e.g.  NL: <the name with an article, if the prose needs one>\n",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    folder.mkdir(parents=True)
    (folder / STRINGS).write_text(text, encoding="utf-8")
    shutil.copyfile(english / BODY_TEMPLATE, folder / BODY_TEMPLATE)
    return folder


def mark_current(code: str, templates: Path | None = None) -> dict[str, str]:
    """Record that a translation follows the English text as it is now."""
    path = paths.language_dir(code, templates) / STRINGS
    if code == SOURCE:
        raise InputError("English is the source; it records no source_hash", Place(path))
    text = yamlio.read_text(path)
    hashes = source_hashes(templates)
    block = _hash_block(hashes)
    if _HASH_BLOCK.search(text):
        text = _HASH_BLOCK.sub(lambda _: block, text, count=1)
    elif re.search(r"^status: .*\n", text, flags=re.MULTILINE):
        text = re.sub(
            r"^(status: .*\n)", lambda m: m.group(1) + block, text, count=1, flags=re.MULTILINE
        )
    else:
        text = block + text
    yamlio.atomic_write(path, text)
    return hashes


# --- lang check ----------------------------------------------------------------------------


def check(
    codes: Iterable[str] = (),
    *,
    templates: Path | None = None,
    campaigns: Iterable[str | Path] = (),
    directories: Path | None = None,
) -> list[Finding]:
    """Every problem of the given languages (default: all), in a stable order.

    `campaigns`: the campaigns whose texts must exist in each language (their absence is then
    an error); default: every campaign in data/campaigns/, whose missing texts are only noted.
    """
    root = templates or paths.templates_dir()
    clear_caches()  # a translator edits files between two checks
    codes = list(codes) or available(root)
    # Each file is read once per check: the languages (the trial letters and summary() use the
    # same cached ones), the directories the trials are addressed to, the campaigns.
    english = cached_language(SOURCE, root)
    asked = list(campaigns)
    loaded = _load_campaigns(asked)
    offices: list[tuple[Any, str]] | None = None
    findings: list[Finding] = []
    for code in codes:
        try:
            translation = cached_language(code, root)
        except LettergenError as exc:
            findings.append(
                CODES.finding(
                    "unreadable",
                    exc.message,
                    exc.place or Place(paths.language_dir(code, root)),
                    code,
                )
            )
            continue
        found = (
            list(_static(translation, english))
            if code != SOURCE
            else list(_fields(translation, None))
        )
        if not any(f.code == "unreadable" for f in found):
            if offices is None:
                offices = _trial_offices(directories)
            found.extend(_trials(translation, english, offices))
        found.extend(_campaign_texts(translation, loaded, required=bool(asked)))
        findings.extend(found)
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


def summary(
    codes: Iterable[str], findings: list[Finding], templates: Path | None = None
) -> list[str]:
    """One line per language: its status and how many problems of each severity. The
    languages are those check() loaded (cached), not read again."""
    root = templates or paths.templates_dir()
    lines = []
    for code in codes or available(root):
        mine = [f for f in findings if f.subject == code]
        counts = {s: sum(f.severity == s for f in mine) for s in (ERROR, WARNING, NOTE)}
        try:
            status = cached_language(code, root).status
        except LettergenError:
            status = "unreadable"
        verdict = (
            "letters cannot be made"
            if counts[ERROR]
            else ("clean" if not counts[WARNING] else "usable")
        )
        lines.append(
            f"{code} ({status}): {counts[ERROR]} errors, {counts[WARNING]} warnings,"
            f" {counts[NOTE]} notes: {verdict}"
        )
    return lines


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), node


def _own(key: str) -> bool:
    return key.split(".")[0] in OWN or key.startswith("countries_in.")


def _line(language: Language, key: str) -> int | None:
    """The line of a dotted key in strings.yaml, as far as it can be found."""
    return language.line(key)


def _place(language: Language, key: str) -> Place:
    return Place(language.folder / STRINGS, _line(language, key), key)


def _static(translation: Language, english: Language) -> Iterator[Finding]:
    code = translation.code
    mine = dict(_leaves(translation.strings))
    theirs = dict(_leaves(english.strings))
    missing: dict[str, list[str]] = {}  # the first absent part of a key → English keys under it
    for key, value in theirs.items():
        if _own(key):
            continue
        if key not in mine and not any(k.startswith(key + ".") for k in mine):
            missing.setdefault(_absent(translation, key), []).append(key)
        elif (problem := _wrong_type(mine.get(key, {}), value)) is not None:
            yield CODES.finding("wrong-type", problem, _place(translation, key), code)
        elif mine.get(key) == value and isinstance(value, str) and len(_words(value)) >= 2:
            yield CODES.finding(
                "untranslated", f"still the English text {value!r}", _place(translation, key), code
            )
    for absent, keys in missing.items():
        english_text = theirs.get(absent)
        what = (
            f"English: {english_text!r}" if keys == [absent] else f"English has {', '.join(keys)}"
        )
        parent = absent.rpartition(".")[0]
        place = (
            replace(_place(translation, parent), field=absent)
            if parent
            else Place(translation.folder / STRINGS, None, absent)
        )
        yield CODES.finding("missing-key", f"missing ({what})", place, code)
    for section in ("countries", "countries_in"):
        for key in translation.strings.get(section) or {}:
            if not re.fullmatch(r"[A-Z]{2}", key):
                hint = (
                    " (write 'NO' in quotes: YAML reads a bare NO as false)"
                    if key in ("False", "True")
                    else ""
                )
                yield CODES.finding(
                    "country-code",
                    f"{key!r} is not an ISO code like DE{hint}",
                    _place(translation, f"{section}.{key}"),
                    code,
                )
    body = translation.folder / BODY_TEMPLATE
    if body.exists() and body.read_bytes() == (english.folder / BODY_TEMPLATE).read_bytes():
        yield CODES.finding(
            "untranslated", "the prose is still the English text", Place(body), code
        )
    yield from _fields(translation, english)
    yield from _source(translation, english)


def _wrong_type(mine: Any, english: Any) -> str | None:
    """What is wrong when a translation's value is not the kind of English's (an emptied
    `lines:` is null, and a letter would print "None"), or a list holds something not text."""
    if kind_of(mine) != kind_of(english):
        return f"is {kind_of(mine)}, English's is {kind_of(english)}"
    if isinstance(mine, list):
        for i, item in enumerate(mine):
            if not isinstance(item, str):
                return f"item {i + 1} is {kind_of(item)}, not a text"
    return None


def _absent(language: Language, key: str) -> str:
    """The shortest part of a dotted key that the language lacks ("cover" for "cover.title")."""
    parts = key.split(".")
    for end in range(1, len(parts) + 1):
        if not language.has(".".join(parts[:end])):
            return ".".join(parts[:end])
    return key


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{\w+\}", " ", text))


def _allowed(key: str) -> frozenset[str]:
    if key in EXTRA:
        return EXTRA[key]
    if key.startswith(WITH_CONTEXT):
        return CONTEXT
    return frozenset()


def _variables(env: jinja2.Environment, source: str) -> set[str]:
    return set(jinja2.meta.find_undeclared_variables(env.parse(source))) - set(env.globals)


def _fields(translation: Language, english: Language | None) -> Iterator[Finding]:
    """Unknown fields (errors), and fields English uses here that the translation does not."""
    code = translation.code
    english_leaves = dict(_leaves(english.strings)) if english else {}
    texts: list[tuple[str, str, Place, frozenset[str], str | None]] = []
    for key, value in _leaves(translation.strings):
        items = value if isinstance(value, list) else [value]
        if key.split(".")[0] in ("language", "locale", "direction", "status", "source_hash"):
            continue
        source = english_leaves.get(key)
        source_text = " ".join(map(str, source)) if isinstance(source, list) else source
        for item in items:
            if isinstance(item, str):
                texts.append((key, item, _place(translation, key), _allowed(key), source_text))
    body_path = translation.folder / BODY_TEMPLATE
    english_body = (english.folder / BODY_TEMPLATE).read_text(encoding="utf-8") if english else None
    try:
        texts.append(
            (
                BODY_TEMPLATE,
                body_path.read_text(encoding="utf-8"),
                Place(body_path),
                BODY,
                english_body,
            )
        )
    except OSError as exc:
        yield CODES.finding("unreadable", f"cannot read: {exc.strerror}", Place(body_path), code)
    for key, text, place, allowed, source_text in texts:
        env = translation.prose if key == BODY_TEMPLATE else translation.plain
        if key != BODY_TEMPLATE and (_braces(text) or _braces(source_text or "")):
            if english is not None:
                yield from _placeholders(code, text, source_text, place)
            continue
        try:
            used = _variables(env, text)
        except jinja2.TemplateSyntaxError as exc:
            line = exc.lineno if key == BODY_TEMPLATE else place.line
            yield CODES.finding(
                "unreadable", f"template syntax: {exc.message}", replace(place, line=line), code
            )
            continue
        for name in sorted(used - allowed):
            hint = (
                f"; available here: {', '.join(sorted(allowed))}"
                if allowed
                else "; this text takes no fields"
            )
            at = replace(place, line=_line_of_field(text, name)) if key == BODY_TEMPLATE else place
            yield CODES.finding(
                "unknown-field", f"{{{{ {name} }}}} is not available{hint}", at, code
            )
        expected = set(REQUIRED.get(key, ()))
        if isinstance(source_text, str):
            with contextlib.suppress(jinja2.TemplateSyntaxError):  # English's own check says so
                expected |= _variables(english.plain if english else env, source_text) - OPTIONAL
        have = used | {SAME[name] for name in used if name in SAME}
        for name in sorted(expected - have):
            required = name in REQUIRED.get(key, ())
            finding = CODES.finding(
                "missing-field", f"{{{{ {name} }}}} is not used (English uses it)", place, code
            )
            if required:
                finding = CODES.finding(
                    "cannot-compose",
                    f"{{{{ {name} }}}} is missing: the letter would lack it",
                    place,
                    code,
                )
            yield finding


def _line_of_field(text: str, name: str) -> int | None:
    """The first line of a template where a field's name appears inside {{ }} or {% %}."""
    pattern = re.compile(r"\{[{%][^}]*\b" + re.escape(name) + r"\b")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return number
    return None


def _braces(text: str) -> set[str]:
    """{page}-style placeholders (one brace), filled in by the writers, not by Jinja."""
    return set(re.findall(r"(?<!\{)\{(\w+)\}(?!\})", text))


def _placeholders(code: str, text: str, source_text: str | None, place: Place) -> Iterator[Finding]:
    names, wanted = _braces(text), _braces(source_text or "")
    for missing in sorted(wanted - names):
        yield CODES.finding(
            "placeholder", f"{{{missing}}} is missing (English: {source_text!r})", place, code
        )
    for unknown in sorted(names - wanted):
        yield CODES.finding(
            "placeholder",
            f"{{{unknown}}} is not known here (English: {source_text!r})",
            place,
            code,
        )


def _source(translation: Language, english: Language) -> Iterator[Finding]:
    recorded = translation.strings.get("source_hash")
    place = _place(translation, "source_hash")
    command = f"lettergen lang mark-current {translation.code}"
    if not isinstance(recorded, dict):
        yield CODES.finding(
            "no-source-hash",
            "no source_hash: cannot tell which English text this follows"
            f" (once it matches today's English, run '{command}')",
            place,
            translation.code,
        )
        return
    changed = [
        name
        for name, digest in source_hashes(english.folder.parent).items()
        if str(recorded.get(name)) != digest
    ]
    if changed:
        yield CODES.finding(
            "outdated",
            f"English {' and '.join(f'{SOURCE}/{n}' for n in changed)} changed after this"
            " translation was made:"
            f" bring the translation up to date, then run '{command}'",
            place,
            translation.code,
        )


# --- trial letters -------------------------------------------------------------------------


def _trial_offices(directory: Path | None) -> list[tuple[Any, str]]:
    """(office, country the letter is about): one per kind of office and addressee, and one
    per country a letter of the directories may be about from an office abroad."""
    from lettergen.directory.model import DEFAULT_ROLE, Office

    kinds = [kind for kind in DEFAULT_ROLE if kind != "non-resident"]
    trials: list[tuple[Any, str]] = []
    for kind in kinds:
        office = Office(
            id=f"trial-{kind}",
            country="FR",
            kind=kind,
            city="Paris",
            organisation="UNOG" if kind == "permanent-mission" else "",
            address=("1 Rue de l'Exemple", "75001 Paris"),
            faxes=("+33100000000",),
        )
        trials.append((office, "FR"))
    embassy = trials[0][0]
    for country in _accredited_countries(directory):
        trials.append((replace(embassy, id=f"trial-accredited-{country.lower()}"), country))
    return trials


def _accredited_countries(directory: Path | None) -> list[str]:
    """Countries the shipped directories reach only through an office elsewhere."""
    from lettergen.directory.model import load_directories

    folder = directory or paths.directories_dir()
    if not folder.exists():
        return ["DZ"]
    try:
        offices = list(load_directories(folder))
    except LettergenError:
        return ["DZ"]  # `missions validate` reports a broken directory; here a sample will do
    found = {o.country for o in offices if not o.resident}
    found |= {c for o in offices for c in o.accredited_to if re.fullmatch(r"[A-Z]{2}", c)}
    return sorted(found) or ["DZ"]


def _trial_campaign(code: str) -> Any:
    from lettergen.campaign import Campaign, Sender, Targets

    return Campaign(
        name="trial",
        path=Path("trial.yaml"),
        directory="trial",
        action_date=dt.date(2002, 9, 7),
        letter_date=dt.date(2002, 9, 1),
        default_language=code,
        subject={code: "Subject"},
        case={code: "A case, with *emphasis*.\n\nA second paragraph."},
        demands={code: ("A first demand.", "A second demand.")},
        sender=Sender(
            name="A. Sender",
            organisation="An Organisation",
            address=("1 Street", "City"),
            city="City",
            email="a@example.org",
            phone="+442079460000",
            fax="+442079460001",
        ),
        targets=Targets(),
    )


def _trials(
    translation: Language, english: Language, offices: list[tuple[Any, str]]
) -> Iterator[Finding]:
    """Compose a trial letter to every kind of office, and for every accredited country, on a
    date before the action day and on the day itself, as a batch would. `offices`: those of
    _trial_offices()."""
    from lettergen.compose import Recipient, compose

    code = translation.code
    root = translation.folder.parent
    campaign = _trial_campaign(code)
    states = {
        state
        for language in (translation, english)
        if isinstance(language.strings.get("states"), dict)
        for state in language.strings["states"]
    }
    seen: set[str] = set()
    for state in sorted(states):
        for office, country in offices:
            for letter_date in (campaign.letter_date, campaign.action_date):
                try:
                    compose(
                        replace(campaign, letter_date=letter_date),
                        Recipient(office, country),
                        lang=code,
                        state=state,
                        templates=root,
                    )
                except LettergenError as exc:
                    field = (exc.place.field or "") if exc.place else ""
                    kind = "country-form" if field.startswith("countries_in.") else "cannot-compose"
                    what = (
                        f"a letter about {country}"
                        if kind == "country-form"
                        else f"a letter to a {office.kind}"
                    )
                    message = f"{what} from {state}: {exc.message}" + (
                        f" ({exc.hint})" if exc.hint else ""
                    )
                    if message not in seen:
                        seen.add(message)
                        yield CODES.finding(
                            kind, message, exc.place or Place(translation.folder), code
                        )


# --- campaign texts ------------------------------------------------------------------------


def _load_campaigns(names: list[str | Path]) -> list[tuple[Path, Any]]:
    """(path, the campaign or the error loading it): the named campaigns, else every campaign in
    data/campaigns/."""
    from lettergen import campaign as campaigns

    paths_ = (
        [campaigns.resolve(str(n)) for n in names]
        if names
        else sorted(paths.campaigns_dir().glob("*.y*ml"))
    )
    result: list[tuple[Path, Any]] = []
    for path in paths_:
        try:
            result.append((path, campaigns.load(path)))
        except LettergenError as exc:
            result.append((path, exc))
    return result


def _campaign_texts(
    translation: Language, campaigns: list[tuple[Path, Any]], *, required: bool
) -> Iterator[Finding]:
    """`required`: the campaigns were named with --campaign, so a missing text is an error."""
    code = translation.code
    asked = required
    for path, loaded in campaigns:
        if isinstance(loaded, LettergenError):
            yield CODES.finding("campaign-unreadable", str(loaded), Place(path), code)
            continue
        for key, texts in (
            ("subject", loaded.subject),
            ("case", loaded.case),
            ("demands", loaded.demands),
        ):
            if code not in texts:
                yield CODES.finding(
                    "campaign-text-required" if asked else "campaign-text",
                    f"{key}.{code} is missing: letters of {loaded.name} cannot be written in {code}"
                    + (" ('--lang auto' uses another language there)" if not asked else ""),
                    loaded.place(key),
                    code,
                )
        default = loaded.demands.get(loaded.default_language, ())
        mine = loaded.demands.get(code)
        if mine is not None and len(mine) != len(default):
            yield CODES.finding(
                "demands-count",
                f"demands.{code} has {len(mine)} demands,"
                f" demands.{loaded.default_language} has {len(default)}",
                loaded.place("demands"),
                code,
            )
