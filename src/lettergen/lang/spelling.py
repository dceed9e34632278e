"""Spelling and glue check of trial letters: the words a language's templates put on the page.

`lettergen lang check` composes a letter in the language to representative offices (every kind
of office, an accredited head of mission, a UN mission, a country reached through an office
abroad) and spell-checks what the templates wrote with hunspell's dictionary for the language's
locale. It reports:

- an unknown word, with the office, and the template file and line the word comes from;
- a glued word ("vouspour"): an unknown word that splits into two known ones, the mark of a
  template tag that swallowed a line break;
- a word that stayed English in a non-English letter;
- a template line that breaks the whitespace rule (a `{% … %}` tag ending a line of text must be
  written `{% … +%}`, or the line break after it is swallowed), found without rendering.

Names and places the dictionary cannot know are listed, one a line, in the language's
`accepted-words.txt` beside its strings.yaml.

hunspell is called as a command (`hunspell -l`), once per language and question, with all the
words on its standard input: the Debian packages `hunspell` and `hunspell-<lang>` give the
command and dictionaries together, and no Python binding of hunspell is packaged for Debian or
kept up to date on PyPI (the `hunspell` binding must be compiled against libhunspell's headers).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.campaign import Sender
from lettergen.compose.composer import Recipient, compose_letter, postal_address
from lettergen.compose.composer import most_alternatives as alternatives_in
from lettergen.compose.letter import Letter, Paragraph
from lettergen.compose.variants import Choice
from lettergen.directory.model import Head, load_states
from lettergen.directory.routing import route, serving_office
from lettergen.errors import LettergenError, Place
from lettergen.findings import Finding
from lettergen.lang.codes import SPELLING
from lettergen.lang.trials import trial_campaign as stand_in
from lettergen.language.languages import BODY_TEMPLATE, STRINGS, Language

log = logging.getLogger(__name__)

ACCEPTED = "accepted-words.txt"

#: Where Debian's hunspell-* packages put their dictionaries.
DICTIONARY_FOLDERS = (Path("/usr/share/hunspell"), Path("/usr/share/myspell/dicts"))

#: Languages that write compound nouns as one word, which hunspell's dictionaries know only in
#: part: a noun and a lower-case word run together is not taken for glue there.
COMPOUNDING = frozenset({"de", "nl", "sv", "da", "nb", "nn", "fi", "is"})

#: A block tag or comment closing a line that has text before it.
_LINE_END_TAG = re.compile(r"\S.*?(\{%[^%]*?(?<![+\-])%\}|\{#.*?(?<![+\-])#\})\s*$")
#: A word as the checks see it: letters, inner apostrophes and hyphens (l'ambassade, Tel-Aviv).
#: Combining marks that belong inside a word (Python's \w has none of them): accents written
#: apart, Cyrillic stress, Hebrew points, Arabic harakat and shadda ("المبيّنة" is one word).
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_LETTERS = rf"[^\W\d_](?:[^\W\d_]|[{_MARKS}])*"
_WORD = re.compile(rf"(?<![\w{_MARKS}]){_LETTERS}(?:['’\-]{_LETTERS})*")
#: What is not prose: e-mail addresses, web addresses, {page}-style placeholders.
_NOT_PROSE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\{[a-z_]+\}")
#: Stands for campaign texts in trial letters: a mark no dictionary spells, removed before the
#: check, so a translator's check looks at the language's own words only.
CAMPAIGN_MARK = "⁂"


@dataclass(frozen=True)
class Trial:
    """One trial letter: what it is addressed to, in words for the report."""

    label: str  # "fr-paris-embassy (embassy)", "eg-cairo-embassy for DZ (accredited)"
    letter: Letter
    office_place: Place
    lines: tuple[str, ...]  # what the check reads: checked_lines()


# --- the whitespace rule, checked on the template's source ----------------------------------


def template_lines(language: Language) -> Iterator[Finding]:
    """Lines of letter.md.j2 where a tag at the end of a line of text swallows the line break
    (Jinja's trim_blocks removes the newline after every block tag)."""
    path = language.folder / BODY_TEMPLATE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return  # `lang check` reports an unreadable template already
    for number, line in enumerate(text.splitlines(), 1):
        if _LINE_END_TAG.search(line) and not line.lstrip().startswith(("{%", "{#")):
            yield SPELLING.finding(
                "glued-line",
                "this line of text ends in a tag, which swallows the line break and glues the "
                "next line's first word to it: end the tag with '+%}' (e.g. '{% endif +%}')",
                Place(path, number),
                language.code,
            )


# --- hunspell -------------------------------------------------------------------------------


def dictionary(locale: str) -> Path | None:
    """The hunspell dictionary (path without .dic) for a locale: the locale's own ("en_GB"),
    else the language's main one ("fr" → fr_FR or fr), else None."""
    base = locale.split("_")[0]
    for name in (locale, f"{base}_{base.upper()}", base):
        for folder in DICTIONARY_FOLDERS:
            if (folder / f"{name}.dic").exists() and (folder / f"{name}.aff").exists():
                return folder / name
    for folder in DICTIONARY_FOLDERS:
        found = sorted(folder.glob(f"{base}_*.dic"))
        if found:
            return found[0].with_suffix("")
    return None


def unknown(words: Iterable[str], dic: Path) -> set[str]:
    """The words hunspell does not know (one call, the words one a line)."""
    wanted = sorted(set(words))
    if not wanted:
        return set()
    command = shutil.which("hunspell")
    if command is None:
        raise LettergenError(
            "the hunspell command is missing",
            hint="install it with 'make install' (Debian: apt-get install hunspell)",
        )
    result = subprocess.run(
        [command, "-l", "-i", "UTF-8", "-d", str(dic)],
        input="\n".join(wanted) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if result.returncode != 0:
        raise LettergenError(f"hunspell failed with {dic}: {result.stderr.strip()}")
    return set(result.stdout.split())


def accepted_words(language: Language) -> set[str]:
    """The language's accepted-words.txt: names and places the dictionary lacks."""
    path = language.folder / ACCEPTED
    if not path.exists():
        return set()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word)
    return words


# --- the check ------------------------------------------------------------------------------


def checked_lines(letter: Letter, address: int) -> tuple[str, ...]:
    """The lines of a letter that its language's templates wrote: the running header, the
    cover sheet's labels, the addressee and what follows; not the sender's block, the postal
    address (its last `address` addressee lines) or the signature (names and addresses as the
    data spells them)."""
    role_lines = len(letter.addressee) - address
    lines = [letter.header, letter.page_label, letter.cover_title]
    lines.extend(label for label, _ in letter.cover)
    lines.extend(value for label, value in letter.cover if "{pages}" in value)
    lines.extend([*letter.addressee[:role_lines], letter.date, letter.fax_notice, letter.subject])
    lines.append(letter.salutation)
    for block in letter.body:
        lines.extend([block.text] if isinstance(block, Paragraph) else block.texts)
    lines.append(letter.closing)
    return tuple(line for line in lines if line)


def words_of(line: str) -> list[str]:
    text = _NOT_PROSE.sub(" ", line.replace(CAMPAIGN_MARK, " "))
    # One letter is no word to spell-check: "г." (год) after a Russian date, "y", "à".
    return [w.strip("'’-") for w in _WORD.findall(text) if len(w.strip("'’-")) > 1]


def load_directories(directories: Path | None = None) -> list[Any]:
    """The directories the trial letters go to (default: the shipped ones), one per sending
    state; [] when they cannot be read (`missions validate` says why)."""

    folder = directories or paths.directories_dir()
    try:
        found = load_states(folder)
    except LettergenError as exc:
        log.info("spelling not checked: the directories cannot be read (%s)", exc)
        return []
    # Another sending state's directory lives in a subfolder of its own (data/directories/by/),
    # so that `missions` reads one state by default; its letters are checked all the same.
    if folder.is_dir():
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and any(p.glob("*.y*ml"))):
            try:
                found.extend(load_states(sub))
            except LettergenError as exc:
                log.info("%s not checked: %s", sub, exc)
    return found


