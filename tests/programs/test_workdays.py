import datetime as dt

import pytest

from programs.constants import DeadlineKind
from programs.models import CalendarDay, CalendarYear, Stage
from programs.workdays import SHANGHAI, WorkdayCalendar, end_of_day, stage_deadline

D = dt.date


def offline_calendar(**kw):
    return WorkdayCalendar(overrides=kw.get("overrides", {}), complete_years=kw.get("complete_years", set()))


def test_ten_working_days_after_2024_09_27_cross_national_day():
    # 2024 arrangement (State Council): Oct 1-7 holiday; Sun Sep 29 and Sat Oct 12 are workdays.
    # After Fri Sep 27: Sat 28 off; Sun 29 =1; Mon 30 =2; Oct 1-7 off; Tue 8 =3, Wed 9 =4, Thu 10 =5,
    # Fri 11 =6, Sat 12 (adjusted) =7, Sun 13 off, Mon 14 =8, Tue 15 =9, Wed 16 =10.
    result = offline_calendar().add_working_days(D(2024, 9, 27), 10)
    assert result.date == D(2024, 10, 16)
    assert result.warnings == []


def test_plain_weekday_count_would_be_wrong():
    # The same span by Monday-Friday only would land on Oct 11: the holiday rules matter.
    cal = WorkdayCalendar(overrides={}, complete_years={2024})  # marks 2024 "complete" in DB, no rows
    assert cal.add_working_days(D(2024, 9, 27), 10).date == D(2024, 10, 11)


def test_2027_without_calendar_warns_instead_of_crashing():
    result = offline_calendar().add_working_days(D(2026, 12, 28), 10)
    # 2026-12-29..31 (Tue-Thu) = 3 days, 2027 Jan 1 Fri is New Year's Day (a statutory holiday on a
    # fixed date, a holiday even before the year's arrangement is entered), Jan 4-8 = 4..8, Jan 11 = 9,
    # Jan 12 = 10.
    assert result.date == D(2027, 1, 12)
    assert result.uncertain_years == [2027]
    assert result.warnings and "2027" in result.warnings[0]


@pytest.mark.django_db
def test_entered_2027_holidays_are_used_and_silence_the_warning():
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知（测试）")
    result = WorkdayCalendar().add_working_days(D(2026, 12, 28), 10)
    # as above but Jan 1 is a holiday: Dec 29-31 = 3, Jan 4-8 = 4..8, Jan 11 = 9, Jan 12 = 10
    assert result.date == D(2027, 1, 12)
    assert result.warnings == []


@pytest.mark.django_db
def test_database_entry_overrides_the_package():
    CalendarDay.objects.create(date=D(2024, 10, 8), is_workday=False, name="测试更正")
    result = WorkdayCalendar().add_working_days(D(2024, 9, 27), 10)
    assert result.date == D(2024, 10, 17)


def test_end_of_day_is_shanghai_time():
    at = end_of_day(D(2024, 4, 22))
    assert at.utcoffset() == dt.timedelta(hours=8)
    assert (at.hour, at.minute, at.second) == (23, 59, 59)


def test_relative_stage_without_event_is_pending_and_with_event_is_computed():
    stage = Stage(deadline_kind=DeadlineKind.RELATIVE, relative_working_days=10, event_name="申报专题培训")
    pending = stage_deadline(stage, offline_calendar())
    assert pending.at is None and "申报专题培训" in pending.pending_event
    stage.event_date = D(2024, 9, 27)
    computed = stage_deadline(stage, offline_calendar())
    assert computed.at == dt.datetime(2024, 10, 16, 23, 59, 59, tzinfo=SHANGHAI)


def test_absolute_deadline_in_a_year_without_calendar_warns():
    stage = Stage(deadline_kind=DeadlineKind.ABSOLUTE, deadline_at=end_of_day(D(2027, 3, 1)))
    assert stage_deadline(stage, offline_calendar()).warnings
    stage.deadline_at = end_of_day(D(2024, 3, 1))
    assert stage_deadline(stage, offline_calendar()).warnings == []
