"""The output formats, in one place: what each is called, its file suffix, the function that
writes it, what it is made from, and the fingerprint of the code that writes it.

The command line (`--format`), the rendering pipeline and the manifest all ask this registry;
none of them names a format. Adding a format is one `Format` entry here and one writer module
(say `render/png.py` with a `write_png(letter, pdf, settings) -> Output`).

A writer is named as "module:function" so that `lettergen --help` does not import WeasyPrint.
Its fingerprint is computed from the writer module itself and every module of
`lettergen.render` it imports (read from their source, imports inside functions included):
splitting or renaming a writer module changes what is hashed, never silently nothing. A writer
module that cannot be imported or has no source is an error, not a skipped file.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.compose.letter import Letter
from lettergen.errors import DataError, LettergenError

if TYPE_CHECKING:
    from lettergen.render.pdf import RenderedPDF
    from lettergen.render.tiff import FaxSettings

#: Modules below this package count as writer code when a writer imports them.
WRITER_PACKAGE = "lettergen.render"


@dataclass(frozen=True)
class Output:
    """One file's worth of a rendered letter, or why it could not be made."""

    format: str
    data: bytes = b""
    pages: int = 0
    pages_source: str = ""  # how pages were counted: "pdf", "tiff", "estimate"
    error: str = ""
    fallback: str = ""  # why a letter meant to be stamped was laid out in full (batch reports it)


@dataclass(frozen=True)
class WriteSettings:
    """What a writer needs besides the letter: the templates folder and the fax settings."""

    templates: Path
    fax: FaxSettings | None = None
    #: Letters that differ only in their signer share their office's layout (render/stamp.py):
    #: for batches with several signers.
    stamp: bool = False


#: A writer: the letter, its PDF when the format is made from one (else None), the settings.
Writer = Callable[[Letter, "RenderedPDF | None", WriteSettings], Output]


@dataclass(frozen=True)
class Format:
    name: str  # as on the command line and in the manifest's "format" column
    suffix: str  # of the file written, without the dot
    writer: str  # "module:function", a Writer
    code: str  # the writer module whose source (and imports) the fingerprint hashes
    description: str
    derived_from: str | None = None  # another format it is made from (TIFF from the PDF)
    libraries: tuple[str, ...] = ()  # distributions whose version changes the bytes
    uses_fax_settings: bool = False  # --fax-resolution/--fax-compression change the bytes
    #: The file's media type, for a web page that offers it as a download.
    media_type: str = "application/octet-stream"
    #: Further modules that can make the same bytes (the PDF: laid out alone by render.pdf, or
    #: stamped from its office's layout by render.stamp); hashed like `code`.
    also: tuple[str, ...] = ()

    def write(self, letter: Letter, pdf: RenderedPDF | None, settings: WriteSettings) -> Output:
        return _function(self.writer)(letter, pdf, settings)

    @property
    def needs_pdf(self) -> bool:
        """Whether the pipeline must lay out the letter's PDF to make this format."""
        return self.name == "pdf" or self.derived_from == "pdf"


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "pdf",
            "pdf",
            "lettergen.render.formats:_write_pdf",
            "lettergen.render.pdf",
            "the letter as a PDF, fonts embedded",
            libraries=("weasyprint", "pikepdf"),
            media_type="application/pdf",
            also=("lettergen.render.stamp",),
        ),
        Format(
            "docx",
            "docx",
            "lettergen.render.formats:_write_docx",
            "lettergen.render.docx",
            "an editable Word document",
            libraries=("python-docx",),
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        Format(
            "tiff",
            "tiff",
            "lettergen.render.formats:_write_tiff",
            "lettergen.render.tiff",
            "a TIFF Class F fax image, made from the PDF",
            derived_from="pdf",
            libraries=("pypdfium2", "pillow"),
            uses_fax_settings=True,
            media_type="image/tiff",
        ),
    )
}

NAMES = tuple(REGISTRY)


# The shipped writers, adapted to the Writer signature (a new writer module can offer one of
# that signature itself and be named directly in its entry).


def _write_pdf(letter: Letter, pdf: RenderedPDF | None, settings: WriteSettings) -> Output:
    assert pdf is not None  # the pipeline lays out the PDF of every format that needs one
    return Output("pdf", pdf.data, pdf.pages, "pdf")


