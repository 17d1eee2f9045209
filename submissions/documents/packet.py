"""The application packet (申报书 PDF) and the machinery shared by the documents built in tasks.

A packet is one PDF of an application as submitted with one receipt, bound as seed 003 asks
(总目录, 分类目录, 页码, 书脊, fixed order):

1. a cover (call, applicant, credit code, region, receipt number and time, SHA-256 fingerprint of
   the receipt), rendered with WeasyPrint;
2. the master contents: the form, every material category and every file, with its page;
3. the application form as the receipt recorded it (labels from the call's form, the figures per
   year, the self-assessment figures and the self-score, the declarations), laid out by
   ``review.selectors.review_form``;
4. per material category (a slot of the call's required materials, in the call's order) its
   contents page and its files: PDFs, JPEG/PNG images one page each, Word and Excel files
   converted by LibreOffice (``office_to_pdf``); a video is listed, not bound;
5. the spine (书脊): unit, program, year.

Every page is A4 (a landscape material page on A4 landscape, fitted, not shrunk onto portrait)
with the footer "receipt number · page N / M"; page labels count 1 … M; bookmarks for every
section, category and file. The task signs the result (``signing``).

WeasyPrint renders escaped user content only (Django templates autoescape) and fetches nothing but
``data:`` URIs and the portal's own font files (``portal-font:<name>`` found among the static
files under ``fonts/``): no ``file://``, no network (``PortalURLFetcher``).

The job model (``models.DocumentJob``), the request services (``packet_request``, and
``summary.summary_request``) and the task (``tasks_packets.build_document``) around it: a request
is audited, reuses a job with the same inputs (same receipt) unless it failed, and dispatches the
task after the commit.
"""

from __future__ import annotations

import gc
import hashlib
import io
import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.access import Actor
from portal.services import audit_record
from submissions.constants import DocumentFormat, DocumentKind, DocumentStatus
from submissions.documents import pdf_fonts
from submissions.documents.tasks import build_document
from submissions.embargo import display_copy
from submissions.models import Application, Attachment, DocumentJob
from submissions.policy import can_request_packet, documents_visible
from submissions.review.selectors import review_form

logging.getLogger("fontTools").setLevel(logging.WARNING)

pdf_fonts.install()  # WeasyPrint embeds the portal's CJK fonts without reading them whole (pdf_fonts)

PACKET_LAYOUT = 3  # bump when the layout changes: the inputs' hash changes, packets are rebuilt
FONT_SCHEME = "portal-font:"
FONT_SUFFIXES = {".otf", ".ttf", ".ttc", ".woff", ".woff2"}


# --- WeasyPrint: a fetcher that fetches nothing but data: URIs and the portal's fonts ---------------


def _font_file(name: str) -> Path | None:

    name = name.strip().lstrip("/")
    if not name or ".." in name.split("/") or Path(name).suffix.lower() not in FONT_SUFFIXES:
        return None
    found = finders.find(f"fonts/{name}")
    return Path(found) if found else None


def url_fetcher():
    """A WeasyPrint URL fetcher refusing everything but ``data:`` URIs and ``portal-font:NAME``."""

    class PortalURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(FONT_SCHEME):
                path = _font_file(url[len(FONT_SCHEME):])
                if path is not None:
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/otf"})
            raise ValueError(f"refused to fetch {url[:80]!r}: documents load only data: URIs and portal fonts")

    return PortalURLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def render_pdf(html: str):
    """Render HTML with WeasyPrint (nothing fetched from outside; the process's font configuration,
    ``pdf_fonts.font_config``); returns the Document."""

    return HTML(string=html, url_fetcher=url_fetcher(), base_url=None).render(font_config=pdf_fonts.font_config())


def pdf_of(document) -> bytes:
    return document.write_pdf()


# --- the footer stamp --------------------------------------------------------------------------------


def stamp_text(number: str, n: int, total: int) -> str:
    return _("%(number)s · page %(n)s / %(total)s") % {"number": number, "n": n, "total": total}


