"""`lettergen render` and `lettergen batch`: write letters."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from lettergen.cli.options import CAMPAIGN_ARGUMENT, letter_options, letter_settings, split_list
from lettergen.cli.root import cli


@cli.command()
@CAMPAIGN_ARGUMENT
@click.option("--office", "office_id", required=True, help="The office id (see 'missions list').")
@click.option("--signer", help="The name to sign with (default: the campaign's sender).")
@click.option(
    "--message",
    help="With --signer: her own words, a short paragraph (at most 600 characters) printed "
    "as written where the letter's prose puts it (after the demands).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The file to write; its suffix (.pdf, .docx, .tiff) picks the format. Without one, "
    "each format's suffix is added. Default: into the campaign's batch folder in output/, "
    "recorded in its manifest.",
)
@letter_options
def render(
    campaign_name: str,
    office_id: str,
    signer: str | None,
    message: str | None,
    output: Path | None,
    **letter: Any,
) -> None:
    """Write one letter of CAMPAIGN (a name under data/campaigns/ or a file) to one office."""
    from lettergen.batch import run as batch
    from lettergen.batch.plan import BatchOptions

    options = BatchOptions(
        **letter_settings(campaign_name, **letter), signer=signer, message=message
    )
    for path, pages in batch.render_one(options, office_id, output):
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
    help="CSV of signers (name, organisation, city, country, email, message: her own words): "
    "one letter per signer and office.",
)
@click.option(
    "--joint",
    is_flag=True,
    help="With --signers: one letter per office, signed by the sender on behalf of every "
    "signer, who are listed after the signature.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: output/); the letters go into <output>/<campaign>/.",
)
@click.option(
    "--include-no-fax", is_flag=True, help="Also write letters to offices without fax, for post."
)
@click.option(
    "--skip-invalid-fax",
    is_flag=True,
    help="Skip (and report) offices whose fax is not a valid E.164 number, instead of stopping.",
)
@click.option(
    "-j",
    "--jobs",
    "workers",
    type=click.IntRange(min=1),
    default=len(os.sched_getaffinity(0)),
    show_default="the number of cores",
    help="Worker processes rendering letters.",
)
@click.option(
    "--force", is_flag=True, help="Render every letter, even those unchanged since the last run."
)
@letter_options
def batch_command(
    campaign_name: str,
    everyone: bool,
    countries: str | None,
    offices: str | None,
    signers_path: Path | None,
    joint: bool,
    output: Path | None,
    include_no_fax: bool,
    skip_invalid_fax: bool,
    workers: int,
    force: bool,
    **letter: Any,
) -> None:
    """Write the letters of CAMPAIGN to many offices, with a manifest.

    Without --all, --countries or --offices, the campaign's own targets are used. A rerun
    keeps the files whose inputs have not changed (see the manifest's input_hash), and never
    replaces or removes a file changed since lettergen wrote it (see docs/files.md).
    """
    from lettergen.batch import run as batch
    from lettergen.batch.plan import BatchOptions
    from lettergen.campaign.targets import Targets

    options = BatchOptions(
        **letter_settings(campaign_name, **letter),
        targets=Targets(everyone, tuple(split_list(countries)), tuple(split_list(offices))),
        signers=signers_path,
        joint=joint,
        include_no_fax=include_no_fax,
        skip_invalid_fax=skip_invalid_fax,
        workers=workers,
        force=force,
        output=output,
    )
    prepared = batch.prepare(options)
    with _progress(len(prepared.plan), "Writing letters") as step:
        result = batch.run(prepared, progress=step)
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