def _write_docx(letter: Letter, pdf: RenderedPDF | None, settings: WriteSettings) -> Output:
    from lettergen.render.docx import render_docx
    from lettergen.render.pdf import letter_fit, page_count

    # A DOCX's page count is its PDF's: the two share margins and metric-compatible fonts, and
    # LibreOffice agrees on every seed letter (tests/render/test_docx.py checks it). Without a PDF
    # in this run, the PDF's layout is made (not written) to count. The writer stores it as the
    # result of its NUMPAGES fields (a cover sheet's "Pages: N").
    pages = pdf.pages if pdf is not None else page_count(letter, settings.templates)
    # Set as its PDF is (a tighter setting where that keeps the letter on one page).
    fit = pdf.fit if pdf is not None else letter_fit(letter, settings.templates)
    docx = render_docx(letter, settings.templates, pages=pages, fit=fit)
    return Output("docx", docx.data, docx.pages or pages, docx.pages_source)


def _write_tiff(letter: Letter, pdf: RenderedPDF | None, settings: WriteSettings) -> Output:
    from lettergen.render.tiff import FaxSettings, pdf_to_tiff

    assert pdf is not None
    fax = settings.fax or FaxSettings()
    tiff = pdf_to_tiff(pdf.data, resolution=fax.resolution, compression=fax.compression)
    return Output("tiff", tiff.data, tiff.pages, "tiff")


def get(name: str) -> Format:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(
            f"unknown format {name!r}", hint=f"choose from {', '.join(NAMES)}"
        ) from None


def parse(formats: str | Iterable[str]) -> tuple[str, ...]:
    """ "pdf,docx" or ["pdf", "docx"] → the formats in order, each once; unknown ones are
    errors. The one place formats are checked."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = list(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
    unknown = [f for f in chosen if f not in REGISTRY]
    if unknown or not chosen:
        raise DataError(
            f"unknown format(s) {', '.join(unknown)}" if unknown else "no format given",
            hint=f"choose from {', '.join(NAMES)}",
        )
    return tuple(chosen)


def by_suffix(suffix: str) -> Format | None:
    """The format a file name's suffix (".pdf", "TIFF") names, if any."""
    wanted = suffix.lower().lstrip(".")
    return next((f for f in REGISTRY.values() if f.suffix == wanted), None)


def _function(spec: str) -> Writer:
    module, _, name = spec.partition(":")
    function: Writer = getattr(importlib.import_module(module), name)
    return function


@cache
def code_fingerprint(name: str) -> str:
    """A hash of the source of the format's writer module, of every lettergen.render module
    it imports (transitively), and of the format it is derived from."""
    fmt = get(name)
    digest = hashlib.sha256(name.encode())
    modules = set().union(*(_writer_modules(root) for root in (fmt.code, *fmt.also)))
    for module in sorted(modules):
        digest.update(module.encode() + b"\0" + _source(module).encode())
    digest.update(inspect.getsource(_function(fmt.writer)).encode())  # the adapter, if any
    if fmt.derived_from:
        digest.update(code_fingerprint(fmt.derived_from).encode())
    return digest.hexdigest()


def _source(module_name: str) -> str:
    try:
        module = importlib.import_module(module_name)
        return inspect.getsource(module)
    except (ImportError, OSError, TypeError) as exc:
        # Without the code's source a rerun could not tell a changed writer: refuse, loudly.
        raise LettergenError(f"the writer module {module_name} cannot be read: {exc}") from exc


def _writer_modules(root: str) -> set[str]:
    """The module and the lettergen.render modules it imports, transitively."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse(_source(name))
        for node in ast.walk(tree):
            for imported in _imports(node, name):
                if imported.startswith(WRITER_PACKAGE + ".") and _is_module(imported):
                    todo.append(imported)
    return seen


def _imports(node: ast.AST, current: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: from . import x
            package = current.rsplit(".", node.level)[0]
            base = f"{package}.{base}" if base else package
        # "from lettergen.render import pdf" names a module; "from x.y import f" a function.
        return [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return []


def _is_module(name: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def describe() -> list[dict[str, Any]]:
    """The registry as data, for documentation and `--help`."""
    return [
        {"name": f.name, "suffix": f.suffix, "derived_from": f.derived_from, "about": f.description}
        for f in REGISTRY.values()
    ]
