"""The command line: parse options, call the core, echo the outcome. The only module importing click."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from lettergen import __version__
from lettergen.errors import LettergenError

DIRECTORY_OPTION = click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A directory YAML file or a folder of them (default: every file in data/directories/).",
)


class _Handler(logging.Handler):
    """Core log records go to stderr as 'warning: ...' lines."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lettergen")
@click.option("-v", "--verbose", count=True, help="Say more (repeat for debug output).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Turn a campaign into fax-ready letters for every office of a state's diplomatic network.

    \b
    Typical use:
      lettergen directory import data/sources/kazakhstan-2002.txt -o data/directories/kazakhstan.yaml --state KZ
      lettergen missions validate
      lettergen batch free-zhanusov-2002 --all
    """
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    root = logging.getLogger("lettergen")
    root.handlers[:] = [_Handler()]
    root.setLevel(level)
    root.propagate = False


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def main() -> None:
    """Entry point: LettergenErrors become a message and exit code 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LettergenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
