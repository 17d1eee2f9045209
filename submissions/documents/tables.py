"""Long tables as PDF with ReportLab: the summary tables (推荐申报汇总表) of 1,000 rows and more.

Why not WeasyPrint, which lays out every other page of the portal: a table of 1,000 rows took
WeasyPrint 8.6 s (about 1 ms a cell: styles, line breaking and the automatic column widths are
computed cell by cell), ReportLab's ``LongTable`` 0.6 s on the same machine (measured by
``tests/bench/bench_documents.py``; the figures are in the README). ReportLab embeds TrueType fonts
only (the Noto CJK fonts WeasyPrint uses have CFF outlines), so the tables use two TrueType CJK
fonts from Debian's packages: AR PL UMing (明体/宋体, the body; ``fonts-arphic-uming``) and
WenQuanYi Micro Hei (黑体, the title and the column heads; ``fonts-wqy-microhei``). The settings
``TABLE_FONT`` and ``TABLE_FONT_HEADING`` name other families (found by fontconfig). A character
the body font lacks is set in the heading font when that has it: nothing a user typed is dropped.

Every text is escaped before it reaches ReportLab's paragraph markup.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, TableStyle

BODY, HEADING = "PortalTableBody", "PortalTableHeading"


def _font_file(family: str) -> tuple[str, int]:
    """The file and face index of an installed font family (fontconfig); refuses a substitute."""
    binary = shutil.which("fc-match")
    if binary is None:
        raise ImproperlyConfigured("fontconfig (fc-match) is needed to find the table fonts.")
    found = subprocess.run([binary, "-f", "%{file}|%{index}|%{family}", family], capture_output=True, text=True,
                           check=False, timeout=30).stdout
    path, _sep, rest = found.partition("|")
    index, _sep, families = rest.partition("|")
    if family.casefold() not in [name.strip().casefold() for name in families.split(",")]:
        raise ImproperlyConfigured(
            f"The table font {family!r} is not installed (fontconfig offers {families!r} instead): install "
            "fonts-arphic-uming and fonts-wqy-microhei (make install does), or name installed TrueType "
            "families in TABLE_FONT / TABLE_FONT_HEADING.")
    return path, int(index or 0)


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register the body and heading fonts with ReportLab once per process; their names."""
    for name, family in ((BODY, settings.TABLE_FONT), (HEADING, settings.TABLE_FONT_HEADING)):
        path, index = _font_file(family)
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
        except TTFError as exc:
            raise ImproperlyConfigured(f"The table font {family!r} ({path}) cannot be embedded: {exc}") from exc
    return BODY, HEADING


def _covers(font_name: str):
    return pdfmetrics.getFont(font_name).face.charToGlyph


def markup(text: str, *, font: str = BODY, fallback: str = HEADING) -> str:
    """`text` as paragraph markup: escaped; characters `font` lacks set in `fallback` when it has them."""
    text = "" if text is None else str(text)
    have, spare = _covers(font), _covers(fallback)
    out, run, run_spare = [], [], False
    for ch in text:
        use_spare = ord(ch) not in have and ord(ch) in spare and not ch.isspace()
        if run and use_spare != run_spare:
            out.append(_run("".join(run), fallback if run_spare else None))
            run = []
        run.append(ch)
        run_spare = use_spare
    if run:
        out.append(_run("".join(run), fallback if run_spare else None))
    return "".join(out)


def _plain(value) -> bool:
    """Can the value be drawn as a plain string in the body font (printable ASCII or characters the
    font has, short)? Anything else goes through `markup`."""
    text = "" if value is None else str(value)
    have = _covers(BODY)
    return len(text) <= 24 and all(" " <= ch <= "~" or ord(ch) in have for ch in text)


def _run(text: str, font: str | None) -> str:
    text = escape(text)
    return f'<font name="{font}">{text}</font>' if font else text


class _Cell(Paragraph):
    """A table cell's paragraph, broken into lines once per width: ReportLab wraps a cell when it
    measures the rows, again when it splits the table across pages and again when it draws it."""

    _wrapped = None

    def wrap(self, avail_width, avail_height):
        if self._wrapped is not None and self._wrapped[0] == avail_width:
            return self._wrapped[1]
        size = super().wrap(avail_width, avail_height)
        self._wrapped = (avail_width, size)
        return size


