"""The manifest: the batch's record of what was written, for which office and fax number,
with which inputs (a content hash) and how many pages. Later runs read it to skip what has not
changed and to know which files are theirs; delivery tools read it instead of parsing file
names.

manifest.json holds the rows under "letters" (plus "skipped", "failed", the campaign and the
campaign file it was made from); manifest.csv holds the rows. Keys are only ever added.

While a batch runs, every file it writes is first announced in `.manifest.journal` (one JSON
row a line, with the file's sha256, written before the file), so a batch that is killed at any
moment still leaves a record of the files it wrote: the next run reads the journal with the
manifest and owns the files whose bytes match their line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lettergen import paths
from lettergen._version import __version__
from lettergen.batch import folder as outdir
from lettergen.compose.letter import Letter
from lettergen.render import fonts, formats
from lettergen.render.pdf import FONTS
from lettergen.util import files, spreadsheet

if TYPE_CHECKING:
    from lettergen.render.tiff import FaxSettings

log = logging.getLogger(__name__)

JSON_NAME = "manifest.json"
CSV_NAME = "manifest.csv"
JOURNAL_NAME = ".manifest.journal"


@dataclass
class Row:
    """One manifest row: one file written for one letter."""

    office_id: str
    country: str
    city: str
    addressee: str
    fax: str  # E.164: the number printed on the letter and the number to dial
    language: str
    format: str
    pages: int
    pages_source: str  # how pages were counted: "pdf" (the PDF we wrote), "tiff", "estimate"
    file: str  # relative to the batch folder
    sha256: str
    signer: str
    warnings: list[str] = field(default_factory=list)
    input_hash: str = ""  # of everything the file is made from: a rerun skips it if unchanged
    text: str = ""  # hash of the letter's wording (compose.variants.text_key), signer aside


ROW_KEYS = tuple(f.name for f in fields(Row))


def row_from(record: dict[str, Any]) -> Row:
    """A Row from a manifest record; keys a later version added are ignored."""
    return Row(**{k: v for k, v in record.items() if k in ROW_KEYS})


@cache
def _fingerprint(fmt: str, templates: Path) -> str:
    """lettergen's version, the layout files, the fonts, and the format's writer code (from
    the registry) and library versions: a change to any of them makes a rerun render that
    format again."""
    from importlib.metadata import version

    digest = hashlib.sha256(__version__.encode())
    digest.update(formats.code_fingerprint(fmt).encode())
    for path in sorted((templates / "layout").glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    chain = [formats.get(fmt)]
    while chain[-1].derived_from:
        chain.append(formats.get(chain[-1].derived_from or ""))
    for library in sorted({lib for f in chain for lib in f.libraries}):
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
    if formats.get(fmt).uses_fax_settings:
        digest.update(repr(fax).encode())
    digest.update(_fingerprint(fmt, templates or paths.templates_dir()).encode())
    return digest.hexdigest()


@dataclass
class Previous:
    """What the folder's last runs recorded: rows by file, and what was read."""

    rows: dict[str, Row] = field(default_factory=dict)
    campaign_file: str = ""
    warnings: list[str] = field(default_factory=list)
    complete: bool = True  # False: the manifest was unreadable, render everything again


def read_previous(folder: Path) -> Previous:
    """The last run's manifest rows and a killed run's journal, by file.

    A manifest.json that cannot be read is kept as manifest.json.corrupt-<n> and everything
    is rendered again; which files are lettergen's is then read from manifest.csv if it can
    be, so no file is mistaken for the user's own."""
    previous = Previous()
    path = folder / JSON_NAME
    if path.exists():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            previous.rows = {r["file"]: row_from(r) for r in document["letters"]}
            previous.campaign_file = str(document.get("campaign_file", ""))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            kept = _keep_corrupt(folder, path)
            previous.complete = False
            previous.rows = _csv_rows(folder / CSV_NAME)
            previous.warnings.append(
                f"{path}: unreadable ({type(exc).__name__}); kept as {kept.name}, every letter "
                "is rendered again"
            )
    journal = folder / JOURNAL_NAME
    if journal.exists():
        for row in _journal_rows(journal):
            # A line is written before its file (write-ahead): it counts only if the file
            # holds exactly those bytes; a run killed before the rename leaves the file the
            # manifest recorded (or none), and the manifest's row stands.
            if ".." in Path(row.file).parts or Path(row.file).is_absolute():
                continue
            if outdir.sha256_of(folder / row.file) == row.sha256:
                previous.rows[row.file] = row
    return previous


def _keep_corrupt(folder: Path, path: Path) -> Path:
    n = 1
    while (folder / f"{JSON_NAME}.corrupt-{n}").exists():
        n += 1
    target = folder / f"{JSON_NAME}.corrupt-{n}"
    with outdir.os_errors(target):
        path.rename(target)
    return target


