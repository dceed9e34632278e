"""Letter languages: the prose templates and strings of letter_templates/<lang>/, dates with Babel.

A language is a folder: `strings.yaml` (forms of address by office kind, labels, closing, the
sending state's names) and `letter.md.j2` (the letter's prose, Markdown with Jinja2). Translators
add a folder; no Python changes. Jinja runs with StrictUndefined, so a missing field fails with the
template's name and line instead of printing nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Collection, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date

from lettergen import paths
from lettergen.errors import InputError, Place, TemplateError
from lettergen.language.markup import escape
from lettergen.language.typography import Typography
from lettergen.util import yamlio

log = logging.getLogger(__name__)

LAYOUT = "layout"
BODY_TEMPLATE = "letter.md.j2"
STRINGS = "strings.yaml"


def available(templates: Path | None = None) -> list[str]:
    """Languages that have a folder with strings and a letter template, in any of the
    templates folders searched (paths.template_roots: the working folder's own, the shipped)."""
    found: set[str] = set()
    for root in paths.template_roots(templates):
        try:
            folders = list(root.iterdir())
        except OSError as exc:  # missing, not a folder, not readable
            reason = (
                "no such folder"
                if isinstance(exc, FileNotFoundError)
                else "not a folder"
                if isinstance(exc, NotADirectoryError)
                else f"cannot read: {exc.strerror}"
            )
            raise InputError(
                f"letter templates folder: {reason}",
                Place(root),
                hint="check LETTERGEN_TEMPLATES" if os.environ.get("LETTERGEN_TEMPLATES") else None,
            ) from None
        found.update(
            p.name
            for p in folders
            if p.is_dir()
            and p.name != LAYOUT
            and (p / STRINGS).exists()
            and (p / BODY_TEMPLATE).exists()
        )
    return sorted(found)


def usable(templates: Path | None = None) -> frozenset[str]:
    """available() for callers that ask once per letter (`--lang auto`): the folder is scanned
    once and again only when its modification time changes (a language folder added or
    removed); clear_caches() forgets every scan."""
    root = templates or paths.templates_dir()
    stamps = []
    for folder in paths.template_roots(root):
        try:
            stamps.append(folder.stat().st_mtime_ns)
        except OSError:
            stamps.append(-1)  # available() says what is wrong with the folder
    return _usable(root, tuple(stamps))


@cache
def _usable(root: Path, stamps: tuple[int, ...]) -> frozenset[str]:
    return frozenset(available(root))


def clear_caches() -> None:
    """Forget loaded languages and folder scans: a translator edits files between two checks."""
    load_language.cache_clear()
    _usable.cache_clear()


def _jinja_error(exc: jinja2.TemplateError, name: str) -> TemplateError:
    """A TemplateError naming the template file and line. Syntax errors carry their line;
    errors while rendering (an undefined field) are found in the traceback, where Jinja puts
    the template's own file and line."""
    line = getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None) or name
    if line is None:
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                line = tb.tb_lineno
            tb = tb.tb_next
    return TemplateError(exc.message or str(exc), Place(filename, line))


