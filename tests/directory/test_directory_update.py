"""directory update: a newer list changes exactly the offices that differ, hand corrections
survive, changed records gain a verified date, and nothing is written without --apply."""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.directory import update
from lettergen.directory.model import load_directory
from lettergen.directory.sources import spreadsheet
from lettergen.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"
HOSTLIST = Path(__file__).parents[1] / "fixtures" / "hostlist"
DAY = datetime.date(2026, 11, 30)


@pytest.fixture
def kazakhstan(tmp_path: Path) -> Path:
    path = tmp_path / "kazakhstan.yaml"
    shutil.copy(SHIPPED, path)
    return path


def newer_list(tmp_path: Path) -> Path:
    """The shipped directory exported, then edited as a group would in a spreadsheet: Berlin's
    fax changed, Paris moved, Bangkok closed, a new consulate general in Munich, and
    Düsseldorf's hand-corrected address contradicted."""
    rows = list(csv.reader(io.StringIO(spreadsheet.to_csv(load_directory(SHIPPED))[1:])))
    header = rows[0]
    col = {name: header.index(name) for name in header}
    edited = [header]
    for row in rows[1:]:
        office_id = row[col["id"]]
        if office_id == "th-bangkok-mission":
            continue
        if office_id == "de-berlin-embassy":
            row[col["faxes"]] = "+493047007199"
        if office_id == "fr-paris-embassy":
            row[col["address"]] = "42, avenue Foch\n75116 Paris"
        if office_id == "de-dusseldorf-consulate":
            row[col["address"]] = "Morserstrabe 57\n40667 Meerbusch"
            row[col["emails"]] = "info@kz-consulate.example.de"
        edited.append(row)
    new = [""] * len(header)
    new[col["id"]] = "de-munich-consulate-general"
    new[col["country"]] = "DE"
    new[col["city"]] = "Munich"
    new[col["kind"]] = "consulate-general"
    new[col["address"]] = "Oskar-von-Miller-Ring 1\n80333 München"
    new[col["faxes"]] = "+49892000000"
    new[col["source"]] = "Consulate's web site"
    edited.append(new)
    path = tmp_path / "newer.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(edited)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_update_changes_exactly_the_offices_that_differ(kazakhstan: Path, tmp_path: Path) -> None:
    before = load_directory(kazakhstan)
    newer = update.read_newer(newer_list(tmp_path), "KZ")
    diff = update.update(kazakhstan, newer.directory, newer.fields, DAY, write=True)
    assert [(d.how, d.office.id) for d in diff.offices] == [
        ("changed", "fr-paris-embassy"),
        ("changed", "de-berlin-embassy"),
        ("changed", "de-dusseldorf-consulate"),
        ("new", "de-munich-consulate-general"),
        ("closed", "th-bangkok-mission"),
    ]
    after = load_directory(kazakhstan)
    old = {o.id: o for o in before}
    new = {o.id: o for o in after}
    assert set(old) - set(new) == {"th-bangkok-mission"}
    assert set(new) - set(old) == {"de-munich-consulate-general"}
    differing = {i for i in set(old) & set(new) if old[i].to_record() != new[i].to_record()}
    assert differing == {"fr-paris-embassy", "de-berlin-embassy", "de-dusseldorf-consulate"}
    assert new["de-berlin-embassy"].faxes == ("+493047007199",)
    assert new["de-berlin-embassy"].verified == "2026-11-30"
    assert new["fr-paris-embassy"].address == ("42, avenue Foch", "75116 Paris")
    frankfurt = new["de-munich-consulate-general"]
    assert (frankfurt.source, frankfurt.verified) == ("Consulate's web site", "2026-11-30")


