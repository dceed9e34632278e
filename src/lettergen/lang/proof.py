"""A reviewer's proof of a letter language, and the record of a review.

`lettergen lang proof LANG` writes one PDF: for each representative office (every kind of
office, an ambassador known by name, an accredited head of mission, the UN mission, a country
reached through an office abroad), the English letter and then the translated one, as the batch
lays them out. What the strings fill in from data (the sending state's name, the country, the
organisation, a head's name) is highlighted, so a native speaker sees where grammar
meets data (cases, articles, prepositions) and reviews the whole language in one read. The
campaign's own texts stand as "⁂": they are the campaign's, reviewed with it.

`lettergen lang review LANG --by NAME` records that review in the language's strings.yaml
(`status: reviewed`, and `review:` with who, when and which English text it was checked against),
instead of a hand edit of `status`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import escape

from lettergen import lang as langcheck
from lettergen import paths
from lettergen.compose.letter import Letter
from lettergen.errors import InputError, LettergenError, Place
from lettergen.lang import spelling
from lettergen.lang.texts import _source
from lettergen.language.languages import STRINGS, Language, clear_caches, language
from lettergen.util import files, yamlio

log = logging.getLogger(__name__)

#: How the proof marks text that strings fill in from data, and labels each page.
PROOF_CSS = """
mark.filled { background: #ffe36e; color: inherit; padding: 0 0.1em; }
p.proof-label { font: 7.5pt sans-serif; color: #9b1c1c; margin: 0 0 2mm 0; }
"""

#: Names for the named-head trials: a proof shows how a known head's name sits in the address.
SAMPLE_HEADS = {"female": "Aigul Nurlanova", "male": "Nurlan Abenov"}


def proof_letters(code: str, directory: Any) -> list[tuple[str, Letter, Letter, list[str]]]:
    """(label, English letter, translated letter, filled-in values of the translation) for
    each representative office."""
    from lettergen.compose.composer import Recipient, _context, compose_letter
    from lettergen.directory.model import Head

    lang = language(code)
    english = language(langcheck.SOURCE)
    result = []
    for office, country, how in spelling.representative(directory):
        if office.head is not None:
            office = replace(
                office, head=Head(SAMPLE_HEADS[office.head.gender], office.head.gender)
            )
        recipient = Recipient(office, country)
        label = office.id + (f" for {country}" if country != office.country else "") + f" ({how})"
        letters = []
        for language_ in (english, lang):
            campaign = spelling.trial_campaign(language_.code)
            letters.append(
                compose_letter(campaign, recipient, lang=language_.code, state=directory.state)
            )
        filled = _filled(_context(lang, recipient, directory.state))
        result.append((label, letters[0], letters[1], filled))
    return result


def _filled(context: dict[str, Any]) -> list[str]:
    """The texts a letter's strings take from data: the state's forms, the country and its
    "in" form, the organisation, a head's name. (The city is left out: it is in every postal
    address, where no string puts it.)"""
    values: list[str] = []
    state = context.get("state")
    if isinstance(state, dict):
        values.extend(str(v) for v in state.values())
    for key in ("country", "organisation"):
        values.append(str(context.get(key) or ""))
    with contextlib.suppress(LettergenError):  # `lang check` reports a missing form
        values.append(str(context["country_in"]))
    head = context.get("head") or {}
    values.append(str(head.get("name") or ""))
    return sorted({v for v in values if v.strip()}, key=len, reverse=True)


def mark(html: str, values: list[str], label: str) -> str:
    """The letter's HTML with each filled-in value highlighted (in text, never in tags) and a
    label line above the letter."""
    head, _, body = html.partition("<body")
    head = head.replace("</head>", f"<style>{PROOF_CSS}</style></head>")
    if values:
        pattern = re.compile("|".join(re.escape(str(escape(v))) for v in values))
        parts = re.split(r"(<[^>]*>)", body)
        body = "".join(
            part
            if part.startswith("<") or i == 0
            else pattern.sub(lambda m: f'<mark class="filled">{m.group(0)}</mark>', part)
            for i, part in enumerate(parts)
        )
    tag_end = body.index(">") + 1
    body = body[:tag_end] + f'<p class="proof-label">{escape(label)}</p>' + body[tag_end:]
    return head + "<body" + body


def write_proof(code: str, output: Path, directory: Any = None) -> int:
    """Write the proof PDF of a language; returns its number of pages."""
    import weasyprint

    from lettergen.render import pdf

    if code == langcheck.SOURCE:
        raise InputError("English is the source: proof a translation, e.g. 'lang proof fr'")
    clear_caches()
    if directory is None:
        found = spelling.load_directories()
        if not found:
            raise InputError(
                "the directories cannot be read", hint="run 'lettergen missions validate'"
            )
        directory = found[0]
    # One page layout for both letters: the working folder's own layout/, else the shipped
    # one (a user's language folder need not carry a layout of its own).
    templates = paths.templates_dir().resolve()
    documents = []
    for label, english, translated, filled in proof_letters(code, directory):
        for letter, values, name in ((english, [], "English"), (translated, filled, code)):
            # The renderer's shared fonts and local-only fetcher (render.pdf), as for letters.
            font_config, css, fetcher = pdf._weasy(templates)
            html = mark(pdf.to_html(letter, templates), values, f"{label} · {name}")
            document = weasyprint.HTML(
                string=html, base_url=str(templates / "layout") + "/", url_fetcher=fetcher
            ).render(font_config=font_config, stylesheets=[css])
            documents.append(document)
    pages = [page for document in documents for page in document.pages]
    data = documents[0].copy(pages).write_pdf()
    files.atomic_write(output, data)
    return len(pages)


# --- lang review ----------------------------------------------------------------------------


def english_hash(templates: Path | None = None) -> str:
    """One hash of the English text (its strings and prose) a review was made against."""
    hashes = langcheck.source_hashes(templates)
    joined = "".join(f"{name}:{digest}\n" for name, digest in sorted(hashes.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


_REVIEW_BLOCK = re.compile(r"^review:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)


def record_review(
    code: str, by: str, templates: Path | None = None, when: dt.datetime | None = None
) -> dict[str, str]:
    """Mark a language reviewed by a native speaker: `status: reviewed` and a `review:` block
    (by, at, english) in its strings.yaml. The translation must follow today's English (no
    `outdated` finding), so the recorded hash names the text that was read."""
    clear_caches()
    lang: Language = language(code, templates)
    path = lang.folder / STRINGS
    if code == langcheck.SOURCE:
        raise InputError("English is the source; review a translation", Place(path))
    name = " ".join(by.split())
    if not name or any(c in name for c in "\n:#\"'"):
        raise InputError(f"--by {by!r}: give the reviewer's name as plain words")
    outdated = list(_source(lang, language(langcheck.SOURCE, templates)))
    if outdated:
        raise InputError(
            f"{code} does not follow today's English text: {outdated[0].message}",
            outdated[0].place,
        )
    stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%MZ")
    record = {"by": name, "at": stamp, "english": english_hash(lang.folder.parent)}
    block = "review:                # recorded by 'lettergen lang review'\n" + "".join(
        f"  {key}: {value}\n" for key, value in record.items()
    )
    text = yamlio.read_text(path)
    text = _REVIEW_BLOCK.sub("", text)
    if re.search(r"^status: .*\n", text, flags=re.MULTILINE):
        text = re.sub(
            r"^status: .*\n",
            lambda _: "status: reviewed\n" + block,
            text,
            count=1,
            flags=re.MULTILINE,
        )
    else:
        text = "status: reviewed\n" + block + text
    files.atomic_write(path, text)
    clear_caches()
    return record


def default_output(code: str) -> Path:
    return paths.output_dir() / f"proof-{code}.pdf"
