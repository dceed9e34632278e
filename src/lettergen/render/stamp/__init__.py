"""Letters that differ only in who signs them: one layout per letter text, the signers stamped in.

In a supporter drive (N signers × M offices) and on the supporter page, the letters to one
office differ only in the signer's parts: the signature (name, organisation, place) and, under
the signer's own letterhead (`Letter.signer_letterhead`), the sender block and the date line
with her town. Laying each
letter out in full costs ~25 ms; here the office's letter is laid out once with those parts
left as blank boxes of their own size (`visibility: hidden`, so the geometry is the letter's
own), and each signer's PDF is the office's pages with the signer's parts placed into the
boxes as form XObjects (pikepdf) carrying their own font resources, so every PDF stays
self-contained. Everything else is in the office's layout and in its key; a part's line count
is in the key too (its placeholders), so a signer without an organisation shares the layout of
every other such signer.

A signer whose signature does not take exactly the reserved height (an organisation name that
wraps, a script whose font makes a line taller) would move the text below; such a letter is
laid out in full instead — a fallback, counted in `StampReport` and logged.

Office layouts and signers' parts are kept in bounded LRU caches (`StampCache`), layouts keyed
by the hash of the letter's signer-independent content, parts by their text and widths: a drive
lays out a signer's parts once per paper size and language, and a single letter for the
supporter page (`stamped_pdf`) costs one small parts layout and the assembly once its office has
been laid out. docs/speed.md tells the whole story with measurements.

A signature is set without WeasyPrint where that cannot change it (`render.direct`): the
office's layout records each reserved line's baseline, edges, face and size, and HarfBuzz
shapes the signer's words into it. Signatures it declines (mixed scripts, a character outside
the face, a line that would wrap) are laid out by WeasyPrint, many signers in one pass, each on
a small page of its own in a box of the reserved width with the letter's fonts and styles;
`StampReport` counts both. A supporter's own paragraph is set directly too where its lines can
only break at spaces (`render.stamp.paragraph`: broken and shaped as Pango does, the height and
baseline of its lines read from a WeasyPrint probe per face and setting, `_probe`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from markupsafe import escape

from lettergen import paths
from lettergen.compose.letter import Letter, Paragraph, Run
from lettergen.errors import RenderError
from lettergen.render.fonts import faces
from lettergen.render.html import runs_html
from lettergen.render.pdf import (
    CHUNK,
    FIT_STEPS,
    FONTS,
    RenderedPDF,
    _layout_one,
    _weasy,
    css_string,
    fit_of,
    pages_meant,
    render_chunk,
)
from lettergen.render.stamp import direct, paragraph
from lettergen.render.stamp.direct import LineSpec
from lettergen.render.stamp.paragraph import Setting
from lettergen.util.lru import LRU

log = logging.getLogger(__name__)


#: The parts of a letter that may come from its signer, by the CSS class of their box: the
#: signature always, the letterhead (sender block) and the date line under her own letterhead.
PARTS = ("letterhead", "date", "signature")
#: The role of the supporter's own paragraph among the body's blocks (compose).
OWN_WORDS = "own-words"
#: A body paragraph set apart (`rooms`): its part's name, and the class of its box, by its
#: place among the body's blocks.
ROOM = "block-{}"
#: Paragraphs laid out apart that a process keeps (not her own words: those are never kept).
ROOMS_CACHE_SIZE = 4096
#: A line's stand-in in the office layout: a letter of the script the direction's first font
#: sets, so its line is as tall as a line of the letter's own script.
PLACEHOLDER = {"ltr": "X", "rtl": "\u0627"}
#: Heights may differ by rounding only; anything more moves the text below.
TOLERANCE_PX = 0.01
#: Slack around a part's box in its form XObject, in points: glyphs may overhang their box.
BLEED_PT = 4.0
#: CSS px to PDF points, as WeasyPrint writes them.
PT_PER_PX = 0.75
#: Office layouts a process keeps by default (a few tens of KiB each).
CACHE_SIZE = 256
#: Signers' laid-out parts a process keeps: a drive reuses a signer's parts for every office of
#: one paper size and language.
PARTS_CACHE_SIZE = 256


@dataclass(frozen=True)
class Box:
    """Where a part sits: page index and border box in CSS px from the page's top left."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class OfficeLayout:
    """An office's letter written once with its signer's parts reserved as blank boxes."""

    key: str
    data: bytes
    pages: int
    page_heights: tuple[float, ...]  # CSS px
    boxes: dict[str, Box]
    #: Each part's reserved lines, for setting a signer's lines directly; a part whose lines
    #: could not be read from the layout is missing, and its signers take the WeasyPrint path.
    lines: dict[str, tuple[LineSpec, ...]] = field(default_factory=dict)
    #: The tighter setting (letter.css .fit-N) the office's letter took to stay on one page.
    fit: int = 0
    #: The width of the body's paragraphs (CSS px): where a supporter's own words are set.
    measure: float = 0.0


@dataclass
class StampReport:
    """What a run of the stamped path did: letters stamped, laid out in full, and why."""

    stamped: int = 0
    layouts: int = 0  # office layouts made (cache misses)
    parts: int = 0  # signers' parts laid out by WeasyPrint (cache misses)
    direct: int = 0  # signers' parts set directly (cache misses)
    declined: list[tuple[str, str]] = field(default_factory=list)  # not set directly, and why
    fallbacks: list[tuple[str, str]] = field(default_factory=list)  # ('office/signer', why)

    @property
    def fallback_count(self) -> int:
        return len(self.fallbacks)


def part_texts(letter: Letter) -> dict[str, tuple[str, ...]]:
    """The lines of each of the letter's signer's parts, by part (in PARTS order)."""
    if letter.signer_letterhead:
        return {"letterhead": letter.sender, "date": (letter.date,), "signature": letter.signature}
    return {"signature": letter.signature}


