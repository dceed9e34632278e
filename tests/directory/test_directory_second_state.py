"""A campaign about another sending state (Belarus) works from its own directory file and the
state's names in the strings: PDF, DOCX and TIFF letters carry them; a language without them
falls back to CLDR's name with a warning; the missions commands read both states' files."""

from __future__ import annotations

import csv
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import flat, pdftotext
from lettergen.cli import cli
from lettergen.directory.model import load_directories, load_states

ROOT = Path(__file__).resolve().parents[2]
DIRECTORIES = ROOT / "data" / "directories"
KAZAKHSTAN = DIRECTORIES / "kazakhstan.yaml"
# In a folder of its own: data/directories/ keeps one state, so that commands reading the whole
# folder (lang check's trial countries) see one directory.
BELARUS = DIRECTORIES / "by" / "belarus.yaml"


@pytest.fixture
def both(tmp_path: Path) -> Path:
    """A folder holding the directories of two sending states, as a group may keep them."""
    folder = tmp_path / "directories"
    folder.mkdir()
    shutil.copy(KAZAKHSTAN, folder)
    shutil.copy(BELARUS, folder)
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_belarus_letters_as_pdf_docx_and_tiff(tmp_path: Path) -> None:
    from docx import Document
    from PIL import Image

    code, output = run(
        "batch", "free-bialiatski-2023", "--all", "--format", "pdf,docx,tiff", "-o", str(tmp_path)
    )
    assert code == 0, output
    folder = tmp_path / "free-bialiatski-2023"
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # Only the embassy in Washington has a fax in the example directory.
    assert {row["office_id"] for row in rows} == {"us-washington-embassy"}
    files = {Path(row["file"]).suffix: folder / row["file"] for row in rows}
    assert set(files) == {".pdf", ".docx", ".tiff"}
    text = flat(pdftotext(files[".pdf"]))
    assert "Embassy of the Republic of Belarus" in text
    assert "the authorities of Belarus" in text
    assert "Fax to +1 202 986 1805" in text
    assert "Kazakhstan" not in text
    document = Document(str(files[".docx"]))
    # The addressee block sits in the letter head's table, the prose in paragraphs.
    # Typography binds "of Belarus" with no-break spaces, as in the PDF: compared as words.
    head = [
        " ".join(p.text.split())
        for table in document.tables
        for c in table._cells
        for p in c.paragraphs
    ]
    assert "Embassy of the Republic of Belarus" in head
    body = [" ".join(p.text.split()) for p in document.paragraphs]
    assert any("the authorities of Belarus" in p for p in body)
    with Image.open(files[".tiff"]) as tiff:
        assert tiff.info["compression"] in ("group3", "group4")
        assert tiff.tag_v2[259] in (3, 4)  # Compression: CCITT T.4 / T.6, as faxes take them


@pytest.mark.parametrize(
    ("lang", "office_line", "authorities"),
    [
        ("de", "Botschaft der Republik Belarus", "die Behörden von Belarus"),
        (
            "fr",
            "Ambassade de la République du Bélarus",
            "autorités du Bélarus",
        ),  # les/aux: by wording
    ],
)
def test_the_state_names_in_other_languages(
    tmp_path: Path, lang: str, office_line: str, authorities: str
) -> None:
    out = tmp_path / f"letter-{lang}.pdf"
    code, output = run(
        "render",
        "free-bialiatski-2023",
        "--office",
        "us-washington-embassy",
        "--lang",
        lang,
        "-o",
        str(out),
    )
    assert code == 0, output
    text = flat(pdftotext(out))
    assert office_line in text
    assert authorities in text


def test_a_language_without_the_state_names_uses_cldr(caplog: pytest.LogCaptureFixture) -> None:
    from lettergen.compose.composer import state_names
    from lettergen.language.languages import load_language

    german = load_language("de")
    with caplog.at_level(logging.WARNING):
        names = state_names(german, "UA")
    assert names == {
        "genitive": "Ukraine",
        "name": "Ukraine",
        "short": "Ukraine",
        "short_genitive": "Ukraine",
    }
    assert any("has no names for the sending state UA" in m for m in caplog.messages)
    assert state_names(german, "BY")["genitive"] == "der Republik Belarus"


def test_a_folder_may_hold_both_states(both: Path) -> None:
    from lettergen.errors import DataError

    assert [d.state for d in load_states(both)] == ["BY", "KZ"]
    assert load_directories(both, "by").get("us-washington-embassy").faxes == ("+12029861805",)
    with pytest.raises(DataError, match="several sending states: BY, KZ"):
        load_directories(both)
    code, output = run("missions", "for", "US", "--state", "BY", "--directory", str(both))
    assert code == 0, output
    assert [line.split()[2] for line in output.splitlines()[1:]] == ["us-washington-embassy"]
    # Without --state: each state's offices in turn.
    code, output = run("missions", "for", "US", "--directory", str(both))
    assert output.splitlines()[1].split()[2] == "us-washington-embassy"
    assert "us-new-york-consulate" in output
    code, output = run("missions", "show", "de-berlin-embassy", "--directory", str(both))
    assert code == 1
    assert "office 'de-berlin-embassy' is in the directories of BY, KZ (pass --state)" in output
    code, output = run(
        "missions", "show", "de-berlin-embassy", "--state", "BY", "--directory", str(both)
    )
    assert code == 0, output
    assert "Am Treptower Park 32" in output
    code, output = run("missions", "validate", "--directory", str(both))
    assert code == 0, output
    assert "belarus.yaml:" in output
    assert "kazakhstan.yaml:" in output


def test_the_belarus_directory_validates() -> None:
    code, output = run("missions", "validate", "--directory", str(BELARUS), "--strict")
    # Four embassies without a known fax: warnings, so --strict fails, but no errors.
    assert code == 1
    assert output.count(": no-fax: ") == 4
    assert "0 errors, 4 warnings" in output
