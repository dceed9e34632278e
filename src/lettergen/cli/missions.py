"""`lettergen missions`: find, show and check the offices of the directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lettergen.cli.options import DIRECTORY_OPTION
from lettergen.cli.root import cli, echo_json
from lettergen.directory import report
from lettergen.directory.model import KINDS, Directory, load_states
from lettergen.directory.routing import country_code, route

#: A folder may hold the directories of several sending states (data/directories/ ships two):
#: without --state the commands look at each of them, one after the other.
STATE_OPTION = click.option(
    "--state", help="Only the directory of this sending state (ISO code, e.g. KZ)."
)


@cli.group()
def missions() -> None:
    """Find, show and check the offices of the directory."""


@missions.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices (see README).")
@click.option("--country", help="Only offices in this country (ISO code or name).")
@click.option("--kind", type=click.Choice(KINDS), help="Only offices of this kind.")
@DIRECTORY_OPTION
@STATE_OPTION
def missions_list(
    as_json: bool,
    country: str | None,
    kind: str | None,
    directory_path: Path | None,
    state: str | None,
) -> None:
    """List the offices of the directory, in directory order."""
    code = country_code(country) if country else None
    records = []
    offices = []
    for directory in load_states(directory_path, state):
        chosen = [o for o in directory if code in (None, o.country) and kind in (None, o.kind)]
        offices += chosen
        if as_json:
            findings = report.findings_by_office(directory)
            records += [report.office_json(o, findings.get(o.id, [])) for o in chosen]
    if as_json:
        echo_json(records)
    else:
        click.echo("\n".join(report.table(report.office_rows(offices), report.OFFICE_HEADERS)))


@missions.command("show")
@click.argument("office_id")
@DIRECTORY_OPTION
@STATE_OPTION
def missions_show(office_id: str, directory_path: Path | None, state: str | None) -> None:
    """Show every field of the office OFFICE_ID, and its warnings."""
    directory = _holding(load_states(directory_path, state), office_id)
    office = directory.get(office_id)
    findings = report.findings_by_office(directory).get(office.id, [])
    click.echo("\n".join(report.office_lines(office, findings)))


@missions.command("for")
@click.argument("country")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of offices, best first.")
@DIRECTORY_OPTION
@STATE_OPTION
def missions_for(
    country: str, as_json: bool, directory_path: Path | None, state: str | None
) -> None:
    """The offices handling COUNTRY (ISO code or name): resident ones first, then those
    covering it from abroad."""
    code = country_code(country)
    routes = []
    records = []
    for directory in load_states(directory_path, state):
        found = route(directory, code)
        routes += found
        if as_json and found:
            findings = report.findings_by_office(directory)
            records += [report.route_json(r, findings.get(r.office.id, [])) for r in found]
    if not routes:
        name = report.country_name(code)
        raise click.ClickException(f"no office of this directory handles {name} ({code})")
    if as_json:
        echo_json(records)
    else:
        click.echo("\n".join(report.table(report.route_rows(routes), report.ROUTE_HEADERS)))


@missions.command("validate")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--max-age",
    metavar="AGE",
    help="Also warn about records never verified or verified longer ago than AGE (2y, 18m, 90d).",
)
@click.option(
    "--check-mail",
    is_flag=True,
    help="Also look up each e-mail domain's mail server (MX, else A): needs the network.",
)
@DIRECTORY_OPTION
@STATE_OPTION
def missions_validate(
    strict: bool,
    max_age: str | None,
    check_mail: bool,
    directory_path: Path | None,
    state: str | None,
) -> None:
    """Check the directory: one line per finding, `file:line: office-id: code: message`.

    E-mail addresses are checked for their form; with --check-mail their domains are looked
    up as well (lettergen otherwise works offline). Exits 0 if there are only warnings, 1 on
    errors (or on warnings with --strict)."""
    from lettergen.directory.emails import domain_problem
    from lettergen.directory.validate import finding_line, parse_age, validate

    age = parse_age(max_age) if max_age else None
    lookup = domain_problem if check_mail else None
    findings = [
        f for d in load_states(directory_path, state) for f in validate(d, age, check_mail=lookup)
    ]
    for finding in findings:
        click.echo(finding_line(finding))
    errors = sum(f.is_error for f in findings)
    click.echo(f"{errors} errors, {len(findings) - errors} warnings", err=True)
    if errors or (strict and findings):
        sys.exit(1)


def _holding(directories: list[Directory], office_id: str) -> Directory:
    """The directory holding office_id; an id found in several states' directories needs
    --state (both may have a de-berlin-embassy)."""
    holding = [d for d in directories if office_id in d]
    if len(holding) > 1:
        states = ", ".join(d.state for d in holding)
        raise click.ClickException(
            f"office {office_id!r} is in the directories of {states} (pass --state)"
        )
    return holding[0] if holding else directories[0]
