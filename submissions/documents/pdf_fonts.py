"""WeasyPrint's font configuration, made once per process and thread.

WeasyPrint makes a font configuration per document by default: fontconfig's configuration and every
font (the Noto CJK collections: one 26 MB ``.ttc`` per weight) loaded again, ~30-40 ms of a packet's
layout and as much of writing it. ``font_config()`` keeps one per process and thread (Pango's font
map is not shared between threads; a forked child makes its own). An ``@font-face`` rule adds its
font to it once (WeasyPrint names the font's file after the rule).
"""

from __future__ import annotations

import os
import threading

from weasyprint.text.fonts import FontConfiguration

_local = threading.local()


def font_config() -> FontConfiguration:
    """WeasyPrint's font configuration of this process and thread (made on first use)."""
    cached = getattr(_local, "config", None)
    if cached is None or cached[0] != os.getpid():
        cached = _local.config = (os.getpid(), FontConfiguration())
    return cached[1]
