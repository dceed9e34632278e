"""The command line: parse options, call the core, echo the outcome.

The `lettergen.cli` package is the only place that imports click. `root` holds the root group
and what every command shares; each command group lives in its own module, imported here so
that it registers itself."""

from __future__ import annotations

from lettergen.cli import (  # noqa: F401  (imported to register their commands)
    directory,
    fax,
    init,
    lang,
    letters,
    missions,
    send,
    serve,
    supporters,
)
from lettergen.cli.root import cli


def main() -> None:
    """The `lettergen` command."""
    cli()
