"""Is a file ready to fax? Checks for letter PDFs and fax TIFFs, as findings with stable codes.

What a fax does to a page, and so what is checked:

- The receiving machine prints its own line (sender, time, page) over the top 15 mm, and most
  machines lose a few millimetres at every edge: no ink may sit in the top 15 mm or within 7 mm
  of the other edges (our running header sits between 15 and 30 mm, which is allowed).
- A fax is black and white: grey turns into white or black, colour into either (PDFs only; a
  TIFF is bilevel by the tags).
- Small type closes up at 8 × 7.7 dots per mm: the smallest text size is reported, with a
  warning under 8 pt and an error under 6 pt (PDFs; a TIFF holds no text).
- Pages must be all there: each PDF page's "Page x of N" header agrees with its place and the
  page count; each TIFF page's PageNumber tag likewise.
- A TIFF must be what fax servers send without converting it: TIFF Class F (RFC 2306), as
  pdf_to_tiff writes it (fax.py).

The codes are a promise to other tools: add codes, never rename them. A finding's place is the
file and, for one page's finding, "page N" (lettergen.findings).
"""

from __future__ import annotations

import ctypes
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from lettergen.errors import Place
from lettergen.findings import ERROR, WARNING, Codes, Finding
from lettergen.findings import finding_line as finding_line  # what `fax check` prints
from lettergen.render import tiff as fax

#: Every code the checks report, with its severity and meaning (README, "Faxing").
CODES = Codes(
    {
        "unreadable": (ERROR, "the file is not a PDF or TIFF that can be read"),
        "ink-top": (ERROR, "ink in the top 15 mm, where the receiving fax prints its own line"),
        "ink-edge": (ERROR, "ink within 7 mm of the left, right or bottom edge, which faxes lose"),
        "pdf-grey": (ERROR, "grey text or areas, which a fax turns into white or black"),
        "pdf-colour": (WARNING, "colour, which a fax sends as black or white"),
        "text-too-small": (ERROR, "text under 6 pt, unreadable after faxing"),
        "text-small": (WARNING, "text under 8 pt, hard to read after faxing"),
        "page-label-missing": (WARNING, "no 'Page x of N' in the page header"),
        "page-label": (ERROR, "the header's 'Page x of N' disagrees with the page or page count"),
        "tiff-width": (ERROR, "the page is not 1728 pixels wide"),
        "tiff-resolution": (ERROR, "the resolution is not 204 × 196 or 204 × 98 dots per inch"),
        "tiff-bilevel": (ERROR, "the page is not 1 bit per pixel"),
        "tiff-photometric": (ERROR, "PhotometricInterpretation is not 0 (WhiteIsZero)"),
        "tiff-compression": (ERROR, "the compression is not CCITT Group 3 or Group 4"),
        "tiff-2d": (WARNING, "Group 3 with 2-D coding or fill bits (T4Options not 0)"),
        "tiff-strips": (ERROR, "the page is in more than one strip"),
        "tiff-page-length": (ERROR, "the page is longer than A4 + 30 mm"),
        "tiff-subfile-type": (WARNING, "NewSubfileType is not 2 (page of a multi-page document)"),
        "tiff-page-number": (WARNING, "PageNumber is missing or not (page, pages)"),
        "page-too-large": (
            ERROR,
            "a side of the page is over 1 m: no fax prints it (not rendered)",
        ),
        "page-too-small": (
            ERROR,
            "a side of the page is under 50 mm: not a letter's page (not rendered)",
        ),
    }
)

TOP_MM = 15.0
EDGE_MM = 7.0
SMALL_PT = 8.0
TOO_SMALL_PT = 6.0
HEADER_MM = 32.0  # the running header's band ends 30 mm from the top
MAX_LENGTH_MM = 297.0 + 30.0  # HylaFAX's tiffcheck: the page size + 30 mm
#: A page side no fax machine prints. A larger page is reported, not rendered: a 200 × 200 inch
#: page is 400 megapixels at CHECK_DPI (4.7 GB of memory to find that it cannot be faxed).
MAX_SIDE_MM = 1000.0
MIN_SIDE_MM = 50.0  # a page narrower or shorter than this is no letter (or a broken MediaBox)
CHECK_DPI = 100  # PDF pages are rendered at this resolution for the pixel checks
GREY_SHARE = 0.10  # a page is grey when this share of its ink is mid-grey ...
COLOUR_SHARE = 0.01  # ... and colourful when this share of it has colour