STAMP_SIZE = 8  # pt
STAMP_BASELINE = 30  # pt above the page's bottom edge, in the middle of the bottom margin


class Stamp:
    """The footer "receipt number · page N / M" drawn by pikepdf: the font is WeasyPrint's subset of
    the portal's CJK font holding every character a footer of this packet can show (the last page
    of the layout of the portal's own pages shows them, and is not bound), added once to the packet; each page gets a tiny content stream with its text
    (centred, on white), so the text stays searchable and copyable (the font's ToUnicode map)."""

    NAME = pikepdf.Name("/PortalStamp")

    def __init__(self, pdf, number: str, total: int, sample_page):
        """`sample_page`: a page (pikepdf) showing ``Stamp.sample(number)`` in one font (WeasyPrint's
        rendering: the font it draws with is the footer's)."""
        self.pdf, self.number, self.total = pdf, number, total
        used = {operands[0] for operands, _operator in pikepdf.parse_content_stream(sample_page, "Tf")}
        if len(used) != 1:
            raise ValueError("the footer's characters need more than one font")
        font = sample_page.Resources.Font[used.pop()]
        self.codes = _cmap_codes(font.ToUnicode.read_bytes())
        self.widths = _cid_widths(font.DescendantFonts[0])
        self.font = pdf.copy_foreign(font)

    @staticmethod
    def sample(number: str) -> str:
        """Every character a footer of the packet with this receipt number can show."""
        return "".join(sorted(set(stamp_text(number, 0, 0)) | set("0123456789")))

    def draw(self, page, n: int) -> None:
        text = stamp_text(self.number, n, self.total)
        codes = [self.codes.get(ch, 0) for ch in text]
        width = sum(self.widths.get(code, 1000) for code in codes) * STAMP_SIZE / 1000
        x0, y0, x1, _y1 = (float(v) for v in page.mediabox)
        x = x0 + (x1 - x0 - width) / 2
        y = y0 + STAMP_BASELINE
        hex_codes = "".join(f"{code:04x}" for code in codes)
        page.add_resource(self.font, pikepdf.Name.Font, self.NAME, replace_existing=True)
        # the page's own content is wrapped in q … Q: whatever it leaves in the graphics state (a
        # flipped coordinate system, a colour) does not reach the footer
        page.contents_add(self.pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(self.pdf.make_stream((
            f"Q q 1 g {x - 4:.2f} {y - 3:.2f} {width + 8:.2f} {STAMP_SIZE + 4} re f 0 g "
            f"BT {self.NAME} {STAMP_SIZE} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm <{hex_codes}> Tj ET Q\n").encode("ascii")))


def _cmap_codes(cmap: bytes) -> dict[str, int]:
    """Character → code of a ToUnicode CMap (its bfchar and bfrange entries; single characters)."""
    codes: dict[str, int] = {}
    text = cmap.decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            char = bytes.fromhex(uni).decode("utf-16-be", errors="ignore")
            if len(char) == 1:
                codes.setdefault(char, int(code, 16))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for first, last, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            for offset in range(int(last, 16) - int(first, 16) + 1):
                codes.setdefault(chr(int(uni, 16) + offset), int(first, 16) + offset)
    return codes


def _cid_widths(cid_font) -> dict[int, float]:
    """Glyph widths of a CID font (its /W array: `c [w …]` and `c_first c_last w`)."""
    widths: dict[int, float] = {}
    items = list(cid_font.get("/W", []))
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            for code in range(first, int(items[i + 1]) + 1):
                widths[code] = float(items[i + 2])
            i += 3
    return widths


# --- pages of a material on A4 -----------------------------------------------------------------------

A4 = (595.28, 841.89)  # points, portrait


def _shown_box(bbox, matrix) -> tuple[float, float, tuple[float, float]]:
    """The size of the box `bbox` as displayed through `matrix` (a form XObject's /BBox and
    /Matrix), and the lower-left corner of what is displayed."""
    x0, y0, x1, y1 = bbox
    a, b, c, d, e, f = matrix
    xs, ys = [], []
    for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return max(xs) - min(xs), max(ys) - min(ys), (min(xs), min(ys))


def is_landscape(page) -> bool:
    """Is the page wider than tall as displayed (its /Rotate applied)?"""
    box = page.obj.get("/CropBox") or page.mediabox
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = abs(x1 - x0), abs(y1 - y0)
    if int(page.obj.get("/Rotate", 0) or 0) % 180 == 90:
        w, h = h, w
    return w > h


def page_form_geometry(page) -> tuple[list[float], list[float]]:
    """The /BBox and /Matrix qpdf gives the form XObject of `page` with its transformations handled
    (``page.as_form_xobject(handle_transformations=True)``), without copying its content: the box is
    the trim box (else the crop box, else the media box), the matrix turns it by /Rotate and scales
    it by /UserUnit (a test compares the two)."""
    obj = page.obj
    box = obj.get("/TrimBox") or obj.get("/CropBox") or obj.get("/MediaBox")
    x0, y0, x1, y1 = (float(v) for v in box)
    rotate, unit = obj.get("/Rotate"), obj.get("/UserUnit")
    if rotate is None and unit is None:
        return [x0, y0, x1, y1], [1, 0, 0, 1, 0, 0]
    s = float(unit) if isinstance(unit, int | float | Decimal) else 1.0
    width, height = (x1 - x0) * s, (y1 - y0) * s
    turn = int(rotate) % 360 if isinstance(rotate, int) else 0
    matrix = {90: [0, -s, s, 0, 0, width], 180: [-s, 0, 0, -s, width, height],
              270: [0, s, -s, 0, height, 0]}.get(turn, [s, 0, 0, s, 0, 0])
    return [x0, y0, x1, y1], matrix


SHEET_KEYS = {"/Type", "/Parent", "/Resources", "/Contents", "/Group"}


def fit_on_sheet(pdf, page, wide: bool) -> None:
    """Make `page` (a material's page, bound into `pdf`) an A4 sheet (landscape if `wide`) showing
    what it showed, fitted keeping its proportions and centred: as if its form XObject (its trim
    box, turned by /Rotate) were drawn on a blank sheet, but in place, so that its images and
    content are not copied (the packet reads them from the material's file when it is written).
    Its annotations, boxes and other page attributes go, as on the drawn form."""
    bbox, matrix = page_form_geometry(page)
    width, height, (left, bottom) = _shown_box(bbox, matrix)
    tw, th = (A4[1], A4[0]) if wide else A4
    scale = min(tw / width, th / height) if width and height else 1
    dx = (tw - width * scale) / 2 - left * scale
    dy = (th - height * scale) / 2 - bottom * scale
    obj = page.obj
    for key in list(obj.keys()):
        if key not in SHEET_KEYS:
            del obj[key]
    obj.MediaBox = pikepdf.Array([0, 0, tw, th])
    x0, y0, x1, y1 = bbox
    a, b, c, d, e, f = matrix
    opened, left_open = _unbalanced(page)
    page.contents_add(pdf.make_stream(
        (f"q {scale:.5f} 0 0 {scale:.5f} {dx:.3f} {dy:.3f} cm {a:g} {b:g} {c:g} {d:g} {e:.4f} {f:.4f} cm "
         f"{x0:.4f} {y0:.4f} {x1 - x0:.4f} {y1 - y0:.4f} re W n\n" + "q " * opened).encode("ascii")), prepend=True)
    page.contents_add(pdf.make_stream(("\n" + "Q " * left_open + "Q\n").encode("ascii")))


# a save (q) or restore (Q) operator in raw content: the letter alone between delimiters
SAVE_RESTORE = re.compile(rb"(?<![^\s\])>}])[qQ](?![^\s\[(<{/%])")


def _unbalanced(page) -> tuple[int, int]:
    """How far a material page's content is from restoring what it saved (q … Q), which the form
    XObject it used to be drawn through contained: (the saves to add before it, for the restores it
    has too many; the restores to add after it, for the saves it leaves open). (0, 0) for a
    well-formed page. The raw bytes are counted first; only a page they do not show balanced is
    parsed (a q in a string or an inline image, or a page that really is unbalanced)."""
    contents = page.obj.get("/Contents")
    streams = contents if isinstance(contents, pikepdf.Array) else [] if contents is None else [contents]
    depth = lowest = 0
    for token in SAVE_RESTORE.findall(b"\n".join(bytes(s.read_bytes()) for s in streams)):
        depth += 1 if token == b"q" else -1
        lowest = min(lowest, depth)
    if depth == 0 and lowest == 0:
        return 0, 0
    depth = lowest = 0
    for _operands, operator in pikepdf.parse_content_stream(page, "q Q"):
        depth += 1 if str(operator) == "q" else -1
        lowest = min(lowest, depth)
    return -lowest, depth - lowest


# --- Office files: LibreOffice headless ------------------------------------------------------------

OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
}


