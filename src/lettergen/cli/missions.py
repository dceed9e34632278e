"""`lettergen missions`: find, show and check the offices of the directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lettergen.cli import cli, echo_json
from lettergen.cli.options import DIRECTORY_OPTION
from lettergen.directory import report
from lettergen.directory.model import KINDS, load_directories
from lettergen.directory.routing import country_code, route


@cli.group()
def missions() -> None:
    """Find, show and check the offices of the directory."""


@missions.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices (see README).")
@click.option("--country", help="Only offices in this country (ISO code or name).")
@click.option("--kind", type=click.Choice(KINDS), help="Only offices of this kind.")
@DIRECTORY_OPTION
def missions_list(
    as_json: bool, country: str | None, kind: str | None, directory_path: Path | None
) -> None:
    """List the offices of the directory, in directory order."""
    directory = load_directories(directory_path)
    code = country_code(country) if country else None
    offices = [o for o in directory if code in (None, o.country) and kind in (None, o.kind)]
    if as_json:
        findings = report.findings_by_office(directory)
        echo_json([report.office_json(o, findings.get(o.id, [])) for o in offices])
    else:
        click.echo("\n".join(report.table(report.office_rows(offices), report.OFFICE_HEADERS)))


@missions.command("show")
@click.argument("office_id")
@DIRECTORY_OPTION
def missions_show(office_id: str, directory_path: Path | None) -> None:
    """Show every field of the office OFFICE_ID, and its warnings."""
    directory = load_directories(directory_path)
    office = directory.get(office_id)
    findings = report.findings_by_office(directory).get(office.id, [])
    click.echo("\n".join(report.office_lines(office, findings)))


@missions.command("for")
@click.argument("country")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices, best first.")
@DIRECTORY_OPTION
def missions_for(country: str, as_json: bool, directory_path: Path | None) -> None:
    """The offices handling COUNTRY (ISO code or name): resident ones first, then those
    covering it from abroad."""
    directory = load_directories(directory_path)
    code = country_code(country)
    routes = route(directory, code)
    if not routes:
        name = report.country_name(code)
        raise click.ClickException(f"no office of this directory handles {name} ({code})")
    if as_json:
        findings = report.findings_by_office(directory)
        echo_json([report.route_json(r, findings.get(r.office.id, [])) for r in routes])
    else:
        click.echo("\n".join(report.table(report.route_rows(routes), report.ROUTE_HEADERS)))


@missions.command("validate")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@DIRECTORY_OPTION
def missions_validate(strict: bool, directory_path: Path | None) -> None:
    """Check the directory: one line per finding, `file:line: office-id: code: message`.

    Exits 0 if there are only warnings, 1 on errors (or on warnings with --strict)."""
    from lettergen.directory.validate import finding_line, validate

    findings = validate(load_directories(directory_path))
    for finding in findings:
        click.echo(finding_line(finding))
    errors = sum(f.is_error for f in findings)
    click.echo(f"{errors} errors, {len(findings) - errors} warnings", err=True)
    if errors or (strict and findings):
        sys.exit(1)
