"""Letter PDF → fax image: TIFF Class F (RFC 2306), the file fax servers and modems send as is.

How a page becomes a fax page:

- **Geometry.** A fax line is 1728 pixels, printed across the receiver's paper; so the page's
  width is mapped onto the line (about 209 dpi across for A4, 203 for US Letter) and the file
  declares the nominal 204 dpi every fax machine uses. Down the page we render at exactly the
  vertical resolution, 196 lines per inch ("fine") or 98 ("standard"), and cut at the page's own
  length, never longer: HylaFAX asks for a resize of anything past the page size.
- **Rendering.** pypdfium2 renders straight to that grid (one anisotropic matrix, no resampling)
  in grey, with anti-aliasing on: each pixel's grey is the share of it the ink covers.
- **Thresholding** (`binarize`). A pixel is black when ink covers at least half of it, so
  strokes keep their weight and counters stay open; and also when it is a fainter local maximum
  of ink across or down the page, so a hairline thinner than a pixel (the 0.5 pt rules, the thin
  parts of 9.5 pt italics at 98 lines per inch) stays one unbroken pixel line instead of vanishing.
- **Encoding.** Pillow's libtiff encoder compresses each page (Group 3 1-D, or Group 4); this
  module then writes the TIFF structure itself, because Pillow cannot write what Class F needs:
  it passes PageNumber to libtiff wrongly (tiffinfo shows "Page Number: 2-7696"), always writes
  PhotometricInterpretation 1 for a 1-bit image unless asked, and splits pages into 64 KiB strips.
  The compressed bits use libtiff's fax convention, 1 = black, so our image is handed over with
  ink as 1 and the directory we write says WhiteIsZero (0), which is what those bits mean.

The result is deterministic: same PDF, same bytes.
"""

from __future__ import annotations

import ctypes
import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image, TiffImagePlugin

from lettergen.errors import RenderError

LINE_PIXELS = 1728  # pixels on a fax line (ITU-T T.4, A4/Letter width class)
X_DPI = 204  # what a fax machine's 8 pixels per mm are called in TIFF, per inch
Y_DPI: dict[str, int] = {"fine": 196, "standard": 98}
COMPRESSION_TAG: dict[str, int] = {"g3": 3, "g4": 4}  # TIFF Compression: CCITT T.4 / T.6

#: A pixel is black when ink covers at least this share of it (out of 255) ...
INK_THRESHOLD = 128
#: ... or this much, where it is the darkest pixel of a hairline thinner than a pixel.
HAIRLINE_THRESHOLD = 40

# TIFF tags written (numbers from TIFF 6.0) and their field types.
NEW_SUBFILE_TYPE, IMAGE_WIDTH, IMAGE_LENGTH, BITS_PER_SAMPLE, COMPRESSION = 254, 256, 257, 258, 259
PHOTOMETRIC, FILL_ORDER, STRIP_OFFSETS, SAMPLES_PER_PIXEL, ROWS_PER_STRIP = 262, 266, 273, 277, 278
STRIP_BYTE_COUNTS, X_RESOLUTION, Y_RESOLUTION, PLANAR_CONFIGURATION = 279, 282, 283, 284
T4_OPTIONS, T6_OPTIONS, RESOLUTION_UNIT, PAGE_NUMBER = 292, 293, 296, 297
SHORT, LONG, RATIONAL = 3, 4, 5


@dataclass(frozen=True)
class RenderedTiff:
    data: bytes
    pages: int


@dataclass(frozen=True)
class FaxSettings:
    """How letters become fax images (the --fax-resolution and --fax-compression options)."""

    resolution: str = "fine"  # "fine", 196 lines per inch; "standard", 98 (half the size)
    compression: str = "g3"  # "g3", Group 3 1-D, which every fax takes; "g4", smaller

    def __post_init__(self) -> None:
        if self.resolution not in Y_DPI:
            raise RenderError(f"unknown fax resolution {self.resolution!r} (fine or standard)")
        if self.compression not in COMPRESSION_TAG:
            raise RenderError(f"unknown fax compression {self.compression!r} (g3 or g4)")


