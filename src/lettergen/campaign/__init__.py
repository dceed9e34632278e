"""Campaign: the case, the demands and the sender, per language; loaded and checked at once."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.campaign.signers import Signer
from lettergen.campaign.targets import Targets
from lettergen.errors import InputError, LettergenError, ManyErrors, Place
from lettergen.util import alternatives, yamlio
from lettergen.util import text as hygiene

log = logging.getLogger(__name__)

SENDER_FIELDS = ("name", "organisation", "address", "city", "email", "phone", "fax")
KEYS = (
    "directory",
    "date",
    "letter_date",
    "default_language",
    "subject",
    "case",
    "demands",
    "sender",
    "letterhead",
    "replies_to_sender",
    "targets",
    "channels",
    "reply_to",
)
#: How a letter may reach an office (lettergen.send.channels), and whom an office's reply to a
#: letter sent by e-mail goes to.
CHANNELS = ("fax", "email", "post")
REPLY_TO = ("group", "supporter")
#: Whose block heads a letter a supporter signs (`letterhead:`): the signer's own (name,
#: organisation, town, country; her town on the date line), or the group's sender on every
#: letter, as for the letters the group signs itself.
LETTERHEADS = ("signer", "group")
#: The longest text each field may hold (sender fields: lettergen.util.text.MAX_NAME each, address
#: lines too). Longer is a pasting mistake, and would not fit the page it is printed on.
LIMITS = {"subject": 300, "case": 20_000, "demands": 2_000}
#: Text a campaign file leaves for its user to fill in: "<your name>", "TODO", "CHANGE ME".
PLACEHOLDER = re.compile(r"^\s*(<[^>]*>|TODO\b.*|CHANGE ?ME\b.*|\.\.\.|…|x{3,})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Sender:
    """Who sends the letters: the block at the top of the page, and where replies go."""

    name: str = ""
    organisation: str = ""
    address: tuple[str, ...] = ()
    city: str = ""
    email: str = ""
    phone: str = ""
    fax: str = ""

    def with_overrides(self, overrides: dict[str, str]) -> Sender:
        """The sender with fields given on the command line (--sender key=value), cleaned and
        checked like the campaign file's."""
        errors: list[LettergenError] = []
        values: dict[str, Any] = {
            key: _clean(value, Place(None, None, f"--sender {key}"), errors, hygiene.MAX_NAME)
            for key, value in overrides.items()
        }
        if errors:
            raise ManyErrors(errors)
        if "address" in values:
            values["address"] = tuple(p.strip() for p in values["address"].split(";") if p.strip())
        return replace(self, **values)

    def signer(self) -> Signer:
        """Who signs when no signers are given: the sender's name (with the organisation), or
        the organisation alone."""
        if self.name:
            return Signer(self.name, self.organisation, self.city)
        return Signer(self.organisation, "", self.city)

    def placeholders(self) -> list[str]:
        """The fields still left as placeholders."""
        found = []
        for key in SENDER_FIELDS:
            value = getattr(self, key)
            for text in value if isinstance(value, tuple) else (value,):
                if text and PLACEHOLDER.match(text):
                    found.append(key)
                    break
        return found


@dataclass(frozen=True)
class Campaign:
    name: str
    path: Path
    directory: str
    action_date: dt.date
    letter_date: dt.date
    default_language: str
    subject: dict[str, str]
    case: dict[str, str]  # Markdown
    demands: dict[str, tuple[str, ...]]  # the first (or only) wording of each demand
    sender: Sender
    targets: Targets
    #: "signer": a letter a supporter signs carries her sender block and place; "group": the
    #: sender's block heads every letter (see LETTERHEADS).
    letterhead: str = "signer"
    #: With the signer's letterhead: a line after the signature giving the sender's contact
    #: for replies ("Replies may also be sent to …").
    replies_to_sender: bool = True
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    #: Reviewed alternatives of the demands, by language: one tuple per demand, its first
    #: item the wording in `demands`. Only languages whose demands have alternatives.
    demand_variants: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    #: The channels to try, in order, per office id; "" is every other office's order.
    channels: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"": ("fax",)})
    reply_to: str = "group"  # an office's reply to an e-mailed letter: the sender, or the signer
    letter_date_today: bool = False  # letter_date: today (the day the letters are rendered)

    def channels_for(self, office_id: str) -> tuple[str, ...]:
        return self.channels.get(office_id) or self.channels.get("") or ("fax",)

    def demand_alternatives(self, lang: str) -> tuple[tuple[str, ...], ...]:
        """Each demand's wordings in a language (one, unless the campaign gives variants)."""
        return self.demand_variants.get(lang) or tuple((d,) for d in self.demands[lang])

    @property
    def languages(self) -> list[str]:
        """Languages in which the campaign has all of its texts."""
        return sorted(set(self.subject) & set(self.case) & set(self.demands))

    def place(self, key: str) -> Place:
        return Place(self.path, self.lines.get(key.split(".")[0]), key)

    def require_language(self, lang: str) -> None:
        missing = [
            f"{key}.{lang}"
            for key, texts in (
                ("subject", self.subject),
                ("case", self.case),
                ("demands", self.demands),
            )
            if lang not in texts
        ]
        if missing:
            raise ManyErrors(
                InputError(
                    f"{m} is missing",
                    self.place(m),
                    hint=f"add the text, or run 'lettergen lang check {lang}'",
                )
                for m in missing
            )


