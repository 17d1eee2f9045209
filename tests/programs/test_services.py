import datetime as dt

import pytest

from portal.models import AuditEntry
from programs.constants import DeadlineKind, StageLevel
from programs.workdays import SHANGHAI
from tests.factories import CallFactory, StageFactory

pytestmark = pytest.mark.django_db


def relative_stage(world):
    call = CallFactory(code="gz-like", province=world.jx)
    return StageFactory(call=call, level=StageLevel.APPLICANT, deadline_kind=DeadlineKind.RELATIVE,
                        relative_working_days=10, event_name="申报专题培训")


def test_officer_dates_the_event_and_the_deadline_follows_in_working_days(world, api_for):
    stage = relative_stage(world)
    assert stage.deadline_at is None
    api = api_for(world.province_officer)
    response = api.post("/api/calls/gz-like/event-date/", {"stage": stage.pk, "event_date": "2024-09-27"},
                        format="json")
    assert response.status_code == 200, response.content
    stage.refresh_from_db()
    # 10 working days after Fri 2024-09-27 across National Day = Wed 2024-10-16 (see test_workdays)
    assert stage.deadline_at == dt.datetime(2024, 10, 16, 23, 59, 59, tzinfo=SHANGHAI)
    entry = AuditEntry.objects.get(action="stage.set_event_date")
    assert entry.actor == world.province_officer and entry.data["event_date"] == "2024-09-27"


def test_other_province_and_bureaus_cannot_date_the_event(world, api_for):
    stage = relative_stage(world)
    for user in (world.other_province_officer, world.city_head, world.applicant_admin):
        response = api_for(user).post("/api/calls/gz-like/event-date/",
                                      {"stage": stage.pk, "event_date": "2024-09-27"}, format="json")
        assert response.status_code == 403
    stage.refresh_from_db()
    assert stage.event_date is None and stage.deadline_at is None
    assert not AuditEntry.objects.exists()


def test_bad_event_date_is_refused_with_a_message(world, api_for):
    stage = relative_stage(world)
    response = api_for(world.province_officer).post(
        "/api/calls/gz-like/event-date/", {"stage": stage.pk, "event_date": "2024-13-45"}, format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "event_date" in response.json()
    stage.refresh_from_db()
    assert stage.event_date is None


def test_openapi_schema_lists_the_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/calls/", "/api/calls/{code}/", "/api/organizations/", "/api/regions/", "/api/audit/"):
        assert path in paths


def test_operator_records_a_credit_code_exception_through_the_admin(world, client_for):
    client = client_for(world.operator)
    response = client.post("/admin/portal/creditcodeexception/add/",
                           {"code": "91350100M0001TGQXM", "reason": "早期试点代码，经市场监管部门核实"})
    assert response.status_code == 302
    from portal.models import CreditCodeException

    exc = CreditCodeException.objects.get(code="91350100M0001TGQXM")
    assert exc.recorded_by == world.operator
    assert AuditEntry.objects.filter(action="credit_code_exception.record").count() == 1