def pdf_to_tiff(pdf: bytes, *, resolution: str = "fine", compression: str = "g3") -> RenderedTiff:
    """A letter PDF as a TIFF Class F fax: one image page per PDF page."""
    FaxSettings(resolution, compression)  # checks both
    y_dpi = Y_DPI[resolution]
    strips = [(encode(page, compression), page.height) for page in fax_pages(pdf, y_dpi)]
    if not strips:
        raise RenderError("the PDF has no pages to fax")
    return RenderedTiff(class_f(strips, y_dpi, compression), len(strips))


def fax_pages(pdf: bytes, y_dpi: int) -> Iterator[Image.Image]:
    """Each PDF page as a fax page: 1728 pixels wide, mode "1" with ink as 1 (white 0)."""
    for grey in grey_pages(pdf, y_dpi):
        yield binarize(grey)


def grey_pages(pdf: bytes, y_dpi: int, width: int = LINE_PIXELS) -> Iterator[Image.Image]:
    """Each PDF page rendered in grey ("L", 255 white), its width mapped onto `width` pixels and
    its length at `y_dpi` lines per inch."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"cannot read the PDF: {exc}") from exc
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                points_wide, points_long = page.get_size()
                rows = int(points_long / 72 * y_dpi)  # never longer than the page
                yield render_grey(page, width / points_wide, y_dpi / 72, width, rows)
            finally:
                page.close()
    finally:
        document.close()


def render_grey(page: Any, x_scale: float, y_scale: float, width: int, height: int) -> Image.Image:
    """Render one pypdfium2 page with separate scales across and down (pixels per point).

    pypdfium2's own render() scales both ways alike; pdfium's matrix call does not have to.
    Anti-aliasing stays on: the grey is what binarize() reads as ink coverage.
    """
    import pypdfium2.raw as pdfium_c

    bitmap = pdfium_c.FPDFBitmap_CreateEx(width, height, pdfium_c.FPDFBitmap_Gray, None, 0)
    if not bitmap:
        raise RenderError(f"pdfium could not allocate a {width}×{height} page")
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xFFFFFFFF)
        matrix = pdfium_c.FS_MATRIX(x_scale, 0, 0, y_scale, 0, 0)
        clip = pdfium_c.FS_RECTF(0, 0, width, height)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(
            bitmap, page.raw, ctypes.byref(matrix), ctypes.byref(clip), pdfium_c.FPDF_GRAYSCALE
        )
        stride = pdfium_c.FPDFBitmap_GetStride(bitmap)
        pixels = ctypes.string_at(pdfium_c.FPDFBitmap_GetBuffer(bitmap), stride * height)
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    return Image.frombytes("L", (width, height), pixels, "raw", "L", stride, 1)


def binarize(grey: Image.Image) -> Image.Image:
    """Anti-aliased grey ("L", 255 white) → bilevel "1" with ink as 1.

    Black where ink covers at least half the pixel, or where a hairline peaks: at least
    HAIRLINE_THRESHOLD of ink and no less than its neighbour before and more than the one after,
    across or down (the tie rule keeps a hairline split evenly over two rows one row thick).
    Glyph edges are never such peaks (ink rises towards the stroke), so text does not thicken.
    Neighbours wrap around at the page's edges, which are blank on a fax-ready letter.

    Whole-array comparisons in NumPy: a few milliseconds a page, where the same rule through
    PIL's ImageMath took about a hundred.
    """
    import numpy as np

    ink = 255 - np.asarray(grey, dtype=np.uint8)
    peak = ((ink >= np.roll(ink, 1, axis=0)) & (ink > np.roll(ink, -1, axis=0))) | (
        (ink >= np.roll(ink, 1, axis=1)) & (ink > np.roll(ink, -1, axis=1))
    )
    black = (ink >= INK_THRESHOLD) | ((ink >= HAIRLINE_THRESHOLD) & peak)
    # Mode "1" packs eight pixels a byte, the first in the high bit; a set bit is ink.
    return Image.frombytes("1", grey.size, np.packbits(black, axis=1).tobytes())


def encode(page: Image.Image, compression: str) -> bytes:
    """One page's compressed fax data, by libtiff through Pillow: a single strip."""
    buffer = io.BytesIO()
    page.save(
        buffer,
        format="TIFF",
        compression={"g3": "group3", "g4": "group4"}[compression],
        tiffinfo={ROWS_PER_STRIP: page.height},
    )
    buffer.seek(0)
    with TiffImagePlugin.TiffImageFile(buffer) as written:
        offsets = written.tag_v2.get(STRIP_OFFSETS)
        counts = written.tag_v2.get(STRIP_BYTE_COUNTS)
        options = written.tag_v2.get(T4_OPTIONS, 0)
    if not offsets or len(offsets) != 1 or not counts:
        raise RenderError(f"the fax encoder wrote {len(offsets or ())} strips, not one")
    if compression == "g3" and options:
        raise RenderError(f"the fax encoder wrote Group 3 options {options}, not 1-D (0)")
    return buffer.getvalue()[offsets[0] : offsets[0] + counts[0]]


