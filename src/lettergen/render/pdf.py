"""Letters → fax-ready PDF with WeasyPrint.

The layout (letter_templates/layout/) is HTML and CSS shared by every language; this module fills
it from a composed Letter, with every text escaped, the fonts embedded from known files, and a URL
fetcher that reads only the project's own files: rendering never touches the network.
"""

from __future__ import annotations

import atexit
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from lettergen import paths
from lettergen.compose.letter import Letter
from lettergen.errors import RenderError
from lettergen.render.fonts import faces
from lettergen.render.html import runs_html

log = logging.getLogger(__name__)

#: The font families a letter is set in, by text direction: the first that has a glyph wins.
FONTS = {
    "ltr": ("Liberation Sans", "Noto Naskh Arabic"),
    "rtl": ("Noto Naskh Arabic", "Liberation Sans"),
}


@dataclass(frozen=True)
class RenderedPDF:
    letter: Letter
    data: bytes
    pages: int
    error: str = ""  # why this letter could not be rendered; data is empty then
    fallback: str = ""  # why a letter meant to be stamped (render/stamp.py) was laid out in full
    fit: int = 0  # the tighter setting (letter.css .fit-N) that keeps the letter on one page
    layout: str = ""  # the office layout it was stamped on (render/stamp), "" if laid out in full


def css_string(text: str) -> str:
    """A CSS string literal that stays one, whatever the text holds: every character but
    letters and digits as a six-digit hex escape, so no quote, backslash or '</style' can break
    out of it. Spaces too: CSS swallows a white space that follows an escape."""
    return '"' + "".join(ch if ch.isalnum() else f"\\{ord(ch):06x}" for ch in text) + '"'


def header_content(letter: Letter, pages: int | None = None) -> str:
    """CSS `content` of the running header:
    "Fax to … · Page " counter(page) " of " counter(pages) — or the known page count."""
    parts = []
    for kind, value in letter.header_parts():
        if kind == "text":
            parts.append(css_string(value))
        elif value == "pages" and pages is not None:
            parts.append(css_string(str(pages)))
        else:
            parts.append(f"counter({value})")
    return " ".join(parts)


def font_faces() -> str:
    """@font-face rules for every family letters use, from the files fontconfig names. They
    live in the shared stylesheet, so fonts are loaded once per process, not once per letter."""
    rules = []
    for family in dict.fromkeys(f for families in FONTS.values() for f in families):
        for face in faces(family):
            rules.append(
                f"@font-face {{ font-family: {css_string(family)}; "
                f"src: url({css_string(face.path.as_uri())}); "
                f"font-weight: {face.weight}; font-style: {face.style}; }}"
            )
    return "\n".join(rules)


def own_words_fonts() -> str:
    """A supporter's own paragraph in the families of its own direction: Arabic words in a
    Latin letter are set in Naskh throughout, their spaces and full stops too, not with the
    Latin face's punctuation between them (and Latin words in an Arabic letter the other way
    round). One face for the whole paragraph is also what lets render/stamp set it directly."""
    return "\n".join(
        f'.body p.own-words[dir="{direction}"] {{ font-family: '
        f"{', '.join(css_string(f) for f in families)}; }}"
        for direction, families in FONTS.items()
    )


def page_css(letter: Letter, pages: int | None = None) -> str:
    """The letter's own style: its running header and its fonts."""
    families = ", ".join(css_string(f) for f in FONTS[letter.direction])
    # A right-to-left page is headed from the right, where its reader starts.
    align = " direction: rtl; text-align: right;" if letter.direction == "rtl" else ""
    return "\n".join(
        [
            f"@page {{ @top-left {{ content: {header_content(letter, pages)};{align} }} }}",
            f"html {{ font-family: {families}; }}",
        ]
    )


def _cover_value(value: str, pages: int | None = None) -> Markup:
    """A cover sheet value: its lines, and {pages} as the page count — the known one, or the
    number of the page the letter ends on (the #end anchor after its last line)."""
    before, found, after = value.partition("{pages}")
    if not found:
        total = Markup("")
    elif pages is not None:
        total = escape(str(pages))
    else:
        total = Markup('<span class="page-total" data-end="#end"></span>')
    return _lines(before) + total + _lines(after)