def office_to_pdf(data: bytes, ext: str, *, name: str, timeout: int | None = None) -> bytes:
    """A Word or Excel file as PDF, converted by LibreOffice (headless, its own profile per call, so
    conversions may run side by side). A file it cannot convert is a ValidationError naming it."""
    failed = ValidationError(_("The material “%(name)s” could not be converted to PDF; upload it as a PDF.")
                             % {"name": name})
    binary = settings.SOFFICE_BINARY or shutil.which("soffice") or shutil.which("libreoffice")
    if not binary:
        raise ValidationError(_("The material “%(name)s” could not be converted to PDF: the converter "
                                "(LibreOffice) is not installed.") % {"name": name})
    with tempfile.TemporaryDirectory(prefix="portal-office-") as tmp:
        source = Path(tmp) / f"material.{ext}"
        source.write_bytes(data)
        command = [binary, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", tmp, str(source)]
        try:
            subprocess.run(command, check=False, capture_output=True, cwd=tmp, stdin=subprocess.DEVNULL,
                           timeout=timeout or settings.SOFFICE_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError):
            raise failed from None
        target = Path(tmp) / "material.pdf"
        if not target.exists() or target.stat().st_size == 0:
            raise failed
        return target.read_bytes()


# --- the packet --------------------------------------------------------------------------------------


@dataclass
class Part:
    """One material of the packet: its slot's title, the file's name, its pages as bound."""

    title: str
    detail: str = ""
    pages: int = 0
    note: str = ""
    anchor: str = ""
    page_step: str = ""  # its placeholder page follows another material's: the page name counting it
    path: Path | None = field(default=None, repr=False)  # the PDF its pages are bound from
    landscape: list = field(default_factory=list, repr=False)  # per page: shown wider than tall


@dataclass
class Category:
    """A material category (a slot of the call's required materials) and its materials: it gets its
    own contents page (分类目录) in the packet."""

    title: str
    anchor: str
    parts: list = field(default_factory=list)
    page_step: str = ""  # its contents page follows a material: the page name counting that material


def _image_pdf(data: bytes) -> bytes:
    """A JPEG/PNG as a one-page PDF, fitted within A4 (turned as its EXIF says, on white)."""

    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img, mask=img.split()[-1])
            img = background
        elif img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        width, height = img.size
        # points per pixel so that the image fills A4 (595 × 842 pt) at most, keeping its proportions
        dpi = max(width / (595 / 72), height / (842 / 72), 1)
        out = io.BytesIO()
        img.save(out, "PDF", resolution=dpi)
    return out.getvalue()


