"""How WeasyPrint embeds the portal's CJK fonts: its time and memory per document.

Two costs of WeasyPrint 70 with the Noto CJK collections (``fonts-noto-cjk``: one 26 MB ``.ttc`` per
weight, four to five faces sharing one CFF table), measured on a packet's own pages:

- a font configuration made per document (WeasyPrint's default) loads fontconfig's configuration
  and every font again: ~30-40 ms of layout and as much of writing. ``font_config()`` keeps one per
  process and thread (Pango's font map is not shared between threads; a forked child makes its
  own). An ``@font-face`` rule adds its font to it once (WeasyPrint names the file by the rule).
- every font a document draws with is first copied whole into Python (``Font.__init__``: the face's
  blob, the 26 MB collection for each of the regular and the bold face) and then subset by HarfBuzz
  (keeping the glyph ids) in two passes: the first keeps what the glyphs used reach through the
  layout tables (dropped from the output anyway), the second trims that back to the highest glyph
  used, ~20 ms per CJK face as the used ids reach ~59,000. ``SubsetFont`` reads the whole font only
  if it is ever needed (HarfBuzz subsets from the face itself), and subsets in one pass without the
  layout closure, running the trimming pass only when something is still left beyond the highest
  glyph used: the embedded font is byte for byte the one WeasyPrint makes (tested).

``install()`` puts ``SubsetFont`` in WeasyPrint's place for the pinned version only (pyproject.toml);
with another version WeasyPrint's own class stays and a test says so.
"""

from __future__ import annotations

import os
import threading

import weasyprint
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.pdf import stream as pdf_stream
from weasyprint.text import fonts as text_fonts
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

SUPPORTED_VERSION = "70.0"
DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")

_local = threading.local()


def font_config() -> text_fonts.FontConfiguration:
    """WeasyPrint's font configuration of this process and thread (made once)."""
    cached = getattr(_local, "config", None)
    if cached is None or cached[0] != os.getpid():
        cached = _local.config = (os.getpid(), text_fonts.FontConfiguration())
    return cached[1]


def _face_data(hb_object, ot_color=None, glyph=None):
    """``get_hb_object_data`` as WeasyPrint's font module calls it: nothing for the whole face
    while a ``SubsetFont`` is made (it reads the face later if it needs it)."""
    if ot_color is None and getattr(_local, "making_font", False):
        return None
    return text_fonts.get_hb_object_data(hb_object, ot_color, glyph)


def _subset(face, glyphs, flags):
    """HarfBuzz's subset of `face` keeping `glyphs` (sorted ids), WeasyPrint's tables dropped."""
    hb_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyph_set = harfbuzz_subset.hb_subset_input_glyph_set(hb_input)
    harfbuzz.hb_set_add_sorted_array(glyph_set, ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs), len(glyphs))
    drop_set = harfbuzz_subset.hb_subset_input_set(hb_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    drop = [harfbuzz.hb_tag_from_string(name, -1) for name in DROP_TABLES]
    harfbuzz.hb_set_add_sorted_array(drop_set, ffi.new(f"hb_codepoint_t[{len(drop)}]", drop), len(drop))
    harfbuzz_subset.hb_subset_input_set_flags(hb_input, flags)
    return ffi.gc(harfbuzz_subset.hb_subset_or_fail(face, hb_input), harfbuzz.hb_face_destroy), hb_input


class SubsetFont(pdf_fonts.Font):
    """WeasyPrint's PDF font, reading the font file only when it is needed and subsetting it in one
    HarfBuzz pass where that gives the same font (see the module's docstring)."""

    _content = None

    def __init__(self, pango_font, description, font_size):
        _local.making_font = True
        try:
            super().__init__(pango_font, description, font_size)
        finally:
            _local.making_font = False

    @property
    def file_content(self):
        if self._content is None:
            self._content = text_fonts.get_hb_object_data(self.hb_face)
        return self._content

    @file_content.setter
    def file_content(self, value):
        self._content = value

    def _harfbuzz_subset(self, to_unicode, hinting):
        if "CFF " not in self.tables:  # a TrueType font (a Latin or a fallback face): small, cheap
            super()._harfbuzz_subset(to_unicode, hinting)
            return
        glyphs = sorted(to_unicode)
        flags = (harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
                 | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE | harfbuzz_subset.HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE)
        if not hinting:
            flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
        if self.missing:
            flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        face, _input = _subset(self.hb_face, glyphs, flags)
        if face and harfbuzz.hb_face_get_glyph_count(face) > glyphs[-1] + 1:
            # glyphs reached otherwise than by the layout tables (an accented form, a variation
            # sequence): trimmed after the highest glyph used, as WeasyPrint's second pass does
            face, _input = _subset(face, list(range(glyphs[-1] + 1)),
                                   flags & ~harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS)
        if face:
            content = text_fonts.get_hb_object_data(face)
            if content:
                self.file_content = content
                return
        super()._harfbuzz_subset(to_unicode, hinting)  # WeasyPrint's own passes, and its warning


def installed() -> bool:
    return pdf_stream.Font is SubsetFont


def install() -> bool:
    """Use ``SubsetFont`` for the fonts of every PDF WeasyPrint writes in this process (the pinned
    WeasyPrint version only). Returns whether it is in use."""
    if weasyprint.__version__ != SUPPORTED_VERSION or harfbuzz_subset is None:
        return False
    pdf_fonts.get_hb_object_data = _face_data
    pdf_stream.Font = SubsetFont
    return True