def resolve(name_or_path: str) -> Path:
    """CAMPAIGN on the command line: a name under data/campaigns/ or a path to a file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    for suffix in (".yaml", ".yml"):
        path = paths.campaigns_dir() / f"{name_or_path}{suffix}"
        if path.exists():
            return path
    known = sorted(p.stem for p in paths.campaigns_dir().glob("*.y*ml"))
    raise InputError(
        f"no campaign named {name_or_path!r}",
        hint=f"known campaigns: {', '.join(known) or 'none'}; or give a path to a campaign file",
    )


def _clean(value: str, place: Place, errors: list[LettergenError], limit: int) -> str:
    """value in NFC without zero-width characters (lettergen.util.text); a bidi control refused
    with its line and column (searched in the file from place.line on: the file is read again
    only then), a text longer than limit refused with its field."""
    cleaned = hygiene.clean(value)
    index = hygiene.find_bidi(cleaned)
    if index is not None:
        char = cleaned[index]
        where = place
        raw = yamlio.read_text(Path(place.path)).split("\n") if place.path else []
        start = max((place.line or 1) - 1, 0)
        for number, line in enumerate(raw[start:], start + 1):
            if char in line:
                where = replace(place, line=number, column=line.index(char) + 1)
                break
        errors.append(InputError(hygiene.bidi_message(char), where))
    if len(cleaned) > limit:
        errors.append(
            InputError(f"{len(cleaned):,} characters; a letter takes at most {limit:,}", place)
        )
    return cleaned


def _texts(
    data: yamlio.Mapping,
    key: str,
    place: Place,
    errors: list[LettergenError],
) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, yamlio.Mapping) or not value:
        errors.append(
            InputError(
                f"{key} is missing: expected texts by language, e.g. {key}: {{en: …}}", place
            )
        )
        return {}
    result = {}
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            errors.append(
                InputError(
                    f"{key}.{lang} must be a non-empty text",
                    Place(place.path, value.line_of(lang), f"{key}.{lang}"),
                )
            )
        else:
            where = Place(place.path, value.line_of(lang), f"{key}.{lang}")
            result[str(lang)] = _clean(text.strip(), where, errors, LIMITS[key])
            if key == "case":
                _check_markers(result[str(lang)], where, errors)
    return result


def _check_markers(text: str, where: Place, errors: list[LettergenError]) -> None:
    """A case's phrasing variants (`%% name` … `%% or` … `%% end`) well formed; the line is the
    marker's in the file (the text starts on the line after its key, as a block does)."""
    try:
        alternatives.parse(text)
    except alternatives.VariantSyntaxError as exc:
        line = (where.line or 0) + exc.line if where.line else None
        errors.append(InputError(exc.message, replace(where, line=line)))


