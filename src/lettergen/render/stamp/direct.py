"""A signer's lines set directly: shaped by HarfBuzz, drawn with a few glyphs of the letter's font.

The stamped path (`render.stamp`) lays an office's letter out once and places each signer's
signature into the box reserved for it. Laying out those few lines with
WeasyPrint costs a whole document's fixed price (~25 ms: the style cascade, page boxes, font
subsetting), which is most of a single letter's cost on the supporter page. Yet the office's
layout already says everything about those lines: where each baseline sits, how wide the box
is, how each line is aligned, in which face and size it is set. What is left is to shape the
signer's words in that face and draw them there, which is what Pango does inside WeasyPrint —
with the same HarfBuzz, the same font file, the same features.

So a line is set here only when setting it cannot differ from WeasyPrint's: the line is one
script and one direction, every character is in the face the reserved line was set in (no
fallback font, which could change the line's height), and it fits the box's width (no wrap).
Anything else returns None with the reason, and the letter takes the WeasyPrint path for its
parts, as before. Tests compare both paths' PDFs word by word and pixel by pixel.

Shaping and subsetting use the system's HarfBuzz, the library Pango and WeasyPrint use
(`render.harfbuzz`): a copy bundled with another package may be another release, and shape
marks differently. The glyphs are embedded as a subset (hb-subset) that keeps the font's glyph
ids, so the shaped glyph ids are the PDF's character codes (Identity-H). fontTools reads the
few metrics a PDF font descriptor needs, once per face.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lettergen.render.stamp import harfbuzz

#: CSS px to PDF points.
PT_PER_PX = 0.75
#: A line may be this much wider than its box (CSS px) before it would wrap: rounding only.
FIT_SLACK_PX = 0.01


@dataclass(frozen=True)
class LineSpec:
    """One reserved line, as the office's layout set it, relative to its part's border box
    (CSS px, y down): where its baseline is, the edges it is aligned between, its face."""

    baseline: float
    left: float
    right: float
    size: float  # font size, CSS px
    font: Path
    align: str  # "left" or "right"
    rtl: bool


@dataclass(frozen=True)
class Glyph:
    gid: int
    text: str  # the characters this glyph stands for ("" for a glyph within a cluster)
    advance: float  # font units
    x_offset: float
    y_offset: float
    cluster: int = 0  # where in the shaped text its characters start


@dataclass(frozen=True)
class SetLine:
    """A line shaped and placed: its face, size (pt) and pen origin (pt, relative to the part's
    top left, y up), and its glyphs."""

    font: Path
    size: float
    x: float
    y: float
    glyphs: tuple[Glyph, ...]


# --- the face -------------------------------------------------------------------------------


class Face:
    """One font file: HarfBuzz's view of it (shaping, glyphs, advances, subsets) and the
    metrics a PDF font descriptor needs, read once."""

    def __init__(self, path: Path) -> None:
        from fontTools.ttLib import TTFont

        self.path = path
        data = path.read_bytes()
        font = TTFont(io.BytesIO(data), lazy=True)
        if "glyf" not in font:
            raise ValueError(f"{path.name} has no TrueType outlines")
        self.hb = harfbuzz.Font(data)
        self._glyphs: dict[str, int] = {}
        self.upem = self.hb.upem
        head, hhea = font["head"], font["hhea"]
        os2 = font.get("OS/2")
        scale = 1000 / self.upem
        self.bbox = tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        self.ascent = round(hhea.ascent * scale)
        self.descent = round(hhea.descent * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", hhea.ascent) * scale)
        self.italic_angle = float(font["post"].italicAngle) if "post" in font else 0.0
        names = font.get("name")
        ps_name = names.getDebugName(6) if names else None
        self.name = "".join(c for c in (ps_name or path.stem) if c.isalnum() or c in "-_")

    def covers(self, text: str) -> bool:
        return all(self.glyph(c) for c in text)

    def glyph(self, char: str) -> int:
        """The character's glyph (0: none), looked up once per face."""
        found = self._glyphs.get(char)
        if found is None:
            found = self._glyphs[char] = self.hb.glyph(char)
        return found

    def advance(self, gid: int) -> int:
        return self.hb.advance(gid)

    def subset(self, gids: Iterable[int]) -> bytes:
        return self.hb.subset(set(gids))


@cache
def face(path: Path) -> Face:
    return Face(path)


# --- shaping --------------------------------------------------------------------------------