def _bidi(text: str) -> Markup:
    """Text with each isolated stretch of Latin data (i18n.isolate: FSI … PDI) marked, so a
    right-to-left letter sets it in the size of its Naskh text (letter.css `.latin`)."""
    if "\u2068" not in text:
        return escape(text)
    out = []
    for index, part in enumerate(re.split("(\u2068[^\u2068\u2069]*\u2069)", text)):
        if index % 2 and re.search("[A-Za-z]", part):
            out.append(Markup('<span class="latin">%s</span>') % part)
        else:
            out.append(escape(part))
    return Markup("").join(out)


def _lines(text: str) -> Markup:
    return escape(text).replace("\n", Markup("<br>"))


@cache
def _layout(templates: Path) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates / "layout")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["runs"] = runs_html
    env.globals["cover_value"] = _cover_value
    env.globals["bidi"] = _bidi
    return env.get_template("letter.html.j2")


def to_html(
    letter: Letter,
    templates: Path | None = None,
    pages: int | None = None,
    *,
    reserved: bool = False,
    fit: int = 0,
) -> str:
    """The letter as HTML. With `pages`, the page count is printed as that number; without,
    it is left to CSS counters (which cost WeasyPrint a second layout pass). `reserved` keeps
    the signature — and a signer's own letterhead and date line — as blank space of its size,
    to be stamped in (stamp.py). `fit`: the step of tighter setting (letter.css `.fit-1`,
    `.fit-2`; 0 the ordinary one)."""
    return _layout(templates or paths.templates_dir()).render(
        letter=letter,
        page_css=Markup(page_css(letter, pages)),
        pages=pages,
        reserve_signature=reserved,
        fit=fit,
        reserve_letterhead=reserved and letter.signer_letterhead,
    )


class _LocalFetcher:
    """Serves only files under the templates folder and the font files; refuses all else."""

    def __init__(self, roots: Iterable[Path]):
        self.roots = [root.resolve() for root in roots]

    def allowed(self, url: str) -> Path | None:
        if not url.startswith("file://"):
            return None
        from urllib.parse import unquote, urlparse

        path = Path(unquote(urlparse(url).path)).resolve()
        return path if any(path.is_relative_to(root) for root in self.roots) else None


