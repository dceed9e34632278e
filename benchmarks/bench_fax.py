"""Fax images: TIFF pages per second, against the previous thresholding measured in the same run.

    .venv/bin/python benchmarks/bench_fax.py [--letters N]

Both paths render the same PDF pages with pypdfium2 and encode them with libtiff through
Pillow; they differ only in thresholding: the previous path ran the rule through PIL's
ImageMath (four shifted copies of the page, a Python lambda over them), the current one is
`lettergen.render.tiff.binarize` (NumPy). The benchmark first proves that both give the same
pixels, then times whole letters (render + threshold + encode + TIFF structure) and reports
pages per second and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageChops, ImageMath

from lettergen.render import tiff as fax


def binarize_previous(grey: Image.Image) -> Image.Image:
    """The thresholding rule as lettergen ran it before, through PIL's ImageMath."""
    ink = ImageChops.invert(grey)
    up, down = ImageChops.offset(ink, 0, 1), ImageChops.offset(ink, 0, -1)
    left, right = ImageChops.offset(ink, 1, 0), ImageChops.offset(ink, -1, 0)

    def black(a: dict[str, Any]) -> Any:
        i = a["i"]
        peak = ((i >= a["u"]) & (i > a["d"])) | ((i >= a["l"]) & (i > a["r"]))
        return ((i >= fax.INK_THRESHOLD) | ((i >= fax.HAIRLINE_THRESHOLD) & peak)) * 255

    marked: Image.Image = ImageMath.lambda_eval(black, i=ink, u=up, d=down, l=left, r=right)
    return marked.convert("L").convert("1", dither=Image.Dither.NONE)


def tiff(pdf: bytes, threshold: Callable[[Image.Image], Image.Image]) -> int:
    """One letter's TIFF (fine, Group 3) with the given thresholding; returns its pages."""
    strips = [
        (fax.encode(page, "g3"), page.height)
        for page in map(threshold, fax.grey_pages(pdf, fax.Y_DPI["fine"]))
    ]
    fax.class_f(strips, fax.Y_DPI["fine"], "g3")
    return len(strips)


def pages_per_second(pdfs: list[bytes], threshold: Callable[[Image.Image], Image.Image]) -> float:
    start = time.perf_counter()
    pages = sum(tiff(pdf, threshold) for pdf in pdfs)
    return pages / (time.perf_counter() - start)


def sample_letters(count: int) -> list[bytes]:
    """The seed campaign's letters to the first `count` offices, in German (two pages each)."""
    from lettergen import load_campaign, load_directories
    from lettergen.compose.composer import Recipient, compose_letter
    from lettergen.render.pdf import render_pdfs

    campaign = load_campaign("free-zhanusov-2002")
    directory = load_directories()
    offices = [o for o in directory.resident_offices if o.faxes][:count]
    letters = [
        compose_letter(
            campaign, Recipient(o, o.country, o.faxes[0]), lang="de", state=directory.state
        )
        for o in offices
    ]
    return [pdf.data for pdf in render_pdfs(letters)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10, help="letters to convert (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median is shown)")
    args = parser.parse_args()
    pdfs = sample_letters(args.letters)
    for grey in fax.grey_pages(pdfs[0], fax.Y_DPI["fine"]):
        if fax.binarize(grey).tobytes() != binarize_previous(grey).tobytes():
            raise SystemExit("the two thresholding paths differ: the comparison would be unfair")
    previous = statistics.median(
        pages_per_second(pdfs, binarize_previous) for _ in range(args.rounds)
    )
    current = statistics.median(pages_per_second(pdfs, fax.binarize) for _ in range(args.rounds))
    pages = sum(tiff(pdf, fax.binarize) for pdf in pdfs)
    print(f"Fax images: {len(pdfs)} letters, {pages} pages, fine resolution, Group 3")
    print(f"  previous thresholding (PIL ImageMath): {previous:7.1f} pages/s")
    print(f"  lettergen now (NumPy):                 {current:7.1f} pages/s")
    print(f"  ratio: {current / previous:.2f}×")


if __name__ == "__main__":
    main()
