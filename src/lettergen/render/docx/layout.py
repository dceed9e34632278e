"""The measures of the PDF's letter.css that a Word document can express, read with tinycss2.

The PDF's layout is the one source: a change to letter.css changes both writers. Only the
values the DOCX writer needs are read; a missing one is a RenderError naming letter.css.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import tinycss2

from lettergen import paths
from lettergen.errors import Place, RenderError

PAGE_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MM_PER_PT = 25.4 / 72
_UNITS_MM = {
    "mm": 1.0,
    "cm": 10.0,
    "in": 25.4,
    "pt": MM_PER_PT,
    "pc": 12 * MM_PER_PT,
    "px": 25.4 / 96,
}
_SIDES = ("top", "right", "bottom", "left")


@dataclass(frozen=True)
class Layout:
    """The measures of letter.css that a Word document can express, in mm and pt."""

    page_mm: tuple[float, float]
    margins_mm: tuple[float, float, float, float]  # top, right, bottom, left
    header_mm: float  # page top edge → top of the running header's line
    header_pt: float
    body_pt: float
    line_height: float  # a multiple of the font size (Word: a minimum line pitch)
    addressee_share: float  # of the text width
    sender_share: float
    sender_pt: float
    sender_name_bold: bool
    head_gap_mm: float  # below the addressee and sender block
    date_pt: float
    date_before_mm: float
    notice_pt: float
    notice_italic: bool
    notice_rule_pt: float
    notice_padding_mm: float
    notice_after_mm: float
    subject_bold: bool
    subject_after_mm: float
    salutation_after_mm: float
    paragraph_after_mm: float
    list_after_mm: float
    list_indent_mm: float
    item_after_mm: float
    closing_before_mm: float
    signature_space_mm: float
    signer_bold: bool
    # Under a supporter's own letterhead: the line after her signature naming the group for
    # replies (.replies).
    replies_pt: float
    replies_before_mm: float
    # The fax cover sheet (.cover): its own page, in large type.
    cover_pt: float
    cover_line_height: float
    cover_title_pt: float
    cover_title_bold: bool
    cover_title_after_mm: float
    cover_label_bold: bool
    cover_label_gap_mm: float  # label column's end padding
    cover_padding_mm: tuple[float, float]  # above and below each row's text
    cover_rule_pt: float  # below each row
    # A joint letter's list of signatories (.signatories): its heading, then a numbered list.
    signatories_pt: float
    signatories_line_height: float
    signatories_before_mm: float
    signatories_heading_pt: float
    signatories_heading_after_mm: float
    signatory_after_mm: float
    signatories_gap_mm: float  # between the columns of a long list
    signatories_indent_mm: tuple[float, float]  # text from the margin: short list, long list

    @property
    def text_width_mm(self) -> float:
        return self.page_mm[0] - self.margins_mm[1] - self.margins_mm[3]


def layout(page_size: str, templates: Path | None = None, fit: int = 0) -> Layout:
    """The layout of a page size, from the letter templates' layout/letter.css; `fit`: the
    tighter setting (.fit-N) the letter's PDF took to stay on one page (render.pdf)."""
    return _layout(paths.templates_dir(templates).resolve(), page_size, fit)


def with_fit(rules: Rules, fit: int) -> Rules:
    """The rules as they apply to a letter in the setting .fit-N: `.fit-N` on the root
    (html's font size and line height) and `.fit-N <selector>` over `<selector>`."""
    if not fit:
        return rules
    prefix = f".fit-{fit}"
    merged = {selector: dict(declarations) for selector, declarations in rules.items()}
    for selector, declarations in rules.items():
        if selector == prefix:
            merged.setdefault("html", {}).update(declarations)
        elif selector.startswith(prefix + " "):
            merged.setdefault(selector[len(prefix) + 1 :], {}).update(declarations)
    return merged


#: {selector: {property: value tokens}}; a nested rule is keyed by both preludes
#: ("@page @top-left"), a selector list gives each selector the declarations.
Rules = dict[str, dict[str, list[Any]]]


