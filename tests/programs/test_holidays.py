"""Holidays that move deadlines: entering a year's arrangement recomputes every stored working-day
deadline, so the deadline shown and the one enforced agree to the second; before a year is entered
the statutory fixed holidays (元旦, 劳动节, 国庆 1-3) already count, with the warning kept."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import DeadlineKind, StageLevel
from programs.holidays.services import calendar_year_save, parse_holiday_lines
from programs.models import CalendarDay, CalendarYear, Stage
from programs.workdays import SHANGHAI, WorkdayCalendar, end_of_day, stage_deadline
from submissions.deadlines import check_bureau_deadline
from tests.submissions.test_review_support import at_city, review_call

D = dt.date
ONE_SECOND = dt.timedelta(seconds=1)

# A 2027 arrangement in the State Council's usual shape (the real one is published late in 2026):
# 10-1 to 10-7 off, Sun 9-26 and Sat 10-9 worked.
ARRANGEMENT_2027 = """
2027-01-01 休 元旦
2027-09-26 班
2027-10-01 休 国庆节
2027-10-02 休 国庆节
2027-10-03 休 国庆节
2027-10-04 休 国庆节
2027-10-05 休 国庆节
2027-10-06 休 国庆节
2027-10-07 休 国庆节
2027-10-09 班
"""


def test_before_the_arrangement_the_statutory_days_are_holidays_with_a_warning():
    cal = WorkdayCalendar(overrides={}, complete_years=set())
    # after Tue 9-28: 9-29 =1, 9-30 =2, Fri 10-1 statutory, 10-4..10-8 =3..7, 10-11 =8, 10-12 =9, 10-13 =10
    result = cal.add_working_days(D(2027, 9, 28), 10)
    assert result.date == D(2027, 10, 13)
    assert result.uncertain_years == [2027] and "2027" in result.warnings[0]
    for day in (D(2027, 1, 1), D(2027, 5, 1), D(2027, 5, 2), D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3)):
        assert not cal.is_workday(day), day
    assert cal.is_workday(D(2027, 10, 4))


@pytest.fixture
def relative_city_stage(world):
    """A call whose city stage closes 10 working days after a meeting on 2027-09-28 (spans 国庆)."""
    call = review_call(world, code="holidays")
    stage = call.stages.get(level=StageLevel.CITY)
    stage.deadline_kind = DeadlineKind.RELATIVE
    stage.event_name = "培训会"
    stage.event_date = D(2027, 9, 28)
    stage.relative_working_days = 10
    stage.save()
    return stage


@pytest.mark.django_db
def test_entering_2027_moves_the_stored_deadline_and_the_enforced_one_agrees(world, relative_city_stage, client_for):
    stage = relative_city_stage
    app = at_city(world, world.ent_zg, stage.call)
    assert stage.deadline_at == end_of_day(D(2027, 10, 13))
    with time_machine.travel(end_of_day(D(2027, 10, 13)) + ONE_SECOND, tick=False):
        assert not check_bureau_deadline(application=app)  # enforced at 10-13 before the arrangement

    officer = actor_for(world.province_officer)
    outcome = calendar_year_save(actor=officer, year=2027, source="国办发明电（测试）",
                                 days=parse_holiday_lines(year=2027, text=ARRANGEMENT_2027))

    stage.refresh_from_db()
    # 9-29 =1, 9-30 =2, 10-1..7 off, 10-8 =3, Sat 10-9 =4, 10-11..15 =5..9, 10-18 =10
    expected = dt.datetime(2027, 10, 18, 23, 59, 59, tzinfo=SHANGHAI)
    assert stage.deadline_at == expected
    shown = stage_deadline(Stage.objects.get(pk=stage.pk))
    assert shown.at == expected and shown.warnings == []
    with time_machine.travel(expected, tick=False):
        assert check_bureau_deadline(application=app)
    with time_machine.travel(expected + ONE_SECOND, tick=False):
        decision = check_bureau_deadline(application=app)
        assert not decision and "2027-10-18 23:59:59" in decision.reason
    page = client_for(world.city_reviewer).get(f"/calls/{stage.call.code}/").content.decode()
    assert "2027-10-18 23:59" in page and "2027-10-13 23:59" not in page

    assert [m["stage"] for m in outcome.moved] == [stage.pk]
    entry = AuditEntry.objects.get(action="calendar.year_save")
    assert entry.actor == world.province_officer
    assert entry.data["deadlines_moved"][0]["after"] == expected.isoformat()
    assert CalendarYear.objects.filter(year=2027).exists()
    assert CalendarDay.objects.filter(date__year=2027).count() == 10


@pytest.mark.django_db
def test_a_county_bureau_cannot_enter_holidays_and_nothing_changes(world, relative_city_stage, client_for):
    before = relative_city_stage.deadline_at
    with pytest.raises(PermissionDenied):
        calendar_year_save(actor=actor_for(world.county_reviewer), year=2027,
                           days=parse_holiday_lines(year=2027, text=ARRANGEMENT_2027))
    response = client_for(world.county_reviewer).post("/calendar/holidays/", {"year": "2027",
                                                                              "days": ARRANGEMENT_2027})
    assert response.status_code == 403
    relative_city_stage.refresh_from_db()
    assert relative_city_stage.deadline_at == before
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_bad_line_is_named_and_nothing_is_stored(world, relative_city_stage, client_for):
    with pytest.raises(ValidationError):
        parse_holiday_lines(year=2027, text="2027-10-01 休 国庆节\n2027-13-01 休")
    client = client_for(world.province_officer)
    page = client.post("/calendar/holidays/", {"year": "2027", "days": "2027-10-01 休 国庆节\n2027-10-09 加班"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "2027-10-09 加班" in text  # what was typed is kept
    assert not CalendarDay.objects.exists()
    ok = client.post("/calendar/holidays/", {"year": "2027", "days": ARRANGEMENT_2027, "source": "国办"})
    assert ok.status_code == 302
    relative_city_stage.refresh_from_db()
    assert relative_city_stage.deadline_at == end_of_day(D(2027, 10, 18))


@pytest.mark.django_db
def test_a_holiday_changed_in_the_admin_moves_the_deadline_too(world, relative_city_stage, client_for):
    client = client_for(world.operator)
    response = client.post("/admin/programs/calendarday/add/", {"date": "2027-10-04", "is_workday": "", "name": "国庆"})
    assert response.status_code == 302
    relative_city_stage.refresh_from_db()
    # 10-4 off as well: 9-29 =1, 9-30 =2, 10-5..8 =3..6, 10-11..14 =7..10
    assert relative_city_stage.deadline_at == end_of_day(D(2027, 10, 14))
    assert AuditEntry.objects.filter(action="calendar.recompute", actor=world.operator).exists()
