"""`lettergen directory`: turn a published directory into the directory YAML."""

from __future__ import annotations

from pathlib import Path

import click

from lettergen.cli import cli
from lettergen.yamlio import atomic_write


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
