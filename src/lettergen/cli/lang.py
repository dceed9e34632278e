"""`lettergen lang`: add and check letter languages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lettergen.cli.root import cli


@cli.group("lang")
def lang_group() -> None:
    """Add and check letter languages (letter_templates/<lang>/; see letter_templates/README.md)."""


@lang_group.command("new")
@click.argument("code")
def lang_new(code: str) -> None:
    """Start the language CODE (e.g. pt, uk, pt_BR) as a copy of English, marked draft."""
    from lettergen import lang as langcheck

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
    from lettergen import lang as langcheck

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
    from lettergen import lang as langcheck
    from lettergen.batch import folder as outdir

    # CODE names a folder under letter_templates/: a path ("../x") would rewrite files anywhere.
    outdir.check_language(code, "language")
    langcheck.mark_current(code)
    click.echo(f"{code} now follows the current English text")


@lang_group.command("proof")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF to write (default: output/proof-CODE.pdf).",
)
def lang_proof(code: str, output: Path | None) -> None:
    """Write a reviewer's proof of CODE: for each kind of office, the English letter and then
    the translated one, with what the strings fill in from data highlighted."""
    from lettergen.lang import proof

    target = output or proof.default_output(code)
    pages = proof.write_proof(code, target)
    click.echo(f"wrote {target} ({pages} pages): read it, then run")
    click.echo(f"  lettergen lang review {code} --by 'YOUR NAME'")


@lang_group.command("review")
@click.argument("code")
@click.option("--by", "by", required=True, help="The native speaker who reviewed the letters.")
def lang_review(code: str, by: str) -> None:
    """Record that a native speaker reviewed CODE against today's English text (sets
    status: reviewed, with who, when and the English text's hash, in its strings.yaml)."""
    from lettergen.lang import proof

    record = proof.record_review(code, by)
    click.echo(
        f"{code} reviewed by {record['by']} at {record['at']} (English {record['english'][:12]})"
    )
