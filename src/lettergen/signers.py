"""Signers: the people in whose name letters go out, from a CSV file."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lettergen import yamlio
from lettergen.errors import InputError, LettergenError, ManyErrors, Place

COLUMNS = ("name", "organisation", "city", "country", "email")


@dataclass(frozen=True)
class Signer:
    name: str
    organisation: str = ""
    city: str = ""
    country: str = ""
    email: str = ""

    @property
    def slug(self) -> str:
        """For file names: ascii, lower case, hyphens."""
        text = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "signer"


def load_signers(path: Path) -> list[Signer]:
    """Read a signers CSV (header row: name, and optional organisation, city, country, email)."""
    text = yamlio.read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header:
        raise InputError(
            "the first row must name the columns, with at least 'name'", Place(path, 1)
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(
            f"unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})", Place(path, 1)
        )
    reader.fieldnames = header
    signers: list[Signer] = []
    errors: list[LettergenError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(InputError("more fields than columns", Place(path, line)))
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        if not values.get("name"):
            errors.append(InputError("name is empty", Place(path, line, "name")))
            continue
        signer = Signer(**{k: values.get(k, "") for k in COLUMNS})
        if signer.slug in seen:
            errors.append(
                InputError(
                    f"{signer.name!r} appears twice (first on line {seen[signer.slug]})",
                    Place(path, line, "name"),
                )
            )
            continue
        seen[signer.slug] = line
        signers.append(signer)
    if errors:
        raise ManyErrors(errors)
    if not signers:
        raise InputError("no signers in this file", Place(path))
    return signers
