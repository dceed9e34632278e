"""`lettergen init`: a working folder for a tool install (pipx)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from lettergen.cli.root import cli


@cli.command("init")
@click.argument(
    "folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
def init_command(folder: Path) -> None:
    """Make FOLDER (default: the current folder) a working folder: an example campaign and
    directory under data/, a signers.csv example and output/. Never overwrites."""
    from lettergen.util import workfolder

    made = workfolder.init(folder)
    click.echo(f"created a working folder in {folder}/:")
    for item in made:
        shown = os.path.relpath(item.path, folder) + ("/" if item.path.is_dir() else "")
        click.echo(f"  {shown:<42} {item.about}")
    campaign = next(m.path.stem for m in made if m.path.parent.name == "campaigns")
    click.echo("next:")
    if folder.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {folder}")
    click.echo("  lettergen missions validate")
    click.echo(f"  lettergen batch {campaign} --countries DE --format pdf")
    click.echo(f"  lettergen batch {campaign} --all --signers signers.csv")
