"""`lettergen lang new` and `lang mark-current`: start a language from English, and record
which English text a translation follows (`source_hash:`, a sha256 per English file)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from babel import Locale, UnknownLocaleError

from lettergen import paths
from lettergen.errors import InputError, Place
from lettergen.lang.codes import FILES, SOURCE
from lettergen.language.languages import BODY_TEMPLATE, LAYOUT, STRINGS
from lettergen.util import files, yamlio


def source_hashes(templates: Path | None = None) -> dict[str, str]:
    """sha256 of each English file, as a translation records it."""
    english = paths.language_dir(SOURCE, templates)
    return {name: hashlib.sha256((english / name).read_bytes()).hexdigest() for name in FILES}


def _hash_block(hashes: dict[str, str]) -> str:
    lines = [
        "source_hash:           # the English text this translation follows"
        " ('lettergen lang check' compares)"
    ]
    lines.extend(f"  {name}: {digest}" for name, digest in hashes.items())
    return "\n".join(lines) + "\n"


_HASH_BLOCK = re.compile(r"^source_hash:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)
_CODE = re.compile(r"^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_[A-Z]{2})?$")


def new_language(code: str, templates: Path | None = None) -> Path:
    """Scaffold letter_templates/<code>/ in the working folder (or `templates`) from English:
    the same files, marked draft, recording the English text they start from. Never inside
    the installed package, which an upgrade replaces. Returns the new folder."""
    folder = (templates or paths.user_templates_dir()) / code
    english = paths.language_dir(SOURCE, templates)
    if not _CODE.match(code) or code == LAYOUT:
        raise InputError(
            f"{code!r} is not a language code",
            hint="use a code like 'pt', 'uk' or 'pt_BR' (ISO 639 language, optional region)",
        )
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        raise InputError(
            f"{code!r} is no language CLDR knows", hint="check the code, e.g. 'pt' or 'uk'"
        ) from None
    existing = paths.language_dir(code, templates)
    if folder.exists() or existing.exists():
        shipped = not folder.exists()
        raise InputError(
            "this language exists already" + (" (shipped with lettergen)" if shipped else ""),
            Place(folder if folder.exists() else existing),
            hint=f"to change it, copy that folder to {folder}/ and edit the copy"
            if shipped
            else f"edit its files, or run 'lettergen lang check {code}'",
        )
    text = yamlio.read_text(english / STRINGS)
    text = re.sub(r"^language: .*$", f"language: {code}", text, count=1, flags=re.MULTILINE)
    text = re.sub(
        r"^locale: .*$",
        f"locale: {code}"
        + " " * max(1, 15 - len(code))
        + "# dates and country names (CLDR); e.g. pt_BR",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    text = re.sub(
        r"^status: .*\n",
        'status: draft          # "reviewed" once a native speaker has reviewed the language\n'
        + _hash_block(source_hashes(templates)),
        text,
        count=1,
        flags=re.MULTILINE,
    )
    # English's country names ("the Netherlands") are no use in another language: start empty.
    text = re.sub(
        r"^countries:\n(?:[ \t]+.*\n)*",
        "countries: {}          # e.g.  NL: <the name with an article, if the prose needs one>\n",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    folder.mkdir(parents=True)
    (folder / STRINGS).write_text(text, encoding="utf-8")
    shutil.copyfile(english / BODY_TEMPLATE, folder / BODY_TEMPLATE)
    return folder


def mark_current(code: str, templates: Path | None = None) -> dict[str, str]:
    """Record that a translation follows the English text as it is now."""
    path = paths.language_dir(code, templates) / STRINGS
    if code == SOURCE:
        raise InputError("English is the source; it records no source_hash", Place(path))
    text = yamlio.read_text(path)
    hashes = source_hashes(templates)
    block = _hash_block(hashes)
    if _HASH_BLOCK.search(text):
        text = _HASH_BLOCK.sub(lambda _: block, text, count=1)
    elif re.search(r"^status: .*\n", text, flags=re.MULTILINE):
        text = re.sub(
            r"^(status: .*\n)", lambda m: m.group(1) + block, text, count=1, flags=re.MULTILINE
        )
    else:
        text = block + text
    files.atomic_write(path, text)
    return hashes
