"""Practical checks: a trial letter in the language to every kind of office, composed as the
batch would, and the campaigns' texts in the language."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from lettergen import campaign as campaigns
from lettergen import paths
from lettergen.campaign import Campaign, Sender
from lettergen.campaign.targets import Targets
from lettergen.compose.composer import Recipient, compose_letter, state_names
from lettergen.directory.model import DEFAULT_ROLE, Office, load_directories
from lettergen.errors import LettergenError, Place
from lettergen.findings import Finding
from lettergen.lang import rules
from lettergen.lang.codes import CODES
from lettergen.language.languages import BODY_TEMPLATE, Language
from lettergen.util import alternatives


def trial_offices(directory: Path | None, loaded: Any = None) -> list[tuple[Any, str]]:
    """(office, country the letter is about): one per kind of office and addressee, and one
    per country a letter of the directories may be about from an office abroad."""
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
    for country in _accredited_countries(directory, loaded):
        trials.append((replace(embassy, id=f"trial-accredited-{country.lower()}"), country))
    return trials


def _accredited_countries(directory: Path | None, loaded: Any = None) -> list[str]:
    """Countries the shipped directories reach only through an office elsewhere."""
    folder = directory or paths.directories_dir()
    if not folder.exists():
        return ["DZ"]
    try:
        offices = list(loaded if loaded is not None else load_directories(folder))
    except LettergenError:
        return ["DZ"]  # `missions validate` reports a broken directory; here a sample will do
    found = {o.country for o in offices if not o.resident}
    found |= {c for o in offices for c in o.accredited_to if re.fullmatch(r"[A-Z]{2}", c)}
    return sorted(found) or ["DZ"]


#: The sender of trial letters: every field filled, so every label of the strings shows.
TRIAL_SENDER = Sender(
    name="A. Sender",
    organisation="An Organisation",
    address=("1 Street", "City"),
    city="City",
    email="a@example.org",
    phone="+442079460000",
    fax="+442079460001",
)


def trial_campaign(
    code: str,
    *,
    subject: str = "Subject",
    case: str = "A case, with *emphasis*.\n\nA second paragraph.",
    demands: tuple[str, ...] = ("A first demand.", "A second demand."),
    sender: Sender = TRIAL_SENDER,
) -> Campaign:
    """A campaign for trial letters in language `code`, with stand-in texts (the spelling
    check gives marks it can tell from the templates' own words)."""
    return Campaign(
        name="trial",
        path=Path("trial.yaml"),
        directory="trial",
        action_date=dt.date(2002, 9, 7),
        letter_date=dt.date(2002, 9, 1),
        default_language=code,
        subject={code: subject},
        case={code: case},
        demands={code: demands},
        sender=sender,
        targets=Targets(),
    )


def trials(
    translation: Language, english: Language, offices: list[tuple[Any, str]]
) -> Iterator[Finding]:
    """Compose a trial letter to every kind of office, and for every accredited country, on a
    date before the action day and on the day itself, as a batch would. `offices`: those of
    trial_offices()."""
    code = translation.code
    root = translation.folder.parent
    campaign = trial_campaign(code)
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
                    letter = compose_letter(
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
                    continue
                # The rules read the cover sheet too (a broken one is reported apart).
                with contextlib.suppress(LettergenError):
                    letter = compose_letter(
                        replace(campaign, letter_date=letter_date),
                        Recipient(office, country),
                        lang=code,
                        state=state,
                        templates=root,
                        cover=True,
                    )
                protected = state_names(translation, state).values()
                for found in rules.findings(letter, translation, protected):
                    rule, _, message = found.partition(": ")
                    message = f"a letter to a {office.kind} from {state}: {message}"
                    if message not in seen:
                        seen.add(message)
                        yield CODES.finding(rule, message, Place(translation.folder), code)


def load_campaigns(names: list[str | Path]) -> list[tuple[Path, Any]]:
    """(path, the campaign or the error loading it): the named campaigns, else every campaign in
    data/campaigns/."""
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


def campaign_texts(
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


def variant_findings(translation: Language, english: Language) -> Iterator[Finding]:
    """The phrasing variants of a translation's prose against English's: each group has as
    many wordings (fewer: its letters vary less), and no group English lacks."""
    code = translation.code
    body = translation.folder / BODY_TEMPLATE
    try:
        mine = alternatives.sizes(
            alternatives.parse(body.read_text(encoding="utf-8"), unique=False)
        )
    except alternatives.VariantSyntaxError as exc:
        yield CODES.finding("variants-syntax", exc.message, Place(body, exc.line), code)
        return
    except OSError:
        return  # `unreadable` says it
    if code == english.code:
        return
    source = english.folder / BODY_TEMPLATE
    try:
        theirs = alternatives.sizes(
            alternatives.parse(source.read_text(encoding="utf-8"), unique=False)
        )
    except (OSError, alternatives.VariantSyntaxError):
        return  # English's own check reports it
    for name, size in theirs.items():
        if mine.get(name, 1) < size:
            yield CODES.finding(
                "variants-fewer",
                f"group {name!r} has {mine.get(name, 1)} wording(s), English has {size}"
                + ("" if name in mine else f" (add '%% {name}' … '%% or' … '%% end')"),
                Place(body, _line_of(body, name)),
                code,
            )
    for name in mine.keys() - theirs.keys():
        yield CODES.finding(
            "variants-unknown",
            f"group {name!r}: English has no group of that name",
            Place(body, _line_of(body, name)),
            code,
        )


def _line_of(path: Path, name: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line.strip() == f"%% {name}":
            return number
    return None


def campaign_variant_findings(
    translation: Language, campaigns: list[tuple[Path, Any]]
) -> Iterator[Finding]:
    """A campaign's case and demands in the language have as many wordings as in its default
    language."""
    code = translation.code
    for _path, loaded in campaigns:
        if isinstance(loaded, LettergenError) or code == loaded.default_language:
            continue
        default = loaded.default_language
        if code in loaded.case and default in loaded.case:
            mine = alternatives.sizes(alternatives.parse(loaded.case[code]))
            for name, size in alternatives.sizes(alternatives.parse(loaded.case[default])).items():
                if mine.get(name, 1) < size:
                    yield CODES.finding(
                        "variants-fewer",
                        f"case.{code}: group {name!r} has {mine.get(name, 1)} wording(s), "
                        f"case.{default} has {size}",
                        loaded.place("case"),
                        code,
                    )
        if code in loaded.demands and default in loaded.demands:
            pairs = zip(
                loaded.demand_alternatives(code),
                loaded.demand_alternatives(default),
                strict=False,
            )
            for n, (mine_, theirs_) in enumerate(pairs, 1):
                if len(mine_) < len(theirs_):
                    yield CODES.finding(
                        "variants-fewer",
                        f"demands.{code}: demand {n} has {len(mine_)} wording(s), "
                        f"demands.{default} has {len(theirs_)}",
                        loaded.place("demands"),
                        code,
                    )
