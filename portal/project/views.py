"""The home page: what each role finds first (open calls, deadlines, drafts, recent activity).
It gathers from every app, so it lives in the project layer, not in the tenancy core."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access
from portal.models import CreditCodeException
from programs.constants import CallStatus
from programs.policy import can_load_calls
from programs.selectors import catalogue, open_calls, upcoming_deadlines, with_deadlines
from programs.workdays import WorkdayCalendar
from submissions.policy import can_follow_applications, can_work_review_queue


def _panel(actor) -> str:
    """Which home page the actor gets, by the rules of the pages it leads to."""
    if access.can_operate_platform(actor):
        return "operator"
    if can_follow_applications(actor):
        return "applicant"
    if can_work_review_queue(actor):
        return "review"
    return "public"


def home(request):
    actor = request.actor
    now = timezone.now()
    panel = _panel(actor)
    context = {"now": now, "panel": panel, "can_load_calls": bool(can_load_calls(actor))}
    if actor.is_authenticated and actor.membership is None:
        context["no_membership"] = True
    if panel == "applicant":
        context["open_calls"] = open_calls(actor, catalogue(actor).filter(province_id=actor.province_id), now=now)[:10]
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
    elif panel == "review":
        context["stage_deadlines"] = upcoming_deadlines(actor, now=now)
        context["org_count"] = access.organizations_visible(actor).filter(
            kind__in=["enterprise", "institute", "university"]
        ).count()
        if context["can_load_calls"]:
            mine = catalogue(actor).filter(province_id=actor.province_id)
            context["draft_calls"] = with_deadlines(actor, mine.filter(status=CallStatus.DRAFT), now=now)
            context["open_calls"] = open_calls(actor, mine, now=now)
    elif panel == "operator":
        calendar = WorkdayCalendar()
        year = timezone.localdate().year
        context["calendar_missing"] = [y for y in (year, year + 1) if not calendar.year_is_known(y)]
        context["exception_count"] = CreditCodeException.objects.count()
    else:
        context["open_calls"] = open_calls(actor, now=now)[:10]
    context["recent_audit"] = list(access.audit_visible(actor)[:8]) if actor.is_authenticated else []
    return render(request, "portal/home.html", context)
