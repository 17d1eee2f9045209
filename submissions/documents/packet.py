"""The application packet (申报书 PDF) and the machinery shared by the documents built in tasks.

A packet is one PDF of an application as submitted with one receipt, in binding order:

1. a cover (call, applicant, credit code, region, receipt number and time, SHA-256 fingerprint of
   the receipt), rendered with WeasyPrint;
2. a table of contents listing the parts with the page where each starts in the final packet;
3. the application form as the receipt recorded it (labels from the call's form, the figures per
   year, the self-assessment figures and the self-score, the declarations), laid out by
   ``selectors_review.review_form``;
4. every uploaded material of the receipt in slot order: PDFs as they are, JPEG/PNG images one
   page each; files of other kinds (Office, video) are listed in the contents, not merged;

then a footer stamp "receipt number · page N / M" is overlaid on every page (pikepdf: one form
XObject per page drawn last, turned with the page's /Rotate so it sits at the bottom as seen).

WeasyPrint renders escaped user content only (Django templates autoescape) and fetches nothing but
``data:`` URIs and the portal's own font files (``portal-font:<name>`` found among the static
files under ``fonts/``): no ``file://``, no network (``PortalURLFetcher``).

The job model (``models.DocumentJob``), the request services (``packet_request``, and
``summary.summary_request``) and the task (``tasks_packets.build_document``) around it: a request
is audited, reuses a job with the same inputs (same receipt) unless it failed, and dispatches the
task after the commit.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass, field
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
from submissions.documents.tasks import build_document
from submissions.embargo import display_copy
from submissions.models import Application, Attachment, DocumentJob
from submissions.policy import can_request_packet, documents_visible
from submissions.review.selectors import review_form

logging.getLogger("fontTools").setLevel(logging.WARNING)

PACKET_LAYOUT = 1  # bump when the layout changes: the inputs' hash changes, packets are rebuilt
FONT_SCHEME = "portal-font:"
FONT_SUFFIXES = {".otf", ".ttf", ".ttc", ".woff", ".woff2"}
# the width of an A4 page in points: a material page gets an A4 page with its footer drawn over it,
# scaled to the material page's width
STAMP_WIDTH = 595.28


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
    """Render HTML with WeasyPrint (nothing fetched from outside); returns the Document."""

    return HTML(string=html, url_fetcher=url_fetcher(), base_url=None).render()


def pdf_of(document) -> bytes:
    return document.write_pdf()


# --- the footer stamp --------------------------------------------------------------------------------


def stamp_text(number: str, n: int, total: int) -> str:
    return _("%(number)s · page %(n)s / %(total)s") % {"number": number, "n": n, "total": total}


def _css_string(text: str) -> str:
    """Text as the inside of a CSS string (quotes, backslashes and angle brackets escaped)."""
    return "".join(ch if ch.isalnum() or ch in " -_.·:/()（）" else f"\\{ord(ch):x} " for ch in text)


def stamp_css_content(number: str) -> str:
    """The footer as a CSS `content` value, with WeasyPrint's page counters for N and M."""
    marker_n, marker_total = "\x00N\x00", "\x00M\x00"
    text = stamp_text(number, marker_n, marker_total)
    out = []
    for piece in re.split("(\x00N\x00|\x00M\x00)", text):
        if piece == marker_n:
            out.append("counter(page)")
        elif piece == marker_total:
            out.append("counter(pages)")
        elif piece:
            out.append(f'"{_css_string(piece)}"')
    return " ".join(out)


def _visible_box(page):
    box = page.obj.get("/CropBox") or page.mediabox
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _placement(page) -> tuple[float, ...]:
    """The matrix drawing an A4 page (STAMP_WIDTH wide) over `page`, scaled to the page's width
    and aligned with its bottom as displayed (the page turned by its /Rotate, clockwise)."""
    x0, y0, x1, y1 = _visible_box(page)
    rotate = int(page.obj.get("/Rotate", 0) or 0) % 360
    shown_width = (y1 - y0) if rotate in (90, 270) else (x1 - x0)
    s = shown_width / STAMP_WIDTH
    return {
        0: (s, 0, 0, s, x0, y0),
        90: (0, s, -s, 0, x1, y0),
        180: (-s, 0, 0, -s, x1, y1),
        270: (0, -s, s, 0, x0, y1),
    }.get(rotate, (s, 0, 0, s, x0, y0))


def overlay_stamp(pdf, page, stamp) -> None:
    """Draw `stamp` (an A4 page holding only its footer, or its form XObject) over `page` of `pdf`,
    last, so it shows above a scan; the page's own drawing is wrapped in q … Q first."""

    form = stamp if isinstance(stamp, pikepdf.Object) else stamp.as_form_xobject()
    if not form.is_owned_by(pdf):
        form = pdf.copy_foreign(form)
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="Stamp")
    matrix = " ".join(f"{v:.4f}" for v in _placement(page))
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(f"\nQ\nq {matrix} cm {name} Do Q\n".encode("ascii")))