def rooms(letter: Letter, every: bool = False) -> list[int]:
    """The body paragraphs (their places among the blocks) set apart from the office's
    layout, in room it keeps for them: her own words always, and with `every` every
    paragraph (a drive's letters, whose phrasing variants would otherwise each take a layout
    of their own). Paragraphs that have their room already are not counted."""
    return [
        i
        for i, b in enumerate(letter.body)
        if isinstance(b, Paragraph) and not b.height and (every or b.role == OWN_WORDS)
    ]


def own_words(letter: Letter) -> Paragraph | None:
    """The supporter's own paragraph in the letter's body, if she wrote one."""
    return next((b for b in letter.body if isinstance(b, Paragraph) and b.role == OWN_WORDS), None)


def without_own_words(letter: Letter) -> Letter:
    """The letter as it would be without her own paragraph: its layout gives the measure
    her words are set in."""
    return replace(
        letter,
        body=tuple(
            b for b in letter.body if not (isinstance(b, Paragraph) and b.role == OWN_WORDS)
        ),
    )


def keeping_room(letter: Letter, heights: dict[int, float]) -> Letter:
    """The letter with the height each paragraph set apart takes recorded in it (CSS px, by
    its place among the body's blocks): the office's layout keeps that much blank space for
    it, and letters whose paragraphs take the same heights share that layout."""
    return replace(
        letter,
        body=tuple(
            replace(b, height=round(heights[i], 3))
            if i in heights and isinstance(b, Paragraph)
            else b
            for i, b in enumerate(letter.body)
        ),
    )


def signer_free(letter: Letter) -> Letter:
    """The letter without its signer: the signer's parts replaced by placeholders of the same
    line count (her own words by blank space of the height recorded, `keeping_room`), and the
    signer's metadata dropped."""
    mark = PLACEHOLDER[letter.direction]
    free = replace(
        letter,
        signature=tuple(mark for _ in letter.signature),
        author="",
        signer_slug="",
        body=tuple(
            Paragraph((), role=b.role, height=b.height)
            if isinstance(b, Paragraph) and b.height
            else b
            for b in letter.body
        ),
    )
    if letter.signer_letterhead:
        free = replace(free, sender=tuple(mark for _ in letter.sender), date=mark)
    return free


def layout_key(letter: Letter, fit: int | None = None) -> str:
    """The hash of the letter's signer-independent content: letters with the same key share
    an office layout. `fit`: a layout made in that setting only (`lay_out_office`)."""
    key = hashlib.sha256(repr(signer_free(letter)).encode("utf-8")).hexdigest()
    return key if fit is None else f"{key}@fit-{fit}"


def _part_boxes(document: Any) -> tuple[dict[str, Box], list[dict[str, Box]]]:
    """The boxes of every part, by page: (first found per part, per page found)."""
    from weasyprint.formatting_structure.boxes import BlockBox

    first: dict[str, Box] = {}
    per_page: list[dict[str, Box]] = []
    for index, page in enumerate(document.pages):
        found: dict[str, Box] = {}
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if not isinstance(box, BlockBox) or element is None or element.tag not in "div p":
                continue
            classes = (element.get("class") or "").split()
            if element.tag == "div":
                names = [part for part in PARTS if part in classes]
            else:  # a paragraph set apart, or its room
                names = [name for name in classes if name.startswith(ROOM.format(""))]
            for part in names:
                if part not in found:
                    found[part] = Box(
                        index,
                        box.border_box_x(),
                        box.border_box_y(),
                        box.border_width(),
                        box.border_height(),
                    )
        per_page.append(found)
        for part, box in found.items():
            first.setdefault(part, box)
    return first, per_page


def _text_boxes(node: Any, block: Any) -> Iterator[tuple[Any, Any]]:
    """Every text box under `node`, in order, with the block whose content box holds it."""
    from weasyprint.formatting_structure.boxes import BlockBox, TextBox

    for child in getattr(node, "children", ()):
        if isinstance(child, TextBox):
            yield child, block
        else:
            yield from _text_boxes(child, child if isinstance(child, BlockBox) else block)


def _line_specs(
    document: Any, boxes: dict[str, Box], letter: Letter
) -> dict[str, tuple[LineSpec, ...]]:
    """Each part's reserved lines as the layout set them: baseline, the edges the line is
    aligned between, face and size, relative to the part's box. A part whose lines are not
    plain (one text per line, in a face of the letter's fonts, at one edge) is left out."""
    from weasyprint.formatting_structure.boxes import BlockBox

    expected = {part: len(lines) for part, lines in part_texts(letter).items()}
    found: dict[str, tuple[LineSpec, ...]] = {}
    for part, box in boxes.items():
        if part not in PARTS:
            continue  # a paragraph, wrapped by WeasyPrint: never set directly
        root = next(
            (
                b
                for b in document.pages[box.page]._page_box.descendants()
                if isinstance(b, BlockBox)
                and getattr(b, "element", None) is not None
                and b.element.tag == "div"
                and part in (b.element.get("class") or "").split()
            ),
            None,
        )
        if root is None:
            continue
        texts = list(_text_boxes(root, root))
        specs = []
        for text_box, block in texts:
            style = text_box.style
            family = style["font_family"][0]
            weight = "bold" if style["font_weight"] >= 600 else "normal"
            face = next(
                (f for f in faces(family) if f.weight == weight and f.style == "normal"), None
            )
            left = block.content_box_x()
            right = left + block.width
            at_left = abs(text_box.position_x - left) < 0.01
            at_right = abs(text_box.position_x + text_box.width - right) < 0.01
            if face is None or style["font_style"] != "normal" or at_left == at_right:
                break
            specs.append(
                LineSpec(
                    baseline=text_box.position_y + text_box.baseline - box.y,
                    left=left - box.x,
                    right=right - box.x,
                    size=style["font_size"],
                    font=face.path,
                    align="left" if at_left else "right",
                    rtl=letter.direction == "rtl",
                )
            )
        else:
            if len(specs) == expected[part]:
                found[part] = tuple(specs)
    return found