def _csv_rows(path: Path) -> dict[str, Row]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = {}
            for record in csv.DictReader(handle):
                record = {k: spreadsheet.original(v) for k, v in record.items() if k in ROW_KEYS}
                record["warnings"] = [w for w in (record.get("warnings") or "").split("; ") if w]
                record["pages"] = int(record.get("pages") or 0)
                record["input_hash"] = ""  # not trusted: render again
                rows[record["file"]] = row_from(record)
            return rows
    except (OSError, ValueError, KeyError, TypeError, csv.Error):
        return {}


def _journal_rows(path: Path) -> Iterator[Row]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            yield row_from(json.loads(line))
        except (ValueError, TypeError, KeyError):
            continue  # the last line of a killed run may be cut short


class Journal:
    """The rows of the files this run wrote, appended as each is written, so a killed batch
    leaves a record. Opened on the first write: a run that writes nothing writes no journal."""

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL_NAME
        self._handle: IO[str] | None = None

    def add(self, row: Row) -> None:
        if self._handle is None:
            with outdir.os_errors(self.path):
                self._handle = self.path.open("a", encoding="utf-8")
        with outdir.os_errors(self.path):
            self._handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
            self._handle.flush()

    def close(self, remove: bool) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if remove and self.path.exists():
            with outdir.os_errors(self.path):
                self.path.unlink()


def write(
    folder: Path,
    campaign: str,
    rows: Iterable[Row] | Spool,
    skipped: Iterable[Any] = (),
    failed: Iterable[Any] = (),
    campaign_file: str = "",
    request: dict[str, Any] | None = None,
) -> bool:
    """manifest.json and manifest.csv, each written whole or not at all — and not at all when
    the file already holds exactly these bytes (so a no-change rerun writes nothing and works
    in a read-only folder). The rows are streamed: a million of them are never all in memory.
    `request` is what the batch was asked for (`plan.to_request`; None when single letters were
    merged in). Returns whether anything was written."""
    spool = rows if isinstance(rows, Spool) else Spool(rows)
    head = {
        "campaign": campaign,
        "campaign_file": campaign_file,
        "lettergen": __version__,
        "request": request,
    }
    tail = {
        "skipped": [asdict(s) for s in skipped],
        "failed": [asdict(f) for f in failed],
        "texts_per_office": texts_per_office(spool.records()),
    }

    def json_parts() -> Iterator[str]:
        yield json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "letters": ['
        for n, record in enumerate(spool.records()):
            body = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            yield ("," if n else "") + "\n    " + body
        rest = json.dumps(tail, ensure_ascii=False, indent=2)[1:]
        yield ("\n  ]," if spool.count else "],") + rest + "\n"

    def csv_parts() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(ROW_KEYS), lineterminator="\n")
        writer.writeheader()
        for record in spool.records():
            writer.writerow(
                spreadsheet.record({**record, "warnings": "; ".join(record["warnings"])})
            )
            if buffer.tell() > 1 << 16:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    changed = False
    for name, parts in ((JSON_NAME, json_parts), (CSV_NAME, csv_parts)):
        changed |= _write_if_changed(folder / name, parts)
    return changed


def texts_per_office(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Office id → how many different wordings its letters have (phrasing variants): the
    letters of a drive to one office are not one form letter."""
    texts: dict[str, set[str]] = {}
    for record in records:
        if record.get("text"):
            texts.setdefault(record["office_id"], set()).add(record["text"])
    return {office: len(found) for office, found in sorted(texts.items())}


class Spool:
    """Rows kept in a temporary file (in the system's temp folder, not the output folder),
    added one by one and read back as often as needed: a batch's rows are never all in
    memory."""

    def __init__(self, rows: Iterable[Row] = ()):
        import tempfile

        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self.count = 0
        for row in rows:
            self.add(row)

    def add(self, row: Row) -> None:
        self.file.seek(0, io.SEEK_END)
        self.file.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
        self.count += 1

    def rows(self) -> Iterator[Row]:
        return (row_from(record) for record in self.records())

    def records(self) -> Iterator[dict[str, Any]]:
        self.file.seek(0)
        for line in self.file:
            yield json.loads(line)

    def close(self) -> None:
        self.file.close()


def _write_if_changed(path: Path, parts: Any) -> bool:
    digest = hashlib.sha256()
    for part in parts():
        digest.update(part.encode("utf-8"))
    if outdir.sha256_of(path) == digest.hexdigest():
        return False
    with outdir.os_errors(path):
        files.atomic_write_parts(path, parts())
    return True


def read_rows(folder: Path) -> list[Row]:
    """The rows of a batch folder's manifest."""
    document = json.loads((folder / JSON_NAME).read_text(encoding="utf-8"))
    return [row_from(r) for r in document["letters"]]