class _NumberedCanvas(canvas.Canvas):
    """A canvas printing "page N / M" at the bottom right of every page (M known at the end)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(BODY, 8)
            width, _height = self._pagesize
            self.drawRightString(width - 12 * mm, 8 * mm, f"{self._pageNumber} / {total}")
            super().showPage()
        super().save()


class _Sealed(Flowable):
    """A line of text with the bureau's seal over it (at 推荐地区（盖章）), the seal a PNG with its
    transparency kept."""

    def __init__(self, paragraph: Paragraph, seal_png: bytes, size: float = 30 * mm, offset: float = 22 * mm):
        super().__init__()
        self.paragraph, self.seal, self.size, self.offset = paragraph, seal_png, size, offset

    def wrap(self, avail_width, avail_height):
        _w, h = self.paragraph.wrap(avail_width, avail_height)
        self.width, self.text_height = avail_width, h
        self.height = max(h, self.size * 0.55) + 10 * mm
        return self.width, self.height

    def draw(self):
        baseline = self.height - 9 * mm - self.text_height
        self.paragraph.drawOn(self.canv, 0, baseline)
        self.canv.drawImage(ImageReader(io.BytesIO(self.seal)), self.offset, baseline + self.text_height / 2
                            - self.size / 2, width=self.size, height=self.size, mask="auto")


@dataclass
class LongTableDocument:
    """What a long table page shows: a title, a line under it (with a seal), the head and rows (cells
    as text), the columns' relative widths, which columns are centred, notes under the table."""

    title: str
    line: str
    head: list
    rows: list
    widths: list
    centred: tuple = ()
    small: tuple = ()  # columns in a smaller size (codes)
    plain: tuple = ()  # columns of short text that never wraps (numbers, codes, 有/无): drawn as strings
    notes: tuple = ()
    empty: str = ""
    seal_png: bytes | None = None
    author: str = ""


def long_table_pdf(spec: LongTableDocument) -> tuple[bytes, int]:
    """The table as a landscape A4 PDF (the head repeated on every page, rows never split across
    pages, "N / M" at the foot); returns (bytes, pages)."""
    body_font, heading_font = register_fonts()
    cell = ParagraphStyle("cell", fontName=body_font, fontSize=9.5, leading=12.5, wordWrap="CJK")
    centred = ParagraphStyle("centred", parent=cell, alignment=TA_CENTER)
    small = ParagraphStyle("small", parent=centred, fontSize=8.5)
    head = ParagraphStyle("head", parent=centred, fontName=heading_font, leading=12.5)
    title = ParagraphStyle("title", fontName=heading_font, fontSize=15, leading=20, alignment=TA_CENTER,
                           spaceAfter=4 * mm)
    line = ParagraphStyle("line", fontName=body_font, fontSize=10.5, leading=14, spaceAfter=2 * mm)
    note = ParagraphStyle("note", fontName=body_font, fontSize=9, leading=12, spaceBefore=1 * mm, wordWrap="CJK")

    def style_of(col):
        return small if col in spec.small else centred if col in spec.centred else cell

    plain = set(spec.plain)
    data = [[Paragraph(markup(h, font=heading_font, fallback=body_font), head) for h in spec.head]]
    for row in spec.rows:
        data.append([("" if value is None else str(value)) if col in plain and _plain(value)
                     else _Cell(markup(value), style_of(col)) for col, value in enumerate(row)])
    styles = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
              ("FONT", (0, 1), (-1, -1), body_font, 9.5)]
    for col in plain:
        styles.append(("ALIGN", (col, 1), (col, -1), "CENTER" if col in spec.centred or col in spec.small else "LEFT"))
        if col in spec.small:
            styles.append(("FONTSIZE", (col, 1), (col, -1), 8.5))
    styles += [("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    if not spec.rows:
        data.append([Paragraph(markup(spec.empty), centred)] + [""] * (len(spec.head) - 1))
        styles.append(("SPAN", (0, 1), (-1, 1)))

    out = io.BytesIO()
    page = landscape(A4)
    document = SimpleDocTemplate(out, pagesize=page, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=spec.title, author=spec.author, creator=spec.author,
                                 lang="zh-CN")
    usable = page[0] - 24 * mm
    total = sum(spec.widths)
    table = LongTable(data, colWidths=[usable * w / total for w in spec.widths], repeatRows=1, splitByRow=1)
    table.setStyle(TableStyle(styles))
    first_line = Paragraph(markup(spec.line), line)
    story = [Paragraph(markup(spec.title, font=heading_font, fallback=body_font), title),
             _Sealed(first_line, spec.seal_png) if spec.seal_png else first_line, table]
    story += [Paragraph(markup(text), note) for text in spec.notes]
    document.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue(), document.page
