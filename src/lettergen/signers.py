"""Signers: the people in whose name letters go out, from a CSV file."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from lettergen import yamlio
from lettergen.errors import InputError, LettergenError, ManyErrors, Place

#: Characters no letter can carry (C0 controls but tab and line breaks, and U+FFFE/U+FFFF).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

COLUMNS = ("name", "organisation", "city", "country", "email")


def name_key(name: str) -> str:
    """A name as duplicates are found: Unicode-normalised, case-folded, runs of white space made
    one space ("Анна  Смирнова" and "анна смирнова" are the same person)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _ascii_slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _name_hash(name: str, length: int) -> str:
    return hashlib.sha256(name_key(name).encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Signer:
    name: str
    organisation: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    #: Hex digits of the name's hash that the slug ends with, whatever the name; 0: only when
    #: the name has letters outside ascii, 8 of them. load_signers sets it for names whose
    #: slugs would be the same ("John Smith", "John-Smith"; more should two hashes agree).
    slug_hash: int = field(default=0, repr=False)

    @property
    def slug(self) -> str:
        """For file names: ascii, lower case, hyphens; the same for a name whatever the row it
        is on. A name with a letter outside ascii ("José", "Анна Смирнова") always ends with a
        short hash of the name ("jose-1a2b3c4d"), so names that transliterate alike keep
        distinct files; when less than half of its letters transliterate, the slug is
        "signer-<hash>". Plain ascii names keep their readable slug ("maria-lopez") unless two
        names of the file give the same one (then both get the hash, see load_signers)."""
        ascii_ = _ascii_slug(self.name)
        letters = [c for c in self.name if c.isalpha()]
        foreign = [c for c in letters if not c.isascii()]
        if not foreign and not self.slug_hash and ascii_:
            return ascii_
        kept = sum(1 for c in letters if _ascii_slug(c))
        prefix = ascii_ if ascii_ and kept * 2 >= len(letters) else "signer"
        return f"{prefix}-{_name_hash(self.name, self.slug_hash or 8)}"


def load_signers(path: Path) -> list[Signer]:
    """Read a signers CSV (header row: name, and optional organisation, city, country, email).
    UTF-8, with or without the byte order mark Excel writes. A name may appear once (compared
    case-folded, white space normalised); every signer gets a slug of its own."""
    text = yamlio.read_text(path).removeprefix("\ufeff")
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
        bad = [k for k, v in values.items() if _CONTROL.search(v)]
        if bad:
            # A DOCX cannot hold them, and no name needs them: refuse before any letter is made.
            errors.append(InputError("holds a control character", Place(path, line, bad[0])))
            continue
        if not values.get("name"):
            errors.append(InputError("name is empty", Place(path, line, "name")))
            continue
        signer = Signer(
            values["name"],
            values.get("organisation", ""),
            values.get("city", ""),
            values.get("country", ""),
            values.get("email", ""),
        )
        key = name_key(signer.name)
        if key in seen:
            errors.append(
                InputError(
                    f"{signer.name!r} appears twice (first on line {seen[key]})",
                    Place(path, line, "name"),
                )
            )
            continue
        seen[key] = line
        signers.append(signer)
    if errors:
        raise ManyErrors(errors)
    if not signers:
        raise InputError("no signers in this file", Place(path))
    return _distinct_slugs(signers)


def _distinct_slugs(signers: list[Signer]) -> list[Signer]:
    """Signers whose slugs would be the same all get the hash (not just the later ones, so a
    slug does not depend on the order of the rows); in the unlikely case that two hashes still
    agree, longer ones."""
    for length in (8, 16, 64):
        count: dict[str, int] = {}
        for signer in signers:
            count[signer.slug] = count.get(signer.slug, 0) + 1
        if all(n == 1 for n in count.values()):
            return signers
        signers = [replace(s, slug_hash=length) if count[s.slug] > 1 else s for s in signers]
    return signers
