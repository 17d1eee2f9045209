"""The home page: what each role finds first (open calls, deadlines, drafts, recent activity).
It gathers from every app, so it lives in the project layer, not in the tenancy core."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access
from portal.models import CreditCodeException
from programs.constants import CallStatus
from programs.models import Stage
from programs.selectors import catalogue, open_q
from programs.workdays import WorkdayCalendar


def _upcoming_stage_deadlines(actor, level, limit=8):
    now = timezone.now()
    own = actor.region
    regions = [r for r in (own, own.parent if own else None) if r is not None]
    qs = (
        Stage.objects.filter(call__in=catalogue(actor).filter(province_id=actor.province_id).values("pk"),
                             deadline_at__gte=now)
        .filter(Q(region__isnull=True) | Q(region__in=regions))
        .select_related("call", "region")
        .order_by("deadline_at")
    )
    if level:
        qs = qs.filter(level=level)
    return list(qs[:limit])


def home(request):
    actor = request.actor
    now = timezone.now()
    context = {"now": now}
    if actor.is_authenticated and actor.membership is None:
        context["no_membership"] = True
    if actor.is_applicant:
        calls = catalogue(actor).filter(province_id=actor.province_id).filter(open_q(now)).order_by("filing_deadline")
        context["open_calls"] = list(calls[:10])
        org = actor.organization
        missing = [
            label
            for field, label in (
                ("contact_name", _("contact person")),
                ("contact_phone", _("contact phone")),
                ("contact_email", _("contact e-mail")),
                ("industry", _("industry")),
                ("main_business", _("main business")),
            )
            if not getattr(org, field)
        ]
        context["profile_missing"] = missing
    elif actor.is_bureau or actor.is_provincial:
        level = actor.level
        context["stage_deadlines"] = _upcoming_stage_deadlines(actor, level)
        context["org_count"] = access.organizations_visible(actor).filter(
            kind__in=["enterprise", "institute", "university"]
        ).count()
        if actor.is_provincial:
            context["draft_calls"] = list(
                catalogue(actor).filter(province_id=actor.province_id, status=CallStatus.DRAFT)
            )
            context["open_calls"] = list(
                catalogue(actor).filter(province_id=actor.province_id).filter(open_q(now)).order_by("filing_deadline")
            )
    elif actor.is_operator:
        calendar = WorkdayCalendar()
        year = timezone.localdate().year
        context["calendar_missing"] = [y for y in (year, year + 1) if not calendar.year_is_known(y)]
        context["exception_count"] = CreditCodeException.objects.count()
    else:
        context["open_calls"] = list(catalogue(actor).filter(open_q(now)).order_by("filing_deadline")[:10])
    context["recent_audit"] = list(access.audit_visible(actor)[:8]) if actor.is_authenticated else []
    return render(request, "portal/home.html", context)
