"""How many letters the page made, per office, language and kind: counts, never names.

A small SQLite file, so every worker process adds to the same numbers; kept only when the
group turns on the admin page.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS letters (
    office TEXT NOT NULL,
    language TEXT NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (office, language, kind)
)
"""


class Counts:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, office: str, language: str, kind: str) -> None:
        db = self._connect()
        try:
            with db:
                db.execute(
                    "INSERT INTO letters (office, language, kind, count) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT (office, language, kind) DO UPDATE SET count = count + 1",
                    (office, language, kind),
                )
        finally:
            db.close()

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(office, language, kind, count), by office, language and kind."""
        db = self._connect()
        try:
            return [
                (str(o), str(lang), str(k), int(c))
                for o, lang, k, c in db.execute(
                    "SELECT office, language, kind, count FROM letters "
                    "ORDER BY office, language, kind"
                )
            ]
        finally:
            db.close()
