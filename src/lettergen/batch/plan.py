"""Planning a batch: who gets a letter, on which fax number, in which language, signed by whom.

Everything a batch is asked to do is one `BatchOptions`, built once (by the command line or a
library user). `prepare(options)` loads and checks all of it — the campaign, its directory,
the sender, the language, the signers, every name that will become a path — and returns a
`Prepared` batch with its `Plan`, before a single file is written. `batch.run` writes it.

A plan does not hold its letters: it holds the offices (each with its fax number and
language) and the signers, and yields the letters one by one, so a million signers cost the
signer list, not a million letters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen import campaign as campaigns
from lettergen import paths
from lettergen.batch import folder as outdir
from lettergen.campaign import Campaign, Sender, check_sender
from lettergen.campaign.signers import Signer, load_signers, signer_named, with_message
from lettergen.campaign.targets import Targets
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.joint import make_joint
from lettergen.compose.letter import Letter
from lettergen.compose.variants import Choice
from lettergen.directory import phones
from lettergen.directory.model import Directory, load_directories
from lettergen.directory.routing import country_code, route, serving_office
from lettergen.errors import DataError, InputError, LettergenError, ManyErrors
from lettergen.language.languages import auto_language, load_language
from lettergen.render import formats
from lettergen.render.tiff import FaxSettings

if TYPE_CHECKING:
    from lettergen.render.tiff import FaxSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchOptions:
    """Everything one batch (or one `render`) is asked to do, checked once when built."""

    campaign: str | Path  # a name under data/campaigns/ or a file
    targets: Targets = field(default_factory=Targets)
    signers: Path | None = None  # a signers CSV: one letter per signer and office
    signer: str | None = None  # one name to sign with (`render --signer`)
    message: str | None = None  # her own words (`render --message`), with `signer`
    language: str | None = None  # a code, "auto" (per office), or None: the campaign's own
    formats: tuple[str, ...] = ("pdf",)
    sender: tuple[tuple[str, str], ...] = ()  # (field, value) overrides of the campaign's
    directory: Path | None = None  # default: the campaign's, in data/directories/
    cover: bool = False  # a fax cover sheet before each letter
    fax_settings: FaxSettings | None = None  # TIFF resolution and compression
    include_no_fax: bool = False  # also letters to offices without a fax, for post
    skip_invalid_fax: bool = False  # skip (and report) offices whose fax is not valid E.164
    workers: int = 1  # processes rendering letters
    force: bool = False  # render every letter, even those unchanged since the last run
    output: Path | None = None  # the folder batch folders are made in (default: output/)
    merge: bool = False  # one letter into a batch folder: the rest of its manifest stays
    joint: bool = False  # one letter per office, signed by all the signers (needs `signers`)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", formats.parse(self.formats))
        if self.language not in (None, "auto"):
            outdir.check_language(self.language or "", "--lang")
        if self.workers < 1:
            raise DataError("workers must be at least 1")


#: The BatchOptions fields that say which letters a batch folder holds (not how they were
#: made: workers, force, output, merge). A batch records them in its manifest as its
#: "request", so `lettergen send` can bring the folder up to date with the very same letters.
REQUEST_FIELDS = (
    "signer",
    "language",
    "formats",
    "cover",
    "include_no_fax",
    "skip_invalid_fax",
    "joint",
)


def file_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def to_request(options: BatchOptions) -> dict[str, Any]:
    """What the batch was asked for, as JSON: its targets, signers file (by absolute path and
    content hash), language, formats and the rest of `REQUEST_FIELDS`."""
    request: dict[str, Any] = {
        "targets": {
            "everyone": options.targets.everyone,
            "countries": list(options.targets.countries),
            "offices": list(options.targets.offices),
        },
        "signers": None,
        "sender": [list(pair) for pair in options.sender],
        "directory": str(options.directory.resolve()) if options.directory else None,
        "fax_settings": (
            {
                "resolution": options.fax_settings.resolution,
                "compression": options.fax_settings.compression,
            }
            if options.fax_settings
            else None
        ),
    }
    if options.signers is not None:
        request["signers"] = {
            "path": str(options.signers.resolve()),
            "sha256": file_sha256(options.signers),
        }
    for name in REQUEST_FIELDS:
        value = getattr(options, name)
        request[name] = list(value) if isinstance(value, tuple) else value
    return request


def from_request(
    campaign: str | Path, request: dict[str, Any], place: str, output: Path | None = None
) -> BatchOptions:
    """The BatchOptions a recorded request stands for. The signers file must still be there
    and hold what it held: a batch rendered again from another list would fax other letters
    than the ones the group checked. `place` names the manifest in error messages."""

    try:
        targets = request["targets"]
        signers = request["signers"]
        fax = request["fax_settings"]
        values = {name: request[name] for name in REQUEST_FIELDS}
        sender = tuple((str(k), str(v)) for k, v in request["sender"])
        directory = request["directory"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{place}: the batch's request cannot be read ({exc})") from None
    signers_path = None
    if signers is not None:
        signers_path = Path(signers["path"])
        if not signers_path.is_file():
            raise DataError(
                f"{place}: the batch was written for the signers in {signers_path}, which is "
                "no longer there",
                hint="run `lettergen batch` again, or send the letters as they are (--no-render)",
            )
        if file_sha256(signers_path) != signers["sha256"]:
            raise DataError(
                f"{place}: {signers_path} has changed since the batch was written",
                hint="run `lettergen batch` again to write the letters of the new list, or "
                "send the letters as they are (--no-render)",
            )
    values["formats"] = tuple(values["formats"])
    return BatchOptions(
        campaign,
        targets=Targets(
            bool(targets["everyone"]), tuple(targets["countries"]), tuple(targets["offices"])
        ),
        signers=signers_path,
        sender=sender,
        directory=Path(directory) if directory else None,
        fax_settings=FaxSettings(**fax) if fax else None,
        output=output,
        **values,
    )


@dataclass(frozen=True)
class PlannedLetter:
    """One letter to write: to whom, about which country, from whom, in which language."""

    recipient: Recipient
    signer: Signer | None
    language: str
    signatories: tuple[Signer, ...] = ()  # a joint letter's signers, listed after its signature
    #: The signer's place in the batch's signers file (None: no file): letters to one office
    #: take consecutive combinations of the phrasing variants (compose.variants).
    index: int | None = None


@dataclass(frozen=True)
class Skip:
    office_id: str
    reason: str
    country: str = ""  # the country the letter would have been about


@dataclass
class Plan:
    """The offices that get a letter (each with its fax number and language), the signers,
    and who was skipped. `letters()` yields signers × offices, signer by signer."""

    recipients: list[tuple[Recipient, str]]  # with the fax number set, and the language
    signers: Sequence[Signer | None] = (None,)
    skipped: list[Skip] = field(default_factory=list)
    joint: bool = False  # one letter per office, listing every signer
    #: The signers are a file's (batch --signers): letters to an office take consecutive
    #: combinations of the phrasing variants by the signer's place in it. Otherwise each
    #: letter's combination is the hash of its office and signer.
    file_order: bool = False

    def letters(self) -> Iterator[PlannedLetter]:
        if self.joint:
            signatories = tuple(s for s in self.signers if s is not None)
            for recipient, language in self.recipients:
                yield PlannedLetter(recipient, None, language, signatories)
            return
        for index, signer in enumerate(self.signers):
            for recipient, language in self.recipients:
                yield PlannedLetter(
                    recipient, signer, language, index=index if self.file_order else None
                )

    def __len__(self) -> int:
        return len(self.recipients) * (1 if self.joint else len(self.signers))

    @property
    def languages(self) -> list[str]:
        return sorted({language for _, language in self.recipients})


def _resolve_office(directory: Directory, office_id: str) -> Recipient:
    office = directory.get(office_id)
    if office.resident:
        return Recipient(office, office.country)
    return Recipient(serving_office(directory, office), office.country)


def recipients(directory: Directory, targets: Targets) -> list[Recipient]:
    """The offices a batch writes to, in a stable order, each once.

    A country gets a letter at every resident office the state keeps there (an embassy and its
    consulates); a country with none gets one letter, to the head of mission who covers it from
    abroad, addressed as such.
    """
    chosen: list[Recipient] = []
    if targets.everyone:
        chosen.extend(Recipient(o, o.country) for o in directory.resident_offices)
    for country in targets.countries:
        routes = route(directory, country)
        if not routes:
            raise DataError(f"no office of the directory handles {country!r}")
        resident = [r for r in routes if r.how == "resident"]
        chosen.extend(Recipient(r.office, r.country) for r in (resident or routes[:1]))
    chosen.extend(_resolve_office(directory, office_id) for office_id in targets.offices)
    unique: dict[tuple[str, str], Recipient] = {}
    for recipient in chosen:
        unique.setdefault((recipient.office.id, recipient.country), recipient)
    return list(unique.values())


def fax_problem(number: str) -> str | None:
    """Why a directory fax cannot go on a letter: the number printed, recorded and dialled
    must be one valid E.164 value."""
    import phonenumbers

    if not phones.is_e164(number):
        return f"fax {number!r} is not an E.164 number (+ and digits)"
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return f"fax {number} is not a telephone number"
    # Numbers "not valid today" (a directory of 2002) stay: they are warnings in the
    # manifest; what is refused is a value that is not one unambiguous E.164 number.
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
        return f"fax {number} is not in its E.164 form"
    return None


def check_faxes(chosen: list[Recipient], skip_invalid: bool) -> tuple[list[Recipient], list[Skip]]:
    """Offices whose fax numbers are not all valid: an error naming each, or (skip_invalid)
    skipped and reported."""
    kept: list[Recipient] = []
    skipped: list[Skip] = []
    errors: list[LettergenError] = []
    for recipient in chosen:
        problems = [p for p in map(fax_problem, recipient.office.faxes) if p]
        if not problems:
            kept.append(recipient)
        elif skip_invalid:
            skipped.append(Skip(recipient.office.id, "; ".join(problems), recipient.country))
        else:
            errors.extend(
                DataError(
                    f"office {recipient.office.id}: {p}",
                    hint="correct the directory ('lettergen missions validate'), "
                    "or pass --skip-invalid-fax",
                )
                for p in problems
            )
    if errors:
        raise ManyErrors(errors)
    return kept, skipped


def assign_faxes(
    chosen: list[Recipient], include_no_fax: bool = False
) -> tuple[list[Recipient], list[Skip]]:
    """Give each recipient a fax number no other letter of the batch uses.

    Offices with a single fax are served first, so an office with two (the UN mission in New
    York) takes its other number rather than the one it shares. Where no free number is left,
    one letter is written and the other office is reported.
    """
    used: dict[str, str] = {}
    about: dict[str, str] = {}  # office id -> the country its letter is about
    assigned: dict[int, Recipient] = {}
    skipped: list[Skip] = []
    order = sorted(range(len(chosen)), key=lambda i: len(chosen[i].office.faxes))
    for index in order:
        recipient = chosen[index]
        office = recipient.office
        if office.id in about and office.faxes:
            # One head of mission covering several countries gets one letter, not one per
            # country on the same fax.
            skipped.append(
                Skip(
                    office.id,
                    f"the letter about {recipient.country} is not written: this office already "
                    f"gets the letter about {about[office.id]}",
                    recipient.country,
                )
            )
            continue
        about.setdefault(office.id, recipient.country)
        if not office.faxes:
            if include_no_fax:
                assigned[index] = recipient
            else:
                skipped.append(
                    Skip(
                        office.id,
                        "no fax number (use --include-no-fax to write it for post)",
                        recipient.country,
                    )
                )
            continue
        free = [fax for fax in office.faxes if fax not in used]
        if free:
            used[free[0]] = office.id
            assigned[index] = Recipient(office, recipient.country, free[0])
        else:
            skipped.append(
                Skip(
                    office.id,
                    f"shares fax {office.faxes[0]} with {used[office.faxes[0]]}, "
                    "which gets the letter",
                    recipient.country,
                )
            )
    return [assigned[i] for i in sorted(assigned)], skipped


def make_plan(
    directory: Directory,
    *,
    language: str | Callable[[Recipient], str],
    targets: Targets,
    signers: Sequence[Signer] | None = None,
    include_no_fax: bool = False,
    skip_invalid_fax: bool = False,
) -> Plan:
    """Who gets a letter: routing, fax checks and de-duplication, one language per office."""
    chosen, invalid = check_faxes(recipients(directory, targets), skip_invalid_fax)
    faxed, skipped = assign_faxes(chosen, include_no_fax)
    # One language for the batch, or one chosen per office (--lang auto).
    language_of = language if callable(language) else (lambda _: language)
    with_language = [(r, language_of(r)) for r in faxed]
    for recipient, code in with_language:
        outdir.check_name("office id", recipient.office.id, hint="correct the directory")
        outdir.check_language(code)
    return Plan(with_language, list(signers) if signers else [None], invalid + skipped)


def directory_for(campaign: Campaign, path: Path | None = None) -> Directory:
    """The campaign's directory: the file it names in data/directories/, or the one given."""

    if path is None:
        path = paths.directories_dir() / f"{campaign.directory}.yaml"
        if not path.exists():
            raise DataError(
                f"the campaign's directory {campaign.directory!r} is not in "
                f"{paths.directories_dir()}",
                campaign.place("directory"),
                hint="import it with 'lettergen directory import', or pass --directory",
            )
    return load_directories(path)


