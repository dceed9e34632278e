"""The output folder: the one place lettergen writes a batch, and what it promises about it.

- Names that come from input and become paths (campaign names, language codes, office ids,
  signer slugs) are checked here, once, before anything is written; every path written is
  resolved (symlinks included) and proven to lie under the batch folder.
- One batch per folder at a time: an OS lock (flock) on the folder itself, which the kernel
  releases when the process dies, however it dies.
- A file is only removed or replaced when its bytes are the ones the manifest recorded; a file
  changed since lettergen wrote it is kept and reported.
- OS errors on the output side (disk full, read-only, name too long, a file where a folder
  belongs) become one-line messages naming the path.

See docs/files.md for the promises and the tests that prove them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from lettergen.errors import DataError, LettergenError
from lettergen.util import files

#: A file or folder name made from input: letters, digits, dot, hyphen, underscore; not
#: starting with a dot (no "..", no hidden files).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: Language codes as lettergen names its template folders: BCP 47's shape (en, pt-BR, pt_BR,
#: zh-Hant), letters, digits and hyphens (or the underscore the templates use).
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
MAX_NAME = 100  # characters of a campaign name, a language code or an office id
MAX_FILE_NAME = 200  # bytes of one file name; most file systems allow 255
#: Files beside the manifest that are the folder's records, not letters (prefixes): what
#: `lettergen send` keeps — the ledger (SQLite with its -wal and -shm files), its id, journal
#: and lock — and the print batches for post and the transmission reports it writes.
COMPANIONS = ("ledger.", "post/", "reports/")
TEMP_PATTERN = ".*.tmp"  # what atomic_write leaves when killed between write and rename


class OutputError(LettergenError):
    """The output folder cannot be written as asked."""


def check_name(what: str, value: str, hint: str | None = None) -> str:
    """A campaign name or office id that becomes a file or folder name."""
    if len(value) > MAX_NAME:
        raise DataError(f"{what} {value[:40]!r}… is longer than {MAX_NAME} characters", hint=hint)
    if not SAFE_NAME.fullmatch(value) or value in (".", ".."):
        raise DataError(
            f"{what} {value!r} cannot name a file: use letters, digits, '.', '-' and '_', "
            "not starting with '.'",
            hint=hint,
        )
    return value


def check_language(code: str, where: str = "language") -> str:
    """A language code that becomes a folder name (letters in en/, templates in
    letter_templates/en/)."""
    if len(code) > 35 or not LANGUAGE_CODE.fullmatch(code):
        raise DataError(
            f"{where} {code[:40]!r} is not a language code (like en, de, pt-BR)",
        )
    return code


def file_name(stem: str, suffix: str) -> str:
    """stem.suffix, shortened with a hash of the whole stem when too long for a file system."""
    name = f"{stem}.{suffix}"
    if len(name.encode()) <= MAX_FILE_NAME:
        return name
    digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
    keep = MAX_FILE_NAME - len(suffix) - len(digest) - 4
    head = stem.encode()[:keep].decode("utf-8", "ignore")
    return f"{head}--{digest}.{suffix}"


def inside(folder: Path, relative: str | Path) -> Path:
    """folder/relative, proven to lie under folder once resolved (symlinks followed)."""
    root = folder.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise OutputError(f"{folder / relative}: would be written outside {folder}, refused")
    return target


@contextlib.contextmanager
def os_errors(path: Path | None = None) -> Iterator[None]:
    """An OSError on the output side as a one-line message naming the path."""
    try:
        yield
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None


_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "file name too long",
    errno.EISDIR: "a folder is where a file belongs",
    errno.ENOTDIR: "a file is where a folder belongs",
    errno.EEXIST: "a file is where a folder belongs",
}


def describe_os_error(exc: OSError, path: Path | None = None) -> str:
    where = exc.filename or path or "output"
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return f"{where}: cannot write: {reason}"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's batch lock: an flock on the folder itself, so it needs no file and
    works in a read-only folder; the kernel drops it when the process ends, however."""
    with os_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{folder}: another lettergen batch is writing this folder; wait for it to "
                "finish, or write elsewhere with -o"
            ) from None
        yield
    finally:
        os.close(fd)


def clean_temporaries(folder: Path) -> list[str]:
    """Remove the temporary files a killed run left (only ours: '.<name>.<random>.tmp')."""
    removed = []
    for path in sorted(folder.rglob(TEMP_PATTERN)):
        if path.is_file() and not path.is_symlink():
            with os_errors(path):
                path.unlink()
            removed.append(path.relative_to(folder).as_posix())
    return removed


def sha256_of(path: Path) -> str | None:
    """The file's sha256, or None if there is no readable regular file."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def write(folder: Path, relative: str, data: bytes | str) -> Path:
    """Write folder/relative whole or not at all, after proving it lies under folder."""
    target = inside(folder, relative)
    with os_errors(target):
        files.atomic_write(target, data)
    return target


def remove(folder: Path, relative: str) -> None:
    """Remove folder/relative, and the folders that leaves empty (never the batch folder)."""
    target = inside(folder, relative)
    root = folder.resolve()
    with os_errors(target):
        target.unlink()
        parent = target.parent
        while parent != root and parent.is_relative_to(root) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def beside(folder: Path, relative: str) -> str:
    """A free name next to a file the user changed: x.pdf → x.new.pdf (x.new-2.pdf, …)."""
    path = Path(relative)
    for n in range(1, 1000):
        tag = "new" if n == 1 else f"new-{n}"
        candidate = path.with_name(f"{path.stem}.{tag}{path.suffix}").as_posix()
        if not (folder / candidate).exists():
            return candidate
    raise OutputError(f"{folder / relative}: no free name beside it")