def lay_out_office(
    letter: Letter, templates: Path | None = None, fit: int | None = None
) -> OfficeLayout:
    """Lay out and write the office's letter once, with the signer's parts left blank; in
    the setting `fit` only, if given (pdf._layout_one)."""

    root = (templates or paths.templates_dir()).resolve()
    words = own_words(letter)
    if words is not None and not words.height:
        raise RenderError("no room kept for her own words (stamp.keeping_room)")
    free = signer_free(letter)
    document = _layout_one(free, root, reserved=True, fit=fit)
    found, _ = _part_boxes(document)
    wanted = [
        *part_texts(letter),
        *(
            ROOM.format(i)
            for i, b in enumerate(letter.body)
            if isinstance(b, Paragraph) and b.height
        ),
    ]
    boxes = {part: found[part] for part in wanted if part in found}
    missing = [part for part in wanted if part not in boxes]
    if missing:
        raise RenderError(f"the layout has no box for {', '.join(missing)}")
    return OfficeLayout(
        key=layout_key(letter, fit),
        data=document.write_pdf(),
        pages=len(document.pages),
        page_heights=tuple(page.height for page in document.pages),
        boxes=boxes,
        lines=_line_specs(document, boxes, letter),
        fit=fit_of(document),
        measure=_measure(document),
    )


def _measure(document: Any) -> float:
    """The width of the letter body's paragraphs (CSS px), 0 if it has no body."""
    from weasyprint.formatting_structure.boxes import BlockBox

    for page in document.pages:
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if (
                isinstance(box, BlockBox)
                and element is not None
                and element.tag == "div"
                and "body" in (element.get("class") or "").split()
            ):
                return float(box.width)
    return 0.0


#: What a signer's parts look like: their texts, language, direction, the widths they are set
#: in and the reserved lines. Letters to offices of one paper size and language share them.
PartsKey = tuple[tuple[Any, ...], str, str, tuple[Any, ...], tuple[Any, ...], int]


def parts_key(letter: Letter, layout: OfficeLayout) -> PartsKey:
    return (
        tuple(part_texts(letter).items()),
        letter.language,
        letter.direction,
        tuple(
            (part, round(box.width, 3))
            for part, box in sorted(layout.boxes.items())
            if part in PARTS
        ),
        tuple(sorted(layout.lines.items())),
        layout.fit,
    )


class StampCache:
    """Office layouts (keyed by `layout_key`) and signers' laid-out parts (keyed by
    `parts_key`), each bounded: the memory a long-running process (the supporter page, a batch
    worker) gives to stamping stays fixed."""

    def __init__(
        self,
        layouts: int = CACHE_SIZE,
        parts: int = PARTS_CACHE_SIZE,
        rooms: int = ROOMS_CACHE_SIZE,
    ) -> None:
        self.layouts: LRU[str, OfficeLayout] = LRU(layouts)
        self.parts: LRU[PartsKey, _LaidOut | _SetDirectly] = LRU(parts)
        #: Paragraphs laid out apart (never her own words), by `room_key`.
        self.rooms: LRU[RoomKey, _Apart] = LRU(rooms)
        #: How her paragraph is set directly in a face, setting and language (`_probe`).
        self.settings: LRU[SettingKey, Setting | str] = LRU(64)
        #: The width of the body's paragraphs, by paper size, direction and language.
        self.measures: LRU[tuple[str, str, str], float] = LRU(64)

    def layout(
        self, letter: Letter, templates: Path | None = None, fit: int | None = None
    ) -> tuple[OfficeLayout, bool]:
        """The letter's office layout (in the setting `fit` only, if given), and whether it
        had to be made. Made outside the lock: two threads may both make a missing layout,
        and the second one kept is as good."""
        key = layout_key(letter, fit)
        layout = self.layouts.get(key)
        if layout is not None:
            return layout, False
        layout = lay_out_office(letter, templates, fit)
        self.layouts.put(key, layout)
        return layout, True


def _part_html(part: str, lines: tuple[str, ...], width: float) -> str:
    """One part in a box as wide as the one reserved for it, inside the classes (and so with
    the fonts, sizes and alignment) the letter sets it in."""
    rows = "".join(
        f"<div{' class=' + ('signer' if part == 'signature' else 'name') if i == 0 else ''}>"
        f"{escape(line)}</div>"
        for i, line in enumerate(lines)
    )
    if part == "signature":
        return (
            f'<div class="closing" style="width: {width:.4f}px">'
            f'<div class="signature">{rows}</div></div>'
        )
    inner = (
        f'<div class="letterhead">{rows}</div>'
        if part == "letterhead"
        else f'<div class="date">{"".join(escape(line) for line in lines)}</div>'
    )
    return (
        f'<div class="head"><div class="sender" style="float: none; width: {width:.4f}px">'
        f"{inner}</div></div>"
    )


def _section(letter: Letter, fit: int) -> str:
    """A small page of the parts document, in the letter's language, direction and setting."""
    setting = f" fit-{fit}" if fit else ""  # the office letter's setting
    return (
        f'<section class="stamp-page stamp-{letter.direction}{setting}"'
        f' lang="{escape(letter.language)}" dir="{letter.direction}">'
    )


def _document(pages: list[str]) -> str:
    """The parts document: one part per page, each with the classes (and so the fonts and
    sizes) of the letter. Each part on a page of its own: a form XObject carries its whole
    page's text (its bounding box clips what is drawn, not what text extraction reads)."""
    families = {d: ", ".join(css_string(f) for f in fams) for d, fams in FONTS.items()}
    style = "\n".join(
        [
            "@page { size: 600mm 300mm; margin: 10mm; }",
            # No page background: a part's form would paint it over its neighbours' edges.
            "html, body { background: none !important; }",
            ".stamp-page { break-after: page; }",
            ".stamp-page .closing, .stamp-page .head, .stamp-page .date { margin: 0; }",
            *(f".stamp-{d} {{ font-family: {f}; }}" for d, f in families.items()),
        ]
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset=utf-8><style>{style}</style></head>"
        f"<body>{''.join(pages)}</body></html>"
    )