def _attachment_for(app, entry: dict):

    return (
        Attachment.objects.filter(application=app, material__code=entry.get("material"), sha256=entry.get("sha256"))
        .select_related("material").order_by("-is_current", "-uploaded_at").first()
    )


def _material_pdf(att, path: Path, workdir: Path) -> Path | None:
    """The material as a PDF file (None: a kind that is not bound, e.g. video): a PDF is its own
    file; an image or an Office file is converted into a file in `workdir`. The packet reads the
    pages from that file when it is written, they are not held in memory."""
    if att.content_type == "application/pdf":
        return path
    if att.content_type in ("image/jpeg", "image/png"):
        data = _image_pdf(path.read_bytes())
    elif ext := OFFICE_TYPES.get(att.content_type):
        data = office_to_pdf(path.read_bytes(), ext, name=att.original_name)
    else:
        return None
    converted = workdir / f"converted-{att.pk}.pdf"
    converted.write_bytes(data)
    return converted


CHUNK = 1 << 20


def _checked_file(att, workdir: Path) -> Path:
    """The stored file of `att` as a local file (the storage's own, or a copy in `workdir` when the
    storage has no local paths), streamed and checked against its fingerprint."""
    missing = ValidationError(_("The material “%(name)s” of the receipt is missing from the store.")
                              % {"name": att.original_name})
    digest = hashlib.sha256()
    try:
        try:
            path = Path(att.file.path)
        except NotImplementedError:  # a storage without local files: copy it while hashing
            path = workdir / f"material-{att.pk}"
            with att.file.open("rb") as handle, path.open("wb") as copy:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                    copy.write(chunk)
        else:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
    except (FileNotFoundError, OSError, ValueError):
        raise missing from None
    if digest.hexdigest() != att.sha256:
        raise ValidationError(_("The stored file “%(name)s” does not match its fingerprint.")
                              % {"name": att.original_name})
    return path


