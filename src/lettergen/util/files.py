"""Files written whole or not at all: a temporary file beside the target, flushed to disk, then
renamed over it. A reader, a crash or a full disk never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file whole or not at all: a temporary file beside it, then a rename."""
    atomic_write_parts(path, [data])


def atomic_write_parts(path: Path, parts: Iterable[bytes | str]) -> None:
    """atomic_write of a file made of many parts (a manifest of a million rows), written as
    they come, never held whole in memory. Text is written as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part.encode("utf-8") if isinstance(part, str) else part)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
