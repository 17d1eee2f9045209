"""Chinese working days: official holidays and adjusted weekend workdays.

Sources, in order:
1. `CalendarDay` rows in the database (entered by an operator for later years, or corrections);
2. the `chinese_calendar` package for the years it covers (2004-2026 in 1.11.0; it raises
   NotImplementedError beyond);
3. for a year with neither a package entry nor a `CalendarYear` row marking it complete, the
   Monday-Friday rule less the statutory holidays on fixed dates (元旦 1-1, 劳动节 5-1 and 5-2,
   国庆节 10-1 to 10-3: 《全国年节及纪念日放假办法》), with a warning that the official
   arrangement (the moved days, the lunar festivals) is not known yet.

Saving a year's arrangement (`programs.services.calendar_year_save`) recomputes every stored
working-day deadline, so the deadline shown and the one enforced stay the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _

from .constants import DeadlineKind

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: statutory holidays on fixed dates (month, day), whatever the year's arrangement moves around them
STATUTORY_FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass
class WorkdayResult:
    date: dt.date
    warnings: list[str] = field(default_factory=list)
    uncertain_years: list[int] = field(default_factory=list)

    @property
    def is_certain(self) -> bool:
        return not self.uncertain_years


class WorkdayCalendar:
    """Answers working-day questions; loads database overrides once per instance."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None, complete_years: set[int] | None = None):
        if overrides is None or complete_years is None:
            from .models import CalendarDay, CalendarYear  # noqa: PLC0415 - the models use this calendar

            if overrides is None:
                overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
            if complete_years is None:
                complete_years = set(CalendarYear.objects.values_list("year", flat=True))
        self.overrides = overrides
        self.complete_years = complete_years
        self._covered: dict[int, bool] = {}

    def year_is_known(self, year: int) -> bool:
        if year in self.complete_years:
            return True
        if year not in self._covered:
            self._covered[year] = package_covers(year)
        return self._covered[year]

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year not in self.complete_years and self.year_is_known(day.year):
            return chinese_calendar.is_workday(day)
        if day.year not in self.complete_years and (day.month, day.day) in STATUTORY_FIXED_HOLIDAYS:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> WorkdayResult:
        """The date that is `days` working days after `start` (the start day itself not counted)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        counted = 0
        uncertain: set[int] = set()
        while counted < days:
            day += dt.timedelta(days=1)
            if not self.year_is_known(day.year):
                uncertain.add(day.year)
            if self.is_workday(day):
                counted += 1
        result = WorkdayResult(date=day, uncertain_years=sorted(uncertain))
        for year in result.uncertain_years:
            result.warnings.append(
                _(
                    "The official holiday calendar for %(year)s has not been entered yet: this date counts "
                    "Monday to Friday as working days, less the statutory holidays on fixed dates, and may move "
                    "when the calendar is published."
                )
                % {"year": year}
            )
        return result


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline date means the end of that day in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)


@dataclass
class Deadline:
    at: dt.datetime | None
    rolling: bool = False
    pending_event: str = ""
    warnings: list[str] = field(default_factory=list)


def stage_deadline(stage, calendar: WorkdayCalendar | None = None) -> Deadline:
    """Resolve a stage's deadline: fixed, rolling, or N working days after a dated event."""
    if stage.deadline_kind == DeadlineKind.ROLLING:
        return Deadline(at=None, rolling=True)
    if stage.deadline_kind == DeadlineKind.ABSOLUTE:
        warnings = []
        if stage.deadline_at is not None:
            cal = calendar or WorkdayCalendar()
            year = stage.deadline_at.astimezone(SHANGHAI).year
            if not cal.year_is_known(year):
                warnings.append(
                    _("The official holiday calendar for %(year)s has not been entered yet.") % {"year": year}
                )
        return Deadline(at=stage.deadline_at, warnings=warnings)
    # Relative to an event.
    if stage.event_date is None:
        return Deadline(
            at=None,
            pending_event=_("%(days)d working days after %(event)s (date to be announced)")
            % {"days": stage.relative_working_days or 0, "event": stage.event_name or _("the event")},
        )
    cal = calendar or WorkdayCalendar()
    result = cal.add_working_days(stage.event_date, stage.relative_working_days or 0)
    # The deadline that binds is the one Stage.save kept (programs.deadlines reads it); computed
    # here only for a stage not saved with its event date yet.
    return Deadline(at=stage.deadline_at or end_of_day(result.date), warnings=result.warnings)
