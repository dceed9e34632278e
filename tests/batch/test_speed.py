"""Batch speed without timing anything: split letters equal letters rendered alone, workers
change nothing, and an incremental rerun rebuilds exactly what changed."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, pdffonts, pdftotext
from lettergen.batch import run as batch
from lettergen.cli import cli
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.render.pdf import render_pdfs

OFFICES = ["de-berlin-embassy", "us-washington-embassy", "ru-moscow-embassy", "eg-cairo-embassy"]


def _letters(campaign, directory):  # type: ignore[no-untyped-def]
    long_case = "\n\n".join([campaign.case["en"]] * 3)
    longer = dataclasses.replace(campaign, case={**campaign.case, "en": long_case})
    letters = [
        compose_letter(
            campaign, Recipient(directory.get(o), directory.get(o).country), lang="en", state="KZ"
        )
        for o in OFFICES
    ]
    office = directory.get("it-rome-embassy")
    letters.insert(2, compose_letter(longer, Recipient(office, "IT"), lang="en", state="KZ"))
    return letters


def test_letters_split_from_a_chunk_equal_letters_rendered_alone(
    campaign, directory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    letters = _letters(campaign, directory)
    together = list(render_pdfs(letters, chunk=len(letters)))
    alone = [next(render_pdfs([letter], chunk=1)) for letter in letters]
    assert [r.pages for r in together] == [r.pages for r in alone]
    assert together[2].pages >= 2  # a long letter keeps its own "Page x of N"
    for index, (one, other) in enumerate(zip(together, alone, strict=True)):
        assert pdftotext(one.data) == pdftotext(other.data)
        path = tmp_path / f"{index}.pdf"
        path.write_bytes(one.data)
        fonts = pdffonts(path)
        assert fonts and all(row["emb"] == "yes" for row in fonts)
    text = pdftotext(together[2].data)
    assert f"Page {together[2].pages} of {together[2].pages}" in text


def test_chunked_pdfs_are_byte_identical_across_runs(campaign, directory) -> None:  # type: ignore[no-untyped-def]
    letters = _letters(campaign, directory)
    first = [r.data for r in render_pdfs(letters, chunk=3)]
    second = [r.data for r in render_pdfs(letters, chunk=3)]
    assert first == second


def test_workers_write_the_same_files_in_the_same_order(tmp_path: Path) -> None:
    work = batch.prepare(SEED_CAMPAIGN, everyone=True)
    one = batch.run(work, output=tmp_path / "one", workers=1)
    two = batch.run(work, output=tmp_path / "two", workers=2)
    assert [(r.file, r.sha256) for r in one.rows] == [(r.file, r.sha256) for r in two.rows]
    assert len(one.rows) == 48


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["batch", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _hashes(folder: Path) -> dict[str, str]:
    document = json.loads((folder / "manifest.json").read_text())
    return {row["office_id"]: row["sha256"] for row in document["letters"]}


def test_a_rerun_rebuilds_exactly_what_changed(tmp_path: Path) -> None:
    data = tmp_path / "campaign.yaml"
    shutil.copy(SEED_CAMPAIGN, data)
    out = tmp_path / "out"
    args = [
        str(data),
        "--lang",
        "auto",
        "--offices",
        "de-berlin-embassy,fr-paris-embassy,it-rome-embassy",
    ]
    args += ["-o", str(out), "--jobs", "1"]
    assert "Written 3, unchanged 0" in _run(*args)
    folder = out / "campaign"
    before = _hashes(folder)

    assert "Written 0, unchanged 3" in _run(*args)
    assert _hashes(folder) == before

    # A German demand changes: only the German letter contains it.
    text = data.read_text()
    data.write_text(
        text.replace(
            "- Saken Zhanusov unverzüglich freilassen.", "- Saken Zhanusov sofort freilassen.", 1
        )
    )
    assert data.read_text() != text, "the German demand to change is in the campaign"
    output = _run(*args)
    assert "Written 1, unchanged 2" in output
    after = _hashes(folder)
    assert after["de-berlin-embassy"] != before["de-berlin-embassy"]
    assert {k: v for k, v in after.items() if k != "de-berlin-embassy"} == {
        k: v for k, v in before.items() if k != "de-berlin-embassy"
    }
    assert "Saken Zhanusov sofort freilassen." in pdftotext(folder / "de" / "de-berlin-embassy.pdf")

    assert "Written 3, unchanged 0" in _run(*args, "--force")


def test_a_rerun_removes_what_it_no_longer_makes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    offices = "de-berlin-embassy,it-rome-embassy"
    _run(SEED_CAMPAIGN.as_posix(), "--offices", offices, "--format", "pdf,tiff", "-o", str(out))
    folder = out / "free-zhanusov-2002"
    assert (folder / "en" / "it-rome-embassy.tiff").exists()
    output = _run(
        SEED_CAMPAIGN.as_posix(), "--offices", "de-berlin-embassy", "--lang", "auto", "-o", str(out)
    )
    assert "Removed 4 file(s) of the last run" in output
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == ["de/de-berlin-embassy.pdf", "manifest.csv", "manifest.json"]
    assert [
        row["file"] for row in json.loads((folder / "manifest.json").read_text())["letters"]
    ] == ["de/de-berlin-embassy.pdf"]
