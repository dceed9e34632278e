"""`lettergen missions list/show/for`: wiring, output shapes, and messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lettergen.cli import cli

FIXTURE = Path(__file__).parents[1] / "fixtures" / "routing-offices.yaml"

#: The keys `missions list --json` promises other tools (docs/directory.md, "Finding offices").
OFFICE_KEYS = {
    "id",
    "country",
    "country_name",
    "kind",
    "city",
    "addressee",
    "organisation",
    "address",
    "phones",
    "faxes",
    "emails",
    "website",
    "accredited_to",
    "served_by",
    "notes",
    "source_line",
    "warnings",
}


def run(*args: str, directory: Path | None = FIXTURE) -> click.testing.Result:
    options = ["--directory", str(directory)] if directory else []
    return CliRunner().invoke(cli, [*args, *options], catch_exceptions=False)


def test_list_is_a_table_of_every_office() -> None:
    result = run("missions", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "KIND", "CITY", "COUNTRY", "FAX"]
    assert len(lines) == 1 + 14
    assert lines[1].split() == [
        "be-brussels-embassy",
        "embassy",
        "Brussels",
        "BE",
        "+32",
        "2",
        "374",
        "50",
        "91",
    ]


def test_list_json_has_every_promised_key() -> None:
    result = run("missions", "list", "--json")
    assert result.exit_code == 0, result.output
    offices = json.loads(result.output)
    assert len(offices) == 14
    assert all(set(office) == OFFICE_KEYS for office in offices)
    un = next(o for o in offices if o["id"] == "un-new-york-permanent-mission")
    assert un["faxes"] == ["+12122301172", "+12128883025"]
    assert un["kind"] == "permanent-mission"
    assert un["organisation"] == "UN"
    assert un["addressee"] == "permanent-representative"
    assert un["accredited_to"] == ["CU"]
    assert un["served_by"] is None
    assert isinstance(un["warnings"], list)
    assert un["country_name"] == "United States"
    nl = next(o for o in offices if o["id"] == "nl-non-resident")
    assert nl["served_by"] == "be-brussels-embassy"
    assert nl["faxes"] == []


def test_list_filters_by_country_and_kind() -> None:
    result = run("missions", "list", "--json", "--country", "us", "--kind", "consulate")
    assert [o["id"] for o in json.loads(result.output)] == ["us-new-york-consulate"]
    result = run("missions", "list", "--json", "--country", "US")
    assert [o["id"] for o in json.loads(result.output)] == [
        "un-new-york-permanent-mission",
        "us-new-york-consulate",
        "us-washington-embassy",
    ]


def test_list_unknown_kind_is_a_usage_error() -> None:
    result = run("missions", "list", "--kind", "embasy")
    assert result.exit_code == 2
    assert "Invalid value for '--kind': 'embasy' is not one of" in result.output


def test_show_prints_every_field() -> None:
    result = run("missions", "show", "un-new-york-permanent-mission")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "id:            un-new-york-permanent-mission\n" in out
    assert "kind:          permanent-mission\n" in out
    assert "organisation:  UN\n" in out
    assert "address:       866 United Nations Plaza, Suite 586\n" in out
    assert "               New York, NY 10017\n" in out
    assert "addressee:     permanent-representative\n" in out
    assert "country:       United States (US)\n" in out
    assert (
        "faxes:         +1 212-230-1172 (in United States: (212) 230-1172)\n"
        "               +1 212-888-3025 (in United States: (212) 888-3025)\n"
    ) in out
    assert "accredited to: Cuba (CU)\n" in out
    assert f"record:        {FIXTURE}:" in out


def test_show_unknown_id_says_where_to_look() -> None:
    result = run("missions", "show", "be-brusels-embassy")
    assert result.exit_code == 1
    assert result.output == (
        "Error: unknown office id 'be-brusels-embassy' ('lettergen missions list' shows the ids)\n"
    )


@pytest.mark.parametrize(
    ("country", "first"),
    [("NL", "be-brussels-embassy"), ("cu", "un-new-york-permanent-mission")],
)
def test_for_names_the_office(country: str, first: str) -> None:
    result = run("missions", "for", country)
    assert result.exit_code == 0, result.output
    assert f" {first} " in result.output.splitlines()[1]


def test_for_table_shows_rank_and_how() -> None:
    result = run("missions", "for", "MN")
    lines = result.output.splitlines()
    assert lines[0].split() == ["#", "HOW", "ID", "KIND", "CITY", "COUNTRY", "FAX"]
    assert lines[1].split()[:3] == ["1", "resident", "mn-ulan-bator-mission"]
    assert lines[2].split()[:3] == ["2", "accredited", "cn-beijing-embassy"]


def test_for_json_is_ordered_by_routing_and_says_how() -> None:
    result = run("missions", "for", "CA", "--json")
    assert result.exit_code == 0, result.output
    offices = json.loads(result.output)
    assert [(o["id"], o["route"]) for o in offices] == [
        ("ca-toronto-consulate", {"how": "resident", "for": "CA", "via": None}),
        ("us-washington-embassy", {"how": "served-by", "for": "CA", "via": "ca-non-resident"}),
    ]
    assert all(set(o) == OFFICE_KEYS | {"route"} for o in offices)


def test_for_a_country_nobody_handles_exits_1() -> None:
    result = run("missions", "for", "JP")
    assert result.exit_code == 1
    assert result.output == "Error: no office of this directory handles Japan (JP)\n"


def test_for_unknown_country_name() -> None:
    result = run("missions", "for", "Atlantis")
    assert result.exit_code == 1
    assert result.output == "Error: unknown country 'Atlantis' (give an ISO 3166 code such as NL)\n"


def test_for_misspelt_country_name_suggests_one() -> None:
    result = run("missions", "for", "Netherlandz")
    assert result.exit_code == 1
    assert result.output == "Error: unknown country 'Netherlandz' (did you mean Netherlands?)\n"


@pytest.mark.parametrize("name", ["United States", "United States of America", "us", "USA"])
def test_for_accepts_country_names(name: str) -> None:
    result = run("missions", "for", name, "--json")
    assert result.exit_code == 0, result.output
    offices = json.loads(result.output)
    assert [o["id"] for o in offices] == ["us-washington-embassy", "us-new-york-consulate"]
    assert {o["route"]["for"] for o in offices} == {"US"}


def test_list_unknown_country_name() -> None:
    result = run("missions", "list", "--country", "Atlantis")
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown country 'Atlantis'")


def test_missing_directory_file(tmp_path: Path) -> None:
    result = run("missions", "list", directory=tmp_path / "missing.yaml")
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'missing.yaml'}: file not found\n"


def test_unreadable_directory_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("state: KZ\noffices: []\n# Bruxelles \xe9\n".encode("latin-1"))
    result = run("missions", "list", directory=path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: not UTF-8 text")


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "kz.yaml"
    path.write_text("state: KZ\noffices:\n  - id: a\n    country: [BE\n", encoding="utf-8")
    result = run("missions", "for", "BE", directory=path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}:5: malformed YAML:")


def test_duplicate_ids_name_both_places(tmp_path: Path) -> None:
    record = "  - id: be-brussels-embassy\n    country: BE\n    kind: embassy\n"
    path = tmp_path / "kz.yaml"
    path.write_text("state: KZ\noffices:\n" + record + record, encoding="utf-8")
    result = run("missions", "list", directory=path)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}:6: id: duplicate office id 'be-brussels-embassy' (first at {path}:3)\n"
    )


def broken_directory(tmp_path: Path, served_by: str) -> Path:
    path = tmp_path / "kz.yaml"
    path.write_text(
        "state: KZ\noffices:\n"
        "  - id: md-non-resident\n    country: MD\n    kind: non-resident\n"
        "    served_by: ua-non-resident\n"
        "  - id: ua-non-resident\n    country: UA\n    kind: non-resident\n"
        + (f"    served_by: {served_by}\n" if served_by else ""),
        encoding="utf-8",
    )
    return path


def test_served_by_cycle(tmp_path: Path) -> None:
    path = broken_directory(tmp_path, "md-non-resident")
    result = run("missions", "for", "Moldova", directory=path)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}:3: office md-non-resident, served_by: served_by cycle: md-non-resident"
        " -> ua-non-resident -> md-non-resident (point one of them at a resident office)\n"
    )


def test_served_by_pointing_to_unknown_id(tmp_path: Path) -> None:
    path = broken_directory(tmp_path, "ru-moscow-embasy")
    result = run("missions", "for", "MD", directory=path)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}:7: office ua-non-resident, served_by: served_by 'ru-moscow-embasy' is not"
        " an office id of this directory ('lettergen missions list' shows the ids)\n"
    )


def test_served_by_ending_nowhere(tmp_path: Path) -> None:
    path = broken_directory(tmp_path, "")
    result = run("missions", "for", "MD", directory=path)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}:7: office ua-non-resident, served_by: served_by chain md-non-resident"
        " -> ua-non-resident ends at 'ua-non-resident', a non-resident entry naming no office"
        " (set its served_by to the id of a resident office)\n"
    )


def all_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += all_commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


@pytest.mark.parametrize("path", all_commands(cli), ids=lambda p: " ".join(p) or "lettergen")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert (command.help or "").strip(), f"'{' '.join(path)}' has no help text"


def test_shipped_directory_is_the_default() -> None:
    # The default --directory is data/directories/ of the checkout (or of $LETTERGEN_HOME).
    result = run("missions", "for", "MN", directory=None)
    assert result.exit_code == 0, result.output
    assert [line.split()[2] for line in result.output.splitlines()[1:]] == [
        "mn-ulan-bator-mission",
        "cn-beijing-embassy",
    ]


def test_shipped_shared_fax_shows_as_a_warning() -> None:
    # The consulate in New York and the UN mission share a fax line (validate: fax-shared).
    result = run("missions", "for", "United States of America", "--json", directory=None)
    consulate = next(o for o in json.loads(result.output) if o["kind"] == "consulate")
    shared = [w for w in consulate["warnings"] if w["code"] == "fax-shared"]
    assert [(w["severity"], "us-new-york-un-mission" in w["message"]) for w in shared] == [
        ("warning", True)
    ]


def test_show_gives_numbers_as_dialled_from_abroad_and_inside_the_country() -> None:
    shipped = Path(__file__).resolve().parents[2] / "data" / "directories" / "kazakhstan.yaml"
    result = run("missions", "show", "de-berlin-embassy", directory=shipped)
    assert result.exit_code == 0, result.output
    assert "faxes:         +49 30 47007125 (in Germany: 030 47007125)" in result.output