@dataclass
class FileCheck:
    """What was found in one file, and what it is (for the "ok" line)."""

    file: Path
    kind: str = ""  # "PDF" or "TIFF Class F, Group 3, 204 × 196 dpi"
    pages: int = 0
    smallest_text: float | None = None  # points; PDFs only
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)

    def add(self, page: int, code: str, message: str) -> None:
        """A finding on a page (1-based), or on the whole file (page 0)."""
        place = Place(self.file, None, f"page {page}" if page else None)
        self.findings.append(CODES.finding(code, message, place))

    def summary(self) -> str:
        parts = [f"{self.pages} page{'s' if self.pages != 1 else ''}", self.kind]
        if self.smallest_text is not None:
            parts.append(f"smallest text {self.smallest_text:.1f} pt")
        return ", ".join(p for p in parts if p)


def check_file(path: Path) -> FileCheck:
    check = FileCheck(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        check.add(0, "unreadable", f"cannot read the file: {exc.strerror or exc}")
        return check
    if head.startswith(b"%PDF"):
        _check_pdf(check)
    elif head in (b"II*\x00", b"MM\x00*"):
        _check_tiff(check)
    else:
        check.add(0, "unreadable", "neither a PDF nor a TIFF")
    return check


# --- pixels ---------------------------------------------------------------------------------


def _check_ink(check: FileCheck, page: int, ink: Image.Image, x_dpi: float, y_dpi: float) -> None:
    """`ink`: mode "L" or "1", non-zero where there is ink."""
    width, height = ink.size
    top = round(TOP_MM / 25.4 * y_dpi)
    bottom = height - round(EDGE_MM / 25.4 * y_dpi)
    left, right = round(EDGE_MM / 25.4 * x_dpi), width - round(EDGE_MM / 25.4 * x_dpi)
    box = ink.crop((0, 0, width, top)).getbbox()
    if box:
        mm = box[1] / y_dpi * 25.4
        check.add(page, "ink-top", f"ink {mm:.1f} mm from the top (keep {TOP_MM:g} mm clear)")
    edges = {
        "left": (0, top, left, height),
        "right": (right, top, width, height),
        "bottom": (0, bottom, width, height),
    }
    for side, region in edges.items():
        box = ink.crop(region).getbbox()
        if box:
            if side == "left":
                mm = box[0] / x_dpi * 25.4
            elif side == "right":
                mm = (width - right - box[2]) / x_dpi * 25.4
            else:
                mm = (height - bottom - box[3]) / y_dpi * 25.4
            check.add(
                page,
                "ink-edge",
                f"ink {mm:.1f} mm from the {side} edge (keep {EDGE_MM:g} mm clear)",
            )


# --- PDF ------------------------------------------------------------------------------------


def _check_pdf(check: FileCheck) -> None:
    import pypdfium2 as pdfium

    check.kind = "PDF"
    try:
        document = pdfium.PdfDocument(check.file)
    except pdfium.PdfiumError as exc:
        check.add(0, "unreadable", f"cannot read the PDF: {exc}")
        return
    try:
        check.pages = len(document)
        sizes: list[float] = []
        for index in range(check.pages):
            try:
                page = document[index]
            except pdfium.PdfiumError as exc:
                check.add(index + 1, "unreadable", f"cannot read the page: {exc}")
                continue
            try:
                _check_pdf_page(check, index + 1, page, sizes)
            finally:
                page.close()
    finally:
        document.close()
    if sizes:
        smallest = check.smallest_text = min(sizes)
        if smallest < TOO_SMALL_PT:
            check.add(0, "text-too-small", f"the smallest text is {smallest:.1f} pt")
        elif smallest < SMALL_PT:
            check.add(0, "text-small", f"the smallest text is {smallest:.1f} pt")


def _odd_size(check: FileCheck, number: int, width_mm: float, height_mm: float) -> bool:
    """Report a page over MAX_SIDE_MM or under MIN_SIDE_MM on a side; True if it was (then it
    is not rendered: a huge page would take gigabytes, an empty one has no pixels to check)."""
    if max(width_mm, height_mm) > MAX_SIDE_MM:
        code, limit = "page-too-large", f"at most {MAX_SIDE_MM:g} mm a side is checked"
    elif min(width_mm, height_mm) < MIN_SIDE_MM:
        code, limit = "page-too-small", f"at least {MIN_SIDE_MM:g} mm a side is checked"
    else:
        return False
    check.add(
        number,
        code,
        f"the page is {width_mm:.0f} × {height_mm:.0f} mm (a fax page is A4 or Letter; {limit})",
    )
    return True


def _check_pdf_page(check: FileCheck, number: int, page: Any, sizes: list[float]) -> None:
    width_pt, height_pt = page.get_size()
    if _odd_size(check, number, width_pt / 72 * 25.4, height_pt / 72 * 25.4):
        return
    scale = CHECK_DPI / 72
    size = (round(width_pt * scale), round(height_pt * scale))
    grey = fax.render_grey(page, scale, scale, *size)
    _check_ink(check, number, grey.point(lambda v: 255 if v < 192 else 0), CHECK_DPI, CHECK_DPI)

    # Without anti-aliasing black text stays black; what is grey or coloured then was meant so.
    colour = page.render(scale=scale, no_smoothtext=True, no_smoothpath=True, no_smoothimage=True)
    rgb = colour.to_pil().convert("RGB")
    luminance = rgb.convert("L").histogram()
    inked = sum(luminance[:224])
    if inked:
        mid = sum(luminance[48:208]) / inked
        if mid > GREY_SHARE:
            check.add(number, "pdf-grey", f"{mid:.0%} of the ink is grey (use black)")
        r, g, b = rgb.split()
        spread = ImageChops.lighter(
            ImageChops.lighter(ImageChops.difference(r, g), ImageChops.difference(g, b)),
            ImageChops.difference(r, b),
        ).histogram()
        coloured = sum(spread[48:]) / inked
        if coloured > COLOUR_SHARE:
            check.add(number, "pdf-colour", f"{coloured:.0%} of the ink is in colour (use black)")

    text = page.get_textpage()
    try:
        sizes.extend(_text_sizes(text))
        band = text.get_text_bounded(0, height_pt - HEADER_MM / 25.4 * 72, width_pt, height_pt)
    finally:
        text.close()
    _check_label(check, number, band)


def _text_sizes(text: Any) -> list[float]:
    """The size in points of every visible character, as printed (font size × matrix scale)."""
    import pypdfium2.raw as pdfium_c

    sizes = []
    matrix = pdfium_c.FS_MATRIX()
    for index in range(text.count_chars()):
        if chr(pdfium_c.FPDFText_GetUnicode(text.raw, index)).isspace():
            continue
        size = pdfium_c.FPDFText_GetFontSize(text.raw, index)
        if size <= 0 or not pdfium_c.FPDFText_GetMatrix(text.raw, index, ctypes.byref(matrix)):
            continue
        scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
        sizes.append(round(size * scale, 1))
    return sizes


def _check_label(check: FileCheck, number: int, band: str) -> None:
    """The last two numbers of a header line are its page and page count, in any language."""
    labels = []
    for line in band.splitlines():
        numbers = [int(n) for n in re.findall(r"\d+", line)]
        if len(numbers) >= 2:
            labels.append((numbers[-2], numbers[-1]))
    if not labels:
        check.add(number, "page-label-missing", "no 'Page x of N' in the header")
    elif (number, check.pages) not in labels:
        page, pages = labels[-1]
        check.add(
            number,
            "page-label",
            f"the header says page {page} of {pages}; this is page {number} of {check.pages}",
        )


# --- TIFF -----------------------------------------------------------------------------------


def _check_tiff(check: FileCheck) -> None:
    try:
        with warnings.catch_warnings():
            # Pillow warns before it fails on a damaged header: the failure is the finding.
            warnings.simplefilter("ignore")
            image = Image.open(check.file)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        check.add(0, "unreadable", f"cannot read the TIFF: {exc}")
        return
    with image, warnings.catch_warnings():
        # A damaged file makes Pillow warn and then fail: the failure is the finding.
        warnings.simplefilter("ignore")
        kinds = set()
        try:
            check.pages = getattr(image, "n_frames", 1)
            for index in range(check.pages):
                image.seek(index)
                kinds.add(_check_tiff_page(check, index + 1, image))
        except (OSError, EOFError, TypeError, ValueError, SyntaxError) as exc:
            check.add(0, "unreadable", f"cannot read the TIFF: {exc}")
        check.kind = "; ".join(sorted(kinds))


def _check_tiff_page(check: FileCheck, number: int, image: Any) -> str:
    tags = image.tag_v2
    add = check.add
    width, length = image.size
    if width != fax.LINE_PIXELS:
        add(number, "tiff-width", f"{width} pixels wide, not {fax.LINE_PIXELS}")
    unit = tags.get(fax.RESOLUTION_UNIT, 2)
    x_dpi, y_dpi = float(tags.get(fax.X_RESOLUTION, 0)), float(tags.get(fax.Y_RESOLUTION, 0))
    if unit == 3:  # centimetres
        x_dpi, y_dpi = x_dpi * 2.54, y_dpi * 2.54
    if round(x_dpi) != fax.X_DPI or round(y_dpi) not in fax.Y_DPI.values():
        add(number, "tiff-resolution", f"{x_dpi:g} × {y_dpi:g} dpi, not 204 × 196 or 204 × 98")
    bits = tags.get(fax.BITS_PER_SAMPLE, (1,))
    if (tuple(bits) if isinstance(bits, tuple) else (bits,)) != (1,):
        add(number, "tiff-bilevel", f"{bits} bits per sample, not 1")
    if tags.get(fax.SAMPLES_PER_PIXEL, 1) != 1:
        add(number, "tiff-bilevel", f"{tags.get(fax.SAMPLES_PER_PIXEL)} samples per pixel, not 1")
    photometric = tags.get(fax.PHOTOMETRIC)
    if photometric != 0:
        add(number, "tiff-photometric", f"PhotometricInterpretation {photometric}, not 0")
    compression = tags.get(fax.COMPRESSION, 1)
    if compression not in (3, 4):
        add(number, "tiff-compression", f"compression {compression}, not 3 (G3) or 4 (G4)")
    if compression == 3 and tags.get(fax.T4_OPTIONS, 0) != 0:
        add(number, "tiff-2d", f"T4Options {tags.get(fax.T4_OPTIONS)}, not 0 (1-D)")
    strips = tags.get(fax.STRIP_OFFSETS, ())
    if len(strips) != 1:
        add(number, "tiff-strips", f"{len(strips)} strips, not 1 (RowsPerStrip = page length)")
    if y_dpi and length / y_dpi * 25.4 > MAX_LENGTH_MM:
        mm = length / y_dpi * 25.4
        add(number, "tiff-page-length", f"{mm:.0f} mm long (at most {MAX_LENGTH_MM:g} mm)")
    subfile = tags.get(fax.NEW_SUBFILE_TYPE)
    if subfile != 2:
        add(number, "tiff-subfile-type", f"NewSubfileType {subfile or 'missing'}, not 2")
    page_number = tuple(tags.get(fax.PAGE_NUMBER, ()))
    if page_number != (number - 1, check.pages):
        add(
            number,
            "tiff-page-number",
            f"PageNumber {page_number or 'missing'}, not {(number - 1, check.pages)}",
        )
    odd = bool(x_dpi and y_dpi) and _odd_size(
        check, number, width / x_dpi * 25.4, length / y_dpi * 25.4
    )
    if image.mode == "1" and x_dpi and y_dpi and not odd:
        # Pillow shows a bilevel page with black as 0, whatever the photometric tag says.
        _check_ink(check, number, ImageChops.invert(image.convert("L")), x_dpi, y_dpi)
    scheme = {3: "Group 3", 4: "Group 4"}.get(compression, f"compression {compression}")
    return f"TIFF, {scheme}, {x_dpi:g} × {y_dpi:g} dpi"
