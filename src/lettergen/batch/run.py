"""Running a batch: the plan's letters → files + manifest, in the folder the batch owns.

`run(prepared)` holds the folder's lock, composes each letter as it is rendered (letters are
streamed through the writers in chunks, never all composed first), writes every file whole or
not at all, records each in a journal as it is written, and ends with the manifest. The same
path writes one letter (`render_one`) into a batch folder: its manifest is updated, the rest
of the folder is left as it is.

What the run promises about the folder (docs/files.md): a file is replaced or removed only
while it is byte for byte the file the manifest recorded; a changed one is kept and reported,
and the new letter goes beside it (x.new.pdf); files no manifest lists are reported, never
touched; nothing is written outside the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lettergen import paths
from lettergen.batch import folder as outdir
from lettergen.batch import manifest
from lettergen.batch.manifest import Row
from lettergen.batch.plan import (
    BatchOptions,
    PlannedLetter,
    Prepared,
    Skip,
    draft_languages,
    to_request,
)
from lettergen.batch.plan import prepare as prepare_options
from lettergen.campaign.targets import Targets
from lettergen.compose.letter import Letter
from lettergen.directory import phones
from lettergen.directory.model import Office
from lettergen.errors import DataError, LettergenError
from lettergen.render import formats
from lettergen.render.formats import Output, WriteSettings
from lettergen.render.pipeline import render_files

log = logging.getLogger(__name__)

LONG_LETTER_PAGES = 2  # letters longer than this are flagged in the summary
SHOWN = 5  # names listed in the summary before "…"


@dataclass
class Failure:
    office_id: str
    signer: str
    message: str


@dataclass
class Result:
    """What a run did. Counts, not rows: the rows are in the folder's manifest (`rows`)."""

    folder: Path
    skipped: list[Skip]
    failures: list[Failure]
    drafts: list[str] = field(default_factory=list)  # languages written from a draft translation
    letters: int = 0  # letters in the manifest
    files: int = 0  # files in the manifest
    written: int = 0  # letters with a file written in this run
    kept_files: int = 0  # files kept from the last run: inputs unchanged
    removed: list[str] = field(default_factory=list)  # files of the last run it no longer makes
    changed: list[str] = field(default_factory=list)  # files the user changed: kept, reported
    unknown: list[str] = field(default_factory=list)  # files no manifest lists: left alone
    notes: list[str] = field(default_factory=list)  # about the folder: a corrupt manifest, …
    warnings: list[str] = field(default_factory=list)  # "<office>: <warning>", each once
    long_letters: list[str] = field(default_factory=list)  # offices with long letters
    #: "<office> (<signer>): why": letters of a drive laid out in full, not stamped
    laid_out_in_full: list[str] = field(default_factory=list)
    made: list[tuple[str, int]] = field(default_factory=list)  # one letter's files (render)

    @property
    def unchanged(self) -> int:
        """Letters whose every file was kept from the last run."""
        return self.letters - self.written

    @property
    def rows(self) -> list[Row]:
        """The manifest's rows, read back from the folder."""
        return manifest.read_rows(self.folder)


def prepare(campaign_name: str | Path | BatchOptions, **options: Any) -> Prepared:
    """Load and check everything a batch needs (see plan.prepare). Takes a BatchOptions, or
    a campaign and BatchOptions' fields as keywords, with `everyone`, `countries` and `offices`
    for its targets and `sender` as a dict."""
    if isinstance(campaign_name, BatchOptions):
        return prepare_options(campaign_name)
    return prepare_options(options_from(campaign_name, **options))


def options_from(campaign: str | Path, **given: Any) -> BatchOptions:
    """BatchOptions from keywords (see `prepare`)."""
    values = dict(given)
    target = {k: values.pop(k) for k in ("everyone", "countries", "offices") if k in values}
    if target:
        values["targets"] = Targets(
            bool(target.get("everyone")),
            tuple(target.get("countries") or ()),
            tuple(target.get("offices") or ()),
        )
    if isinstance(values.get("sender"), dict):
        values["sender"] = tuple(values["sender"].items())
    if "formats" in values:
        values["formats"] = formats.parse(values["formats"])
    return BatchOptions(campaign, **values)


