"""The official holiday arrangement of a year (国务院办公厅 放假安排), entered in the portal.

`calendar_year_save` stores a year's holidays and adjusted workdays, marks the year complete and
recomputes every stored working-day deadline (`Stage.deadline_at` of the stages counted from a dated
event), in one transaction with one audit entry: the deadline a page shows and the one the
resolver enforces (programs.deadlines, which reads `Stage.deadline_at`) never differ.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.services import audit_record
from programs.constants import DeadlineKind
from programs.models import CalendarDay, CalendarYear, Stage
from programs.policy import can_enter_holidays
from programs.workdays import WorkdayCalendar, end_of_day

WORKDAY_WORDS = {"班", "上班", "workday", "work"}
HOLIDAY_WORDS = {"休", "放假", "holiday", "off"}


@dataclass
class HolidayLine:
    date: dt.date
    is_workday: bool
    name: str = ""


@dataclass
class Recomputed:
    year: CalendarYear
    moved: list[dict] = field(default_factory=list)


def parse_holiday_lines(*, year: int, text: str) -> list[HolidayLine]:
    """Lines "2027-10-01 休 国庆节" or "2027-10-09 班": a date, 休 (holiday) or 班 (adjusted workday), a
    name. Every bad line is named with its number and why; nothing is kept from a text with one."""
    lines, errors, seen = [], [], set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError:
            errors.append(_("Line %(n)d: “%(v)s” is not a date (YYYY-MM-DD).") % {"n": number, "v": parts[0]})
            continue
        if day.year != year:
            errors.append(_("Line %(n)d: %(d)s is not in %(y)d.") % {"n": number, "d": day.isoformat(), "y": year})
            continue
        word = parts[1] if len(parts) > 1 else ""
        if word in WORKDAY_WORDS:
            is_workday = True
        elif word in HOLIDAY_WORDS:
            is_workday = False
        else:
            errors.append(_("Line %(n)d: write 休 (holiday) or 班 (adjusted working day) after the date.")
                          % {"n": number})
            continue
        if day in seen:
            errors.append(_("Line %(n)d: %(d)s is listed twice.") % {"n": number, "d": day.isoformat()})
            continue
        seen.add(day)
        lines.append(HolidayLine(date=day, is_workday=is_workday, name=" ".join(parts[2:])[:64]))
    if errors:
        raise ValidationError({"days": errors})
    if not lines:
        raise ValidationError({"days": [_("List the year's holidays and adjusted working days, one a line.")]})
    return lines


def _recompute_working_day_deadlines(calendar: WorkdayCalendar) -> list[dict]:
    moved = []
    stages = (Stage.objects.select_for_update(of=("self",)).select_related("call")
              .filter(deadline_kind=DeadlineKind.RELATIVE, event_date__isnull=False,
                      relative_working_days__isnull=False).order_by("pk"))
    for stage in stages:
        at = end_of_day(calendar.add_working_days(stage.event_date, stage.relative_working_days).date)
        if at != stage.deadline_at:
            moved.append({"stage": stage.pk, "call": stage.call.code,
                          "before": stage.deadline_at.isoformat() if stage.deadline_at else None,
                          "after": at.isoformat()})
            Stage.objects.filter(pk=stage.pk).update(deadline_at=at)
    return moved


@transaction.atomic
def working_day_deadlines_recompute(*, actor: Actor | None, reason: str) -> list[dict]:
    """Recompute every stored working-day deadline after a calendar change made elsewhere (the
    admin's holiday rows), audited (on the first stage moved) with the deadlines it moved."""
    moved = _recompute_working_day_deadlines(WorkdayCalendar())
    if moved:
        audit_record(actor=actor, action="calendar.recompute", obj=Stage.objects.get(pk=moved[0]["stage"]),
                     comment=reason[:200], data={"deadlines_moved": moved})
    return moved


@transaction.atomic
def calendar_year_save(*, actor: Actor, year: int, days: list[HolidayLine], source: str = "") -> Recomputed:
    """Store `year`'s arrangement (replacing what was entered for it), mark the year complete and move
    every working-day deadline the arrangement changes. Audited with the deadlines moved."""
    decision = can_enter_holidays(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": [_("Give a year between 2000 and 2100.")]})
    if any(d.date.year != year for d in days):
        raise ValidationError({"days": [_("Every day must lie in %(y)d.") % {"y": year}]})
    before = list(CalendarDay.objects.filter(date__year=year).order_by("date").values_list("date", "is_workday"))
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create([CalendarDay(date=d.date, is_workday=d.is_workday, name=d.name) for d in days])
    entry, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": (source or "").strip()[:200], "entered_by": actor.user})
    moved = _recompute_working_day_deadlines(WorkdayCalendar())
    audit_record(
        actor=actor, action="calendar.year_save", obj=entry, province=actor.region.province if actor.region else None,
        comment=entry.source,
        data={"year": year, "days_before": [[d.isoformat(), w] for d, w in before],
              "days_after": [[d.date.isoformat(), d.is_workday] for d in days], "deadlines_moved": moved},
    )
    return Recomputed(year=entry, moved=moved)
