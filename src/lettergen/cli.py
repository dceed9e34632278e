"""The command line: parse options, call the core, echo the outcome.

The only module that imports click."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lettergen._version import __version__
from lettergen.directory import report
from lettergen.directory.model import KINDS, load_directories
from lettergen.directory.routing import country_code, route
from lettergen.errors import LettergenError
from lettergen.yamlio import atomic_write

if TYPE_CHECKING:
    from lettergen.render.fax import FaxSettings

DIRECTORY_OPTION = click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A directory YAML file or a folder of them (default: every file in data/directories/).",
)


CAMPAIGN_DIRECTORY_OPTION = click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A directory YAML file or a folder of them (default: the campaign's own directory, "
    "data/directories/<name>.yaml).",
)


class _Handler(logging.Handler):
    """Core log records go to stderr as 'warning: ...' lines."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


class LettergenGroup(click.Group):
    """Turns a LettergenError from any command into click's "Error: ..." and exit 1, so the
    message is the same under `lettergen`, `python -m lettergen` and CliRunner."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LettergenError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LettergenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lettergen")
@click.option("-v", "--verbose", count=True, help="Say more (repeat for debug output).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Turn a campaign into fax-ready letters for every office of a state's diplomatic network.

    \b
    Typical use:
      lettergen directory import data/sources/kazakhstan-2002.txt \\
          -o data/directories/kazakhstan.yaml --state KZ
      lettergen missions validate
      lettergen batch free-zhanusov-2002 --all
    """
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    root = logging.getLogger("lettergen")
    root.handlers[:] = [_Handler()]
    root.setLevel(level)
    root.propagate = False


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.group()
def missions() -> None:
    """Find, show and check the offices of the directory."""


@missions.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices (see README).")
@click.option("--country", help="Only offices in this country (ISO code or name).")
@click.option("--kind", type=click.Choice(KINDS), help="Only offices of this kind.")
@DIRECTORY_OPTION
def missions_list(
    as_json: bool, country: str | None, kind: str | None, directory_path: Path | None
) -> None:
    """List the offices of the directory, in directory order."""
    directory = load_directories(directory_path)
    code = country_code(country) if country else None
    offices = [o for o in directory if code in (None, o.country) and kind in (None, o.kind)]
    if as_json:
        findings = report.findings_by_office(directory)
        echo_json([report.office_json(o, findings.get(o.id, [])) for o in offices])
    else:
        click.echo("\n".join(report.table(report.office_rows(offices), report.OFFICE_HEADERS)))


@missions.command("show")
@click.argument("office_id")
@DIRECTORY_OPTION
def missions_show(office_id: str, directory_path: Path | None) -> None:
    """Show every field of the office OFFICE_ID, and its warnings."""
    directory = load_directories(directory_path)
    office = directory.get(office_id)
    findings = report.findings_by_office(directory).get(office.id, [])
    click.echo("\n".join(report.office_lines(office, findings)))


@missions.command("for")
@click.argument("country")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices, best first.")
@DIRECTORY_OPTION
def missions_for(country: str, as_json: bool, directory_path: Path | None) -> None:
    """The offices handling COUNTRY (ISO code or name): resident ones first, then those
    covering it from abroad."""
    directory = load_directories(directory_path)
    code = country_code(country)
    routes = route(directory, code)
    if not routes:
        name = report.country_name(code)
        raise click.ClickException(f"no office of this directory handles {name} ({code})")
    if as_json:
        findings = report.findings_by_office(directory)
        echo_json([report.route_json(r, findings.get(r.office.id, [])) for r in routes])
    else:
        click.echo("\n".join(report.table(report.route_rows(routes), report.ROUTE_HEADERS)))


@missions.command("validate")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@DIRECTORY_OPTION
def missions_validate(strict: bool, directory_path: Path | None) -> None:
    """Check the directory: one line per finding, `file:line: office-id: code: message`.

    Exits 0 if there are only warnings, 1 on errors (or on warnings with --strict)."""
    from lettergen.directory.validate import finding_line, validate

    findings = validate(load_directories(directory_path))
    for finding in findings:
        click.echo(finding_line(finding))
    errors = sum(f.is_error for f in findings)
    click.echo(f"{errors} errors, {len(findings) - errors} warnings", err=True)
    if errors or (strict and findings):
        sys.exit(1)


@cli.group("directory")
def directory_group() -> None:
    """Turn a published directory text into the directory YAML."""


