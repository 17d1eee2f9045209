from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from programs.policy import can_change_call, can_load_calls

from . import services, workflow
from .deadlines import stages_prefetch
from .filters import CallFilter
from .forms import CallTextForm
from .selectors import by_filing_deadline, call_detail_queryset, catalogue, with_deadlines
from .workdays import WorkdayCalendar, stage_deadline


def call_list(request):
    actor = request.actor
    qs = catalogue(actor)
    flt = CallFilter(request.GET or None, queryset=qs, request=request)
    results = flt.qs if flt.is_bound and flt.is_valid() else qs
    # deadlines as they bind the asker's region (the one resolver), newest year first, soonest deadline first
    calls = sorted(with_deadlines(actor, results.prefetch_related(stages_prefetch())),
                   key=lambda c: (-c.year, *by_filing_deadline(c), c.province.code, c.code))
    page = Paginator(calls, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/call_list.html",
        {"filter": flt, "page": page, "query": query.urlencode(), "now": timezone.now(),
         "can_load_calls": bool(can_load_calls(actor))},
    )


def call_detail(request, code: str):
    actor = request.actor
    call = call_detail_queryset(actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    (call,) = with_deadlines(actor, [call])
    calendar = WorkdayCalendar()
    yours = call.deadlines.yours
    stages = []
    for stage in call.stages.all():
        stages.append({"stage": stage, "deadline": stage_deadline(stage, calendar),
                       "binds_you": yours is not None and yours.stage is not None and yours.stage.pk == stage.pk})
    quotas = []
    for quota in call.quotas.all():
        row = {"quota": quota, "text": quota.describe()}
        region = actor.region
        if region is not None and quota.applies_to(region):
            row["mine"] = quota.limit_for(region)
            row["mine_applies"] = True
        quotas.append(row)
    return render(
        request,
        "programs/call_detail.html",
        {
            "call": call,
            "yours": yours,
            "stages": stages,
            "quotas": quotas,
            "now": timezone.now(),
            "can_change": can_change_call(actor, call),
            "moves": {t.name for t in workflow.available(actor, call)},
            "blocked": [decision.reason for _t, decision in workflow.blocked(actor, call)],
        },
    )


# --- the provincial department manages its calls (publish, close, date an event) -------------------


def _managed_call(request, code: str):
    """The call, if the actor may see it (404 otherwise); the services check the right to change it."""
    call = call_detail_queryset(request.actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    return call


def _run(request, service, done: str, **kwargs) -> None:
    try:
        service(actor=request.actor, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


@login_required
@require_POST
def call_publish(request, code: str):
    call = _managed_call(request, code)
    _run(request, services.call_publish, _("The call has been published."), call=call)
    return redirect("call-detail", code=code)


@login_required
@require_POST
def call_close(request, code: str):
    call = _managed_call(request, code)
    _run(request, services.call_close, _("The call has been closed."), call=call,
         comment=request.POST.get("comment", "").strip())
    return redirect("call-detail", code=code)


@login_required
@require_POST
def stage_event_date(request, code: str, stage_id: int):
    call = _managed_call(request, code)
    stage = call.stages.filter(pk=stage_id).first()
    if stage is None:
        raise Http404(_("This call has no such stage."))
    try:
        event_date = dt.date.fromisoformat(request.POST.get("event_date", ""))
    except ValueError:
        messages.error(request, _("Give the date of the event (YYYY-MM-DD)."))
        return redirect("call-detail", code=code)
    try:
        _stage, warnings = services.stage_set_event_date(actor=request.actor, stage=stage, event_date=event_date)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The event date is set; the stage's deadline follows from it."))
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("call-detail", code=code)


@login_required
def call_edit(request, code: str):
    call = _managed_call(request, code)
    decision = can_change_call(request.actor, call)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = CallTextForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("call-detail", code=code)
        try:
            services.call_update(actor=request.actor, call=call, changes=changes)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("The call has been saved."))
            return redirect("call-detail", code=code)
    return render(request, "programs/call_edit.html", {"call": call, "form": form})


@login_required
def call_upload(request):
    """A new call (or a replaced draft) from a notice file; the call is a draft until published."""
    actor = request.actor
    decision = can_load_calls(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the notice file to upload."))
        else:
            try:
                outcome = services.calls_from_file(actor=actor, content=upload.read())
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Loaded as drafts: %(codes)s. Check each call, then publish it.")
                                 % {"codes": ", ".join(outcome.codes)})
                return redirect("call-detail", code=outcome.codes[0])
    return render(request, "programs/call_upload.html", {})


def call_example(request):
    """The example notice file (a template to fill in)."""

    path = settings.BASE_DIR / "fixtures" / "examples" / "call-template.yaml"
    response = HttpResponse(path.read_bytes(), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{_('Call template')}.yaml")
    return response
