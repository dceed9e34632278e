"""Rendering many letters into files: chunks of letters per WeasyPrint pass, spread over worker
processes, every asked-for format of a letter made from one PDF rendering."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.errors import LettergenError
from lettergen.letter import Letter

if TYPE_CHECKING:
    from lettergen.render.fax import FaxSettings

#: A letter to render: its index in the batch, the letter, and the formats it needs.
Task = tuple[int, Letter, list[str]]


@dataclass(frozen=True)
class Output:
    """One file's worth of a rendered letter, or why it could not be made."""

    format: str
    data: bytes = b""
    pages: int = 0
    pages_source: str = ""
    error: str = ""


def render_files(
    todo: list[Task],
    templates: Path | None,
    fax: FaxSettings | None,
    jobs: int,
) -> Iterator[tuple[int, list[Output]]]:
    """(index, outputs) for every letter to render, in order: in this process, or in chunks
    spread over `jobs` worker processes (a few chunks in flight, so memory stays bounded)."""
    from lettergen.render.pdf import CHUNK

    chunks = [todo[start : start + CHUNK] for start in range(0, len(todo), CHUNK)]
    if jobs <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield from _render_chunk(chunk, templates, fax)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Workers start from a clean server process, not a fork of this one: a library user may
    # already hold fontconfig or GLib state here, which a fork does not survive safely.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending = deque(pool.submit(_render_chunk, c, templates, fax) for c in chunks[: 2 * jobs])
        waiting = iter(chunks[2 * jobs :])
        while pending:
            yield from pending.popleft().result()
            following = next(waiting, None)
            if following is not None:
                pending.append(pool.submit(_render_chunk, following, templates, fax))


def _render_chunk(
    chunk: list[Task], templates: Path | None, fax: FaxSettings | None
) -> list[tuple[int, list[Output]]]:
    """Every asked-for file of a chunk of letters. The PDFs are rendered together (one write,
    then split); a TIFF is made from its PDF; a DOCX takes its PDF's page count."""
    from lettergen.render.pdf import render_pdfs

    wanted = [letter for letter, formats in _letters(chunk) if {"pdf", "tiff"} & set(formats)]
    pdfs = iter(render_pdfs(wanted, templates, chunk=len(wanted) or 1))
    results = []
    for index, letter, formats in chunk:
        pdf = next(pdfs) if {"pdf", "tiff"} & set(formats) else None
        outputs = []
        for fmt in formats:
            if pdf is not None and pdf.error:
                outputs.append(Output(fmt, error=pdf.error))
                continue
            try:
                outputs.append(_one_format(fmt, letter, pdf, templates, fax))
            except LettergenError as exc:
                outputs.append(Output(fmt, error=str(exc)))
        results.append((index, outputs))
    return results


def _letters(chunk: list[Task]) -> Iterator[tuple[Letter, list[str]]]:
    return ((letter, formats) for _, letter, formats in chunk)


def _one_format(
    fmt: str, letter: Letter, pdf: Any, templates: Path | None, fax: FaxSettings | None
) -> Output:
    if fmt == "pdf":
        return Output("pdf", pdf.data, pdf.pages, "pdf")
    if fmt == "docx":
        from lettergen.render.docx import render_docx
        from lettergen.render.pdf import page_count

        docx = render_docx(letter, templates)
        # A DOCX's page count is its PDF's: the two share margins and metric-compatible fonts,
        # and LibreOffice agrees on every seed letter (tests/test_docx.py checks it). Without a
        # PDF in this run, the PDF's layout is made (not written) to count.
        pages = pdf.pages if pdf is not None else page_count(letter, templates)
        return Output("docx", docx.data, docx.pages or pages, docx.pages_source)
    if fmt != "tiff" or fax is None:  # the batch settles the fax settings for every TIFF
        raise LettergenError(f"unknown format {fmt!r}" if fmt != "tiff" else "no fax settings")
    from lettergen.render.fax import pdf_to_tiff

    tiff = pdf_to_tiff(pdf.data, resolution=fax.resolution, compression=fax.compression)
    return Output("tiff", tiff.data, tiff.pages, "tiff")