def lang_check(language: Language, directories: list[Any]) -> Iterator[Finding]:
    """What `lang check` adds for a language: the whitespace rule of its template, and the
    spelling of trial letters to representative offices of each sending state's directory
    (load_directories())."""
    yield from template_lines(language)
    trials = [
        trial
        for directory in directories
        for trial in compose_trials(language, representative(directory), directory.state)
    ]
    if trials:
        yield from check(language, trials)


def check(
    language: Language,
    trials: list[Trial],
    english: Path | None = None,
    campaign: Path | None = None,
) -> Iterator[Finding]:
    """Spell-check trial letters of one language; `english`: the English dictionary, to tell a
    word that stayed English (default: en_GB's); `campaign`: the file of the campaign the
    letters were composed with, where a word from none of the templates is said to be."""
    code = language.code
    dic = dictionary(language.locale)
    if dic is None:
        yield SPELLING.finding(
            "no-dictionary",
            f"spelling not checked: no hunspell dictionary for {language.locale}",
            Place(language.folder / STRINGS),
            code,
        )
        return
    accepted = accepted_words(language)
    found_in: dict[str, list[Trial]] = {}
    for trial in trials:
        for line in trial.lines:
            for word in words_of(line):
                if word not in accepted:
                    found_in.setdefault(word, []).append(trial)
    bad = _input_words(unknown(found_in, dic), found_in)
    glued = _glued(bad, dic, compounds=code.split("_")[0] in COMPOUNDING)
    english_words: set[str] = set()
    if not code.startswith("en"):
        english_dic = english or dictionary("en_GB")
        if english_dic is not None:
            rest = bad - set(glued)
            english_words = rest - _input_words(unknown(rest, english_dic), rest)
    seen: set[tuple[str, str]] = set()
    for word in sorted(bad):
        place = source_place(language, word) or (Place(campaign) if campaign else None)
        offices = sorted({t.label for t in found_in[word]})
        where = offices[0] + (f" and {len(offices) - 1} more" if len(offices) > 1 else "")
        if word in glued:
            first, second = glued[word]
            kind, message = "glued-word", f"'{word}' is '{first}' and '{second}' run together"
        elif word in english_words:
            kind, message = "english-word", f"'{word}' is English"
        else:
            kind, message = (
                "unknown-word",
                f"'{word}' is not in the {dic.name} dictionary (a name or place? add it to "
                f"{_shown(language.folder / ACCEPTED)})",
            )
        if (kind, word) in seen:
            continue
        seen.add((kind, word))
        yield SPELLING.finding(
            kind,
            f"{message}, in the letter to {where}",
            place or found_in[word][0].office_place,
            code,
        )