def _parts_html(items: list[tuple[Letter, OfficeLayout]]) -> str:
    """One page per signer's part, in a box as wide as the one reserved for it."""
    pages = []
    for letter, layout in items:
        section = _section(letter, layout.fit)
        for part, lines in part_texts(letter).items():
            html = _part_html(part, lines, layout.boxes[part].width)
            pages.append(f"{section}{html}</section>")
    return _document(pages)


def _lay_out(html: str, root: Path) -> Any:
    import weasyprint

    font_config, css, fetcher = _weasy(root)
    page = weasyprint.HTML(string=html, base_url=str(root / "layout") + "/", url_fetcher=fetcher)
    return page.render(font_config=font_config, stylesheets=[css])


def render_parts(
    items: list[tuple[Letter, OfficeLayout]], templates: Path | None = None
) -> tuple[bytes, list[dict[str, Box]], list[float]]:
    """Lay out and write the signer's parts of many letters in one WeasyPrint pass: one page
    per part. Returns the PDF, where each letter's parts landed, and the page heights."""
    root = (templates or paths.templates_dir()).resolve()
    document = _lay_out(_parts_html(items), root)
    _, per_page = _part_boxes(document)
    counts = [len(part_texts(letter)) for letter, _ in items]
    if len(per_page) != sum(counts):
        raise RenderError(f"{len(per_page)} pages of signers' parts for {len(items)} letters")
    per_letter = []
    start = 0
    for count in counts:
        per_letter.append(
            {part: box for page in per_page[start : start + count] for part, box in page.items()}
        )
        start += count
    heights = [page.height for page in document.pages]
    return document.write_pdf(), per_letter, heights


#: A paragraph to lay out apart: its letter, its place among the body's blocks, the measure
#: (CSS px) and the setting (letter.css .fit-N) to set it in.
RoomItem = tuple[Letter, int, float, int]
#: What a paragraph laid out apart looks like: its runs, role and direction, the letter's
#: language and direction, the measure and the setting. Letters share it across offices.
RoomKey = tuple[str, str, str, str, str, float, int]


def room_key(item: RoomItem) -> RoomKey:
    letter, index, width, fit = item
    block = letter.body[index]
    assert isinstance(block, Paragraph)
    return (
        repr(block.runs),
        block.role,
        block.direction,
        letter.language,
        letter.direction,
        round(width, 3),
        fit,
    )


def _room_html(block: Paragraph, part: str, width: float) -> str:
    """A body paragraph in the letter body's classes, as wide as the body: escaped text, with
    its role (her own words) and its own direction."""
    direction = f' dir="{block.direction}"' if block.direction else ""
    role = f"{block.role} " if block.role else ""
    return (
        f'<div class="body" style="width: {width:.4f}px">'
        f'<p class="{role}{part}"{direction}>{runs_html(block.runs)}</p></div>'
    )


def render_rooms(items: list[RoomItem], root: Path) -> list[_Apart]:
    """Lay out body paragraphs apart, each on a page of its own at its measure and setting,
    in one WeasyPrint pass: where each landed, in a parts PDF they share."""
    pages = []
    for letter, index, width, fit in items:
        block = letter.body[index]
        assert isinstance(block, Paragraph)
        pages.append(f"{_section(letter, fit)}{_room_html(block, 'block-0', width)}</section>")
    document = _lay_out(_document(pages), root)
    _, per_page = _part_boxes(document)
    if len(per_page) != len(items) or any("block-0" not in page for page in per_page):
        raise RenderError(f"{len(per_page)} pages of paragraphs for {len(items)} paragraphs")
    parts = _Parts(document.write_pdf(), [page.height for page in document.pages])
    return [_Apart(page["block-0"].height, parts, page["block-0"]) for page in per_page]


#: What a setting of her paragraph depends on: the letter's language and direction, the
#: paragraph's direction, the letter's setting (.fit-N) and the face.
SettingKey = tuple[str, str, str, int, str]


def _regular_faces(direction: str) -> tuple[Path, ...]:
    """The regular face of each family a paragraph of this direction is set in, in order."""
    return tuple(
        next(f.path for f in faces(family) if f.weight == "normal" and f.style == "normal")
        for family in FONTS[direction]
    )


def _probe_lines(page: Any) -> tuple[Any, list[Any]]:
    """A probe page's paragraph box and its text boxes (one per line)."""
    from weasyprint.formatting_structure.boxes import BlockBox

    block = next(
        b
        for b in page._page_box.descendants()
        if isinstance(b, BlockBox)
        and getattr(b, "element", None) is not None
        and ROOM.format(0) in (b.element.get("class") or "").split()
    )
    return block, [text for text, _ in _text_boxes(block, block)]