@cache
def _weasy(templates: Path) -> tuple[Any, Any, Any]:
    """WeasyPrint objects shared by every letter: font configuration, stylesheet, fetcher."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    font_roots = {
        face.path.parent for fams in FONTS.values() for fam in fams for face in faces(fam)
    }
    local = _LocalFetcher([templates, *font_roots])

    class Fetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if local.allowed(url) is None:
                log.warning("refused to fetch %s while rendering (only local files are read)", url)
                raise ValueError(f"lettergen reads no URL while rendering: {url}")
            return super().fetch(url, headers)

    fetcher = Fetcher(allowed_protocols=["file"])
    font_config = FontConfiguration()
    # Drop the shared objects before the interpreter tears modules down: WeasyPrint's font
    # configuration cleans up temporary files in __del__ and needs its modules alive for that.
    atexit.register(_weasy.cache_clear)
    layout = templates / "layout" / "letter.css"
    css = weasyprint.CSS(
        string="\n".join([font_faces(), layout.read_text(encoding="utf-8"), own_words_fonts()]),
        base_url=str(layout),
        font_config=font_config,
        url_fetcher=fetcher,
    )
    return font_config, css, fetcher


#: Letters laid out per WeasyPrint pass: written as one PDF (fonts subset once), then split.
CHUNK = 40


def render_pdfs(
    letters: Iterable[Letter], templates: Path | None = None, *, chunk: int = CHUNK
) -> Iterator[RenderedPDF]:
    """Render many letters; yields one RenderedPDF per letter, in order.

    Letters are laid out one by one (so each keeps its own "Page x of N") and written in chunks:
    the pages of a chunk become one PDF, written once — WeasyPrint's costly step, font
    subsetting, then happens once per chunk — and split back into one self-contained PDF per
    letter. Memory stays bounded by the chunk. A letter that fails is yielded with its error,
    so one bad letter does not stop a batch.
    """
    root = (templates or paths.templates_dir()).resolve()
    batch: list[Letter] = []
    for letter in letters:
        batch.append(letter)
        if len(batch) >= chunk:
            yield from render_chunk(batch, root)
            batch = []
    if batch:
        yield from render_chunk(batch, root)


def _layout_one(
    letter: Letter, root: Path, *, reserved: bool = False, fit: int | None = None
) -> Any:
    """Lay out a letter whose page count is guessed, and again if the guess was wrong.

    "Page x of N" needs N before the pages are made; CSS's counter(pages) makes WeasyPrint lay
    out every document twice to learn it. The count is printed in the margin and on the cover,
    where it cannot move the text, so a guess (most letters are one page, or two with a cover)
    costs one pass, and only a wrong guess a second.

    `fit`: lay out in that setting only (0 the ordinary one, else letter.css `.fit-N`), not the
    first one that keeps the letter on its pages; in a tighter setting that does not, the pages
    are left as they came (render/stamp asks to learn just that).
    """
    import weasyprint

    font_config, css, fetcher = _weasy(root)

    def lay_out(pages: int | None, fit: int = 0) -> Any:
        html = weasyprint.HTML(
            string=to_html(letter, root, pages, reserved=reserved, fit=fit),
            base_url=str(root / "layout") + "/",
            url_fetcher=fetcher,
        )
        document = html.render(font_config=font_config, stylesheets=[css])
        document.lettergen_fit = fit
        return document

    if letter.signatories:
        # A joint letter's length depends on how its list wraps; a wrong guess would cost a
        # second layout of dozens of pages, where CSS's counters cost little next to one.
        return lay_out(None)
    guess = pages_meant(letter)
    document = lay_out(guess, fit or 0)
    if len(document.pages) == guess or fit:
        return document
    if fit == 0:
        actual = len(document.pages)
        document = lay_out(actual)
        return document if len(document.pages) == actual else lay_out(None)
    # One page where the text allows: the tighter steps of letter.css, measured, before the
    # letter breaks onto another page. Nothing is cut: a letter no step holds keeps its setting.
    for step in range(1, FIT_STEPS + 1):
        tighter = lay_out(guess, step)
        if len(tighter.pages) == guess:
            log.debug("%s: one page in setting fit-%d", letter.office_id, step)
            return tighter
    log.debug("%s: %d pages, not %d: laid out again", letter.office_id, len(document.pages), guess)
    actual = len(document.pages)
    document = lay_out(actual)
    # The count sits where it cannot move text; should it ever, CSS counters settle it.
    return document if len(document.pages) == actual else lay_out(None)


def pages_meant(letter: Letter) -> int:
    """The pages a letter is to take where the text allows: one, and a fax cover."""
    return 2 if letter.cover else 1


#: The tighter settings of letter.css (.fit-1 … .fit-N) tried before a letter takes a second
#: page; the last is the house's smallest readable setting.
FIT_STEPS = 2


def fit_of(document: Any) -> int:
    """The setting a laid-out letter took: 0 the ordinary one, else its .fit-N step."""
    return int(getattr(document, "lettergen_fit", 0))


def letter_fit(letter: Letter, templates: Path | None = None) -> int:
    """The setting a letter's PDF is laid out in (0, or the step of letter.css `.fit-N` it
    needed to stay on one page): the DOCX writer sets the same, so both break alike."""
    root = (templates or paths.templates_dir()).resolve()
    unsigned = replace(
        letter, signature=tuple("X" for _ in letter.signature), author="", signer_slug=""
    )
    return _page_fit(unsigned, root)[1]


def page_count(letter: Letter, templates: Path | None = None) -> int:
    """How many pages the letter's PDF has, from its layout alone (nothing is written).

    For DOCX-only batches, whose page counts are estimated from the PDF. Letters that differ
    only in who signs them are paginated alike (the signature block keeps its line count), so a
    supporter drive lays out each office's letter once, not once per signer.
    """
    root = (templates or paths.templates_dir()).resolve()
    unsigned = replace(
        letter, signature=tuple("X" for _ in letter.signature), author="", signer_slug=""
    )
    if letter.signer_letterhead:  # her block and place: lines of their own count, as above
        unsigned = replace(unsigned, sender=tuple("X" for _ in letter.sender), date="X")
    return _page_fit(unsigned, root)[0]


@lru_cache(maxsize=4096)
def _page_fit(letter: Letter, root: Path) -> tuple[int, int]:
    document = _layout_one(letter, root)
    return len(document.pages), fit_of(document)


def render_chunk(letters: list[Letter], root: Path) -> list[RenderedPDF]:
    """Lay out each letter, write all of them as one PDF, split it per letter."""
    documents: list[Any] = []
    failed: dict[int, str] = {}
    for index, letter in enumerate(letters):
        try:
            documents.append(_layout_one(letter, root))
        except Exception as exc:  # WeasyPrint raises many kinds; the batch reports and goes on
            log.debug("laying out %s failed", letter.office_id, exc_info=True)
            failed[index] = f"could not render the PDF: {exc}"
    good = [letter for index, letter in enumerate(letters) if index not in failed]
    try:
        parts = iter(_write_split(documents, good))
    except Exception:  # one bad letter must not sink its chunk: write them one by one
        log.debug("writing a chunk failed; writing its letters one by one", exc_info=True)
        parts = iter(
            [_write_one(document, letter) for document, letter in zip(documents, good, strict=True)]
        )
    results = []
    for index, letter in enumerate(letters):
        if index in failed:
            results.append(RenderedPDF(letter, b"", 0, failed[index]))
        else:
            results.append(next(parts))
    return results


def _write_one(document: Any, letter: Letter) -> RenderedPDF:
    try:
        return RenderedPDF(
            letter,
            _finish(document.write_pdf(), [letter])[0],
            len(document.pages),
            fit=fit_of(document),
        )
    except Exception as exc:
        return RenderedPDF(letter, b"", 0, f"could not write the PDF: {exc}")


def _write_split(documents: list[Any], letters: list[Letter]) -> list[RenderedPDF]:
    if not documents:
        return []
    pages = [page for document in documents for page in document.pages]
    combined = documents[0].copy(pages).write_pdf()
    counts = [len(document.pages) for document in documents]
    return [
        RenderedPDF(letter, data, count, fit=fit_of(document))
        for letter, data, count, document in zip(
            letters, _finish(combined, letters, counts), counts, documents, strict=True
        )
    ]


def _finish(data: bytes, letters: list[Letter], counts: list[int] | None = None) -> list[bytes]:
    """Split a written PDF into one file per letter (pages in `counts`), each with its own
    title, author and language, saved deterministically: the same letters, the same bytes. Each
    file carries the font subsets of its whole chunk, so a letter written in another chunk has
    other bytes (never other text or looks)."""
    import pikepdf

    counts = counts or [None]  # type: ignore[list-item]
    outputs = []
    with pikepdf.open(io.BytesIO(data)) as source:
        start = 0
        for letter, count in zip(letters, counts, strict=True):
            end = len(source.pages) if count is None else start + count
            target = pikepdf.new()
            target.pages.extend(source.pages[start:end])
            start = end
            target.docinfo["/Title"] = letter.title
            target.docinfo["/Author"] = letter.author
            target.docinfo["/Producer"] = "lettergen"
            target.Root.Lang = pikepdf.String(letter.language)
            buffer = io.BytesIO()
            target.save(buffer, deterministic_id=True, compress_streams=True)
            outputs.append(buffer.getvalue())
    return outputs


def render_pdf(letter: Letter, templates: Path | None = None) -> RenderedPDF:
    """One letter; raises RenderError if it cannot be rendered."""
    rendered = next(iter(render_pdfs([letter], templates)))
    if rendered.error:
        raise RenderError(rendered.error, hint=f"office {letter.office_id}")
    return rendered