def material_categories(app, receipt, workdir: Path) -> list[Category]:
    """The receipt's materials, checked against their fingerprints, opened (PDFs from their files;
    copies in `workdir` if the storage has no local files), Office files converted, grouped by slot
    (category) in the call's order."""

    entries = list((receipt.snapshot or {}).get("attachments") or [])
    found = []
    for entry in entries:
        att = _attachment_for(app, entry)
        if att is None:
            raise ValidationError(_("The material “%(name)s” of the receipt is missing from the store.")
                                  % {"name": entry.get("name", "")})
        found.append(att)
    found.sort(key=lambda a: (a.material.order, a.material.pk, a.uploaded_at, a.pk))
    categories: dict[int, Category] = {}
    for att in found:
        category = categories.get(att.material.pk)
        if category is None:
            category = categories[att.material.pk] = Category(title=att.material.name,
                                                              anchor=f"category-{len(categories) + 1}")
        part = Part(title=att.material.name, detail=att.original_name,
                    anchor=f"{category.anchor}-{len(category.parts) + 1}")
        part.path = _material_pdf(att, _checked_file(att, workdir), workdir)
        if part.path is None:
            part.note = _("not included: a file of this kind cannot be bound into a PDF")
        else:
            with pikepdf.open(part.path, access_mode=pikepdf.AccessMode.stream) as pdf:
                part.landscape = [is_landscape(page) for page in pdf.pages]
        part.pages = len(part.landscape)
        category.parts.append(part)
    return list(categories.values())