def _probe(
    items: list[tuple[SettingKey, Letter, Paragraph, int]], root: Path
) -> dict[SettingKey, Setting | str]:
    """How her paragraph is set in each face, setting and language asked for, read from one
    WeasyPrint pass: per item a paragraph of two one-letter words too narrow for both (the
    line height and the first baseline) and one of a word at a wide measure (the edge lines
    start from, and the scale Pango shapes at: `paragraph.pango_units`). The letters are
    the paragraph's own, so they are in the face; the settings keep none of them."""
    pages = []
    for _, letter, block, fit in items:
        char = next(c for c in block.text if c != " ")
        for text, width in ((f"{char} {char}", 1.0), (paragraph.probe_text(block.text), 1500.0)):
            probe = replace(block, runs=(Run(text),))
            html = _room_html(probe, ROOM.format(0), width)
            pages.append(f"{_section(letter, fit)}{html}</section>")
    document = _lay_out(_document(pages), root)
    found: dict[SettingKey, Setting | str] = {}
    for number, (key, letter, block, _) in enumerate(items):
        direction = block.direction or letter.direction
        two, lines = _probe_lines(document.pages[2 * number])
        one, line = _probe_lines(document.pages[2 * number + 1])
        if len(lines) != 2 or len(line) != 1:
            found[key] = "the probe paragraph did not break as expected"
            continue
        style = lines[0].style
        top = two.border_box_y()
        first, second = (text.position_y + text.baseline - top for text in lines)
        left, right = one.content_box_x(), one.content_box_x() + one.width
        at_left = abs(line[0].position_x - left) < TOLERANCE_PX
        at_right = abs(line[0].position_x + line[0].width - right) < TOLERANCE_PX
        units = paragraph.pango_units(
            paragraph.probe_text(block.text),
            line[0].width,
            Path(key[4]),
            style["font_size"],
            direction == "rtl",
            letter.language,
        )
        if isinstance(units, str):
            found[key] = units
        elif tuple(style["font_family"]) != FONTS[direction]:
            found[key] = f"the paragraph is set in {', '.join(style['font_family'])}"
        elif abs(two.border_height() - 2 * (second - first)) > TOLERANCE_PX:
            found[key] = "its lines are not of even height"
        elif at_left == at_right:
            found[key] = "its lines are not set from one edge"
        else:
            found[key] = Setting(
                font=Path(key[4]),
                size=style["font_size"],
                pitch=second - first,
                baseline=first,
                align="left" if at_left else "right",
                rtl=direction == "rtl",
                units=units,
            )
    return found


def _who(letter: Letter) -> str:
    return f"{letter.office_id}/{letter.signer_slug}"


def _set_apart(
    items: dict[RoomKey, RoomItem], root: Path, cache: StampCache, report: StampReport
) -> dict[RoomKey, _Apart]:
    """Her paragraphs that can be set directly (`paragraph`), set: the face's setting from the
    cache or one probe pass for those missing. The others are left to WeasyPrint."""
    wanted: dict[RoomKey, tuple[SettingKey, Letter, Paragraph, int, float]] = {}
    for key, (letter, index, width, fit) in items.items():
        block = letter.body[index]
        assert isinstance(block, Paragraph)
        direction = block.direction or letter.direction
        face = paragraph.face_of(block.text, _regular_faces(direction))
        why = face if isinstance(face, str) else paragraph.why_not(block.text)
        if why:
            report.declined.append((_who(letter), f"her words: {why}"))
            continue
        named: SettingKey = (letter.language, letter.direction, direction, fit, str(face))
        wanted[key] = (named, letter, block, fit, width)
    probes = {item[0]: item[:4] for item in wanted.values() if cache.settings.get(item[0]) is None}
    probed = _probe(list(probes.values()), root) if probes else {}
    for named, known in probed.items():
        cache.settings.put(named, known)
    found: dict[RoomKey, _Apart] = {}
    for key, (named, letter, block, _, width) in wanted.items():
        setting = probed.get(named) or cache.settings.get(named)
        assert setting is not None
        made = (
            setting
            if isinstance(setting, str)
            else paragraph.set_paragraph(block.text, setting, width, letter.language)
        )
        if isinstance(made, str):
            report.declined.append((_who(letter), f"her words: {made}"))
            continue
        found[key] = _Apart(made.height, lines=made.lines)
        report.direct += 1
    return found


def misfit(layout: OfficeLayout, parts: dict[str, Box]) -> str:
    """Why these parts cannot be stamped into the layout ("" when they can)."""
    for part in layout.boxes:
        want, got = layout.boxes[part], parts.get(part)
        if got is None:
            return f"no {part} box"
        if abs(want.height - got.height) > TOLERANCE_PX or abs(want.width - got.width) > 0.5:
            return (
                f"the {part} takes {got.height * PT_PER_PX:.2f} pt, "
                f"{want.height * PT_PER_PX:.2f} pt reserved"
            )
    return ""


def _rect(box: Box, page_height: float) -> tuple[float, float, float, float]:
    """A box in PDF points (origin bottom left), widened by BLEED_PT on every side."""
    x0 = box.x * PT_PER_PX - BLEED_PT
    y1 = (page_height - box.y) * PT_PER_PX + BLEED_PT
    return (
        x0,
        y1 - box.height * PT_PER_PX - 2 * BLEED_PT,
        x0 + box.width * PT_PER_PX + 2 * BLEED_PT,
        y1,
    )


class _Parts:
    """The written parts PDF, open while any of its parts is cached, with a form XObject per
    part made on first use."""

    def __init__(self, data: bytes, heights: list[float]):
        import pikepdf

        self.data = data
        self.pdf = pikepdf.open(io.BytesIO(data))
        self.heights = heights
        self._forms: dict[int, Any] = {}
        # One PDF object is not for two threads at once: forms are made and copied under it.
        self.lock = threading.Lock()

    def form(self, box: Box) -> Any:
        """The part's page as a form XObject clipped to the part (with its bleed)."""
        import pikepdf

        if box.page not in self._forms:
            page = self.pdf.pages[box.page]
            page.contents_coalesce()
            form = pikepdf.Stream(self.pdf, zlib.compress(page.Contents.read_bytes()))
            form.Filter = pikepdf.Name.FlateDecode
            form.Type = pikepdf.Name.XObject
            form.Subtype = pikepdf.Name.Form
            form.BBox = pikepdf.Array(_rect(box, self.heights[box.page]))
            form.Resources = page.Resources
            self._forms[box.page] = form
        return self._forms[box.page]


#: A part's form XObject in the letter's PDF, and where to move it: (form, dx, dy) in points.
Placed = tuple[Any, float, float]


@dataclass(frozen=True)
class _LaidOut:
    """A signer's parts as WeasyPrint laid them out: pages of a shared parts PDF."""

    parts: _Parts
    boxes: dict[str, Box]

    def misfit(self, layout: OfficeLayout) -> str:
        return misfit(layout, self.boxes)

    def forms(self, pdf: Any, layout: OfficeLayout) -> dict[str, Placed]:
        placed = {}
        for part in layout.boxes:
            source, target = self.boxes[part], layout.boxes[part]
            x0, y0, _, _ = _rect(source, self.parts.heights[source.page])
            to_x, to_y, _, _ = _rect(target, layout.page_heights[target.page])
            with self.parts.lock:
                form = pdf.copy_foreign(self.parts.form(source))
            placed[part] = (form, to_x - x0, to_y - y0)
        return placed


