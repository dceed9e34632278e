"""The system's HarfBuzz — the one Pango shapes WeasyPrint's text with — for `render.direct`.

A signature set directly must come out glyph for glyph as WeasyPrint would set it. Shaping
rules change between HarfBuzz releases (how marks cluster and compose, for one), so the shaper
has to be the very library Pango uses, not a copy bundled with another package: this module
binds the few functions `render.direct` needs from the shared libraries WeasyPrint itself
loads (libharfbuzz and libharfbuzz-subset), through cffi, which WeasyPrint depends on.

Subsetting goes through hb-subset, as WeasyPrint's own font embedding does, keeping glyph ids,
so HarfBuzz's glyph ids are the PDF's character codes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

_CDEF = """
typedef struct _hb_blob_t hb_blob_t;
typedef struct _hb_face_t hb_face_t;
typedef struct _hb_font_t hb_font_t;
typedef struct _hb_buffer_t hb_buffer_t;
typedef struct _hb_set_t hb_set_t;
typedef struct _hb_subset_input_t hb_subset_input_t;
typedef const struct _hb_language_impl_t *hb_language_t;
typedef int hb_bool_t;
typedef uint32_t hb_codepoint_t;
typedef int32_t hb_position_t;
typedef uint32_t hb_mask_t;
typedef uint32_t hb_tag_t;
typedef union { uint32_t u32; int32_t i32; uint16_t u16[2]; int16_t i16[2]; uint8_t u8[4];
                int8_t i8[4]; } hb_var_int_t;
typedef struct { hb_codepoint_t codepoint; hb_mask_t mask; uint32_t cluster;
                 hb_var_int_t var1; hb_var_int_t var2; } hb_glyph_info_t;
typedef struct { hb_position_t x_advance; hb_position_t y_advance; hb_position_t x_offset;
                 hb_position_t y_offset; hb_var_int_t var; } hb_glyph_position_t;

hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data,
                          void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
