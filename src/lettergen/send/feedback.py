"""Feedback from sending: fax numbers that failed for good, taken out of the directory.

The delivery ledger (lettergen.send) records every letter × number with its state. A number is
dead when a delivery to it failed (state `failed`: the transport gave up, or a person said so)
and no delivery to it was ever `sent`. `directory update --from-delivery CAMPAIGN` removes such
numbers from their offices' `faxes` and adds a note saying when and why the number failed and
what to check, through the same reviewed diff as any update (hand-corrected `faxes` are kept,
the note is added all the same). A changed record gets no `verified` date: a failure confirms
nothing about the office.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lettergen.directory.model import Directory, load_directory
from lettergen.directory.phones import international
from lettergen.directory.update import Change, Diff, OfficeDiff, hand_corrected
from lettergen.util import yamlio

#: What the note tells a person to check; the office's own page comes first.
CHECK = "check the office's current fax number (its web site, the host ministry's list)"


@dataclass(frozen=True)
class DeadNumber:
    office_id: str
    fax: str
    error: str
    failed_at: str  # ISO timestamp of the last failure


def dead_numbers(campaign: str, out: Path | None = None) -> list[DeadNumber]:
    """The campaign's dead fax numbers, read from its ledger (one per office and number)."""
    from lettergen.send import open_ledger
    from lettergen.send.report import records

    with open_ledger(campaign, out) as ledger:
        rows = records(ledger)
    reached = {row["fax"] for row in rows if row["state"] == "sent"}
    dead: dict[tuple[str, str], DeadNumber] = {}
    for row in rows:
        if row["state"] != "failed" or row["fax"] in reached:
            continue
        key = (row["office_id"], row["fax"])
        found = DeadNumber(
            row["office_id"], row["fax"], row["last_error"] or "", row["updated_at"] or ""
        )
        if key not in dead or found.failed_at > dead[key].failed_at:
            dead[key] = found
    return sorted(dead.values(), key=lambda d: (d.office_id, d.fax))


def note(number: DeadNumber) -> str:
    day = number.failed_at[:10]
    why = f" ({number.error})" if number.error else ""
    return f"Dead fax {international(number.fax)}: delivery failed on {day}{why}; {CHECK}"


def compare(directory: Directory, dead: list[DeadNumber], path: Path) -> tuple[Diff, list[str]]:
    """The diff taking the dead numbers out, and what could not be placed (an office or a
    number no longer in the directory)."""
    protected = hand_corrected(yamlio.read_text(path))
    unplaced: list[str] = []
    by_office: dict[str, list[DeadNumber]] = {}
    for number in dead:
        if number.office_id not in directory:
            unplaced.append(f"{number.office_id}: not in {path.name} (fax {number.fax})")
        elif number.fax not in directory.get(number.office_id).faxes:
            unplaced.append(f"{number.office_id}: fax {number.fax} is no longer its number")
        else:
            by_office.setdefault(number.office_id, []).append(number)
    diffs = []
    for office_id, numbers in by_office.items():
        office = directory.get(office_id)
        gone = {n.fax for n in numbers}
        faxes = tuple(f for f in office.faxes if f not in gone)
        notes = office.notes + tuple(note(n) for n in numbers if note(n) not in office.notes)
        changes = [
            Change("faxes", office.faxes, faxes, "faxes" in protected.get(office_id, ())),
            Change("notes", office.notes, notes),
        ]
        diffs.append(OfficeDiff(office, "changed", changes, "delivery", verify=False))
    return Diff(diffs, len(directory) - len(diffs), ()), unplaced


def update_from_delivery(
    path: Path, campaign: str, out: Path | None = None, write: bool = False
) -> tuple[Diff, list[str]]:
    from lettergen.directory.update import write_diff

    directory = load_directory(path)
    diff, unplaced = compare(directory, dead_numbers(campaign, out), path)
    if write and not diff.empty:
        write_diff(path, diff, None)
    return diff, unplaced
