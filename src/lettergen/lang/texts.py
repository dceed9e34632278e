"""The static checks of a translation: string keys and kinds, {{ fields }} (with jinja2.meta,
against what compose gives each text: compose.fields), {page}-style placeholders, the English
text it follows. Static, so a template branch no trial letter takes is still checked."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import jinja2
import jinja2.meta

from lettergen.compose.composer import fields
from lettergen.errors import Place
from lettergen.findings import Finding
from lettergen.lang.codes import CODES, SOURCE
from lettergen.lang.scaffold import source_hashes
from lettergen.language.languages import BODY_TEMPLATE, STRINGS, Language, kind_of

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
# `joint`: a language whose joint letters may keep the singular (or whose prose has no person)
# need not use it; the translator's guide asks for "we" where the language has it.
# `own_words`: a prose without it gets the supporter's own paragraph after the demands.
OPTIONAL = frozenset({"city", "joint", "own_words"})


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
    "date_format_first",
    "cities",
    "name_titles",
    "typography",
    "review",
)


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), node


def _own(key: str) -> bool:
    # A named form of address (addressees.<role>.named) is optional: without it a letter to a
    # head known by name uses the office's form. So is the covering message of a letter sent
    # by e-mail (email.*): without it the message is in English. A language counts small
    # numbers in words as far as its grammar allows (joint.count_words).
    return (
        key.split(".")[0] in OWN
        or key.startswith(("countries_in.", "email."))
        or key == "email"
        or ".named." in f"{key}."
        or key == "joint.count_words"
    )


def _line(language: Language, key: str) -> int | None:
    """The line of a dotted key in strings.yaml, as far as it can be found."""
    return language.line(key)


def _place(language: Language, key: str) -> Place:
    return Place(language.folder / STRINGS, _line(language, key), key)


def static(translation: Language, english: Language) -> Iterator[Finding]:
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
        if re.fullmatch(r"states\.[A-Z]{2}", absent):
            # compose() writes such letters with CLDR's country name in every form (and warns),
            # so the language is usable: the grammar is still the translator's to add.
            state = absent.rpartition(".")[2]
            name = translation.country_name(state) or state
            yield CODES.finding(
                "state-names-missing",
                f"missing ({what}): letters from {state} say {name!r} in every form",
                place,
                code,
            )
            continue
        yield CODES.finding("missing-key", f"missing ({what})", place, code)
    for section in ("countries", "countries_in"):
        for key in translation.strings.get(section) or {}:
            if not re.fullmatch(r"[A-Z]{2}", key):
                yield CODES.finding(
                    "country-code",
                    f"{key!r} is not an ISO code like DE",
                    _place(translation, f"{section}.{key}"),
                    code,
                )
    body = translation.folder / BODY_TEMPLATE
    if body.exists() and body.read_bytes() == (english.folder / BODY_TEMPLATE).read_bytes():
        yield CODES.finding(
            "untranslated", "the prose is still the English text", Place(body), code
        )
    yield from field_findings(translation, english)
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


def _variables(env: jinja2.Environment, source: str) -> set[str]:
    return set(jinja2.meta.find_undeclared_variables(env.parse(source))) - set(env.globals)


def field_findings(translation: Language, english: Language | None) -> Iterator[Finding]:
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
        # The lines of a list are one text here: each need not use every field English uses.
        if any(isinstance(item, str) for item in items):
            joined = " ".join(item for item in items if isinstance(item, str))
            texts.append((key, joined, _place(translation, key), fields(key), source_text))
    body_path = translation.folder / BODY_TEMPLATE
    english_body = (english.folder / BODY_TEMPLATE).read_text(encoding="utf-8") if english else None
    try:
        texts.append(
            (
                BODY_TEMPLATE,
                body_path.read_text(encoding="utf-8"),
                Place(body_path),
                fields(BODY_TEMPLATE),
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
