"""`lettergen directory`: turn a published directory into the directory YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lettergen.cli.options import DIRECTORY_OPTION
from lettergen.cli.root import cli
from lettergen.errors import LettergenError
from lettergen.util.files import atomic_write

#: Suffixes 'directory import' reads as a spreadsheet (lettergen.directory.sources.spreadsheet).
SHEET_SUFFIXES = (".csv", ".xlsx", ".ods")

SKIP_OPTION = click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Leave out the rows that cannot be read exactly, and list them "
    "(without it, one such row and nothing is written).",
)


def _echo_skipped(skipped: list[Any]) -> None:
    for row in skipped:
        click.echo(str(row))
    if skipped:
        click.echo(f"skipped rows: {len(skipped)}")


@cli.group("directory")
def directory_group() -> None:
    """Turn a published directory or a spreadsheet into the directory YAML, and back."""


@directory_group.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The YAML.")
@click.option("--state", required=True, help="ISO code of the sending state, e.g. KZ.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT, losing any hand corrections in it.")
@SKIP_OPTION
def directory_import(
    source: Path, output: Path, state: str, force: bool, skip_bad_rows: bool
) -> None:
    """Read the directory text SOURCE into OUTPUT; print what was read and what was not.

    SOURCE may also be a spreadsheet (.csv, .xlsx, .ods) with the
    columns 'directory export' writes (docs/directories.md): nothing is
    written unless every row can be read exactly, or --skip-bad-rows is given."""
    from lettergen.directory.sources import text as importer

    if source.suffix.lower() in SHEET_SUFFIXES:
        _import_sheet(source, output, state, force, skip_bad_rows)
        return
    importer.refuse_overwrite(output, force)
    result = importer.import_file(source, state)
    command = f"lettergen directory import {source} -o {output} --state {state.upper()}"
    atomic_write(output, importer.to_yaml(result, command))
    click.echo(f"wrote {output}")
    click.echo("\n".join(importer.summary(result)))


def _import_sheet(source: Path, output: Path, state: str, force: bool, skip: bool) -> None:
    import datetime
    from dataclasses import replace

    from lettergen.directory.model import dump_directory, load_directory
    from lettergen.directory.sources import spreadsheet
    from lettergen.directory.sources import text as importer

    importer.refuse_overwrite(output, force)
    skipped: list[spreadsheet.SkippedRow] = []
    directory = spreadsheet.import_sheet(source, state, skip_bad_rows=skip, skipped=skipped)
    if not directory.offices:
        _echo_skipped(skipped)
        raise click.ClickException(f"{source}: no office left to write: nothing written")
    sheet = f"{source.name} ({datetime.date.today().isoformat()})"
    directory = replace(directory, source=sheet)
    if output.exists():
        # Replacing a directory keeps where it came from; the sheet is a further source.
        try:
            before = load_directory(output).sources
        except LettergenError:
            before = ()
        if before:
            directory = replace(directory, source=before[0], further_sources=(*before[1:], sheet))
    header = f"# Imported with: lettergen directory import {source} -o {output} --state {state}\n"
    atomic_write(output, header + dump_directory(directory))
    _echo_skipped(skipped)
    click.echo(f"wrote {output}")
    click.echo(f"offices: {len(directory)}")


@directory_group.command("export")
@DIRECTORY_OPTION
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The spreadsheet: .csv or .xlsx.",
)
@click.option("--state", help="The sending state whose directory to write, e.g. KZ.")
def directory_export(directory_path: Path | None, output: Path, state: str | None) -> None:
    """Write the directory as a spreadsheet, one row per office, to edit and import back."""
    from lettergen.directory.model import load_directories
    from lettergen.directory.sources import spreadsheet

    directory = load_directories(directory_path, state)
    spreadsheet.export(directory, output)
    click.echo(f"wrote {output} ({len(directory)} offices)")


@directory_group.command("hostlist")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The YAML telling which column holds what (docs/directories.md; examples in "
    "data/mappings/).",
)
@click.option("--state", help="Take this sending state's offices (ISO code, e.g. KZ).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the state's offices: .yaml, .csv or .xlsx (needs --state).",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT.")
@SKIP_OPTION
def directory_hostlist(
    source: Path,
    mapping: Path,
    state: str | None,
    output: Path | None,
    force: bool,
    skip_bad_rows: bool,
) -> None:
    """Read a foreign ministry's list of the missions in its country (CSV, XLSX, ODS): the
    states and organisations in it, and with --state what was read for that state's offices,
    numbers in E.164 and in international form."""
    from lettergen.directory.model import dump_directory
    from lettergen.directory.sources import hostlist, spreadsheet
    from lettergen.directory.sources import text as importer

    if output and not state:
        raise click.UsageError("-o needs --state: whose offices to write")
    found = hostlist.read(source, mapping, skip_bad_rows)
    _echo_skipped(found.skipped)
    if output and state:
        importer.refuse_overwrite(output, force)
        directory = found.directory(state)
        if output.suffix.lower() in (".csv", ".xlsx"):
            spreadsheet.export(directory, output)
        else:
            header = f"# Read with: lettergen directory hostlist {source} --mapping {mapping}\n"
            atomic_write(output, header + dump_directory(directory))
        click.echo(f"wrote {output} ({len(directory)} offices)")
    click.echo("\n".join(hostlist.summary(found, state)))


@directory_group.command("update")
@click.argument("directory_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument(
    "newer", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=False
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    help="NEWER is a host-country list read with this mapping (see 'directory hostlist').",
)
@click.option(
    "--country",
    "covered",
    multiple=True,
    help="NEWER covers only this country (repeatable): offices elsewhere are not closed.",
)
@click.option(
    "--from-delivery",
    "campaign",
    metavar="CAMPAIGN",
    help="Instead of NEWER: take out the fax numbers that failed for good when sending CAMPAIGN.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --from-delivery: the folder holding the campaign's batch folder (default: output/).",
)
@click.option("--apply", "write", is_flag=True, help="Write the changes into DIRECTORY_FILE.")
@click.option(
    "--date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The verified date of changed and new records the list gives none for (default: today).",
)
@SKIP_OPTION
def directory_update(
    directory_file: Path,
    newer: Path | None,
    mapping: Path | None,
    covered: tuple[str, ...],
    campaign: str | None,
    out: Path | None,
    write: bool,
    date: Any,
    skip_bad_rows: bool,
) -> None:
    """Compare DIRECTORY_FILE with a NEWER list (.yaml, .csv, .xlsx, .ods) office by office and
    print what is new, closed, changed and in conflict; --apply writes it, keeping hand
    corrections, and never writes what 'missions validate' calls an error."""
    from lettergen.directory import update
    from lettergen.directory.model import load_directory
    from lettergen.directory.routing import country_code

    if (newer is None) == (campaign is None):
        raise click.UsageError("give either NEWER or --from-delivery CAMPAIGN")
    if campaign is not None:
        from lettergen.send.feedback import update_from_delivery

        diff, unplaced = update_from_delivery(directory_file, campaign, out, write)
        for line in unplaced:
            click.echo(f"not placed: {line}")
    else:
        assert newer is not None
        state = load_directory(directory_file).state
        found = update.read_newer(newer, state, mapping, skip_bad_rows)
        _echo_skipped(found.skipped)
        day = date.date() if date else None
        scope = {country_code(c) for c in covered} or found.countries
        diff = update.update(
            directory_file,
            found.directory,
            found.fields,
            day,
            write,
            scope,
            newer.name,
            found.kinds,
            len(found.skipped),
        )
    click.echo("\n".join(update.diff_lines(diff)))
    if diff.empty:
        click.echo("nothing to change")
    elif write:
        click.echo(f"wrote {directory_file}")
    else:
        click.echo("nothing written: pass --apply to write these changes")