def _script(char: str) -> str:
    """A letter's script by its Unicode name ("LATIN", "CYRILLIC", …); "" for characters every
    script shares (spaces, digits, punctuation) and for marks, which take their base's."""
    if unicodedata.category(char)[0] != "L":
        return ""
    return unicodedata.name(char, "").split(" ", 1)[0]


#: Unicode's isolate initiators (LRI, RLI, FSI) and their terminator (PDI).
ISOLATES = ("\u2066", "\u2067", "\u2068")
POP_ISOLATE = "\u2069"


def unwrap(text: str) -> str:
    """The line without an isolate that wraps all of it (right-to-left letters wrap each
    signer's line in one, `i18n.isolate`). Where the text inside has the paragraph's own
    direction, which `why_not` then demands, the isolate changes no glyph and no order."""
    if text[:1] in ISOLATES and text.endswith(POP_ISOLATE):
        return text[1:-1]
    return text


def why_not(text: str, spec: LineSpec) -> str:
    """Why this line (unwrapped) cannot be set directly ("" when it can)."""
    if not text:
        return "an empty line"
    if text != " ".join(text.split(" ")).strip(" ") or "  " in text:
        return "spaces HTML would collapse"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c == "\t" for c in text):
        return "a control or format character"
    scripts = {s for s in map(_script, text) if s}
    if len(scripts) > 1:
        return "more than one script"
    classes = {unicodedata.bidirectional(c) for c in text}
    if (spec.rtl and classes & {"L", "EN", "AN"}) or (not spec.rtl and classes & {"R", "AL", "AN"}):
        # Digits in a right-to-left line run left to right inside it: a bidi reordering this
        # module does not do.
        return "text of the other direction, or digits in a right-to-left line"
    try:
        font = face(spec.font)
    except (OSError, ValueError) as exc:  # not a TrueType font with outlines, or unreadable
        return f"its font cannot be embedded directly: {exc}"
    if not font.covers(text):
        return "a character outside the line's font"
    return ""


def shape(text: str, spec: LineSpec, language: str, units: int | None = None) -> tuple[Glyph, ...]:
    """The line's glyphs in visual order, as HarfBuzz shapes it in the face (positions in
    font units). With `units`, shaped as Pango shapes (`render.stamp.paragraph`): at that many
    of its units (1/1024 px) per em, rounded there, then given back in font units of the em
    the line is drawn at (`spec.size`), so that each glyph advances as WeasyPrint places it."""
    font = face(spec.font)
    shaped = font.hb.shape(text, "rtl" if spec.rtl else "ltr", language, units)
    factor = font.upem / (spec.size * 1024) if units else 1
    # The text each glyph stands for, by WeasyPrint's rule (draw/text.py), so that text
    # extraction reads the same as the letter laid out alone: from the glyph's cluster to the
    # cluster of the glyph after it in reading order ("" for a glyph sharing its cluster,
    # such as a mark drawn before its letter in right-to-left text).
    count = len(shaped)
    glyphs = []
    for index, glyph in enumerate(shaped):
        if spec.rtl:
            end = len(text) if index == 0 else shaped[index - 1].cluster
        else:
            end = len(text) if index == count - 1 else shaped[index + 1].cluster
        glyphs.append(
            Glyph(
                glyph.gid,
                text[glyph.cluster : end],
                glyph.x_advance * factor,
                glyph.x_offset * factor,
                glyph.y_offset * factor,
                glyph.cluster,
            )
        )
    return tuple(glyphs)


def set_line(text: str, spec: LineSpec, language: str) -> SetLine | str:
    """The line shaped and placed as the office's layout would place it, or why it cannot be."""
    text = unwrap(text)
    why = why_not(text, spec)
    if why:
        return why
    glyphs = shape(text, spec, language)
    font = face(spec.font)
    if any(g.gid == 0 for g in glyphs):
        return "a character the font cannot shape"
    width = sum(g.advance for g in glyphs) * spec.size / font.upem  # CSS px
    if width > spec.right - spec.left + FIT_SLACK_PX:
        return "wider than its box (it would wrap)"
    x = spec.left if spec.align == "left" else spec.right - width
    return SetLine(
        spec.font, spec.size * PT_PER_PX, x * PT_PER_PX, -spec.baseline * PT_PER_PX, glyphs
    )