unsigned int hb_face_get_upem(const hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
hb_font_t *hb_font_create(hb_face_t *face);
void hb_font_destroy(hb_font_t *font);
void hb_font_set_scale(hb_font_t *font, int x_scale, int y_scale);
hb_bool_t hb_font_get_nominal_glyph(hb_font_t *font, hb_codepoint_t unicode,
                                    hb_codepoint_t *glyph);
hb_position_t hb_font_get_glyph_h_advance(hb_font_t *font, hb_codepoint_t glyph);
hb_buffer_t *hb_buffer_create(void);
void hb_buffer_destroy(hb_buffer_t *buffer);
void hb_buffer_add_codepoints(hb_buffer_t *buffer, const hb_codepoint_t *text, int length,
                              unsigned int item_offset, int item_length);
void hb_buffer_set_direction(hb_buffer_t *buffer, int direction);
void hb_buffer_set_flags(hb_buffer_t *buffer, int flags);
void hb_buffer_set_cluster_level(hb_buffer_t *buffer, int cluster_level);
void hb_buffer_set_language(hb_buffer_t *buffer, hb_language_t language);
hb_language_t hb_language_from_string(const char *str, int len);
void hb_buffer_guess_segment_properties(hb_buffer_t *buffer);
void hb_shape(hb_font_t *font, hb_buffer_t *buffer, const void *features,
              unsigned int num_features);
hb_glyph_info_t *hb_buffer_get_glyph_infos(hb_buffer_t *buffer, unsigned int *length);
hb_glyph_position_t *hb_buffer_get_glyph_positions(hb_buffer_t *buffer, unsigned int *length);
hb_tag_t hb_tag_from_string(const char *str, int len);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
const char *hb_version_string(void);
"""

_CDEF_SUBSET = """
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""

#: The shared libraries' names, as WeasyPrint looks for them (Linux, macOS, Windows).
NAMES = ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll", "harfbuzz")
SUBSET_NAMES = (
    "libharfbuzz-subset.so.0",
    "libharfbuzz-subset.0.dylib",
    "libharfbuzz-subset-0.dll",
    "harfbuzz-subset",
)
MEMORY_MODE_READONLY = 1
DIRECTION = {"ltr": 4, "rtl": 5}
#: Beginning and end of text: the line is the whole paragraph, as Pango shapes it.
BUFFER_FLAG_BOT_EOT = 0x1 | 0x2
#: Pango's cluster level: a mark is a cluster of its own (not merged with its letter), which
#: decides what text each glyph maps back to.
CLUSTER_LEVEL_MONOTONE_CHARACTERS = 1
SUBSET_RETAIN_GIDS = 0x2
SUBSET_PASSTHROUGH_UNRECOGNIZED = 0x20
SUBSET_SETS_DROP_TABLE_TAG = 3
#: Tables a PDF viewer does not read from an embedded font (shaping is done): as WeasyPrint
#: drops them from its own subsets.
DROPPED_TABLES = (
    b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"LTSH",
    b"PCLT", b"SVG ", b"kern",
)  # fmt: skip


class HarfBuzzMissing(RuntimeError):
    """The system's HarfBuzz (or its subsetter) could not be loaded."""


@cache
def _libraries() -> tuple[Any, Any, Any]:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    ffi.cdef(_CDEF_SUBSET)

    def load(names: tuple[str, ...]) -> Any:
        for name in names:
            try:
                return ffi.dlopen(name)
            except OSError:
                continue
        raise HarfBuzzMissing(f"none of {', '.join(names)} could be loaded")

    return ffi, load(NAMES), load(SUBSET_NAMES)


def version() -> str:
    ffi, hb, _ = _libraries()
    return str(ffi.string(hb.hb_version_string()).decode("ascii"))


@dataclass(frozen=True)
class Shaped:
    """One glyph as HarfBuzz places it, in font units, in visual order."""

    gid: int
    cluster: int  # index of the first character of its cluster
    x_advance: int
    x_offset: int
    y_offset: int


class Font:
    """A font file opened in HarfBuzz at its own units per em (positions in font units)."""

    def __init__(self, data: bytes):
        ffi, hb, _ = _libraries()
        self._ffi, self._hb = ffi, hb
        self._data = ffi.from_buffer(data)  # HarfBuzz reads these bytes for the font's life
        blob = hb.hb_blob_create(self._data, len(data), MEMORY_MODE_READONLY, ffi.NULL, ffi.NULL)
        self._face = ffi.gc(hb.hb_face_create(blob, 0), hb.hb_face_destroy)
        hb.hb_blob_destroy(blob)  # the face holds its own reference
        self.upem = int(hb.hb_face_get_upem(self._face))
        self._font = ffi.gc(hb.hb_font_create(self._face), hb.hb_font_destroy)
        hb.hb_font_set_scale(self._font, self.upem, self.upem)
        #: The font at other scales (`shape`'s `scale`), made on first use.
        self._scaled: dict[int, Any] = {}
        # A HarfBuzz font may be shared between threads for shaping; buffers are not, and
        # each call makes its own. The lock only guards the subsetter's inputs.
        self._lock = threading.Lock()

    def glyph(self, char: str) -> int:
        """The glyph the font maps the character to; 0 if it has none."""
        found = self._ffi.new("hb_codepoint_t *")
        return (
            int(found[0]) if self._hb.hb_font_get_nominal_glyph(self._font, ord(char), found) else 0
        )

    def advance(self, gid: int) -> int:
        return int(self._hb.hb_font_get_glyph_h_advance(self._font, gid))

    def _at(self, scale: int | None) -> Any:
        if scale is None or scale == self.upem:
            return self._font
        font = self._scaled.get(scale)
        if font is None:
            font = self._ffi.gc(self._hb.hb_font_create(self._face), self._hb.hb_font_destroy)
            self._hb.hb_font_set_scale(font, scale, scale)
            self._scaled[scale] = font
        return font

    def shape(
        self, text: str, direction: str, language: str, scale: int | None = None
    ) -> list[Shaped]:
        """The text's glyphs in visual order; positions in font units, or in units of which
        the em has `scale` (HarfBuzz rounds each position at that scale, as Pango's shaping
        does at its own: pixel size × 1024)."""
        ffi, hb = self._ffi, self._hb
        buffer = ffi.gc(hb.hb_buffer_create(), hb.hb_buffer_destroy)
        codepoints = ffi.new("hb_codepoint_t[]", [ord(c) for c in text])
        hb.hb_buffer_add_codepoints(buffer, codepoints, len(text), 0, len(text))
        hb.hb_buffer_set_flags(buffer, BUFFER_FLAG_BOT_EOT)
        hb.hb_buffer_set_cluster_level(buffer, CLUSTER_LEVEL_MONOTONE_CHARACTERS)
        hb.hb_buffer_guess_segment_properties(buffer)
        hb.hb_buffer_set_direction(buffer, DIRECTION[direction])
        tag = language.encode("ascii", "replace")
        hb.hb_buffer_set_language(buffer, hb.hb_language_from_string(tag, len(tag)))
        hb.hb_shape(self._at(scale), buffer, ffi.NULL, 0)
        count = ffi.new("unsigned int *")
        infos = hb.hb_buffer_get_glyph_infos(buffer, count)
        positions = hb.hb_buffer_get_glyph_positions(buffer, count)
        return [
            Shaped(
                int(infos[i].codepoint),
                int(infos[i].cluster),
                int(positions[i].x_advance),
                int(positions[i].x_offset),
                int(positions[i].y_offset),
            )
            for i in range(count[0])
        ]

    def subset(self, gids: set[int]) -> bytes:
        """A TrueType file with these glyphs (and the glyphs their composites use) at their
        own ids, the others empty, without the tables only shaping reads."""
        ffi, hb, sub = _libraries()
        with self._lock:
            wanted = ffi.gc(sub.hb_subset_input_create_or_fail(), sub.hb_subset_input_destroy)
            if wanted == ffi.NULL:
                raise HarfBuzzMissing("hb-subset could not make its input")
            glyphs = sub.hb_subset_input_glyph_set(wanted)
            for gid in sorted({0, *gids}):
                hb.hb_set_add(glyphs, gid)
            sub.hb_subset_input_set_flags(
                wanted, SUBSET_RETAIN_GIDS | SUBSET_PASSTHROUGH_UNRECOGNIZED
            )
            dropped = sub.hb_subset_input_set(wanted, SUBSET_SETS_DROP_TABLE_TAG)
            for table in DROPPED_TABLES:
                hb.hb_set_add(dropped, hb.hb_tag_from_string(table, len(table)))
            face = sub.hb_subset_or_fail(self._face, wanted)
            if face == ffi.NULL:
                raise HarfBuzzMissing("hb-subset could not subset the font")
            face = ffi.gc(face, hb.hb_face_destroy)
            blob = hb.hb_face_reference_blob(face)
            try:
                length = ffi.new("unsigned int *")
                data = hb.hb_blob_get_data(blob, length)
                return bytes(ffi.buffer(data, length[0]))
            finally:
                hb.hb_blob_destroy(blob)
