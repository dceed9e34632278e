"""Batches: routing, fax de-duplication, signers × offices, manifest, atomic writes, errors."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, SHIPPED_DIRECTORY, flat, pdftotext
from lettergen.batch import plan as planning
from lettergen.batch import run as batch
from lettergen.campaign.targets import Targets
from lettergen.cli import cli
from lettergen.directory.model import Directory, Office
from lettergen.errors import DataError, InputError
from lettergen.util import files


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "free-zhanusov-2002" / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_all_offices_with_fax_get_one_letter_each(directory, tmp_path: Path) -> None:
    code, output = run_cli("batch", "free-zhanusov-2002", "--all", "-o", str(tmp_path))
    assert code == 0, output
    rows = manifest(tmp_path)
    with_fax = [o for o in directory.resident_offices if o.faxes]
    assert len(rows) == len(with_fax) == 48
    assert len({row["fax"] for row in rows}) == len(rows)  # no fax number twice
    for row in rows:
        data = (tmp_path / "free-zhanusov-2002" / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["pages"] == str(pdftotext(data).count("\f"))
        # The header's number, as the letter groups it, is the manifest's number.
        header = re.search(r"Fax to (\+[\d ]+) · Page 1 of (\d+)", flat(pdftotext(data)))
        assert header, row["office_id"]
        assert header[1].replace(" ", "") == row["fax"] and header[2] == row["pages"]
    assert f"Written {len(rows)}, unchanged 0, skipped" in output
    document = json.loads((tmp_path / "free-zhanusov-2002" / "manifest.json").read_text())
    assert [r["office_id"] for r in document["letters"]] == [r["office_id"] for r in rows]


def test_cuba_is_reached_through_the_un_mission(tmp_path: Path) -> None:
    code, output = run_cli("batch", "free-zhanusov-2002", "--countries", "CU", "-o", str(tmp_path))
    assert code == 0, output
    (row,) = manifest(tmp_path)
    assert row["office_id"] == "us-new-york-un-mission"
    assert row["country"] == "CU"
    text = flat(pdftotext(tmp_path / "free-zhanusov-2002" / row["file"]))
    assert "Ambassador of the Republic of Kazakhstan to Cuba, resident in New York" in text
    assert "Fax to +1 212 230 1172" in text


def test_netherlands_reaches_brussels(tmp_path: Path) -> None:
    code, output = run_cli("batch", "free-zhanusov-2002", "--countries", "NL", "-o", str(tmp_path))
    assert code == 0, output
    (row,) = manifest(tmp_path)
    assert row["office_id"] == "be-brussels-embassy"
    assert "to the Netherlands, resident in Brussels" in flat(
        pdftotext(tmp_path / "free-zhanusov-2002" / row["file"])
    )


def test_shared_fax_uses_the_other_number_of_the_un_mission(directory) -> None:
    shared = set(directory.get("us-new-york-consulate").faxes) & set(
        directory.get("us-new-york-un-mission").faxes
    )
    assert shared, "the consulate and the UN mission share a fax in the directory"
    plan = planning.make_plan(
        directory,
        language="en",
        targets=Targets(offices=("us-new-york-un-mission", "us-new-york-consulate")),
    )
    faxes = {job.recipient.office.id: job.recipient.fax_number for job in plan.letters()}
    assert faxes["us-new-york-consulate"] in shared
    assert faxes["us-new-york-un-mission"] not in shared
    assert not plan.skipped


def _two_offices_one_fax() -> Directory:
    common = dict(country="DE", kind="consulate", faxes=("+493047007125",))
    return Directory(
        "KZ",
        [
            Office(id="de-a-consulate", city="A", **common),
            Office(id="de-b-consulate", city="B", **common),
        ],
    )  # type: ignore[arg-type]


def test_a_fax_shared_with_no_alternative_gets_one_letter() -> None:
    plan = planning.make_plan(_two_offices_one_fax(), language="en", targets=Targets(everyone=True))
    assert [job.recipient.office.id for job in plan.letters()] == ["de-a-consulate"]
    assert [skip.office_id for skip in plan.skipped] == ["de-b-consulate"]
    assert "shares fax +493047007125 with de-a-consulate" in plan.skipped[0].reason


def test_offices_without_fax_are_skipped_unless_asked(directory) -> None:
    no_fax = Office(
        id="xx-post-embassy", country="DE", kind="embassy", city="Bonn", address=("Somewhere 1",)
    )
    small = Directory("KZ", [directory.get("de-berlin-embassy"), no_fax])
    assert [
        s.office_id
        for s in planning.make_plan(small, language="en", targets=Targets(everyone=True)).skipped
    ] == ["xx-post-embassy"]
    jobs = planning.make_plan(
        small, language="en", include_no_fax=True, targets=Targets(everyone=True)
    ).letters()
    assert [j.recipient.fax_number for j in jobs] == ["+493047007125", None]


def test_signers_times_offices(tmp_path: Path) -> None:
    signers = tmp_path / "signers.csv"
    signers.write_text("name,organisation,city\nMaria Lopez,Union A,Madrid\nJohn Smith,,Leeds\n")
    code, output = run_cli(
        "batch",
        "free-zhanusov-2002",
        "--offices",
        "de-berlin-embassy,it-rome-embassy",
        "--signers",
        str(signers),
        "-o",
        str(tmp_path / "out"),
    )
    assert code == 0, output
    rows = manifest(tmp_path / "out")
    assert sorted(Path(r["file"]).name for r in rows) == [
        "de-berlin-embassy--john-smith.pdf",
        "de-berlin-embassy--maria-lopez.pdf",
        "it-rome-embassy--john-smith.pdf",
        "it-rome-embassy--maria-lopez.pdf",
    ]
    text = flat(
        pdftotext(
            tmp_path / "out" / "free-zhanusov-2002" / "en" / "it-rome-embassy--maria-lopez.pdf"
        )
    )
    assert "Maria Lopez Union A Madrid" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "organisation,city\nUnion A,Madrid\n",
            "signers.csv:1: the first row must name the columns",
        ),
        ("name,city\nMaria,Madrid,Spain\n", "signers.csv:2: more fields than columns"),
        ("name,city\n,Madrid\n", "signers.csv:2: name: name is empty"),
        ("name,shoe size\nMaria,38\n", "signers.csv:1: unknown column(s) shoe size"),
    ],
)
def test_malformed_signers_csv(tmp_path: Path, content: str, message: str) -> None:
    signers = tmp_path / "signers.csv"
    signers.write_text(content)
    code, output = run_cli(
        "batch", "free-zhanusov-2002", "--signers", str(signers), "-o", str(tmp_path)
    )
    assert code == 1
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "free-zhanusov-2002").exists()


def test_unknown_office_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run_cli(
        "render", "free-zhanusov-2002", "--office", "xx-nowhere", "-o", str(tmp_path / "x.pdf")
    )
    assert code == 1
    assert "unknown office id 'xx-nowhere'" in output
    assert not (tmp_path / "x.pdf").exists()


def test_campaign_missing_keys_name_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = SEED_CAMPAIGN.read_text()
    start = text.index("demands:\n")
    end = text.index("\n# The sender")
    broken.write_text((text[:start] + text[end:]).replace("\ndate: 2002-09-07 ", "\ndate: soon "))
    code, output = run_cli("batch", str(broken), "-o", str(tmp_path))
    assert code == 1
    assert re.search(rf"{re.escape(str(broken))}:\d+: demands: demands is missing", output)
    line = next(
        i for i, row in enumerate(broken.read_text().splitlines(), 1) if row.startswith("date:")
    )
    assert f"{broken}:{line}: date: date is missing or not a date" in output


def test_placeholder_sender_is_an_error_unless_given(tmp_path: Path) -> None:
    placeholder = tmp_path / "placeholder.yaml"
    placeholder.write_text(
        SEED_CAMPAIGN.read_text().replace("name: Anna Weber", "name: <your name>")
    )
    code, output = run_cli(
        "render", str(placeholder), "--office", "de-berlin-embassy", "-o", str(tmp_path / "a.pdf")
    )
    assert code == 1
    assert "the sender is not filled in (name)" in output
    code, output = run_cli(
        "render",
        str(placeholder),
        "--office",
        "de-berlin-embassy",
        "-o",
        str(tmp_path / "a.pdf"),
        "--sender",
        "name=Jo Doe",
    )
    assert code == 0, output
    assert "Jo Doe" in flat(pdftotext(tmp_path / "a.pdf"))


def test_render_one_letter_for_a_non_resident_entry(tmp_path: Path) -> None:
    code, output = run_cli(
        "render",
        "free-zhanusov-2002",
        "--office",
        "dz-non-resident",
        "-o",
        str(tmp_path / "dz.pdf"),
    )
    assert code == 0, output
    text = flat(pdftotext(tmp_path / "dz.pdf"))
    assert "to Algeria, resident in Cairo" in text


def test_a_failing_letter_does_not_stop_the_batch(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]

    real = planning.compose_letter

    def flaky(campaign, recipient, **kw):  # type: ignore[no-untyped-def]
        if recipient.office.id == "it-rome-embassy":
            raise DataError("no texts for Rome today")
        return real(campaign, recipient, **kw)

    monkeypatch.setattr(planning, "compose_letter", flaky)
    code, output = run_cli(
        "batch",
        "free-zhanusov-2002",
        "--offices",
        "de-berlin-embassy,it-rome-embassy,es-madrid-embassy",
        "-o",
        str(tmp_path),
    )
    assert code == 1
    assert "it-rome-embassy (Anna Weber): no texts for Rome today" in output
    assert "Written 2, unchanged 0, skipped 0, failed 1" in output
    assert sorted(r["office_id"] for r in manifest(tmp_path)) == [
        "de-berlin-embassy",
        "es-madrid-embassy",
    ]


def test_atomic_write_leaves_old_file_whole_on_failure(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old letter")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.atomic_write(target, b"new letter")
    assert target.read_bytes() == b"old letter"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.pdf"]  # no temporary file left


def test_a_rerun_keeps_a_changed_file_and_writes_the_letter_beside_it(tmp_path: Path) -> None:
    args = ("batch", "free-zhanusov-2002", "--offices", "de-berlin-embassy", "-o", str(tmp_path))
    assert run_cli(*args)[0] == 0
    pdf = tmp_path / "free-zhanusov-2002" / "en" / "de-berlin-embassy.pdf"
    pdf.write_bytes(b"a hand-signed scan")
    code, output = run_cli(*args)
    assert code == 0, output
    assert pdf.read_bytes() == b"a hand-signed scan"
    assert (
        "Kept en/de-berlin-embassy.pdf: changed since lettergen wrote it; the new letter is "
        "en/de-berlin-embassy.new.pdf" in output
    )
    assert sorted(p.name for p in pdf.parent.iterdir()) == [
        "de-berlin-embassy.new.pdf",
        "de-berlin-embassy.pdf",
    ]
    assert [r["file"] for r in manifest(tmp_path)] == ["en/de-berlin-embassy.new.pdf"]
    # A third run owns the .new file, and still leaves the user's file alone.
    code, output = run_cli(*args)
    assert "Written 0, unchanged 1" in output
    assert "Not made by this batch, left alone (1): en/de-berlin-embassy.pdf" in output
    assert pdf.read_bytes() == b"a hand-signed scan"


def test_campaign_targets_are_the_picket_list(directory) -> None:
    prepared = batch.prepare(SEED_CAMPAIGN, directory=SHIPPED_DIRECTORY)
    ids = [job.recipient.office.id for job in prepared.plan.letters()]
    assert sorted(ids) == [
        "au-sydney-consulate",
        "ca-toronto-consulate",
        "cz-prague-mission",
        "de-berlin-embassy",
        "de-dusseldorf-consulate",
        "de-frankfurt-consulate-general",
        "de-hannover-consulate",
        "gr-athens-consulate",
        "il-tel-aviv-embassy",
        "it-rome-embassy",
        "us-new-york-consulate",
        "us-new-york-un-mission",
    ]


def test_unknown_campaign_lists_the_known_ones() -> None:
    with pytest.raises(InputError) as caught:
        batch.prepare("no-such-campaign")
    assert "free-zhanusov-2002" in str(caught.value)


def test_docx_only_batches_count_pages_from_the_pdf_layout(tmp_path: Path) -> None:
    signers = tmp_path / "signers.csv"
    signers.write_text("name,organisation\nMaria Lopez,Union A\nJohn Smith,\n")
    offices = "de-berlin-embassy,us-washington-embassy"
    for fmt in ("pdf", "docx"):
        code, output = run_cli(
            "batch", "free-zhanusov-2002", "--offices", offices, "--lang", "auto", "--cover",
            "--signers", str(signers), "--format", fmt, "-o", str(tmp_path / fmt),
        )  # fmt: skip
        assert code == 0, output
    pdf_rows, docx_rows = manifest(tmp_path / "pdf"), manifest(tmp_path / "docx")
    assert [(r["office_id"], r["signer"], r["pages"]) for r in docx_rows] == [
        (r["office_id"], r["signer"], r["pages"]) for r in pdf_rows
    ]
    # A cover sheet and a letter each (the German one set a step tighter to keep it on a page).
    assert {r["pages"] for r in docx_rows} == {"2"}
    assert {r["pages_source"] for r in docx_rows} == {"estimate"}


def test_a_sender_needs_a_contact_for_the_fax_notice(tmp_path: Path) -> None:
    target = str(tmp_path / "a.pdf")
    code, output = run_cli(
        "render", "free-zhanusov-2002", "--office", "de-berlin-embassy", "-o", target,
        "--sender", "email=", "--sender", "fax=",
    )  # fmt: skip
    assert code == 1
    assert "the sender is not filled in (email or fax)" in output
    assert not (tmp_path / "a.pdf").exists()


def test_one_head_of_mission_for_several_countries_gets_one_letter(directory) -> None:
    plan = planning.make_plan(
        directory, language="en", targets=Targets(countries=("BE", "NL", "LU"))
    )
    assert [(j.recipient.office.id, j.recipient.country) for j in plan.letters()] == [
        ("be-brussels-embassy", "BE")
    ]
    assert [(s.office_id, s.country) for s in plan.skipped] == [
        ("be-brussels-embassy", "NL"),
        ("be-brussels-embassy", "LU"),
    ]
    assert "the letter about NL is not written: this office already gets the letter about BE" in (
        plan.skipped[0].reason
    )


def test_letters_by_post_for_two_countries_do_not_share_a_file(tmp_path: Path) -> None:
    no_fax = Office(
        id="eg-cairo-embassy", country="EG", kind="embassy", city="Cairo", accredited_to=("DZ",)
    )
    small = Directory("KZ", [no_fax])
    plan = planning.make_plan(
        small, language="en", include_no_fax=True, targets=Targets(countries=("EG", "DZ"))
    )
    assert [j.recipient.country for j in plan.letters()] == ["EG", "DZ"]
    work = batch.prepare(SEED_CAMPAIGN, offices=["de-berlin-embassy"])
    work.directory, work.plan = small, plan
    result = batch.run(work, output=tmp_path)
    assert sorted(r.file for r in result.rows) == [
        "en/eg-cairo-embassy--for-dz.pdf",
        "en/eg-cairo-embassy.pdf",
    ]


def test_campaign_targets_are_checked_against_the_directory(tmp_path: Path) -> None:
    broken = tmp_path / "targets.yaml"
    broken.write_text(
        SEED_CAMPAIGN.read_text()
        .replace(
            "offices: [us-new-york-consulate, us-new-york-un-mission]",
            "offices: [us-new-york-consulate, de-berlin-embasy]\n  countries: [AU, Atlantis]",
        )
        .replace("  countries: [AU, CA, CZ, DE, GR, IL, IT]\n", "")
    )
    code, output = run_cli("batch", str(broken), "-o", str(tmp_path))
    assert code == 1
    line = next(i for i, row in enumerate(broken.read_text().splitlines(), 1) if row == "targets:")
    assert f"{broken}:{line}: targets.countries: unknown country 'Atlantis'" in output
    assert f"{broken}:{line}: targets.offices: unknown office id 'de-berlin-embasy'" in output
    assert not (tmp_path / "targets").exists()
