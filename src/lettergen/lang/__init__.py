"""The translator's tools: `lettergen lang new` scaffolds a language from English, `lang check`
says what a language still lacks, `lang mark-current` records that it follows today's English.

A translation records the English text it was made from (`source_hash:` in its strings.yaml, a
sha256 per English file), so a later change to English shows up as `outdated`. The checks are
static (string keys and {{ fields }} compared with English, with jinja2.meta) and practical (a
trial letter to every kind of office, composed as the batch would), so a template branch that
a trial never takes is still checked, and a problem the static checks cannot see still fails.
A finding's subject is its language's code (lettergen.findings).

The package: codes.py (what it reports), scaffold.py (lang new, lang mark-current), texts.py
(the static checks), trials.py (trial letters and campaign texts); this module runs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.errors import LettergenError, Place
from lettergen.findings import ERROR, NOTE, WARNING, Finding, finding_line
from lettergen.lang import spelling
from lettergen.lang.codes import CODES, FILES, SOURCE
from lettergen.lang.scaffold import mark_current, new_language, source_hashes
from lettergen.lang.texts import field_findings, static
from lettergen.lang.trials import campaign_texts, load_campaigns, trial_offices, trials
from lettergen.language.languages import available, clear_caches
from lettergen.language.languages import language as cached_language

__all__ = [
    "CODES",
    "FILES",
    "SOURCE",
    "Finding",
    "check",
    "errors",
    "finding_line",
    "mark_current",
    "new_language",
    "source_hashes",
    "summary",
]


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
    loaded = load_campaigns(asked)
    offices: list[tuple[Any, str]] | None = None
    directories_: list[Any] = []  # read once, for the trials and the spelling check
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
            list(static(translation, english))
            if code != SOURCE
            else list(field_findings(translation, None))
        )
        if not any(f.code == "unreadable" for f in found):
            if offices is None:
                directories_ = spelling.load_directories(directories)
                every_office = [office for d in directories_ for office in d] or None
                offices = trial_offices(directories, every_office)
            found.extend(trials(translation, english, offices))
            found.extend(spelling.lang_check(translation, directories_))
        found.extend(campaign_texts(translation, loaded, required=bool(asked)))
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