class Language:
    """The templates and strings of one letter language."""

    def __init__(self, code: str, templates: Path | None = None):
        root = templates or paths.templates_dir()
        self.code = code
        self.folder = paths.language_dir(code, root)
        if not (self.folder / STRINGS).exists():
            raise InputError(
                f"no letter templates for language {code!r}",
                Place(self.folder),
                hint=f"available: {', '.join(available(root))}; "
                f"'lettergen lang new {code}' starts one",
            )
        strings = yamlio.load(self.folder / STRINGS)
        if not isinstance(strings, dict):
            raise InputError("expected a mapping of strings", Place(self.folder / STRINGS, 1))
        self.strings: dict[str, Any] = strings
        self.locale: str = self._locale(strings.get("locale") or code)
        self.direction: str = str(strings.get("direction") or "ltr")
        self.status: str = str(strings.get("status") or "draft")
        #: The language's typographic rules (`typography:` and `name_titles` of strings.yaml).
        self.typography = Typography.from_strings(code, strings)
        # Prose: Markdown. Every value printed by {{ }} is escaped as plain text unless it is
        # MarkdownText (the campaign's case), so names and cities can never become markup.
        self.prose = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=escape,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Strings: plain text, one line each.
        self.plain = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)

    def _locale(self, value: Any) -> str:
        """The CLDR locale, normalised ("de-DE" and "de_de" become "de_DE"); one Babel does not
        know is an error naming strings.yaml's `locale` line."""
        from babel import Locale, UnknownLocaleError

        text = str(value).strip().replace("-", "_")
        try:
            return str(Locale.parse(text))
        except (UnknownLocaleError, ValueError, TypeError):
            raise InputError(
                f"locale {value!r} is no locale CLDR knows",
                Place(self.folder / STRINGS, self.line("locale"), "locale"),
                hint="use a code like 'pt' or 'pt_BR' (language, optional region)",
            ) from None

    @property
    def draft(self) -> bool:
        return self.status != "reviewed"

    def line(self, key: str) -> int | None:
        """The line of a dotted key in strings.yaml, as far as it can be found."""
        node: Any = self.strings
        line = None
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            if isinstance(node, yamlio.Mapping):
                line = node.line_of(part)
            node = node[part]
        return line

    def string(self, key: str, **context: Any) -> str:
        """A string by dotted key ("labels.fax"), rendered with the context."""
        raw = self.raw(key)
        if not isinstance(raw, str):
            raise TemplateError(f"{key} must be a text", Place(self.folder / STRINGS, None, key))
        return self.render_string(raw, key, **context)

    def lines(self, key: str, **context: Any) -> tuple[str, ...]:
        """A text, or a list of texts, by dotted key: one line each, empty ones left out. An
        item that is not a text (an emptied `lines:` is null) is an error naming the key."""
        raw = self.raw(key)
        items = raw if isinstance(raw, list) else [raw]
        for i, item in enumerate(items):
            if not isinstance(item, str):
                where = key if not isinstance(raw, list) else f"{key}[{i}]"
                raise TemplateError(
                    f"{where} must be a text or a list of texts, not {kind_of(item)}",
                    Place(self.folder / STRINGS, self.line(key), key),
                )
        rendered = (
            self.render_string(str(item), f"{key}[{i}]", **context) for i, item in enumerate(items)
        )
        return tuple(line for line in rendered if line.strip())

    def raw(self, key: str) -> Any:
        node: Any = self.strings
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise TemplateError(
                    f"string {key!r} is missing",
                    Place(self.folder / STRINGS, None, key),
                    hint=f"run 'lettergen lang check {self.code}'",
                )
            node = node[part]
        return node

    def has(self, key: str) -> bool:
        try:
            self.raw(key)
        except TemplateError:
            return False
        return True

    def render_string(self, source: str, key: str, **context: Any) -> str:
        try:
            return _compile(self.plain, source).render(**context).strip()
        except jinja2.TemplateError as exc:
            error = _jinja_error(exc, f"{self.folder / STRINGS}")
            error.place = Place(self.folder / STRINGS, None, key)
            raise error from None

    def render_body(self, **context: Any) -> str:
        try:
            return self.prose.get_template(BODY_TEMPLATE).render(**context)
        except jinja2.TemplateError as exc:
            raise _jinja_error(exc, str(self.folder / BODY_TEMPLATE)) from None

    def isolate(self, text: str) -> str:
        """Data set inside right-to-left prose (a fax number, a Latin address line) wrapped in
        Unicode's first-strong isolate, so "+20 2 3456789" keeps its order; in left-to-right
        languages the text is returned as it is."""
        return f"\u2068{text}\u2069" if text and self.direction == "rtl" else text

    def join(self, parts: Iterable[str]) -> str:
        """Fields of one list entry ("Maria Lopez, Union A, Madrid"), joined by the language's
        comma; in a right-to-left letter each field is isolated in its own direction, so a
        Latin name and an Arabic country keep their order and the comma stands between them."""
        return self.typography.comma.join(self.isolate(part) for part in parts if part)

    def format_date(self, date: dt.date) -> str:
        """The date as the language writes it; `date_format_first` is the pattern for the 1st
        of a month where the language writes an ordinal there (French "1er septembre")."""
        pattern = self.strings.get("date_format", "long")
        if date.day == 1 and self.strings.get("date_format_first"):
            pattern = self.strings["date_format_first"]
        return str(format_date(date, format=pattern, locale=self.locale))

    def city_name(self, city: str) -> str:
        """A city as this language names it (`cities:` in strings.yaml: "London: Londres"), else
        as the data spells it. Babel (CLDR) names countries, not cities."""
        names = self.strings.get("cities") or {}
        return str(names.get(city, city)) if isinstance(names, dict) else city

    def bind_titles(self, text: str) -> str:
        """A non-breaking space after each courtesy title of `name_titles` that stands before
        a name ("Mr Zhanusov", "M. Zhanusov"), so a line never ends between them."""
        return self.typography.bind_titles(text)

    def country_name(self, code: str) -> str:
        """The country's name as the letter's prose uses it: an override from strings.yaml
        (articles, case forms), else CLDR's name in the letter's locale."""
        overrides = self.strings.get("countries") or {}
        if code in overrides:
            return str(overrides[code])
        from babel import Locale

        return str(Locale.parse(self.locale).territories.get(code, code))

    def country_in(self, code: str) -> str:
        """The phrase "in <country>" as the prose needs it ("in der Schweiz", "в Алжире"):
        `countries_in.<code>` from strings.yaml, else the `country_in` pattern applied to the
        country's name. A language whose grammar has no pattern (Russian cases) lists each
        country; a country it lacks is an error naming the key to add."""
        forms = self.strings.get("countries_in") or {}
        if code in forms:
            return str(forms[code])
        pattern = self.strings.get("country_in")
        if isinstance(pattern, str):
            return self.render_string(pattern, "country_in", country=self.country_name(code))
        raise TemplateError(
            f"no form for 'in {self.country_name(code)}' ({code})",
            Place(self.folder / STRINGS, None, f"countries_in.{code}"),
            hint=f"add countries_in.{code} (or a country_in pattern) to {self.folder / STRINGS}",
        )


