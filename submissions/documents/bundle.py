"""The ZIP of one batch a bureau signed off, for the bureau one level up: the recommendation letter
(PDF and DOCX), the summary table (XLSX and PDF) and the packet of every application recommended,
each PDF signed. Requested from the letter (``bundle_request``), built by the document task."""

from __future__ import annotations

import io
import re
import zipfile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from portal.access import Actor
from submissions.constants import DocumentFormat, DocumentKind, DocumentStatus
from submissions.documents.packet import build_packet, inputs_hash, request_job
from submissions.models import Application, DocumentJob
from submissions.policy import can_view_document

BUNDLE_LAYOUT = 1


def _safe(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", name).strip("_") or "-"


def _read(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def _packet_bytes(app) -> bytes:
    """The application's packet for its current receipt: the one built if there is one, else built now."""
    from submissions.documents.signing import sign_pdf  # noqa: PLC0415 - pyHanko loads only in the worker

    receipt = app.current_receipt()
    built = DocumentJob.objects.filter(kind=DocumentKind.PACKET, application=app, receipt=receipt,
                                       status=DocumentStatus.DONE).order_by("-id").first()
    if built is not None:
        return _read(built)
    data, _pages = build_packet(app, receipt)
    return sign_pdf(data, reason=_("Application packet, receipt %(number)s") % {"number": receipt.number})


def build_bundle(job, progress=None) -> tuple[bytes, None]:
    from submissions.documents.signing import sign_pdf  # noqa: PLC0415
    from submissions.documents.summary import summary_content, summary_pdf, summary_xlsx  # noqa: PLC0415

    letters = DocumentJob.objects.filter(kind=DocumentKind.LETTER, region=job.region, call=job.call,
                                         details__number=job.details.get("number"), status=DocumentStatus.DONE)
    apps = list(Application.objects.filter(pk__in=[u["application"] for u in job.details.get("units", [])])
                .select_related("organization", "call", "region"))
    out = io.BytesIO()
    with translation.override(settings.LANGUAGE_CODE), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        number = _safe(job.details.get("number", ""))
        for letter in letters:
            archive.writestr(f"1-{_('recommendation-letter')}-{number}.{letter.fmt}", _read(letter))
        content = summary_content(job.call, job.region)
        archive.writestr(f"2-{_('summary-table')}-{_safe(job.region.name)}.xlsx", summary_xlsx(content))
        pdf, _pages = summary_pdf(content)
        archive.writestr(f"2-{_('summary-table')}-{_safe(job.region.name)}.pdf",
                         sign_pdf(pdf, reason=str(DocumentKind.COUNTY_SUMMARY.label)))
        for n, app in enumerate(apps, start=1):
            receipt = app.current_receipt()
            if receipt is None:  # never submitted with a receipt: nothing to bind
                continue
            archive.writestr(f"3-{_('application-packet')}/{n:02d}-{_safe(app.organization.name)}-"
                             f"{receipt.number}.pdf", _packet_bytes(app))
            if progress is not None:
                progress(n, len(apps))
    return out.getvalue(), None


@transaction.atomic
def bundle_request(*, actor: Actor, letter):
    """Have the ZIP of the batch of `letter` built (or reuse the one built)."""
    decision = can_view_document(actor, letter)
    if not decision or letter.kind != DocumentKind.LETTER:
        raise PermissionDenied(decision.reason if not decision else _("Only a batch with a letter has a ZIP."))
    details = {"number": letter.details.get("number"), "units": letter.details.get("units", [])}
    return request_job(actor=actor, kind=DocumentKind.BUNDLE, fmt=DocumentFormat.ZIP, call=letter.call,
                       region=letter.region, input_hash=inputs_hash("bundle", BUNDLE_LAYOUT, letter.pk,
                                                                    details["number"]),
                       organization=actor.organization, details=details)