def load(name_or_path: str | Path) -> Campaign:
    """Load and check a campaign file, reporting every problem at once."""
    path = resolve(str(name_or_path))
    data = yamlio.load(path)
    if not isinstance(data, yamlio.Mapping):
        raise InputError("not a campaign file: expected a mapping of keys", Place(path, 1))
    errors: list[LettergenError] = []

    def at(key: str) -> Place:
        return Place(path, data.line_of(key) if key in data else data.line, key)

    for key in data:
        if key not in KEYS:
            log.warning("%s: unknown key %r ignored", at(key), key)
    directory = data.get("directory")
    if not isinstance(directory, str) or not directory.strip():
        errors.append(
            InputError(
                "directory is missing: the name of a file in data/directories/", at("directory")
            )
        )
    action_date = data.get("date")
    if isinstance(action_date, dt.datetime):
        errors.append(_datetime_error("date", at("date")))
    elif not isinstance(action_date, dt.date):
        errors.append(InputError("date is missing or not a date (YYYY-MM-DD)", at("date")))
    letter_date = data.get("letter_date", action_date)
    dated_today = isinstance(letter_date, str) and letter_date.strip().lower() == "today"
    if dated_today:
        letter_date = dt.date.today()
    if isinstance(letter_date, dt.datetime):
        if "letter_date" in data:
            errors.append(_datetime_error("letter_date", at("letter_date")))
    elif not isinstance(letter_date, dt.date):
        errors.append(
            InputError("letter_date is not a date (YYYY-MM-DD, or today)", at("letter_date"))
        )
    subject = _texts(data, "subject", at("subject"), errors)
    case = _texts(data, "case", at("case"), errors)
    worded = _demands(data, at("demands"), errors)
    demands = {lang: tuple(d[0] for d in items) for lang, items in worded.items()}
    default_language = str(data.get("default_language") or "en")
    sender = _sender(data.get("sender"), at("sender"), errors)
    targets = _targets(data.get("targets"), at("targets"), errors)
    channels = _channels(data.get("channels"), at("channels"), errors)
    reply_to = data.get("reply_to", "group")
    if reply_to not in REPLY_TO:
        errors.append(
            InputError(f"reply_to {reply_to!r}: write group or supporter", at("reply_to"))
        )
    letterhead = data.get("letterhead", "signer")
    if letterhead not in LETTERHEADS:
        errors.append(
            InputError(
                f"letterhead must be {' or '.join(LETTERHEADS)}, not {letterhead!r}",
                at("letterhead"),
                hint="signer: each supporter's own block; group: the sender's on every letter",
            )
        )
    replies = data.get("replies_to_sender", True)
    if not isinstance(replies, bool):
        errors.append(
            InputError("replies_to_sender must be true or false", at("replies_to_sender"))
        )
    if subject and default_language not in subject:
        errors.append(
            InputError(
                f"subject.{default_language} is missing (the default language)", at("subject")
            )
        )
    if errors:
        raise ManyErrors(errors)
    assert isinstance(action_date, dt.date) and isinstance(letter_date, dt.date)
    return Campaign(
        name=path.stem,
        path=path,
        directory=str(directory).strip(),
        action_date=action_date,
        letter_date=letter_date,
        default_language=default_language,
        subject=subject,
        case=case,
        demands=demands,
        sender=sender,
        targets=targets,
        letterhead=str(letterhead),
        replies_to_sender=bool(replies),
        lines={key: data.line_of(key) for key in data},
        demand_variants={
            lang: items for lang, items in worded.items() if any(len(d) > 1 for d in items)
        },
        channels=channels,
        reply_to=str(reply_to),
        letter_date_today=dated_today,
    )


def _channels(value: Any, place: Place, errors: list[LettergenError]) -> dict[str, tuple[str, ...]]:
    """`channels: [fax, email, post]` (every office), or a mapping of office ids to such lists
    with `default` for the others."""
    if value is None:
        return {"": ("fax",)}
    named = value.items() if isinstance(value, yamlio.Mapping) else [("default", value)]
    result: dict[str, tuple[str, ...]] = {}
    for key, order in named:
        where = (
            Place(place.path, value.line_of(key), f"channels.{key}")
            if isinstance(value, yamlio.Mapping)
            else place
        )
        if isinstance(order, str):
            order = [order]
        if (
            not isinstance(order, list)
            or not order
            or not all(isinstance(c, str) and c in CHANNELS for c in order)
        ):
            errors.append(
                InputError(
                    f"channels: {order!r} must list channels from {', '.join(CHANNELS)}, in the "
                    "order to try them",
                    where,
                    hint="e.g. channels: [fax, email, post]",
                )
            )
            continue
        if len(set(order)) != len(order):
            errors.append(InputError("channels: a channel is listed twice", where))
            continue
        result["" if key == "default" else str(key)] = tuple(order)
    result.setdefault("", ("fax",))
    return result