def _shown(path: Path) -> str:
    """A path as messages show it: relative to the current folder when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _input_words(reported: set[str], words: Iterable[str]) -> set[str]:
    """The checked words hunspell reported: a hyphenated word ("паспортно-визовой") is
    reported by its unknown part."""
    found = set()
    for word in words:
        if word in reported or any(part in reported for part in re.split(r"['’\-]", word)):
            found.add(word)
    return found


def _glued(words: set[str], dic: Path, *, compounds: bool = False) -> dict[str, tuple[str, str]]:
    """Unknown words that are two known words of at least two letters run together. In a
    language that writes compounds as one word (`compounds`), a noun followed by a lower-case
    word ("Visastelle") is a compound the dictionary lacks, not two words run together."""

    def candidate(first: str, second: str) -> bool:
        return not (compounds and first[:1].isupper() and second[:1].islower())

    splits = {
        word: [
            (word[:i], word[i:]) for i in range(2, len(word) - 1) if candidate(word[:i], word[i:])
        ]
        for word in words
        if len(word) >= 4 and not re.search(r"['’\-]", word)
    }
    parts = {part for pairs in splits.values() for pair in pairs for part in pair}
    missing = unknown(parts, dic)
    glued = {}
    for word, pairs in splits.items():
        for first, second in pairs:
            if first not in missing and second not in missing:
                glued[word] = (first, second)
                break
    return glued


def source_place(language: Language, word: str) -> Place | None:
    """Where a word of a letter comes from: the first line of the language's letter.md.j2 or
    strings.yaml that holds it (comments left out); None if neither does (data: a city)."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    for name in (BODY_TEMPLATE, STRINGS):
        path = language.folder / name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            text = line.split("#", 1)[0] if name == STRINGS else line
            if pattern.search(text):
                return Place(path, number)
    return None


# --- trial letters --------------------------------------------------------------------------


def trial_campaign(code: str, campaign: Any | None = None) -> Any:
    """A campaign whose own texts are marks, so only the templates' words are checked; or a real
    campaign (its texts in the language are then checked too)."""

    if campaign is not None:
        return campaign
    return stand_in(
        code,
        subject=CAMPAIGN_MARK,
        case=CAMPAIGN_MARK,
        demands=(CAMPAIGN_MARK + " 1", CAMPAIGN_MARK + " 2"),
        sender=Sender(
            name="A. Sender", organisation="", address=(), city="London", email="a@example.org"
        ),
    )


