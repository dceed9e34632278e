"""Joint letters (batch --joint): one letter per office, every signatory listed exactly once,
page counts right in the header, the TIFF and the manifest; the same list in the DOCX."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, pdftotext
from lettergen.cli import cli
from lettergen.language.languages import language
from lettergen.paths import templates_dir

NAME = "free-zhanusov-2002"
OFFICES = "de-berlin-embassy,it-rome-embassy"


def signers_file(folder: Path, count: int) -> tuple[Path, list[str]]:
    """A signers CSV of `count` people (some with an organisation, some with Cyrillic names);
    returns it and each signer's name."""
    path = folder / "signers.csv"
    names = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "organisation", "city", "country"])
        for i in range(count):
            name = f"Анна Смирнова {i}" if i % 7 == 3 else f"Supporter Number {i}"
            organisation = "Metalworkers Local 12" if i % 3 == 0 else ""
            writer.writerow([name, organisation, "Bristol", "GB" if i % 2 else ""])
            names.append(name)
    return path, names


def batch(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["batch", NAME, "-o", str(tmp_path / "out"), "-j", "1", *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def manifest(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out" / NAME / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]


def mentioned(text: str, names: list[str]) -> dict[str, int]:
    """How often each name appears ("Supporter Number 1" not counted in "… Number 12")."""
    flat = " ".join(text.split())
    return {name: len(re.findall(rf"{re.escape(name)}(?!\d)", flat)) for name in names}


def listed(text: str, names: list[str]) -> dict[str, int]:
    """How often each name opens an entry "N. Name, …" of the list."""
    entries = re.findall(r"^\d+\. (.+?)(?:,|$)", text, re.M)
    return {name: entries.count(name) for name in names}


@pytest.fixture(scope="module")
def joint_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("joint")
    signers, names = signers_file(folder, 150)
    code, output = batch(
        folder, "--offices", OFFICES, "--signers", str(signers), "--joint",
        "--format", "pdf,docx,tiff",
    )  # fmt: skip
    assert code == 0, output
    return folder, names


def test_one_letter_per_office_lists_every_signatory_once(joint_batch) -> None:  # type: ignore[no-untyped-def]
    folder, names = joint_batch
    rows = manifest(folder)
    assert sorted({row["office_id"] for row in rows}) == sorted(OFFICES.split(","))
    pdfs = [folder / "out" / NAME / row["file"] for row in rows if row["format"] == "pdf"]
    assert [p.name for p in pdfs] == ["de-berlin-embassy--joint.pdf", "it-rome-embassy--joint.pdf"]
    for pdf in pdfs:
        text = pdftotext(pdf)
        assert "The undersigned (150)" in text
        assert "on behalf of the 150 undersigned" in text
        assert listed(text, names) == {name: 1 for name in names}
        # A country given as a code is named; the organisation follows the name.
        flat = " ".join(text.split())
        assert "Supporter Number 1, Bristol, United Kingdom" in flat
        assert "Supporter Number 9, Metalworkers Local 12, Bristol, United Kingdom" in flat


def test_page_counts_agree_in_header_tiff_and_manifest(joint_batch) -> None:  # type: ignore[no-untyped-def]
    folder, _ = joint_batch
    rows = {(row["office_id"], row["format"]): row for row in manifest(folder)}
    for office in OFFICES.split(","):
        pdf = folder / "out" / NAME / rows[office, "pdf"]["file"]
        pages = pdf_pages(pdf)
        assert pages >= 3, "150 signatories take more than the letter's page"
        assert int(rows[office, "pdf"]["pages"]) == pages
        assert int(rows[office, "tiff"]["pages"]) == pages
        assert int(rows[office, "docx"]["pages"]) == pages
        headers = re.findall(r"Page (\d+) of (\d+)", pdftotext(pdf))
        assert headers == [(str(n), str(pages)) for n in range(1, pages + 1)]


def test_docx_lists_the_same_signatories_in_two_columns(joint_batch) -> None:  # type: ignore[no-untyped-def]
    folder, names = joint_batch
    path = folder / "out" / NAME / "en" / "de-berlin-embassy--joint.docx"
    document = docx.Document(str(path))
    entries = [p.text for p in document.paragraphs if p.style.name == "Signatory"]
    assert [entry.split(",")[0] for entry in entries] == names
    headings = [p.text for p in document.paragraphs if p.style.name == "Signatories Heading"]
    assert headings == ["The undersigned (150)"]
    # The list's section (the document's last) has two columns and starts on the same page.
    body = document.element.body
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    last = body[-1]
    assert last.find("w:cols", ns).get(f"{{{ns['w']}}}num") == "2"
    assert last.find("w:type", ns).get(f"{{{ns['w']}}}val") == "continuous"
    # The letter's own section keeps the running header.
    letter_section = body.findall(".//w:pPr/w:sectPr", ns)[-1]
    assert letter_section.find("w:headerReference", ns) is not None


@pytest.mark.office
def test_libreoffice_reads_the_docx_list_whole(joint_batch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import soffice_to_pdf

    folder, names = joint_batch
    source = folder / "out" / NAME / "en" / "de-berlin-embassy--joint.docx"
    (converted,) = soffice_to_pdf([source], tmp_path).values()
    text = pdftotext(converted)
    # LibreOffice's list numbers come out of pdftotext apart from their lines: count names.
    assert mentioned(text, names) == {name: 1 for name in names}
    assert "Page 1 of" in text


def test_every_language_names_the_undersigned(tmp_path: Path) -> None:
    signers, _ = signers_file(tmp_path, 3)
    for code in ("en", "de", "fr", "es", "ru", "ar"):
        strings = language(code, templates_dir())
        heading = strings.string("joint.heading", count="3")
        behalf = strings.string("joint.on_behalf", count="3")
        # The seed campaign has no Arabic texts; the right-to-left test campaign has.
        campaign = str(FIXTURES / "campaign-ar.yaml") if code == "ar" else NAME
        result = CliRunner().invoke(
            cli,
            ["batch", campaign, "-o", str(tmp_path / "out"), "-j", "1", "--offices",
             "de-berlin-embassy", "--signers", str(signers), "--joint", "--lang", code],
            catch_exceptions=False,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        folder = tmp_path / "out" / Path(campaign).stem / code
        text = pdftotext(folder / "de-berlin-embassy--joint.pdf")
        # pdftotext wraps right-to-left text in bidi controls and mirrors its brackets:
        # compare words.
        words = set(re.sub(r"[\u202a-\u202e\u2066-\u2069()]", " ", text).split())
        for wanted in (heading, behalf):
            assert set(re.sub(r"[()]", " ", wanted).split()) <= words, (code, wanted)


def test_a_short_list_stays_in_one_column_on_the_letters_page(tmp_path: Path) -> None:
    signers, names = signers_file(tmp_path, 5)
    code, output = batch(
        tmp_path, "--offices", "de-berlin-embassy", "--signers", str(signers), "--joint"
    )
    assert code == 0, output
    pdf = tmp_path / "out" / NAME / "en" / "de-berlin-embassy--joint.pdf"
    text = pdftotext(pdf, layout=True)
    # One column: each entry on a line of its own.
    for number, name in enumerate(names, 1):
        assert re.search(rf"^\s*{number}\. {re.escape(name)}\b[^\n]*$", text, re.M), name
    assert "Written 1," in output


def test_joint_needs_signers(tmp_path: Path) -> None:
    code, output = batch(tmp_path, "--offices", "de-berlin-embassy", "--joint")
    assert code == 1
    assert "--joint needs --signers" in output
    assert not (tmp_path / "out").exists()


def test_the_cover_counts_every_page_of_the_list(tmp_path: Path) -> None:
    signers, _ = signers_file(tmp_path, 150)
    code, output = batch(
        tmp_path, "--offices", "de-berlin-embassy", "--signers", str(signers), "--joint", "--cover"
    )
    assert code == 0, output
    pdf = tmp_path / "out" / NAME / "en" / "de-berlin-embassy--joint.pdf"
    pages = pdf_pages(pdf)
    assert pages >= 4
    first = pdftotext(pdf).split("\f")[0]
    assert f"{pages} (including this cover sheet)" in first
