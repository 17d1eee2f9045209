"""The holiday calendar page: a year's official arrangement, entered as lines of text."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.models import CalendarDay, CalendarYear
from programs.policy import can_enter_holidays

from . import services


@login_required
def holidays(request):
    actor = request.actor
    decision = can_enter_holidays(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    errors: list[str] = []
    year_text = request.POST.get("year") or request.GET.get("year") or str(timezone.localdate().year + 1)
    text = request.POST.get("days", "")
    source = request.POST.get("source", "")
    try:
        year = int(year_text)
    except ValueError:
        year, errors = timezone.localdate().year + 1, [_("Give a year between 2000 and 2100.")]
    if request.method == "POST" and not errors:
        try:
            days = services.parse_holiday_lines(year=year, text=text)
            outcome = services.calendar_year_save(actor=actor, year=year, days=days, source=source)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("The holidays of %(y)d are saved; %(n)d working-day deadline(s) moved.")
                             % {"y": year, "n": len(outcome.moved)})
            return redirect(f"{request.path}?year={year}")
    if request.method == "GET":
        text = "\n".join(f"{d.date.isoformat()} {'班' if d.is_workday else '休'} {d.name}".rstrip()
                         for d in CalendarDay.objects.filter(date__year=year).order_by("date"))
    entered = CalendarYear.objects.filter(year=year).select_related("entered_by").first()
    return render(request, "programs/holidays.html", {
        "year": year, "days_text": text, "source": source or (entered.source if entered else ""),
        "errors": errors, "entered": entered,
        "years": list(CalendarYear.objects.order_by("-year")),
    })
