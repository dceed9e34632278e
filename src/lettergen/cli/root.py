"""The root command group and what every command shares: logging to stderr, one-line errors,
JSON output. Each command group lives in a module of its own and registers itself on `cli`."""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from lettergen._version import __version__
from lettergen.errors import LettergenError


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
