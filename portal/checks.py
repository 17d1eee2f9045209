"""Start-up checks (Django system checks): what the PDFs need from the machine.

* WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset0 is installed; without it, it falls
  back to pure-Python fontTools, which takes seconds per page with a CJK font
  (``weasyprint.text.ffi.harfbuzz_subset`` is None then).
* Chinese text needs a Chinese font known to fontconfig (``fc-list :lang=zh``); without one it
  renders as blank boxes. Debian's fonts-noto-cjk provides Noto Sans/Serif CJK.
"""

from __future__ import annotations

import subprocess

from django.core.checks import Error, register


def harfbuzz_subset_available() -> bool:
    try:
        from weasyprint.text import ffi  # noqa: PLC0415 - the probe itself: a missing library is the answer
    except (ImportError, OSError):
        return False
    return getattr(ffi, "harfbuzz_subset", None) is not None


def cjk_font_families() -> list[str]:
    """The font families fontconfig offers for Chinese (empty: none, or no fontconfig)."""
    try:
        result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip() for line in result.stdout.splitlines() if line.strip()})


@register("portal_pdf")
def pdf_dependencies(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if not harfbuzz_subset_available():
        errors.append(Error(
            "WeasyPrint cannot subset fonts with HarfBuzz (weasyprint.text.ffi.harfbuzz_subset is missing): "
            "a Chinese PDF page would take seconds to build.",
            hint="Install the Debian package libharfbuzz-subset0 (apt-get install libharfbuzz-subset0), "
                 "as `make install` does.",
            id="portal.E001",
        ))
    if not cjk_font_families():
        errors.append(Error(
            "No Chinese font is known to fontconfig (`fc-list :lang=zh` finds none): Chinese text in PDFs "
            "would render as blank boxes.",
            hint="Install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk), as `make install` does.",
            id="portal.E002",
        ))
    return errors
