"""directory update --from-delivery: fax numbers that failed for good in a campaign's delivery
ledger are taken out of the directory, with a note saying what to check."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.directory.model import load_directory
from lettergen.send.feedback import dead_numbers
from lettergen.send.ledger import Ledger, Outgoing

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"
CAMPAIGN = "free-zhanusov-2002"
WHEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def deliver(ledger: Ledger, office_id: str, fax: str, state: str, signer: str = "") -> None:
    """One letter through the real ledger's state machine: queued, sending, then state."""
    sha = f"{office_id}-{signer}-{fax}"
    ledger.sync([Outgoing(office_id, fax, f"en/{office_id}{signer}.pdf", sha, 1, signer)])
    (row,) = [d for d in ledger.deliveries() if d.sha256 == sha]
    row = ledger.claim(row, "dry-run", now=WHEN)
    if state == "failed":
        ledger.move(row, "failed", "no fax tone", now=WHEN, last_error="no fax tone (NO CARRIER)")
    else:
        ledger.move(row, "sent", "delivered", now=WHEN, sent_at="2026-11-30T09:00:00+00:00")


@pytest.fixture
def sent(tmp_path: Path) -> Path:
    """An output folder whose campaign ledger holds a dead number, a number that failed once
    but reached its office with another letter, and a number that was sent."""
    out = tmp_path / "output"
    folder = out / CAMPAIGN
    folder.mkdir(parents=True)
    with Ledger.beside(folder) as ledger:
        deliver(ledger, "ru-moscow-embassy", "+70952082650", "failed")
        deliver(ledger, "de-berlin-embassy", "+493047007125", "failed", signer="a")
        deliver(ledger, "de-berlin-embassy", "+493047007125", "sent", signer="b")
        deliver(ledger, "it-rome-embassy", "+39066867812", "sent")
    return out


def test_dead_numbers_are_read_from_the_ledger(sent: Path) -> None:
    dead = dead_numbers(CAMPAIGN, sent)
    assert [(d.office_id, d.fax, d.error) for d in dead] == [
        ("ru-moscow-embassy", "+70952082650", "no fax tone (NO CARRIER)")
    ]


def test_update_from_delivery_takes_the_dead_fax_out(sent: Path, tmp_path: Path) -> None:
    path = tmp_path / "kazakhstan.yaml"
    shutil.copy(SHIPPED, path)
    before = load_directory(path)
    args = ["directory", "update", str(path), "--from-delivery", CAMPAIGN, "--out", str(sent)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "changed  ru-moscow-embassy (RU, Moscow, embassy; dead numbers)" in result.output
    assert "faxes: +7 0952082650 -> (none)" in result.output
    assert "nothing written" in result.output
    assert load_directory(path).get("ru-moscow-embassy") == before.get("ru-moscow-embassy")

    result = CliRunner().invoke(cli, [*args, "--apply"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = load_directory(path)
    moscow = after.get("ru-moscow-embassy")
    assert moscow.faxes == ()
    assert moscow.notes[-1] == (
        "Dead fax +7 0952082650: delivery failed on 2026-11-30 (no fax tone (NO CARRIER)); "
        "check the office's current fax number (its web site, the host ministry's list)"
    )
    assert moscow.verified == ""  # a failure confirms nothing
    changed = {o.id for o in after if o.to_record() != before.get(o.id).to_record()}
    assert changed == {"ru-moscow-embassy"}

    # Run again: the number is gone, so there is nothing left to place or change.
    result = CliRunner().invoke(cli, [*args, "--apply"], catch_exceptions=False)
    assert "not placed: ru-moscow-embassy: fax +70952082650 is no longer its number" in (
        result.output
    )
    assert "nothing to change" in result.output


def test_update_needs_a_list_or_a_campaign(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["directory", "update", str(SHIPPED)])
    assert result.exit_code == 2
    assert "give either NEWER or --from-delivery CAMPAIGN" in result.output
    result = CliRunner().invoke(
        cli,
        ["directory", "update", str(SHIPPED), "--from-delivery", CAMPAIGN, "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "nothing has been sent yet: no delivery ledger" in result.output