@directory_group.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The YAML.")
@click.option("--state", required=True, help="ISO code of the sending state, e.g. KZ.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT, losing any hand corrections in it.")
def directory_import(source: Path, output: Path, state: str, force: bool) -> None:
    """Read the directory text SOURCE into OUTPUT; print what was read and what was not."""
    from lettergen.directory import importer

    importer.refuse_overwrite(output, force)
    result = importer.import_file(source, state)
    command = f"lettergen directory import {source} -o {output} --state {state.upper()}"
    atomic_write(output, importer.to_yaml(result, command))
    click.echo(f"wrote {output}")
    click.echo("\n".join(importer.summary(result)))


# --- letters ------------------------------------------------------------------------------

CAMPAIGN_ARGUMENT = click.argument("campaign_name", metavar="CAMPAIGN")
SENDER_OPTION = click.option(
    "--sender",
    "sender_fields",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override the campaign's sender: name, organisation, address (lines split by ';'), "
    "city, email, phone, fax. Repeat for several fields.",
)
LANG_OPTION = click.option(
    "--lang",
    default=None,
    help="Letter language, e.g. de; 'auto': per office, the first official language of its "
    "country that has templates and the campaign's texts "
    "(default: the campaign's default language).",
)


def _formats(_ctx: click.Context, _param: click.Parameter, value: str) -> list[str]:
    from lettergen.batch import parse_formats

    try:
        return parse_formats(value)
    except LettergenError as exc:
        raise click.BadParameter(str(exc)) from None


FORMAT_OPTION = click.option(
    "--format",
    "formats",
    default="pdf",
    show_default=True,
    callback=_formats,
    help="Comma-separated formats: pdf, docx, tiff.",
)


F = TypeVar("F", bound=Callable[..., Any])


def _fax_options(command: F) -> F:
    """--cover, --fax-resolution and --fax-compression, for render and batch."""
    command = click.option(
        "--fax-compression",
        type=click.Choice(["g3", "g4"]),
        default="g3",
        show_default=True,
        help="TIFF compression: g3 (Group 3 1-D, which every fax takes) or g4 (smaller).",
    )(command)
    command = click.option(
        "--fax-resolution",
        type=click.Choice(["fine", "standard"]),
        default="fine",
        show_default=True,
        help="TIFF resolution: fine (196 lines per inch) or standard (98).",
    )(command)
    return click.option(
        "--cover", is_flag=True, help="Put a fax cover sheet (To, From, Pages, Re) before letters."
    )(command)


def _letter_options(command: F) -> F:
    """What render and batch share: language, formats, sender, directory and fax options."""
    for option in (_fax_options, CAMPAIGN_DIRECTORY_OPTION, SENDER_OPTION, FORMAT_OPTION):
        command = option(command)
    return LANG_OPTION(command)


def _fax_settings(resolution: str, compression: str) -> FaxSettings:
    from lettergen.render.fax import FaxSettings

    return FaxSettings(resolution, compression)


def _sender_overrides(fields: tuple[str, ...]) -> dict[str, str]:
    from lettergen.campaign import SENDER_FIELDS

    overrides = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in SENDER_FIELDS:
            raise click.BadParameter(
                f"{item!r}: expected FIELD=VALUE with FIELD one of {', '.join(SENDER_FIELDS)}",
                param_hint="--sender",
            )
        overrides[key.strip()] = value.strip()
    return overrides


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@cli.command()
@CAMPAIGN_ARGUMENT
@click.option("--office", "office_id", required=True, help="The office id (see 'missions list').")
@click.option("--signer", help="The name to sign with (default: the campaign's sender).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The file to write; its suffix (.pdf, .docx, .tiff) picks the format. Without one, "
    "each format's suffix is added.",
)
@_letter_options
def render(
    campaign_name: str,
    office_id: str,
    signer: str | None,
    output: Path | None,
    lang: str | None,
    formats: list[str],
    sender_fields: tuple[str, ...],
    directory_path: Path | None,
    cover: bool,
    fax_resolution: str,
    fax_compression: str,
) -> None:
    """Write one letter of CAMPAIGN (a name under data/campaigns/ or a file) to one office."""
    from lettergen import batch

    written = batch.render_one(
        campaign_name,
        office_id,
        signer=signer,
        output=output,
        lang=lang,
        formats=formats,
        sender=_sender_overrides(sender_fields),
        directory=directory_path,
        cover=cover,
        fax=_fax_settings(fax_resolution, fax_compression),
    )
    for path, pages in written:
        click.echo(f"{path} ({pages} page{'s' if pages != 1 else ''})")


