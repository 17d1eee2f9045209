"""Pages for the documents built in tasks: ask for an application's packet or a county summary
table, read a job's status, download a built file. Every file is served here after the access
layer (submissions.policy.can_view_document): a user who may not read a document gets 404, as if it
did not exist; a file shows only once it is complete."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal import access
from programs.policy import calls_visible
from submissions.constants import DocumentStatus
from submissions.documents import bundle, seals, signing, summary
from submissions.documents import packet as packets
from submissions.policy import (
    application_page_name,
    applications_visible,
    can_upload_seal,
    can_view_document,
    can_work_review_queue,
    document_by_fingerprint,
    documents_visible,
)
from submissions.templatetags.document_tags import packet_panel_context, summary_panel_context


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}


def visible_job(actor, pk: int):
    """The job if the actor may read it, else 404 (the same answer as for a job that does not exist)."""
    job = documents_visible(actor).filter(pk=pk).first()
    if job is None or not can_view_document(actor, job):
        raise Http404(_("No such document in your scope."))
    return job


def file_response(job) -> FileResponse:
    if job.status != DocumentStatus.DONE or not job.file:
        raise Http404(_("The document is not ready."))
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("The file is missing from the store.")) from None
    content_type = CONTENT_TYPES.get(job.fmt, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type, as_attachment=True,
                            filename=packets.download_name(job))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["ETag"] = f'"{job.sha256}"'
    return response


@login_required
@require_POST
def packet_request(request, pk: int):
    actor = access.actor_of(request)
    app = applications_visible(actor).filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application in your scope."))
    default = reverse(application_page_name(actor, app), args=[app.pk])
    try:
        job = packets.packet_request(actor=actor, application=app)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        job.refresh_from_db()
        messages.success(request, _("The packet is ready.") if job.is_done
                         else _("The packet is being built; this page shows it once it is ready."))
    return _back(request, default)


@login_required
@require_POST
def summary_request(request):
    actor = access.actor_of(request)
    call = calls_visible(actor).filter(pk=request.POST.get("call") or 0).first() \
        if str(request.POST.get("call") or "").isdigit() else None
    if call is None:
        raise Http404(_("No such call."))
    default = f"{reverse('review-queue')}?call={call.pk}"
    try:
        job = summary.summary_request(actor=actor, call=call, fmt=request.POST.get("fmt") or "")
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        job.refresh_from_db()
        messages.success(request, _("The summary table is ready.") if job.is_done
                         else _("The summary table is being built; this page shows it once it is ready."))
    return _back(request, default)


def _page_url(request, default: str) -> str:
    """The page a panel sits on (where its forms come back to): the page htmx asked from, if it
    is this site's, else `default`."""
    htmx = getattr(request, "htmx", None)
    current = htmx.current_url_abs_path if htmx else None
    if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
        return current
    return default


@login_required
@require_GET
@vary_on_headers("HX-Request")
def packet_panel(request, pk: int):
    """The packet panel of an application, alone (htmx asks for it while its packet is being
    built). The same checks as the pages it sits on: an application out of scope is a 404."""
    actor = access.actor_of(request)
    app = applications_visible(actor).filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application in your scope."))
    page = reverse(application_page_name(actor, app), args=[app.pk])
    if not request.htmx:
        return redirect(page)
    return render(request, "submissions/packets/_packet_panel.html",
                  packet_panel_context(actor, app, next_url=_page_url(request, page)))


@login_required
@require_POST
def bundle_request(request, pk: int):
    """The ZIP of the batch of a letter (404 for whoever may not read the letter)."""
    actor = access.actor_of(request)
    letter = visible_job(actor, pk)
    try:
        job = bundle.bundle_request(actor=actor, letter=letter)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        job.refresh_from_db()
        messages.success(request, _("The ZIP of the batch is ready.") if job.is_done
                         else _("The ZIP of the batch is being built; this page shows it once it is ready."))
    return _back(request, reverse("review-queue"))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def summary_jobs(request):
    """The county summary tables of the review queue's panel, alone (htmx asks for them while one
    is being built): the actor's own, as on the queue page; for the review side only."""
    actor = access.actor_of(request)
    decision = can_work_review_queue(actor)  # the review pages' own rule
    if not decision:
        raise PermissionDenied(decision.reason)
    if not request.htmx:
        return redirect("review-queue")
    context = summary_panel_context(actor, calls=[], next_url=_page_url(request, reverse("review-queue")))
    return render(request, "submissions/packets/_summary_jobs.html", context)


@login_required
def document_download(request, pk: int):
    return file_response(visible_job(access.actor_of(request), pk))


VERIFY_MAX_BYTES = 200 * 1024 * 1024


@require_http_methods(["GET", "POST"])
def verify(request):
    """The public verification page: a PDF in, whether the portal signed it and it is unaltered out,
    with what it is (application or batch) and when it was signed."""
    context = {"checked": False}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose a PDF file to verify.")
        elif upload.size > VERIFY_MAX_BYTES:
            context["error"] = _("The file is larger than 200 MB.")
        else:
            data = b"".join(upload.chunks())
            digest = hashlib.sha256(data).hexdigest()
            result = signing.verify_pdf(data)
            job = document_by_fingerprint(digest) if result.unaltered else None
            # unaltered: signed by the portal, intact, and exactly the file the portal issued
            context.update(checked=True, result=result, sha256=digest, file_name=upload.name, job=job,
                           unaltered=job is not None)
    return render(request, "submissions/documents/verify.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def seal_page(request):
    """The bureau head uploads the bureau's seal (PNG with transparency) once."""
    actor = access.actor_of(request)
    decision = can_upload_seal(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    if request.method == "POST":
        upload = request.FILES.get("seal")
        try:
            data = upload.read(seals.SEAL_MAX_BYTES + 1) if upload is not None else b""
            seals.seal_upload(actor=actor, data=data)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The seal is saved: it is placed on the bureau's letters and summary tables."))
            return redirect("bureau-seal")
    seal = seals.BureauSeal.objects.filter(organization=actor.organization).first()
    return render(request, "submissions/documents/seal.html", {"seal": seal, "bureau": actor.organization})


@login_required
@require_GET
def seal_image(request):
    """The bureau's own seal, for its head's page (never public)."""
    actor = access.actor_of(request)
    if not can_upload_seal(actor):
        raise Http404(_("No seal."))
    seal = seals.BureauSeal.objects.filter(organization=actor.organization).first()
    if seal is None:
        raise Http404(_("No seal."))
    response = FileResponse(seal.image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