@dataclass
class Prepared:
    """A checked campaign, its directory, the plan of who gets which letter, and the options
    the batch runs with."""

    campaign: Campaign
    directory: Directory
    plan: Plan
    sender: Sender
    options: BatchOptions
    templates: Path = field(default_factory=paths.templates_dir)

    @property
    def cover(self) -> bool:
        return self.options.cover

    @property
    def folder(self) -> Path:
        """The batch folder: <output>/<campaign name>."""
        return paths.batch_folder(self.campaign.name, self.options.output)

    def compose(self, planned: PlannedLetter) -> Letter:
        """The letter of one entry of the plan."""
        letter = compose_letter(
            self.campaign,
            planned.recipient,
            lang=planned.language,
            state=self.directory.state,
            signer=planned.signer,
            sender=self.sender,
            templates=self.templates,
            cover=self.options.cover,
            signatories=len(planned.signatories),
            choice=_choice(planned),
        )
        if planned.signatories:
            letter = make_joint(
                letter, load_language(planned.language, self.templates), planned.signatories
            )
        return letter


def _choice(planned: PlannedLetter) -> Choice | None:
    """The phrasing variants of a planned letter: a joint letter (one per office) takes the
    first wording of each; a letter of a signers file the signer's place in it (so the first
    letters to an office are as many different texts as the variants allow); any other a
    single letter's wording (`Choice.single`, the same as on the supporter page)."""
    if planned.signatories:
        return Choice(alternative=0)
    if planned.index is not None:
        return Choice.in_batch(planned.recipient.office.id, planned.index)
    return None


