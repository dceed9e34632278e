"""A batch: targets → letters → files + manifest.

Planning decides who gets a letter (routing, fax de-duplication, offices without fax); running
composes each letter once and hands all of them to the writers at once; every file is written
whole or not at all, and the manifest records what was written, where to, with which inputs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen import manifest, paths, yamlio
from lettergen.campaign import Campaign, Sender, check_sender
from lettergen.compose import Recipient, compose
from lettergen.directory import phones
from lettergen.directory.model import Directory, Office
from lettergen.directory.routing import route, serving_office
from lettergen.errors import DataError, InputError, LettergenError, ManyErrors
from lettergen.letter import Letter
from lettergen.manifest import Row
from lettergen.render.pipeline import Output, Task, render_files
from lettergen.signers import Signer

if TYPE_CHECKING:
    from lettergen.render.fax import FaxSettings

log = logging.getLogger(__name__)

FORMATS = ("pdf", "docx", "tiff")


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """ "pdf,docx" or ["pdf", "docx"] → the formats in order, each once; unknown ones are errors."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = list(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise DataError(
            f"unknown format(s) {', '.join(unknown)}" if unknown else "no format given",
            hint=f"choose from {', '.join(FORMATS)}",
        )
    return chosen


LONG_LETTER_PAGES = 2  # letters longer than this are flagged in the summary


@dataclass(frozen=True)
class Job:
    """One letter to write: to whom, about which country, from whom, in which language."""

    recipient: Recipient
    signer: Signer | None
    language: str


@dataclass(frozen=True)
class Skip:
    office_id: str
    reason: str
    country: str = ""  # the country the letter would have been about


@dataclass
class Plan:
    jobs: list[Job]
    skipped: list[Skip] = field(default_factory=list)


@dataclass
class Failure:
    office_id: str
    signer: str
    message: str


@dataclass
class Result:
    folder: Path
    rows: list[Row]
    skipped: list[Skip]
    failures: list[Failure]
    drafts: list[str] = field(default_factory=list)  # languages written from a draft translation
    kept: frozenset[str] = frozenset()  # files kept from the last run: inputs unchanged
    removed: list[str] = field(default_factory=list)  # files of the last run it no longer makes

    @property
    def written(self) -> int:
        """Letters with a file written in this run."""
        return len({(r.office_id, r.signer) for r in self.rows if r.file not in self.kept})

    @property
    def unchanged(self) -> int:
        """Letters whose every file was kept from the last run."""
        return self.letters - self.written

    @property
    def letters(self) -> int:
        return len({(r.office_id, r.signer) for r in self.rows})

    @property
    def warnings(self) -> list[str]:
        return sorted({f"{r.office_id}: {w}" for r in self.rows for w in r.warnings})


# --- planning -------------------------------------------------------------------------------


def _resolve_office(directory: Directory, office_id: str) -> Recipient:
    office = directory.get(office_id)
    if office.resident:
        return Recipient(office, office.country)
    return Recipient(serving_office(directory, office), office.country)


def recipients(
    directory: Directory,
    *,
    everyone: bool = False,
    countries: Iterable[str] = (),
    offices: Iterable[str] = (),
) -> list[Recipient]:
    """The offices a batch writes to, in a stable order, each once.

    A country gets a letter at every resident office the state keeps there (an embassy and its
    consulates); a country with none gets one letter, to the head of mission who covers it from
    abroad, addressed as such.
    """
    chosen: list[Recipient] = []
    if everyone:
        chosen.extend(Recipient(o, o.country) for o in directory.resident_offices)
    for country in countries:
        routes = route(directory, country)
        if not routes:
            raise DataError(f"no office of the directory handles {country!r}")
        resident = [r for r in routes if r.how == "resident"]
        chosen.extend(Recipient(r.office, r.country) for r in (resident or routes[:1]))
    chosen.extend(_resolve_office(directory, office_id) for office_id in offices)
    unique: dict[tuple[str, str], Recipient] = {}
    for recipient in chosen:
        unique.setdefault((recipient.office.id, recipient.country), recipient)
    return list(unique.values())


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