@dataclass(frozen=True)
class _SetDirectly:
    """A signer's parts set by `render.direct`: lines relative to each part's top left, and
    the glyphs of each face they use."""

    lines: dict[str, tuple[direct.SetLine, ...]]
    faces: tuple[direct.EmbeddedFace, ...]

    def misfit(self, layout: OfficeLayout) -> str:
        return ""  # set into the layout's own lines: nothing can move

    def forms(self, pdf: Any, layout: OfficeLayout) -> dict[str, Placed]:
        import pikepdf

        names = {embedded.path: f"LgF{i}" for i, embedded in enumerate(self.faces)}
        fonts = pikepdf.Dictionary(
            {"/" + names[e.path]: direct.font_dictionary(pdf, e) for e in self.faces}
        )
        placed = {}
        for part in self.lines:
            box = layout.boxes[part]
            width, height = box.width * PT_PER_PX, box.height * PT_PER_PX
            form = pdf.make_stream(zlib.compress(direct.draw(self.lines[part], names)))
            form.Filter = pikepdf.Name.FlateDecode
            form.Type = pikepdf.Name.XObject
            form.Subtype = pikepdf.Name.Form
            form.BBox = pikepdf.Array([-BLEED_PT, -height - BLEED_PT, width + BLEED_PT, BLEED_PT])
            form.Resources = pikepdf.Dictionary(Font=fonts)
            top = (layout.page_heights[box.page] - box.y) * PT_PER_PX
            placed[part] = (form, box.x * PT_PER_PX, top)
        return placed


@dataclass(frozen=True)
class _Apart:
    """A body paragraph set apart: its height, and how it is drawn into the room the office's
    layout keeps for it — a page of a parts PDF WeasyPrint laid it out on, or its lines set
    directly (`paragraph`: her own words)."""

    height: float
    parts: _Parts | None = None
    box: Box | None = None
    lines: tuple[direct.SetLine, ...] = ()

    def source(self, part: str) -> _LaidOut | _SetDirectly:
        """What draws it into the room named `part`. Lines set directly embed their glyphs
        here, for the setting the letter takes only."""
        if self.lines:
            fonts = dict.fromkeys(line.font for line in self.lines)
            embedded = tuple(direct.embed(path, self.lines) for path in fonts)
            return _SetDirectly({part: self.lines}, embedded)
        assert self.parts is not None and self.box is not None
        return _LaidOut(self.parts, {part: self.box})


def _only(layout: OfficeLayout, parts: Collection[str]) -> OfficeLayout:
    """The layout as far as some of its parts go: what a source of only those parts fills."""
    return replace(layout, boxes={p: box for p, box in layout.boxes.items() if p in parts})


@dataclass(frozen=True)
class _WithRooms:
    """The body paragraphs set apart (one source each, by part: as WeasyPrint laid them out, or
    her words set directly), and the signer's parts from another source (set directly,
    mostly)."""

    rooms: dict[str, _LaidOut | _SetDirectly]
    rest: _LaidOut | _SetDirectly

    def misfit(self, layout: OfficeLayout) -> str:
        for part, laid in self.rooms.items():
            why = laid.misfit(_only(layout, (part,)))
            if why:
                return why
        return self.rest.misfit(_only(layout, PARTS))

    def forms(self, pdf: Any, layout: OfficeLayout) -> dict[str, Placed]:
        placed = self.rest.forms(pdf, _only(layout, PARTS))
        for part, laid in self.rooms.items():
            placed |= laid.forms(pdf, _only(layout, (part,)))
        return placed


def set_directly(letter: Letter, layout: OfficeLayout) -> _SetDirectly | str:
    """The signer's parts set by `render.direct` into the layout's reserved lines, or why
    they cannot be."""
    texts = part_texts(letter)
    lines: dict[str, tuple[direct.SetLine, ...]] = {}
    for part in texts:
        specs = layout.lines.get(part)
        if specs is None or len(specs) != len(texts[part]):
            return f"the layout's {part} lines are not plain"
        set_lines = []
        for text, spec in zip(texts[part], specs, strict=True):
            made = direct.set_line(text, spec, letter.language)
            if isinstance(made, str):
                return f"{part}: {made}"
            set_lines.append(made)
        lines[part] = tuple(set_lines)
    every = [line for part_lines in lines.values() for line in part_lines]
    faces = tuple(direct.embed(path, every) for path in dict.fromkeys(line.font for line in every))
    return _SetDirectly(lines, faces)


def assemble(
    letter: Letter, layout: OfficeLayout, parts: _LaidOut | _SetDirectly | _WithRooms
) -> bytes:
    """The office's pages with this signer's parts placed into their boxes, as one PDF with the
    letter's own title, author and language. Resource names are fixed (not pikepdf's random
    ones), so the same letter gives the same bytes."""
    import pikepdf

    with pikepdf.open(io.BytesIO(layout.data)) as pdf:
        for part, (form, dx, dy) in parts.forms(pdf, layout).items():
            page = pdf.pages[layout.boxes[part].page]
            if pikepdf.Name.Resources not in page.obj:
                page.obj.Resources = pikepdf.Dictionary()
            if pikepdf.Name.XObject not in page.obj.Resources:
                page.obj.Resources.XObject = pikepdf.Dictionary()
            name = pikepdf.Name(f"/Lettergen{part.capitalize()}")
            page.obj.Resources.XObject[name] = form
            # The page's own drawing in q … Q, so no state it leaves set reaches the part.
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            move = f"Q\nq 1 0 0 1 {dx:.4f} {dy:.4f} cm {name} Do Q\n"
            page.contents_add(pdf.make_stream(move.encode("ascii")))
        pdf.docinfo["/Title"] = letter.title
        pdf.docinfo["/Author"] = letter.author
        pdf.docinfo["/Producer"] = "lettergen"
        pdf.Root.Lang = pikepdf.String(letter.language)
        buffer = io.BytesIO()
        # Streams as they are: the office's and the parts' are compressed already.
        pdf.save(
            buffer,
            deterministic_id=True,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
        )
        return buffer.getvalue()


