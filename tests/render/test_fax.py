"""Fax images (TIFF Class F), the cover sheet and `fax check`.

The TIFFs are read back twice, by Pillow and by libtiff's own tiffinfo; legibility is measured
against poppler's rendering of the same PDF page, without OCR.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageFilter, ImageOps, ImageStat

from conftest import FIXTURES
from lettergen.cli import cli
from lettergen.render import tiff as fax
from lettergen.render.checks import CODES, check_file

DIRECTORY = FIXTURES / "routing-offices.yaml"
A4_FINE_ROWS = 2291  # 297 mm at 196 lines per inch, rounded down: never longer than the page
LETTER_FINE_ROWS = 2156  # 11 in × 196


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def render_pdf(tmp: Path, office: str, *extra: str) -> Path:
    out = tmp / f"{office}.pdf"
    code, output = run_cli(
        "render", "free-zhanusov-2002", "--office", office, "--directory", str(DIRECTORY),
        "-o", str(out), *extra,
    )  # fmt: skip
    assert code == 0, output
    return out


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Two letter PDFs: A4 (Brussels, one page) and US Letter with a cover (Washington)."""
    tmp = tmp_path_factory.mktemp("letters")
    return {
        "a4": render_pdf(tmp, "be-brussels-embassy").read_bytes(),
        "letter-cover": render_pdf(tmp, "us-washington-embassy", "--cover").read_bytes(),
    }


