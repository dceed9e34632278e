"""`lettergen fax`: check files before faxing them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lettergen.cli.root import cli


@cli.group("fax")
def fax_group() -> None:
    """Check files before faxing them."""


@fax_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def fax_check(files: tuple[Path, ...]) -> None:
    """Check PDFs and TIFFs for faxing: clear top and edges, black only, text size, every
    "Page x of N", TIFF Class F tags. One line per finding, `file: page N: code: message`, or
    `file: ok`; exits 1 on an error (warnings alone exit 0)."""
    from lettergen.render.checks import check_file, finding_line

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
