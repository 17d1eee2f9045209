"""The public notice of a call's result list (/public/results/<code>/, no login) with the objection
form during the public notice period, and the provincial department's objection desk."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from submissions.constants import ObjectionStatus
from submissions.filing.uploads import attachment_response
from submissions.policy import (
    can_answer_objection,
    can_file_objection,
    can_open_objection_desk,
    can_take_objection,
    objections_visible,
    publicity_period,
)

from . import selectors, services


def public_results(request, code: str):
    call = selectors.public_call(code)
    publication = selectors.latest_publication(call) if call is not None else None
    if publication is None:
        raise Http404(_("The results of this call have not been published."))
    start, end, warnings = publicity_period(publication)
    errors: dict = {}
    values = {"name": "", "contact": "", "text": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            services.objection_file(publication=publication, upload=request.FILES.get("file"), **values)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, _("Your objection has been received. The provincial department will answer "
                                        "you at the contact you gave."))
            return redirect("public-results", code=code)
    return render(request, "submissions/publicity/public_results.html", {
        "call": call, "publication": publication, "units": selectors.recognized_units(publication),
        "start": start, "end": end, "warnings": warnings, "open": can_file_objection(publication),
        "errors": errors, "general_errors": errors.get("__all__", []), "values": values, "now": timezone.now(),
    })


def _objection(request, pk: int):
    objection = objections_visible(request.actor).filter(pk=pk).first()
    if objection is None:
        raise Http404(_("No such objection."))
    return objection


@login_required
def objection_list(request):
    actor = request.actor
    decision = can_open_objection_desk(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    qs = objections_visible(actor)
    call_id = request.GET.get("call")
    if call_id and call_id.isdigit():
        qs = qs.filter(call_id=int(call_id))
    status = request.GET.get("status", "")
    if status in ObjectionStatus.values:
        qs = qs.filter(status=status)
    rows = [{"o": o, "can_take": bool(can_take_objection(actor, o)), "can_answer": bool(can_answer_objection(actor, o))}
            for o in qs[:200]]
    return render(request, "submissions/publicity/objections.html", {
        "rows": rows, "statuses": ObjectionStatus.choices, "status": status,
    })


@login_required
@require_POST
def objection_take(request, pk: int):
    try:
        services.objection_take(actor=request.actor, objection=_objection(request, pk))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The objection is being handled."))
    return redirect("objection-list")


@login_required
@require_POST
def objection_answer(request, pk: int):
    try:
        services.objection_answer(actor=request.actor, objection=_objection(request, pk),
                                  answer=request.POST.get("answer", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The answer has been recorded."))
    return redirect("objection-list")


@login_required
def objection_file(request, pk: int):
    objection = _objection(request, pk)
    if not objection.file:
        raise Http404(_("No file."))
    return attachment_response(objection)