def plan(
    directory: Directory,
    *,
    language: str | Callable[[Recipient], str],
    everyone: bool = False,
    countries: Iterable[str] = (),
    offices: Iterable[str] = (),
    signers: list[Signer] | None = None,
    include_no_fax: bool = False,
) -> Plan:
    chosen = recipients(directory, everyone=everyone, countries=countries, offices=offices)
    faxed, skipped = assign_faxes(chosen, include_no_fax)
    # One language for the batch, or one chosen per office (--lang auto).
    language_of = language if callable(language) else (lambda _: language)
    jobs = [Job(r, s, language_of(r)) for s in (signers or [None]) for r in faxed]  # type: ignore[list-item]
    return Plan(jobs, skipped)


# --- running --------------------------------------------------------------------------------


def letter_path(letter: Letter, fmt: str) -> Path:
    """<lang>/<office-id>[--for-<country>][--<signer>].<fmt>, relative to the batch folder;
    --for-<country> where the letter is about another country than the office's own (a letter
    by post to a head of mission covering several countries)."""
    stem = letter.office_id
    if letter.country != letter.office_country:
        stem += f"--for-{letter.country.lower()}"
    stem += f"--{letter.signer_slug}" if letter.signer_slug else ""
    return Path(letter.language) / f"{stem}.{fmt}"


def fax_warnings(office: Office, fax: str | None) -> list[str]:
    if not fax:
        return ["no fax: for post"]
    return [f"{i.code}: {i.message}" for i in phones.number_issues(fax, office.country, "fax")]


def _fax_settings(fax: FaxSettings | None) -> FaxSettings:
    from lettergen.render.fax import FaxSettings

    return fax or FaxSettings()


# --- the commands' core ---------------------------------------------------------------------


def directory_for(campaign: Campaign, path: Path | None = None) -> Directory:
    """The campaign's directory: the file it names in data/directories/, or the one given."""
    from lettergen.directory.model import load_directories

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
    """A checked campaign, its directory and the plan of who gets which letter."""

    campaign: Campaign
    directory: Directory
    plan: Plan
    sender: Sender
    templates: Path | None = None
    cover: bool = False  # a fax cover sheet before each letter

    def compose(self, job: Job) -> Letter:
        """The letter of one job of the plan."""
        return compose(
            self.campaign,
            job.recipient,
            lang=job.language,
            state=self.directory.state,
            signer=job.signer,
            sender=self.sender,
            templates=self.templates,
            cover=self.cover,
        )

    def run(
        self,
        formats: Iterable[str] = ("pdf",),
        out: Path | None = None,
        progress: Callable[[int], None] | None = None,
        fax: FaxSettings | None = None,
        jobs: int = 1,
        force: bool = False,
    ) -> Result:
        """Compose and write every job's letter in every format, with the manifest; a failing
        letter is reported and the rest are written. `fax` sets the TIFF's resolution and
        compression; `jobs` worker processes render in parallel.

        A file whose inputs have not changed since the last run (same content hash in the
        manifest, same bytes on disk) is kept as it is, unless `force`.
        """
        formats = parse_formats(formats)
        step = progress or (lambda _: None)
        folder = (out or paths.output_dir()) / self.campaign.name
        settings = _fax_settings(fax) if "tiff" in formats else None
        letters, failures = self._compose_all(step)
        previous = manifest.previous_rows(folder)
        rows: dict[tuple[int, str], Row] = {}
        keys: dict[tuple[int, str], str] = {}
        todo: list[Task] = []
        for index, (_, letter) in enumerate(letters):
            missing = []
            for fmt in formats:
                kept = previous.get(letter_path(letter, fmt).as_posix())
                key = keys[index, fmt] = manifest.input_hash(letter, fmt, settings, self.templates)
                if (
                    kept is not None
                    and not force
                    and kept.input_hash == key
                    and manifest.unchanged(folder, kept)
                ):
                    rows[index, fmt] = kept
                else:
                    missing.append(fmt)
            if missing:
                todo.append((index, letter, missing))
            else:
                step(1)
        kept_files = frozenset(row.file for row in rows.values())

        for index, outputs in render_files(todo, self.templates, settings, jobs):
            job, letter = letters[index]
            for output in outputs:
                if output.error:
                    failures.append(Failure(job.recipient.office.id, letter.author, output.error))
                    continue
                relative = letter_path(letter, output.format)
                yamlio.atomic_write(folder / relative, output.data)
                rows[index, output.format] = _row(
                    job, letter, output, relative, keys[index, output.format]
                )
            step(1)

        ordered = [rows[key] for key in sorted(rows, key=lambda k: (k[0], formats.index(k[1])))]
        drafts = draft_languages(self.plan.jobs, self.templates)
        # The folder holds this batch and nothing else: files of the last run that this one no
        # longer makes (an office dropped, another language, a letter that failed) go.
        removed = manifest.remove_stale(folder, previous, {row.file for row in ordered})
        result = Result(folder, ordered, self.plan.skipped, failures, drafts, kept_files, removed)
        manifest.write(folder, self.campaign.name, result.rows, result.skipped, result.failures)
        return result

    def _compose_all(
        self, step: Callable[[int], None]
    ) -> tuple[list[tuple[Job, Letter]], list[Failure]]:
        letters: list[tuple[Job, Letter]] = []
        failures: list[Failure] = []
        for job in self.plan.jobs:
            try:
                letters.append((job, self.compose(job)))
            except LettergenError as exc:
                signer = (job.signer or self.sender.signer()).name
                failures.append(Failure(job.recipient.office.id, signer, str(exc)))
                step(1)
        return letters, failures