def _as_submitted(app, receipt):
    """The application as the receipt recorded it (a copy for display, never saved)."""
    snapshot = receipt.snapshot or {}
    data = snapshot.get("data") if isinstance(snapshot.get("data"), dict) else (app.data or {})
    score_inputs = snapshot.get("score_inputs") if isinstance(snapshot.get("score_inputs"), dict) \
        else (app.score_inputs or {})
    return display_copy(app, data=data, score_inputs=score_inputs)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(at) -> str:
    """A time as printed on paper: Asia/Shanghai."""
    return timezone.localtime(at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def packet_context(app, receipt) -> dict:

    snapshot = receipt.snapshot or {}
    org = snapshot.get("organization") or {}
    shown = _as_submitted(app, receipt)
    form = review_form(shown, inputs=shown.score_inputs or {}, corrections=())
    return {
        "app": app,
        "receipt": receipt,
        "call_title": (snapshot.get("call") or {}).get("title") or app.call.title,
        "program": app.call.program.name,
        "year": app.call.year,
        "applicant": org.get("name") or app.organization.name,
        "credit_code": org.get("credit_code") or app.organization.credit_code or "",
        "region": app.region.full_name,
        "submitted_at": _local(receipt.submitted_at),
        "self_score": snapshot.get("self_score"),
        "members": snapshot.get("members") or [],
        "form": form,
        "generated_at": _local(timezone.now()),
    }


def set_page_labels(pdf) -> None:
    """Page labels: one decimal range from 1 over the whole packet (continuous numbering)."""
    pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(
        Nums=pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)])))


def write_outline(pdf, entries) -> None:
    """PDF bookmarks: `entries` are (title, page index, children) triples."""
    from pikepdf import OutlineItem  # noqa: PLC0415 - pikepdf's outline API is only needed here

    def item(title, index, children):
        node = OutlineItem(title, index)
        node.children.extend(item(*child) for child in children)
        return node

    with pdf.open_outline() as outline:
        outline.root.extend(item(*entry) for entry in entries)
    pdf.Root.PageMode = pikepdf.Name.UseOutlines


def _page_steps(categories) -> tuple[list[tuple[str, int]], str]:
    """Each material is one placeholder page in the layout of the portal's own pages; the page that
    follows it counts the material's pages (a named page whose first page increments the page
    counter by them), so the contents print every page number in one layout. Sets the page names
    on the categories and parts; returns the (name, pages) pairs for the style sheet and the
    spine's page name."""
    steps, previous = [], None

    def after() -> str:
        nonlocal previous
        if previous is None:
            return ""
        name = f"after-{previous.anchor}"
        steps.append((name, previous.pages))
        previous = None
        return name

    for category in categories:
        category.page_step = after()
        for part in category.parts:
            part.page_step = ""
            if part.pages:
                part.page_step = after()
                previous = part
    return steps, after()


def _own_pages(context, categories, stamp_sample=""):
    """The portal's own pages (cover, contents, form, category contents, a placeholder page per
    material, spine) rendered by WeasyPrint in one layout, the contents printing every page number
    (``target-counter``, the materials' pages counted by ``_page_steps``); `stamp_sample`: a last
    page showing these characters in the footer's font (for ``Stamp``)."""
    steps, spine_step = _page_steps(categories)
    html = render_to_string("submissions/packets/packet.html", {
        **context, "categories": categories, "page_steps": steps, "spine_step": spine_step,
        "stamp_sample": stamp_sample,
    })
    return render_pdf(html)


def _sequence(draft, materials) -> tuple[list, dict[str, int], int]:
    """The packet's page sequence from the layout of its own pages: ("own", index) for a page of
    the portal's own, ("part", part) for the pages of the material a placeholder page stands for;
    where each anchor lands (0-based); the pages in all. The layout's last page (the footer's
    sample) is not bound."""
    placeholders = {part.anchor: part for part in materials if part.pages}
    sequence, where, total = [], {}, 0
    for index, page in enumerate(draft.pages[:-1]):
        for anchor in page.anchors:
            where.setdefault(anchor, total)
        part = next((placeholders[anchor] for anchor in page.anchors if anchor in placeholders), None)
        sequence.append(("part", part) if part else ("own", index))
        total += part.pages if part else 1
    return sequence, where, total


