"""The manifest: the batch's record of what was written, for which office and fax number,
with which inputs (a content hash) and how many pages. Later runs read it to skip what has not
changed; delivery tools read it instead of parsing file names."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen import paths, yamlio
from lettergen._version import __version__
from lettergen.letter import Letter

if TYPE_CHECKING:
    from lettergen.render.fax import FaxSettings


@dataclass
class Row:
    """One manifest row: one file written for one letter."""

    office_id: str
    country: str
    city: str
    addressee: str
    fax: str
    language: str
    format: str
    pages: int
    pages_source: str  # how pages were counted: "pdf" (the PDF we wrote), "tiff", "estimate"
    file: str  # relative to the batch folder
    sha256: str
    signer: str
    warnings: list[str]
    input_hash: str = ""  # of everything the file is made from: a rerun skips it if unchanged


#: What, besides the Letter, makes each format's bytes: writer modules (in render/) and the
#: libraries they drive. A TIFF is made from the PDF, so it depends on all the PDF does.
WRITERS = {
    "pdf": (("pdf.py", "fonts.py"), ("weasyprint", "pikepdf")),
    "docx": (("docx.py",), ("python-docx",)),
    "tiff": (("pdf.py", "fonts.py", "fax.py"), ("weasyprint", "pikepdf", "pypdfium2", "pillow")),
}


@cache
def _fingerprint(fmt: str, templates: Path | None) -> str:
    """lettergen's version, the layout files, the fonts, and the format's writer code and
    library versions: a change to any of them makes a rerun render that format again."""
    from importlib.metadata import version

    from lettergen.render import fonts
    from lettergen.render.pdf import FONTS

    modules, libraries = WRITERS[fmt]
    digest = hashlib.sha256(__version__.encode())
    layout = (templates or paths.templates_dir()) / "layout"
    code = Path(__file__).parent / "render"
    for path in sorted([*layout.glob("*"), *(code / name for name in modules)]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    for library in libraries:
        digest.update(f"{library} {version(library)}".encode())
    for family in sorted({f for families in FONTS.values() for f in families}):
        for face in fonts.faces(family):
            digest.update(str(face.path).encode() + str(face.path.stat().st_size).encode())
    return digest.hexdigest()


def input_hash(
    letter: Letter, fmt: str, fax: FaxSettings | None = None, templates: Path | None = None
) -> str:
    """The content hash of everything a file is made from. The Letter holds every word (so a
    changed demand, office record, signer or string changes exactly the letters it is in);
    the rest is the format, its options and the format's fingerprint."""
    digest = hashlib.sha256(repr(letter).encode())
    digest.update(fmt.encode())
    if fmt == "tiff":
        digest.update(repr(fax).encode())
    digest.update(_fingerprint(fmt, templates).encode())
    return digest.hexdigest()


def previous_rows(folder: Path) -> dict[str, Row]:
    """The last run's manifest rows by file, to skip what has not changed. A manifest that
    cannot be read only means everything is rendered again."""
    try:
        document = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {row["file"]: Row(**row) for row in document["letters"] if row.get("input_hash")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def unchanged(folder: Path, row: Row) -> bool:
    try:
        return hashlib.sha256((folder / row.file).read_bytes()).hexdigest() == row.sha256
    except OSError:
        return False


def remove_stale(folder: Path, previous: dict[str, Row], current: set[str]) -> list[str]:
    """Delete the files the last manifest lists that this batch did not make (and the folders
    that leaves empty); only files the manifest names are touched. Returns their names."""
    removed = []
    for name in sorted(set(previous) - current):
        path = folder / name
        if path.resolve().is_relative_to(folder.resolve()) and path.is_file():
            path.unlink()
            removed.append(name)
            if path.parent != folder and not any(path.parent.iterdir()):
                path.parent.rmdir()
    return removed


def write(
    folder: Path,
    campaign: str,
    rows: Iterable[Row],
    skipped: Iterable[Any] = (),
    failed: Iterable[Any] = (),
) -> None:
    """manifest.json (rows under "letters", plus "skipped" and "failed") and manifest.csv
    (the rows), each written whole or not at all."""
    records = [asdict(row) for row in rows]
    document = {
        "campaign": campaign,
        "lettergen": __version__,
        "letters": records,
        "skipped": [asdict(s) for s in skipped],
        "failed": [asdict(f) for f in failed],
    }
    yamlio.atomic_write(
        folder / "manifest.json", json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(Row.__dataclass_fields__), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({**record, "warnings": "; ".join(record["warnings"])})
    yamlio.atomic_write(folder / "manifest.csv", buffer.getvalue())
