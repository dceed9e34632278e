"""validate(): errors and warnings with stable codes, naming office, file and line."""

from __future__ import annotations

from pathlib import Path

from lettergen.directory.model import Directory, Office, load_directory
from lettergen.directory.validate import CODES, finding_line, has_errors, validate
from lettergen.errors import shown
from lettergen.findings import ERROR, WARNING, Finding

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"

INVALID_FAXES_TODAY = {
    "az-baku-embassy": "+99412906249",
    "eg-cairo-embassy": "+2023598421",
    "gr-athens-consulate": "+3013616689",
    "in-new-delhi-embassy": "+91116144778",
    "ir-tehran-embassy": "+98212566400",
    "lt-vilnius-embassy": "+3702313580",
    "mn-ulan-bator-mission": "+9761312204",
    "pk-meshed-consulate-general": "+98517625590",
    "pk-karachi-consulate": "+92215838418",
    "ru-moscow-embassy": "+70952082650",
    "sa-riyadh-embassy": "+96614547781",
}


def _codes(findings: list[Finding], office_id: str) -> list[str]:
    return [f.code for f in findings if f.subject == office_id]


def test_shipped_directory_has_no_errors() -> None:
    findings = validate(load_directory(SHIPPED))
    assert not has_errors(findings)
    assert {f.severity for f in findings} == {WARNING}


def test_shipped_invalid_faxes() -> None:
    findings = validate(load_directory(SHIPPED))
    invalid = {
        f.subject: f.message.split()[1]
        for f in findings
        if f.code == "number-invalid-today" and f.message.startswith("fax")
    }
    assert invalid == INVALID_FAXES_TODAY


def test_shipped_meshed_and_shared_fax() -> None:
    directory = load_directory(SHIPPED)
    findings = validate(directory)
    meshed = [f for f in findings if f.subject == "pk-meshed-consulate-general"]
    # In Iran (IR) since the correction: its +98 numbers are no longer foreign; its street
    # address is not in the source, so the city alone is reported.
    assert [f.code for f in meshed] == [
        "number-invalid-today",
        "number-invalid-today",
        "no-address",
        "no-channel",  # no fax valid today, no e-mail, no street: no letter reaches it
    ]
    shared = [f for f in findings if f.code == "fax-shared"]
    assert {f.subject for f in shared} == {"us-new-york-consulate", "us-new-york-un-mission"}
    assert all("+12128883025" in f.message for f in shared)
    moscow = [f for f in findings if f.subject == "ru-moscow-embassy"]
    assert "number-invalid-today" in [f.code for f in moscow]
    # file and line: the office's record in the YAML.
    office = directory.get("pk-meshed-consulate-general")
    assert (meshed[0].place.path, meshed[0].place.line) == (SHIPPED, office.line)
    # Printed relative to the current folder, as README shows it.
    assert finding_line(meshed[0]).startswith(
        f"{shown(SHIPPED)}:{office.line}: office pk-meshed-consulate-general: "
    )


def test_valid_offices_have_no_findings() -> None:
    directory = load_directory(SHIPPED)
    assert _codes(validate(directory), "de-berlin-embassy") == []


def _office(office_id: str, **fields: object) -> Office:
    values: dict[str, object] = {
        "country": "DE",
        "kind": "embassy",
        "faxes": ("+493047007125",),
        "city": "Berlin",
        "address": ("Nordenstrasse 14-17", "13156 Berlin"),
    }
    if fields.get("kind") == "non-resident":
        values["faxes"] = ()
    values.update(fields)
    return Office(id=office_id, **values)  # type: ignore[arg-type]


def test_served_by_errors() -> None:
    directory = Directory(
        "KZ",
        [
            _office("de-berlin-embassy"),
            _office("a-non-resident", country="AT", kind="non-resident", faxes=(), served_by="x"),
            _office("b-non-resident", country="BE", kind="non-resident", faxes=()),
            _office(
                "c-non-resident", country="CH", kind="non-resident", served_by="d-non-resident"
            ),
            _office(
                "d-non-resident", country="DK", kind="non-resident", served_by="c-non-resident"
            ),
            _office(
                "e-non-resident", country="EE", kind="non-resident", served_by="b-non-resident"
            ),
            _office(
                "f-non-resident", country="FI", kind="non-resident", served_by="f-non-resident"
            ),
            _office(
                "g-non-resident", country="GR", kind="non-resident", served_by="de-berlin-embassy"
            ),
        ],
    )
    findings = validate(directory)
    assert _codes(findings, "a-non-resident") == ["served-by-unknown"]
    assert _codes(findings, "b-non-resident") == ["served-by-missing"]
    assert _codes(findings, "c-non-resident") == ["served-by-cycle"]
    assert _codes(findings, "d-non-resident") == ["served-by-cycle"]
    assert _codes(findings, "e-non-resident") == ["served-by-non-resident"]
    chain = next(f for f in findings if f.subject == "e-non-resident")
    assert chain.severity == "warning"  # routing follows the chain; only cycles break it
    assert _codes(findings, "f-non-resident") == ["served-by-cycle"]
    assert _codes(findings, "g-non-resident") == []
    cycle = next(f for f in findings if f.subject == "c-non-resident")
    assert "c-non-resident -> d-non-resident -> c-non-resident" in cycle.message
    assert has_errors(findings)