def _merge_pages(target: Path, own: Path, sequence) -> None:
    """The packet's pages in order, unchanged, written to the file `target` by qpdf (a job, in this
    process): the portal's own pages from `own`, each material's from its file. qpdf copies a
    page's streams from the file it reads as it writes them (pikepdf's ``copy_foreign`` and
    ``pages.append`` read them into memory at once: ~125 KiB per scanned page)."""
    pages: list[dict] = []
    for kind, item in sequence:
        if kind == "part":
            pages.append({"file": str(item.path), "range": "1-z"})
        elif pages and pages[-1]["file"] == str(own) and pages[-1]["last"] == item:
            pages[-1]["last"] = item + 1
        else:
            pages.append({"file": str(own), "first": item + 1, "last": item + 1})
    for spec in pages:
        if "first" in spec:
            spec["range"] = f"{spec.pop('first')}-{spec.pop('last')}"
    pikepdf.Job({"empty": "", "outputFile": str(target), "pages": pages, "streamData": "preserve",
                 "objectStreams": "disable", "noWarn": "", "warningExit0": ""}).run()


def write_packet(app, receipt, target, progress=None) -> int:
    """The packet of `app` as `receipt` recorded it, bound and written to the file `target` (a path);
    returns its pages. Memory stays flat in the materials' pages: their content is read from their
    files while the packet is written, never held in memory.

    Binding order: cover, master contents (总目录), the application form, then per material
    category its contents page (分类目录) and its materials in slot order, last the spine (书脊).
    WeasyPrint renders the portal's own pages in one layout, a placeholder page standing for each
    material and the contents printing the page numbers (``_page_steps``). qpdf puts the pages
    together in a scratch file (``_merge_pages``), which pikepdf opens (from the file: streams are
    read when written) to make each material page an A4 sheet showing the page fitted (landscape
    for a landscape page, ``fit_on_sheet``) and to give every page the footer (``Stamp``: one font,
    one tiny content stream per page). Bookmarks for every section and material, and page labels
    counting 1 … M. `progress(done, total)` is told the pages done."""

    def report(done, total):
        if progress is not None:
            progress(done, total)

    with translation.override(settings.LANGUAGE_CODE), timezone.override(SHANGHAI), \
            tempfile.TemporaryDirectory(prefix="portal-packet-") as workdir:
        context = packet_context(app, receipt)
        categories = material_categories(app, receipt, Path(workdir))
        materials = [part for category in categories for part in category.parts]
        material_pages = sum(part.pages for part in materials)
        report(0, material_pages)
        draft = _own_pages(context, categories, stamp_sample=Stamp.sample(receipt.number))
        sequence, where, total = _sequence(draft, materials)
        own_path = Path(workdir) / "own.pdf"
        own_path.write_bytes(pdf_of(draft))
        # a laid-out document is a web of reference cycles (~100 MiB for a few pages): freed at
        # once, not whenever the collector next runs (a worker building packet after packet grew by
        # that much each time); cheap in the worker, which freezes what it loaded at start
        del draft
        gc.collect()
        merged = Path(workdir) / "merged.pdf"
        _merge_pages(merged, own_path, sequence)
        with pikepdf.open(own_path, access_mode=pikepdf.AccessMode.stream) as own, \
                pikepdf.open(merged, access_mode=pikepdf.AccessMode.stream) as packet:
            if len(packet.pages) != total:
                raise RuntimeError(f"the packet has {len(packet.pages)} pages, {total} expected")
            stamp = Stamp(packet, receipt.number, total, own.pages[-1])
            done = total - material_pages
            report(done, total)
            pages = enumerate(packet.pages, start=1)
            for kind, item in sequence:
                if kind == "own":
                    n, page = next(pages)
                    stamp.draw(page, n)
                    continue
                for wide in item.landscape:
                    n, page = next(pages)
                    fit_on_sheet(packet, page, wide)
                    stamp.draw(page, n)
                done += item.pages
                report(done, total)
            # a material's form fields are not kept (its pages are drawn, their widgets are not)
            if "/AcroForm" in packet.Root:
                del packet.Root.AcroForm
            outline = [
                (_("Cover"), where["cover"], []),
                (_("Contents"), where["toc"], []),
                (_("Application form"), where["form"], []),
                *[(category.title, where[category.anchor],
                   [(_("Contents of the category"), where[category.anchor], []),
                    *[(part.detail or part.title, where[part.anchor] if part.pages else where[category.anchor], [])
                      for part in category.parts]])
                  for category in categories],
                (_("Spine"), where["spine"], []),
            ]
            write_outline(packet, outline)
            set_page_labels(packet)
            packet.docinfo["/Title"] = f"{context['applicant']} · {context['call_title']}"
            packet.docinfo["/Subject"] = receipt.number
            packet.save(target, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return total


def build_packet(app, receipt, progress=None) -> tuple[bytes, int]:
    """The packet (``write_packet``) as bytes, with its pages."""
    with tempfile.TemporaryDirectory(prefix="portal-packet-out-") as folder:
        target = Path(folder) / "packet.pdf"
        total = write_packet(app, receipt, target, progress)
        return target.read_bytes(), total


# --- requests --------------------------------------------------------------------------------------


def inputs_hash(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def request_job(*, actor: Actor, kind: str, fmt: str, call, region, input_hash: str, application=None,
                receipt=None, organization=None, details=None):
    """Reuse the job built (or being built) from the same inputs, else create one and dispatch its
    task after the commit. Audited either way. Call inside a transaction."""

    existing = (
        DocumentJob.objects.select_for_update()
        .filter(kind=kind, fmt=fmt, input_hash=input_hash, region=region, call=call, application=application)
        .exclude(status=DocumentStatus.FAILED).order_by("-id").first()
    )
    job = existing or DocumentJob.objects.create(
        kind=kind, fmt=fmt, application=application, receipt=receipt, call=call, region=region,
        province=region.province if region.province_id else region, input_hash=input_hash,
        requested_by=actor.user, details=details or {},
    )
    job.created_now = existing is None
    audit_record(actor=actor, action="document.request", obj=job, province=job.province, region=region,
                 organization=organization, data={"kind": kind, "format": fmt, "job": job.pk,
                                                  "reused": existing is not None,
                                                  "application": application.pk if application else None})
    if existing is None:

        transaction.on_commit(lambda: build_document.apply_async(args=[job.pk], task_id=job.task_id))
    return job


@transaction.atomic
def packet_request(*, actor: Actor, application):
    """Have the packet of the application's latest receipt built (or reuse the one built)."""

    app = Application.objects.select_related("call", "region__province", "organization").get(pk=application.pk)
    _require(can_request_packet(actor, app))
    receipt = app.current_receipt()
    return request_job(
        actor=actor, kind=DocumentKind.PACKET, fmt=DocumentFormat.PDF, call=app.call, region=app.region,
        input_hash=inputs_hash("packet", PACKET_LAYOUT, receipt.pk, receipt.number, receipt.fingerprint),
        application=app, receipt=receipt, organization=app.organization,
    )


def latest_packet(actor: Actor, app):
    """The newest packet job of the application the actor may read (None: none yet)."""
    return documents_visible(actor).filter(kind=DocumentKind.PACKET, application=app).first()


def download_name(job) -> str:
    """The file name offered for a download (the stored name is the portal's), in the portal's
    language: 申报材料-<单位>-<受理编号>.pdf, 推荐函-<单位>-<发文字号>.pdf, 汇总表-<地区>-<通知>.xlsx."""
    with translation.override(settings.LANGUAGE_CODE):
        if job.kind == DocumentKind.PACKET:
            unit = job.application.organization.name if job.application_id else ""
            parts = [_("application-packet"), unit, job.receipt.number if job.receipt_id else str(job.pk)]
        elif job.kind in (DocumentKind.LETTER, DocumentKind.BUNDLE):
            parts = [_("recommendation-letter"), (job.details or {}).get("bureau", job.region.name),
                     (job.details or {}).get("number", str(job.pk))]
        else:
            parts = [_("summary-table"), job.region.name, job.call.code]
    base = "-".join(re.sub(r"[\\/:*?\"<>|\s]+", "_", str(p)).strip("_") for p in parts if p)
    return f"{base}.{job.fmt}"