def letter_path(letter: Letter, fmt: str) -> str:
    """<lang>/<office-id>[--for-<country>][--<signer>].<suffix>, relative to the batch folder;
    --for-<country> where the letter is about another country than the office's own (a letter
    by post to a head of mission covering several countries). Too long a name is shortened
    with a hash."""
    stem = letter.office_id
    if letter.country != letter.office_country:
        stem += f"--for-{letter.country.lower()}"
    stem += f"--{letter.signer_slug}" if letter.signer_slug else ""
    outdir.check_name("file name", stem[: outdir.MAX_NAME])
    return f"{letter.language}/{outdir.file_name(stem, formats.get(fmt).suffix)}"


def fax_warnings(office: Office, fax: str | None) -> list[str]:
    if not fax:
        return ["no fax: for post"]
    return [f"{i.code}: {i.message}" for i in phones.number_issues(fax, office.country, "fax")]


def run(
    prepared: Prepared, progress: Callable[[int], None] | None = None, **overrides: Any
) -> Result:
    """Compose and write every letter of the plan in every format, with the manifest; a
    failing letter is reported and the rest are written. Keyword arguments replace options
    (`output`, `workers`, `force`, `formats`, …).

    A file whose inputs have not changed since the last run (same content hash in the
    manifest, same bytes on disk) is kept as it is, unless `force`."""
    options = prepared.options
    if overrides:
        changes = dict(overrides)
        if "formats" in changes:
            changes["formats"] = formats.parse(changes["formats"])
        options = replace(options, **changes)
    folder = paths.batch_folder(prepared.campaign.name, options.output)
    with outdir.locked(folder):
        return _Run(prepared, options, folder, progress or (lambda _: None)).go()