def _row(job: Job, letter: Letter, output: Output, relative: Path, input_hash: str) -> Row:
    office = job.recipient.office
    warnings = fax_warnings(office, letter.fax)
    if output.pages > LONG_LETTER_PAGES:
        warnings.append(f"long-letter: {output.pages} pages")
    return Row(
        office_id=office.id,
        country=letter.country,
        city=office.city,
        addressee=letter.addressee[0] if letter.addressee else "",
        fax=letter.fax or "",
        language=letter.language,
        format=output.format,
        pages=output.pages,
        pages_source=output.pages_source,
        file=relative.as_posix(),
        sha256=hashlib.sha256(output.data).hexdigest(),
        signer=letter.author,
        warnings=warnings,
        input_hash=input_hash,
    )


def prepare(
    campaign_name: str | Path,
    *,
    everyone: bool = False,
    countries: Iterable[str] = (),
    offices: Iterable[str] = (),
    signers: Path | None = None,
    include_no_fax: bool = False,
    lang: str | None = None,
    sender: dict[str, str] | None = None,
    directory: Path | None = None,
    templates: Path | None = None,
    cover: bool = False,
) -> Prepared:
    """Load and check everything a batch needs before a single letter is written."""
    from lettergen import campaign as campaigns
    from lettergen.signers import load_signers

    campaign = campaigns.load(campaign_name)
    the_sender = campaign.sender.with_overrides(sender or {})
    check_sender(the_sender, campaign)
    language = (
        by_office_language(campaign, templates)
        if lang == "auto"
        else (lang or campaign.default_language)
    )
    campaign.require_language(campaign.default_language if callable(language) else language)
    dir_ = directory_for(campaign, directory)
    countries, offices = list(countries), list(offices)
    if not (everyone or countries or offices):
        check_targets(campaign, dir_)
        everyone = campaign.targets.all
        countries = list(campaign.targets.countries)
        offices = list(campaign.targets.offices)
    the_plan = plan(
        dir_,
        language=language,
        everyone=everyone,
        countries=countries,
        offices=offices,
        signers=load_signers(signers) if signers else None,
        include_no_fax=include_no_fax,
    )
    for code in draft_languages(the_plan.jobs, templates):
        log.warning(
            "letters in %r use a draft translation, not yet reviewed by a native speaker "
            "(letter_templates/%s/)",
            code,
            code,
        )
    return Prepared(campaign, dir_, the_plan, the_sender, templates, cover=cover)


def check_targets(campaign: Campaign, directory: Directory) -> None:
    """The campaign's targets name countries and offices its directory knows: every problem at
    once, with the campaign file and line."""
    from lettergen.directory.routing import country_code

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


