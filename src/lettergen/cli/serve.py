"""`lettergen serve`: the supporter page for a campaign."""

from __future__ import annotations

import os
from pathlib import Path

import click

from lettergen.cli import cli
from lettergen.cli.options import CAMPAIGN_ARGUMENT

ADMIN_PASSWORD_VARIABLE = "LETTERGEN_ADMIN_PASSWORD"


@cli.command()
@CAMPAIGN_ARGUMENT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=len(os.sched_getaffinity(0)),
    show_default="the number of cores",
    help="Worker processes making letters.",
)
@click.option(
    "--letters-per-minute",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Letters one address may ask a worker for per minute (0: no limit).",
)
@click.option(
    "--admin",
    is_flag=True,
    help=f"Serve /admin (counts of letters per office and language), with the password in "
    f"${ADMIN_PASSWORD_VARIABLE}.",
)
@click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path, exists=True),
    help="Directory file or folder (default: the campaign's, in data/directories/).",
)
def serve(
    campaign_name: str,
    host: str,
    port: int,
    workers: int,
    letters_per_minute: int,
    admin: bool,
    directory_path: Path | None,
) -> None:
    """Serve the supporter page of CAMPAIGN: pick an office, sign, download the letter.

    Listens on 127.0.0.1 (this machine only) unless --host says otherwise; put a TLS proxy in
    front of it to serve the public (see docs/serving.md)."""
    from lettergen import paths
    from lettergen.web import Site, create_app, server

    password = os.environ.get(ADMIN_PASSWORD_VARIABLE, "") if admin else ""
    if admin and not password:
        raise click.UsageError(f"--admin needs a password in ${ADMIN_PASSWORD_VARIABLE}")
    site = Site(campaign_name, directory_path)
    counts = paths.output_dir() / site.campaign.name / "serve-counts.sqlite" if admin else None
    app = create_app(
        site,
        letters_per_minute=letters_per_minute,
        admin_password=password or None,
        counts=counts,
    )
    server.run(
        app,
        host=host,
        port=port,
        workers=workers,
        ready=lambda url: click.echo(f"Open {url} in your browser"),
        warm_up=site.warm_up,
        warmed=lambda pid, seconds: click.echo(
            f"Worker {pid} ready (letters of every office laid out in {seconds:.1f} s)", err=True
        ),
    )