# --- drawing --------------------------------------------------------------------------------


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def draw(lines: Sequence[SetLine], fonts: dict[Path, str]) -> bytes:
    """A content stream showing the lines (text space in points), each face by its resource
    name in `fonts`. Advances and offsets follow HarfBuzz, through TJ adjustments against the
    widths the font dictionary declares (`widths`), in whole thousandths of an em cut toward
    zero as WeasyPrint writes them (draw/text.py): the letter laid out alone puts each glyph
    just there."""
    out = ["0 g"]
    for line in lines:
        font = face(line.font)
        scale = 1000 / font.upem
        out.append(f"BT /{fonts[line.font]} {_number(line.size)} Tf")
        out.append(f"1 0 0 1 {_number(line.x)} {_number(line.y)} Tm")
        shown: list[str] = []
        for glyph in line.glyphs:
            declared = round(font.advance(glyph.gid) * scale)
            offset = glyph.x_offset * scale
            code = f"<{glyph.gid:04x}>"
            if glyph.y_offset:
                if shown:
                    out.append(f"[{' '.join(shown)}] TJ")
                    shown = []
                rise = glyph.y_offset * line.size / font.upem
                body = f"{_number(-offset)} {code}" if offset else code
                out.append(f"{_number(rise)} Ts [{body}] TJ 0 Ts")
            else:
                if offset:
                    shown.append(_number(-offset))
                shown.append(code)
            kerning = int(declared + offset - glyph.advance * scale)
            if kerning:
                shown.append(str(kerning))
        if shown:
            out.append(f"[{' '.join(shown)}] TJ")
        out.append("ET")
    return ("\n".join(out) + "\n").encode("ascii")


def widths(path: Path, gids: Iterable[int]) -> list[int]:
    """The PDF W array for these glyphs: [gid [width] …], widths in thousandths of an em."""
    font = face(path)
    scale = 1000 / font.upem
    out: list[Any] = []
    for gid in sorted(set(gids)):
        out += [gid, [round(font.advance(gid) * scale)]]
    return out


def to_unicode(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap: what text each glyph id stands for, so the letter's text can be
    searched and copied (pdftotext reads the name back)."""
    entries = [
        f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>"
        for gid, text in sorted(mapping.items())
        if text
    ]
    blocks = [
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
        for chunk in (entries[i : i + 100] for i in range(0, len(entries), 100))
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


@dataclass(frozen=True)
class EmbeddedFace:
    """What a PDF needs to show some glyphs of one face: the compressed subset, widths and the
    text of each glyph. Made once per signer and face; written into each of their letters."""

    path: Path
    tag: str  # "ABCDEF+FontName", the PDF convention for a subset
    program: bytes  # zlib-compressed TrueType
    length: int  # uncompressed length
    widths: list[int]
    unicode: bytes  # zlib-compressed ToUnicode CMap


def embed(path: Path, lines: Iterable[SetLine]) -> EmbeddedFace:
    font = face(path)
    glyphs = [g for line in lines if line.font == path for g in line.glyphs]
    gids = {g.gid for g in glyphs}
    mapping: dict[int, str] = {}
    for glyph in glyphs:
        if glyph.text and glyph.gid not in mapping:
            mapping[glyph.gid] = glyph.text
    program = font.subset(gids)
    digest = hashlib.sha256(repr(sorted(gids)).encode()).digest()
    tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
    return EmbeddedFace(
        path,
        f"{tag}+{font.name}",
        zlib.compress(program, 6),
        len(program),
        widths(path, gids),
        zlib.compress(to_unicode(mapping), 6),
    )


def font_dictionary(pdf: Any, embedded: EmbeddedFace) -> Any:
    """The Type 0 font (Identity-H over a CIDFontType2) for one embedded face, in `pdf`."""
    import pikepdf

    font = face(embedded.path)
    Name = pikepdf.Name
    program = pikepdf.Stream(pdf, embedded.program)
    program.Filter = Name.FlateDecode
    program.Length1 = embedded.length
    descriptor = pikepdf.Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/" + embedded.tag),
        Flags=4,
        FontBBox=pikepdf.Array(font.bbox),
        ItalicAngle=font.italic_angle,
        Ascent=font.ascent,
        Descent=font.descent,
        CapHeight=font.cap_height,
        StemV=80,
        FontFile2=program,
    )
    cid_font = pikepdf.Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name("/" + embedded.tag),
        CIDSystemInfo=pikepdf.Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
        FontDescriptor=pdf.make_indirect(descriptor),
        W=pikepdf.Array(embedded.widths),
        CIDToGIDMap=Name.Identity,
    )
    unicode = pikepdf.Stream(pdf, embedded.unicode)
    unicode.Filter = Name.FlateDecode
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=Name("/" + embedded.tag),
            Encoding=Name("/Identity-H"),
            DescendantFonts=pikepdf.Array([pdf.make_indirect(cid_font)]),
            ToUnicode=unicode,
        )
    )
