"""Signers: the people in whose name letters go out, from a CSV file."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from lettergen.errors import InputError, LettergenError, ManyErrors, Place
from lettergen.util import text as hygiene
from lettergen.util import yamlio
from lettergen.util.slugs import ascii_slug

COLUMNS = ("name", "organisation", "city", "country", "email", "message")


def name_key(name: str) -> str:
    """A name as duplicates are found: Unicode-normalised, zero-width characters dropped,
    case-folded, runs of white space made one space ("Анна  Смирнова" and "анна смирнова" are
    the same person; lettergen.util.text)."""
    return hygiene.key(name)


def _name_hash(name: str, length: int) -> str:
    return hashlib.sha256(name_key(name).encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Signer:
    name: str
    organisation: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    #: The supporter's own words: a short paragraph her letter carries (hygiene.MAX_MESSAGE).
    message: str = field(default="", compare=False)
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
        ascii_ = ascii_slug(self.name)
        letters = [c for c in self.name if c.isalpha()]
        foreign = [c for c in letters if not c.isascii()]
        if not foreign and not self.slug_hash and ascii_:
            return ascii_
        kept = sum(1 for c in letters if ascii_slug(c))
        prefix = ascii_ if ascii_ and kept * 2 >= len(letters) else "signer"
        return f"{prefix}-{_name_hash(self.name, self.slug_hash or 8)}"


def signer_named(name: str, option: str = "--signer") -> Signer:
    """The one signer given on the command line, cleaned and checked like a CSV row's name
    (lettergen.util.text): the same letter, whichever way the name came in."""
    cleaned = hygiene.clean(name.strip())
    refused = hygiene.refusal(cleaned)
    if refused is not None:
        raise InputError(refused[2], Place(None, None, option))
    if not cleaned:
        raise InputError("the name is empty", Place(None, None, option))
    if len(cleaned) > hygiene.MAX_NAME:
        raise InputError(
            f"{len(cleaned):,} characters; a letter takes at most {hygiene.MAX_NAME}",
            Place(None, None, option),
        )
    return Signer(cleaned)


def with_message(signer: Signer, message: str, option: str = "--message") -> Signer:
    """The signer with her own words, cleaned and checked like a signers file's `message`."""
    cleaned = hygiene.own_words(message)
    refused = hygiene.refusal(cleaned)
    if refused is not None:
        raise InputError(refused[2], Place(None, None, option))
    if len(cleaned) > hygiene.MAX_MESSAGE:
        raise InputError(
            f"{len(cleaned):,} characters; a letter takes at most {hygiene.MAX_MESSAGE}",
            Place(None, None, option),
        )
    return replace(signer, message=cleaned)


def load_signers(path: Path) -> list[Signer]:
    """Read a signers CSV (header row: name, and optional organisation, city, country, email,
    message: the supporter's own words, one short paragraph, at most hygiene.MAX_MESSAGE
    characters once line breaks are made spaces).
    UTF-8, with or without the byte order mark Excel writes. Every field is cleaned
    (lettergen.util.text: NFC, zero-width characters removed) and refused with its place when
    it holds what a one-line field cannot carry (lettergen.util.text.refusal) or is longer than
    a letter can carry. A name may appear once (compared with lettergen.util.text.key, the one
    folding of "same signer"); every signer gets a slug of its own. Malformed quoting (a quote
    that never closes, which would make the rest of the file one name) is reported with the
    line where the row starts."""
    content = yamlio.read_text(path).removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(content), strict=True)
    row_start = [1]
    try:
        return _read_rows(path, content, reader, row_start)
    except csv.Error as exc:
        # The csv module's own limit (131,072 characters by default, a process-wide setting
        # we leave alone) and malformed quoting end here, with the line the row starts on.
        if "field limit" in str(exc):
            message = f"a field is longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in str(exc):
            message = (
                'a quote (") opens a field that is never closed, so the rest of the file would '
                'be one field (close it; a quote inside a quoted field is written "")'
            )
        else:
            message = f"not a readable CSV row ({exc})"
        raise InputError(message, Place(path, row_start[0])) from None


def _read_rows(
    path: Path, content: str, reader: csv.DictReader[str], row_start: list[int]
) -> list[Signer]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise InputError(
            f"the column {twice[0]!r} is named twice in the first row (keep one)", Place(path, 1)
        )
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
    raw_lines = content.split("\n")
    signers: list[Signer] = []
    errors: list[LettergenError] = []
    seen: dict[str, int] = {}
    end = reader.line_num
    while True:
        row_start[0] = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        start, end = end + 1, reader.line_num
        line = end
        if None in row:
            errors.append(InputError("more fields than columns", Place(path, line)))
            continue
        values = {k: hygiene.clean((v or "").strip()) for k, v in row.items() if k}
        if "message" in values:
            values["message"] = hygiene.own_words(values["message"])
        if not any(values.values()):
            continue
        problem = _refused(path, values, raw_lines[start - 1 : end], start)
        if problem:
            errors.append(problem)
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
            values.get("message", ""),
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


def _refused(path: Path, values: dict[str, str], raw: list[str], start: int) -> InputError | None:
    """Why a row cannot become a signer (what lettergen.util.text.refusal refuses: a bidi or other
    control, a line break, a character that prints as nothing; a field too long), or None.
    raw: the file's lines of the row, the first being line start."""
    line = start + len(raw) - 1
    for key, value in values.items():
        refused = hygiene.refusal(value)
        if refused is None:
            continue
        # A DOCX cannot hold controls, a line break prints as another line of the signature,
        # and no name needs either: refuse before any letter is made.
        kind, index, message = refused
        char = value[index]
        for offset, text in enumerate(raw):
            if char in text and kind in ("bidi", "invisible"):
                where = Place(path, start + offset, key, column=text.index(char) + 1)
                return InputError(message, where)
        return InputError(message, Place(path, start if kind == "line_break" else line, key))
    for key, value in values.items():
        limit = hygiene.MAX_MESSAGE if key == "message" else hygiene.MAX_NAME
        if len(value) > limit:
            return InputError(
                f"{len(value):,} characters; a letter takes at most {limit}",
                Place(path, line, key),
            )
    return None


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
