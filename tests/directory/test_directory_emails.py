"""Office e-mail addresses (syntax; the domain only when asked) and offices no channel
reaches, as `missions validate` reports them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from lettergen.cli import cli
from lettergen.directory.emails import domain_problem, email_problem
from lettergen.directory.model import load_directory
from lettergen.directory.validate import validate

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"


@pytest.mark.parametrize(
    "address",
    ["conskaz@otenet.gr", "kz.embassy+fax@mfa.gov.kz", "info@xn--80ak6aa92e.com", "a@b.co",
     "info@казахстан.рф"],
)  # fmt: skip
def test_well_formed_addresses(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("conskaz.otenet.gr", "exactly one @"),
        ("a@@b.gr", "exactly one @"),
        ("kaz embassy@mail.ru", "spaces"),
        (".kaz@mail.ru", "not a mailbox name"),
        ("kaz..emb@mail.ru", "not a mailbox name"),
        ("посольство@mail.ru", "not a mailbox name"),  # needs SMTPUTF8, which few servers take
        ("kaz@localhost", "not a full domain name"),
        ("kaz@mail-.ru", "not a valid domain name"),
        ("kaz@mail.r", "not a valid domain name"),
        ("kaz@[10.0.0.1]", "not a valid domain name"),
    ],
)
def test_malformed_addresses(address: str, why: str) -> None:
    problem = email_problem(address)
    assert problem is not None and why in problem


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_not_an_exception(text: str) -> None:
    problem = email_problem(text)
    assert problem is None or text[:10] in problem or "@" not in text or problem


def test_domain_lookup_only_through_the_resolver_it_is_given() -> None:
    asked: list[str] = []

    def resolver(answer: bool | None):  # type: ignore[no-untyped-def]
        def resolve(domain: str) -> bool | None:
            asked.append(domain)
            return answer

        return resolve

    assert domain_problem("a@otenet.gr", resolver(True)) is None
    assert "has no mail server" in (domain_problem("a@gone.example", resolver(False)) or "")
    assert "no network?" in (domain_problem("a@x.example", resolver(None)) or "")
    assert asked == ["otenet.gr", "gone.example", "x.example"]


def test_validate_reports_bad_addresses_and_offices_no_channel_reaches(tmp_path: Path) -> None:
    directory = tmp_path / "d.yaml"
    directory.write_text(
        """state: KZ
source: test
offices:
  - id: gr-athens-consulate
    country: GR
    city: Athens
    kind: consulate
    faxes: ["+3013616689"]
    emails: [conskaz@otenet.gr]
  - id: de-berlin-embassy
    country: DE
    city: Berlin
    kind: embassy
    address: [Nordenstrasse 14-17, D-13156 Berlin]
    faxes: ["+493047007125"]
    emails: ["kaz botschaft@web.de"]
  - id: ir-meshed-consulate
    country: IR
    city: Meshed
    kind: consulate
    address: [Meshed]
    faxes: ["+98517625590"]
    emails: [not-an-address]
""",
        encoding="utf-8",
    )
    findings = validate(load_directory(directory))
    codes = {(f.subject, f.code) for f in findings}
    assert ("de-berlin-embassy", "email-syntax") in codes
    assert ("ir-meshed-consulate", "email-syntax") in codes
    # Athens: fax invalid today, but its e-mail works; Berlin: its fax works.
    assert ("gr-athens-consulate", "no-channel") not in codes
    assert ("de-berlin-embassy", "no-channel") not in codes
    # Meshed: fax invalid today, a broken address and no street: nothing reaches it.
    (meshed,) = [f for f in findings if f.code == "no-channel"]
    assert meshed.subject == "ir-meshed-consulate"
    line = str(meshed)
    assert "d.yaml:" in line and "no working channel" in line
    # The domain is looked up only when asked, through the lookup given.
    looked: list[str] = []

    def lookup(address: str) -> str | None:
        looked.append(address)
        return "e-mail conskaz@otenet.gr: the domain otenet.gr has no mail server"

    findings = validate(load_directory(directory), check_mail=lookup)
    assert looked == ["conskaz@otenet.gr"]  # well-formed addresses only
    codes = {(f.subject, f.code) for f in findings}
    assert ("gr-athens-consulate", "email-domain") in codes
    assert ("gr-athens-consulate", "no-channel") in codes  # its only way was that address


def test_missions_validate_on_the_shipped_directory() -> None:
    result = CliRunner().invoke(
        cli, ["missions", "validate", "--directory", str(SHIPPED)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    no_channel = [x for x in result.output.splitlines() if ": no-channel: " in x]
    # Of the 11 offices whose fax is invalid today, one has neither e-mail nor street address.
    assert len(no_channel) == 1 and "pk-meshed-consulate-general" in no_channel[0]
    assert ": email-syntax: " not in result.output
    assert "--check-mail" in CliRunner().invoke(cli, ["missions", "validate", "--help"]).output


def test_shipped_addresses_are_well_formed() -> None:
    offices = [o for o in load_directory(SHIPPED) if o.emails]
    assert len(offices) == 5
    assert all(email_problem(a) is None for o in offices for a in o.emails)