def _datetime_error(key: str, place: Place) -> InputError:
    """A letter is dated by the day: a time of day in the date is a mistake, not a detail."""
    return InputError(
        f"{key} has a time of day; expected a date (YYYY-MM-DD)",
        place,
        hint="remove the time",
    )


def _demands(
    data: yamlio.Mapping, place: Place, errors: list[LettergenError]
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each language's demands, each a tuple of its wordings: a demand is a text, or a list of
    reviewed alternatives that say exactly the same."""
    value = data.get("demands")
    if not isinstance(value, yamlio.Mapping) or not value:
        errors.append(
            InputError(
                "demands is missing: expected lists by language, e.g. demands: {en: [...]}", place
            )
        )
        return {}

    def text(item: Any) -> bool:
        return isinstance(item, str) and bool(item.strip())

    def demand(item: Any) -> bool:
        return text(item) or (isinstance(item, list) and bool(item) and all(map(text, item)))

    result = {}
    for lang, items in value.items():
        where = Place(place.path, value.line_of(lang), f"demands.{lang}")
        if not (isinstance(items, list) and items and all(map(demand, items))):
            errors.append(
                InputError(
                    f"demands.{lang} must be a list of texts (a demand with reviewed variants: "
                    "a list of texts)",
                    where,
                )
            )
            continue
        result[str(lang)] = tuple(
            tuple(
                _clean(" ".join(i.split()), where, errors, LIMITS["demands"])
                for i in (item if isinstance(item, list) else [item])
            )
            for item in items
        )
    return result


def _sender(value: Any, place: Place, errors: list[LettergenError]) -> Sender:
    if not isinstance(value, yamlio.Mapping):
        errors.append(
            InputError("sender is missing: name, organisation, address, email, phone, fax", place)
        )
        return Sender()
    fields: dict[str, Any] = {}
    for key, item in value.items():
        key_place = Place(place.path, value.line_of(key), f"sender.{key}")
        if key not in SENDER_FIELDS:
            log.warning("%s: unknown key %r ignored", key_place, key)
        elif key == "address":
            lines = item if isinstance(item, list) else [item]
            if not all(isinstance(x, str) for x in lines):
                errors.append(
                    InputError("sender.address must be a text or a list of lines", key_place)
                )
            fields["address"] = tuple(
                _clean(str(x).strip(), key_place, errors, hygiene.MAX_NAME) for x in lines
            )
        elif item is not None:
            fields[key] = _clean(str(item).strip(), key_place, errors, hygiene.MAX_NAME)
    return Sender(**fields)


def _targets(value: Any, place: Place, errors: list[LettergenError]) -> Targets:
    if value in (None, "all"):
        return Targets(everyone=True)
    if not isinstance(value, yamlio.Mapping):
        errors.append(
            InputError("targets must be 'all' or {countries: [...]} / {offices: [...]}", place)
        )
        return Targets()
    countries = value.get("countries") or []
    offices = value.get("offices") or []
    if not isinstance(countries, list) or not isinstance(offices, list):
        errors.append(InputError("targets.countries and targets.offices must be lists", place))
        return Targets()
    if not all(isinstance(item, str) for item in [*countries, *offices]):
        errors.append(InputError("targets.countries and targets.offices must list texts", place))
        return Targets()
    everything = value.get("all", False)
    if not isinstance(everything, bool):
        errors.append(InputError("targets.all must be true or false", place))
        return Targets()
    return Targets(
        everyone=everything,
        countries=tuple(str(c).strip() for c in countries),
        offices=tuple(str(o) for o in offices),
    )


def check_sender(sender: Sender, campaign: Campaign) -> None:
    """A sender left as a placeholder cannot sign letters to an ambassador, and one without an
    e-mail or fax gives the office no way to say its fax number is outdated."""
    missing = sender.placeholders()
    if not (sender.name or sender.organisation):
        missing.append("name")
    if not (sender.email or sender.fax):
        missing.append("email or fax")
    if missing:
        what = ", ".join(missing)
        raise InputError(
            f"the sender is not filled in ({what})",
            campaign.place("sender"),
            hint="edit the campaign's sender, or give --sender name=… --sender email=…",
        )