def save_pdf(pdf) -> bytes:

    out = io.BytesIO()
    pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


# --- the packet --------------------------------------------------------------------------------------


@dataclass
class Part:
    """One entry of the contents: a title, where it starts, how many pages (0: listed, not merged)."""

    title: str
    detail: str = ""
    start: int = 0
    pages: int = 0
    note: str = ""
    pdf: object = field(default=None, repr=False)  # a pikepdf.Pdf

    @property
    def blank_pages(self) -> range:
        return range(self.pages)


def _image_pdf(data: bytes):
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
    return pikepdf.open(io.BytesIO(out.getvalue()))


def _attachment_for(app, entry: dict):

    return (
        Attachment.objects.filter(application=app, material__code=entry.get("material"), sha256=entry.get("sha256"))
        .select_related("material").order_by("-is_current", "-uploaded_at").first()
    )


def _material_parts(app, receipt) -> list[Part]:

    entries = list((receipt.snapshot or {}).get("attachments") or [])
    found = []
    for entry in entries:
        att = _attachment_for(app, entry)
        if att is None:
            raise ValidationError(_("The material “%(name)s” of the receipt is missing from the store.")
                                  % {"name": entry.get("name", "")})
        found.append(att)
    found.sort(key=lambda a: (a.material.order, a.material.pk, a.uploaded_at, a.pk))
    parts = []
    for att in found:
        part = Part(title=att.material.name, detail=att.original_name)
        try:
            with att.file.open("rb") as handle:
                data = handle.read()
        except (FileNotFoundError, OSError):
            raise ValidationError(_("The material “%(name)s” of the receipt is missing from the store.")
                                  % {"name": att.original_name}) from None
        if hashlib.sha256(data).hexdigest() != att.sha256:
            raise ValidationError(_("The stored file “%(name)s” does not match its fingerprint.")
                                  % {"name": att.original_name})
        if att.content_type == "application/pdf":
            part.pdf = pikepdf.open(io.BytesIO(data))
        elif att.content_type in ("image/jpeg", "image/png"):
            part.pdf = _image_pdf(data)
        else:
            part.note = _("not included: a file of this kind cannot be bound into a PDF")
        part.pages = len(part.pdf.pages) if part.pdf is not None else 0
        parts.append(part)
    return parts


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
        "applicant": org.get("name") or app.organization.name,
        "credit_code": org.get("credit_code") or app.organization.credit_code or "",
        "region": app.region.full_name,
        "submitted_at": _local(receipt.submitted_at),
        "self_score": snapshot.get("self_score"),
        "members": snapshot.get("members") or [],
        "form": form,
        "generated_at": _local(timezone.now()),
    }


def build_packet(app, receipt) -> tuple[bytes, int]:
    """The packet of `app` as `receipt` recorded it: (PDF bytes, pages).

    One WeasyPrint pass renders the cover, the contents, the form and one blank page per page of
    every material, each page with its footer (CSS counters: page N of M). The contents find where
    each part starts with `target-counter`. The material pages then take the place of the blank
    ones, each with the blank page (its footer only) drawn over it."""

    with translation.override(settings.LANGUAGE_CODE), timezone.override(SHANGHAI):
        context = packet_context(app, receipt)
        materials = _material_parts(app, receipt)
        parts = [Part(title=_("Application form"), detail=context["call_title"], pages=1), *materials]
        html = render_to_string("submissions/packets/packet.html", {
            **context, "parts": parts, "materials": materials,
            "stamp_content": stamp_css_content(receipt.number),
        })
        rendered = pikepdf.open(io.BytesIO(pdf_of(render_pdf(html))))
    own = len(rendered.pages) - sum(part.pages for part in materials)
    index = own
    with warnings.catch_warnings():
        # materials are bound as pages: their own outlines and named destinations are not kept
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        for part in materials:
            if part.pdf is None:
                continue
            for page in part.pdf.pages:
                stamp = rendered.make_indirect(rendered.pages[index].as_form_xobject())
                rendered.pages[index] = page
                overlay_stamp(rendered, rendered.pages[index], stamp)
                index += 1
    packet = rendered
    packet.docinfo["/Title"] = f"{context['applicant']} · {context['call_title']}"
    packet.docinfo["/Subject"] = receipt.number
    return save_pdf(packet), len(packet.pages)


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
                receipt=None, organization=None):
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
        requested_by=actor.user,
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
    """The file name offered for a download (the stored name is the portal's)."""
    if job.kind == DocumentKind.PACKET:
        base = f"{job.receipt.number if job.receipt_id else job.pk}-{_('Application packet')}"
    else:
        base = f"{job.call.title}-{job.region.name}-{_('Summary table')}"
    base = re.sub(r"[\\/:*?\"<>|\s]+", "-", base).strip("-")
    return f"{base}.{job.fmt}"
