"""Shared fixtures: the shipped campaign and directory, and readers for what we write."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Property and fuzz tests explore new inputs on every developer run; where CI is set (CI
# services set it) they replay the same examples, so a merge is judged on the code, not on
# the luck of the draw. Run them without CI to go looking for new failures.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DIRECTORY = ROOT / "data" / "directories" / "kazakhstan.yaml"
SEED_CAMPAIGN = ROOT / "data" / "campaigns" / "free-zhanusov-2002.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pdftotext(source: Path | bytes, *, layout: bool = False) -> str:
    """The text of a PDF as poppler's pdftotext reads it (what a recipient's tools see)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is not installed: run 'make install'")
    args = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8"]
    if isinstance(source, bytes):
        result = subprocess.run([*args, "-", "-"], input=source, capture_output=True, check=True)
    else:
        result = subprocess.run([*args, str(source), "-"], capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def pdffonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table as rows: name, type, emb (yes/no)."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type... encoding emb sub uni id gen: emb is the 5th field from the end
        rows.append({"name": parts[0], "emb": parts[-5], "line": line})
    return rows


def flat(text: str) -> str:
    """Text with all runs of whitespace made one space: lines wrap differently per page size."""
    return " ".join(text.split())


def plain(text: str) -> str:
    """Text as typed, before the letter's typography: non-breaking spaces as spaces, the
    typographic apostrophe as a straight one (quotation marks stay the language's)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


@pytest.fixture(scope="session")
def campaign():  # type: ignore[no-untyped-def]
    from lettergen import campaign as campaigns

    return campaigns.load(SEED_CAMPAIGN)


@pytest.fixture(scope="session")
def directory():  # type: ignore[no-untyped-def]
    from lettergen.directory.model import load_directories

    return load_directories(SHIPPED_DIRECTORY)


def soffice_to_pdf(paths: list[Path], outdir: Path) -> dict[Path, Path]:
    """Convert documents with LibreOffice in ONE headless call (startup costs seconds), using a
    profile of its own under outdir so parallel test runs do not share one."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    profile = (outdir / "lo-profile").resolve().as_uri()
    args = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf"]
    command = [*args, "--outdir", str(outdir), *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    pdfs = {path: outdir / f"{path.stem}.pdf" for path in paths}
    missing = [str(path) for path, pdf in pdfs.items() if not pdf.exists()]
    assert not missing, f"soffice did not convert {missing}: {result.stdout}{result.stderr}"
    return pdfs