@cli.command("batch")
@CAMPAIGN_ARGUMENT
@click.option("--all", "everyone", is_flag=True, help="Every office of the directory.")
@click.option("--countries", help="Comma-separated ISO codes: the offices routing picks for each.")
@click.option("--offices", help="Comma-separated office ids.")
@click.option(
    "--signers",
    "signers_path",
    type=click.Path(path_type=Path),
    help="CSV of signers (name, organisation, city, country, email): "
    "one letter per signer and office.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: output/).",
)
@click.option(
    "--include-no-fax", is_flag=True, help="Also write letters to offices without fax, for post."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=len(os.sched_getaffinity(0)),
    show_default="the number of cores",
    help="Worker processes rendering letters.",
)
@click.option(
    "--force", is_flag=True, help="Render every letter, even those unchanged since the last run."
)
@_letter_options
def batch_command(
    campaign_name: str,
    everyone: bool,
    countries: str | None,
    offices: str | None,
    signers_path: Path | None,
    output: Path | None,
    include_no_fax: bool,
    jobs: int,
    force: bool,
    lang: str | None,
    formats: list[str],
    sender_fields: tuple[str, ...],
    directory_path: Path | None,
    cover: bool,
    fax_resolution: str,
    fax_compression: str,
) -> None:
    """Write the letters of CAMPAIGN to many offices, with a manifest.

    Without --all, --countries or --offices, the campaign's own targets are used. A rerun
    keeps the files whose inputs have not changed (see the manifest's input_hash).
    """
    from lettergen import batch

    job = batch.prepare(
        campaign_name,
        everyone=everyone,
        countries=_split(countries),
        offices=_split(offices),
        signers=signers_path,
        include_no_fax=include_no_fax,
        lang=lang,
        sender=_sender_overrides(sender_fields),
        directory=directory_path,
        cover=cover,
    )
    with _progress(len(job.plan.jobs), "Writing letters") as step:
        result = job.run(
            formats=formats,
            out=output,
            progress=step,
            jobs=jobs,
            force=force,
            fax=_fax_settings(fax_resolution, fax_compression),
        )
    for line in batch.summary(result):
        click.echo(line)
    if result.failures:
        sys.exit(1)


@contextlib.contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; silence in CI and pipes, where it would only be noise."""
    if not sys.stderr.isatty() or length < 2:
        yield lambda _: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@cli.group("fax")
def fax_group() -> None:
    """Check files before faxing them."""


@fax_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def fax_check(files: tuple[Path, ...]) -> None:
    """Check PDFs and TIFFs for faxing: clear top and edges, black only, text size, every
    "Page x of N", TIFF Class F tags. One line per finding, `file: page N: code: message`, or
    `file: ok`; exits 1 on an error (warnings alone exit 0)."""
    from lettergen.render.faxcheck import check_file, finding_line

    checks = [check_file(path) for path in files]
    for check in checks:
        for finding in check.findings:
            click.echo(finding_line(finding))
        if check.ok:
            click.echo(f"{check.file}: ok ({check.summary()})")
    errors = sum(f.is_error for check in checks for f in check.findings)
    click.echo(f"{len(checks)} files, {errors} errors", err=True)
    if errors:
        sys.exit(1)


# --- languages ----------------------------------------------------------------------------


@cli.group("lang")
def lang_group() -> None:
    """Add and check letter languages (letter_templates/<lang>/; see letter_templates/README.md)."""


@lang_group.command("new")
@click.argument("code")
def lang_new(code: str) -> None:
    """Start the language CODE (e.g. pt, uk, pt_BR) as a copy of English, marked draft."""
    from lettergen import langcheck

    folder = langcheck.new_language(code)
    click.echo(f"created {folder}/ (strings.yaml, letter.md.j2): translate them, then run")
    click.echo(f"  lettergen lang check {code}")


@lang_group.command("check")
@click.argument("codes", nargs=-1, metavar="[LANG]...")
@click.option(
    "--campaign",
    "campaigns",
    multiple=True,
    help="Require this campaign's texts in the language (repeatable; default: note what the "
    "campaigns in data/campaigns/ lack).",
)
def lang_check(codes: tuple[str, ...], campaigns: tuple[str, ...]) -> None:
    """Report what the languages (default: all) lack: string keys, {{ fields }}, updates of the
    English text, campaign texts. Exits 1 if a letter in one of them could not be made."""
    from lettergen import langcheck

    findings = langcheck.check(codes, campaigns=campaigns)
    for finding in findings:
        click.echo(langcheck.finding_line(finding))
    for line in langcheck.summary(codes, findings):
        click.echo(line, err=True)
    if langcheck.errors(findings):
        sys.exit(1)


@lang_group.command("mark-current")
@click.argument("code")
def lang_mark_current(code: str) -> None:
    """Record that CODE follows today's English text (after bringing it up to date)."""
    from lettergen import langcheck

    langcheck.mark_current(code)
    click.echo(f"{code} now follows the current English text")


def main() -> None:
    """The `lettergen` command."""
    cli()
