"""Slugs: ascii, lower case, hyphens — for office ids and file names."""

from __future__ import annotations

import re
import unicodedata


def ascii_slug(text: str) -> str:
    """ "Zürich Consulate-General" → "zurich-consulate-general": accents dropped (NFKD), what has
    no ascii form dropped too ("Алматы" → ""), runs of anything else made one hyphen."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