def class_f(strips: list[tuple[bytes, int]], y_dpi: int, compression: str) -> bytes:
    """A little-endian multi-page TIFF Class F from each page's (compressed strip, rows)."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    next_link = 4  # where the offset of the next directory goes
    options_tag = T4_OPTIONS if compression == "g3" else T6_OPTIONS
    for index, (strip, rows) in enumerate(strips):
        strip_offset = len(out)
        out += strip
        if len(out) % 2:
            out += b"\x00"  # directories start on a word boundary
        entries: list[tuple[int, int, int, bytes]] = [
            (NEW_SUBFILE_TYPE, LONG, 1, _long(2)),  # one page of a multi-page document
            (IMAGE_WIDTH, LONG, 1, _long(LINE_PIXELS)),
            (IMAGE_LENGTH, LONG, 1, _long(rows)),
            (BITS_PER_SAMPLE, SHORT, 1, _short(1)),
            (COMPRESSION, SHORT, 1, _short(COMPRESSION_TAG[compression])),
            (PHOTOMETRIC, SHORT, 1, _short(0)),  # WhiteIsZero: a 1 bit is black
            (FILL_ORDER, SHORT, 1, _short(1)),
            (STRIP_OFFSETS, LONG, 1, _long(strip_offset)),
            (SAMPLES_PER_PIXEL, SHORT, 1, _short(1)),
            (ROWS_PER_STRIP, LONG, 1, _long(rows)),
            (STRIP_BYTE_COUNTS, LONG, 1, _long(len(strip))),
            (X_RESOLUTION, RATIONAL, 1, b""),  # values follow the directory
            (Y_RESOLUTION, RATIONAL, 1, b""),
            (PLANAR_CONFIGURATION, SHORT, 1, _short(1)),
            (options_tag, LONG, 1, _long(0)),  # Group 3: 1-D, no fill bits; Group 4: none
            (RESOLUTION_UNIT, SHORT, 1, _short(2)),  # inch
            (PAGE_NUMBER, SHORT, 2, struct.pack("<HH", index, len(strips))),
        ]
        directory = len(out)
        values = directory + 2 + 12 * len(entries) + 4
        rationals = {X_RESOLUTION: (X_DPI, 1), Y_RESOLUTION: (y_dpi, 1)}
        struct.pack_into("<I", out, next_link, directory)
        out += struct.pack("<H", len(entries))
        extra = bytearray()
        for tag, kind, count, value in entries:
            if kind == RATIONAL:
                value = _long(values + len(extra))
                extra += struct.pack("<II", *rationals[tag])
            out += struct.pack("<HHI", tag, kind, count) + value
        next_link = len(out)
        out += b"\x00\x00\x00\x00" + extra
    return bytes(out)


def _short(value: int) -> bytes:
    return struct.pack("<HH", value, 0)


def _long(value: int) -> bytes:
    return struct.pack("<I", value)