_default_cache = StampCache()


def render_stamped(
    letters: Iterable[Letter],
    templates: Path | None = None,
    *,
    cache: StampCache | None = None,
    report: StampReport | None = None,
    chunk: int = CHUNK,
    set_direct: bool = True,
    every_paragraph: bool = False,
) -> Iterator[RenderedPDF]:
    """Render many letters through the stamped path; yields one RenderedPDF per letter, in
    order. Office layouts and signers' parts come from `cache` (the process's own by default);
    the parts missing from it are set directly (`set_direct`) or, where that is declined, laid
    out in one WeasyPrint pass per chunk; letters whose parts do not fit are laid out in full.
    Her own words are set apart in room the layout keeps for them; with `every_paragraph`
    (a drive) every body paragraph is, so letters in different wordings of the phrasing
    variants share the office's layout where their paragraphs take the same heights.
    `report` counts all of it."""
    cache = cache or _default_cache
    report = report if report is not None else StampReport()
    batch: list[Letter] = []
    for letter in letters:
        batch.append(letter)
        if len(batch) >= chunk:
            yield from _stamp_chunk(batch, templates, cache, report, set_direct, every_paragraph)
            batch = []
    if batch:
        yield from _stamp_chunk(batch, templates, cache, report, set_direct, every_paragraph)


def _stamp_chunk(
    letters: list[Letter],
    templates: Path | None,
    cache: StampCache,
    report: StampReport,
    set_direct: bool,
    every_paragraph: bool = False,
) -> list[RenderedPDF]:
    root = (templates or paths.templates_dir()).resolve()
    apart = [
        (index, letter)
        for index, letter in enumerate(letters)
        if not letter.signatories and rooms(letter, every_paragraph)
    ]
    placed, full = _place_rooms(apart, root, cache, report, every_paragraph, set_direct)
    results: dict[int, RenderedPDF] = {}
    items: list[tuple[int, Letter, OfficeLayout, PartsKey]] = []
    for index, letter in enumerate(letters):
        if index in full:
            continue
        if index in placed:  # its paragraphs set apart: the layout with room for them
            layout = placed[index][0]
            items.append((index, letter, layout, parts_key(letter, layout)))
            continue
        try:
            layout, made = cache.layout(letter, root)
        except Exception as exc:  # the full layout will report the letter's own error
            log.debug("no office layout for %s", letter.office_id, exc_info=True)
            full[index] = f"no office layout: {exc}"
            continue
        report.layouts += made
        items.append((index, letter, layout, parts_key(letter, layout)))
    found: dict[PartsKey, _LaidOut | _SetDirectly | None] = {
        key: cache.parts.get(key) for key in dict.fromkeys(item[3] for item in items)
    }
    missing = {key: item for item in items if found[key := item[3]] is None}
    if set_direct:
        for key, (_, letter, layout, _) in list(missing.items()):
            setting = set_directly(letter, layout)
            if isinstance(setting, str):
                log.debug("%s: parts not set directly: %s", letter.signer_slug, setting)
                report.declined.append((f"{letter.office_id}/{letter.signer_slug}", setting))
                continue
            found[key] = setting
            cache.parts.put(key, setting)
            report.direct += 1
            del missing[key]
    if missing:
        data, boxes, heights = render_parts([(i[1], i[2]) for i in missing.values()], root)
        parts = _Parts(data, heights)
        for key, part_boxes in zip(missing, boxes, strict=True):
            found[key] = _LaidOut(parts, part_boxes)
            cache.parts.put(key, found[key])  # type: ignore[arg-type]
        report.parts += len(missing)
    for index, letter, layout, key in items:
        signer = found[key]
        assert signer is not None
        source = _WithRooms(placed[index][1], signer) if index in placed else signer
        why = source.misfit(layout)
        if why:
            full[index] = why
            continue
        try:
            data = assemble(letter, layout, source)
        except Exception as exc:  # pikepdf raises many kinds; the full layout is the remedy
            log.debug("stamping %s failed", letter.office_id, exc_info=True)
            full[index] = f"could not stamp: {exc}"
            continue
        results[index] = RenderedPDF(letter, data, layout.pages, fit=layout.fit, layout=layout.key)
        report.stamped += 1
    if full:
        order = sorted(full)
        for index in order:
            letter = letters[index]
            log.info(
                "%s (%s): laid out in full: %s", letter.office_id, letter.signer_slug, full[index]
            )
            report.fallbacks.append((f"{letter.office_id}/{letter.signer_slug}", full[index]))
        rendered = render_chunk([letters[i] for i in order], root)
        results.update(
            (i, replace(pdf, fallback=full[i])) for i, pdf in zip(order, rendered, strict=True)
        )
    return [results[index] for index in range(len(letters))]


def _settings(base: OfficeLayout, letter: Letter) -> list[int]:
    """The settings (letter.css .fit-N) a letter with her words is tried in, in the order a
    full layout tries them (pdf._layout_one): from the one the letter without her words took
    up to the tightest while the letter stays on its pages, then the ordinary one over more
    pages; only the last if the letter without her words is already longer."""
    if base.pages > pages_meant(letter):
        return [0]
    return [*range(base.fit, FIT_STEPS + 1), 0]