class CountryIn:
    """`{{ country_in }}` in a template: worked out only when a template prints it, so a
    language lacking the form for a country fails only the letters that need it."""

    def __init__(self, language: Language, code: str):
        self.language = language
        self.code = code

    def __str__(self) -> str:
        return self.language.country_in(self.code)


def auto_language(
    territory: str,
    have_texts: Iterable[str],
    default: str,
    templates: Path | None = None,
    *,
    languages: Collection[str] | None = None,
) -> str:
    """`--lang auto`: the first official language of the territory (CLDR, through Babel) that
    has letter templates and campaign texts; else `default`. `languages`: the languages with
    templates, if the caller has them; else usable(templates), which scans the folder once."""
    from babel.languages import get_official_languages

    candidates = (usable(templates) if languages is None else set(languages)) & set(have_texts)
    for code in get_official_languages(territory):
        if code in candidates:
            return str(code)
        base = code.split("_")[0]  # CLDR may name a script or region: "zh_Hant", "pt_PT"
        if base in candidates:
            return base
    return default


def kind_of(value: Any) -> str:
    """What a YAML value is, in a translator's words."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


@cache
def _compile(env: jinja2.Environment, source: str) -> jinja2.Template:
    return env.from_string(source)


@cache
def load_language(code: str, templates: Path | None = None) -> Language:
    return Language(code, templates)