def css_rules(css: str) -> Rules:
    """letter.css as Rules. Later declarations win, as in CSS; selectors are compared as
    written (whitespace normalised), which is all our own layout file needs."""
    rules: Rules = {}

    def add(name: str, content: list[Any]) -> None:
        declarations = rules.setdefault(name, {})
        for item in tinycss2.parse_blocks_contents(
            content, skip_comments=True, skip_whitespace=True
        ):
            if item.type == "declaration":
                declarations[item.lower_name] = _tokens(item.value)
            elif item.type == "at-rule" and item.content is not None:
                add(f"{name} @{item.lower_at_keyword}", item.content)
            elif item.type == "qualified-rule":
                for selector in tinycss2.serialize(item.prelude).split(","):
                    add(f"{name} {' '.join(selector.split())}", item.content)

    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.content is not None:
            prelude = " ".join(tinycss2.serialize(rule.prelude).split())
            add(" ".join(f"@{rule.lower_at_keyword} {prelude}".split()), rule.content)
        elif rule.type == "qualified-rule":
            for selector in tinycss2.serialize(rule.prelude).split(","):
                add(" ".join(selector.split()), rule.content)
    return rules


def _tokens(value: list[Any]) -> list[Any]:
    return [t for t in value if t.type not in ("whitespace", "comment")]


class _Sheet:
    """Typed reads from the rules of one letter.css, each error naming the file."""

    def __init__(self, rules: Rules, path: Path) -> None:
        self.rules, self.path = rules, path

    def tokens(self, selector: str, prop: str) -> list[Any]:
        value = self.rules.get(selector, {}).get(prop)
        if value is None:
            raise RenderError(
                f"'{selector} {{ {prop}: … }}' is missing",
                Place(self.path),
                hint="the DOCX writer reads it",
            )
        return value

    def mm(self, token: Any) -> float:
        if token.type == "dimension" and token.lower_unit in _UNITS_MM:
            return float(token.value) * _UNITS_MM[token.lower_unit]
        if token.type == "number" and token.value == 0:
            return 0.0
        raise RenderError(
            f"cannot read the length {tinycss2.serialize([token])!r}",
            Place(self.path),
            hint="use mm, pt, cm or in",
        )

    def length(self, selector: str, prop: str) -> float:
        """The first length of a value (`0.5pt solid black` → 0.5pt)."""
        return self.mm(self.tokens(selector, prop)[0])

    def number(self, selector: str, prop: str) -> float:
        (token,) = self.tokens(selector, prop)[:1]
        if token.type != "number":
            raise RenderError(f"'{selector} {{ {prop} }}' must be a number", Place(self.path))
        return float(token.value)

    def has(self, selector: str, prop: str, value: str) -> bool:
        found = self.rules.get(selector, {}).get(prop)
        return found is not None and tinycss2.serialize(found).strip() == value

    def box(self, selector: str, prop: str, side: int) -> float:
        """One side (top, right, bottom, left) of a margin or padding, longhand or shorthand."""
        longhand = self.rules.get(selector, {}).get(f"{prop}-{_SIDES[side]}")
        if longhand is not None:
            return self.mm(longhand[0])
        values = self.tokens(selector, prop)
        values = {1: values * 4, 2: values * 2, 3: [*values, values[1]], 4: values}.get(
            len(values), values
        )
        return self.mm(values[side])

    def share(self, selector: str) -> float:
        percent = [t for t in self.tokens(selector, "width") if t.type == "percentage"]
        if not percent:
            raise RenderError(f"'{selector}' needs a width in %", Place(self.path))
        return float(percent[0].value) / 100

    def pt(self, selector: str, default: float | None = None) -> float:
        if default is not None and "font-size" not in self.rules.get(selector, {}):
            return default
        return self.length(selector, "font-size") / MM_PER_PT