def test_country_and_number_errors() -> None:
    directory = Directory(
        "KZ",
        [
            _office("x-embassy", country="XX", faxes=()),
            _office("y-embassy", accredited_to=("QQ", "UNESCO", "NL")),
            _office("z-embassy", faxes=("030 47007125",), phones=("+0301",)),
        ],
    )
    findings = validate(directory)
    assert _codes(findings, "x-embassy") == ["country-unknown", "no-fax"]
    assert _codes(findings, "y-embassy") == ["country-unknown"]
    assert _codes(findings, "z-embassy") == ["number-syntax", "number-syntax"]
    assert all(f.severity == ERROR for f in findings if f.code != "no-fax")


def test_phone_warnings() -> None:
    directory = Directory(
        "KZ",
        [
            _office("m-embassy", faxes=("+491701234567",)),
            _office("n-non-resident", kind="non-resident", faxes=(), served_by="m-embassy"),
        ],
    )
    findings = validate(directory)
    assert _codes(findings, "m-embassy") == ["fax-is-mobile"]
    # A non-resident entry has no fax of its own: no no-fax warning.
    assert _codes(findings, "n-non-resident") == []


def test_every_code_has_a_severity() -> None:
    assert {severity for severity, _meaning in CODES.values()} == {ERROR, WARNING}
    assert set(CODES) >= {
        "number-invalid-today",
        "number-foreign-country",
        "fax-shared",
        "no-fax",
        "fax-is-mobile",
    }


def test_offices_without_street_address_or_city() -> None:
    directory = Directory(
        "KZ",
        [
            _office("a-embassy", address=(), city="Berlin"),
            _office("b-embassy", address=("Berlin",)),
            _office("c-embassy", city=""),
            _office("d-non-resident", kind="non-resident", served_by="a-embassy", address=()),
        ],
    )
    findings = [f for f in validate(directory) if f.code != "fax-shared"]
    assert [(f.subject, f.code, f.message) for f in findings] == [
        ("a-embassy", "no-address", "no address"),
        ("b-embassy", "no-address", "the address is only the city: no street"),
        ("c-embassy", "no-city", "no city"),
    ]


def test_shipped_offices_without_street_address() -> None:
    findings = validate(load_directory(SHIPPED))
    assert sorted(f.subject or "" for f in findings if f.code in ("no-address", "no-city")) == [
        "pk-meshed-consulate-general",
        "tj-dushanbe-embassy",
    ]
    # Karachi's address now ends with its city (from the heading), as a letter prints it.
    assert load_directory(SHIPPED).get("pk-karachi-consulate").address[-1] == "Karachi"


def test_verification_age_only_when_asked() -> None:
    import datetime

    from lettergen.directory.validate import parse_age

    today = datetime.date(2026, 11, 30)
    directory = Directory(
        "KZ",
        [
            _office("a-embassy"),
            _office("b-embassy", verified="2023-01-15"),
            _office("c-embassy", verified="2026-06-01"),
        ],
    )

    def aged(found: list[Finding]) -> list[Finding]:
        return [f for f in found if f.code != "fax-shared"]

    assert aged(validate(directory, today=today)) == []  # not noisy by default
    findings = aged(validate(directory, parse_age("2y"), today))
    assert [(f.subject, f.code, f.message) for f in findings] == [
        ("a-embassy", "never-verified", "never verified"),
        ("b-embassy", "verified-long-ago", "last verified 2023-01-15, 1415 days ago"),
    ]
    assert parse_age("18m") == datetime.timedelta(days=540)
    assert parse_age(" 90d ") == datetime.timedelta(days=90)


def test_max_age_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lettergen.cli import cli

    runner = CliRunner()
    plain = runner.invoke(cli, ["missions", "validate", "--directory", str(SHIPPED)])
    assert "never-verified" not in plain.stdout
    aged = runner.invoke(
        cli, ["missions", "validate", "--max-age", "2y", "--directory", str(SHIPPED)]
    )
    assert aged.exit_code == 0
    assert aged.stdout.count(": never-verified: never verified") == 48 + 21
    bad = runner.invoke(cli, ["missions", "validate", "--max-age", "two years"])
    assert bad.exit_code == 1
    assert "max age 'two years' is not a number and a unit (write e.g. 2y" in bad.output
