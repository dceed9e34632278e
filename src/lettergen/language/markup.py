"""Escaping, so that data never turns into markup.

Letter templates are Markdown with Jinja fields. A campaign's own texts are Markdown already
(`MarkdownText`); every other value (names, countries, cities) is plain text and is escaped
before it enters a template, so that `*`, `_` or `<` in a name print as those characters.
"""

from __future__ import annotations

import re


class MarkdownText(str):
    """A text that is Markdown already: inserted into a template as it is, not escaped."""


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape(value: object) -> str:
    """Plain text → Markdown that reads back as exactly that text (on one line)."""
    if isinstance(value, MarkdownText):
        return str(value)
    text = re.sub(r"\s+", " ", str(value))
    return _PUNCTUATION.sub(r"\\\1", text)
