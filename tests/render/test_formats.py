"""The format registry: one entry and one writer module make a new format everywhere (the
command line, the pipeline, the manifest), and writer code is fingerprinted from its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import pdftotext
from lettergen.cli import cli
from lettergen.compose.letter import Letter
from lettergen.errors import LettergenError
from lettergen.render import formats
from lettergen.render.formats import Format, Output, WriteSettings


def write_txt(letter: Letter, pdf: object, settings: WriteSettings) -> Output:
    """A writer of the test's own format: the PDF's text, so it is made from the PDF."""
    text = pdftotext(pdf.data)  # type: ignore[attr-defined]
    return Output("txt", text.encode(), text.count("\f"), "pdf")


TXT = Format(
    "txt",
    "txt",
    f"{__name__}:write_txt",
    __name__,
    "the letter's text",
    derived_from="pdf",
)


def test_a_format_is_one_registry_entry_and_one_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(formats.REGISTRY, "txt", TXT)
    result = CliRunner().invoke(
        cli,
        ["batch", "free-zhanusov-2002", "--offices", "de-berlin-embassy", "--format", "txt,pdf",
         "-o", str(tmp_path)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "free-zhanusov-2002"
    rows = json.loads((folder / "manifest.json").read_text())["letters"]
    assert [(r["format"], r["file"]) for r in rows] == [
        ("txt", "en/de-berlin-embassy.txt"),
        ("pdf", "en/de-berlin-embassy.pdf"),
    ]
    text = (folder / "en" / "de-berlin-embassy.txt").read_text()
    assert "Fax to +49 30 47007125" in " ".join(text.split())
    assert text == pdftotext(folder / "en" / "de-berlin-embassy.pdf")


def test_an_unknown_format_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["batch", "free-zhanusov-2002", "--format", "pdf,png"])
    assert result.exit_code == 2
    assert "unknown format(s) png (choose from pdf, docx, tiff)" in result.output


def test_writer_code_is_hashed_from_the_modules_it_imports() -> None:
    docx = formats._writer_modules(formats.get("docx").code)
    assert "lettergen.render.docx" in docx
    assert "lettergen.render.fonts" in docx  # imported by the writer, so part of its code
    tiff = formats.code_fingerprint("tiff")
    assert tiff != formats.code_fingerprint("pdf")


def test_a_writer_module_that_cannot_be_read_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = Format("gone", "gone", "lettergen.render.gone:write", "lettergen.render.gone", "-")
    monkeypatch.setitem(formats.REGISTRY, "gone", gone)
    formats.code_fingerprint.cache_clear()
    with pytest.raises(
        LettergenError, match=r"the writer module lettergen\.render\.gone cannot be"
    ):
        formats.code_fingerprint("gone")


def test_the_pdf_fingerprint_follows_the_stamped_path_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A drive's PDFs are stamped (render.stamp), so a change there must re-render them."""
    import inspect

    from lettergen.render import stamp

    formats.code_fingerprint.cache_clear()
    before = formats.code_fingerprint("pdf")
    real = formats._source
    changed = inspect.getsource(stamp) + "\n# changed\n"
    monkeypatch.setattr(
        formats, "_source", lambda name: changed if name == "lettergen.render.stamp" else real(name)
    )
    formats.code_fingerprint.cache_clear()
    try:
        assert formats.code_fingerprint("pdf") != before
    finally:
        formats.code_fingerprint.cache_clear()