@pytest.fixture(scope="module")
def faxed_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole batch with cover sheets, as PDF and TIFF."""
    out = tmp_path_factory.mktemp("batch")
    code, output = run_cli(
        "batch", "free-zhanusov-2002", "--all", "--format", "pdf,tiff", "--cover",
        "--directory", str(DIRECTORY), "-o", str(out),
    )  # fmt: skip
    assert code == 0, output
    return out / "free-zhanusov-2002"


def frames(data: bytes) -> Iterator[Image.Image]:
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            yield image


def first_page(data: bytes) -> Image.Image:
    """The first page of a TIFF, as "L" (0 black, 255 white)."""
    return next(page.convert("L") for page in frames(data))


def pdf_pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


# --- the tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "compression", "y_dpi", "rows"),
    [("fine", "g3", 196, A4_FINE_ROWS), ("standard", "g4", 98, 1145)],
)
def test_tiff_tags_read_back_with_pillow(
    letters: dict[str, bytes], resolution: str, compression: str, y_dpi: int, rows: int
) -> None:
    tiff = fax.pdf_to_tiff(letters["a4"], resolution=resolution, compression=compression)
    assert tiff.pages == pdf_pages(letters["a4"])
    seen = 0
    for index, page in enumerate(frames(tiff.data)):
        tags = page.tag_v2
        assert page.mode == "1"
        assert page.size == (1728, rows)
        assert tags[254] == 2  # NewSubfileType: a page of a multi-page document
        assert tags[258] in (1, (1,)) and tags[277] == 1  # BitsPerSample, SamplesPerPixel
        assert tags[259] == {"g3": 3, "g4": 4}[compression]
        assert tags[262] == 0  # WhiteIsZero
        assert tags[266] == 1  # FillOrder
        assert tags[278] == rows and len(tags[273]) == 1  # one strip
        assert (float(tags[282]), float(tags[283]), tags[296]) == (204.0, y_dpi, 2)
        assert tags[297] == (index, tiff.pages)
        if compression == "g3":
            assert tags[292] == 0  # T4Options: 1-D, no fill bits
        else:
            assert tags[293] == 0
        seen += 1
    assert seen == tiff.pages


def test_tiffinfo_reads_the_class_f_tags(letters: dict[str, bytes], tmp_path: Path) -> None:
    if shutil.which("tiffinfo") is None:
        pytest.fail("tiffinfo (libtiff-tools) is not installed: run 'make install'")
    path = tmp_path / "letter.tiff"
    tiff = fax.pdf_to_tiff(letters["letter-cover"])
    path.write_bytes(tiff.data)
    result = subprocess.run(["tiffinfo", "-D", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr  # data decodes
    directories = result.stdout.split("=== TIFF directory")[1:]
    assert len(directories) == tiff.pages == pdf_pages(letters["letter-cover"]) >= 2
    for index, text in enumerate(directories):
        for line in (
            "Subfile Type: multi-page document (2 = 0x2)",
            f"Image Width: 1728 Image Length: {LETTER_FINE_ROWS}",
            "Resolution: 204, 196 pixels/inch",
            "Bits/Sample: 1",
            "Compression Scheme: CCITT Group 3",
            "Photometric Interpretation: min-is-white",
            "FillOrder: msb-to-lsb",
            "Samples/Pixel: 1",
            f"Rows/Strip: {LETTER_FINE_ROWS}",
            f"Page Number: {index}-{tiff.pages}",
            "Group 3 Options: (0 = 0x0)",
        ):
            assert line in text, (line, text)


def test_hylafax_tiffcheck_sends_our_files_as_they_are(
    letters: dict[str, bytes], tmp_path: Path
) -> None:
    tiffcheck = shutil.which("tiffcheck") or "/usr/lib/hylafax/bin/tiffcheck"
    if not Path(tiffcheck).exists():
        pytest.skip("HylaFAX's tiffcheck is not installed (Debian hylafax-server)")
    for resolution, compression, args in (
        ("fine", "g3", ["-r", "196"]),
        ("standard", "g3", ["-r", "98"]),
        ("fine", "g4", ["-3", "-r", "196"]),
    ):
        path = tmp_path / f"{resolution}-{compression}.tiff"
        path.write_bytes(
            fax.pdf_to_tiff(letters["a4"], resolution=resolution, compression=compression).data
        )
        result = subprocess.run([tiffcheck, *args, str(path)], capture_output=True, text=True)
        assert result.stdout.strip() == "OK", result.stdout


def test_same_pdf_same_bytes(letters: dict[str, bytes]) -> None:
    assert fax.pdf_to_tiff(letters["a4"]).data == fax.pdf_to_tiff(letters["a4"]).data


def test_unknown_settings_are_errors(letters: dict[str, bytes]) -> None:
    from lettergen.errors import RenderError

    with pytest.raises(RenderError, match="resolution 'superfine'"):
        fax.pdf_to_tiff(letters["a4"], resolution="superfine")
    with pytest.raises(RenderError, match="cannot read the PDF"):
        fax.pdf_to_tiff(b"%PDF-1.7 not really")


# --- legibility -----------------------------------------------------------------------------

GRID = 432  # pixels across the comparison grid: a quarter of the fax line, about 52 dpi
MIN_CORRELATION = 0.85
INK_RATIO = (0.85, 1.2)  # the fax page's ink against the PDF's, thinner or bolder than this fails


def reference(pdf: bytes, page: int) -> Image.Image:
    """Poppler's grey rendering of one page at 300 dpi: another renderer than ours."""
    png = subprocess.run(
        ["pdftoppm", "-gray", "-r", "300", "-f", str(page), "-l", str(page), "-png", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def correlation(a: Image.Image, b: Image.Image) -> float:
    mean_a, mean_b = ImageStat.Stat(a).mean[0], ImageStat.Stat(b).mean[0]
    pairs = zip(a.tobytes(), b.tobytes(), strict=True)
    covariance = sum((x - mean_a) * (y - mean_b) for x, y in pairs)
    spread = math.sqrt(ImageStat.Stat(a).var[0] * ImageStat.Stat(b).var[0]) * a.width * a.height
    return covariance / spread if spread else 0.0


def legibility(page: Image.Image, ref: Image.Image) -> tuple[float, float, float]:
    """(grey share, correlation, ink ratio) of a fax page ("L", 0 black) against the reference.

    Grey share: pixels neither black nor white; a fax has none. Correlation: both pages
    box-filtered onto the same grid; an inverted page gives about -1, a page scaled or shifted by
    a few millimetres puts its lines where the reference has gaps. Ink ratio: broken strokes lose
    ink, bled-together letters gain it.
    """
    histogram = page.histogram()
    grey = sum(histogram[1:255]) / (page.width * page.height)
    size = (GRID, round(GRID * ref.height / ref.width))
    small, small_ref = (img.resize(size, Image.Resampling.BOX) for img in (page, ref))
    ink = 1 - ImageStat.Stat(page).mean[0] / 255
    ink_ref = 1 - ImageStat.Stat(ref).mean[0] / 255
    return grey, correlation(small, small_ref), ink / ink_ref


def is_legible(page: Image.Image, ref: Image.Image) -> bool:
    grey, corr, ink = legibility(page, ref)
    return grey == 0 and corr >= MIN_CORRELATION and INK_RATIO[0] <= ink <= INK_RATIO[1]


@pytest.mark.parametrize("name", ["a4", "letter-cover"])
@pytest.mark.parametrize("resolution", ["fine", "standard"])
def test_every_fax_page_reads_like_the_pdf(
    letters: dict[str, bytes], name: str, resolution: str
) -> None:
    pdf = letters[name]
    tiff = fax.pdf_to_tiff(pdf, resolution=resolution)
    for number, page in enumerate(frames(tiff.data), start=1):
        grey, corr, ink = legibility(page.convert("L"), reference(pdf, number))
        assert grey == 0
        assert corr >= MIN_CORRELATION, (number, corr)
        assert INK_RATIO[0] <= ink <= INK_RATIO[1], (number, ink)


def test_legibility_rejects_inverted_grey_misscaled_and_badly_thresholded_pages(
    letters: dict[str, bytes],
) -> None:
    pdf = letters["a4"]
    ref = reference(pdf, 1)
    good = first_page(fax.pdf_to_tiff(pdf).data)
    assert is_legible(good, ref)
    grey = next(fax.grey_pages(pdf, 196))  # the render before thresholding
    shrunk = Image.new("L", good.size, 255)  # the page at 95 %, as a careless mapping makes it
    smaller = good.resize((round(good.width * 0.95), round(good.height * 0.95)))
    shrunk.paste(smaller.point(lambda v: 255 if v >= 128 else 0), (0, 0))
    shifted = Image.new("L", good.size, 255)  # 5 mm to the right
    shifted.paste(good, (40, 0))
    bad = {
        "inverted": ImageOps.invert(good),
        "grey": grey,
        "shrunk": shrunk,
        "shifted": shifted,
        "bled": good.filter(ImageFilter.MinFilter(3)),  # every stroke a pixel bolder all round
        "broken": good.filter(ImageFilter.MaxFilter(3)),  # every stroke a pixel thinner
        "threshold-too-low": grey.point(lambda v: 255 if v >= 40 else 0),
    }
    for name, image in bad.items():
        assert not is_legible(image, ref), (name, legibility(image, ref))


def test_hairlines_survive_standard_resolution(letters: dict[str, bytes]) -> None:
    """The fax notice's two 0.5 pt rules are less than a pixel high at 98 lines per inch; they
    must stay unbroken lines."""
    tiff = fax.pdf_to_tiff(letters["a4"], resolution="standard")
    page = first_page(tiff.data)
    rows = [
        y for y in range(page.height) if page.crop((0, y, page.width, y + 1)).histogram()[0] > 1200
    ]
    groups = [y for i, y in enumerate(rows) if i == 0 or rows[i - 1] != y - 1]
    assert len(groups) == 2, rows


# --- cover sheet and page counts ------------------------------------------------------------


def test_cover_sheet_page_counts_agree_everywhere(faxed_batch: Path) -> None:
    with (faxed_batch / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        path = faxed_batch / row["file"]
        pages = int(row["pages"])
        if row["format"] == "tiff":
            assert sum(1 for _ in frames(path.read_bytes())) == pages
            continue
        pdf = path.read_bytes()
        assert pdf_pages(pdf) == pages
        cover = _page_text(pdf, 1)
        assert re.search(rf"Pages\s+{pages} \(including this cover sheet\)", cover), cover
        assert "To" in cover and "From" in cover and "Re" in cover
        for number in range(1, pages + 1):
            assert f"Page {number} of {pages}" in _page_text(pdf, number)
    by_office: dict[str, set[str]] = {}
    for row in rows:
        by_office.setdefault(row["office_id"], set()).add(row["pages"])
    assert all(len(counts) == 1 for counts in by_office.values()), by_office


def _page_text(pdf: bytes, page: int) -> str:
    result = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def test_cover_sheet_lists_to_fax_from_date_pages_re(letters: dict[str, bytes]) -> None:
    pages = pdf_pages(letters["letter-cover"])
    text = " ".join(_page_text(letters["letter-cover"], 1).split())
    assert "Fax To H.E. the Ambassador of the Republic of Kazakhstan" in text
    assert "Fax +1 202 232 5845" in text
    assert "From" in text and "E-mail" in text
    assert "Date 7 September 2002" in text
    assert f"Pages {pages} (including this cover sheet)" in text
    assert f"Page 1 of {pages}" in text


def test_no_cover_unless_asked(letters: dict[str, bytes]) -> None:
    assert "cover sheet" not in _page_text(letters["a4"], 1)


# --- fax check ------------------------------------------------------------------------------


def test_every_file_a_batch_writes_passes_fax_check(faxed_batch: Path) -> None:
    files = sorted(str(p) for p in faxed_batch.rglob("*") if p.suffix in (".pdf", ".tiff"))
    assert len(files) >= 10
    code, output = run_cli("fax", "check", *files)
    assert code == 0, output
    lines = [line for line in output.splitlines() if line != f"{len(files)} files, 0 errors"]
    assert len(lines) == len(files) and all(": ok (" in line for line in lines), output


def test_fax_check_reports_a_plain_pillow_tiff(tmp_path: Path) -> None:
    path = tmp_path / "plain.tiff"
    image = Image.new("1", (1728, 2291), 1)
    image.paste(0, (300, 600, 1200, 640))
    image.save(path, compression="group3", dpi=(204, 196))  # Pillow's defaults: 1 = white
    code, output = run_cli("fax", "check", str(path))
    assert code == 1
    assert f"{path}: page 1: error: tiff-photometric: PhotometricInterpretation 1, not 0" in output
    assert "error: tiff-strips: 8 strips, not 1 (RowsPerStrip = page length)" in output
    assert "warning: tiff-subfile-type: NewSubfileType missing, not 2" in output
    assert "warning: tiff-page-number: PageNumber missing, not (0, 1)" in output


def test_fax_check_reports_what_a_fax_loses(tmp_path: Path) -> None:
    import weasyprint

    html = """<html><head><style>
      @page { size: A4; margin: 10mm 3mm 20mm 20mm;
              @top-left { content: "Page " counter(page) " of 7"; } }
      body { font: 11pt 'Liberation Sans'; }
      .grey { color: #888; font-size: 30pt; }
      .small { font-size: 5pt; }
    </style></head><body>
      <p>Text at the very top, and a line running to the right edge of the paper, past any margin
      a fax keeps; more words, more words, more words.</p>
      <div style="border-top: 1pt solid black"></div>
      <p class="grey">Grey words</p><p class="small">tiny print</p>
    </body></html>"""
    path = tmp_path / "bad.pdf"
    path.write_bytes(weasyprint.HTML(string=html).write_pdf())
    codes = {(f.place.field, f.code) for f in check_file(path).findings}
    page_1 = {("page 1", code) for code in ("ink-top", "ink-edge", "pdf-grey")}
    assert page_1 | {(None, "text-too-small")} <= codes  # None: the whole file
    assert ("page 1", "page-label") in codes  # "Page 1 of 7" on a one-page PDF
    code, output = run_cli("fax", "check", str(path))
    assert code == 1
    assert (
        f"{path}: page 1: error: page-label: the header says page 1 of 7; this is page 1 of 1"
        in output
    )


def test_unreadable_files_are_findings(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    code, output = run_cli("fax", "check", str(path), str(tmp_path / "missing.pdf"))
    assert code == 1
    assert f"{path}: error: unreadable: neither a PDF nor a TIFF" in output
    assert "missing.pdf: error: unreadable: cannot read the file" in output


def test_codes_have_severities_and_help() -> None:
    assert all(severity in ("error", "warning") for severity, _ in CODES.values())
    code, output = run_cli("fax", "check", "--help")
    assert code == 0 and "Page x of N" in output
    for command in ("batch", "render"):
        code, output = run_cli(command, "--help")
        assert (
            "--cover" in output and "--fax-resolution" in output and "--fax-compression" in output
        )


def test_fax_check_reports_a_truncated_tiff(faxed_batch: Path, tmp_path: Path) -> None:
    tiff = next(faxed_batch.rglob("*.tiff"))
    data = tiff.read_bytes()
    broken = tmp_path / "broken.tiff"
    broken.write_bytes(data[: int(len(data) * 0.9)])
    result = CliRunner().invoke(cli, ["fax", "check", str(broken)])
    assert result.exit_code == 1
    assert "unreadable" in result.output
    assert "Traceback" not in result.output