def by_office_language(
    campaign: Campaign, templates: Path | None = None
) -> Callable[[Recipient], str]:
    """--lang auto: for each office, the first official language of its host country that has
    templates and the campaign's texts, else the campaign's default language."""
    from lettergen.i18n import auto_language

    have = campaign.languages
    return lambda r: auto_language(r.office.country, have, campaign.default_language, templates)


def draft_languages(jobs: Iterable[Job], templates: Path | None = None) -> list[str]:
    """The languages of these letters whose translation is still a draft."""
    from lettergen.i18n import language

    return [
        code for code in sorted({job.language for job in jobs}) if language(code, templates).draft
    ]


def render_one(
    campaign_name: str | Path,
    office_id: str,
    *,
    signer: str | None = None,
    output: Path | None = None,
    lang: str | None = None,
    formats: str | Iterable[str] = ("pdf",),
    sender: dict[str, str] | None = None,
    directory: Path | None = None,
    cover: bool = False,
    fax: FaxSettings | None = None,
) -> list[tuple[Path, int]]:
    """One letter to one office, written to the batch folder, or to `output`: a file whose
    suffix (.pdf, .docx, .tiff) names the format, or a name that gets each format's suffix."""
    formats = parse_formats(formats)
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if suffix in FORMATS:
        formats = [suffix]
    prepared = prepare(
        campaign_name,
        offices=[office_id],
        include_no_fax=True,
        lang=lang,
        sender=sender,
        directory=directory,
        cover=cover,
    )
    job = prepared.plan.jobs[0]
    if signer:
        job = Job(job.recipient, Signer(signer), job.language)
    letter = prepared.compose(job)
    settings = _fax_settings(fax) if "tiff" in formats else None
    ((_, outputs),) = render_files([(0, letter, formats)], prepared.templates, settings, jobs=1)
    written = []
    for made in outputs:
        if made.error:
            raise DataError(made.error, hint=f"office {office_id}")
        if output is None:
            target = paths.output_dir() / prepared.campaign.name / letter_path(letter, made.format)
        elif suffix in FORMATS:
            target = output
        else:
            target = output.with_name(f"{output.name}.{made.format}")
        yamlio.atomic_write(target, made.data)
        written.append((target, made.pages))
    return written


def summary(result: Result) -> list[str]:
    """The end of a batch, for people: what was written, skipped, failed, and warnings."""
    kept = f", {len(result.kept)} of them unchanged since the last run" if result.kept else ""
    lines = [
        f"{result.letters} letter(s), {len(result.rows)} file(s){kept}, in {result.folder}",
        f"Manifest: {result.folder / 'manifest.csv'} and manifest.json",
    ]
    if result.removed:
        lines.append(
            f"Removed {len(result.removed)} file(s) of the last run that this batch no longer "
            f"makes: {', '.join(result.removed[:5])}{' …' if len(result.removed) > 5 else ''}"
        )
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)}:")
        lines.extend(f"  {s.office_id}: {s.reason}" for s in result.skipped)
    long_letters = sorted({r.office_id for r in result.rows if r.pages > LONG_LETTER_PAGES})
    if long_letters:
        lines.append(f"Warning: longer than {LONG_LETTER_PAGES} pages: {', '.join(long_letters)}")
    warnings = result.warnings
    if warnings:
        lines.append(f"Warnings ({len(warnings)}):")
        lines.extend(f"  {w}" for w in warnings)
    if result.drafts:
        lines.append(
            f"Draft translations, not yet reviewed by a native speaker: {', '.join(result.drafts)}"
            " (check these letters before sending)"
        )
    if result.failures:
        lines.append(f"Failed {len(result.failures)}:")
        lines.extend(
            f"  {f.office_id}{' (' + f.signer + ')' if f.signer else ''}: {f.message}"
            for f in result.failures
        )
    lines.append(
        f"Written {result.written}, unchanged {result.unchanged}, skipped {len(result.skipped)}, "
        f"failed {len(result.failures)}, warnings {len(warnings)}"
    )
    return lines