def _measured(
    letter: Letter, root: Path, cache: StampCache, report: StampReport, every: bool
) -> tuple[float, list[int]]:
    """The measure a letter's paragraphs set apart are set in, and the settings to try.

    Her own words alone (the supporter page): the office's letter without them gives both
    (a layout the page has made ahead). Every paragraph (a drive): the body's measure, by
    paper size, direction and language, from the first such letter's layout; the settings
    from the ordinary one up, as a full layout tries them, and none over more pages — such a
    letter takes its own layout (`_stamp_chunk`)."""
    if not every:
        base, made = cache.layout(without_own_words(letter), root)
        report.layouts += made
        return base.measure, _settings(base, letter)
    key = (letter.page_size, letter.direction, letter.language)
    measure = cache.measures.get(key)
    if measure is None:
        base, made = cache.layout(without_own_words(letter), root)
        report.layouts += made
        measure = base.measure
        cache.measures.put(key, measure)
    return measure, list(range(FIT_STEPS + 1))


def _place_rooms(
    letters: list[tuple[int, Letter]],
    root: Path,
    cache: StampCache,
    report: StampReport,
    every: bool,
    set_direct: bool = True,
) -> tuple[dict[int, tuple[OfficeLayout, dict[str, _LaidOut | _SetDirectly]]], dict[int, str]]:
    """Letters with body paragraphs set apart (`rooms`), by their index in the chunk: (the
    office layout with room for their paragraphs and the paragraphs laid out, why some are to
    be laid out in full); the others take the office's own layout (`_stamp_chunk`), which
    then places their signer's parts as for any letter.

    Each paragraph is laid out by WeasyPrint on its own, at the body's measure and in the
    setting tried (those not in the cache in one pass for the chunk); the office's layout keeps
    blank room of exactly each paragraph's height, in that setting only — one layout per
    heights and setting, shared by every letter whose paragraphs take as many lines. Where the
    letter does not stay on its pages in a setting, the next is tried as a full layout would
    (`_measured`). Paragraphs are kept in the cache for the next letters (in a drive, the few
    wordings of each recur at every office of a paper size), her own words never: no two
    supporters write the same, and none is kept."""
    full: dict[int, str] = {}
    # (index, letter, measure, the settings left to try)
    pending: list[tuple[int, Letter, float, list[int]]] = []
    for index, letter in letters:
        try:
            measure, settings = _measured(letter, root, cache, report, every)
        except Exception as exc:  # the full layout will report the letter's own error
            log.debug("no office layout for %s", letter.office_id, exc_info=True)
            full[index] = f"no office layout: {exc}"
            continue
        pending.append((index, letter, measure, settings))
    placed: dict[int, tuple[OfficeLayout, dict[str, _LaidOut | _SetDirectly]]] = {}
    while pending:
        laid = _lay_out_rooms(
            [
                (letter, i, measure, left[0])
                for _, letter, measure, left in pending
                for i in rooms(letter, every)
            ],
            root,
            cache,
            report,
            set_direct,
        )
        again = []
        for index, letter, measure, left in pending:
            fit, rest = left[0], left[1:]
            apart = {i: laid[room_key((letter, i, measure, fit))] for i in rooms(letter, every)}
            try:
                roomy = keeping_room(letter, {i: room.height for i, room in apart.items()})
                layout, made = cache.layout(roomy, root, fit)
            except Exception as exc:
                log.debug("no office layout for %s", letter.office_id, exc_info=True)
                full[index] = f"no office layout: {exc}"
                continue
            report.layouts += made
            if layout.pages > pages_meant(letter) and (rest or every):
                if rest:
                    again.append((index, letter, measure, rest))  # the next setting
                continue  # more pages: the office's own layout (`_stamp_chunk`)
            placed[index] = (
                layout,
                {ROOM.format(i): room.source(ROOM.format(i)) for i, room in apart.items()},
            )
        pending = again
    return placed, full


def _lay_out_rooms(
    items: list[RoomItem],
    root: Path,
    cache: StampCache,
    report: StampReport,
    set_direct: bool = True,
) -> dict[RoomKey, _Apart]:
    """Every paragraph asked for, laid out: from the cache; her own words set directly where
    they can be (`set_direct`); else in one WeasyPrint pass (kept in the cache unless it is
    her own words)."""
    found: dict[RoomKey, _Apart] = {}
    missing: dict[RoomKey, RoomItem] = {}
    for item in items:
        key = room_key(item)
        if key in found or key in missing:
            continue
        kept = cache.rooms.get(key) if key[1] != OWN_WORDS else None
        if kept is not None:
            found[key] = kept
        else:
            missing[key] = item
    if set_direct:
        hers = {key: item for key, item in missing.items() if key[1] == OWN_WORDS}
        if hers:
            found |= _set_apart(hers, root, cache, report)
            missing = {key: item for key, item in missing.items() if key not in found}
    # Hers in a pass of their own: a parts PDF that is kept holds no supporter's words.
    for own in (False, True):
        batch = {k: item for k, item in missing.items() if (k[1] == OWN_WORDS) == own}
        if not batch:
            continue
        report.parts += len(batch)
        for key, laid in zip(batch, render_rooms(list(batch.values()), root), strict=True):
            found[key] = laid
            if not own:
                cache.rooms.put(key, laid)
    return found


def stamp_one(
    letter: Letter,
    templates: Path | None = None,
    *,
    cache: StampCache | None = None,
    set_direct: bool = True,
    every_paragraph: bool = False,
) -> RenderedPDF:
    """One letter through the stamped path (`stamped_pdf`), with the office layout it was
    stamped on (`RenderedPDF.layout`). Raises RenderError if it cannot be rendered."""
    rendered = next(
        render_stamped(
            [letter],
            templates,
            cache=cache,
            set_direct=set_direct,
            every_paragraph=every_paragraph,
        )
    )
    if rendered.error:
        raise RenderError(rendered.error, hint=f"office {letter.office_id}")
    return rendered


def stamped_pdf(
    letter: Letter,
    templates: Path | None = None,
    *,
    cache: StampCache | None = None,
    set_direct: bool = True,
) -> bytes:
    """One letter's PDF through the stamped path, for the supporter page: the office's layout
    from the cache (made on a miss), this signer's parts set (or laid out), placed, written.
    Raises RenderError if the letter cannot be rendered."""
    return stamp_one(letter, templates, cache=cache, set_direct=set_direct).data