@cache
def _layout(templates: Path, page_size: str, fit: int = 0) -> Layout:
    path = templates / "layout" / "letter.css"
    try:
        css = _Sheet(with_fit(css_rules(path.read_text(encoding="utf-8")), fit), path)
    except OSError as exc:
        raise RenderError(f"cannot read the page layout: {exc}", Place(path)) from exc

    paper = "@page letter-paper" if page_size == "Letter" else "@page"
    margins = [css.box("@page", "margin", side) for side in range(4)]
    if paper != "@page":
        for side, name in enumerate(_SIDES):
            if f"margin-{name}" in css.rules.get(paper, {}):
                margins[side] = css.length(paper, f"margin-{name}")
    body_pt = css.pt("html")
    line_height = css.number("html", "line-height")
    header_pt = css.pt("@page @top-left", body_pt)
    header_mm = (
        margins[0] - css.box("@page @top-left", "padding", 2) - header_pt * line_height * MM_PER_PT
    )
    return Layout(
        page_mm=PAGE_MM[page_size],
        margins_mm=(margins[0], margins[1], margins[2], margins[3]),
        header_mm=header_mm,
        header_pt=header_pt,
        body_pt=body_pt,
        line_height=line_height,
        addressee_share=css.share(".addressee"),
        sender_share=css.share(".sender"),
        sender_pt=css.pt(".sender", body_pt),
        sender_name_bold=css.has(".sender .name", "font-weight", "bold"),
        head_gap_mm=css.box(".head", "margin", 2),
        date_pt=css.pt(".date", body_pt),
        date_before_mm=css.box(".date", "margin", 0),
        notice_pt=css.pt(".fax-notice", body_pt),
        notice_italic=css.has(".fax-notice", "font-style", "italic"),
        notice_rule_pt=css.length(".fax-notice", "border-top") / MM_PER_PT,
        notice_padding_mm=css.box(".fax-notice", "padding", 0),
        notice_after_mm=css.box(".fax-notice", "margin", 2),
        subject_bold=css.has(".subject", "font-weight", "bold"),
        subject_after_mm=css.box(".subject", "margin", 2),
        salutation_after_mm=css.box(".salutation", "margin", 2),
        paragraph_after_mm=css.box(".body p", "margin", 2),
        list_after_mm=css.box(".body ul", "margin", 2),
        list_indent_mm=css.length(".body ul", "padding-inline-start"),
        item_after_mm=css.box(".body li", "margin", 2),
        closing_before_mm=css.box(".closing", "margin", 0),
        signature_space_mm=css.length(".closing .signature-space", "height"),
        signer_bold=css.has(".closing .signer", "font-weight", "bold"),
        replies_pt=css.pt(".replies", body_pt),
        replies_before_mm=css.box(".replies", "margin", 0),
        cover_pt=css.pt(".cover"),
        cover_line_height=css.number(".cover", "line-height"),
        cover_title_pt=css.pt(".cover h1"),
        # h1 and th are bold unless letter.css says otherwise (the browser's own style).
        cover_title_bold=not css.has(".cover h1", "font-weight", "normal"),
        cover_title_after_mm=css.box(".cover h1", "margin", 2),
        cover_label_bold=not css.has(".cover th", "font-weight", "normal"),
        cover_label_gap_mm=css.length(".cover th", "padding-inline-end"),
        cover_padding_mm=(css.box(".cover td", "padding", 0), css.box(".cover td", "padding", 2)),
        cover_rule_pt=css.length(".cover tr", "border-bottom") / MM_PER_PT,
        signatories_pt=css.pt(".signatories", body_pt),
        signatories_line_height=css.number(".signatories", "line-height"),
        signatories_before_mm=css.box(".signatories", "margin", 0),
        signatories_heading_pt=css.pt(".signatories h2", body_pt),
        signatories_heading_after_mm=css.box(".signatories h2", "margin", 2),
        signatory_after_mm=css.box(".signatories li", "margin", 2),
        signatories_gap_mm=css.length(".signatories.long ol", "column-gap"),
        signatories_indent_mm=(
            css.length(".signatories li", "padding-inline-start"),
            css.length(".signatories.long li", "padding-inline-start"),
        ),
    )