def representative(directory: Any) -> list[tuple[Any, str, str]]:
    """(office, country, how) for one office of each kind, an ambassador known by name (the
    named forms of address, female and male), an accredited head of mission, the UN mission and
    a country reached through an office abroad: the letters a translator's check writes."""

    chosen: list[tuple[Any, str, str]] = []
    kinds: set[str] = set()
    for office in directory:
        if office.resident and office.kind not in kinds:
            kinds.add(office.kind)
            chosen.append((office, office.country, office.kind))
    un = [o for o in directory if o.kind == "permanent-mission" and o.organisation == "UN"]
    if un and un[0] not in [c[0] for c in chosen]:
        chosen.append((un[0], un[0].country, "UN mission"))
    embassies = [o for o in directory if o.kind == "embassy"]
    for gender in ("female", "male"):  # an ambassador known by name: the named forms
        for office in embassies[:1]:
            named = replace(office, head=Head(CAMPAIGN_MARK, gender))
            chosen.append((named, office.country, f"named head, {gender}"))
    for office in directory:
        codes = [c.upper() for c in office.accredited_to if re.fullmatch(r"[A-Za-z]{2}", c)]
        if office.resident and office.kind == "embassy" and codes:
            chosen.append((office, codes[0], "accredited"))
            break
    for office in directory:
        if not office.resident and office.served_by:
            try:
                serving = serving_office(directory, office)
            except LettergenError:
                continue
            routes = route(directory, office.country)
            if routes:
                chosen.append((serving, office.country, "non-resident"))
                break
    return chosen


def every_route(directory: Any) -> list[tuple[Any, str, str]]:
    """Every resident office, and for every country reached only from abroad the office a
    batch writes to about it: all the letters of a directory."""

    chosen = [(o, o.country, o.kind) for o in directory if o.resident]
    countries = {o.country for o in directory if not o.resident}
    countries |= {
        c.upper() for o in directory for c in o.accredited_to if re.fullmatch(r"[A-Za-z]{2}", c)
    }
    resident = {o.country for o in directory if o.resident and o.kind != "permanent-mission"}
    for country in sorted(countries - resident):
        for found in route(directory, country)[:1]:
            chosen.append((found.office, country, found.how))
    return chosen


def compose_trials(
    language: Language,
    targets: list[tuple[Any, str, str]],
    state: str,
    campaign: Any | None = None,
) -> list[Trial]:
    """Trial letters of a language to the targets (see representative()); one that cannot be
    composed is left out (`lang check` reports it as cannot-compose)."""

    trials = []
    base = trial_campaign(language.code, campaign)
    # Every wording of the phrasing variants in some trial: the first in every letter, each
    # further one (k) in the letters that differ in their framing — the first target and those
    # about a country other than the office's (the accredited clause). Those letters are also
    # written as joint letters (signed by many: "we"), on the letter date.
    most = alternatives_in(language, base)
    for k in range(most):
        for office, country, how in targets:
            framing = country != office.country or (office, country, how) == targets[0]
            if k and not framing:
                continue
            dates = sorted({base.letter_date, base.action_date, _first_of_month(base)})
            runs = [(date, 0) for date in dates] + ([(base.letter_date, 2)] if framing else [])
            for date, signatories in runs:
                try:
                    letter = compose_letter(
                        replace(base, letter_date=date),
                        Recipient(office, country),
                        lang=language.code,
                        state=state,
                        templates=language.folder.parent,
                        cover=True,
                        signatories=signatories,
                        choice=Choice(alternative=k),
                    )
                except LettergenError:
                    continue
                label = office.id + (f" for {country}" if country != office.country else "")
                # The postal address as printed: the directory's lines, and a country line.
                lines = checked_lines(letter, len(postal_address(office, base.sender)))
                wording = how + (", joint" if signatories else "")
                wording += f", wording {k + 1}" if k else ""
                trials.append(Trial(f"{label} ({wording})", letter, office.place(), lines))
    return trials


def _first_of_month(campaign: Any) -> dt.date:
    """The 1st of the letter date's month: ordinal days ("le 1er") are a place dates go wrong."""
    date: dt.date = campaign.letter_date
    return date.replace(day=1)