def test_hand_corrections_survive(kazakhstan: Path, tmp_path: Path) -> None:
    text_before = kazakhstan.read_text(encoding="utf-8")
    newer = update.read_newer(newer_list(tmp_path), "KZ")
    diff = update.update(kazakhstan, newer.directory, newer.fields, DAY, write=True)
    dusseldorf = next(d for d in diff.offices if d.office.id == "de-dusseldorf-consulate")
    assert [(c.field, c.kept) for c in dusseldorf.changes] == [
        ("address", True),
        ("emails", False),
    ]
    after = load_directory(kazakhstan).get("de-dusseldorf-consulate")
    assert after.address == ("Morserstraße 57", "40667 Meerbusch")  # the hand's ß kept
    assert after.emails == ("info@kz-consulate.example.de",)
    text_after = kazakhstan.read_text(encoding="utf-8")
    # Every comment of the file is still there (Bangkok's record had none).
    comments = [line for line in text_before.splitlines() if line.strip().startswith("#")]
    assert [line for line in text_after.splitlines() if line.strip().startswith("#")] == comments
    # And only the changed records' lines differ: nothing else is reformatted.
    changed = [
        line
        for line in difflib.unified_diff(text_before.splitlines(), text_after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert "+    faxes: ['+493047007199']" in changed
    assert "-    faxes: ['+493047007125']" in changed
    # Three changed records and the new one are verified today.
    assert sum(line == "+    verified: '2026-11-30'" for line in changed) == 4
    removed = [line for line in changed if line.startswith("-")]
    bangkok = load_directory(SHIPPED).get("th-bangkok-mission").to_record()
    # Berlin's fax, Paris's address; Düsseldorf's address stays; Bangkok's record goes.
    assert len(removed) == 2 + len(bangkok), removed


def test_without_apply_nothing_is_written(kazakhstan: Path, tmp_path: Path) -> None:
    text = kazakhstan.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["directory", "update", str(kazakhstan), str(newer_list(tmp_path)), "--date", "2026-11-30"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "changed  de-berlin-embassy (DE, Berlin, embassy; matched by place)" in lines
    assert "           faxes: +49 30 47007125 -> +49 30 47007199" in lines
    assert (
        "           address: Morserstraße 57; 40667 Meerbusch -> Morserstrabe 57; "
        "40667 Meerbusch  [conflict: corrected by hand; the first value is kept]"
    ) in lines
    assert "closed   th-bangkok-mission (TH, Bangkok, mission): not in the newer list" in lines
    assert "1 new, 1 closed, 3 changed, 44 unchanged (countries compared:" in result.output
    assert "conflicts to decide: 1 (shown above, not applied)" in lines
    assert "nothing written: pass --apply" in result.output
    assert kazakhstan.read_text(encoding="utf-8") == text


def test_the_same_list_changes_nothing(kazakhstan: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "same.xlsx"
    spreadsheet.export(load_directory(SHIPPED), sheet)
    text = kazakhstan.read_text(encoding="utf-8")
    newer = update.read_newer(sheet, "KZ")
    diff = update.update(kazakhstan, newer.directory, newer.fields, DAY, write=True)
    assert diff.empty
    assert kazakhstan.read_text(encoding="utf-8") == text


def test_update_from_a_host_country_list(kazakhstan: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "directory",
            "update",
            str(kazakhstan),
            str(HOSTLIST / "pk-mofa-missions.csv"),
            "--mapping",
            str(HOSTLIST / "pk-mofa-mapping.yaml"),
            "--apply",
            "--date",
            "2026-11-30",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "2 new, 1 closed, 1 changed, 0 unchanged (countries compared: PK)" in result.output
    after = load_directory(kazakhstan)
    islamabad = after.get("pk-islamabad-embassy")
    assert islamabad.phones[:2] == ("+92512262807", "+92512262808")
    assert islamabad.faxes == ("+92512262806",)  # unchanged: the list gives the same fax
    assert islamabad.source_line == 299  # kept
    assert "pk-karachi-consulate" not in after
    assert after.get("pk-karachi-consulate-general").faxes == ("+922135838418",)
    # Meshed is in Iran now: a list of the missions in Pakistan does not close it.
    assert after.get("pk-meshed-consulate-general").country == "IR"


def test_an_office_others_are_served_by_is_not_removed(kazakhstan: Path, tmp_path: Path) -> None:
    # Cairo serves Algeria and others: a list without Egypt's embassy flags it, keeps it.
    sheet = tmp_path / "eg.csv"
    sheet.write_text(
        "id,country,city,kind,faxes\neg-alexandria-consulate,EG,Alexandria,consulate,\n",
        encoding="utf-8",
    )
    newer = update.read_newer(sheet, "KZ")
    diff = update.update(kazakhstan, newer.directory, newer.fields, DAY, True, {"EG"})
    assert [(d.how, d.office.id) for d in diff.offices] == [
        ("new", "eg-alexandria-consulate"),
        ("closed-kept", "eg-cairo-embassy"),
    ]
    assert "eg-cairo-embassy" in load_directory(kazakhstan)


def test_a_list_of_another_state_is_refused(kazakhstan: Path) -> None:
    newer = update.read_newer(
        HOSTLIST / "pk-mofa-missions.csv", "BY", HOSTLIST / "pk-mofa-mapping.yaml"
    )
    with pytest.raises(InputError, match="sending state BY, the directory of KZ"):
        update.update(kazakhstan, newer.directory, newer.fields, DAY)


def test_hand_corrected_fields_are_read_from_the_comments() -> None:
    protected = update.hand_corrected(SHIPPED.read_text(encoding="utf-8"))
    assert protected["de-dusseldorf-consulate"] == {"address"}
    assert protected["sa-riyadh-embassy"] == {"address"}
    # Above the record: "country 'PK' -> 'IR', address from the heading's city, note added".
    assert protected["pk-meshed-consulate-general"] == {"address"}
    # Berlin's address is corrected by hand, its numbers are not.
    assert protected["de-berlin-embassy"] == {"address"}
    assert "th-bangkok-mission" not in protected


def test_a_closed_office_takes_only_its_own_comments(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(
        "state: KZ\noffices:\n"
        "  - id: de-berlin-embassy\n    country: DE\n    city: Berlin\n    kind: embassy\n"
        "    faxes: ['+493047007125']\n"
        "  # corrected by hand: Bonn's address, fax and e-mail checked\n"
        "  - id: de-bonn-embassy\n    country: DE\n    city: Bonn\n    kind: embassy\n"
        "    faxes: ['+49228000000']\n"
        "  # corrected by hand: address 'Wein' -> 'Wien'\n"
        "  - id: at-vienna-embassy\n    country: AT\n    city: Vienna\n    kind: embassy\n"
        "    address: [Felix Mottlstrasse 23, 1190 Wien]\n    faxes: ['+4313679175']\n",
        encoding="utf-8",
    )
    assert update.hand_corrected(path.read_text(encoding="utf-8")) == {
        "de-bonn-embassy": {"address", "faxes", "emails"},
        "at-vienna-embassy": {"address"},
    }
    old = load_directory(path)
    newer = [o for o in old if o.id != "de-bonn-embassy"]
    diff = update.update(path, type(old)("KZ", newer), update.COMPARED, DAY, write=True)
    assert [(d.how, d.office.id) for d in diff.offices] == [("closed", "de-bonn-embassy")]
    text = path.read_text(encoding="utf-8")
    assert "Bonn" not in text
    assert "  # corrected by hand: address 'Wein' -> 'Wien'\n  - id: at-vienna-embassy\n" in text
