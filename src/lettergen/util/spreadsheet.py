"""Spreadsheet-safe cells: text lettergen writes into a CSV or XLSX file is never run as a
formula when the file is opened in a spreadsheet.

A spreadsheet reads a CSV cell beginning with `=`, `+`, `-` or `@` as a formula, and so may a
cell beginning with a tab or carriage return followed by one (OWASP, "CSV Injection"): a
signer named `=HYPERLINK("http://x","y")` would become a live link in manifest.csv. Every
text cell lettergen writes to a CSV file goes through `cell()`, which puts a `'` in front of
such a text. The rule is reversible: `original()` removes the `'` again, and only that one (a
text that itself began with `'` and then one of those characters gets a second `'`, so nothing
is ever ambiguous). "'t Hooft" is written as it is.

One exception, on purpose: a phone or fax number in E.164 (`+493047007125`, or several, one per
line or separated by `;`) is written as it is. It is data lettergen has validated: a plus and
digits, no function name, no operator, nothing a spreadsheet could run; at worst a spreadsheet
shows it as the number 493047007125, which the directory import reads back as `+493047007125`.
A `'` in front would break every tool and person reading numbers from the file.

XLSX cells are written as text cells (type `s`, never `f`), with Excel's quote-prefix flag on a
text that begins with one of the characters above, so that editing the cell keeps it text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: The characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_E164_CELL = re.compile(r"\+[1-9][0-9]{4,14}(?:\s*[;\n]\s*\+[1-9][0-9]{4,14})*")


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet could read text as a formula (E.164 numbers excepted), or text
    begins with a `'` that `original()` would otherwise take away."""
    if not text:
        return False
    if text[0] == "'":
        return needs_quote(text[1:])
    return text.startswith(FORMULA_STARTS) and not _E164_CELL.fullmatch(text)


def cell(value: Any) -> Any:
    """A value to write into a CSV cell: a text a spreadsheet would run gets a `'` in front;
    anything else (numbers, None) is returned as it is."""
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def original(text: Any) -> Any:
    """The text `cell()` was given: the one `'` it added removed (anything else as it is)."""
    if isinstance(text, str) and text.startswith("'") and needs_quote(text[1:]):
        return text[1:]
    return text


def row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every cell made safe (csv.writer)."""
    return [cell(value) for value in values]


def record(values: Mapping[str, Any]) -> dict[str, Any]:
    """A CSV record with every cell made safe (csv.DictWriter)."""
    return {key: cell(value) for key, value in values.items()}


def text_cell(target: Any, value: Any) -> None:
    """Put value into an openpyxl cell; a text stays a text cell (never a formula), with the
    quote-prefix flag where its first character would start one when edited."""
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"
        if needs_quote(value):
            target.quotePrefix = True