class _Run:
    """One run into one folder, under its lock."""

    def __init__(
        self,
        prepared: Prepared,
        options: BatchOptions,
        folder: Path,
        step: Callable[[int], None],
    ):
        self.prepared, self.options, self.folder, self.step = prepared, options, folder, step
        fax = None
        if any(formats.get(f).uses_fax_settings for f in options.formats):
            from lettergen.render.tiff import FaxSettings

            fax = options.fax_settings or FaxSettings()
        self.settings = WriteSettings(prepared.templates, fax, len(prepared.plan.signers) > 1)
        self.result = Result(
            folder,
            list(prepared.plan.skipped),
            [],
            draft_languages(prepared.plan.languages, prepared.templates),
        )
        self.spool = manifest.Spool()
        self.journal = manifest.Journal(folder)
        self.current: set[str] = set()  # files of this run's manifest
        self.owned_cache: dict[str, bool] = {}
        self.warnings: set[str] = set()
        self.long: set[str] = set()

    def go(self) -> Result:
        result, folder = self.result, self.folder
        removed_tmp = outdir.clean_temporaries(folder)
        if removed_tmp:
            result.notes.append(
                f"removed {len(removed_tmp)} temporary file(s) a killed run left: "
                + _listed(removed_tmp)
            )
        self.previous = manifest.read_previous(folder)
        result.notes.extend(self.previous.warnings)
        self._check_campaign_file()
        self.force = self.options.force or not self.previous.complete
        rendered = render_files(self._tasks(), self.settings, self.options.workers)
        try:
            # closing(): a failed write stops the workers now, not when the generator is freed.
            with contextlib.closing(rendered):
                for key, letter, outputs in rendered:
                    self._written(key, letter, outputs)
            self._finish()
        finally:
            self.spool.close()
        return result

    def _check_campaign_file(self) -> None:
        recorded = self.previous.campaign_file
        this = str(self.prepared.campaign.path.resolve())
        if recorded and recorded != this:
            raise outdir.OutputError(
                f"{self.folder}: holds the letters of {recorded}, not of {this} (campaign files "
                "with the same name share an output folder): pass -o with another folder"
            )

    # --- deciding what to render ----------------------------------------------------------

    def _owned(self, relative: str) -> bool:
        """Whether folder/relative is byte for byte the file a manifest recorded."""
        if relative not in self.owned_cache:
            row = self.previous.rows.get(relative)
            self.owned_cache[relative] = row is not None and (
                outdir.sha256_of(self.folder / relative) == row.sha256
            )
        return self.owned_cache[relative]

    def _target(self, natural: str) -> str:
        """Where a letter's file goes: its own name, unless a file there is not lettergen's
        (the user changed it, or no manifest lists it); then beside it (x.new.pdf)."""
        candidate = natural
        for _ in range(100):
            path = self.folder / candidate
            free = not (path.exists() or path.is_symlink()) or self._owned(candidate)
            if free and candidate not in self.current:
                if candidate != natural:
                    self._report_changed(natural, f"the new letter is {candidate}")
                return candidate
            candidate = _next_beside(candidate, natural)
        raise outdir.OutputError(f"{self.folder / natural}: no free name beside it")

    def _report_changed(self, relative: str, then: str) -> None:
        why = (
            "changed since lettergen wrote it"
            if relative in self.previous.rows
            else "not written by lettergen"
        )
        self.result.changed.append(f"{relative}: {why}; {then}")

    def _tasks(self) -> Iterator[tuple[Any, Letter, tuple[str, ...]]]:
        for planned in self.prepared.plan.letters():
            try:
                letter = self.prepared.compose(planned)
                targets = {
                    fmt: self._target(letter_path(letter, fmt)) for fmt in self.options.formats
                }
            except LettergenError as exc:
                signer = (planned.signer or self.prepared.sender.signer()).name
                self.result.failures.append(Failure(planned.recipient.office.id, signer, str(exc)))
                self.step(1)
                continue
            kept: dict[str, Row] = {}
            keys: dict[str, str] = {}
            for fmt, relative in targets.items():
                keys[fmt] = manifest.input_hash(
                    letter, fmt, self.settings.fax, self.settings.templates
                )
                row = self.previous.rows.get(relative)
                if (
                    row is not None
                    and not self.force
                    and row.input_hash == keys[fmt]
                    and self._owned(relative)
                ):
                    kept[fmt] = row
            missing = tuple(f for f in self.options.formats if f not in kept)
            for relative in targets.values():
                self.current.add(relative)
            yield (planned, targets, kept, keys), letter, missing

    # --- writing --------------------------------------------------------------------------

    def _written(self, key: Any, letter: Letter, outputs: list[Output]) -> None:
        planned, targets, kept, keys = key
        made = {output.format: output for output in outputs}
        fallback = next((output.fallback for output in outputs if output.fallback), "")
        if fallback:
            self.result.laid_out_in_full.append(f"{letter.office_id} ({letter.author}): {fallback}")
        wrote = False
        for fmt in self.options.formats:
            if fmt in kept:
                self._add(kept[fmt])
                self.result.kept_files += 1
                continue
            output = made[fmt]
            if output.error:
                self.result.failures.append(
                    Failure(planned.recipient.office.id, letter.author, output.error)
                )
                self.current.discard(targets[fmt])
                continue
            row = _row(planned, letter, output, targets[fmt], keys[fmt])
            # The journal first (write-ahead): a batch killed between the file's rename and
            # the journal's line would leave a file the next run could not tell from the
            # user's own. The row carries the file's sha256, so a row whose file never
            # arrived (or holds other bytes) claims nothing.
            self.journal.add(row)
            outdir.write(self.folder, targets[fmt], output.data)
            self._add(row)
            wrote = True
        if wrote:
            self.result.written += 1
        if kept or wrote:
            self.result.letters += 1
        self.step(1)

    def _add(self, row: Row, mine: bool = True) -> None:
        self.spool.add(row)
        if mine and self.options.merge:
            self.result.made.append((row.file, row.pages))
        self.result.files += 1
        self.warnings.update(f"{row.office_id}: {w}" for w in row.warnings)
        if any(warning.startswith("long-letter:") for warning in row.warnings):
            self.long.add(row.office_id)

    def _finish(self) -> None:
        result, folder = self.result, self.folder
        for relative, row in self.previous.rows.items():
            if relative in self.current:
                continue
            if self.options.merge:
                # One letter into a batch folder: the batch's other letters stay its own.
                if self._owned(relative):
                    self._add(row, mine=False)
                    self.current.add(relative)
                    result.letters += 1
                continue
            path = folder / relative
            if not (path.exists() or path.is_symlink()):
                continue
            if self._owned(relative):
                outdir.remove(folder, relative)
                result.removed.append(relative)
            else:
                self._report_changed(relative, "kept, no longer in the manifest")
        result.unknown = self._unknown()
        result.warnings = sorted(self.warnings)
        result.long_letters = sorted(self.long)
        manifest.write(
            folder,
            self.prepared.campaign.name,
            self.spool,
            result.skipped,
            result.failures,
            str(self.prepared.campaign.path.resolve()),
            None if self.options.merge else to_request(self.options),
        )
        self.journal.close(remove=True)

    def _unknown(self) -> list[str]:
        """Files in the folder this run's manifest does not list (left alone, reported)."""
        own = {manifest.JSON_NAME, manifest.CSV_NAME, manifest.JOURNAL_NAME}
        found = []
        records = (manifest.JSON_NAME + ".corrupt-", *outdir.COMPANIONS)
        for path in sorted(self.folder.rglob("*")):
            relative = path.relative_to(self.folder).as_posix()
            if path.is_dir() and not path.is_symlink():
                continue
            if relative in own or relative in self.current:
                continue
            if relative.startswith(records):
                continue
            found.append(relative)
        return found


