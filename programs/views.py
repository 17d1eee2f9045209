from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access

from .filters import CallFilter
from .selectors import call_detail_queryset, catalogue
from .workdays import WorkdayCalendar, stage_deadline


def call_list(request):
    actor = request.actor
    qs = catalogue(actor).order_by("-year", "filing_deadline", "province__code")
    flt = CallFilter(request.GET or None, queryset=qs)
    results = flt.qs if flt.is_bound and flt.is_valid() else qs
    page = Paginator(results, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/call_list.html",
        {"filter": flt, "page": page, "query": query.urlencode(), "now": timezone.now()},
    )


def call_detail(request, code: str):
    actor = request.actor
    call = call_detail_queryset(actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    calendar = WorkdayCalendar()
    stages = []
    for stage in call.stages.all():
        stages.append({"stage": stage, "deadline": stage_deadline(stage, calendar)})
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
            "stages": stages,
            "quotas": quotas,
            "now": timezone.now(),
            "can_change": access.can_change_call(actor, call),
        },
    )