def prepare(options: BatchOptions) -> Prepared:
    """Load and check everything a batch needs before a single letter is written."""

    templates = paths.templates_dir()
    campaign = campaigns.load(options.campaign)
    outdir.check_name(
        "campaign name",
        campaign.name,
        hint=f"rename {campaign.path.name}: its name becomes the output folder's",
    )
    sender = campaign.sender.with_overrides(dict(options.sender))
    check_sender(sender, campaign)
    outdir.check_language(campaign.default_language, f"{campaign.path}: default_language")
    language: str | Callable[[Recipient], str]
    if options.language == "auto":
        language = by_office_language(campaign, templates)
        campaign.require_language(campaign.default_language)
    else:
        language = options.language or campaign.default_language
        campaign.require_language(language)
    directory = directory_for(campaign, options.directory)
    targets = options.targets
    if not targets.given:
        check_targets(campaign, directory)
        targets = campaign.targets
    signers: Sequence[Signer] | None = None
    if options.joint and not options.signers:
        raise DataError("--joint needs --signers: the file of the people who sign the letter")
    if options.signers:
        signers = load_signers(options.signers)
    elif options.signer:
        signers = [signer_named(options.signer)]
        if options.message:
            signers = [with_message(signers[0], options.message)]
    if options.message and not options.signer:
        raise DataError("--message needs --signer: the supporter whose own words they are")
    the_plan = make_plan(
        directory,
        language=language,
        targets=targets,
        signers=signers,
        include_no_fax=options.include_no_fax,
        skip_invalid_fax=options.skip_invalid_fax,
    )
    for code in draft_languages(the_plan.languages, templates):
        log.warning(
            "letters in %r use a draft translation, not yet reviewed by a native speaker "
            "(letter_templates/%s/)",
            code,
            code,
        )
    the_plan.joint = options.joint
    the_plan.file_order = options.signers is not None
    return Prepared(campaign, directory, the_plan, sender, options, templates)


def check_targets(campaign: Campaign, directory: Directory) -> None:
    """The campaign's targets name countries and offices its directory knows: every problem at
    once, with the campaign file and line."""

    errors: list[LettergenError] = []
    for country in campaign.targets.countries:
        try:
            country_code(country)
        except LettergenError as exc:
            errors.append(InputError(exc.message, campaign.place("targets.countries"), exc.hint))
    for office_id in campaign.targets.offices:
        if office_id not in directory:
            errors.append(
                InputError(
                    f"unknown office id {office_id!r}",
                    campaign.place("targets.offices"),
                    hint="'lettergen missions list' shows the ids",
                )
            )
    if errors:
        raise ManyErrors(errors)


def by_office_language(campaign: Campaign, templates: Path) -> Callable[[Recipient], str]:
    """--lang auto: for each office, the first official language of its host country that has
    templates and the campaign's texts, else the campaign's default language."""

    have = campaign.languages
    return lambda r: auto_language(r.office.country, have, campaign.default_language, templates)


def draft_languages(languages: Iterable[str], templates: Path) -> list[str]:
    """The languages among these whose translation is still a draft."""

    return [code for code in sorted(set(languages)) if load_language(code, templates).draft]