def _next_beside(candidate: str, natural: str) -> str:
    """x.pdf → x.new.pdf → x.new-2.pdf …"""
    base = Path(natural)
    if candidate == natural:
        n = 1
    else:
        tag = Path(candidate).stem[len(base.stem) + 1 :]
        n = 2 if tag == "new" else int(tag.removeprefix("new-")) + 1
    name = f"{base.stem}.{'new' if n == 1 else f'new-{n}'}{base.suffix}"
    return (base.parent / name).as_posix()


def _row(planned: PlannedLetter, letter: Letter, output: Output, relative: str, key: str) -> Row:
    office = planned.recipient.office
    warnings = fax_warnings(office, letter.fax)
    if output.pages > LONG_LETTER_PAGES and not letter.signatories:  # a joint letter is long
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
        file=relative,
        sha256=hashlib.sha256(output.data).hexdigest(),
        signer=letter.author,
        warnings=warnings,
        input_hash=key,
    )


def render_one(
    options: BatchOptions, office_id: str, file: Path | None = None
) -> list[tuple[Path, int]]:
    """One letter to one office. Without `file`, it goes into the campaign's batch folder
    through the batch's own path (lock, ownership checks, manifest updated, the folder's other
    letters left as they are). With `file`, it is written there and nowhere else, outside any
    manifest: a file whose suffix (.pdf, .docx, .tiff) names the format, or a name that gets
    each format's suffix."""
    by_suffix = formats.by_suffix(file.suffix) if file is not None and file.suffix else None
    options = replace(
        options,
        targets=Targets(offices=(office_id,)),
        include_no_fax=True,
        merge=True,
        formats=(by_suffix.name,) if by_suffix else options.formats,
    )
    prepared = prepare_options(options)
    if file is None:
        result = run(prepared)
        if result.failures:
            raise DataError(result.failures[0].message, hint=f"office {office_id}")
        for note in result.changed:
            log.warning("kept %s", note)
        return [(result.folder / file, pages) for file, pages in result.made]
    (planned,) = prepared.plan.letters()
    letter = prepared.compose(planned)
    settings = WriteSettings(prepared.templates, options.fax_settings)
    written = []
    for _, _, outputs in render_files([(0, letter, options.formats)], settings, workers=1):
        for made in outputs:
            if made.error:
                raise DataError(made.error, hint=f"office {office_id}")
            target = file if by_suffix else file.with_name(f"{file.name}.{made.format}")
            with outdir.os_errors(target):
                from lettergen.util import files

                files.atomic_write(target, made.data)
            written.append((target, made.pages))
    return written


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:SHOWN]) + (" …" if len(names) > SHOWN else "")


def summary(result: Result) -> list[str]:
    """The end of a batch, for people: what was written, skipped, failed, and warnings."""
    kept = (
        f", {result.kept_files} of them unchanged since the last run" if result.kept_files else ""
    )
    lines = [f"{note}" for note in result.notes]
    lines += [
        f"{result.letters} letter(s), {result.files} file(s){kept}, in {result.folder}",
        f"Manifest: {result.folder / manifest.CSV_NAME} and {manifest.JSON_NAME}",
    ]
    if result.removed:
        lines.append(
            f"Removed {len(result.removed)} file(s) of the last run that this batch no longer "
            f"makes: {_listed(result.removed)}"
        )
    lines.extend(f"Kept {note}" for note in result.changed)
    if result.unknown:
        lines.append(
            f"Not made by this batch, left alone ({len(result.unknown)}): {_listed(result.unknown)}"
        )
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)}:")
        lines.extend(f"  {s.office_id}: {s.reason}" for s in result.skipped)
    if result.long_letters:
        lines.append(
            f"Warning: longer than {LONG_LETTER_PAGES} pages: {', '.join(result.long_letters)}"
        )
    if result.warnings:
        lines.append(f"Warnings ({len(result.warnings)}):")
        lines.extend(f"  {w}" for w in result.warnings)
    if result.laid_out_in_full:
        lines.append(
            f"Laid out in full, their signer's parts not fitting the office's shared layout "
            f"({len(result.laid_out_in_full)}): {_listed(result.laid_out_in_full)}"
        )
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
        f"failed {len(result.failures)}, warnings {len(result.warnings)}"
    )
    return lines
